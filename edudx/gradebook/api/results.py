"""REST API of results. `ROUTES` are (prefix, viewset, basename) for the router; `urlpatterns` plain paths.

``/api/v1/gradebook/year-results/`` and ``/api/v1/gradebook/subject-results/`` are read-only and scoped by
``YearResultPolicy`` / ``SubjectResultPolicy`` (a guardian sees their child's rows only), filtered by class,
student and school year. ``/api/v1/gradebook/results/stats/`` gives holders of ``gradestats.view`` the
distribution of year levels per school of their subtree: counts only, never a student.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.urls import URLPattern, path
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.filters import OrderingFilter
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from edudx.core.api import Actor
from edudx.core.api_views import PolicyScopedViewSet
from edudx.registry.api import SchoolYear

from ..models import SubjectResult, YearResult
from ..selectors import results as selectors


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


class YearResultViewSet(PolicyScopedViewSet):
    """Year results (levels, promotion, titles, TT27 classification) the caller may see."""

    queryset = YearResult.objects.all()
    serializer_class = YearResultSerializer
    filterset_class = YearResultFilter
    filter_backends = [filters.DjangoFilterBackend, OrderingFilter]
    ordering_fields = ["student__person__search_name", "computed_at"]
    ordering = ["school_class_id", "student__person__search_name", "id"]

    def base_queryset(self) -> QuerySet[YearResult]:
        return super().base_queryset().select_related("student__person", "school_class__year", "rule_set")


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


ROUTES: list[tuple[str, Any, str]] = [
    ("gradebook/year-results", YearResultViewSet, "year-result"),
    ("gradebook/subject-results", SubjectResultViewSet, "subject-result"),
]
urlpatterns: list[URLPattern] = [path("results/stats/", SchoolStatsApi.as_view(), name="results-stats")]
