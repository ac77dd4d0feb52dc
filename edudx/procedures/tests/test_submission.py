"""Submitting a dossier: all-or-nothing (a refused submission stores nothing and gives its sequence number back),
the once-only prefill from the registry, the receiving unit, counter dossiers, fees and notifications on commit."""

from __future__ import annotations

import datetime as dt
import io
from types import SimpleNamespace

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from edudx.core.api import AuditEvent, NotPermitted, ValidationFailed
from edudx.core.permissions import Actor
from edudx.procedures import prefill
from edudx.procedures.catalogue import SubmissionChannel
from edudx.procedures.models import (
    Dossier,
    DossierEvent,
    DossierFile,
    DossierNotification,
    DossierSequence,
    ProcedureVersion,
    ServiceDesk,
)
from edudx.procedures.notifications import LocmemSmsBackend
from edudx.procedures.services.submission import submit_dossier
from edudx.procedures.states import DossierState

pytestmark = pytest.mark.django_db

TRANSFER = "school_transfer_same_province"
RESULTS = "Bản tổng hợp kết quả học tập"
GUARDIAN_ID = "079085001234"  # male, born 1985, Hồ Chí Minh City
NOW = dt.datetime(2026, 3, 10, 9, 0, tzinfo=dt.UTC)


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(buffer, "PNG")
    return buffer.getvalue()


def png_upload(name: str = "ket-qua.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, png_bytes(), content_type="image/png")


@pytest.fixture
def desk(world):
    return ServiceDesk.objects.create(org_unit=world.authority, unit_code="H29.01", valid_from=dt.date(2025, 7, 1))


@pytest.fixture
def guardian(world, desk):
    user = world.school1.users["guardian"]
    user.email = "phuhuynh@example.vn"
    user.save()
    return user


def transfer_answers(**changes) -> dict:
    answers = {
        "receiving_school": "Trường THCS Hai",
        "origin": "same_province",
        "reason": "Gia đình chuyển nơi ở.",
        "guardian_personal_id": GUARDIAN_ID,
        "guardian_phone": "0912345678",
        "result_delivery": "online",
    }
    answers.update(changes)
    return answers


def submit_transfer(world, user, *, answers=None, files=None, reused=(RESULTS,), now=NOW, student=None):
    student = student or world.school1.students_a[0]
    return submit_dossier(
        Actor(user),
        TRANSFER,
        form_data=transfer_answers() if answers is None else answers,
        files=files or {},
        student_id=student.pk,
        now=now,
        reused_components=reused,
    )


def nothing_stored() -> bool:
    return (
        not Dossier.objects.exists()
        and not DossierFile.objects.exists()
        and not DossierEvent.objects.exists()
        and not DossierSequence.objects.filter(last__gt=0).exists()
    )


def test_guardian_submits_a_prefilled_transfer(world, guardian, django_capture_on_commit_callbacks):
    LocmemSmsBackend.outbox.clear()
    pupil = world.school1.students_a[0]
    with django_capture_on_commit_callbacks(execute=True):
        dossier = submit_transfer(world, guardian)
    assert dossier.code == "H29.01-260310-0001"
    assert dossier.state == DossierState.SUBMITTED
    assert dossier.org_unit == world.authority  # the authority above the pupil's school
    assert dossier.applicant == guardian and dossier.student == pupil
    assert dossier.fully_online  # online submission of a "toàn trình" procedure
    assert dossier.procedure == ProcedureVersion.objects.get(key=TRANSFER, version=1)
    # Prefilled from the registry; the full personal ID is stored, never typed by the guardian.
    assert dossier.form_data["student_full_name"] == pupil.person.full_name
    assert dossier.form_data["student_personal_id"] == prefill._personal_id(pupil.person)
    assert dossier.form_data["current_school"] == world.school1.school.name
    assert dossier.form_data["current_grade"] == "6"
    assert dossier.form_data["student_date_of_birth"] == "2014-03-01"
    assert {"student", "student_full_name", "student_personal_id", "current_school"} <= set(dossier.prefilled_fields)
    assert dossier.applicant_phone == "0912345678" and dossier.applicant_email == "phuhuynh@example.vn"
    reused = dossier.files.get()
    assert reused.reused and reused.component == RESULTS
    event = dossier.events.get()
    assert (event.action, event.to_state, event.actor_kind) == ("", "submitted", "citizen")
    assert AuditEvent.objects.filter(action="dossier.submit", object_id=str(dossier.pk)).exists()
    # Told the code and the tracking link on commit, by e-mail and SMS, and the messages kept.
    assert dossier.code in mail.outbox[0].body and "/dich-vu-cong/" in mail.outbox[0].body
    assert LocmemSmsBackend.outbox and dossier.code in LocmemSmsBackend.outbox[-1][1]
    assert DossierNotification.objects.filter(dossier=dossier).count() == 2


def test_second_dossier_of_the_day_takes_the_next_number(world, guardian):
    submit_transfer(world, guardian)
    second = submit_transfer(world, guardian, now=NOW + dt.timedelta(hours=1))
    assert second.code.endswith("-0002")


@pytest.mark.parametrize(
    ("answers", "files", "reused", "field"),
    [
        (transfer_answers(guardian_phone="12345"), {}, (RESULTS,), "guardian_phone"),  # bad field
        (transfer_answers(origin="moon"), {}, (RESULTS,), "origin"),
        (transfer_answers(reason=""), {}, (RESULTS,), "reason"),
        (transfer_answers(), {}, (), RESULTS),  # missing component
        (transfer_answers(), {RESULTS: [SimpleUploadedFile("kq.pdf", png_bytes())]}, (), RESULTS),  # bad file
        (transfer_answers(), {RESULTS: [SimpleUploadedFile("kq.pdf", b"")]}, (), RESULTS),
        (transfer_answers(), {"Giấy khai sinh": [png_upload()]}, (RESULTS,), "__all__"),  # unknown component
        ({**transfer_answers(), "hacker": "x"}, {}, (RESULTS,), "__all__"),  # unknown field
    ],
)
def test_refused_submission_stores_nothing(
    world, guardian, answers, files, reused, field, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValidationFailed) as caught:
        submit_transfer(world, guardian, answers=answers, files=files, reused=reused)
    assert field in caught.value.details
    assert nothing_stored()
    assert not mail.outbox
    # The sequence number was not consumed: the next good submission is number 1.
    assert submit_transfer(world, guardian).code.endswith("-0001")


def test_every_problem_is_reported_at_once(world, guardian):
    with pytest.raises(ValidationFailed) as caught:
        submit_transfer(
            world,
            guardian,
            answers=transfer_answers(guardian_phone="1", reason=""),
            reused=(),
        )
    assert {"guardian_phone", "reason", RESULTS} <= set(caught.value.details)


def test_uploaded_component_is_stored_with_its_hash(world, guardian):
    dossier = submit_transfer(world, guardian, files={RESULTS: [png_upload()]}, reused=())
    stored = dossier.files.get()
    assert (stored.component, stored.content_type, stored.reused) == (RESULTS, "image/png", False)
    assert bytes(stored.content) == png_bytes() and len(stored.sha256) == 64


def test_another_guardians_child_is_refused(world, guardian):
    other = world.school2.students_a[0]
    with pytest.raises(ValidationFailed) as caught:
        submit_transfer(world, guardian, student=other)
    assert "student" in caught.value.details
    with pytest.raises(ValidationFailed):
        submit_transfer(world, guardian, answers=transfer_answers(student=other.moet_code))
    assert nothing_stored()


def test_a_user_without_children_cannot_submit_about_a_pupil(world, desk):
    with pytest.raises(ValidationFailed):
        submit_transfer(world, world.nobody)
    assert nothing_stored()


def test_a_component_that_cannot_be_reused_is_refused(world, guardian):
    with pytest.raises(ValidationFailed) as caught:
        submit_dossier(
            Actor(guardian),
            "diploma_correction",
            form_data={},
            unit=world.authority,
            reused_components=("Văn bằng, chứng chỉ đề nghị chỉnh sửa",),
            now=NOW,
        )
    assert "__all__" in caught.value.details
    assert nothing_stored()


def test_procedure_without_a_pupil_goes_to_the_unit_chosen(world, guardian):
    files = {
        "Đơn đề nghị chỉnh sửa văn bằng, chứng chỉ": [png_upload("don.png")],
        "Văn bằng, chứng chỉ đề nghị chỉnh sửa": [png_upload("bang.png")],
        "Giấy tờ làm căn cứ chỉnh sửa (quyết định cải chính hộ tịch…)": [png_upload("qd.png")],
    }
    dossier = submit_dossier(
        Actor(guardian), "diploma_correction", form_data={}, files=files, unit=world.authority, now=NOW
    )
    assert dossier.org_unit == world.authority and not dossier.fully_online  # a "một phần" procedure
    assert dossier.files.count() == 3


def test_unit_without_a_desk_is_refused(world, guardian):
    with pytest.raises(ValidationFailed):
        submit_dossier(Actor(guardian), "diploma_correction", form_data={}, unit=world.school2.school, now=NOW)
    with pytest.raises(ValidationFailed):
        submit_dossier(Actor(guardian), "diploma_correction", form_data={}, unit=None, now=NOW)
    assert nothing_stored()


def test_counter_dossier_is_typed_in_by_the_desk(world, desk, django_capture_on_commit_callbacks):
    officer = world.authority_users["authority_specialist"]
    pupil = world.school1.students_a[1]
    answers = transfer_answers(
        student_full_name=pupil.person.full_name,
        student_date_of_birth="02/03/2014",
        student_personal_id=prefill._personal_id(pupil.person),
        current_school=world.school1.school.name,
        current_grade="6",
        guardian_full_name="Trần Thị Bình",
    )
    with django_capture_on_commit_callbacks(execute=True):
        dossier = submit_dossier(
            Actor(officer),
            TRANSFER,
            form_data=answers,
            files={RESULTS: [png_upload()]},
            channel=SubmissionChannel.COUNTER,
            unit=world.authority,
            student_id=pupil.pk,
            applicant_name="Trần Thị Bình",
            applicant_phone="0987 654 321",
            on_behalf=True,
            now=NOW,
        )
    assert dossier.applicant is None and dossier.applicant_name == "Trần Thị Bình"
    assert dossier.applicant_phone == "0987654321"
    assert dossier.channel == "counter" and not dossier.fully_online and dossier.prefilled_fields == []
    assert dossier.events.get().actor_kind == "desk"


def test_counter_needs_the_receive_capability(world, desk):
    with pytest.raises(NotPermitted):
        submit_dossier(
            Actor(world.school1.users["principal"]),
            "diploma_correction",
            form_data={},
            channel=SubmissionChannel.COUNTER,
            unit=world.authority,
            applicant_name="Lê Văn Cường",
            applicant_phone="0912345678",
            on_behalf=True,
            now=NOW,
        )
    assert nothing_stored()


def test_fee_bearing_procedure_issues_a_bill(world, guardian, monkeypatch):
    version = ProcedureVersion.objects.get(key="diploma_copy_from_register", version=1)
    version.data["fee"] = {"amount_vnd": 20000, "kind": "charge", "legal_basis": "Thông tư thử nghiệm", "note": ""}
    version.save()
    calls = []

    def issue_bill(**kwargs):
        calls.append(kwargs)
        return SimpleNamespace(reference="DVC0001TEST", total=kwargs["lines"][0][1])

    import edudx.procedures.services.submission as submission

    monkeypatch.setattr(submission, "_payments_issue_bill", lambda: issue_bill)
    dossier = submit_dossier(
        Actor(guardian),
        "diploma_copy_from_register",
        form_data={},
        files={"Đơn đề nghị cấp bản sao văn bằng, chứng chỉ từ sổ gốc": [png_upload("don.png")]},
        unit=world.authority,
        now=NOW,
    )
    assert dossier.fee_vnd == 20000 and dossier.bill_reference == "DVC0001TEST"
    assert calls[0]["lines"][0][1] == 20000 and calls[0]["source"] == f"procedures.dossier:{dossier.pk}"
    assert calls[0]["payer_user"] == guardian


def test_notices_are_kept_with_the_dossier_and_sent_only_after_commit(
    world, guardian, django_capture_on_commit_callbacks
):
    LocmemSmsBackend.outbox.clear()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        dossier = submit_transfer(world, guardian)
    # The copies are written in the dossier's transaction; nothing has left yet.
    assert not mail.outbox and not LocmemSmsBackend.outbox
    copies = list(DossierNotification.objects.filter(dossier=dossier).order_by("channel"))
    assert [c.channel for c in copies] == ["email", "sms"] and all(c.delivered for c in copies)
    assert all(dossier.code in c.body for c in copies)
    for callback in callbacks:
        callback()
    assert len(mail.outbox) == 1 and dossier.code in mail.outbox[0].body
    assert len(LocmemSmsBackend.outbox) == 1


def test_a_rolled_back_submission_leaves_no_notice(world, guardian, monkeypatch):
    from edudx.procedures.services import submission

    def broken(**kwargs):
        raise RuntimeError("audit down")

    monkeypatch.setattr(submission.audit, "record", broken)
    with pytest.raises(RuntimeError):
        submit_transfer(world, guardian)
    assert not DossierNotification.objects.exists() and not mail.outbox


def test_a_notice_the_gateway_refuses_is_marked_not_delivered(
    world, guardian, monkeypatch, django_capture_on_commit_callbacks
):
    from edudx.procedures import notifications

    def refuse(phone, text):
        raise OSError("gateway down")

    monkeypatch.setattr(notifications, "send_sms", refuse)
    with django_capture_on_commit_callbacks(execute=True):
        dossier = submit_transfer(world, guardian)
    delivered = dict(DossierNotification.objects.filter(dossier=dossier).values_list("channel", "delivered"))
    assert delivered == {"email": True, "sms": False}
    assert Dossier.objects.filter(pk=dossier.pk).exists()  # a gateway outage never undoes the submission


def test_online_the_form_is_the_application_and_its_scan_is_not_taken(world, guardian):
    """The paper đơn is scanned only at the counter: online the form stands for it, and a file sent under its name
    is refused by name with nothing stored."""
    upload = SimpleUploadedFile("don.png", png_bytes(), content_type="image/png")
    with pytest.raises(ValidationFailed) as caught:
        submit_transfer(world, guardian, files={"Đơn xin chuyển trường": [upload]})
    assert "Đơn xin chuyển trường" in caught.value.message and nothing_stored()
