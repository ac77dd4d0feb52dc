"""The manual queue (assign, refund a credit) and bills' void/refund, with reasons, audit and books."""

from __future__ import annotations

import pytest

from edudx.core.api import Actor, Conflict, NotPermitted, ValidationFailed
from edudx.core.models import AuditEvent
from edudx.payments.models import Allocation, BankCredit, Bill, BillStatus, CreditState, LedgerPosting, Receipt
from edudx.payments.services import books
from edudx.payments.services.bills import bill_issue, bill_refund, bill_void
from edudx.payments.services.credits import credit_assign, credit_refund

from .conftest import make_bill, send

pytestmark = pytest.mark.django_db


def accountant(pay, school="school1"):
    return Actor(getattr(pay.world, school).users["accountant"])


def balanced(unit) -> bool:
    days = books.day_books(
        books.to_posting(r) for r in LedgerPosting.objects.filter(org_unit=unit).order_by("day", "id")
    )
    return all(day.balances for day in days)


def test_underpayment_assigned_then_rest_paid(pay, fast_receipts):
    bill = make_bill(pay, amount=150_000)
    send(pay.account1, 100_000, "chuyen tien hoc phi", transaction_id="FT1")
    credit = BankCredit.objects.get()
    with pytest.raises(ValidationFailed):
        credit_assign(actor=accountant(pay), credit_id=credit.pk, bill_id=bill.pk, reason="")
    credit_assign(actor=accountant(pay), credit_id=credit.pk, bill_id=bill.pk, reason="Phụ huynh gọi điện xác nhận")
    credit.refresh_from_db()
    bill.refresh_from_db()
    assert credit.state == CreditState.RESOLVED and credit.resolution_note.startswith("Phụ huynh")
    assert bill.status == BillStatus.PARTLY_PAID and bill.amount_paid == 100_000
    assert Allocation.objects.get().method == "manual"
    send(pay.account1, 50_000, bill.reference, transaction_id="FT2")
    bill.refresh_from_db()
    assert bill.status == BillStatus.PAID and Receipt.objects.filter(bill=bill).count() == 1
    assert balanced(pay.school1)
    assert AuditEvent.objects.filter(action="payments.credit_assigned").exists()


def test_overpayment_applied_then_excess_refunded(pay, fast_receipts):
    bill = make_bill(pay, amount=150_000)
    send(pay.account1, 200_000, bill.reference)
    credit = BankCredit.objects.get()
    credit_assign(actor=accountant(pay), credit_id=credit.pk, bill_id=bill.pk, reason="Xác nhận nộp thừa")
    bill.refresh_from_db()
    credit.refresh_from_db()
    assert bill.status == BillStatus.OVERPAID and credit.unapplied == 50_000 and credit.state == CreditState.REVIEW
    with pytest.raises(ValidationFailed):
        credit_refund(actor=accountant(pay), credit_id=credit.pk, reason="Hoàn phần thừa", amount=60_000)
    credit_refund(actor=accountant(pay), credit_id=credit.pk, reason="Hoàn phần thừa cho phụ huynh")
    bill.refresh_from_db()
    credit.refresh_from_db()
    assert bill.status == BillStatus.PAID and credit.state == CreditState.RESOLVED and credit.refunded == 50_000
    assert balanced(pay.school1)


def test_unmatched_credit_refunded(pay):
    send(pay.account1, 75_000, "khong ro noi dung")
    credit = BankCredit.objects.get()
    credit_refund(actor=accountant(pay), credit_id=credit.pk, reason="Chuyển nhầm tài khoản")
    credit.refresh_from_db()
    assert credit.state == CreditState.RESOLVED and credit.unapplied == 0
    with pytest.raises(Conflict):
        credit_refund(actor=accountant(pay), credit_id=credit.pk, reason="Lần hai")
    assert balanced(pay.school1)


def test_another_units_accountant_cannot_touch_the_queue(pay):
    bill = make_bill(pay)
    send(pay.account1, 1_000, "abc")
    credit = BankCredit.objects.get()
    before = AuditEvent.objects.count()
    with pytest.raises(ValidationFailed):
        credit_assign(actor=accountant(pay, "school2"), credit_id=credit.pk, bill_id=bill.pk, reason="Thử xem sao")
    with pytest.raises(ValidationFailed):
        credit_refund(actor=accountant(pay, "school2"), credit_id=credit.pk, reason="Thử xem sao")
    with pytest.raises(NotPermitted):
        bill_void(actor=accountant(pay, "school2"), bill_id=bill.pk, reason="Thử xem sao")
    with pytest.raises(NotPermitted):
        bill_void(actor=Actor(pay.world.school1.users["guardian"]), bill_id=bill.pk, reason="Không muốn nộp")
    assert AuditEvent.objects.count() == before
    credit.refresh_from_db()
    assert credit.allocated == 0 and credit.refunded == 0


def test_a_credit_cannot_pay_a_bill_of_another_unit(pay):
    other = make_bill(pay, unit=pay.school2)
    send(pay.account1, other.total, "abc")
    credit = BankCredit.objects.get()
    leader = Actor(pay.world.authority_users["authority_leader"])
    with pytest.raises(ValidationFailed):
        credit_assign(actor=leader, credit_id=credit.pk, bill_id=other.pk, reason="Nhầm đơn vị")


def test_void_needs_a_reason_and_is_refused_once_money_arrived(pay, fast_receipts):
    unpaid = make_bill(pay)
    with pytest.raises(ValidationFailed):
        bill_void(actor=accountant(pay), bill_id=unpaid.pk, reason=" ")
    with pytest.raises(Conflict):
        bill_void(actor=accountant(pay), bill_id=unpaid.pk, reason="Nhập trùng khoản thu", expected_version=99)
    bill_void(actor=accountant(pay), bill_id=unpaid.pk, reason="Nhập trùng khoản thu")
    unpaid.refresh_from_db()
    assert unpaid.status == BillStatus.VOIDED and unpaid.outstanding == 0 and unpaid.voided_by
    with pytest.raises(Conflict):
        bill_void(actor=accountant(pay), bill_id=unpaid.pk, reason="Lần nữa")
    paid = make_bill(pay)
    send(pay.account1, paid.total, paid.reference)
    with pytest.raises(Conflict) as refused:
        bill_void(actor=accountant(pay), bill_id=paid.pk, reason="Không thu nữa")
    assert "hoàn trả" in refused.value.message
    # Money sent to a voided bill is not applied to it.
    assert send(pay.account1, unpaid.total, unpaid.reference, transaction_id="FT9").json()["outcome"] == "bill_voided"
    assert balanced(pay.school1)


def test_refund_of_a_paid_bill_reverses_everything_and_voids_its_receipt(pay, fast_receipts):
    bill = make_bill(pay, amount=150_000)
    send(pay.account1, 150_000, bill.reference)
    receipt = Receipt.objects.get(bill=bill)
    with pytest.raises(NotPermitted):
        bill_refund(actor=Actor(pay.world.school1.users["principal"]), bill_id=bill.pk, reason="Hiệu trưởng thử")
    bill_refund(actor=accountant(pay), bill_id=bill.pk, reason="Dịch vụ không thực hiện được")
    bill.refresh_from_db()
    receipt.refresh_from_db()
    credit = BankCredit.objects.get()
    assert bill.status == BillStatus.REFUNDED and bill.amount_paid == 0 and bill.outstanding == 0
    assert receipt.is_voided and receipt.number == 1 and receipt.void_reason
    assert credit.refunded == 150_000 and credit.allocated == 0 and credit.state == CreditState.RESOLVED
    assert Allocation.objects.get().reversed_reason == "Dịch vụ không thực hiện được"
    kinds = list(LedgerPosting.objects.filter(bill=bill).values_list("kind", flat=True).order_by("id"))
    assert kinds == ["bill_issued", "payment_matched", "match_reversed", "bill_voided"]
    assert balanced(pay.school1)
    with pytest.raises(Conflict):
        bill_refund(actor=accountant(pay), bill_id=bill.pk, reason="Lần hai nhé")


def test_refund_of_an_overpaid_bill_returns_the_whole_transfer(pay, fast_receipts):
    bill = make_bill(pay, amount=150_000)
    send(pay.account1, 180_000, bill.reference)
    credit = BankCredit.objects.get()
    credit_assign(actor=accountant(pay), credit_id=credit.pk, bill_id=bill.pk, reason="Xác nhận nộp thừa")
    bill_refund(actor=accountant(pay), bill_id=bill.pk, reason="Trả lại toàn bộ")
    credit.refresh_from_db()
    assert credit.refunded == 180_000 and credit.unapplied == 0
    assert balanced(pay.school1)


def test_issue_checks_lines_and_permission(pay):
    acc = accountant(pay)
    with pytest.raises(ValidationFailed):
        bill_issue(actor=acc, org_unit=pay.school1, payer_user=None, payer_name="A", purpose="P", lines=[])
    with pytest.raises(ValidationFailed):
        bill_issue(actor=acc, org_unit=pay.school1, payer_user=None, payer_name="A", purpose="P", lines=[("x", 0)])
    with pytest.raises(ValidationFailed):
        bill_issue(actor=acc, org_unit=pay.school1, payer_user=None, payer_name="A", purpose="P", lines=[("x", 1.5)])
    with pytest.raises(ValidationFailed):
        bill_issue(actor=acc, org_unit=pay.school1, payer_user=None, payer_name=" ", purpose="P", lines=[("x", 5)])
    with pytest.raises(NotPermitted):
        bill_issue(actor=acc, org_unit=pay.school2, payer_user=None, payer_name="A", purpose="P", lines=[("x", 5)])
    bill = bill_issue(
        actor=acc,
        org_unit=pay.school1,
        payer_user=None,
        payer_name="Lê Văn C",
        purpose="Quỹ",
        lines=[("a", 5), ("b", 7)],
    )
    assert bill.total == 12 and [line.position for line in bill.lines.all()] == [1, 2]
    assert bill.reference.startswith("DX") and len(bill.reference) == 11
    assert Bill.objects.filter(reference=bill.reference).count() == 1
    assert AuditEvent.objects.filter(action="payments.bill_issued", object_id=str(bill.pk)).exists()
