"""The KPI registry: each app registers the plan targets it can measure from its own data.

A KPI is a ratio numerator / denominator computed for the rows an actor may see, compared with the
plan's target. The `dx` dashboard (a later app) reads the registry; nothing here knows which app
measures what.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .permissions import Actor


@dataclass(frozen=True)
class Measure:
    numerator: int
    denominator: int

    @property
    def percent(self) -> Decimal | None:
        if not self.denominator:
            return None
        return (Decimal(100) * self.numerator / self.denominator).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Kpi:
    code: str
    name: str
    target_percent: Decimal
    strictly_above: bool  # "trên 70%" is strict, "đạt 100%" / "tối thiểu 95%" are not
    source: str
    numerator_label: str
    denominator_label: str
    compute: Callable[[Actor], Measure]
    # Shown only to holders of this capability (None: to every leader the home page shows targets to).
    capability: str | None = None

    def shown_to(self, actor: Actor) -> bool:
        return self.capability is None or bool(actor.grants_for(self.capability))

    def measure(self, actor: Actor) -> Measure:
        return self.compute(actor)

    def met(self, measure: Measure) -> bool | None:
        percent = measure.percent
        if percent is None:
            return None
        return percent > self.target_percent if self.strictly_above else percent >= self.target_percent


_REGISTRY: dict[str, Kpi] = {}


def register_kpi(kpi: Kpi) -> Kpi:
    _REGISTRY[kpi.code] = kpi
    return kpi


def all_kpis() -> list[Kpi]:
    return sorted(_REGISTRY.values(), key=lambda k: k.code)


def get_kpi(code: str) -> Kpi:
    return _REGISTRY[code]
