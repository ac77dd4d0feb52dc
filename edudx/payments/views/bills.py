"""Bills for staff (``payment.view`` over their units) and payers (their own): list with filters, search, export;
one bill with its lines, allocations, receipts, postings and audit trail; void and refund with a reason."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from edudx.core.api import AuditEvent, actor_for, policy_for
from edudx.core.exports import Column, export_response
from edudx.core.pagination import paginate

from .. import selectors
from ..models import Bill, BillStatus
from ..money import format_vnd
from ..services.bills import bill_refund, bill_void
from .common import bills_crumb, run_action, to_int

__all__ = ["bill_detail", "bill_list", "bill_refund_view", "bill_void_view", "urlpatterns"]


class BillFilterForm(forms.Form):
    q = forms.CharField(label=gettext_lazy("Mã thanh toán hoặc người nộp"), required=False, max_length=100)
    status = forms.ChoiceField(
        label=gettext_lazy("Trạng thái"),
        required=False,
        choices=[("", gettext_lazy("Tất cả")), *list(BillStatus.choices)],
    )
    purpose = forms.CharField(label=gettext_lazy("Nội dung thu"), required=False, max_length=100)
    issued_from = forms.DateField(
        label=gettext_lazy("Lập từ ngày"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    issued_to = forms.DateField(
        label=gettext_lazy("Đến ngày"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


def export_columns() -> list[Column]:
    """Columns with headers in the current language (openpyxl takes plain strings only)."""
    return [
        Column(_("Mã thanh toán"), lambda b: b.reference, 16),
        Column(_("Đơn vị thu"), lambda b: b.org_unit.name, 30),
        Column(_("Người nộp"), lambda b: b.payer_name, 26),
        Column(_("Nội dung"), lambda b: b.purpose, 36),
        Column(_("Số tiền"), lambda b: b.total, 14),
        Column(_("Đã nộp"), lambda b: b.amount_paid, 14),
        Column(_("Trạng thái"), lambda b: b.get_status_display(), 16),
        Column(_("Lập lúc"), lambda b: b.issued_at, 18),
        Column(_("Nộp đủ lúc"), lambda b: b.paid_at, 18),
        Column(_("Hạn nộp"), lambda b: b.due_on, 12),
    ]


@login_required
def bill_list(request: HttpRequest) -> HttpResponseBase:
    actor = actor_for(request)
    form = BillFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    filters = selectors.BillFilters(
        status=data.get("status") or "",
        purpose=data.get("purpose") or "",
        search=data.get("q") or "",
        issued_from=data.get("issued_from"),
        issued_to=data.get("issued_to"),
    )
    bills = selectors.bill_list(actor=actor, filters=filters)
    exported = export_response(request, bills.iterator(), export_columns(), f"khoan-thu-{dt.date.today():%Y%m%d}")
    if exported is not None:
        return exported
    context = {
        "crumbs": [(_("Khoản thu, biên lai"), None)],
        "form": form,
        "is_staff": bool(actor.subtree_paths("payment.view")),
        "can_reconcile": bool(actor.subtree_paths("payment.reconcile")),
        **paginate(request, bills),
    }
    return render(request, "payments/bill_list.html", context)


@login_required
def bill_detail(request: HttpRequest, reference: str) -> HttpResponse:
    actor = actor_for(request)
    bill = selectors.bill_get(actor=actor, reference=reference)
    if bill is None:
        raise Http404
    is_staff = actor.can_in("payment.view", bill.org_unit)
    can_reconcile = actor.can_in("payment.reconcile", bill.org_unit)
    events = []
    if is_staff:
        events = list(
            policy_for(AuditEvent)
            .visible(actor)
            .filter(object_type=Bill._meta.label_lower, object_id=str(bill.pk))
            .order_by("seq")[:100]
        )
    context = {
        "crumbs": [bills_crumb(), (bill.reference, None)],
        "bill": bill,
        "lines": list(bill.lines.all()),
        "allocations": list(selectors.bill_allocations(actor=actor, bill=bill)),
        "receipts": list(selectors.bill_receipts(actor=actor, bill=bill)),
        "postings": list(selectors.bill_postings(actor=actor, bill=bill)) if is_staff else [],
        "events": events,
        "is_staff": is_staff,
        "can_void": can_reconcile and bill.status == BillStatus.ISSUED,
        "can_refund": can_reconcile
        and bill.amount_paid > 0
        and bill.status not in (BillStatus.VOIDED, BillStatus.REFUNDED),
        "total_text": format_vnd(bill.total),
    }
    return render(request, "payments/bill_detail.html", context)


def _reason_action(request: HttpRequest, reference: str, action: str) -> HttpResponse:
    actor = actor_for(request)
    bill = selectors.bill_get(actor=actor, reference=reference)
    if bill is None:
        raise Http404
    back = reverse("payments:bill_detail", args=[bill.reference])
    reason = request.POST.get("reason", "")
    version = to_int(request.POST.get("version"))
    if action == "void":
        return run_action(
            request,
            back,
            lambda: bill_void(actor=actor, bill_id=bill.pk, reason=reason, expected_version=version),
            _("Đã hủy khoản thu %(reference)s.") % {"reference": bill.reference},
        )
    return run_action(
        request,
        back,
        lambda: bill_refund(actor=actor, bill_id=bill.pk, reason=reason, expected_version=version),
        _("Đã hoàn trả tiền và đóng khoản thu %(reference)s.") % {"reference": bill.reference},
    )


@login_required
@require_POST
def bill_void_view(request: HttpRequest, reference: str) -> HttpResponse:
    return _reason_action(request, reference, "void")


@login_required
@require_POST
def bill_refund_view(request: HttpRequest, reference: str) -> HttpResponse:
    return _reason_action(request, reference, "refund")


urlpatterns = [
    path("khoan-thu/", bill_list, name="bill_list"),
    path("khoan-thu/<str:reference>/", bill_detail, name="bill_detail"),
    path("khoan-thu/<str:reference>/huy/", bill_void_view, name="bill_void"),
    path("khoan-thu/<str:reference>/hoan-tra/", bill_refund_view, name="bill_refund"),
]
