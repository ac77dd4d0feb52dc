"""REST API of học bạ số: read-only list and detail (``transcript.view``) with download links, and the PDF and
JSON downloads as actions. `ROUTES` are (prefix, viewset, basename) for the router; `urlpatterns` plain paths.

Rows are those of ``TranscriptPolicy``; guardians and students get sealed versions only (``family_q``).

Writes go through the services, as on the pages: ``POST generate/`` (``{"class", "student"}``) makes or remakes
the draft, ``POST {id}/sign/`` (``{"role": "homeroom" | "principal" | "seal"}``) adds the next signature with the
caller's own credential, ``POST {id}/correct/`` (``{"reason"}``) opens version n+1 of a sealed one. Refusals answer
``{"detail", "code"}`` in Vietnamese: 400 invalid, 403 not the right signer, 404 outside the caller's scope, 409
out of order or already signed.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import HttpResponse, JsonResponse
from django.urls import URLPattern, reverse
from django.utils.translation import gettext as _
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.filters import OrderingFilter
from rest_framework.request import Request
from rest_framework.response import Response

from edudx.core.api_views import PolicyScopedViewSet
from edudx.registry.api import Student

from ..models import Transcript, TranscriptSignature, TranscriptStatus
from ..selectors.transcripts import family_q, transcript_classes
from ..services import transcripts as services
from ..services.transcripts import verification_url


class TranscriptSignatureSerializer(serializers.ModelSerializer):
    class Meta:
        model = TranscriptSignature
        fields = ["role", "signer_name", "certificate_subject", "certificate_serial", "signed_at", "sha256_after"]


class TranscriptSerializer(serializers.ModelSerializer):
    student_name = serializers.CharField(source="student.person.full_name", read_only=True)
    student_moet_code = serializers.CharField(source="student.moet_code", read_only=True)
    class_name = serializers.CharField(source="school_class.name", read_only=True)
    school_name = serializers.CharField(source="school.name", read_only=True)
    year_code = serializers.CharField(source="year.code", read_only=True)
    signatures = TranscriptSignatureSerializer(many=True, read_only=True)
    verification_url = serializers.SerializerMethodField()
    pdf_url = serializers.SerializerMethodField()
    json_url = serializers.SerializerMethodField()

    class Meta:
        model = Transcript
        fields = [
            "id", "student", "student_name", "student_moet_code", "school_class", "class_name", "school",
            "school_name", "year", "year_code", "version", "status", "sha256", "correction_reason", "supersedes",
            "created_at", "sealed_at", "signatures", "verification_url", "pdf_url", "json_url",
        ]  # fmt: skip

    def get_verification_url(self, obj: Transcript) -> str:
        return verification_url(obj.token)

    def get_pdf_url(self, obj: Transcript) -> str:
        return reverse("transcript-pdf", args=[obj.pk])

    def get_json_url(self, obj: Transcript) -> str:
        return reverse("transcript-document", args=[obj.pk])


class TranscriptFilter(filters.FilterSet):
    school = filters.NumberFilter(field_name="school_id", label="Trường (id)")
    school_class = filters.NumberFilter(field_name="school_class_id", label="Lớp (id)")
    student = filters.NumberFilter(field_name="student_id", label="Học sinh (id)")
    year = filters.NumberFilter(field_name="year_id", label="Năm học (id)")
    status = filters.ChoiceFilter(choices=TranscriptStatus.choices, label="Trạng thái")

    class Meta:
        model = Transcript
        fields = ["school", "school_class", "student", "year", "status"]


class TranscriptGenerateSerializer(serializers.Serializer):
    student = serializers.IntegerField(help_text="id của học sinh (thành viên của lớp)")

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        # "class" is a Python keyword, so it cannot be declared as an attribute.
        fields["class"] = serializers.IntegerField(help_text="id của lớp (năm học của học bạ là năm học của lớp)")
        return fields


class TranscriptSignSerializer(serializers.Serializer):
    role = serializers.ChoiceField(
        choices=[("homeroom", "homeroom"), ("principal", "principal"), ("seal", "seal")],
        help_text="homeroom: giáo viên chủ nhiệm ký; principal: hiệu trưởng ký; seal: chữ ký số của nhà trường",
    )


class TranscriptCorrectSerializer(serializers.Serializer):
    reason = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="Lý do đính chính (bắt buộc, ít nhất 10 ký tự)"
    )


class TranscriptViewSet(PolicyScopedViewSet):
    """Học bạ số the caller may see: the school's staff and the homeroom teacher every version, families the
    sealed ones. The PDF (``/pdf/``) is the signed file; ``/document/`` is the ``edudx.hocba/1`` JSON."""

    queryset = Transcript.objects.all()
    serializer_class = TranscriptSerializer
    filterset_class = TranscriptFilter
    filter_backends = [filters.DjangoFilterBackend, OrderingFilter]
    ordering_fields = ["created_at", "version", "sealed_at"]
    ordering = ["-created_at", "-id"]

    def base_queryset(self) -> QuerySet[Transcript]:
        return (
            Transcript.objects.filter(family_q(self.actor))
            .defer("pdf", "data")
            .select_related("student__person", "school_class", "school", "year")
            .prefetch_related("signatures")
        )

    @extend_schema(responses={(200, "application/pdf"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"])
    def pdf(self, request: Any, pk: Any = None) -> HttpResponse:
        transcript = self.get_object()
        response = HttpResponse(bytes(transcript.pdf), content_type="application/pdf")
        name = f"hoc-ba-{transcript.student.moet_code}-{transcript.year.code}-v{transcript.version}.pdf"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    @action(detail=True, methods=["get"])
    def document(self, request: Any, pk: Any = None) -> JsonResponse:
        transcript = self.get_object()
        return JsonResponse(transcript.data, json_dumps_params={"ensure_ascii": False})

    def _answer(self, transcript: Transcript, code: int = status.HTTP_200_OK) -> Response:
        return Response(TranscriptSerializer(self.get_queryset().get(pk=transcript.pk)).data, status=code)

    @extend_schema(
        request=TranscriptGenerateSerializer, responses={200: TranscriptSerializer, 201: TranscriptSerializer}
    )
    @action(detail=False, methods=["post"])
    def generate(self, request: Request) -> Response:
        """Create the student's học bạ of the class's year as a draft (201), or remake the unsigned draft (200)."""
        body = TranscriptGenerateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        school_class = transcript_classes(actor=self.actor).filter(pk=body.validated_data["class"]).first()
        if school_class is None:
            raise NotFound(_("Không tìm thấy lớp."))
        membership = (
            school_class.memberships.select_related("student__person")
            .filter(student_id=body.validated_data["student"])
            .first()
        )
        if membership is None:
            raise NotFound(_("Không tìm thấy học sinh trong lớp %(name)s.") % {"name": school_class.name})
        student: Student = membership.student
        existed = Transcript.objects.filter(student=student, school_class=school_class).exists()
        transcript = services.generate_transcript(actor=self.actor, student=student, school_class=school_class)
        return self._answer(transcript, status.HTTP_200_OK if existed else status.HTTP_201_CREATED)

    @extend_schema(request=TranscriptSignSerializer, responses={200: TranscriptSerializer})
    @action(detail=True, methods=["post"])
    def sign(self, request: Request, pk: Any = None) -> Response:
        """Add the next signature: the homeroom teacher's, then the principal's, then the school's seal."""
        transcript = self.get_object()
        body = TranscriptSignSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        signed = services.SIGNERS[body.validated_data["role"]](actor=self.actor, transcript=transcript)
        return self._answer(signed)

    @extend_schema(request=TranscriptCorrectSerializer, responses={201: TranscriptSerializer})
    @action(detail=True, methods=["post"])
    def correct(self, request: Request, pk: Any = None) -> Response:
        """Open version n+1 of a sealed học bạ, regenerated from the current results, with the reason."""
        transcript = self.get_object()
        body = TranscriptCorrectSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        correction = services.correct_transcript(
            actor=self.actor, transcript=transcript, reason=body.validated_data["reason"]
        )
        return self._answer(correction, status.HTTP_201_CREATED)


ROUTES: list[tuple[str, Any, str]] = [("transcripts", TranscriptViewSet, "transcript")]
urlpatterns: list[URLPattern] = []
