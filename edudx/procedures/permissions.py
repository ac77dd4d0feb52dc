"""Who sees and changes public-service rows.

- The catalogue, the service desks and the working calendar are public information: anyone may read them
  (the citizen pages read them without logging in); only ``procedure.manage`` holders change them.
- A dossier is seen by the staff of its receiving unit's subtree (``dossier.view``) and by its applicant — a person
  always sees their own dossiers, whatever roles they hold (citizen, guardian, or none yet after signing up).
- Files, events and notifications follow their dossier.
"""

from __future__ import annotations

from django.db.models import Q

from edudx.core.api import Actor, Policy, register

from .models import CalendarDay, Dossier, DossierEvent, DossierFile, DossierNotification, ProcedureVersion, ServiceDesk

NOTHING = Q(pk__in=[])


class _PublicReferencePolicy(Policy):  # type: ignore[type-arg]
    """Reference data every visitor may read; changing it needs ``procedure.manage`` somewhere."""

    area = "procedure"
    path_lookup = ""

    def filter_q(self, actor: Actor, capability: str) -> Q:
        if capability == "procedure.view":
            return Q()
        return Q() if actor.subtree_paths(capability) else NOTHING


@register
class ProcedureVersionPolicy(_PublicReferencePolicy):
    model = ProcedureVersion


@register
class CalendarDayPolicy(_PublicReferencePolicy):
    model = CalendarDay


@register
class ServiceDeskPolicy(Policy[ServiceDesk]):
    model = ServiceDesk
    area = "procedure"
    path_lookup = "org_unit__path"

    def filter_q(self, actor: Actor, capability: str) -> Q:
        return Q() if capability == "procedure.view" else super().filter_q(actor, capability)


class _DossierRowPolicy(Policy):  # type: ignore[type-arg]
    area = "dossier"
    dossier_prefix = ""

    def filter_q(self, actor: Actor, capability: str) -> Q:
        q = super().filter_q(actor, capability)
        if capability == "dossier.view" and actor.is_authenticated:
            q |= Q(**{f"{self.dossier_prefix}applicant_id": actor.user.pk})
        return q


@register
class DossierPolicy(_DossierRowPolicy):
    model = Dossier
    path_lookup = "org_unit__path"


@register
class DossierFilePolicy(_DossierRowPolicy):
    model = DossierFile
    path_lookup = "dossier__org_unit__path"
    dossier_prefix = "dossier__"


@register
class DossierEventPolicy(_DossierRowPolicy):
    model = DossierEvent
    path_lookup = "dossier__org_unit__path"
    dossier_prefix = "dossier__"


@register
class DossierNotificationPolicy(_DossierRowPolicy):
    model = DossierNotification
    path_lookup = "dossier__org_unit__path"
    dossier_prefix = "dossier__"
