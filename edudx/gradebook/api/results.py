"""REST API of results. `ROUTES` are (prefix, viewset, basename) for the router; `urlpatterns` plain paths.

``/api/v1/gradebook/year-results/`` and ``/api/v1/gradebook/subject-results/`` are read-only and scoped by
``YearResultPolicy`` / ``SubjectResultPolicy`` (a guardian sees their child's rows only), filtered by class,
student and school year. ``/api/v1/gradebook/results/stats/`` gives holders of ``gradestats.view`` the
distribution of year levels per school of their subtree: counts only, never a student.

Writes go through the same services as the pages. ``/api/v1/gradebook/classes/{id}/`` is a class whose grades the
caller may see, with its lock state and sheets; its actions ``lock/``, ``unlock/`` (with a reason),
``reopen-sheet/`` and ``compute/`` are the principal's (compute also the homeroom teacher's). A year result's
actions ``title/``, ``retest/``, ``summer-conduct/`` and ``exemplary/`` record the decisions after the year.
Refusals answer ``{"detail", "code"}`` in Vietnamese: 400 invalid, 403 not allowed, 404 outside the caller's
scope, 409 a conflict with the current state (already locked, results stale since an unlock, ...).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, QuerySet
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.filters import OrderingFilter
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from edudx.core.api import Actor, ValidationFailed, policy_for
from edudx.core.api_views import PolicyScopedViewSet
from edudx.registry.api import SchoolClass, SchoolYear, Subject

from ..models import ClassSemesterLock, ScoreSheet, SubjectResult, YearResult
from ..selectors import results as selectors
from ..services import locking
from ..services import results as services


class YearResultSerializer(serializers.ModelSerializer):
    student_name = serializers.CharField(source="student.person.full_name", read_only=True)
    student_moet_code = serializers.CharField(source="student.moet_code", read_only=True)
    class_name = serializers.CharField(source="school_class.name", read_only=True)
    school_year = serializers.CharField(source="school_class.year.code", read_only=True)
    rule_set = serializers.CharField(source="rule_set.code", read_only=True)
    stale = serializers.SerializerMethodField()

    class Meta:
        model = YearResult
        fields = [
            "id", "student", "student_name", "student_moet_code", "school_class", "class_name", "school_year", "rule_set",
            "learning_1", "learning_2", "learning_year", "learning_adjusted", "conduct_1", "conduct_2",
            "conduct_year", "absences", "summer_conduct", "promotion", "completes_level", "title_proposed",
            "title_confirmed", "classification", "exemplary", "computed_at", "stale",
        ]  # fmt: skip
        read_only_fields = fields

    def get_stale(self, obj: YearResult) -> bool:
        return bool((obj.details or {}).get("stale"))


class SubjectResultSerializer(serializers.ModelSerializer):
    subject_code = serializers.CharField(source="subject.code", read_only=True)
    subject_name = serializers.CharField(source="subject.name", read_only=True)
    kind = serializers.CharField(read_only=True, help_text="scored | comment | primary")
    school_year = serializers.CharField(source="school_class.year.code", read_only=True)

    class Meta:
        model = SubjectResult
        fields = [
            "id", "student", "school_class", "school_year", "subject", "subject_code", "subject_name", "kind",
            "semester_1", "semester_2", "year", "semester_1_result", "semester_2_result", "year_result", "retest",
            "test_score", "computed_at",
        ]  # fmt: skip
        read_only_fields = fields


class _ResultFilter(filters.FilterSet):
    school_class = filters.NumberFilter(field_name="school_class_id", label="Lớp (id)")
    student = filters.NumberFilter(field_name="student_id", label="Học sinh (id)")
    year = filters.NumberFilter(field_name="school_class__year_id", label="Năm học (id)")


class YearResultFilter(_ResultFilter):
    class Meta:
        model = YearResult
        fields = ["school_class", "student", "year"]


class SubjectResultFilter(_ResultFilter):
    class Meta:
        model = SubjectResult
        fields = ["school_class", "student", "year"]


def _body(serializer_class: type[serializers.Serializer], request: Request) -> dict[str, Any]:
    body = serializer_class(data=request.data)
    body.is_valid(raise_exception=True)
    return dict(body.validated_data)


class TitleWriteSerializer(serializers.Serializer):
    title = serializers.CharField(
        allow_blank=True,
        help_text="Mã danh hiệu được khen (danh hiệu đề xuất, hoặc gioi thay cho xuat_sac); để trống: không khen",
    )


class RetestWriteSerializer(serializers.Serializer):
    subject = serializers.CharField(help_text="Mã môn thuộc diện kiểm tra, đánh giá lại, ví dụ TOAN")
    value = serializers.CharField(
        allow_blank=True, help_text="Điểm (môn tính điểm, TT27: điểm nguyên) hoặc Đ/CĐ như khi gõ; để trống để xoá"
    )


class SummerConductWriteSerializer(serializers.Serializer):
    level = serializers.CharField(
        allow_blank=True, help_text="Mức rèn luyện sau rèn luyện hè (THCS, TT22 Điều 13) như khi gõ; để trống để xoá"
    )


class ExemplaryWriteSerializer(serializers.Serializer):
    flag = serializers.BooleanField(help_text="Lớp ghi nhận học sinh tiêu biểu (tiểu học, TT27 Điều 13)")


class YearResultViewSet(PolicyScopedViewSet):
    """Year results (levels, promotion, titles, TT27 classification) the caller may see, and the decisions taken
    after the year (title, re-assessment, summer rèn luyện, "tiêu biểu"), each through its service."""

    queryset = YearResult.objects.all()
    serializer_class = YearResultSerializer
    filterset_class = YearResultFilter
    filter_backends = [filters.DjangoFilterBackend, OrderingFilter]
    ordering_fields = ["student__person__search_name", "computed_at"]
    ordering = ["school_class_id", "student__person__search_name", "id"]

    def base_queryset(self) -> QuerySet[YearResult]:
        return super().base_queryset().select_related("student__person", "school_class__year", "rule_set")

    def _answer(self, row: YearResult) -> Response:
        return Response(YearResultSerializer(self.get_queryset().get(pk=row.pk)).data)

    @extend_schema(request=TitleWriteSerializer, responses={200: YearResultSerializer})
    @action(detail=True, methods=["post"])
    def title(self, request: Request, pk: str | None = None) -> Response:
        """The principal's decision on the title (Giấy khen) proposed by the computation."""
        result = self.get_object()
        data = _body(TitleWriteSerializer, request)
        return self._answer(services.confirm_title(actor=self.actor, year_result=result, title=data["title"]))

    @extend_schema(request=RetestWriteSerializer, responses={200: YearResultSerializer})
    @action(detail=True, methods=["post"])
    def retest(self, request: Request, pk: str | None = None) -> Response:
        """Record (or clear) a re-assessment result of one subject; the year result is recomputed."""
        result = self.get_object()
        data = _body(RetestWriteSerializer, request)
        code = data["subject"].strip().upper()
        subject = Subject.objects.filter(code=code).first()
        if subject is None:
            raise ValidationFailed(_("Không có môn học mã %(code)s.") % {"code": code}, code="subject_unknown")
        row = services.record_retest(
            actor=self.actor,
            student=result.student,
            school_class=result.school_class,
            subject=subject,
            raw=data["value"],
        )
        return self._answer(row)

    @extend_schema(request=SummerConductWriteSerializer, responses={200: YearResultSerializer})
    @action(detail=True, methods=["post"], url_path="summer-conduct")
    def summer_conduct(self, request: Request, pk: str | None = None) -> Response:
        """Record (or clear) the rèn luyện level re-evaluated after summer training; the year result is recomputed."""
        result = self.get_object()
        data = _body(SummerConductWriteSerializer, request)
        row = services.record_summer_conduct(
            actor=self.actor, student=result.student, school_class=result.school_class, level=data["level"]
        )
        return self._answer(row)

    @extend_schema(request=ExemplaryWriteSerializer, responses={200: YearResultSerializer})
    @action(detail=True, methods=["post"])
    def exemplary(self, request: Request, pk: str | None = None) -> Response:
        """Record whether the class recognises the pupil as "tiêu biểu" (primary schools)."""
        result = self.get_object()
        data = _body(ExemplaryWriteSerializer, request)
        return self._answer(services.set_exemplary(actor=self.actor, year_result=result, flag=data["flag"]))


class SubjectResultViewSet(PolicyScopedViewSet):
    """Subject results (ĐTB môn or levels, re-assessment, TT27 test score) the caller may see."""

    queryset = SubjectResult.objects.all()
    serializer_class = SubjectResultSerializer
    filterset_class = SubjectResultFilter
    filter_backends = [filters.DjangoFilterBackend, OrderingFilter]
    ordering_fields = ["subject__name", "computed_at"]
    ordering = ["school_class_id", "student_id", "subject_id", "id"]

    def base_queryset(self) -> QuerySet[SubjectResult]:
        return super().base_queryset().select_related("subject", "school_class__year")


class DistributionItemSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()
    count = serializers.IntegerField()
    percent = serializers.FloatField()


class SchoolStatsSerializer(serializers.Serializer):
    school = serializers.IntegerField()
    school_name = serializers.CharField()
    circular = serializers.CharField()
    total = serializers.IntegerField()
    distribution = DistributionItemSerializer(many=True)


class SchoolStatsApi(APIView):
    """Distribution of year học tập levels (THCS) or year-end classifications (TH) per school (``gradestats.view``)."""

    @extend_schema(
        parameters=[
            OpenApiParameter("year", int, description="Năm học (id); mặc định năm học hiện tại"),
            OpenApiParameter("school", int, description="Chỉ một trường (id)"),
        ],
        responses=SchoolStatsSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        actor = Actor(user=request.user)
        if not actor.subtree_paths("gradestats.view"):
            raise PermissionDenied("Bạn không có quyền xem thống kê kết quả học tập.")
        raw_year = request.query_params.get("year", "")
        year = (
            SchoolYear.objects.filter(pk=int(raw_year)).first()
            if raw_year.isdigit()
            else SchoolYear.objects.filter(is_current=True).first()
        )
        if year is None:
            raise NotFound("Không tìm thấy năm học.")
        raw_school = request.query_params.get("school", "")
        school = None
        if raw_school.isdigit():
            school = selectors.stats_schools(actor).filter(pk=int(raw_school)).first()
            if school is None:
                raise NotFound("Không tìm thấy trường.")
        rows = selectors.school_stats(actor=actor, year=year, school=school)
        data: list[dict[str, Any]] = [
            {
                "school": s.school.pk,
                "school_name": s.school.name,
                "circular": s.circular,
                "total": s.total,
                "distribution": [
                    {"code": code, "label": label, "count": count, "percent": percent}
                    for code, label, count, percent in s.distribution
                ],
            }
            for s in rows
        ]
        return Response(SchoolStatsSerializer(data, many=True).data)


class SheetStateSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    semester = serializers.IntegerField()
    kind = serializers.CharField(help_text="subject (sổ môn học) hoặc homeroom (sổ chủ nhiệm)")
    subject = serializers.CharField(allow_blank=True, help_text="Mã môn; trống với sổ chủ nhiệm")
    status = serializers.CharField(help_text="open (đang nhập), submitted (đã nộp), locked (đã khoá)")
    submitted_at = serializers.DateTimeField(allow_null=True)


class ResultClassSerializer(serializers.ModelSerializer):
    school_name = serializers.CharField(source="school.name", read_only=True)
    year_code = serializers.CharField(source="year.code", read_only=True)
    grade = serializers.CharField(source="grade.code", read_only=True)
    homeroom_teacher = serializers.CharField(
        source="homeroom_teacher.person.full_name", read_only=True, allow_null=True, default=None
    )
    locked_1 = serializers.BooleanField(read_only=True, help_text="Học kì I đã khoá sổ")
    locked_2 = serializers.BooleanField(read_only=True, help_text="Học kì II đã khoá sổ")

    class Meta:
        model = SchoolClass
        fields = ["id", "name", "school", "school_name", "year", "year_code", "grade", "homeroom_teacher",
                  "locked_1", "locked_2"]  # fmt: skip
        read_only_fields = fields


class ResultClassDetailSerializer(ResultClassSerializer):
    sheets = serializers.SerializerMethodField()

    class Meta(ResultClassSerializer.Meta):
        fields = [*ResultClassSerializer.Meta.fields, "sheets"]
        read_only_fields = fields

    @extend_schema_field(SheetStateSerializer(many=True))
    def get_sheets(self, obj: SchoolClass) -> list[dict[str, Any]]:
        by_semester = selectors.sheet_statuses(obj)
        return [
            {
                "id": sheet.pk,
                "semester": sheet.semester,
                "kind": sheet.kind,
                "subject": sheet.subject.code if sheet.subject else "",
                "status": sheet.status,
                "submitted_at": sheet.submitted_at,
            }
            for semester in (1, 2)
            for sheet in by_semester[semester]
        ]


class SemesterWriteSerializer(serializers.Serializer):
    semester = serializers.IntegerField(help_text="Học kì: 1 hoặc 2")


class UnlockWriteSerializer(SemesterWriteSerializer):
    reason = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="Lý do mở khoá (bắt buộc, ít nhất 10 ký tự)"
    )


class ReopenWriteSerializer(serializers.Serializer):
    sheet = serializers.IntegerField(help_text="id của sổ điểm đã nộp của lớp")
    reason = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="Lý do trả sổ (bắt buộc, ít nhất 10 ký tự)"
    )


class LevelCountSerializer(serializers.Serializer):
    code = serializers.CharField()
    count = serializers.IntegerField()


class ComputeSummarySerializer(serializers.Serializer):
    school_class = serializers.IntegerField()
    semesters = serializers.ListField(child=serializers.IntegerField(), help_text="Các học kì đã khoá được tính")
    count = serializers.IntegerField(help_text="Số học sinh có kết quả")
    levels = LevelCountSerializer(
        many=True,
        help_text="Số học sinh theo mức: cả năm (hoặc học kì I khi mới khoá học kì I); tiểu học theo mức hoàn thành",
    )
    promotion = LevelCountSerializer(many=True, help_text="Số học sinh theo kết quả lên lớp (khi đã có cả năm)")
    results = YearResultSerializer(many=True)


class ResultClassFilter(filters.FilterSet):
    school = filters.NumberFilter(field_name="school_id", label="Trường (id)")
    year = filters.NumberFilter(field_name="year_id", label="Năm học (id)")

    class Meta:
        model = SchoolClass
        fields = ["school", "year"]


def _counts(values: list[str]) -> list[dict[str, Any]]:
    counts: dict[str, int] = {}
    for value in values:
        if value:
            counts[value] = counts.get(value, 0) + 1
    return [{"code": code, "count": count} for code, count in sorted(counts.items())]


class ResultClassViewSet(PolicyScopedViewSet):
    """Classes whose grades the caller may see, with their lock state; locking, unlocking, sending a sheet back
    and computing the results go through the services (the principal's; computing also the homeroom teacher's)."""

    queryset = SchoolClass.objects.all()
    serializer_class = ResultClassSerializer
    filterset_class = ResultClassFilter
    filter_backends = [filters.DjangoFilterBackend, OrderingFilter]
    ordering_fields = ["name"]
    ordering = ["school__name", "grade__order", "name", "id"]

    def base_queryset(self) -> QuerySet[SchoolClass]:
        locked = ClassSemesterLock.objects.filter(school_class=OuterRef("pk"), locked=True)
        return selectors.result_class_list(actor=self.actor).annotate(
            locked_1=Exists(locked.filter(semester=1)), locked_2=Exists(locked.filter(semester=2))
        )

    def get_serializer_class(self) -> Any:
        return ResultClassSerializer if self.action == "list" else ResultClassDetailSerializer

    def _state(self) -> Response:
        return Response(ResultClassDetailSerializer(self.get_object()).data)

    @extend_schema(request=SemesterWriteSerializer, responses={200: ResultClassDetailSerializer})
    @action(detail=True, methods=["post"])
    def lock(self, request: Request, pk: str | None = None) -> Response:
        """Lock every sheet of the semester; refused (400, ``errors.missing``) while a sheet is not submitted."""
        school_class = self.get_object()
        data = _body(SemesterWriteSerializer, request)
        locking.lock_semester(actor=self.actor, school_class=school_class, semester=data["semester"])
        return self._state()

    @extend_schema(request=UnlockWriteSerializer, responses={200: ResultClassDetailSerializer})
    @action(detail=True, methods=["post"])
    def unlock(self, request: Request, pk: str | None = None) -> Response:
        """Open a locked semester again, with a written reason; computed results become stale."""
        school_class = self.get_object()
        data = _body(UnlockWriteSerializer, request)
        locking.unlock_semester(
            actor=self.actor, school_class=school_class, semester=data["semester"], reason=data["reason"]
        )
        return self._state()

    @extend_schema(request=ReopenWriteSerializer, responses={200: ResultClassDetailSerializer})
    @action(detail=True, methods=["post"], url_path="reopen-sheet")
    def reopen_sheet(self, request: Request, pk: str | None = None) -> Response:
        """Send one submitted sheet of the class back to its teacher while its semester is not locked."""
        school_class = self.get_object()
        data = _body(ReopenWriteSerializer, request)
        sheet = (
            policy_for(ScoreSheet)
            .visible(self.actor)
            .filter(pk=data["sheet"], school_class=school_class)
            .select_related("school_class__school", "school_class__year", "subject")
            .first()
        )
        if sheet is None:
            raise NotFound(_("Không tìm thấy sổ điểm này trong lớp %(name)s.") % {"name": school_class.name})
        locking.reopen_sheet(actor=self.actor, sheet=sheet, reason=data["reason"])
        return self._state()

    @extend_schema(request=None, responses={200: ComputeSummarySerializer})
    @action(detail=True, methods=["post"])
    def compute(self, request: Request, pk: str | None = None) -> Response:
        """Compute the results of every student from the locked sheets (semester I, or the whole year)."""
        school_class = self.get_object()
        computed = services.compute_class_results(actor=self.actor, school_class=school_class)
        rows = list(
            policy_for(YearResult)
            .visible(self.actor)
            .filter(pk__in=[row.pk for row in computed])
            .select_related("student__person", "school_class__year", "rule_set")
            .order_by("student__person__search_name", "id")
        )
        whole_year = any(row.learning_year or row.classification for row in rows)
        data = {
            "school_class": school_class.pk,
            "semesters": sorted(services.locked_semesters(school_class)),
            "count": len(rows),
            "levels": _counts(
                [row.classification or (row.learning_year if whole_year else row.learning_1) for row in rows]
            ),
            "promotion": _counts([row.promotion for row in rows]),
            "results": YearResultSerializer(rows, many=True).data,
        }
        return Response(data)


ROUTES: list[tuple[str, Any, str]] = [
    ("gradebook/classes", ResultClassViewSet, "result-class"),
    ("gradebook/year-results", YearResultViewSet, "year-result"),
    ("gradebook/subject-results", SubjectResultViewSet, "subject-result"),
]
urlpatterns: list[URLPattern] = [path("results/stats/", SchoolStatsApi.as_view(), name="results-stats")]
