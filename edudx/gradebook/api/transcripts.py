"""REST API of học bạ số: read-only list and detail (``transcript.view``) with download links, and the PDF and
JSON downloads as actions. `ROUTES` are (prefix, viewset, basename) for the router; `urlpatterns` plain paths.

Rows are those of ``TranscriptPolicy``; guardians and students get sealed versions only (``family_q``).
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import HttpResponse, JsonResponse
from django.urls import URLPattern, reverse
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.filters import OrderingFilter

from edudx.core.api_views import PolicyScopedViewSet

from ..models import Transcript, TranscriptSignature, TranscriptStatus
from ..selectors.transcripts import family_q
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


ROUTES: list[tuple[str, Any, str]] = [("transcripts", TranscriptViewSet, "transcript")]
urlpatterns: list[URLPattern] = []
