"""Reconciliation (``payment.reconcile``): the manual queue, one credit (apply to a bill, refund), statement upload
(preview, then commit), and the daily books showing that each day balances (with export)."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from edudx.core.api import Actor, DomainError, actor_for
from edudx.core.exports import Column, xlsx_response
from edudx.core.pagination import paginate

from .. import selectors
from ..money import format_vnd
from ..services.credits import credit_assign, credit_refund
from ..services.statements import statement_import, statement_preview
from .common import run_action, to_int

__all__ = ["books", "credit_detail", "reconcile", "statement_upload", "urlpatterns"]

SESSION_KEY = "payments_statement_upload"


def _reconciler(request: HttpRequest) -> Actor:
    actor = actor_for(request)
    if not actor.subtree_paths("payment.reconcile"):
        raise PermissionDenied
    return actor


def _crumb() -> tuple[str, str]:
    return (_("Đối soát thanh toán"), reverse("payments:reconcile"))


class StatementForm(forms.Form):
    account: forms.ModelChoiceField = forms.ModelChoiceField(label=gettext_lazy("Tài khoản thu"), queryset=None)
    file = forms.FileField(label=gettext_lazy("Tệp sao kê (XLSX hoặc CSV)"))

    def __init__(self, *args: object, actor: Actor, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["account"].queryset = selectors.reconcile_accounts(actor=actor)  # type: ignore[attr-defined]


@login_required
def reconcile(request: HttpRequest) -> HttpResponse:
    actor = _reconciler(request)
    show_all = request.GET.get("all") == "1"
    context = {
        "crumbs": [(_("Đối soát thanh toán"), None)],
        "show_all": show_all,
        "statement_form": StatementForm(actor=actor),
        "units": list(selectors.book_units(actor=actor)),
        **paginate(request, selectors.credit_queue(actor=actor, include_resolved=show_all)),
    }
    return render(request, "payments/reconcile.html", context)


@login_required
def credit_detail(request: HttpRequest, credit_id: int) -> HttpResponse:
    actor = _reconciler(request)
    credit = selectors.credit_get(actor=actor, credit_id=credit_id)
    if credit is None:
        raise Http404
    back = reverse("payments:credit_detail", args=[credit.pk])
    if request.method == "POST":
        reason = request.POST.get("reason", "")
        amount = to_int(request.POST.get("amount"))
        if request.POST.get("action") == "assign":
            bill = selectors.bill_get(actor=actor, reference=request.POST.get("reference", ""), verb="reconcile")
            if bill is None:
                messages.error(request, _("Không tìm thấy khoản thu có mã thanh toán này."))
                return redirect(back)
            return run_action(
                request,
                back,
                lambda: credit_assign(actor=actor, credit_id=credit.pk, bill_id=bill.pk, reason=reason, amount=amount),
                _("Đã ghi nhận tiền vào khoản thu %(reference)s.") % {"reference": bill.reference},
            )
        if request.POST.get("action") == "refund":
            return run_action(
                request,
                back,
                lambda: credit_refund(actor=actor, credit_id=credit.pk, reason=reason, amount=amount),
                _("Đã ghi nhận hoàn trả."),
            )
        raise Http404
    candidates = list(selectors.bill_list(actor=actor, verb="reconcile").filter(pk__in=credit.candidate_bill_ids or []))
    context = {
        "crumbs": [_crumb(), (credit.transaction_id, None)],
        "credit": credit,
        "candidates": candidates,
        "allocations": list(credit.allocations.select_related("bill").order_by("id")),
        "unapplied_text": format_vnd(credit.unapplied),
    }
    return render(request, "payments/credit_detail.html", context)


def _stash(request: HttpRequest, account_id: int, data: bytes) -> str:
    token = hashlib.sha256(data).hexdigest()[:32]
    request.session[SESSION_KEY] = {
        "token": token,
        "account": account_id,
        "data": base64.b64encode(data).decode("ascii"),
    }
    return token


@login_required
def statement_upload(request: HttpRequest) -> HttpResponse:
    """POST a file: preview (nothing stored). POST ``commit`` with the preview's token: import all or nothing."""
    actor = _reconciler(request)
    if request.method != "POST":
        return redirect("payments:reconcile")
    if request.POST.get("commit"):
        stashed = request.session.get(SESSION_KEY) or {}
        if not stashed or stashed.get("token") != request.POST.get("token"):
            messages.error(request, _("Bản xem trước đã hết hạn; hãy tải tệp lên lại."))
            return redirect("payments:reconcile")
        try:
            _preview, recorded, skipped = statement_import(
                actor=actor, account_id=stashed["account"], data=base64.b64decode(stashed["data"])
            )
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect("payments:reconcile")
        request.session.pop(SESSION_KEY, None)
        messages.success(
            request,
            _("Đã nhập %(recorded)s giao dịch mới; bỏ qua %(skipped)s giao dịch đã có.")
            % {"recorded": recorded, "skipped": skipped},
        )
        return redirect("payments:reconcile")
    form = StatementForm(request.POST, request.FILES, actor=actor)
    preview = None
    token = ""
    if form.is_valid():
        upload = form.cleaned_data["file"]
        data = upload.read()
        try:
            preview = statement_preview(actor=actor, account_id=form.cleaned_data["account"].pk, data=data)
        except DomainError as exc:
            form.add_error("file", exc.message)
        else:
            token = _stash(request, preview.account.pk, data)
    context = {
        "crumbs": [_crumb(), (_("Nhập sao kê"), None)],
        "form": form,
        "preview": preview,
        "token": token,
    }
    return render(request, "payments/statement_preview.html", context)


def book_columns() -> list[Column]:
    """Columns with headers in the current language (openpyxl takes plain strings only)."""
    return [
        Column(_("Ngày"), lambda d: d.day, 12),
        Column(_("Số bút toán"), lambda d: d.count, 12),
        Column(_("Lập khoản thu (thuần)"), lambda d: d.billed, 18),
        Column(_("Tiền vào"), lambda d: d.received, 16),
        Column(_("Đã đối soát"), lambda d: d.matched, 16),
        Column(_("Đã hoàn trả"), lambda d: d.refunded, 16),
        Column(_("Tiền giữ cuối ngày"), lambda d: d.closing.money_held, 18),
        Column(_("Chờ đối soát cuối ngày"), lambda d: d.closing.unmatched, 18),
        Column(_("Còn phải thu cuối ngày"), lambda d: d.closing.outstanding, 18),
        Column(_("Cân đối"), lambda d: _("Có") if d.balances else _("Không"), 10),
    ]


@login_required
def books(request: HttpRequest, unit_id: int) -> HttpResponse:
    actor = actor_for(request)
    unit = selectors.book_units(actor=actor).filter(pk=unit_id).first()
    if unit is None:
        raise Http404
    since = _date(request.GET.get("since"))
    days = selectors.unit_day_books(actor=actor, unit=unit, since=since)
    if request.GET.get("export") == "xlsx":
        return xlsx_response(days, book_columns(), f"so-thu-{unit.pk}-{dt.date.today():%Y%m%d}", _("Sổ thu"))
    context = {
        "crumbs": [_crumb(), (_("Sổ thu: %(unit)s") % {"unit": unit.name}, None)],
        "unit": unit,
        "days": list(reversed(days)),
        "all_balance": all(day.balances for day in days),
        "since": since,
    }
    return render(request, "payments/books.html", context)


def _date(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


urlpatterns = [
    path("doi-soat/", reconcile, name="reconcile"),
    path("doi-soat/giao-dich/<int:credit_id>/", credit_detail, name="credit_detail"),
    path("doi-soat/sao-ke/", statement_upload, name="statement_upload"),
    path("doi-soat/so-thu/<int:unit_id>/", books, name="books"),
]
