"""REST API of the gradebook: setup. `ROUTES` are (prefix, viewset, basename) for the router; `urlpatterns` plain paths.

Read-only: the rule-set versions (their data exactly as stored, ``rulesets.to_data``) and the curriculum with the
number of regular assessments per semester derived by the rule set in force today. Anyone with a role reads them.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.urls import URLPattern
from django.utils import timezone
from django_filters import rest_framework as filters
from rest_framework import serializers

from edudx.core.api import DomainError
from edudx.core.api_views import PolicyScopedViewSet

from ..curriculum import rule_set_version_for, tt22_rules
from ..enums import Circular
from ..models import GradeSubject, RuleSetVersion, SubjectKind
from ..rules import required_regular_count


class RuleSetVersionSerializer(serializers.ModelSerializer):
    created_by = serializers.CharField(source="created_by.full_name", default="", read_only=True)

    class Meta:
        model = RuleSetVersion
        fields = ["id", "circular", "code", "version", "valid_from", "valid_to", "reason", "created_by", "created_at",
                  "data"]  # fmt: skip


class RuleSetVersionFilter(filters.FilterSet):
    circular = filters.ChoiceFilter(choices=Circular.choices, label="Thông tư")
    code = filters.CharFilter(label="Mã bộ quy tắc")

    class Meta:
        model = RuleSetVersion
        fields = ["circular", "code"]


class RuleSetVersionViewSet(PolicyScopedViewSet):
    """Every version of the assessment rule sets (never edited: a change is a new version)."""

    queryset = RuleSetVersion.objects.all()
    serializer_class = RuleSetVersionSerializer
    filterset_class = RuleSetVersionFilter
    ordering = ["circular", "code", "-version"]

    def base_queryset(self) -> QuerySet[RuleSetVersion]:
        return RuleSetVersion.objects.select_related("created_by").order_by("circular", "code", "-version")


class GradeSubjectSerializer(serializers.ModelSerializer):
    grade = serializers.CharField(source="grade.code", read_only=True)
    subject = serializers.CharField(source="subject.code", read_only=True)
    subject_name = serializers.CharField(source="subject.name", read_only=True)
    regular_count = serializers.SerializerMethodField(
        help_text="Số lần ĐGTX mỗi học kì (THCS), theo bộ quy tắc hiện hành"
    )

    class Meta:
        model = GradeSubject
        fields = ["id", "grade", "subject", "subject_name", "kind", "periods_per_year", "order", "regular_count"]

    def get_regular_count(self, entry: GradeSubject) -> int | None:
        if entry.kind == SubjectKind.PRIMARY:
            return None
        cache: dict[str, Any] = self.context.setdefault("_tt22", {})
        if "rules" not in cache:
            try:
                cache["rules"] = tt22_rules(rule_set_version_for(Circular.TT22_2021, timezone.localdate()))
            except DomainError:  # no rule set in force: the count is unknown
                cache["rules"] = None
        if cache["rules"] is None:
            return None
        return required_regular_count(
            periods_per_year=entry.periods_per_year, rules=cache["rules"], scored=entry.kind == SubjectKind.SCORED
        )


class GradeSubjectFilter(filters.FilterSet):
    grade = filters.CharFilter(field_name="grade__code", label="Khối (mã, ví dụ 6)")

    class Meta:
        model = GradeSubject
        fields = ["grade"]


class GradeSubjectViewSet(PolicyScopedViewSet):
    """The curriculum: subjects of each grade, how they are assessed, periods a year."""

    queryset = GradeSubject.objects.all()
    serializer_class = GradeSubjectSerializer
    filterset_class = GradeSubjectFilter

    def base_queryset(self) -> QuerySet[GradeSubject]:
        return GradeSubject.objects.select_related("grade", "subject").order_by("grade__order", "order", "pk")


ROUTES: list[tuple[str, Any, str]] = [
    ("gradebook/rule-sets", RuleSetVersionViewSet, "gradebook-ruleset"),
    ("gradebook/curriculum", GradeSubjectViewSet, "gradebook-curriculum"),
]
urlpatterns: list[URLPattern] = []
