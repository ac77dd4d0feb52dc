"""Dossier codes (TT 03/2025 format): the receiving unit's identifier, the receipt date, the daily sequence."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import F, Q
from django.utils.translation import gettext as _

from edudx.core.api import OrgUnit, ValidationFailed

from ..dossier_codes import PROVINCE_SEQUENCE_WIDTH, format_code
from ..models import DossierSequence, ServiceDesk
from ..workdays import VIETNAM_TIMEZONE


def desk_for(unit: OrgUnit, day: dt.date) -> ServiceDesk:
    desk = (
        ServiceDesk.objects.filter(org_unit=unit, valid_from__lte=day)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=day))
        .order_by("-valid_from")
        .first()
    )
    if desk is None:
        raise ValidationFailed(
            _("%(unit)s chưa có Bộ phận Một cửa tiếp nhận hồ sơ trực tuyến.") % {"unit": unit.name}, code="no_desk"
        )
    return desk


def next_code(unit: OrgUnit, moment: dt.datetime) -> str:
    """The next code of ``unit`` for the local day of ``moment``. Call inside the transaction that stores the
    dossier: the sequence row stays locked until it commits, and a rollback gives the number back."""
    day = moment.astimezone(VIETNAM_TIMEZONE).date()
    desk = desk_for(unit, day)
    with transaction.atomic():
        # Make the day's row exist without racing (ON CONFLICT DO NOTHING), then take it under a row lock.
        DossierSequence.objects.bulk_create(
            [DossierSequence(unit_code=desk.unit_code, day=day, last=0)], ignore_conflicts=True
        )
        sequence = DossierSequence.objects.select_for_update().get(unit_code=desk.unit_code, day=day)
        DossierSequence.objects.filter(pk=sequence.pk).update(last=F("last") + 1)
        sequence.refresh_from_db(fields=["last"])
    # Past 9,999 in a day format_code refuses with a clear message (a provincial system numbers with 4 digits).
    return format_code(
        unit_code=desk.unit_code, received_on=day, sequence=sequence.last, sequence_width=PROVINCE_SEQUENCE_WIDTH
    )
