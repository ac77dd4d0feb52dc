"""REST API of the procedure catalogue, the working calendar and the service desks.

- ``procedures/catalogue/``: the procedures offered on a day (public, no log-in), with search and filters;
  ``procedures/catalogue/<key>/`` one of them.
- ``procedures/catalogue-versions/``: every stored version (``procedure.manage``); POST writes the next version.
- ``procedures/calendar-days/``: stored days off and make-up days (list, create, delete);
  ``…/holidays/?year=`` the package's public holidays.
- ``procedures/desks/``: receiving units' electronic identifiers with their history; POST gives a new one.

Writes go through ``services.catalogue``; domain errors answer as everywhere (``core.http``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet
from django.urls import URLPattern
from django.utils import timezone
from django.utils.translation import gettext as _
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view, inline_serializer
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from edudx.core.api import ValidationFailed, policy_for
from edudx.core.api_views import ApiPagination, PolicyScopedViewSet

from ..catalogue_store import procedure_from_data
from ..models import CalendarDay, CalendarDayKind, ProcedureVersion, ServiceDesk
from ..selectors import catalogue as selectors
from ..services import catalogue as services
from ..workdays import public_holidays


class ProcedureVersionSerializer(serializers.ModelSerializer):
    created_by = serializers.CharField(source="created_by.full_name", default="", read_only=True)

    class Meta:
        model = ProcedureVersion
        fields = ["key", "version", "code", "name", "authority_level", "online_level", "processing_days", "fee_vnd",
                  "valid_from", "valid_to", "reason", "created_by", "created_at", "data"]  # fmt: skip


class CataloguePublicSerializer(serializers.ModelSerializer):
    unconfirmed_fields = serializers.SerializerMethodField(help_text="Thông tin đang chờ xác nhận")

    class Meta:
        model = ProcedureVersion
        fields = ["key", "version", "code", "name", "authority_level", "online_level", "processing_days", "fee_vnd",
                  "valid_from", "valid_to", "unconfirmed_fields", "data"]  # fmt: skip

    def get_unconfirmed_fields(self, version: ProcedureVersion) -> list[str]:
        return list(version.data.get("unconfirmed_fields") or [])


_DAY = OpenApiParameter("on", OpenApiTypes.DATE, description="Ngày xem danh mục (YYYY-MM-DD); mặc định hôm nay.")
_CATALOGUE_FILTERS = [
    _DAY,
    OpenApiParameter("q", OpenApiTypes.STR, description="Tìm theo tên hoặc mã TTHC (không phân biệt dấu)."),
    OpenApiParameter("authority_level", OpenApiTypes.STR, description="Cấp có thẩm quyền (ward, department…)."),
    OpenApiParameter("online_level", OpenApiTypes.STR, description="Mức độ trực tuyến (full, partial, none)."),
    OpenApiParameter("fee", OpenApiTypes.STR, description="yes: có thu phí, lệ phí; no: không thu."),
]


def _day(request: Request) -> dt.date:
    raw = (request.query_params.get("on") or "").strip()
    if not raw:
        return timezone.localdate()
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise serializers.ValidationError({"on": _("Ngày phải theo dạng YYYY-MM-DD.")}) from None


@extend_schema_view(list=extend_schema(parameters=_CATALOGUE_FILTERS), retrieve=extend_schema(parameters=[_DAY]))
class CatalogueViewSet(viewsets.ReadOnlyModelViewSet):
    """The public catalogue: the version of every procedure offered on a day (no log-in needed).

    Not a ``PolicyScopedViewSet``: that base answers nothing to anonymous callers, and the catalogue is public by
    its policy. The rows come from ``selectors.catalogue``, which applies the policy's ``procedure.view`` filter.
    """

    permission_classes = [AllowAny]
    serializer_class = CataloguePublicSerializer
    pagination_class = ApiPagination
    filter_backends: list[Any] = []
    lookup_field = "key"
    lookup_value_regex = r"[a-z][a-z0-9_]*"
    queryset = ProcedureVersion.objects.none()  # for the schema; rows come from get_queryset

    def get_queryset(self) -> QuerySet[ProcedureVersion]:
        params = self.request.query_params
        return selectors.catalogue_list(
            day=_day(self.request),
            query=(params.get("q") or "")[:100],
            authority_level=params.get("authority_level") or "",
            online_level=params.get("online_level") or "",
            fee=params.get("fee") or "",
        )

    def get_object(self) -> ProcedureVersion:
        try:
            return selectors.version_in_force(self.kwargs["key"], _day(self.request))
        except ValidationFailed as exc:
            raise NotFound(exc.message) from exc


class ProcedureVersionFilter(filters.FilterSet):
    key = filters.CharFilter(label="Mã nội bộ của thủ tục")

    class Meta:
        model = ProcedureVersion
        fields = ["key"]


class ProcedureVersionWriteSerializer(serializers.Serializer):
    procedure = serializers.JSONField(
        help_text="Thủ tục theo cấu trúc của trường data (catalogue_store.procedure_to_data)"
    )
    reason = serializers.CharField(max_length=500, help_text="Lý do thay đổi (bắt buộc)")
    base_version = serializers.IntegerField(
        required=False, allow_null=True, help_text="Phiên bản đang sửa; bị từ chối nếu đã có phiên bản mới hơn"
    )
    new_procedure = serializers.BooleanField(default=False, help_text="true: tạo thủ tục mới (phiên bản 1)")


class ProcedureVersionViewSet(PolicyScopedViewSet):
    """Every version of every procedure, newest first (``procedure.manage``); POST writes the next version."""

    queryset = ProcedureVersion.objects.all()
    serializer_class = ProcedureVersionSerializer
    filterset_class = ProcedureVersionFilter
    policy_verb = "manage"
    ordering = ["key", "-version"]

    def base_queryset(self) -> QuerySet[ProcedureVersion]:
        return ProcedureVersion.objects.select_related("created_by").order_by("key", "-version")

    @extend_schema(request=ProcedureVersionWriteSerializer, responses={201: ProcedureVersionSerializer})
    def create(self, request: Request) -> Response:
        body = ProcedureVersionWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        if not isinstance(data["procedure"], dict):
            raise ValidationFailed(_("Trường procedure phải là một đối tượng JSON."), code="invalid_procedure")
        version = services.save_procedure_version(
            self.actor,
            procedure_from_data(data["procedure"]),
            data["reason"],
            base_version=data.get("base_version"),
            create=data["new_procedure"],
        )
        return Response(ProcedureVersionSerializer(version).data, status=status.HTTP_201_CREATED)


class CalendarDaySerializer(serializers.ModelSerializer):
    class Meta:
        model = CalendarDay
        fields = ["id", "day", "kind", "name", "created_at"]
        read_only_fields = ["id", "created_at"]


class CalendarDayWriteSerializer(serializers.Serializer):
    # Plain fields: duplicates and pointless days are the service's answer (409/400 with its message).
    day = serializers.DateField()
    kind = serializers.ChoiceField(choices=CalendarDayKind.choices)
    name = serializers.CharField(max_length=255, help_text="Lý do, căn cứ (ví dụ số văn bản cho nghỉ bù)")


class CalendarDayFilter(filters.FilterSet):
    year = filters.NumberFilter(field_name="day__year", label="Năm")
    kind = filters.ChoiceFilter(choices=CalendarDayKind.choices, label="Loại ngày")

    class Meta:
        model = CalendarDay
        fields = ["year", "kind"]


class CalendarDayViewSet(PolicyScopedViewSet):
    """Official days off and make-up working days beyond the ``holidays`` package; managers add and remove them."""

    queryset = CalendarDay.objects.all()
    serializer_class = CalendarDaySerializer
    filterset_class = CalendarDayFilter
    ordering = ["day"]

    @extend_schema(request=CalendarDayWriteSerializer, responses={201: CalendarDaySerializer})
    def create(self, request: Request) -> Response:
        body = CalendarDayWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        row = services.calendar_day_add(actor=self.actor, **body.validated_data)
        return Response(CalendarDaySerializer(row).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={204: None})
    def destroy(self, request: Request, pk: str | None = None) -> Response:
        row = self.get_object()
        services.calendar_day_delete(actor=self.actor, calendar_day=row, reason=request.query_params.get("reason", ""))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        parameters=[OpenApiParameter("year", OpenApiTypes.INT, description="Năm (mặc định năm nay)")],
        responses={
            200: inline_serializer(
                "PublicHoliday", {"day": serializers.DateField(), "name": serializers.CharField()}, many=True
            )
        },
    )
    @action(detail=False, methods=["get"], pagination_class=None)
    def holidays(self, request: Request) -> Response:
        """Public holidays and swapped days off of a year as the ``holidays`` package gives them (read-only)."""
        try:
            year = int(request.query_params.get("year") or timezone.localdate().year)
        except ValueError:
            raise serializers.ValidationError({"year": _("Năm phải là số.")}) from None
        if not 2000 <= year <= 2099:
            raise serializers.ValidationError({"year": _("Năm phải trong khoảng 2000–2099.")})
        return Response([{"day": day, "name": name} for day, name in public_holidays(year).items()])


class ServiceDeskSerializer(serializers.ModelSerializer):
    org_unit_name = serializers.CharField(source="org_unit.name", read_only=True)

    class Meta:
        model = ServiceDesk
        fields = ["id", "org_unit", "org_unit_name", "unit_code", "valid_from", "valid_to", "address", "phone"]
        read_only_fields = ["id", "valid_to"]


class ServiceDeskWriteSerializer(serializers.Serializer):
    org_unit = serializers.IntegerField(help_text="Đơn vị tiếp nhận (id)")
    unit_code = serializers.CharField(max_length=40, help_text="Mã định danh điện tử, ví dụ H15.50.05.13")
    valid_from = serializers.DateField()
    address = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
    phone = serializers.CharField(max_length=32, required=False, allow_blank=True, default="")


class ServiceDeskFilter(filters.FilterSet):
    org_unit = filters.NumberFilter(label="Đơn vị (id)")
    current = filters.BooleanFilter(field_name="valid_to", lookup_expr="isnull", label="Đang dùng")

    class Meta:
        model = ServiceDesk
        fields = ["org_unit", "current"]


class ServiceDeskViewSet(PolicyScopedViewSet):
    """Receiving units' electronic identifiers with their dates (history kept); POST gives a unit a new one."""

    queryset = ServiceDesk.objects.all()
    serializer_class = ServiceDeskSerializer
    filterset_class = ServiceDeskFilter
    ordering = ["org_unit_id", "-valid_from"]

    def base_queryset(self) -> QuerySet[ServiceDesk]:
        return ServiceDesk.objects.select_related("org_unit").order_by("org_unit_id", "-valid_from")

    @extend_schema(request=ServiceDeskWriteSerializer, responses={201: ServiceDeskSerializer})
    def create(self, request: Request) -> Response:
        body = ServiceDeskWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        unit = self.actor.units_with("procedure.manage").filter(pk=data.pop("org_unit")).first()
        if unit is None:
            # The same answer for a missing unit and one outside the caller's reach.
            raise NotFound(_("Không tìm thấy đơn vị."))
        policy_for(ServiceDesk).check_in(self.actor, "manage", unit)
        desk = services.desk_identifier_set(actor=self.actor, org_unit=unit, **data)
        return Response(ServiceDeskSerializer(desk).data, status=status.HTTP_201_CREATED)


ROUTES: list[tuple[str, Any, str]] = [
    ("procedures/catalogue", CatalogueViewSet, "procedures-catalogue"),
    ("procedures/catalogue-versions", ProcedureVersionViewSet, "procedures-catalogue-version"),
    ("procedures/calendar-days", CalendarDayViewSet, "procedures-calendar-day"),
    ("procedures/desks", ServiceDeskViewSet, "procedures-desk"),
]
urlpatterns: list[URLPattern] = []
