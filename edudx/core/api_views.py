"""REST API building blocks shared by every app, and the organisation tree endpoints.

``PolicyScopedViewSet`` is the only base an API viewset may use: its rows always come from
``policy_for(Model).visible(actor)``. Subclasses shape the rows (joins, annotations) in
``base_queryset``; defining ``get_queryset`` is refused when the class is created, so no endpoint
can skip the policy. Retrieving a row outside the actor's scope answers 404, like a missing one.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from django.db.models import OuterRef, Q, QuerySet, Subquery
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, viewsets
from rest_framework.filters import SearchFilter
from rest_framework.pagination import PageNumberPagination

from .enums import OrgUnitKind, Ownership, SchoolLevel
from .models import OrgUnit, OrgUnitVersion
from .permissions import Actor, policy_for
from .rules import fold_vietnamese
from .serializers import OrgUnitSerializer


class ApiPagination(PageNumberPagination):
    """50 rows a page by default; clients may ask up to 500 with ``?page_size=``."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


class FoldedSearchFilter(SearchFilter):
    """Diacritic-insensitive search over folded columns (``Person.search_name``): "nguyen" finds "Nguyễn"."""

    def get_search_terms(self, request: Any) -> list[str]:
        return [fold_vietnamese(term) for term in super().get_search_terms(request)]


class PolicyScopedViewSet(viewsets.ReadOnlyModelViewSet):
    """Read endpoints whose rows are exactly what the model's policy lets the caller see."""

    queryset: ClassVar[QuerySet[Any]]
    policy_verb: ClassVar[str] = "view"
    pagination_class = ApiPagination

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "get_queryset" in cls.__dict__:
            raise TypeError(
                f"{cls.__name__}: override base_queryset(), not get_queryset(); the policy filter must always apply."
            )

    @property
    def actor(self) -> Actor:
        actor = getattr(self, "_actor", None)
        if actor is None:
            actor = Actor(user=getattr(self.request, "user", None))
            self._actor = actor
        return actor

    def base_queryset(self) -> QuerySet[Any]:
        """The rows before the permission filter, with the joins the serializer needs."""
        return self.queryset.all()

    def get_queryset(self) -> QuerySet[Any]:
        model = self.queryset.model
        return policy_for(model).visible(self.actor, self.policy_verb, self.base_queryset())


def parse_as_of(request: Any) -> dt.date | None:
    raw = (request.query_params.get("as_of") or "").strip() if request is not None else ""
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise serializers.ValidationError({"as_of": "Ngày phải theo dạng YYYY-MM-DD."}) from None


def with_state_on(queryset: QuerySet[OrgUnit], day: dt.date) -> QuerySet[OrgUnit]:
    """Units that existed on ``day``, annotated with the name and parent they had then."""
    version = OrgUnitVersion.objects.filter(unit=OuterRef("pk"), valid_from__lte=day).filter(
        Q(valid_to__isnull=True) | Q(valid_to__gt=day)
    )
    return queryset.annotate(
        name_as_of=Subquery(version.values("name")[:1]),
        parent_as_of=Subquery(version.values("parent_id")[:1]),
    ).filter(name_as_of__isnull=False)


class OrgUnitFilter(filters.FilterSet):
    kind = filters.ChoiceFilter(choices=OrgUnitKind.choices, label="Loại đơn vị")
    level = filters.ChoiceFilter(field_name="school_level", choices=SchoolLevel.choices, label="Cấp học")
    ownership = filters.ChoiceFilter(choices=Ownership.choices, label="Loại hình")
    parent = filters.NumberFilter(method="filter_parent", label="Đơn vị cấp trên (id; theo ngày as_of nếu có)")
    is_open = filters.BooleanFilter(field_name="valid_to", lookup_expr="isnull", label="Đang hoạt động")

    class Meta:
        model = OrgUnit
        fields = ["kind", "level", "ownership", "parent", "is_open"]

    def filter_parent(self, queryset: QuerySet[OrgUnit], name: str, value: int) -> QuerySet[OrgUnit]:
        if "parent_as_of" in queryset.query.annotations:
            return queryset.filter(parent_as_of=value)
        return queryset.filter(parent_id=value)


AS_OF_PARAMETER = OpenApiParameter(
    "as_of",
    OpenApiTypes.DATE,
    description="Trả về tên và đơn vị cấp trên tại ngày này (YYYY-MM-DD); chỉ gồm các đơn vị đã tồn tại vào ngày đó.",
)


@extend_schema_view(
    list=extend_schema(parameters=[AS_OF_PARAMETER]),
    retrieve=extend_schema(parameters=[AS_OF_PARAMETER]),
)
class OrgUnitViewSet(PolicyScopedViewSet):
    """Units of the organisation tree the caller may see (their own subtree and the chain above it)."""

    queryset = OrgUnit.objects.all()
    serializer_class = OrgUnitSerializer
    filterset_class = OrgUnitFilter
    search_fields = ["name", "moet_code"]
    ordering_fields = ["name", "moet_code", "path", "valid_from"]
    ordering = ["path"]

    def base_queryset(self) -> QuerySet[OrgUnit]:
        queryset = super().base_queryset()
        day = parse_as_of(self.request)
        return with_state_on(queryset, day) if day is not None else queryset


class SchoolViewSet(OrgUnitViewSet):
    """Schools (units of kind ``school``) the caller may see; filter by level, ownership, authority."""

    queryset = OrgUnit.objects.filter(kind=OrgUnitKind.SCHOOL)
