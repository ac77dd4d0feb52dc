"""A catalogue ``Procedure`` as JSON and back: what ``ProcedureVersion.data`` holds. Pure functions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _

from edudx.core.errors import ValidationFailed

from .catalogue import (
    AuthorityLevel,
    Component,
    ComponentForm,
    FeeKind,
    FeeRule,
    OnlineLevel,
    Procedure,
    ResultType,
)
from .forms_schema import definition_from_data, definition_to_data


def procedure_to_data(p: Procedure) -> dict[str, Any]:
    return {
        "key": p.key,
        "name": p.name,
        "code": p.code,
        "legal_basis": list(p.legal_basis),
        "authority_level": str(p.authority_level),
        "competent_authority": p.competent_authority,
        "components": [
            {"name": c.name, "form": str(c.form), "count": c.count, "required": c.required, "note": c.note}
            for c in p.components
        ],
        "processing_days": p.processing_days,
        "fee": None
        if p.fee is None
        else {
            "amount_vnd": p.fee.amount_vnd,
            "kind": str(p.fee.kind),
            "legal_basis": p.fee.legal_basis,
            "note": p.fee.note,
        },
        "online_level": str(p.online_level),
        "result_type": str(p.result_type),
        "result_name": p.result_name,
        "valid_from": p.valid_from.isoformat(),
        "valid_to": p.valid_to.isoformat() if p.valid_to else None,
        "sector": p.sector,
        "application_form": definition_to_data(p.application_form) if p.application_form else None,
        "full_online_eligible": p.full_online_eligible,
        "unconfirmed_fields": sorted(p.unconfirmed_fields),
        "sources": list(p.sources),
        "note": p.note,
    }


def procedure_from_data(data: Mapping[str, Any]) -> Procedure:
    """The stored procedure; ``ValidationFailed`` when the JSON does not have the expected shape."""
    try:
        fee = data.get("fee")
        form = data.get("application_form")
        return Procedure(
            key=str(data["key"]),
            name=str(data["name"]),
            code=data.get("code") or None,
            legal_basis=tuple(str(b) for b in data.get("legal_basis") or ()),
            authority_level=AuthorityLevel(data["authority_level"]),
            competent_authority=str(data["competent_authority"]),
            components=tuple(
                Component(
                    name=str(c["name"]),
                    form=ComponentForm(c["form"]),
                    count=int(c.get("count", 1)),
                    required=bool(c.get("required", True)),
                    note=str(c.get("note") or ""),
                )
                for c in data.get("components") or ()
            ),
            processing_days=None if data.get("processing_days") is None else int(data["processing_days"]),
            fee=None
            if not fee
            else FeeRule(
                amount_vnd=int(fee["amount_vnd"]),
                kind=FeeKind(fee["kind"]),
                legal_basis=str(fee.get("legal_basis") or ""),
                note=str(fee.get("note") or ""),
            ),
            online_level=OnlineLevel(data["online_level"]),
            result_type=ResultType(data["result_type"]),
            result_name=str(data["result_name"]),
            valid_from=dt.date.fromisoformat(data["valid_from"]),
            valid_to=dt.date.fromisoformat(data["valid_to"]) if data.get("valid_to") else None,
            sector=str(data.get("sector") or ""),
            application_form=definition_from_data(form) if form else None,
            full_online_eligible=bool(data.get("full_online_eligible", True)),
            unconfirmed_fields=frozenset(data.get("unconfirmed_fields") or ()),
            sources=tuple(str(s) for s in data.get("sources") or ()),
            note=str(data.get("note") or ""),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ValidationFailed(
            _("Dữ liệu thủ tục không đúng cấu trúc (%(problem)s).") % {"problem": exc}, code="invalid_procedure"
        ) from exc
