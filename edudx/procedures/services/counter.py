"""The counter channel and digitisation (administration notes §3.6; Thông tư 01/2023/TT-VPCP).

An applicant who comes to the one-stop desk with paper gets the same dossier as one submitted online: the desk
officer types the form (pre-filled from a pupil of the unit's registry when the procedure is about one), scans each
paper component and the platform stores every scan **signed with the receiving unit's organisation signature**
(``digitised`` and ``signed``), so the applicant never has to hand the same paper in again. A component the
platform already holds (a pupil's record) is not scanned: it is marked ``reused`` (the "reusing digitised data"
indicator of Quyết định 766/QĐ-TTg counts it).

- ``counter_intake`` stores the dossier through ``submission.submit_dossier`` (channel COUNTER, on behalf of the
  applicant), signs every scanned component and, when asked, receives it at once (Mẫu 01) — all in one
  transaction: a bad scan, a unit without a seal or a refused step leaves nothing behind and gives the day's
  sequence number back.
- ``component_digitise`` adds the signed scan of a paper component to an existing dossier (a paper dossier
  received before, or an original shown at the counter later).

Scans arrive as PDF, JPEG or PNG (checked by ``procedures.uploads``); an image is wrapped in a one-page PDF before
it is signed, because a signature needs a PDF to live in.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import secrets
from collections.abc import Mapping, Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from edudx.core import credentials
from edudx.core.api import Actor, NotPermitted, OrgUnit, ValidationFailed, audit, policy_for
from edudx.core.models import SigningCredential
from edudx.core.signing import Signer, SigningFailed

from .. import uploads
from ..catalogue import SubmissionChannel
from ..models import Dossier, DossierFile, FileRole
from ..states import ActorKind, DossierAction, DossierState
from . import submission
from .workflow import Step, apply_action, procedure_of

__all__ = ["DIGITISE_REASON", "component_digitise", "counter_intake", "may_take_at_counter", "sign_scan"]

DIGITISE_REASON = "Số hóa thành phần hồ sơ giấy (Thông tư 01/2023/TT-VPCP)"
SCAN_RESOLUTION_DPI = 150
CLOSED_STATES = frozenset({DossierState.WITHDRAWN, DossierState.REFUSED})


def may_take_at_counter(actor: Actor, unit: OrgUnit) -> bool:
    """Counter work is the one-stop desk's: ``dossier.receive`` in the receiving unit."""
    return actor.can_in("dossier.receive", unit)


def _rewritten(pdf: bytes) -> bytes:
    """The same document written out anew by the signing library (a tolerant read, a clean cross-reference table).

    Some producers (Pillow, several scanner drivers) write cross-reference entries the strict reader of an
    incremental signature refuses; a rewritten file keeps every page and can be signed.
    """
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.pdf_utils.writer import copy_into_new_writer

    writer = copy_into_new_writer(PdfFileReader(io.BytesIO(pdf), strict=False))
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _as_pdf(checked: uploads.CheckedFile) -> tuple[bytes, str]:
    """The scan as PDF bytes and a ``.pdf`` file name (an image becomes one page at the scanner's resolution)."""
    if checked.content_type == uploads.PDF:
        return checked.content, checked.filename
    from PIL import Image

    with Image.open(io.BytesIO(checked.content)) as image:
        page = image.convert("RGB")
        buffer = io.BytesIO()
        page.save(buffer, format="PDF", resolution=SCAN_RESOLUTION_DPI)
    stem = checked.filename.rsplit(".", 1)[0] or "ban-quet"
    return _rewritten(buffer.getvalue()), f"{stem}.pdf"


def _seal(unit: OrgUnit) -> tuple[SigningCredential, Signer]:
    credential = credentials.credential_for_unit(unit)  # a unit without a seal is refused with a clear message
    return credential, credentials.signer_for_credential(credential)


def sign_scan(
    checked: uploads.CheckedFile, *, unit: OrgUnit, credential: SigningCredential, signer: Signer
) -> tuple[bytes, str]:
    """The scan as a PDF signed with ``unit``'s organisation signature, and its file name."""
    pdf, filename = _as_pdf(checked)

    def sign(document: bytes) -> bytes:
        return signer.sign(
            document,
            # A scan may already carry signatures (a document signed elsewhere): a fresh name never collides.
            field_name=f"SoHoa{secrets.token_hex(4)}",
            reason=DIGITISE_REASON,
            location=unit.name,
            signer_name=credentials.common_name(credential) or unit.name,
        )

    try:
        return sign(pdf), filename
    except SigningFailed:
        # A scanner's PDF the strict reader refuses: sign a clean rewrite of it (an earlier signature inside such
        # a file would not survive, but the organisation's signature vouches for the scan as received).
        try:
            rewritten = _rewritten(pdf)
        except Exception:  # the signing library raises many kinds for a damaged file
            raise ValidationFailed(
                _("Tệp «%(name)s»: không ký số được vì tệp PDF bị hỏng; vui lòng quét lại.") % {"name": filename},
                code="file_broken",
            ) from None
        return sign(rewritten), filename


def _digitise_row(row: DossierFile, *, unit: OrgUnit, credential: SigningCredential, signer: Signer) -> None:
    checked = uploads.check_content(row.filename, bytes(row.content))
    signed, filename = sign_scan(checked, unit=unit, credential=credential, signer=signer)
    row.content = signed
    row.filename = filename
    row.content_type = uploads.PDF
    row.size = len(signed)
    row.sha256 = hashlib.sha256(signed).hexdigest()
    row.digitised = True
    row.signed = True
    row.save(update_fields=["content", "filename", "content_type", "size", "sha256", "digitised", "signed"])


def counter_intake(
    *,
    actor: Actor,
    procedure_key: str,
    unit: OrgUnit,
    form_data: Mapping[str, Any],
    files: Mapping[str, Sequence[Any]],
    applicant_name: str,
    applicant_phone: str = "",
    applicant_email: str = "",
    applicant_address: str = "",
    student_id: int | None = None,
    reused_components: Sequence[str] = (),
    receive_now: bool = False,
    now: dt.datetime | None = None,
) -> Dossier:
    """Enter a paper dossier at the counter for an applicant; its scans are stored signed. All-or-nothing.

    ``files`` maps a component's name to its scans; ``reused_components`` names those taken from platform data
    instead. With ``receive_now`` the desk receives the dossier in the same step (the receipt, Mẫu 01).
    """
    if not may_take_at_counter(actor, unit):
        raise NotPermitted(_("Chỉ cán bộ Bộ phận Một cửa của đơn vị được nhập hồ sơ tại quầy."))
    if not (applicant_name or "").strip():
        raise ValidationFailed(
            _("Vui lòng nhập họ và tên người nộp hồ sơ."),
            code="applicant_required",
            details={"applicant_name": [_("Cần nhập họ và tên người nộp.")]},
        )
    now = now or timezone.now()
    with transaction.atomic():
        credential, signer = _seal(unit)  # before anything is stored: no seal, no counter dossier
        dossier = submission.submit_dossier(
            actor,
            procedure_key,
            form_data=dict(form_data),
            files={name: list(scans) for name, scans in files.items()},
            channel=SubmissionChannel.COUNTER,
            unit=unit,
            student_id=student_id,
            applicant_name=applicant_name.strip(),
            applicant_phone=applicant_phone.strip(),
            applicant_email=applicant_email.strip(),
            applicant_address=applicant_address.strip(),
            now=now,
            reused_components=tuple(reused_components),
            on_behalf=True,
        )
        scans = list(dossier.files.filter(role=FileRole.COMPONENT, reused=False, superseded=False).order_by("id"))
        for row in scans:
            _digitise_row(row, unit=unit, credential=credential, signer=signer)
        if receive_now:
            apply_action(actor, dossier.pk, Step(action=DossierAction.RECEIVE, as_kind=ActorKind.DESK), now=now)
        audit.record(
            actor=actor.user,
            action="dossier.counter_intake",
            obj=dossier,
            org_unit=unit,
            after={
                "code": dossier.code,
                "digitised": [row.component for row in scans],
                "reused": list(reused_components),
                "received": receive_now,
                "certificate_serial": credential.serial,
            },
        )
    dossier.refresh_from_db()
    return dossier


def component_names(dossier: Dossier) -> list[str]:
    """The names of the procedure's components, in the catalogue's order."""
    return [component.name for component in procedure_of(dossier).components]


def component_digitise(
    *,
    actor: Actor,
    dossier_id: int,
    component: str,
    upload: Any,
    now: dt.datetime | None = None,
) -> DossierFile:
    """Add the signed scan of a paper component to an existing dossier; returns the stored file."""
    with transaction.atomic():
        visible = policy_for(Dossier).visible(actor)
        dossier = (
            Dossier.objects.select_for_update(of=("self",))
            .select_related("procedure", "org_unit")
            .filter(pk__in=visible.values("pk"), pk=dossier_id)
            .first()
        )
        if dossier is None:
            raise NotPermitted(_("Không tìm thấy hồ sơ hoặc bạn không có quyền xem hồ sơ này."), code="not_found")
        if not may_take_at_counter(actor, dossier.org_unit):
            raise NotPermitted(_("Chỉ cán bộ Bộ phận Một cửa của đơn vị được số hóa hồ sơ."))
        if dossier.state in CLOSED_STATES:
            raise ValidationFailed(
                _("Hồ sơ %(code)s đã %(state)s: không số hóa thêm thành phần.")
                % {"code": dossier.code, "state": dossier.get_state_display().lower()},
                code="dossier_closed",
            )
        name = (component or "").strip()
        known = component_names(dossier)
        if (known and name not in known) or not name:
            raise ValidationFailed(
                _("Vui lòng chọn thành phần hồ sơ được số hóa."),
                code="component_required",
                details={"component": [_("Thành phần không thuộc thủ tục của hồ sơ.")]},
            )
        if upload is None:
            raise ValidationFailed(
                _("Vui lòng chọn tệp bản quét."), code="file_required", details={"file": [_("Chưa chọn tệp.")]}
            )
        checked = uploads.check_upload(upload)
        credential, signer = _seal(dossier.org_unit)
        signed, filename = sign_scan(checked, unit=dossier.org_unit, credential=credential, signer=signer)
        row = DossierFile.objects.create(
            dossier=dossier,
            role=FileRole.COMPONENT,
            component=name[:255],
            filename=filename[:255],
            content_type=uploads.PDF,
            size=len(signed),
            sha256=hashlib.sha256(signed).hexdigest(),
            content=signed,
            digitised=True,
            signed=True,
            uploaded_by=actor.user,
        )
        audit.record(
            actor=actor.user,
            action="dossier.digitise_component",
            obj=row,
            org_unit=dossier.org_unit,
            after={
                "dossier": dossier.code,
                "component": row.component,
                "sha256": row.sha256,
                "source_sha256": checked.sha256,
                "certificate_serial": credential.serial,
                "at": (now or timezone.now()).isoformat(),
            },
        )
    return row
