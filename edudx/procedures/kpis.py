"""Plan targets measured from dossiers (KH 524/KH-PGDĐT mục 2.2), registered in the KPI registry.

Each KPI is measured over the current year to date for the dossiers the actor may count
(``selectors.targets.dossier_scope``: ``servicekpi.view`` units); the authority home page lists them, and the
targets dashboard (``procedures:targets``) shows them by period, unit and month. The on-time rate and the average
processing time have no number in the plan, so they are not registered here (the registry compares with a target);
the dashboard shows them.
"""

from __future__ import annotations

from collections.abc import Callable

from edudx.core.api import Actor
from edudx.core.kpi import Kpi, Measure, register_kpi

from .selectors.targets import INDICATORS, Indicator, measure_for_kpi


def _compute(code: str) -> Callable[[Actor], Measure]:
    def compute(actor: Actor) -> Measure:
        return measure_for_kpi(actor, code)

    compute.__name__ = f"measure_{code.replace('.', '_')}"
    return compute


def _kpi(indicator: Indicator) -> Kpi:
    assert indicator.target_percent is not None
    return Kpi(
        code=indicator.code,
        name=indicator.name,
        target_percent=indicator.target_percent,
        strictly_above=indicator.strictly_above,
        source=indicator.source,
        numerator_label=indicator.numerator_label,
        denominator_label=indicator.denominator_label,
        compute=_compute(indicator.code),
        capability="servicekpi.view",
    )


SERVICE_KPIS: tuple[Kpi, ...] = tuple(
    register_kpi(_kpi(indicator)) for indicator in INDICATORS if indicator.target_percent is not None
)
