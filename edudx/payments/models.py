"""Payment data: what a unit bills, the money its bank reports, how the two are matched, receipts and the books.

Domain notes §4 (VietQR, reconciliation, receipts under Nghị định 123/2020/NĐ-CP and Thông tư 78/2021/TT-BTC).

- ``PaymentAccount``: the collection account of a unit (bank BIN for VietQR, account number and name). A payer
  scans a dynamic VietQR with the bill's amount and its ``reference`` in the transfer content (62/08).
- ``Bill`` (khoản thu) with ``BillLine``s: one payer, one purpose, whole đồng. Its ``reference``
  (``vietqr.new_reference``) is what lets an incoming transfer be matched to it. ``amount_paid`` is kept equal
  to the sum of its live allocations (changed only under a row lock, in ``services``).
- ``BankCredit``: money the bank reports on a collection account (notification, statement row). Unique on
  ``idempotency_key`` (bank code + the bank's transaction id), so a credit delivered twice is stored once.
- ``Allocation``: (part of) a credit applied to a bill; never edited, only reversed with a reason.
- ``ReceiptSequence`` / ``Receipt``: biên lai numbered without gaps per series, PDF kept with its SHA-256.
- ``LedgerPosting``: the double-entry book (``ledger.Posting`` stored per unit and day); corrections are new
  postings, never edits, so the postings are the audit trail of the money.
- ``WebhookSecret``: the HMAC secrets agreed with each bank (encrypted at rest; two active during a rotation).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from edudx.core.models import BaseModel, OrgUnit

from .ledger import Account, PostingKind
from .matching import MatchOutcome

__all__ = [
    "Allocation",
    "AllocationMethod",
    "BankCredit",
    "Bill",
    "BillLine",
    "BillStatus",
    "CreditSource",
    "CreditState",
    "LedgerPosting",
    "PaymentAccount",
    "Receipt",
    "ReceiptSequence",
    "WebhookSecret",
]


class PaymentAccount(BaseModel):
    """A unit's receiving account for VietQR transfers (one per unit)."""

    org_unit = models.OneToOneField(
        OrgUnit, on_delete=models.PROTECT, related_name="payment_account", verbose_name=_("đơn vị")
    )
    bank_code = models.CharField(
        _("mã ngân hàng"), max_length=16, help_text=_("Mã viết tắt dùng trong thông báo và sao kê, ví dụ VCB.")
    )
    bank_bin = models.CharField(_("mã BIN ngân hàng"), max_length=6, help_text=_("6 chữ số NAPAS, ví dụ 970436."))
    bank_name = models.CharField(_("tên ngân hàng"), max_length=100)
    account_number = models.CharField(_("số tài khoản"), max_length=19)
    account_name = models.CharField(_("tên tài khoản"), max_length=100)
    is_demo = models.BooleanField(_("tài khoản minh họa"), default=False)

    class Meta:
        verbose_name = _("tài khoản thu")
        verbose_name_plural = _("tài khoản thu")
        constraints = [
            models.UniqueConstraint(fields=["bank_code", "account_number"], name="payments_account_unique"),
            models.CheckConstraint(condition=Q(bank_bin__regex=r"^[0-9]{6}$"), name="payments_account_bin_6_digits"),
        ]

    def __str__(self) -> str:
        return f"{self.bank_name} {self.account_number} – {self.account_name}"


class WebhookSecret(models.Model):
    """A secret shared with a bank to sign its credit notifications (HMAC-SHA256). Stored encrypted."""

    bank_code = models.CharField(_("mã ngân hàng"), max_length=16, db_index=True)
    secret_encrypted = models.TextField()
    is_active = models.BooleanField(_("đang dùng"), default=True)
    note = models.CharField(_("ghi chú"), max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("khóa bí mật thông báo ngân hàng")
        verbose_name_plural = _("khóa bí mật thông báo ngân hàng")

    def __str__(self) -> str:
        return f"{self.bank_code} #{self.pk}"


class BillStatus(models.TextChoices):
    ISSUED = "issued", _("Chưa nộp")
    PARTLY_PAID = "partly_paid", _("Nộp một phần")
    PAID = "paid", _("Đã nộp đủ")
    OVERPAID = "overpaid", _("Nộp thừa (chờ hoàn)")
    VOIDED = "voided", _("Đã hủy")
    REFUNDED = "refunded", _("Đã hoàn trả")


OPEN_BILL_STATUSES = (BillStatus.ISSUED, BillStatus.PARTLY_PAID)
CLOSED_BILL_STATUSES = (BillStatus.VOIDED, BillStatus.REFUNDED)


class Bill(BaseModel):
    """A sum a payer owes a unit for one purpose (khoản thu), paid by bank transfer to the unit's account."""

    org_unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="bills", verbose_name=_("đơn vị thu"))
    payer_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="bills",
        verbose_name=_("tài khoản người nộp"),
    )
    payer_name = models.CharField(_("người nộp"), max_length=255)
    payer_detail = models.CharField(_("thông tin người nộp"), max_length=255, blank=True)
    purpose = models.CharField(_("nội dung thu"), max_length=255)
    reference = models.CharField(_("mã thanh toán"), max_length=25, unique=True)
    total = models.BigIntegerField(_("số tiền"))
    amount_paid = models.BigIntegerField(_("đã nộp"), default=0)
    status = models.CharField(
        _("trạng thái"), max_length=12, choices=BillStatus.choices, default=BillStatus.ISSUED, db_index=True
    )
    source = models.CharField(_("nguồn"), max_length=100, blank=True, db_index=True)
    due_on = models.DateField(_("hạn nộp"), null=True, blank=True)
    issued_at = models.DateTimeField(_("lập lúc"), db_index=True)
    paid_at = models.DateTimeField(_("nộp đủ lúc"), null=True, blank=True)
    paid_online = models.BooleanField(_("nộp trực tuyến"), default=False)
    void_reason = models.CharField(_("lý do hủy/hoàn"), max_length=500, blank=True)
    voided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    voided_at = models.DateTimeField(_("hủy/hoàn lúc"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("khoản thu")
        verbose_name_plural = _("khoản thu")
        ordering = ["-issued_at", "-id"]
        indexes = [models.Index(fields=["org_unit", "status", "issued_at"])]
        constraints = [
            models.CheckConstraint(condition=Q(total__gt=0), name="payments_bill_total_positive"),
            models.CheckConstraint(
                condition=Q(amount_paid__gte=0) & Q(amount_paid__lte=models.F("total")),
                name="payments_bill_paid_within_total",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} – {self.purpose}"

    def get_pay_url(self) -> str:
        return reverse("payments:pay", args=[self.reference])

    def get_absolute_url(self) -> str:
        return reverse("payments:bill_detail", args=[self.reference])

    @property
    def outstanding(self) -> int:
        if self.status in CLOSED_BILL_STATUSES:
            return 0
        return max(self.total - self.amount_paid, 0)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_BILL_STATUSES

    @property
    def is_paid(self) -> bool:
        return self.status in (BillStatus.PAID, BillStatus.OVERPAID)


class BillLine(models.Model):
    bill = models.ForeignKey(Bill, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField()
    description = models.CharField(_("nội dung"), max_length=255)
    amount = models.BigIntegerField(_("số tiền"))

    class Meta:
        ordering = ["bill_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["bill", "position"], name="payments_billline_position_unique"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="payments_billline_amount_positive"),
        ]

    def __str__(self) -> str:
        return self.description


class CreditSource(models.TextChoices):
    WEBHOOK = "webhook", _("Thông báo ngân hàng")
    STATEMENT = "statement", _("Sao kê")
    MANUAL = "manual", _("Nhập tay")


class CreditState(models.TextChoices):
    """Where a credit stands: applied in full, waiting for a person, or settled by a person."""

    MATCHED = "matched", _("Đã đối soát tự động")
    REVIEW = "review", _("Chờ xử lý")
    RESOLVED = "resolved", _("Đã xử lý")


class BankCredit(models.Model):
    """Money reported on a collection account. ``allocated`` + ``refunded`` never exceed ``amount``."""

    org_unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="bank_credits")
    account = models.ForeignKey(PaymentAccount, on_delete=models.PROTECT, related_name="credits")
    bank_code = models.CharField(_("ngân hàng"), max_length=16)
    transaction_id = models.CharField(_("mã giao dịch"), max_length=64)
    idempotency_key = models.CharField(max_length=82, unique=True)
    account_number = models.CharField(_("số tài khoản"), max_length=19)
    amount = models.BigIntegerField(_("số tiền"))
    content = models.CharField(_("nội dung chuyển khoản"), max_length=500, blank=True)
    credited_at = models.DateTimeField(_("thời điểm giao dịch"), db_index=True)
    received_at = models.DateTimeField(_("ghi nhận lúc"), auto_now_add=True)
    source = models.CharField(_("nguồn"), max_length=10, choices=CreditSource.choices)
    raw_payload = models.JSONField(null=True, blank=True)
    body_sha256 = models.CharField(max_length=64, blank=True)
    match_outcome = models.CharField(_("kết quả đối soát"), max_length=12, choices=[(o, o) for o in MatchOutcome])
    match_reason = models.TextField(_("lý do"), blank=True)
    candidate_bill_ids = models.JSONField(default=list, blank=True)
    state = models.CharField(_("trạng thái"), max_length=10, choices=CreditState.choices, db_index=True)
    allocated = models.BigIntegerField(_("đã phân bổ"), default=0)
    refunded = models.BigIntegerField(_("đã hoàn"), default=0)
    flagged = models.BooleanField(_("cần kiểm tra"), default=False)
    flag_note = models.TextField(_("ghi chú kiểm tra"), blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution_note = models.CharField(_("ghi chú xử lý"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("giao dịch tiền vào")
        verbose_name_plural = _("giao dịch tiền vào")
        ordering = ["-credited_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payments_credit_amount_positive"),
            models.CheckConstraint(
                condition=Q(allocated__gte=0)
                & Q(refunded__gte=0)
                & Q(amount__gte=models.F("allocated") + models.F("refunded")),
                name="payments_credit_not_overspent",
            ),
        ]

    def __str__(self) -> str:
        return self.idempotency_key

    @property
    def unapplied(self) -> int:
        return self.amount - self.allocated - self.refunded


class AllocationMethod(models.TextChoices):
    AUTO = "auto", _("Tự động")
    MANUAL = "manual", _("Thủ công")


class Allocation(models.Model):
    credit = models.ForeignKey(BankCredit, on_delete=models.PROTECT, related_name="allocations")
    bill = models.ForeignKey(Bill, on_delete=models.PROTECT, related_name="allocations")
    amount = models.BigIntegerField(_("số tiền"))
    method = models.CharField(_("cách đối soát"), max_length=8, choices=AllocationMethod.choices)
    reason = models.CharField(_("lý do"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    reversed_at = models.DateTimeField(null=True, blank=True)
    reversed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reversed_reason = models.CharField(_("lý do hủy đối soát"), max_length=500, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="payments_allocation_positive")]

    @property
    def is_live(self) -> bool:
        return self.reversed_at is None


class ReceiptSequence(models.Model):
    """A registered run of receipt numbers of a unit for one year; ``last_number`` moves under a row lock."""

    org_unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="receipt_sequences")
    form_symbol = models.CharField(_("ký hiệu mẫu"), max_length=20)
    series_symbol = models.CharField(_("ký hiệu"), max_length=10)
    year = models.PositiveSmallIntegerField(_("năm"))
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("dãy biên lai")
        verbose_name_plural = _("dãy biên lai")
        constraints = [
            models.UniqueConstraint(fields=["org_unit", "year"], name="payments_sequence_unit_year"),
        ]

    def __str__(self) -> str:
        return f"{self.form_symbol} {self.series_symbol}"


class Receipt(models.Model):
    """A biên lai as issued: its number never changes nor is reused; a cancelled one stays, marked voided."""

    sequence = models.ForeignKey(ReceiptSequence, on_delete=models.PROTECT, related_name="receipts")
    number = models.PositiveIntegerField(_("số"))
    bill = models.ForeignKey(Bill, on_delete=models.PROTECT, related_name="receipts")
    amount = models.BigIntegerField(_("số tiền"))
    bank_transaction_id = models.CharField(max_length=200, blank=True)
    collector_name = models.CharField(_("người thu"), max_length=255, blank=True)
    issued_at = models.DateTimeField(_("lập lúc"))
    pdf = models.BinaryField()
    sha256 = models.CharField(max_length=64)
    voided_at = models.DateTimeField(null=True, blank=True)
    void_reason = models.CharField(_("lý do hủy"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("biên lai")
        verbose_name_plural = _("biên lai")
        ordering = ["sequence_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["sequence", "number"], name="payments_receipt_number_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.sequence.series_symbol} {self.number_text}"

    @property
    def number_text(self) -> str:
        return f"{self.number:07d}"

    @property
    def is_voided(self) -> bool:
        return self.voided_at is not None


class LedgerPosting(models.Model):
    """One stored ``ledger.Posting`` in a unit's collection book."""

    org_unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="ledger_postings")
    kind = models.CharField(max_length=20, choices=[(k.value, k.value) for k in PostingKind])
    amount = models.BigIntegerField()
    debit = models.CharField(max_length=12, choices=[(a.value, a.value) for a in Account])
    credit = models.CharField(max_length=12, choices=[(a.value, a.value) for a in Account])
    day = models.DateField(db_index=True)
    bill = models.ForeignKey(Bill, on_delete=models.PROTECT, null=True, blank=True, related_name="postings")
    bank_credit = models.ForeignKey(
        BankCredit, on_delete=models.PROTECT, null=True, blank=True, related_name="postings"
    )
    payment_key = models.CharField(max_length=82, blank=True)
    reason = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("bút toán")
        verbose_name_plural = _("bút toán")
        ordering = ["day", "id"]
        indexes = [models.Index(fields=["org_unit", "day"])]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="payments_posting_positive")]
