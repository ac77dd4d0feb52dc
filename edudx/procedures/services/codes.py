"""Dossier codes (TT 03/2025 format): the receiving unit's identifier, the receipt date, the daily sequence."""

from __future__ import annotations

import datetime as dt

from django.db import connection, transaction
from django.db.models import Q
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


def _next_number_sql() -> str:
    """Create the day's row with 1, or add one to it; answer the new number. Only quoted names of the model are
    formatted in; the values are bound parameters."""
    q = connection.ops.quote_name
    table, unit_code, day, last = (q(DossierSequence._meta.db_table), q("unit_code"), q("day"), q("last"))
    return (
        f"INSERT INTO {table} ({unit_code}, {day}, {last}) VALUES (%s, %s, 1) "  # noqa: S608
        f"ON CONFLICT ({unit_code}, {day}) DO UPDATE SET {last} = {table}.{last} + 1 RETURNING {last}"
    )


def desk_above(school: OrgUnit, day: dt.date) -> ServiceDesk | None:
    """The desk open on ``day`` of the nearest unit above ``school`` (its ``org_unit`` loaded), in one query: where
    a dossier about one of the school's pupils is received, and the desk whose sequence numbers it. The same
    answer as ``selectors.citizen.receiving_unit_for_school`` followed by ``desk_for``."""
    return desk_above_path(school.pk, school.path, day)


def desk_above_path(school_id: int, school_path: str, day: dt.date) -> ServiceDesk | None:
    """``desk_above`` for the school of id ``school_id`` at ``school_path`` (what a child record carries)."""
    ancestor_ids = [int(part) for part in school_path.strip("/").split("/") if part and int(part) != school_id]
    if not ancestor_ids:
        return None
    desks = (
        ServiceDesk.objects.filter(org_unit_id__in=ancestor_ids, org_unit__valid_to__isnull=True, valid_from__lte=day)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=day))
        .select_related("org_unit")
        .order_by("-valid_from")
    )
    by_unit: dict[int, ServiceDesk] = {}
    for desk in desks:
        by_unit.setdefault(desk.org_unit_id, desk)  # the newest desk of each unit, as desk_for picks it
    return next((by_unit[unit_id] for unit_id in reversed(ancestor_ids) if unit_id in by_unit), None)


def next_code(unit: OrgUnit, moment: dt.datetime, *, desk: ServiceDesk | None = None) -> str:
    """The next code of ``unit`` for the local day of ``moment``. Call inside the transaction that stores the
    dossier, as late in it as possible: the sequence row stays locked until it commits (concurrent submissions to
    the unit queue there), and a rollback gives the number back. ``desk``: the unit's desk of that day when the
    caller already has it (``desk_for``)."""
    day = moment.astimezone(VIETNAM_TIMEZONE).date()
    if desk is None or desk.org_unit_id != unit.pk:
        desk = desk_for(unit, day)
    # One statement: create the day's row or add one to it, and read the new number back. The upsert takes the
    # row lock (held until the surrounding transaction ends, so concurrent submissions to the unit queue here and
    # a rollback gives the number back) and answers without a separate SELECT … FOR UPDATE and UPDATE.
    # PostgreSQL and SQLite (3.35+) both speak INSERT … ON CONFLICT … DO UPDATE … RETURNING.
    # No savepoint: inside the caller's transaction it would be one more round trip for nothing; called outside
    # one it still runs in a transaction of its own.
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        cursor.execute(_next_number_sql(), [desk.unit_code, connection.ops.adapt_datefield_value(day)])
        (number,) = cursor.fetchone()
    # Past 9,999 in a day format_code refuses with a clear message (a provincial system numbers with 4 digits).
    return format_code(
        unit_code=desk.unit_code, received_on=day, sequence=number, sequence_width=PROVINCE_SEQUENCE_WIDTH
    )
