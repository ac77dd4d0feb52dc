"""The bank-credit notification endpoint: signature, freshness, idempotency, matching, books, signal."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from edudx.core.models import AuditEvent
from edudx.payments import ledger
from edudx.payments.models import BankCredit, Bill, BillStatus, CreditState, LedgerPosting, Receipt
from edudx.payments.signals import bill_paid

from .conftest import SECRET, make_bill, notification, post_notification, send

pytestmark = pytest.mark.django_db


def _books_balance(unit) -> bool:
    from edudx.payments.services import books

    postings = [books.to_posting(row) for row in LedgerPosting.objects.filter(org_unit=unit).order_by("day", "id")]
    return all(day.balances for day in books.day_books(postings))


def test_exact_payment_by_reference_pays_bill_issues_receipt_and_signals(
    pay, fast_receipts, django_capture_on_commit_callbacks
):
    bill = make_bill(pay, amount=150_000)
    received = []

    def on_paid(sender, bill, online, **kwargs):
        received.append((bill.reference, online, bill.status))

    bill_paid.connect(on_paid)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            response = send(pay.account1, 150_000, f"IBFT {bill.reference.lower()} Le phi ban sao")
    finally:
        bill_paid.disconnect(on_paid)
    assert response.status_code == 200
    assert response.json() == {"status": "recorded", "outcome": "matched"}
    bill.refresh_from_db()
    assert bill.status == BillStatus.PAID and bill.amount_paid == 150_000 and bill.paid_at and bill.paid_online
    assert received == [(bill.reference, True, BillStatus.PAID)]
    credit = BankCredit.objects.get()
    assert credit.state == CreditState.MATCHED and credit.unapplied == 0
    assert Receipt.objects.filter(bill=bill, number=1).exists()
    kinds = list(LedgerPosting.objects.filter(org_unit=pay.school1).values_list("kind", flat=True).order_by("id"))
    assert kinds == ["bill_issued", "payment_received", "payment_matched"]
    assert _books_balance(pay.school1)
    assert AuditEvent.objects.filter(action="payments.credit_received").count() == 1


def test_bad_signature_is_refused_with_401_and_nothing_stored(pay):
    bill = make_bill(pay)
    body, _signature = notification(account=pay.account1, amount=bill.total, content=bill.reference)
    audit_before = AuditEvent.objects.count()
    for signature in (None, "sha256=" + "0" * 64, "md5=abc", "sha256=nothex"):
        response = post_notification(body, signature)
        assert response.status_code == 401, signature
        assert "code" in response.json()
    wrong_secret = notification(account=pay.account1, amount=bill.total, content=bill.reference, secret="x" * 32)
    assert post_notification(*wrong_secret).status_code == 401
    assert BankCredit.objects.count() == 0
    assert LedgerPosting.objects.filter(kind="payment_received").count() == 0
    assert AuditEvent.objects.count() == audit_before


def test_tampered_body_is_refused(pay):
    bill = make_bill(pay)
    body, signature = notification(account=pay.account1, amount=bill.total, content=bill.reference)
    tampered = body.replace(str(bill.total).encode(), b"1")
    assert post_notification(tampered, signature).status_code == 401
    assert not BankCredit.objects.exists()


def test_replay_outside_the_window_is_refused(pay):
    bill = make_bill(pay)
    old = timezone.now() - dt.timedelta(minutes=30)
    body, signature = notification(account=pay.account1, amount=bill.total, content=bill.reference, sent_at=old)
    response = post_notification(body, signature)
    assert response.status_code == 401 and response.json()["code"] == "stale_timestamp"
    future = timezone.now() + dt.timedelta(minutes=30)
    body, signature = notification(account=pay.account1, amount=bill.total, content=bill.reference, sent_at=future)
    assert post_notification(body, signature).status_code == 401
    assert not BankCredit.objects.exists()


def test_same_delivery_twice_is_a_duplicate_and_changes_nothing(pay, fast_receipts):
    bill = make_bill(pay)
    body, signature = notification(account=pay.account1, amount=bill.total, content=bill.reference)
    assert post_notification(body, signature).status_code == 200
    postings = LedgerPosting.objects.count()
    again = post_notification(body, signature)
    assert again.status_code == 200 and again.json() == {"status": "duplicate"}
    # A retry re-sent later (new sent_at, same money) is also a duplicate.
    assert send(pay.account1, bill.total, bill.reference).json()["status"] == "duplicate"
    assert BankCredit.objects.count() == 1 and LedgerPosting.objects.count() == postings
    assert Receipt.objects.count() == 1


def test_same_transaction_id_with_different_money_is_409_and_flagged(pay, fast_receipts):
    bill = make_bill(pay)
    assert send(pay.account1, bill.total, bill.reference).status_code == 200
    postings = LedgerPosting.objects.count()
    response = send(pay.account1, bill.total + 1000, bill.reference)
    assert response.status_code == 409 and response.json()["status"] == "conflict"
    credit = BankCredit.objects.get()
    assert credit.flagged and credit.amount == bill.total and "kiểm tra" in credit.flag_note
    assert LedgerPosting.objects.count() == postings
    assert AuditEvent.objects.filter(action="payments.credit_conflict").count() == 1


@pytest.mark.parametrize(
    ("paid", "outcome"),
    [(100_000, "underpaid"), (200_000, "overpaid")],
)
def test_wrong_amount_goes_to_the_manual_queue(pay, paid, outcome):
    bill = make_bill(pay, amount=150_000)
    response = send(pay.account1, paid, f"{bill.reference} nop phi")
    assert response.status_code == 200 and response.json()["outcome"] == outcome
    credit = BankCredit.objects.get()
    assert credit.state == CreditState.REVIEW and credit.allocated == 0 and credit.candidate_bill_ids == [bill.pk]
    bill.refresh_from_db()
    assert bill.status == BillStatus.ISSUED and bill.amount_paid == 0
    assert _books_balance(pay.school1)


def test_unknown_reference_is_unmatched_and_money_waits_in_suspense(pay):
    make_bill(pay, amount=150_000)
    response = send(pay.account1, 150_000, "DX22222222 hoc phi")
    assert response.json()["outcome"] == "unmatched"
    credit = BankCredit.objects.get()
    assert credit.state == CreditState.REVIEW
    from edudx.payments.services import books

    day = books.day_books(books.to_posting(r) for r in LedgerPosting.objects.order_by("id"))[-1]
    assert day.closing.unmatched == 150_000 and day.balances


def test_a_paid_bill_paid_again_is_a_duplicate_payment_for_review(pay, fast_receipts):
    bill = make_bill(pay)
    send(pay.account1, bill.total, bill.reference, transaction_id="FT1")
    assert send(pay.account1, bill.total, bill.reference, transaction_id="FT2").json()["outcome"] == "duplicate"
    assert BankCredit.objects.get(transaction_id="FT2").state == CreditState.REVIEW


def test_unknown_bank_and_wrong_account_are_refused(pay):
    bill = make_bill(pay)
    body, signature = notification(account=pay.account1, amount=bill.total, content=bill.reference)
    assert post_notification(body, signature, bank="ACB").status_code == 401
    pay.account1.account_number = "999"
    body, signature = notification(account=pay.account1, amount=bill.total, content=bill.reference)
    response = post_notification(body, signature)
    assert response.status_code == 422 and response.json()["code"] == "wrong_account"
    assert not BankCredit.objects.exists()


def test_endpoint_accepts_post_only_and_no_session(pay, client):
    assert client.get("/thanh-toan/ngan-hang/VCB/thong-bao/").status_code == 405


def test_money_to_one_unit_never_pays_another_units_bill(pay):
    other = make_bill(pay, unit=pay.school2)
    response = send(pay.account1, other.total, other.reference)
    assert response.json()["outcome"] == "unmatched"
    other.refresh_from_db()
    assert other.status == BillStatus.ISSUED


def test_two_bills_in_one_transfer(pay, fast_receipts):
    first = make_bill(pay, amount=100_000)
    second = make_bill(pay, amount=50_000)
    response = send(pay.account1, 150_000, f"{first.reference} {second.reference}")
    assert response.json()["outcome"] == "matched"
    assert set(Bill.objects.values_list("status", flat=True)) == {BillStatus.PAID}


def test_secret_from_settings_is_accepted(pay, settings):
    settings.PAYMENTS_WEBHOOK_SECRETS = ["VCB:another-secret-0123456789"]
    bill = make_bill(pay)
    body, signature = notification(
        account=pay.account1, amount=bill.total, content="x", secret="another-secret-0123456789"
    )
    assert post_notification(body, signature).status_code == 200
    assert SECRET  # the stored secret still works too
    assert ledger.Account.BANK
