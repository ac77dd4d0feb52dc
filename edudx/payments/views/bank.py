"""The bank-credit notification endpoint (no session, no CSRF: the HMAC signature is the authentication) and the
simulated bank used by the demo."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from edudx.core.api import DomainError, actor_for

from .. import selectors, webhook
from ..services.notifications import handle_notification
from ..services.simulator import simulate_payment, simulator_enabled
from .common import bills_crumb

__all__ = ["bank_notify", "simulate", "urlpatterns"]


@csrf_exempt
@require_POST
def bank_notify(request: HttpRequest, bank_code: str) -> HttpResponse:
    """POST one credit notification (see ``webhook``). Answers a JSON status; a refusal stores nothing."""
    limit = getattr(settings, "PAYMENTS_WEBHOOK_MAX_BODY_BYTES", webhook.DEFAULT_MAX_BODY_BYTES)
    length = request.headers.get("Content-Length", "")
    if length.isdigit() and int(length) > limit:
        return JsonResponse({"status": "refused", "code": webhook.RefusalReason.BODY_TOO_LARGE.value}, status=413)
    answer = handle_notification(
        bank_code=bank_code, body=request.body, signature=request.headers.get(webhook.SIGNATURE_HEADER)
    )
    return JsonResponse(answer.body, status=answer.status)


class SimulateForm(forms.Form):
    reference = forms.CharField(label=gettext_lazy("Mã thanh toán"), max_length=25)
    amount = forms.IntegerField(
        label=gettext_lazy("Số tiền (để trống: đúng số còn phải nộp)"), required=False, min_value=1
    )


@login_required
def simulate(request: HttpRequest) -> HttpResponse:
    """Staff only, DEBUG/demo only: send a signed notification paying a bill, as the bank would."""
    if not simulator_enabled():
        raise Http404
    actor = actor_for(request)
    if not actor.subtree_paths("payment.reconcile"):
        raise PermissionDenied
    form = SimulateForm(request.POST or None, initial={"reference": request.GET.get("reference", "")})
    if request.method == "POST" and form.is_valid():
        bill = selectors.bill_get(actor=actor, reference=form.cleaned_data["reference"], verb="reconcile")
        if bill is None:
            form.add_error("reference", _("Không tìm thấy khoản thu này trong đơn vị của bạn."))
        else:
            try:
                answer = simulate_payment(bill=bill, amount=form.cleaned_data["amount"])
            except DomainError as exc:
                messages.error(request, exc.message)
            else:
                messages.info(
                    request,
                    _("Ngân hàng mô phỏng đã gửi thông báo; máy chủ trả lời %(status)s: %(body)s")
                    % {"status": answer.status, "body": answer.body},
                )
                return redirect(reverse("payments:bill_detail", args=[bill.reference]))
    context = {"crumbs": [bills_crumb(), (_("Ngân hàng mô phỏng"), None)], "form": form}
    return render(request, "payments/simulate.html", context)


urlpatterns = [
    path("ngan-hang/<str:bank_code>/thong-bao/", bank_notify, name="bank_notify"),
    path("ngan-hang-mo-phong/", simulate, name="simulate"),
]
