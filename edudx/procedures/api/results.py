"""REST API of results, the public check and the counter (mounted under ``/api/v1/procedures/``).

- ``POST results/issue/{dossier_id}/`` ``{"decision_text", "expected_version"}``: seal and issue the result of an
  approved dossier (201 with the file's hash and verification address);
- ``GET results/{code}/pdf/``: the signed result, for its applicant and the receiving unit's staff (404 otherwise);
- ``GET results/verify/{token}/``: the public check (no log-in) — valid or not, signer, time, hash, dossier code,
  procedure, masked applicant; ``POST`` the same with a copy (multipart ``file``) or its ``sha256``: compared with
  the stored result, and the copy's own signatures checked;
- ``POST counter/intake/`` (multipart): a paper dossier entered at the desk, scans signed; ``POST
  counter/digitise/{dossier_id}/`` (multipart ``component``, ``file``): a signed scan added to a dossier.

Refusals answer ``{"detail", "code"}`` in Vietnamese: 400 invalid (not approved, unpaid, bad file…), 403 not the
desk, 404 outside the caller's scope, 409 stale.
"""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from edudx.core.api import Actor, OrgUnit, ValidationFailed
from edudx.core.verification import compare_copy, mask_name, verify_stored_pdf

from ..models import DossierFile
from ..selectors import results as selectors
from ..selectors.catalogue import procedure_of as version_procedure
from ..selectors.catalogue import version_in_force
from ..services import counter as counter_services
from ..services import results as services
from ..services.submission import components_to_scan_at_counter
from ..services.workflow import procedure_of

__all__ = ["ROUTES", "urlpatterns"]


class ResultIssueSerializer(serializers.Serializer):
    decision_text = serializers.CharField(help_text="Nội dung kết quả giải quyết; mỗi dòng một đoạn (một điều).")
    expected_version = serializers.IntegerField(
        required=False, allow_null=True, help_text="Phiên bản hồ sơ người dùng đang xem (khác → 409)."
    )


class ResultSerializer(serializers.Serializer):
    dossier = serializers.CharField(help_text="Mã hồ sơ")
    state = serializers.CharField()
    file_id = serializers.IntegerField()
    filename = serializers.CharField()
    sha256 = serializers.CharField()
    verify_token = serializers.CharField()
    verify_url = serializers.CharField()
    download_url = serializers.CharField()
    issued_as = serializers.CharField(help_text="desk (Bộ phận Một cửa) hoặc system (trả kết quả trực tuyến)")


class VerifySerializer(serializers.Serializer):
    valid = serializers.BooleanField()
    dossier = serializers.CharField()
    procedure = serializers.CharField()
    unit = serializers.CharField()
    applicant = serializers.CharField(help_text="Họ tên người nộp đã che bớt")
    signer = serializers.CharField(allow_blank=True)
    signed_at = serializers.DateTimeField(allow_null=True)
    issued_at = serializers.DateTimeField(allow_null=True)
    sha256 = serializers.CharField()
    problems = serializers.ListField(child=serializers.CharField())


class CopyCheckSerializer(serializers.Serializer):
    valid = serializers.BooleanField()
    same = serializers.BooleanField(help_text="Trùng từng byte với bản đã lưu (SHA-256)")
    sha256 = serializers.CharField()
    reasons = serializers.ListField(child=serializers.CharField())


def _actor(request: Request) -> Actor:
    return Actor(user=request.user)


def _result_body(result: DossierFile) -> dict[str, Any]:
    dossier = result.dossier
    dossier.refresh_from_db(fields=["state"])
    events = dossier.events.filter(action="issue_result").order_by("-at", "-id")
    event = events.first()
    return {
        "dossier": dossier.code,
        "state": dossier.state,
        "file_id": result.pk,
        "filename": result.filename,
        "sha256": result.sha256,
        "verify_token": result.verify_token or "",
        "verify_url": services.verification_url(result.verify_token or ""),
        "download_url": reverse("procedures-result-download", args=[dossier.code]),
        "issued_as": event.actor_kind if event else "",
    }


class ResultIssueApi(APIView):
    """Seal and issue the electronic result of an approved dossier (staff of the receiving unit)."""

    @extend_schema(request=ResultIssueSerializer, responses={201: ResultSerializer})
    def post(self, request: Request, dossier_id: int) -> Response:
        body = ResultIssueSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        result = services.result_issue(
            actor=_actor(request),
            dossier_id=dossier_id,
            decision_text=body.validated_data["decision_text"],
            expected_version=body.validated_data.get("expected_version"),
        )
        return Response(ResultSerializer(_result_body(result)).data, status=status.HTTP_201_CREATED)


class ResultDownloadApi(APIView):
    """The signed result PDF of a dossier, for its applicant and the receiving unit's staff."""

    @extend_schema(responses={(200, "application/pdf"): OpenApiTypes.BINARY})
    def get(self, request: Request, code: str) -> HttpResponse:
        result = selectors.result_get(actor=_actor(request), code=code)
        if result is None:
            raise NotFound(_("Không tìm thấy kết quả của hồ sơ này."))
        response = HttpResponse(bytes(result.content), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{result.filename}"'
        response["Cache-Control"] = "no-store, private"
        return response


class ResultVerifyApi(APIView):
    """Public check of a result from its verification token (no log-in)."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    def _result(self, token: str) -> DossierFile:
        result = selectors.result_by_token(token)
        if result is None:
            raise NotFound(_("Không tìm thấy kết quả có mã kiểm tra này."))
        return result

    @extend_schema(responses={200: VerifySerializer}, auth=[])
    def get(self, request: Request, token: str) -> Response:
        result = self._result(token)
        dossier = result.dossier
        report = verify_stored_pdf(bytes(result.content), result.sha256, namespace="dossier-result")
        signer = report.signers[0] if report.signers else None
        data = {
            "valid": report.valid and not result.superseded,
            "dossier": dossier.code,
            "procedure": procedure_of(dossier).name,
            "unit": dossier.org_unit.name,
            "applicant": mask_name(dossier.applicant_name),
            "signer": signer.name if signer else "",
            "signed_at": signer.signed_at if signer else None,
            "issued_at": timezone.localtime(dossier.result_issued_at) if dossier.result_issued_at else None,
            "sha256": result.sha256,
            "problems": report.problems,
        }
        return Response(VerifySerializer(data).data)

    @extend_schema(
        request={
            "multipart/form-data": inline_serializer(
                "ResultCopyUpload", {"file": serializers.FileField(help_text="Tệp PDF kết quả cần đối chiếu")}
            ),
            "application/json": inline_serializer(
                "ResultCopyHash", {"sha256": serializers.CharField(help_text="SHA-256 của tệp cần đối chiếu")}
            ),
        },
        responses={200: CopyCheckSerializer},
        auth=[],
    )
    def post(self, request: Request, token: str) -> Response:
        result = self._result(token)
        upload = request.FILES.get("file")
        if upload is not None:
            if upload.size > 10 * 1024 * 1024:
                raise ValidationFailed(_("Tệp lớn hơn 10 MB: không phải tệp kết quả."), code="file_too_large")
            check = compare_copy(upload.read(), result.sha256)
            data = {"valid": check.valid, "same": check.same, "sha256": check.sha256, "reasons": check.reasons}
        else:
            digest = str(request.data.get("sha256", "")).strip().lower()
            if len(digest) != 64:
                raise ValidationFailed(_("Gửi tệp PDF (trường file) hoặc mã SHA-256 của tệp."), code="nothing_to_check")
            same = digest == result.sha256
            reasons = [] if same else [_("Mã băm SHA-256 không khớp với bản kết quả đã lưu.")]
            data = {"valid": same, "same": same, "sha256": digest, "reasons": reasons}
        return Response(CopyCheckSerializer(data).data)


def _unit(request: Request) -> OrgUnit:
    units = selectors.counter_units(actor=_actor(request))
    wanted = request.data.get("unit")
    unit = next((u for u in units if str(u.pk) == str(wanted)), None)
    if unit is None:
        raise NotFound(_("Không tìm thấy đơn vị tiếp nhận hoặc bạn không làm việc tại Bộ phận Một cửa của đơn vị."))
    return unit


def _json_field(request: Request, name: str, default: Any) -> Any:
    raw = request.data.get(name)
    if raw in (None, ""):
        return default
    if isinstance(raw, (dict, list)):
        return raw
    try:
        return json.loads(str(raw))
    except ValueError:
        raise ValidationFailed(_("Trường %(name)s phải là JSON hợp lệ.") % {"name": name}, code="bad_json") from None


class CounterIntakeApi(APIView):
    """Enter a paper dossier at the counter; every scan is stored signed with the unit's organisation signature."""

    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        request={
            "multipart/form-data": inline_serializer(
                "CounterIntake",
                {
                    "unit": serializers.IntegerField(help_text="id đơn vị tiếp nhận"),
                    "procedure": serializers.CharField(help_text="mã nội bộ của thủ tục (key)"),
                    "applicant_name": serializers.CharField(),
                    "applicant_phone": serializers.CharField(required=False),
                    "applicant_email": serializers.CharField(required=False),
                    "applicant_address": serializers.CharField(required=False),
                    "student": serializers.IntegerField(required=False, help_text="id học sinh (nếu có)"),
                    "form_data": serializers.CharField(required=False, help_text="JSON {khóa trường: giá trị}"),
                    "reused_components": serializers.CharField(
                        required=False, help_text="JSON [tên thành phần lấy từ dữ liệu đã có]"
                    ),
                    "receive_now": serializers.BooleanField(required=False),
                    "file_0": serializers.FileField(
                        required=False,
                        help_text="bản quét thành phần thứ 0; file_1… cho các thành phần sau, đơn (tờ khai) của thủ tục có tờ khai"
                        " trực tuyến đứng cuối, không bắt buộc",
                    ),
                },
            )
        },
        responses={201: OpenApiTypes.OBJECT},
    )
    def post(self, request: Request) -> Response:
        unit = _unit(request)
        version = version_in_force(str(request.data.get("procedure", "")), timezone.localdate())
        procedure = version_procedure(version)
        files = {
            component.name: request.FILES.getlist(f"file_{index}")
            for index, component in enumerate(components_to_scan_at_counter(procedure))
            if request.FILES.getlist(f"file_{index}")
        }
        student = str(request.data.get("student") or "")
        dossier = counter_services.counter_intake(
            actor=_actor(request),
            procedure_key=version.key,
            unit=unit,
            form_data=_json_field(request, "form_data", {}),
            files=files,
            applicant_name=str(request.data.get("applicant_name", "")),
            applicant_phone=str(request.data.get("applicant_phone", "")),
            applicant_email=str(request.data.get("applicant_email", "")),
            applicant_address=str(request.data.get("applicant_address", "")),
            student_id=int(student) if student.isdigit() else None,
            reused_components=[str(n) for n in _json_field(request, "reused_components", [])],
            receive_now=str(request.data.get("receive_now", "")).lower() in ("1", "true", "on", "yes"),
        )
        rows = dossier.files.filter(role="component", superseded=False).order_by("id")
        return Response(
            {
                "id": dossier.pk,
                "code": dossier.code,
                "state": dossier.state,
                "files": [
                    {
                        "component": f.component,
                        "filename": f.filename,
                        "sha256": f.sha256,
                        "digitised": f.digitised,
                        "signed": f.signed,
                        "reused": f.reused,
                    }
                    for f in rows
                ],
            },
            status=status.HTTP_201_CREATED,
        )


class ComponentDigitiseApi(APIView):
    """Add the signed scan of a paper component to an existing dossier (the one-stop desk)."""

    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        request={
            "multipart/form-data": inline_serializer(
                "ComponentDigitise",
                {"component": serializers.CharField(), "file": serializers.FileField()},
            )
        },
        responses={201: OpenApiTypes.OBJECT},
    )
    def post(self, request: Request, dossier_id: int) -> Response:
        row = counter_services.component_digitise(
            actor=_actor(request),
            dossier_id=dossier_id,
            component=str(request.data.get("component", "")),
            upload=request.FILES.get("file"),
        )
        return Response(
            {"id": row.pk, "component": row.component, "sha256": row.sha256, "digitised": True, "signed": True},
            status=status.HTTP_201_CREATED,
        )


ROUTES: list[tuple[str, Any, str]] = []
urlpatterns: list[URLPattern] = [
    path("results/issue/<int:dossier_id>/", ResultIssueApi.as_view(), name="procedures-result-issue"),
    path("results/verify/<str:token>/", ResultVerifyApi.as_view(), name="procedures-result-verify"),
    path("results/<str:code>/pdf/", ResultDownloadApi.as_view(), name="procedures-result-download"),
    path("counter/intake/", CounterIntakeApi.as_view(), name="procedures-counter-intake"),
    path("counter/digitise/<int:dossier_id>/", ComponentDigitiseApi.as_view(), name="procedures-counter-digitise"),
]
