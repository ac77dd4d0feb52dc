"""REST API of the gradebook: entry. `ROUTES` are (prefix, viewset, basename) for the router; `urlpatterns` plain paths.

``/api/v1/gradebook/sheets/`` lists the score sheets the caller may see (``grade.view``); a sheet's detail adds
its students and cells. ``POST``/``PATCH /api/v1/gradebook/sheets/{id}/cell/`` sets one cell through the same
service as the grid: 403 without ``grade.enter`` or on a locked sheet, 400 for an invalid value, 409 with the
Vietnamese message (who changed it, when, the current value) when ``expected_version`` is stale.
``POST /api/v1/gradebook/sheets/{id}/submit/`` hands the sheet in (open → submitted) through the same service as
the page: 400 while a required cell is empty (the message names the students) or when already submitted.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.urls import URLPattern
from django.utils.translation import gettext as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from edudx.core.api import ValidationFailed
from edudx.core.api_views import PolicyScopedViewSet
from edudx.registry.api import Student

from ..models import ScoreSheet, SheetKind, SheetStatus
from ..selectors.entry import cell_payload, sheet_grid, student_average
from ..services.entry import save_cell, submit_sheet


class ScoreSheetSerializer(serializers.ModelSerializer):
    school_class = serializers.IntegerField(source="school_class_id", read_only=True)
    class_name = serializers.CharField(source="school_class.name", read_only=True)
    school = serializers.IntegerField(source="school_class.school_id", read_only=True)
    year = serializers.CharField(source="school_class.year.code", read_only=True)
    subject = serializers.SerializerMethodField()
    columns = serializers.JSONField(read_only=True)
    # Plain strings, not enums: the names "kind" and "status" already name other choice sets in the schema.
    kind = serializers.CharField(read_only=True, help_text="subject (sổ môn học) hoặc homeroom (sổ chủ nhiệm)")
    status = serializers.CharField(read_only=True, help_text="open (đang nhập), submitted (đã nộp), locked (đã khoá)")

    class Meta:
        model = ScoreSheet
        fields = ["id", "school_class", "class_name", "school", "year", "subject", "kind", "semester", "status",
                  "submitted_at", "columns"]  # fmt: skip
        read_only_fields = fields

    def get_subject(self, obj: ScoreSheet) -> dict[str, str] | None:
        if obj.subject is None:
            return None
        return {"code": obj.subject.code, "name": obj.subject.name}


class CellSerializer(serializers.Serializer):
    value = serializers.CharField(allow_blank=True)
    display = serializers.CharField(allow_blank=True)
    version = serializers.IntegerField()


class GridRowSerializer(serializers.Serializer):
    student = serializers.IntegerField()
    code = serializers.CharField(help_text="Mã học sinh")
    name = serializers.CharField()
    cells = serializers.DictField(child=CellSerializer(), help_text="Theo mã cột")
    average = serializers.CharField(allow_blank=True, help_text="ĐTBmhk (TT22, môn tính điểm) khi đủ điểm")


class ScoreSheetDetailSerializer(ScoreSheetSerializer):
    rows = serializers.SerializerMethodField()

    class Meta(ScoreSheetSerializer.Meta):
        fields = [*ScoreSheetSerializer.Meta.fields, "rows"]
        read_only_fields = fields

    @extend_schema_field(GridRowSerializer(many=True))
    def get_rows(self, obj: ScoreSheet) -> list[dict[str, Any]]:
        return sheet_grid(sheet=obj).as_json()["rows"]  # type: ignore[no-any-return]


class CellWriteSerializer(serializers.Serializer):
    student = serializers.IntegerField(help_text="id của học sinh (thành viên hiện tại của lớp)")
    column = serializers.CharField(help_text="Mã cột, ví dụ tx1, gk, ck, nx")
    value = serializers.CharField(allow_blank=True, help_text="Giá trị như khi gõ; để trống để xoá ô")
    expected_version = serializers.IntegerField(
        required=False, allow_null=True, help_text="Phiên bản của ô khi đọc; 0 hoặc bỏ trống nếu ô chưa có"
    )


class CellSavedSerializer(serializers.Serializer):
    student = serializers.IntegerField()
    column = serializers.CharField()
    cell = CellSerializer()
    average = serializers.CharField(allow_blank=True, allow_null=True)


class ScoreSheetFilter(filters.FilterSet):
    school_class = filters.NumberFilter(field_name="school_class_id", label="Lớp (id)")
    semester = filters.TypedChoiceFilter(choices=[(1, "1"), (2, "2")], coerce=int, label="Học kì")
    kind = filters.ChoiceFilter(choices=SheetKind.choices, label="Loại sổ")
    status = filters.ChoiceFilter(choices=SheetStatus.choices, label="Trạng thái")
    subject = filters.CharFilter(field_name="subject__code", label="Môn (mã, ví dụ TOAN)")

    class Meta:
        model = ScoreSheet
        fields = ["school_class", "semester", "kind", "status", "subject"]


class ScoreSheetViewSet(PolicyScopedViewSet):
    """Score sheets the caller may see; the detail holds every current student's cells."""

    queryset = ScoreSheet.objects.all()
    serializer_class = ScoreSheetSerializer
    filterset_class = ScoreSheetFilter
    ordering_fields = ["semester", "school_class__name"]
    ordering = ["school_class__name", "semester", "kind", "subject__name", "id"]

    def base_queryset(self) -> QuerySet[ScoreSheet]:
        return self.queryset.select_related("school_class__year", "school_class__school", "subject", "rule_set")

    def get_serializer_class(self) -> Any:
        if self.action == "retrieve":
            return ScoreSheetDetailSerializer
        if self.action == "cell":
            return CellWriteSerializer
        return super().get_serializer_class()

    @extend_schema(request=CellWriteSerializer, responses={200: CellSavedSerializer})
    @action(detail=True, methods=["post", "patch"], url_path="cell")
    def cell(self, request: Request, pk: str | None = None) -> Response:
        """Set one cell with its expected version (409 when somebody else saved it in between)."""
        sheet = self.get_object()  # among the visible sheets, else 404
        body = CellWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        student = (
            Student.objects.filter(
                pk=data["student"], memberships__school_class=sheet.school_class, memberships__left_on__isnull=True
            )
            .select_related("person")
            .first()
        )
        if student is None:
            raise ValidationFailed(
                _("Học sinh không (còn) học lớp %(class)s.") % {"class": sheet.school_class.name},
                code="student_not_in_class",
            )
        cell = save_cell(
            actor=self.actor,
            sheet=sheet,
            student=student,
            column=data["column"],
            raw=data["value"],
            expected_version=data.get("expected_version"),
        )
        column_type = next((c["type"] for c in sheet.columns if c["code"] == cell.column), "text")
        average = student_average(sheet, student.pk)
        return Response(
            {
                "student": student.pk,
                "column": cell.column,
                "cell": cell_payload(cell, column_type) if cell.version else {"value": "", "display": "", "version": 0},
                "average": str(average).replace(".", ",") if average is not None else None,
            }
        )

    @extend_schema(request=None, responses={200: ScoreSheetSerializer})
    @action(detail=True, methods=["post"])
    def submit(self, request: Request, pk: str | None = None) -> Response:
        """Hand the sheet in for the semester; refused while a current student lacks a required score."""
        sheet = self.get_object()  # among the visible sheets, else 404
        submitted = submit_sheet(actor=self.actor, sheet=sheet)
        return Response(ScoreSheetSerializer(self.get_queryset().get(pk=submitted.pk)).data)


ROUTES: list[tuple[str, Any, str]] = [("gradebook/sheets", ScoreSheetViewSet, "score-sheet")]
urlpatterns: list[URLPattern] = []
