"""The forms of the one-stop mechanism (Phụ lục I, Thông tư 03/2025/TT-VPCP; administration notes §3.2) as PDFs.

Mẫu 01 giấy tiếp nhận hồ sơ và hẹn trả kết quả, 02 phiếu yêu cầu bổ sung, hoàn thiện hồ sơ, 03 phiếu từ chối
tiếp nhận, 04 văn bản xin lỗi và đề nghị gia hạn, 05 thông báo dừng giải quyết, 06 phiếu kiểm soát quá trình giải
quyết. (Mẫu 07, the register, is a page with print and spreadsheet exports: ``views.desk.register``.)

Decision: forms are **rendered on demand from the events**, not stored as files. Each event that issues a form
keeps in ``DossierEvent.data`` the facts decided at that moment (the appointment of the receipt, the old and new
dates of an extension, the reason in ``note``), so printing a form again later gives the same content; the control
sheet grows with the dossier and must be current when printed. Storing a PDF per step would make every desk action
wait for a render (about half a second) inside its transaction, for a document that can be rebuilt exactly.
If a form must become a signed, immutable file (e.g. sent to the national portal), store the rendered bytes then
as ``DossierFile(role=form)`` — ``render_form`` is the single place that makes them.

Every form carries the dossier code and a QR code to the tracking page.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from edudx.core.api import DomainError
from edudx.core.pdf import render_pdf
from edudx.core.qr import qr_svg

from .catalogue import ResultDelivery, SubmissionChannel
from .models import Dossier, DossierEvent
from .selectors.desk import component_lines, control_lines
from .states import DossierAction, FormNumber

F = FormNumber

# The forms printed from one event (issued to the applicant), and the control sheet built from all events.
EVENT_FORMS = (F.RECEIPT, F.SUPPLEMENT_REQUEST, F.REFUSAL, F.APOLOGY_EXTENSION, F.STOP_NOTICE)
PRINTABLE_FORMS = (*EVENT_FORMS, F.CONTROL_SHEET)
TEMPLATES = {
    F.RECEIPT: "procedures/forms/01_receipt.html",
    F.SUPPLEMENT_REQUEST: "procedures/forms/02_supplement_request.html",
    F.REFUSAL: "procedures/forms/03_refusal.html",
    F.APOLOGY_EXTENSION: "procedures/forms/04_apology_extension.html",
    F.STOP_NOTICE: "procedures/forms/05_stop_notice.html",
    F.CONTROL_SHEET: "procedures/forms/06_control_sheet.html",
}
SHORT_TITLES = {
    F.RECEIPT: "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ",
    F.SUPPLEMENT_REQUEST: "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ",
    F.REFUSAL: "PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ",
    F.APOLOGY_EXTENSION: "VĂN BẢN XIN LỖI VÀ ĐỀ NGHỊ GIA HẠN THỜI GIAN GIẢI QUYẾT HỒ SƠ",
    F.STOP_NOTICE: "THÔNG BÁO DỪNG GIẢI QUYẾT HỒ SƠ",
    F.CONTROL_SHEET: "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ",
}


@dataclass(frozen=True)
class IssuedForm:
    number: str
    label: str
    event: DossierEvent | None  # None for the control sheet

    @property
    def at(self) -> dt.datetime | None:
        return self.event.at if self.event is not None else None


def tracking_url(dossier: Dossier) -> str:
    """The absolute address of the dossier's tracking page (QR-encoded on every form); independent of a request."""
    base = str(getattr(settings, "PUBLIC_BASE_URL", "") or "").rstrip("/")
    try:
        path = reverse("procedures:dossier_track", args=[dossier.code])
    except NoReverseMatch:  # the tracking page belongs to the citizen pages; fall back to the public look-up
        try:
            path = reverse("procedures:lookup") + f"?code={dossier.code}"
        except NoReverseMatch:
            path = f"/dich-vu-cong/?code={dossier.code}"
    return base + path


def issued_forms(dossier: Dossier, events: list[DossierEvent] | None = None, *, staff: bool = True) -> list[IssuedForm]:
    """The forms of the dossier, oldest first: one per event that issued one; the control sheet for staff."""
    rows = events if events is not None else list(dossier.events.order_by("at", "id"))
    out = [
        IssuedForm(event.form_number, str(F(event.form_number).label), event)
        for event in rows
        if event.form_number in EVENT_FORMS
    ]
    if staff and dossier.received_at is not None:
        out.append(IssuedForm(F.CONTROL_SHEET, str(F.CONTROL_SHEET.label), None))
    return out


def form_event(dossier: Dossier, number: str, event_id: int | None = None) -> DossierEvent | None:
    """The event a form was issued with: the given one, else the latest (a second Mẫu 02 replaces the first)."""
    rows = dossier.events.select_related("actor").filter(form_number=number)
    if event_id is not None:
        rows = rows.filter(pk=event_id)
    return rows.order_by("-at", "-id").first()


def _moment(value: Any) -> dt.datetime | None:
    if not value:
        return None
    moment = dt.datetime.fromisoformat(value) if isinstance(value, str) else value
    return timezone.localtime(moment)


def _desk_info(dossier: Dossier, day: dt.date) -> dict[str, str]:
    from .services.codes import desk_for

    try:
        desk = desk_for(dossier.org_unit, day)
    except DomainError:
        return {"address": "", "phone": "", "unit_code": ""}
    return {"address": desk.address, "phone": desk.phone, "unit_code": desk.unit_code}


def _parent_name(dossier: Dossier) -> str:
    parent = getattr(dossier.org_unit, "parent", None)
    return parent.name if parent is not None else ""


def form_context(dossier: Dossier, number: str, event: DossierEvent | None) -> dict[str, Any]:
    """What the form templates print. Dates are local; amounts in whole đồng."""
    from .services.workflow import procedure_of

    procedure = procedure_of(dossier)
    url = tracking_url(dossier)
    issued_at = timezone.localtime(event.at) if event is not None else timezone.localtime()
    data = (event.data or {}) if event is not None else {}
    context: dict[str, Any] = {
        "number": number,
        "form_label": str(F(number).label),
        "title": SHORT_TITLES[F(number)],
        "dossier": dossier,
        "procedure": procedure,
        "unit_name": dossier.org_unit.name,
        "parent_name": _parent_name(dossier),
        "desk": _desk_info(dossier, issued_at.date()),
        "event": event,
        "issued_at": issued_at,
        "officer": event.actor.get_full_name() if event is not None and event.actor is not None else "",
        "note": event.note if event is not None else "",
        "tracking_url": url,
        "tracking_qr": qr_svg(url, scale=3),
        "channel_label": str(SubmissionChannel(dossier.channel).label)
        if dossier.channel in SubmissionChannel.values
        else dossier.channel,
        "delivery_label": str(ResultDelivery(dossier.result_delivery).label)
        if dossier.result_delivery in ResultDelivery.values
        else dossier.result_delivery,
        "fee": f"{dossier.fee_vnd:,}".replace(",", ".") if dossier.fee_vnd else "",
    }
    if number == F.RECEIPT:
        context["components"] = component_lines(dossier)
        context["due_at"] = _moment(data.get("due_at")) or (
            timezone.localtime(dossier.due_at) if dossier.due_at else None
        )
        context["processing_days"] = data.get("processing_days", procedure.processing_days)
    elif number == F.APOLOGY_EXTENSION:
        context["old_due_at"] = _moment(data.get("old_due_at"))
        context["new_due_at"] = _moment(data.get("new_due_at"))
    elif number == F.SUPPLEMENT_REQUEST:
        context["before_receipt"] = event is not None and event.action == DossierAction.REQUEST_COMPLETION
        context["components"] = component_lines(dossier)
    elif number == F.CONTROL_SHEET:
        context["lines"] = control_lines(dossier)
        context["due_at"] = timezone.localtime(dossier.due_at) if dossier.due_at else None
    return context


def render_form(dossier: Dossier, number: str, event_id: int | None = None) -> bytes:
    """The PDF of form ``number`` of ``dossier`` (the caller has checked who may read it).

    ``DomainError`` (code ``form_not_issued``) when no event issued that form, or the number is not a printable form.
    """
    if number not in PRINTABLE_FORMS:
        raise DomainError(_("Không có biểu mẫu số %(n)s.") % {"n": number}, code="form_not_issued")
    event = None
    if number != F.CONTROL_SHEET:
        event = form_event(dossier, number, event_id)
        if event is None:
            raise DomainError(
                _("Hồ sơ %(code)s chưa có %(form)s.") % {"code": dossier.code, "form": F(number).label},
                code="form_not_issued",
            )
    elif dossier.received_at is None:
        raise DomainError(_("Hồ sơ chưa được tiếp nhận nên chưa có phiếu kiểm soát."), code="form_not_issued")
    return render_pdf(TEMPLATES[F(number)], form_context(dossier, number, event))


def form_filename(dossier: Dossier, number: str) -> str:
    return f"mau-{number}-{dossier.code}.pdf"
