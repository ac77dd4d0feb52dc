"""The one permission layer.

An ``Actor`` is a user with the role assignments in force today. A ``Policy`` per model answers
both questions every interface asks: "which rows may this actor see?" (``visible``, a queryset
filter) and "may this actor do X to this object?" (``allows``). Views, API endpoints, exports,
tasks and the assistant use only these; a model without a registered policy is not reachable.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, ClassVar, Generic, TypeVar

from django.db import models
from django.db.models import Q, QuerySet
from django.utils import timezone

from .capabilities import reach_of
from .enums import AUTHORITY_ROLES, Reach
from .errors import NotPermitted
from .models import AuditEvent, OrgUnit, RoleAssignment

M = TypeVar("M", bound=models.Model)


@dataclass(frozen=True)
class Grant:
    role: str
    unit_id: int
    unit_path: str


@dataclass
class Actor:
    """Who is acting, with their role assignments resolved once per request or task."""

    user: Any
    on: dt.date = field(default_factory=lambda: timezone.localdate())

    @cached_property
    def grants(self) -> list[Grant]:
        if self.user is None or not getattr(self.user, "is_authenticated", False) or not self.user.is_active:
            return []
        rows = (
            RoleAssignment.objects.active_on(self.on)
            .filter(user=self.user, org_unit__valid_to__isnull=True)
            .values_list("role", "org_unit_id", "org_unit__path")
        )
        return [Grant(role, unit_id, path) for role, unit_id, path in rows]

    @property
    def is_authenticated(self) -> bool:
        return self.user is not None and getattr(self.user, "is_authenticated", False)

    @property
    def roles(self) -> set[str]:
        return {g.role for g in self.grants}

    @cached_property
    def person_id(self) -> int | None:
        person = getattr(self.user, "person", None) if self.is_authenticated else None
        return getattr(person, "id", None)

    def grants_for(self, capability: str, reach: Reach | None = None) -> list[Grant]:
        out = []
        for grant in self.grants:
            granted = reach_of(grant.role, capability)
            if granted is not None and (reach is None or granted == reach):
                out.append(grant)
        return out

    def subtree_paths(self, capability: str) -> list[str]:
        return sorted({g.unit_path for g in self.grants_for(capability, Reach.SUBTREE)})

    def related_grants(self, capability: str) -> list[Grant]:
        return self.grants_for(capability, Reach.RELATED)

    def can_in(self, capability: str, unit: OrgUnit | None) -> bool:
        """Whether a SUBTREE grant of ``capability`` covers ``unit`` (used for creating rows there)."""
        if unit is None:
            return False
        return any(unit.path.startswith(path) for path in self.subtree_paths(capability))

    def units_with(self, capability: str) -> QuerySet[OrgUnit]:
        return OrgUnit.objects.filter(paths_q("path", self.subtree_paths(capability)))

    @property
    def is_authority(self) -> bool:
        return bool(self.roles & AUTHORITY_ROLES)


def paths_q(path_lookup: str, paths: Iterable[str]) -> Q:
    """Rows whose org path starts with any of ``paths``; an empty list matches nothing."""
    q = Q(pk__in=[])
    for path in _minimal(paths):
        q |= Q(**{f"{path_lookup}__startswith": path})
    return q


def _minimal(paths: Iterable[str]) -> list[str]:
    """Drop paths already covered by an ancestor path, to keep the SQL short."""
    out: list[str] = []
    for path in sorted(set(paths)):
        if not any(path.startswith(kept) for kept in out):
            out.append(path)
    return out


class Policy(Generic[M]):
    """Base policy: SUBTREE grants filter on the row's org path; subclasses add RELATED rows."""

    model: ClassVar[type[models.Model]]
    area: ClassVar[str]
    path_lookup: ClassVar[str]

    def related_q(self, actor: Actor, capability: str, role: str) -> Q:
        """Rows this actor has a relationship with, through ``role`` (override per model)."""
        return Q(pk__in=[])

    def filter_q(self, actor: Actor, capability: str) -> Q:
        q = paths_q(self.path_lookup, actor.subtree_paths(capability))
        # A relationship counts only inside the unit where the relationship role is held.
        for grant in actor.related_grants(capability):
            q |= self.related_q(actor, capability, grant.role) & Q(
                **{f"{self.path_lookup}__startswith": grant.unit_path}
            )
        return q

    def base_queryset(self) -> QuerySet[M]:
        return self.model._default_manager.all()  # type: ignore[return-value]

    def visible(
        self, actor: Actor, verb: str = "view", queryset: QuerySet[M] | None = None, *, distinct: bool = True
    ) -> QuerySet[M]:
        """The rows ``actor`` may ``verb``. A relationship join can repeat a row, hence DISTINCT; a caller that
        reads a few columns and removes repeats itself may pass ``distinct=False`` and spare the database the
        sort over every selected column."""
        qs = queryset if queryset is not None else self.base_queryset()
        if not actor.is_authenticated:
            return qs.none()
        qs = qs.filter(self.filter_q(actor, f"{self.area}.{verb}"))
        return qs.distinct() if distinct else qs

    def allows(self, actor: Actor, verb: str, obj: M) -> bool:
        if obj.pk is None or not actor.is_authenticated:
            return False
        return self.visible(actor, verb, self.model._default_manager.filter(pk=obj.pk)).exists()  # type: ignore[arg-type]

    def check(self, actor: Actor, verb: str, obj: M) -> None:
        if not self.allows(actor, verb, obj):
            raise NotPermitted()

    def check_in(self, actor: Actor, verb: str, unit: OrgUnit | None) -> None:
        if not actor.can_in(f"{self.area}.{verb}", unit):
            raise NotPermitted()


_POLICIES: dict[type[models.Model], Policy[Any]] = {}


def register(policy_cls: type[Policy[Any]]) -> type[Policy[Any]]:
    _POLICIES[policy_cls.model] = policy_cls()
    return policy_cls


def policy_for(model: type[M]) -> Policy[M]:
    try:
        return _POLICIES[model]
    except KeyError:  # pragma: no cover - a programming error, caught by the isolation sweep
        raise LookupError(f"No permission policy registered for {model.__name__}") from None


def registered_models() -> list[type[models.Model]]:
    return list(_POLICIES)


def actor_for(request_or_user: Any) -> Actor:
    """The actor of a request (cached on it) or of a user (for tasks and commands)."""
    user = getattr(request_or_user, "user", request_or_user)
    cached = getattr(request_or_user, "_edudx_actor", None)
    if cached is not None:
        return cached
    actor = Actor(user=user)
    if hasattr(request_or_user, "user"):
        request_or_user._edudx_actor = actor
    return actor


@register
class OrgUnitPolicy(Policy[OrgUnit]):
    model = OrgUnit
    area = "org"
    path_lookup = "path"

    def filter_q(self, actor: Actor, capability: str) -> Q:
        q = super().filter_q(actor, capability)
        if capability == "org.view":
            # Knowing the chain of units above you is not a secret: it is your breadcrumb.
            ancestor_ids: set[int] = set()
            for grant in actor.grants:
                ancestor_ids.update(int(p) for p in grant.unit_path.strip("/").split("/") if p)
            q |= Q(pk__in=ancestor_ids)
        return q


@register
class RoleAssignmentPolicy(Policy[RoleAssignment]):
    model = RoleAssignment
    area = "role"
    path_lookup = "org_unit__path"

    def filter_q(self, actor: Actor, capability: str) -> Q:
        # Everyone may see their own assignments; assigners see those inside their scope.
        q = paths_q(self.path_lookup, actor.subtree_paths("role.assign"))
        if capability == "role.view":
            q |= Q(user=actor.user)
        return q


@register
class AuditEventPolicy(Policy[AuditEvent]):
    """Events under the units where the actor holds ``audit.view``; events tied to no unit
    (platform-wide changes) only for holders of an authority role with that capability."""

    model = AuditEvent
    area = "audit"
    path_lookup = "org_path"

    def filter_q(self, actor: Actor, capability: str) -> Q:
        q = paths_q(self.path_lookup, actor.subtree_paths("audit.view"))
        if any(g.role in AUTHORITY_ROLES for g in actor.grants_for("audit.view")):
            q |= Q(org_path="")
        return q
