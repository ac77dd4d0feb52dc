"""Read endpoints of the registry: school years, classes, students, guardians, staff.

Every viewset derives from ``PolicyScopedViewSet``, so rows are those the registry policies let the
caller see; joins are declared in ``base_queryset`` so that a page costs the same few queries
whatever its length.
"""

from __future__ import annotations

from django.db.models import Count, IntegerField, OuterRef, Prefetch, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django_filters import rest_framework as filters
from rest_framework.filters import OrderingFilter

from edudx.core.api import SchoolLevel
from edudx.core.api_views import FoldedSearchFilter, PolicyScopedViewSet

from .enums import GuardianRelation, Qualification, StaffPosition, StudentStatus
from .models import ClassMembership, GuardianLink, SchoolClass, SchoolYear, StaffMember, Student
from .serializers import (
    GuardianSerializer,
    SchoolClassSerializer,
    SchoolYearSerializer,
    StaffMemberSerializer,
    StudentSerializer,
)

PERSON_FILTER_BACKENDS = [filters.DjangoFilterBackend, FoldedSearchFilter, OrderingFilter]


class SchoolYearFilter(filters.FilterSet):
    is_current = filters.BooleanFilter(label="Năm học hiện tại")

    class Meta:
        model = SchoolYear
        fields = ["is_current"]


class SchoolYearViewSet(PolicyScopedViewSet):
    """School years of the sector (reference data every user with a role may read)."""

    queryset = SchoolYear.objects.all()
    serializer_class = SchoolYearSerializer
    filterset_class = SchoolYearFilter
    search_fields = ["code"]
    ordering_fields = ["code", "starts_on"]
    ordering = ["-starts_on"]


class SchoolClassFilter(filters.FilterSet):
    school = filters.NumberFilter(field_name="school_id", label="Trường (id)")
    year = filters.NumberFilter(field_name="year_id", label="Năm học (id)")
    grade = filters.CharFilter(field_name="grade__code", label="Khối (mã, ví dụ 6)")
    level = filters.ChoiceFilter(field_name="grade__level", choices=SchoolLevel.choices, label="Cấp học")

    class Meta:
        model = SchoolClass
        fields = ["school", "year", "grade", "level"]


class SchoolClassViewSet(PolicyScopedViewSet):
    """Classes the caller may see (a teacher: the classes taught; a guardian: the children's)."""

    queryset = SchoolClass.objects.all()
    serializer_class = SchoolClassSerializer
    filterset_class = SchoolClassFilter
    search_fields = ["name"]
    ordering_fields = ["name", "grade__order", "year__starts_on"]
    ordering = ["school_id", "grade__order", "name", "id"]

    def base_queryset(self) -> QuerySet[SchoolClass]:
        # A subquery, not Count(): the policy may already join memberships, which would skew a join count.
        studying = (
            ClassMembership.objects.filter(school_class=OuterRef("pk"), left_on__isnull=True)
            .order_by()
            .values("school_class")
            .annotate(total=Count("pk"))
            .values("total")
        )
        return (
            super()
            .base_queryset()
            .select_related("school", "year", "grade", "homeroom_teacher__person")
            .annotate(student_count=Coalesce(Subquery(studying, output_field=IntegerField()), Value(0)))
        )


class StudentFilter(filters.FilterSet):
    school = filters.NumberFilter(field_name="school_id", label="Trường (id)")
    level = filters.ChoiceFilter(field_name="school__school_level", choices=SchoolLevel.choices, label="Cấp học")
    grade = filters.CharFilter(method="filter_grade", label="Khối đang học (mã, ví dụ 6)")
    year = filters.NumberFilter(field_name="memberships__school_class__year_id", label="Năm học (id)")
    status = filters.ChoiceFilter(choices=StudentStatus.choices, label="Tình trạng")

    class Meta:
        model = Student
        fields = ["school", "level", "grade", "year", "status"]

    def filter_class(self, queryset: QuerySet[Student], name: str, value: int) -> QuerySet[Student]:
        return queryset.filter(memberships__school_class_id=value, memberships__left_on__isnull=True)

    def filter_grade(self, queryset: QuerySet[Student], name: str, value: str) -> QuerySet[Student]:
        return queryset.filter(memberships__school_class__grade__code=value, memberships__left_on__isnull=True)


# ``class`` is a Python keyword, so the filter is attached under that query name after the class exists.
StudentFilter.base_filters["class"] = filters.NumberFilter(method="filter_class", label="Lớp đang học (id)")


class StudentViewSet(PolicyScopedViewSet):
    """Students the caller may see. The personal ID number is only ever given masked."""

    queryset = Student.objects.all()
    serializer_class = StudentSerializer
    filterset_class = StudentFilter
    filter_backends = PERSON_FILTER_BACKENDS
    search_fields = ["person__search_name", "moet_code"]
    ordering_fields = ["moet_code", "person__search_name", "enrolled_on"]
    ordering = ["school_id", "person__search_name", "id"]

    def base_queryset(self) -> QuerySet[Student]:
        current = ClassMembership.objects.filter(left_on__isnull=True).select_related("school_class").order_by("id")
        return (
            super()
            .base_queryset()
            .select_related("person", "school")
            .prefetch_related(Prefetch("memberships", queryset=current, to_attr="current_memberships"))
        )


class GuardianFilter(filters.FilterSet):
    school = filters.NumberFilter(field_name="student__school_id", label="Trường (id)")
    student = filters.NumberFilter(field_name="student_id", label="Học sinh (id)")
    relation = filters.ChoiceFilter(choices=GuardianRelation.choices, label="Quan hệ")

    class Meta:
        model = GuardianLink
        fields = ["school", "student", "relation"]

    def filter_class(self, queryset: QuerySet[GuardianLink], name: str, value: int) -> QuerySet[GuardianLink]:
        return queryset.filter(student__memberships__school_class_id=value, student__memberships__left_on__isnull=True)


GuardianFilter.base_filters["class"] = filters.NumberFilter(method="filter_class", label="Lớp của học sinh (id)")


class GuardianViewSet(PolicyScopedViewSet):
    """Guardians, one row per guardian–student link the caller may see."""

    queryset = GuardianLink.objects.all()
    serializer_class = GuardianSerializer
    filterset_class = GuardianFilter
    filter_backends = PERSON_FILTER_BACKENDS
    search_fields = ["guardian__search_name", "student__person__search_name", "student__moet_code"]
    ordering_fields = ["guardian__search_name", "student__person__search_name"]
    ordering = ["student__school_id", "guardian__search_name", "id"]

    def base_queryset(self) -> QuerySet[GuardianLink]:
        return super().base_queryset().select_related("guardian", "student__person")


class StaffFilter(filters.FilterSet):
    school = filters.NumberFilter(field_name="org_unit_id", label="Đơn vị công tác (id)")
    position = filters.ChoiceFilter(choices=StaffPosition.choices, label="Chức vụ")
    qualification = filters.ChoiceFilter(choices=Qualification.choices, label="Trình độ")
    subject = filters.CharFilter(field_name="subjects__code", label="Môn giảng dạy (mã)")
    is_active = filters.BooleanFilter(label="Đang công tác")

    class Meta:
        model = StaffMember
        fields = ["school", "position", "qualification", "subject", "is_active"]


class StaffViewSet(PolicyScopedViewSet):
    """Staff of the schools and authorities the caller may see."""

    queryset = StaffMember.objects.all()
    serializer_class = StaffMemberSerializer
    filterset_class = StaffFilter
    filter_backends = PERSON_FILTER_BACKENDS
    search_fields = ["person__search_name", "staff_code"]
    ordering_fields = ["person__search_name", "staff_code", "position"]
    ordering = ["org_unit_id", "person__search_name", "id"]

    def base_queryset(self) -> QuerySet[StaffMember]:
        return super().base_queryset().select_related("person", "org_unit").prefetch_related("subjects")
