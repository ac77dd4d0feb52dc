"""The electronic result of a dossier: rendered, sealed with the receiving unit's organisation signature, stored,
and handed to the applicant (Nghị định 45/2020/NĐ-CP; Thông tư 01/2023/TT-VPCP: results are issued as signed files
with a code that anyone can check — administration notes §3.6).

``result_issue`` does it all in one transaction, for a dossier the leader has APPROVED:

1. the decision text entered by the handler or leader goes into a PDF laid out per result type (decision, written
   reply, copy from the master register, notice), with the unit, the procedure, the applicant, the dossier code and
   a QR code to the public check page (``dossier_verify:check``);
2. the PDF is signed with the receiving unit's seal (``core.credentials``; PAdES) and stored as the dossier's
   ``DossierFile`` of role ``result`` (``digitised`` and ``signed``, with its ``verify_token``);
3. the dossier takes the ``ISSUE_RESULT`` step: as the one-stop **desk** when the result is handed over at the
   counter or by post, as the **system** when it is delivered electronically (to the applicant's account and data
   store) — the system path is ``workflow.apply_system_action``, which pages and the API cannot choose; the
   staff member who prepared and sealed the result is named in the audit event ``dossier.result_sign``.

A fee-bearing dossier gets its result only once paid (``Dossier.paid_at``): the result is what the fee pays for.
Anything failing (no seal, the signing, a stale page) leaves nothing behind: no file, no event, no state change.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from edudx.core import credentials
from edudx.core.api import Actor, Conflict, NotPermitted, ValidationFailed, audit, policy_for
from edudx.core.pdf import render_pdf
from edudx.core.qr import qr_svg

from ..catalogue import ResultDelivery, ResultType
from ..models import Dossier, DossierFile, FileRole, new_token
from ..states import ActorKind, DossierAction, DossierState
from .workflow import Step, apply_action, apply_system_action, check_capacity, procedure_of

__all__ = [
    "MIN_DECISION_LENGTH",
    "RESULT_TEMPLATES",
    "issuing_kind",
    "may_prepare_result",
    "render_result_pdf",
    "result_issue",
    "verification_url",
]

DEFAULT_PUBLIC_BASE_URL = "http://127.0.0.1:8000"
MIN_DECISION_LENGTH = 10
SIGNATURE_FIELD = "KetQuaGiaiQuyet"
RESULT_TEMPLATES = {
    ResultType.DECISION: "procedures/results/pdf_decision.html",
    ResultType.WRITTEN_REPLY: "procedures/results/pdf_written_reply.html",
    ResultType.COPY: "procedures/results/pdf_copy.html",
    ResultType.NOTICE: "procedures/results/pdf_notice.html",
}
# Staff who may prepare a result: the desk hands it over, the handler drafts it, the leader decides it.
PREPARING_CAPABILITIES = ("dossier.receive", "dossier.handle", "dossier.approve")


def verification_url(token: str) -> str:
    """The absolute address printed (and QR-encoded) on the result; independent of any request."""
    base = str(getattr(settings, "PUBLIC_BASE_URL", "") or DEFAULT_PUBLIC_BASE_URL).rstrip("/")
    return base + reverse("dossier_verify:check", args=[token])


def may_prepare_result(actor: Actor, dossier: Dossier) -> bool:
    return any(actor.can_in(capability, dossier.org_unit) for capability in PREPARING_CAPABILITIES)


def issuing_kind(dossier: Dossier) -> ActorKind:
    """Who issues the result: the system for an electronic delivery, otherwise the one-stop desk."""
    return ActorKind.SYSTEM if dossier.result_delivery == ResultDelivery.ONLINE else ActorKind.DESK


def result_filename(dossier: Dossier) -> str:
    return f"ket-qua-{slugify(dossier.code) or dossier.pk}.pdf"


def render_result_pdf(*, dossier: Dossier, decision_text: str, token: str, issued_at: dt.datetime) -> bytes:
    """The unsigned PDF of the result, in the layout of the procedure's result type."""
    procedure = procedure_of(dossier)
    url = verification_url(token)
    unit = dossier.org_unit
    context: dict[str, Any] = {
        "dossier": dossier,
        "procedure": procedure,
        "result_type": procedure.result_type,
        "unit": unit,
        "parent_unit": unit.parent.name if unit.parent is not None else "",
        "paragraphs": [line.strip() for line in decision_text.splitlines() if line.strip()],
        "issued_at": timezone.localtime(issued_at),
        "verify_url": url,
        "token": token,
        "qr_svg": qr_svg(url, scale=3),
    }
    return render_pdf(RESULT_TEMPLATES[procedure.result_type], context)


def _locked_dossier(actor: Actor, dossier_id: int) -> Dossier:
    visible = policy_for(Dossier).visible(actor)
    dossier = (
        Dossier.objects.select_for_update(of=("self",))
        .select_related("procedure", "org_unit", "org_unit__parent")
        .filter(pk__in=visible.values("pk"))
        .filter(pk=dossier_id)
        .first()
    )
    if dossier is None:
        raise NotPermitted(_("Không tìm thấy hồ sơ hoặc bạn không có quyền xem hồ sơ này."))
    return dossier


def check_issuable(actor: Actor, dossier: Dossier) -> None:
    """Why the result of ``dossier`` cannot be issued by ``actor`` now (``DomainError``), or nothing."""
    if not may_prepare_result(actor, dossier):
        raise NotPermitted(_("Bạn không có quyền trả kết quả hồ sơ của đơn vị này."))
    if dossier.state != DossierState.APPROVED:
        raise ValidationFailed(
            _("Hồ sơ %(code)s chưa được lãnh đạo phê duyệt (trạng thái: %(state)s): chưa thể trả kết quả.")
            % {"code": dossier.code, "state": dossier.get_state_display()},
            code="not_approved",
        )
    if dossier.fee_vnd > 0 and dossier.paid_at is None:
        raise ValidationFailed(
            _(
                "Hồ sơ %(code)s có phí, lệ phí %(fee)s đồng chưa được thanh toán: kết quả chỉ được trả sau khi "
                "người nộp thanh toán."
            )
            % {"code": dossier.code, "fee": f"{dossier.fee_vnd:,}".replace(",", ".")},
            code="unpaid",
        )
    if issuing_kind(dossier) == ActorKind.DESK:
        # A result handed over at the counter or by post is the desk's step (Nghị định 118/2025, trả kết quả).
        check_capacity(actor, dossier, ActorKind.DESK)


def result_issue(
    *,
    actor: Actor,
    dossier_id: int,
    decision_text: str,
    expected_version: int | None = None,
    now: dt.datetime | None = None,
) -> DossierFile:
    """Render, seal and store the result of an approved dossier and issue it; returns the stored file."""
    now = now or timezone.now()
    text = (decision_text or "").strip()
    if len(text) < MIN_DECISION_LENGTH:
        raise ValidationFailed(
            _("Vui lòng nhập nội dung kết quả giải quyết (ít nhất %(n)s ký tự).") % {"n": MIN_DECISION_LENGTH},
            code="decision_required",
            details={"decision_text": [_("Cần nhập nội dung kết quả.")]},
        )
    with transaction.atomic():
        dossier = _locked_dossier(actor, dossier_id)
        if expected_version is not None and expected_version != dossier.version:
            raise Conflict(
                _("Hồ sơ %(code)s vừa được người khác cập nhật; vui lòng tải lại trang.") % {"code": dossier.code},
                code="stale",
            )
        check_issuable(actor, dossier)
        kind = issuing_kind(dossier)
        unit = dossier.org_unit
        credential = credentials.credential_for_unit(unit)  # refuses, with a message, a unit without a seal
        signer = credentials.signer_for_credential(credential)
        token = new_token()
        unsigned = render_result_pdf(dossier=dossier, decision_text=text, token=token, issued_at=now)
        signed = signer.sign(
            unsigned,
            field_name=SIGNATURE_FIELD,
            reason=_("Kết quả giải quyết thủ tục hành chính"),
            location=unit.name,
            signer_name=credentials.common_name(credential) or unit.name,
        )
        digest = hashlib.sha256(signed).hexdigest()
        procedure = procedure_of(dossier)
        result = DossierFile.objects.create(
            dossier=dossier,
            role=FileRole.RESULT,
            component=(procedure.result_name or procedure.result_type.label)[:255],
            filename=result_filename(dossier),
            content_type="application/pdf",
            size=len(signed),
            sha256=digest,
            content=signed,
            digitised=True,
            signed=True,
            verify_token=token,
            uploaded_by=actor.user if actor.is_authenticated else None,
        )
        step = Step(
            action=DossierAction.ISSUE_RESULT,
            as_kind=kind,
            expected_version=dossier.version,
            data={"result_file_id": result.pk, "sha256": digest, "delivery": dossier.result_delivery},
        )
        if kind == ActorKind.SYSTEM:
            # The event is the system's; who prepared and sealed the result is in the audit event below.
            apply_system_action(dossier.pk, step, now=now)
        else:
            apply_action(actor, dossier.pk, step, now=now)
        audit.record(
            actor=actor.user,
            action="dossier.result_sign",
            obj=result,
            org_unit=unit,
            after={
                "dossier": dossier.code,
                "sha256": digest,
                "certificate_serial": credential.serial,
                "issued_as": kind,
                "result_type": procedure.result_type,
            },
        )
    return result
