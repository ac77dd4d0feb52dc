"""Citizen pages: submit with prefill (own child only), my dossiers, tracking, supplement, withdraw, rating, the
public look-up; a citizen reaches only their own dossiers."""

# ruff: noqa: F811  (the fixtures imported from test_submission are used as parameters)

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from edudx.core.permissions import Actor
from edudx.procedures.models import Dossier, DossierEvent, DossierFile, DossierSequence
from edudx.procedures.payment_hooks import record_bill_paid
from edudx.procedures.services.workflow import Step, apply_action
from edudx.procedures.states import ActorKind, DossierAction, DossierState
from edudx.testing import login_verified

from .test_submission import RESULTS, TRANSFER, desk, guardian, png_bytes, submit_transfer  # noqa: F401

pytestmark = pytest.mark.django_db


def client_of(user) -> Client:
    client = Client()
    login_verified(client, user)
    return client


def test_submit_page_asks_for_the_child_then_prefills(world, guardian):
    client = client_of(guardian)
    url = reverse("procedures:submit", args=[TRANSFER])
    page = client.get(url)
    pupil = world.school1.students_a[0]
    assert page.status_code == 200 and pupil.person.full_name in page.content.decode()
    page = client.get(url, {"student": pupil.pk})
    html = page.content.decode()
    assert pupil.person.full_name in html and world.school1.school.name in html
    full_id = "079314"  # the full number is never sent to the page, only the masked one
    assert f'value="{full_id}' not in html and "•••" in html
    assert 'name="viewport"' in html  # phone layout from base.html


def test_another_guardians_child_answers_404(world, guardian):
    other = world.school2.students_a[0]
    page = client_of(guardian).get(reverse("procedures:submit", args=[TRANSFER]), {"student": other.pk})
    assert page.status_code == 404


def test_submit_page_stores_the_dossier(world, guardian):
    pupil = world.school1.students_a[0]
    client = client_of(guardian)
    url = reverse("procedures:submit", args=[TRANSFER])
    form = client.get(url, {"student": pupil.pk}).context["form"]
    posted = {key: value for key, value in form.initial.items()}
    posted.update(
        student=pupil.pk, receiving_school="Trường THCS Hai", origin="same_province", reason="Chuyển nhà.",
        guardian_personal_id="079085001234", guardian_phone="0912345678", result_delivery="online", reuse_0="1",
    )  # fmt: skip
    answer = client.post(url, posted)
    dossier = Dossier.objects.get()
    assert answer.status_code == 302 and answer["Location"] == reverse("procedures:dossier_track", args=[dossier.code])
    assert dossier.form_data["student_personal_id"].startswith("079314")  # the stored number, not the mask
    assert "student_personal_id" in dossier.prefilled_fields


def test_submit_errors_are_shown_per_field_and_nothing_is_stored(world, guardian):
    pupil = world.school1.students_a[0]
    client = client_of(guardian)
    url = reverse("procedures:submit", args=[TRANSFER])
    answer = client.post(
        url,
        {"student": pupil.pk, "reason": "Chuyển nhà.", "guardian_phone": "123", "origin": "same_province",
         "component_0": SimpleUploadedFile("kq.pdf", png_bytes())},
    )  # fmt: skip
    assert answer.status_code == 400
    form = answer.context["form"]
    assert "guardian_phone" in form.errors and "receiving_school" in form.errors
    assert form["reason"].value() == "Chuyển nhà."  # what was typed is kept
    assert answer.context["rows"][0]["errors"]  # the bad file, named
    assert not Dossier.objects.exists() and not DossierFile.objects.exists()
    assert not DossierSequence.objects.filter(last__gt=0).exists()


def test_my_dossiers_and_tracking_show_only_own(world, guardian):
    mine = submit_transfer(world, guardian)
    client = client_of(guardian)
    listing = client.get(reverse("procedures:my_dossiers"))
    assert mine.code in listing.content.decode()
    assert list(client.get(reverse("procedures:my_dossiers"), {"q": "không-có"}).context["object_list"]) == []
    track = client.get(reverse("procedures:dossier_track", args=[mine.code]))
    assert track.status_code == 200 and "•••" in track.content.decode()
    assert mine.form_data["student_personal_id"] not in track.content.decode()
    other = client_of(world.school2.users["guardian"])
    assert other.get(reverse("procedures:dossier_track", args=[mine.code])).status_code == 404
    assert mine.code not in other.get(reverse("procedures:my_dossiers")).content.decode()
    assert client_of(world.nobody).get(reverse("procedures:supplement", args=[mine.code])).status_code == 404
    anonymous = Client().get(reverse("procedures:dossier_track", args=[mine.code]))
    assert anonymous.status_code == 302


def test_supplement_when_asked(world, guardian):
    dossier = submit_transfer(world, guardian)
    client = client_of(guardian)
    url = reverse("procedures:supplement", args=[dossier.code])
    assert client.get(url).status_code == 302  # nothing asked yet
    officer = world.authority_users["authority_specialist"]
    apply_action(
        Actor(officer),
        dossier.pk,
        Step(DossierAction.REQUEST_COMPLETION, ActorKind.DESK, note="Thiếu bản tổng hợp có dấu."),
    )
    track = client.get(reverse("procedures:dossier_track", args=[dossier.code]))
    assert "Thiếu bản tổng hợp có dấu." in track.content.decode()
    bad = client.post(url, {"component_0": SimpleUploadedFile("kq.png", b"not a png")})
    assert bad.status_code == 400 and Dossier.objects.get().state == DossierState.NEEDS_COMPLETION
    good = client.post(url, {"component_0": SimpleUploadedFile("kq.png", png_bytes()), "note": "Đã bổ sung."})
    assert good.status_code == 302
    dossier.refresh_from_db()
    assert dossier.state == DossierState.SUBMITTED
    assert dossier.files.filter(role="supplement", component=RESULTS).exists()
    assert dossier.files.get(reused=True).superseded


def test_withdraw_with_confirmation(world, guardian):
    dossier = submit_transfer(world, guardian)
    client = client_of(guardian)
    url = reverse("procedures:withdraw", args=[dossier.code])
    assert "Xác nhận rút hồ sơ" in client.get(url).content.decode()
    assert client_of(world.school2.users["guardian"]).post(url, {"reason": "x"}).status_code == 404
    client.post(url, {"reason": "Không chuyển nữa."})
    dossier.refresh_from_db()
    assert dossier.state == DossierState.WITHDRAWN
    assert DossierEvent.objects.filter(dossier=dossier, action=DossierAction.WITHDRAW).exists()


def test_rating_once_after_the_result(world, guardian):
    dossier = submit_transfer(world, guardian)
    client = client_of(guardian)
    url = reverse("procedures:rate", args=[dossier.code])
    client.post(url, {"rating": 5})
    dossier.refresh_from_db()
    assert dossier.rating is None  # no result yet
    Dossier.objects.filter(pk=dossier.pk).update(
        state=DossierState.RESULT_ISSUED, result_issued_at=dossier.submitted_at
    )
    track = client.get(reverse("procedures:dossier_track", args=[dossier.code]))
    assert track.context["may_rate"]
    client.post(url, {"rating": 4, "comment": "Nhanh."})
    client.post(url, {"rating": 1})
    dossier.refresh_from_db()
    assert (dossier.rating, dossier.rating_comment) == (4, "Nhanh.")


def test_paid_fee_is_shown(world, guardian):
    dossier = submit_transfer(world, guardian)
    Dossier.objects.filter(pk=dossier.pk).update(fee_vnd=20000, bill_reference="DVCTEST01")
    record_bill_paid(reference="DVCTEST01", paid_at=dossier.submitted_at + dt.timedelta(hours=1), online=True)
    record_bill_paid(reference="DVCTEST01", online=False)  # a repeated signal changes nothing
    dossier.refresh_from_db()
    assert dossier.paid_online and dossier.events.filter(actor_kind="system").count() == 1
    track = client_of(guardian).get(reverse("procedures:dossier_track", args=[dossier.code]))
    assert 'data-testid="paid"' in track.content.decode()


def test_public_lookup_by_code_and_phone(world, guardian):
    dossier = submit_transfer(world, guardian)
    url = reverse("procedures:lookup")
    found = Client().get(url, {"code": dossier.code.lower(), "phone": "0912 345 678"})
    html = found.content.decode()
    assert found.context["status"].state == DossierState.SUBMITTED
    assert dossier.applicant_name not in html and "0912345678" not in html
    wrong = Client().get(url, {"code": dossier.code, "phone": "0999999999"})
    assert wrong.context["status"] is None


def test_bill_paid_signal_reaches_the_dossier(world, guardian):
    from types import SimpleNamespace

    from edudx.payments.api import Bill, bill_paid

    dossier = submit_transfer(world, guardian)
    Dossier.objects.filter(pk=dossier.pk).update(fee_vnd=20000, bill_reference="DVCTEST02")
    bill = SimpleNamespace(reference="DVCTEST02", paid_at=None)
    bill_paid.send(sender=Bill, bill=bill, online=True)
    dossier.refresh_from_db()
    assert dossier.paid_at is not None and dossier.paid_online
