"""The same notification delivered twice at the same moment stores one credit and pays the bill once
(unique idempotency key, row locks; PostgreSQL with real parallel connections)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from edudx.payments.models import BankCredit, Bill, BillStatus, LedgerPosting, Receipt

from .conftest import make_bill, notification, post_notification


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_same_notification_twice_at_once_is_stored_once(pay, fast_receipts):
    assert connection.vendor == "postgresql"
    bill = make_bill(pay)
    body, signature = notification(account=pay.account1, amount=bill.total, content=bill.reference)
    barrier = threading.Barrier(2)
    answers: list[object] = []

    def deliver() -> None:
        try:
            barrier.wait()
            answers.append(post_notification(body, signature).json()["status"])
        except BaseException as exc:  # collected and asserted below
            answers.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(answers) == ["duplicate", "recorded"], answers
    assert BankCredit.objects.count() == 1
    assert LedgerPosting.objects.filter(kind="payment_received").count() == 1
    assert Bill.objects.get(pk=bill.pk).status == BillStatus.PAID and Receipt.objects.count() == 1


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_transfers_for_one_bill_at_once_pay_it_once(pay, fast_receipts):
    assert connection.vendor == "postgresql"
    bill = make_bill(pay)
    bodies = [
        notification(account=pay.account1, amount=bill.total, content=bill.reference, transaction_id=f"FT{i}")
        for i in range(2)
    ]
    barrier = threading.Barrier(2)
    answers: list[object] = []

    def deliver(index: int) -> None:
        try:
            barrier.wait()
            answers.append(post_notification(*bodies[index]).json().get("outcome"))
        except BaseException as exc:  # collected and asserted below
            answers.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=deliver, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(answers) == ["duplicate", "matched"], answers
    assert Bill.objects.get(pk=bill.pk).amount_paid == bill.total
