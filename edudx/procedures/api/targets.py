"""REST API of the public-service targets: ``/api/v1/procedures/targets/`` gives holders of ``servicekpi.view``
every indicator over a period (``from``, ``to``: ISO dates; default the current year to date) and optionally a
unit, with numerator, denominator, value, target, whether it is met, and the same per month. Counts only, never a
dossier. Refusals answer ``{"detail", "code"}`` in Vietnamese (400 bad period, 403 no right, 404 unit outside the
caller's scope).
"""

from __future__ import annotations

from typing import Any

from django.urls import URLPattern, path
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from edudx.core.api import Actor

from ..selectors import targets as selectors


class ReadingSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    unit = serializers.ChoiceField(choices=[selectors.PERCENT, selectors.DAYS])
    numerator_label = serializers.CharField()
    numerator = serializers.IntegerField()
    denominator_label = serializers.CharField()
    denominator = serializers.IntegerField()
    value = serializers.DecimalField(max_digits=6, decimal_places=1, allow_null=True)
    target_percent = serializers.DecimalField(max_digits=5, decimal_places=1, allow_null=True)
    strictly_above = serializers.BooleanField()
    met = serializers.BooleanField(allow_null=True)
    source = serializers.CharField()


class MonthSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()
    readings = ReadingSerializer(many=True)


class TargetsReportSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()
    unit = serializers.IntegerField(allow_null=True)
    unassessed = serializers.IntegerField(help_text="Hồ sơ chưa tính được đúng hạn do quá trình xử lý không nhất quán")
    readings = ReadingSerializer(many=True)
    months = MonthSerializer(many=True)


def _reading(reading: selectors.Reading) -> dict[str, Any]:
    indicator = reading.indicator
    return {
        "code": indicator.code,
        "name": indicator.name,
        "unit": indicator.unit,
        "numerator_label": indicator.numerator_label,
        "numerator": reading.measure.numerator,
        "denominator_label": indicator.denominator_label,
        "denominator": reading.measure.denominator,
        "value": reading.value,
        "target_percent": indicator.target_percent,
        "strictly_above": indicator.strictly_above,
        "met": reading.met,
        "source": indicator.source,
    }


class TargetsReportApi(APIView):
    """The public-service indicators against the plan's targets (``servicekpi.view``)."""

    @extend_schema(
        parameters=[
            OpenApiParameter("from", str, description="Từ ngày (YYYY-MM-DD); mặc định 1/1 năm nay"),
            OpenApiParameter("to", str, description="Đến ngày (YYYY-MM-DD); mặc định hôm nay"),
            OpenApiParameter("unit", int, description="Chỉ một đơn vị tiếp nhận (id) và các đơn vị trực thuộc"),
        ],
        responses=TargetsReportSerializer,
    )
    def get(self, request: Request) -> Response:
        actor = Actor(user=request.user)
        if not actor.subtree_paths(selectors.CAPABILITY):
            raise PermissionDenied("Bạn không có quyền xem chỉ tiêu dịch vụ công.")
        raw_unit = request.query_params.get("unit", "")
        unit = None
        if raw_unit:
            unit = selectors.kpi_units(actor).filter(pk=int(raw_unit)).first() if raw_unit.isdigit() else None
            if unit is None:
                raise NotFound("Không tìm thấy đơn vị.")
        # A bad period raises ValidationFailed: the core handler answers 400 with its Vietnamese message.
        period = selectors.period_from(request.query_params.get("from"), request.query_params.get("to"))
        report = selectors.targets_report(actor=actor, period=period, unit=unit)
        data = {
            "start": period.start,
            "end": period.end,
            "unit": unit.pk if unit else None,
            "unassessed": report.unassessed,
            "readings": [_reading(r) for r in report.readings],
            "months": [
                {"start": m.period.start, "end": m.period.end, "readings": [_reading(r) for r in m.readings.values()]}
                for m in report.months
            ],
        }
        return Response(TargetsReportSerializer(data).data)


ROUTES: list = []
urlpatterns: list[URLPattern] = [path("targets/", TargetsReportApi.as_view(), name="targets-report")]
