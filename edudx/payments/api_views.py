"""REST API of payments (under /api/v1/): bills, receipts, bank credits and statement upload.

- ``payments/bills/`` list/detail (``payment.view``; a payer sees their own), ``POST`` create
  (``payment.reconcile`` over ``org_unit``), ``GET {reference}/pay/`` the VietQR payload and image URLs,
  ``POST {reference}/void/`` and ``{reference}/refund/`` (``{"reason", "version"?}``).
- ``payments/receipts/`` list/detail, ``GET {id}/pdf/``.
- ``payments/credits/`` (``payment.reconcile``) list/detail, ``POST {id}/assign/`` (``{"bill", "reason",
  "amount"?}``), ``POST {id}/refund/`` (``{"reason", "amount"?}``).
- ``/api/v1/payments/statements/`` ``POST`` multipart (``account``, ``file``, ``commit``): preview, or import.

Refusals answer ``{"detail", "code"}`` in Vietnamese (core http handler): 400 invalid, 403, 404, 409 conflict.
The bank notification endpoint is a plain view (``payments:bank_notify``), not part of this API.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import HttpResponse
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from edudx.core.api import Actor, OrgUnit, ValidationFailed
from edudx.core.api_views import PolicyScopedViewSet

from . import selectors
from .models import BankCredit, Bill, BillLine, BillStatus, Receipt
from .services.bills import bill_issue, bill_refund, bill_void
from .services.credits import credit_assign, credit_refund
from .services.statements import statement_import, statement_preview


class BillLineSerializer(serializers.ModelSerializer):
    class Meta:
        model = BillLine
        fields = ["position", "description", "amount"]


class BillSerializer(serializers.ModelSerializer):
    lines = BillLineSerializer(many=True, read_only=True)
    org_unit_name = serializers.CharField(source="org_unit.name", read_only=True)
    outstanding = serializers.IntegerField(read_only=True)
    pay_url = serializers.CharField(source="get_pay_url", read_only=True)

    class Meta:
        model = Bill
        fields = [
            "id", "reference", "org_unit", "org_unit_name", "payer_user", "payer_name", "payer_detail", "purpose",
            "total", "amount_paid", "outstanding", "status", "source", "due_on", "issued_at", "paid_at",
            "paid_online", "void_reason", "voided_at", "version", "lines", "pay_url",
        ]  # fmt: skip


class BillLineInput(serializers.Serializer):
    description = serializers.CharField(max_length=255)
    amount = serializers.IntegerField(min_value=1)


class BillCreateSerializer(serializers.Serializer):
    org_unit = serializers.IntegerField()
    payer_name = serializers.CharField(max_length=255)
    payer_detail = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
    purpose = serializers.CharField(max_length=255)
    due_on = serializers.DateField(required=False, allow_null=True, default=None)
    lines = BillLineInput(many=True)


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500)
    version = serializers.IntegerField(required=False, allow_null=True, default=None)


class BillFilter(filters.FilterSet):
    status = filters.ChoiceFilter(choices=BillStatus.choices, label="Trạng thái")
    org_unit = filters.NumberFilter(field_name="org_unit_id", label="Đơn vị (id)")
    source = filters.CharFilter(field_name="source", label="Nguồn")
    issued_from = filters.DateFilter(field_name="issued_at", lookup_expr="date__gte", label="Lập từ ngày")
    issued_to = filters.DateFilter(field_name="issued_at", lookup_expr="date__lte", label="Lập đến ngày")

    class Meta:
        model = Bill
        fields = ["status", "org_unit", "source"]


class BillViewSet(PolicyScopedViewSet):
    """Bills: read for ``payment.view`` and payers; writes for ``payment.reconcile``."""

    queryset = Bill.objects.all()  # type: ignore[misc]  # DRF stubs declare it per instance
    serializer_class = BillSerializer
    filterset_class = BillFilter
    lookup_field = "reference"
    search_fields = ["reference", "payer_name", "purpose"]
    ordering_fields = ["issued_at", "total", "status"]
    ordering = ["-issued_at", "-id"]

    def base_queryset(self) -> QuerySet[Bill]:
        return Bill.objects.select_related("org_unit").prefetch_related("lines")

    def _bill(self, reference: str) -> Bill:
        bill = selectors.bill_get(actor=self.actor, reference=reference)
        if bill is None:
            raise NotFound(_("Không tìm thấy khoản thu."))
        return bill

    def _answer(self, bill: Bill, code: int = status.HTTP_200_OK) -> Response:
        fresh = self.base_queryset().get(pk=bill.pk)
        return Response(BillSerializer(fresh).data, status=code)

    def create(self, request: Request) -> Response:
        body = BillCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        unit = OrgUnit.objects.filter(pk=data["org_unit"]).first()
        if unit is None or not self.actor.can_in("payment.reconcile", unit):
            raise NotFound(_("Không tìm thấy đơn vị."))
        bill = bill_issue(
            actor=self.actor,
            org_unit=unit,
            payer_user=None,
            payer_name=data["payer_name"],
            payer_detail=data["payer_detail"],
            purpose=data["purpose"],
            lines=[(line["description"], line["amount"]) for line in data["lines"]],
            source="api",
            due_on=data["due_on"],
        )
        return self._answer(bill, status.HTTP_201_CREATED)

    @action(detail=True, methods=["get"])
    def pay(self, request: Request, reference: Any = None) -> Response:
        bill = self._bill(reference)
        qr = selectors.pay_qr(bill)
        if qr is None:
            return Response({"reference": bill.reference, "status": bill.status, "payable": False})
        return Response(
            {
                "reference": bill.reference,
                "status": bill.status,
                "payable": True,
                "amount": bill.outstanding,
                "payload": qr.payload,
                "bank_bin": qr.account.bank_bin,
                "bank_name": qr.account.bank_name,
                "account_number": qr.account.account_number,
                "account_name": qr.account.account_name,
                "content": qr.content,
                "image_png": reverse("payments:pay_qr", args=[bill.reference, "png"]),
                "image_svg": reverse("payments:pay_qr", args=[bill.reference, "svg"]),
                "pay_url": bill.get_pay_url(),
            }
        )

    @action(detail=True, methods=["post"])
    def void(self, request: Request, reference: Any = None) -> Response:
        bill = self._bill(reference)
        body = ReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        bill = bill_void(
            actor=self.actor,
            bill_id=bill.pk,
            reason=body.validated_data["reason"],
            expected_version=body.validated_data["version"],
        )
        return self._answer(bill)

    @action(detail=True, methods=["post"])
    def refund(self, request: Request, reference: Any = None) -> Response:
        bill = self._bill(reference)
        body = ReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        bill = bill_refund(
            actor=self.actor,
            bill_id=bill.pk,
            reason=body.validated_data["reason"],
            expected_version=body.validated_data["version"],
        )
        return self._answer(bill)


class ReceiptSerializer(serializers.ModelSerializer):
    bill_reference = serializers.CharField(source="bill.reference", read_only=True)
    form_symbol = serializers.CharField(source="sequence.form_symbol", read_only=True)
    series_symbol = serializers.CharField(source="sequence.series_symbol", read_only=True)
    number_text = serializers.CharField(read_only=True)
    pdf_url = serializers.SerializerMethodField()

    class Meta:
        model = Receipt
        fields = [
            "id", "bill_reference", "form_symbol", "series_symbol", "number", "number_text", "amount",
            "bank_transaction_id", "issued_at", "sha256", "voided_at", "void_reason", "pdf_url",
        ]  # fmt: skip

    def get_pdf_url(self, obj: Receipt) -> str:
        return reverse("payment-receipt-pdf", args=[obj.pk])


class ReceiptViewSet(PolicyScopedViewSet):
    queryset = Receipt.objects.all()  # type: ignore[misc]
    serializer_class = ReceiptSerializer
    ordering = ["-issued_at", "-id"]

    def base_queryset(self) -> QuerySet[Receipt]:
        return Receipt.objects.select_related("bill", "sequence").defer("pdf")

    @action(detail=True, methods=["get"])
    def pdf(self, request: Request, pk: Any = None) -> HttpResponse:
        receipt = selectors.receipt_get(actor=self.actor, receipt_id=int(pk))
        if receipt is None:
            raise NotFound()
        response = HttpResponse(bytes(receipt.pdf), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="bien-lai-{receipt.number_text}.pdf"'
        return response


class CreditSerializer(serializers.ModelSerializer):
    unapplied = serializers.IntegerField(read_only=True)

    class Meta:
        model = BankCredit
        fields = [
            "id", "org_unit", "bank_code", "transaction_id", "account_number", "amount", "content", "credited_at",
            "received_at", "source", "match_outcome", "match_reason", "candidate_bill_ids", "state", "allocated",
            "refunded", "unapplied", "flagged", "flag_note", "resolved_at", "resolution_note",
        ]  # fmt: skip


class AssignSerializer(serializers.Serializer):
    bill = serializers.CharField(max_length=25, help_text="Mã thanh toán của khoản thu")
    reason = serializers.CharField(max_length=500)
    amount = serializers.IntegerField(min_value=1, required=False, allow_null=True, default=None)


class CreditRefundSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500)
    amount = serializers.IntegerField(min_value=1, required=False, allow_null=True, default=None)


class CreditFilter(filters.FilterSet):
    state = filters.CharFilter(field_name="state", label="Trạng thái")
    flagged = filters.BooleanFilter(field_name="flagged", label="Cần kiểm tra")

    class Meta:
        model = BankCredit
        fields = ["state", "flagged"]


class CreditViewSet(PolicyScopedViewSet):
    """Money reported by the bank, and the manual queue (``payment.reconcile``)."""

    queryset = BankCredit.objects.all()  # type: ignore[misc]
    policy_verb = "reconcile"
    serializer_class = CreditSerializer
    filterset_class = CreditFilter
    ordering = ["-credited_at", "-id"]

    def base_queryset(self) -> QuerySet[BankCredit]:
        return BankCredit.objects.defer("raw_payload")

    def _credit(self, pk: Any) -> BankCredit:
        credit = selectors.credit_get(actor=self.actor, credit_id=int(pk))
        if credit is None:
            raise NotFound()
        return credit

    @action(detail=True, methods=["post"])
    def assign(self, request: Request, pk: Any = None) -> Response:
        credit = self._credit(pk)
        body = AssignSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        bill = selectors.bill_get(actor=self.actor, reference=body.validated_data["bill"], verb="reconcile")
        if bill is None:
            raise NotFound(_("Không tìm thấy khoản thu."))
        credit = credit_assign(
            actor=self.actor,
            credit_id=credit.pk,
            bill_id=bill.pk,
            reason=body.validated_data["reason"],
            amount=body.validated_data["amount"],
        )
        return Response(CreditSerializer(credit).data)

    @action(detail=True, methods=["post"])
    def refund(self, request: Request, pk: Any = None) -> Response:
        credit = self._credit(pk)
        body = CreditRefundSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        credit = credit_refund(
            actor=self.actor,
            credit_id=credit.pk,
            reason=body.validated_data["reason"],
            amount=body.validated_data["amount"],
        )
        return Response(CreditSerializer(credit).data)


class StatementUploadSerializer(serializers.Serializer):
    account = serializers.IntegerField(help_text="Mã tài khoản thu (PaymentAccount) của đơn vị.")
    file = serializers.FileField(help_text="Sao kê ngân hàng XLSX hoặc CSV.")
    commit = serializers.BooleanField(required=False, default=False, help_text="true: ghi nhận; bỏ trống: xem trước.")


class StatementUploadApi(APIView):
    """``POST`` multipart ``account`` (id), ``file`` (XLSX/CSV), ``commit`` (``true`` to import): without commit,
    the preview only (nothing stored); with it, every new credit is recorded and matched, all or nothing."""

    parser_classes = [MultiPartParser]

    @extend_schema(
        request={"multipart/form-data": StatementUploadSerializer},
        responses={200: OpenApiTypes.OBJECT},
        summary="Tải sao kê ngân hàng để đối soát (xem trước hoặc ghi nhận)",
    )
    def post(self, request: Request) -> Response:
        actor = Actor(user=request.user)
        upload = request.FILES.get("file")
        account = str(request.data.get("account") or "")
        if upload is None or not account.isdigit():
            raise ValidationFailed(_("Cần gửi tài khoản thu (account) và tệp sao kê (file)."), code="invalid")
        data = upload.read()
        if str(request.data.get("commit", "")).lower() in {"1", "true", "yes"}:
            preview, recorded, skipped = statement_import(actor=actor, account_id=int(account), data=data)
            return Response({"recorded": recorded, "skipped": skipped, "rows": len(preview.statement.entries)})
        preview = statement_preview(actor=actor, account_id=int(account), data=data)
        return Response(
            {
                "layout": preview.statement.layout.code,
                "new": [
                    {
                        "row": e.row,
                        "transaction_id": e.credit.transaction_id,
                        "amount": e.credit.amount,
                        "content": e.credit.content,
                        "occurred_at": e.credit.occurred_at.isoformat(),
                    }
                    for e in preview.new
                ],
                "known": [{"row": e.row, "transaction_id": e.credit.transaction_id} for e in preview.known],
                "new_total": preview.new_total,
            }
        )


ROUTES: list[tuple[str, Any, str]] = [
    ("payments/bills", BillViewSet, "payment-bill"),
    ("payments/receipts", ReceiptViewSet, "payment-receipt"),
    ("payments/credits", CreditViewSet, "payment-credit"),
]
urlpatterns: list[URLPattern] = [path("statements/", StatementUploadApi.as_view(), name="payment-statements")]
