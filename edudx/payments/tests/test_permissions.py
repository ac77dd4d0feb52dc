"""Who sees what: a payer sees only their own bills; another unit's accountant sees nothing of this unit; the
authority sees its schools; pages answer 404 for rows outside the actor's reach and nothing changes."""

from __future__ import annotations

import pytest

from edudx.core.api import Actor, policy_for
from edudx.payments.models import BankCredit, Bill, LedgerPosting, Receipt, WebhookSecret
from edudx.testing import login_verified

from .conftest import make_bill, send

pytestmark = pytest.mark.django_db


@pytest.fixture
def bills(pay, fast_receipts):
    guardian1 = pay.world.school1.users["guardian"]
    guardian2 = pay.world.school2.users["guardian"]
    own = make_bill(pay, payer=guardian1)
    someone_elses = make_bill(pay, payer=guardian2)  # school 1 bills a payer who is a guardian at school 2
    school2 = make_bill(pay, unit=pay.school2, payer=guardian2)
    send(pay.account1, own.total, own.reference, transaction_id="T1")
    send(pay.account2, school2.total, school2.reference, transaction_id="T2")
    return own, someone_elses, school2


def visible(user, model, verb="view"):
    return set(policy_for(model).visible(Actor(user), verb).values_list("pk", flat=True))


def test_payer_sees_only_own_bills_and_no_money_rows(pay, bills):
    own, someone_elses, school2 = bills
    guardian1 = pay.world.school1.users["guardian"]
    assert visible(guardian1, Bill) == {own.pk}
    assert visible(guardian1, Receipt) == set(Receipt.objects.filter(bill=own).values_list("pk", flat=True))
    assert visible(guardian1, BankCredit) == set() and visible(guardian1, LedgerPosting) == set()
    assert visible(guardian1, Bill, "reconcile") == set()
    assert visible(pay.world.school2.users["guardian"], Bill) == {someone_elses.pk, school2.pk}


def test_staff_scope(pay, bills):
    own, someone_elses, school2 = bills
    world = pay.world
    assert visible(world.school1.users["accountant"], Bill) == {own.pk, someone_elses.pk}
    assert visible(world.school2.users["accountant"], Bill) == {school2.pk}
    assert visible(world.school2.users["accountant"], BankCredit, "reconcile") == set(
        BankCredit.objects.filter(org_unit=pay.school2).values_list("pk", flat=True)
    )
    assert visible(world.school1.users["principal"], Bill) == {own.pk, someone_elses.pk}
    assert visible(world.school1.users["principal"], Bill, "reconcile") == set()
    assert visible(world.authority_users["authority_leader"], Bill) == {own.pk, someone_elses.pk, school2.pk}
    assert visible(world.school1.users["homeroom_teacher"], Bill) == set()
    assert visible(world.nobody, Bill) == set()
    for user in (world.authority_users["authority_leader"], world.school1.users["accountant"]):
        assert visible(user, WebhookSecret, "reconcile") == set()


@pytest.mark.parametrize("who", ["accountant_b", "guardian_b", "nobody"])
def test_pages_of_a_bill_are_not_found_outside_reach(pay, bills, client, who):
    own = bills[0]
    user = {
        "accountant_b": pay.world.school2.users["accountant"],
        "guardian_b": pay.world.school2.users["guardian"],
        "nobody": pay.world.nobody,
    }[who]
    login_verified(client, user)
    receipt = Receipt.objects.get(bill=own)
    for url in (
        f"/thanh-toan/nop/{own.reference}/",
        f"/thanh-toan/nop/{own.reference}/trang-thai/",
        f"/thanh-toan/nop/{own.reference}/qr.png",
        f"/thanh-toan/khoan-thu/{own.reference}/",
        f"/thanh-toan/bien-lai/{receipt.pk}/",
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/thanh-toan/khoan-thu/{own.reference}/huy/", {"reason": "Không được phép"}).status_code == 404
    page = client.get("/thanh-toan/khoan-thu/")
    assert page.status_code == 200 and own.reference.encode() not in page.content
    own.refresh_from_db()
    assert own.status == "paid"


def test_reconcile_pages_need_payment_reconcile(pay, bills, client):
    login_verified(client, pay.world.school1.users["guardian"])
    assert client.get("/thanh-toan/doi-soat/").status_code == 403
    credit = BankCredit.objects.filter(org_unit=pay.school1).first()
    assert client.get(f"/thanh-toan/doi-soat/giao-dich/{credit.pk}/").status_code == 403
    login_verified(client, pay.world.school2.users["accountant"])
    assert client.get(f"/thanh-toan/doi-soat/giao-dich/{credit.pk}/").status_code == 404
    assert client.get(f"/thanh-toan/doi-soat/so-thu/{pay.school1.pk}/").status_code == 404


def test_anonymous_is_sent_to_log_in(pay, bills, client):
    own = bills[0]
    for url in (f"/thanh-toan/nop/{own.reference}/", "/thanh-toan/khoan-thu/", "/thanh-toan/doi-soat/"):
        assert client.get(url).status_code == 302
