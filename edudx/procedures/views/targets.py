"""The public-service targets dashboard (``procedures:targets``, ``servicekpi.view``): every indicator of the plan
and of QĐ 766 against its target over a period and a unit, a bar chart per month (inline SVG drawn on the server, no
script), and the same figures as XLSX or CSV (``?export=xlsx``).

The numbers come from ``selectors.targets.targets_report``, already limited to what the viewer may count.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import URLPattern, path
from django.utils.translation import gettext as _

from edudx.core.api import ValidationFailed, actor_for
from edudx.core.exports import Column, export_response

from ..selectors import targets as selectors

__all__ = ["targets_dashboard", "urlpatterns"]

CHART_WIDTH = 320
CHART_HEIGHT = 120
CHART_TOP = 12  # room above the tallest bar for its value
CHART_BOTTOM = 18  # room below the bars for the month labels


def _number(value: Decimal | None) -> str:
    return "—" if value is None else f"{value}".replace(".", ",")


def _chart(indicator: selectors.Indicator, months: list[selectors.MonthReadings]) -> dict[str, Any] | None:
    """Bar geometry for one indicator, one bar per month (percent up to 100, or days up to the largest month)."""
    if not months:
        return None
    values = [m.readings[indicator.code].value for m in months]
    if indicator.unit == selectors.PERCENT:
        scale_max = Decimal(100)
    else:
        scale_max = max([v for v in values if v is not None] or [Decimal(1)]) or Decimal(1)
    inner = CHART_HEIGHT - CHART_TOP - CHART_BOTTOM
    slot = CHART_WIDTH / len(months)
    bars = []
    for index, (month, value) in enumerate(zip(months, values, strict=True)):
        height = 0.0 if value is None else float(min(value, scale_max) / scale_max) * inner
        reading = month.readings[indicator.code]
        bars.append(
            {
                "x": round(index * slot + slot * 0.15, 1),
                "width": round(slot * 0.7, 1),
                "y": round(CHART_TOP + inner - height, 1),
                "text_y": round(CHART_TOP + inner - height - 2, 1),
                "height": round(height, 1),
                "label_x": round(index * slot + slot / 2, 1),
                "month": f"{month.period.start:%m/%y}",
                "value": _number(value),
                "title": f"{month.period.start:%m/%Y}: {_number(value)}"
                + (f" ({reading.measure.numerator}/{reading.measure.denominator})" if value is not None else ""),
                "met": reading.met,
                "empty": value is None,
            }
        )
    target_y = None
    if indicator.target_percent is not None and indicator.unit == selectors.PERCENT:
        target_y = round(CHART_TOP + inner - float(indicator.target_percent / scale_max) * inner, 1)
    return {
        "width": CHART_WIDTH,
        "height": CHART_HEIGHT,
        "baseline": CHART_TOP + inner,
        "label_y": CHART_HEIGHT - 4,
        "bars": bars,
        "target_y": target_y,
    }


def _export_rows(report: selectors.TargetsReport) -> list[dict[str, Any]]:
    windows: list[tuple[str, list[selectors.Reading]]] = [(report.period.label(), report.readings)]
    windows += [(m.period.label(), list(m.readings.values())) for m in report.months]
    rows = []
    for label, readings in windows:
        for reading in readings:
            indicator = reading.indicator
            met = reading.met
            rows.append(
                {
                    "period": label,
                    "code": indicator.code,
                    "name": indicator.name,
                    "numerator_label": indicator.numerator_label,
                    "numerator": reading.measure.numerator,
                    "denominator_label": indicator.denominator_label,
                    "denominator": reading.measure.denominator,
                    "value": reading.value,
                    "unit": "%" if indicator.unit == selectors.PERCENT else _("ngày làm việc"),
                    "target": indicator.target_percent,
                    "met": "" if met is None else (_("Đạt") if met else _("Chưa đạt")),
                    "source": indicator.source,
                }
            )
    return rows


def _export_columns() -> list[Column]:
    return [
        Column(_("Kỳ báo cáo"), lambda r: r["period"], 24),
        Column(_("Mã chỉ tiêu"), lambda r: r["code"], 26),
        Column(_("Chỉ tiêu"), lambda r: r["name"], 50),
        Column(_("Tử số"), lambda r: r["numerator_label"], 50),
        Column(_("Giá trị tử số"), lambda r: r["numerator"], 12),
        Column(_("Mẫu số"), lambda r: r["denominator_label"], 50),
        Column(_("Giá trị mẫu số"), lambda r: r["denominator"], 12),
        Column(_("Kết quả"), lambda r: r["value"], 10),
        Column(_("Đơn vị tính"), lambda r: r["unit"], 14),
        Column(_("Mục tiêu (%)"), lambda r: r["target"], 12),
        Column(_("Đánh giá"), lambda r: r["met"], 12),
        Column(_("Căn cứ"), lambda r: r["source"], 30),
    ]


@login_required
def targets_dashboard(request: HttpRequest) -> HttpResponseBase:
    actor = actor_for(request)
    if not actor.subtree_paths(selectors.CAPABILITY):
        raise PermissionDenied
    units = selectors.kpi_units(actor)
    raw_unit = request.GET.get("unit", "")
    unit = None
    if raw_unit:
        unit = units.filter(pk=int(raw_unit)).first() if raw_unit.isdigit() else None
        if unit is None:
            raise Http404
    error = ""
    try:
        period = selectors.period_from(request.GET.get("from"), request.GET.get("to"))
    except ValidationFailed as exc:
        error, period = exc.message, selectors.default_period()
    report = selectors.targets_report(actor=actor, period=period, unit=unit)
    exported = export_response(
        request,
        _export_rows(report),
        _export_columns(),
        f"chi-tieu-dich-vu-cong-{period.start:%Y%m%d}-{period.end:%Y%m%d}",
    )
    if exported is not None:
        return exported
    params = request.GET.copy()
    params.pop("export", None)
    cards = [
        {
            "reading": reading,
            "value": _number(reading.value),
            "chart": _chart(reading.indicator, report.months),
            "is_percent": reading.indicator.unit == selectors.PERCENT,
        }
        for reading in report.readings
    ]
    context = {
        "title": _("Chỉ tiêu dịch vụ công"),
        "crumbs": [(_("Dịch vụ công"), None), (_("Chỉ tiêu dịch vụ công"), None)],
        "report": report,
        "cards": cards,
        "units": units,
        "unit": unit,
        "period": period,
        "error": error,
        "query_without_page": params.urlencode(),
    }
    return render(request, "procedures/targets/dashboard.html", context)


urlpatterns: list[URLPattern] = [path("chi-tieu/", targets_dashboard, name="targets")]
