"""REST API for applicants: one's own dossiers (list, detail by code) and what one does with them.

``GET procedures/my-dossiers/`` (``?q=`` code or procedure, ``?state=``), ``GET procedures/my-dossiers/{code}/``;
``POST procedures/my-dossiers/`` (multipart: ``procedure`` key, ``student`` id, ``unit`` id, ``form`` a JSON object of
answers, ``reused`` component names, and files in fields named ``component:<component name>``) submits and answers
201 with the code, state and tracking link (the detail is the ``GET``);
``POST .../{code}/supplement/`` (multipart ``note`` + ``component:<name>`` or ``component:__other__`` files),
``POST .../{code}/withdraw/`` (``reason``), ``POST .../{code}/rate/`` (``rating`` 1–5, ``comment``).
Rows are those of ``DossierPolicy`` narrowed to the caller's own dossiers: anyone else's code answers 404.
Refusals answer ``{"detail", "code", "errors"}`` in Vietnamese (400 invalid, 403 not allowed, 409 stale).
"""

from __future__ import annotations

import json
from typing import Any

from django.db.models import Q, QuerySet
from django.urls import URLPattern, reverse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from edudx.core.api import OrgUnit, ValidationFailed
from edudx.core.api_views import PolicyScopedViewSet

from ..catalogue_store import procedure_from_data
from ..models import Dossier, DossierEvent
from ..selectors.citizen import form_answers
from ..services import citizen as services
from ..services.submission import submit_dossier, tracking_url

FILE_PREFIX = "component:"


class DossierEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = DossierEvent
        fields = ["action", "from_state", "to_state", "actor_kind", "at", "note", "form_number"]


class MyDossierSerializer(serializers.ModelSerializer):
    procedure_key = serializers.CharField(source="procedure.key", read_only=True)
    procedure_name = serializers.CharField(source="procedure.name", read_only=True)
    org_unit_name = serializers.CharField(source="org_unit.name", read_only=True)
    state_label = serializers.CharField(source="get_state_display", read_only=True)

    class Meta:
        model = Dossier
        fields = [
            "code", "procedure_key", "procedure_name", "org_unit_name", "channel", "state", "state_label",
            "submitted_at", "received_at", "due_at", "processed_at", "result_issued_at", "fully_online", "fee_vnd",
            "bill_reference", "paid_at", "paid_online", "rating", "rated_at", "version",
        ]  # fmt: skip


class MyDossierDetailSerializer(MyDossierSerializer):
    events = serializers.SerializerMethodField()
    answers = serializers.SerializerMethodField()

    class Meta(MyDossierSerializer.Meta):
        fields = [*MyDossierSerializer.Meta.fields, "prefilled_fields", "answers", "events"]

    def get_events(self, obj: Dossier) -> list[dict[str, Any]]:
        return DossierEventSerializer(obj.events.order_by("at", "pk"), many=True).data  # type: ignore[return-value]

    def get_answers(self, obj: Dossier) -> list[dict[str, str]]:
        """The form as labels and texts, personal ID numbers masked."""
        procedure = procedure_from_data(obj.procedure.data)
        return [
            {"label": label, "value": text} for label, text in form_answers(procedure.application_form, obj.form_data)
        ]


class SubmittedSerializer(serializers.Serializer):
    """The answer to a submission: what the applicant needs next, from the dossier just stored (no query).
    The full dossier is ``GET my-dossiers/{code}/``."""

    code = serializers.CharField(help_text="Mã hồ sơ")
    state = serializers.CharField()
    state_label = serializers.CharField(source="get_state_display")
    submitted_at = serializers.DateTimeField()
    fee_vnd = serializers.IntegerField()
    bill_reference = serializers.CharField(allow_blank=True)
    tracking_url = serializers.SerializerMethodField(help_text="Trang theo dõi hồ sơ")
    url = serializers.SerializerMethodField(help_text="Địa chỉ API của hồ sơ")

    def get_tracking_url(self, obj: Dossier) -> str:
        return tracking_url(obj.code)

    def get_url(self, obj: Dossier) -> str:
        return reverse("procedures-my-dossier-detail", args=[obj.code])


def submitted_answer(dossier: Dossier) -> dict[str, Any]:
    """``SubmittedSerializer``'s fields for the dossier just stored, written out: the busiest answer of the public
    services, built without a serializer's per-field machinery (a test keeps the two the same)."""
    return {
        "code": dossier.code,
        "state": dossier.state,
        "state_label": str(dossier.get_state_display()),
        "submitted_at": serializers.DateTimeField().to_representation(dossier.submitted_at),
        "fee_vnd": dossier.fee_vnd,
        "bill_reference": dossier.bill_reference,
        "tracking_url": tracking_url(dossier.code),
        "url": reverse("procedures-my-dossier-detail", args=[dossier.code]),
    }


class SubmitSerializer(serializers.Serializer):
    procedure = serializers.CharField(help_text="Mã nội bộ của thủ tục, ví dụ school_transfer_same_province")
    student = serializers.IntegerField(required=False, help_text="id của học sinh (con của người nộp)")
    unit = serializers.IntegerField(required=False, help_text="id cơ quan tiếp nhận (khi hồ sơ không về học sinh)")
    form = serializers.CharField(required=False, default="{}", help_text="Tờ khai: đối tượng JSON {mã trường: giá trị}")
    reused = serializers.ListField(child=serializers.CharField(), required=False, default=list)


class SupplementSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="")
    version = serializers.IntegerField(required=False)


class WithdrawSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="")
    version = serializers.IntegerField(required=False)


class RateSerializer(serializers.Serializer):
    rating = serializers.IntegerField(min_value=1, max_value=5)
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=1000)


def _files(request: Request) -> dict[str, list[Any]]:
    return {
        name[len(FILE_PREFIX) :]: request.FILES.getlist(name) for name in request.FILES if name.startswith(FILE_PREFIX)
    }


class MyDossierViewSet(PolicyScopedViewSet):
    """The caller's own dossiers (as applicant), by code."""

    queryset = Dossier.objects.all()
    serializer_class = MyDossierSerializer
    lookup_field = "code"
    lookup_value_regex = r"[^/]+"
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    def base_queryset(self) -> QuerySet[Dossier]:
        qs = Dossier.objects.filter(applicant_id=getattr(self.request.user, "pk", None)).select_related(
            "procedure", "org_unit"
        )
        q = (self.request.query_params.get("q") or "").strip()
        if q:
            qs = qs.filter(Q(code__icontains=q) | Q(procedure__name__icontains=q))
        state = self.request.query_params.get("state") or ""
        if state:
            qs = qs.filter(state=state)
        return qs.order_by("-submitted_at", "-pk")

    def get_serializer_class(self) -> type[serializers.BaseSerializer]:
        return MyDossierDetailSerializer if self.action == "retrieve" else MyDossierSerializer

    @extend_schema(
        parameters=[
            OpenApiParameter("q", str, description="Mã hồ sơ hoặc tên thủ tục"),
            OpenApiParameter("state", str, description="Trạng thái"),
        ]
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    def _detail(self, dossier: Dossier, code: int = status.HTTP_200_OK) -> Response:
        fresh = self.get_queryset().get(pk=dossier.pk)
        return Response(MyDossierDetailSerializer(fresh).data, status=code)

    @extend_schema(request=SubmitSerializer, responses={201: SubmittedSerializer})
    def create(self, request: Request) -> Response:
        """Submit a dossier (multipart; files in fields named ``component:<component name>``)."""
        body = SubmitSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            answers = json.loads(body.validated_data["form"] or "{}")
        except json.JSONDecodeError:
            answers = None
        if not isinstance(answers, dict):
            raise ValidationFailed("Tờ khai phải là một đối tượng JSON.", details={"form": ["JSON không hợp lệ."]})
        unit = None
        if body.validated_data.get("unit") is not None:
            unit = OrgUnit.objects.filter(pk=body.validated_data["unit"]).first()
            if unit is None:
                raise ValidationFailed("Không tìm thấy cơ quan tiếp nhận.", details={"unit": ["Không tồn tại."]})
        reused = request.data.getlist("reused") if hasattr(request.data, "getlist") else body.validated_data["reused"]
        dossier = submit_dossier(
            self.actor,
            body.validated_data["procedure"],
            form_data=answers,
            files=_files(request),
            unit=unit,
            student_id=body.validated_data.get("student"),
            reused_components=reused,
        )
        # A light answer: the detail (events, answers) is one GET away and would cost three queries here.
        return Response(submitted_answer(dossier), status=status.HTTP_201_CREATED)

    @extend_schema(request=SupplementSerializer, responses={200: MyDossierDetailSerializer})
    @action(detail=True, methods=["post"])
    def supplement(self, request: Request, code: str | None = None) -> Response:
        dossier = self.get_object()
        body = SupplementSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.dossier_supplement(
            actor=self.actor,
            dossier_id=dossier.pk,
            files=_files(request),
            note=body.validated_data["note"],
            expected_version=body.validated_data.get("version"),
        )
        return self._detail(dossier)

    @extend_schema(request=WithdrawSerializer, responses={200: MyDossierDetailSerializer})
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, code: str | None = None) -> Response:
        dossier = self.get_object()
        body = WithdrawSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.dossier_withdraw(
            actor=self.actor,
            dossier_id=dossier.pk,
            reason=body.validated_data["reason"],
            expected_version=body.validated_data.get("version"),
        )
        return self._detail(dossier)

    @extend_schema(request=RateSerializer, responses={200: MyDossierDetailSerializer})
    @action(detail=True, methods=["post"])
    def rate(self, request: Request, code: str | None = None) -> Response:
        dossier = self.get_object()
        body = RateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.dossier_rate(
            actor=self.actor,
            dossier_id=dossier.pk,
            rating=body.validated_data["rating"],
            comment=body.validated_data["comment"],
        )
        return self._detail(dossier)

    def get_object(self) -> Dossier:
        try:
            return super().get_object()  # type: ignore[no-any-return]
        except NotFound:
            raise NotFound("Không tìm thấy hồ sơ.") from None


ROUTES: list[tuple[str, Any, str]] = [("procedures/my-dossiers", MyDossierViewSet, "procedures-my-dossier")]
urlpatterns: list[URLPattern] = []
