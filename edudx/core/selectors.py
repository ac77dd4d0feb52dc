"""Reads of the organisation tree, including "as of" a date."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Q

from .enums import OrgUnitKind
from .models import OrgUnit, OrgUnitEvent, OrgUnitVersion
from .permissions import Actor, policy_for


@dataclass
class TreeNode:
    unit_id: int
    name: str
    kind: str
    school_level: str
    ownership: str
    children: list[TreeNode] = field(default_factory=list)

    @property
    def school_count(self) -> int:
        own = 1 if self.kind == OrgUnitKind.SCHOOL else 0
        return own + sum(child.school_count for child in self.children)


def tree_as_of(*, actor: Actor, day: dt.date) -> list[TreeNode]:
    """The tree as it stood on ``day``, limited to units the actor may see today.

    Built from OrgUnitVersion rows valid on that day, so names and parents are those of that day.
    Two queries whatever the size of the tree.
    """
    visible_ids = set(policy_for(OrgUnit).visible(actor).values_list("id", flat=True))
    versions = (
        OrgUnitVersion.objects.filter(Q(valid_from__lte=day) & (Q(valid_to__isnull=True) | Q(valid_to__gt=day)))
        .filter(unit_id__in=visible_ids)
        .select_related("unit")
        .order_by("unit__kind", "name")
    )
    nodes: dict[int, TreeNode] = {}
    parent_of: dict[int, int | None] = {}
    for version in versions:
        unit = version.unit
        nodes[unit.pk] = TreeNode(unit.pk, version.name, unit.kind, unit.school_level, unit.ownership)
        parent_of[unit.pk] = version.parent_id
    roots: list[TreeNode] = []
    for unit_id, node in nodes.items():
        parent_id = parent_of[unit_id]
        if parent_id is not None and parent_id in nodes:
            nodes[parent_id].children.append(node)
        else:
            roots.append(node)
    return roots


def org_events(*, actor: Actor, unit: OrgUnit | None = None) -> list[OrgUnitEvent]:
    visible = policy_for(OrgUnit).visible(actor)
    qs = OrgUnitEvent.objects.filter(unit__in=visible).select_related("unit", "old_parent", "new_parent", "merged_into")
    if unit is not None:
        qs = qs.filter(unit=unit)
    return list(qs.order_by("-effective_on", "-id"))


def name_as_of(unit: OrgUnit, day: dt.date) -> str:
    version = (
        OrgUnitVersion.objects.filter(unit=unit, valid_from__lte=day)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=day))
        .first()
    )
    return version.name if version else unit.name


def breadcrumb(unit: OrgUnit) -> list[OrgUnit]:
    return unit.ancestors()
