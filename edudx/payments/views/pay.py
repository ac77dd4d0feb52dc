"""The pay page of a bill (payer or staff, phone first): amount, lines, the VietQR image, the details for a manual
transfer, status polling until paid, then the receipt. Also the QR image and the receipt download."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from edudx.core.api import DomainError, actor_for
from edudx.core.qr import qr_png, qr_svg

from .. import selectors
from ..models import Bill, BillStatus
from ..services.simulator import simulate_payment, simulator_enabled
from .common import bills_crumb

__all__ = ["pay", "pay_qr_image", "pay_simulate", "pay_status", "receipt_pdf", "urlpatterns"]


def _bill(request: HttpRequest, reference: str) -> Bill:
    bill = selectors.bill_get(actor=actor_for(request), reference=reference)
    if bill is None:
        raise Http404
    return bill


def _status_context(request: HttpRequest, bill: Bill) -> dict[str, object]:
    actor = actor_for(request)
    return {
        "bill": bill,
        "receipts": list(selectors.bill_receipts(actor=actor, bill=bill)),
        "is_final": bill.status not in (BillStatus.ISSUED, BillStatus.PARTLY_PAID),
    }


@login_required
def pay(request: HttpRequest, reference: str) -> HttpResponse:
    bill = _bill(request, reference)
    actor = actor_for(request)
    qr = selectors.pay_qr(bill)
    context = {
        **_status_context(request, bill),
        "crumbs": [bills_crumb(), (_("Thanh toán %(reference)s") % {"reference": bill.reference}, None)],
        "qr": qr,
        "qr_svg": qr_svg(qr.payload, scale=5) if qr else "",
        "lines": list(bill.lines.all()),
        "can_simulate": simulator_enabled()
        and qr is not None
        and (bill.payer_user_id == request.user.pk or actor.can_in("payment.reconcile", bill.org_unit)),
        "is_staff": actor.can_in("payment.view", bill.org_unit),
    }
    return render(request, "payments/pay.html", context)


@login_required
def pay_status(request: HttpRequest, reference: str) -> HttpResponse:
    """The status block, polled by htmx every few seconds until the bill is paid (or closed)."""
    bill = _bill(request, reference)
    return render(request, "payments/_pay_status.html", _status_context(request, bill))


@login_required
def pay_qr_image(request: HttpRequest, reference: str, fmt: str) -> HttpResponse:
    if fmt not in ("png", "svg"):
        raise Http404
    bill = _bill(request, reference)
    qr = selectors.pay_qr(bill)
    if qr is None:
        raise Http404
    if fmt == "png":
        response = HttpResponse(qr_png(qr.payload), content_type="image/png")
    else:
        response = HttpResponse(qr_svg(qr.payload), content_type="image/svg+xml")
    response["Cache-Control"] = "private, no-store"
    response["Content-Disposition"] = f'inline; filename="vietqr-{bill.reference}.{fmt}"'
    return response


@login_required
def receipt_pdf(request: HttpRequest, receipt_id: int) -> HttpResponse:
    receipt = selectors.receipt_get(actor=actor_for(request), receipt_id=receipt_id)
    if receipt is None:
        raise Http404
    response = HttpResponse(bytes(receipt.pdf), content_type="application/pdf")
    name = f"bien-lai-{receipt.sequence.series_symbol}-{receipt.number_text}.pdf".replace("/", "-")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


urlpatterns = [
    path("nop/<str:reference>/", pay, name="pay"),
    path("nop/<str:reference>/trang-thai/", pay_status, name="pay_status"),
    path("nop/<str:reference>/qr.<str:fmt>", pay_qr_image, name="pay_qr"),
    path("bien-lai/<int:receipt_id>/", receipt_pdf, name="receipt_pdf"),
]


@login_required
@require_POST
def pay_simulate(request: HttpRequest, reference: str) -> HttpResponse:
    """Demo only: the payer (or staff) makes the simulated bank pay this bill, as scanning the QR would."""
    if not simulator_enabled():
        raise Http404
    bill = _bill(request, reference)
    actor = actor_for(request)
    if bill.payer_user_id != request.user.pk and not actor.can_in("payment.reconcile", bill.org_unit):
        raise PermissionDenied
    back = reverse("payments:pay", args=[bill.reference])
    try:
        answer = simulate_payment(bill=bill)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(back)
    if answer.status == 200:
        messages.success(request, _("Ngân hàng mô phỏng đã chuyển tiền; trang sẽ cập nhật khi hệ thống ghi nhận."))
    else:
        messages.error(request, _("Ngân hàng mô phỏng bị từ chối: %(code)s") % {"code": answer.body.get("code", "")})
    return redirect(back)


urlpatterns.append(path("nop/<str:reference>/mo-phong/", pay_simulate, name="pay_simulate"))
