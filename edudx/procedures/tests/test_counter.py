"""The counter channel: a paper dossier typed at the desk, its scans signed with the unit's organisation signature,
components taken from platform data marked reused; all-or-nothing; digitising a component later."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from edudx.core.api import Actor, DomainError, NotPermitted, ValidationFailed
from edudx.core.credentials import trust_roots
from edudx.core.models import AuditEvent
from edudx.core.signing import SigningFailed, verify_pdf
from edudx.procedures.catalogue import SubmissionChannel
from edudx.procedures.models import Dossier, DossierFile, DossierSequence, FileRole, ServiceDesk
from edudx.procedures.services import counter as services
from edudx.procedures.states import DossierState
from edudx.testing import login_verified

from .test_results_issue import ca_dir, make_dossier, sealed_unit  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db

CORRECTION = "diploma_correction"  # three paper components, no online form
TRANSFER = "school_transfer_same_province"  # a form about a pupil; the results summary can be reused
SUMMARY = "Bản tổng hợp kết quả học tập"
CORRECTION_PARTS = (
    "Đơn đề nghị chỉnh sửa văn bằng, chứng chỉ",
    "Văn bằng, chứng chỉ đề nghị chỉnh sửa",
    "Giấy tờ làm căn cứ chỉnh sửa (quyết định cải chính hộ tịch…)",
)


def _image(kind: str) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (120, 80), "white").save(buffer, format=kind)
    return buffer.getvalue()


def scan(name: str, kind: str = "PDF") -> SimpleUploadedFile:
    extension = {"PDF": "pdf", "JPEG": "jpg", "PNG": "png"}[kind]
    return SimpleUploadedFile(f"{name}.{extension}", _image(kind))


def desk_actor(world) -> Actor:
    return Actor(world.authority_users["authority_specialist"])


def transfer_form(world) -> dict[str, str]:
    pupil = world.school1.students_a[0]
    return {
        "student_full_name": pupil.person.full_name,
        "student_date_of_birth": "01/03/2014",
        "student_personal_id": "079314000001",
        "current_school": "Trường THCS Một",
        "current_grade": "6",
        "receiving_school": "Trường THCS Hai",
        "origin": "same_province",
        "reason": "Gia đình chuyển nơi ở.",
        "guardian_full_name": "Nguyễn Văn Bình",
        "guardian_personal_id": "079080000002",
        "guardian_phone": "0912345678",
        "result_delivery": "counter",
    }


def intake(world, **overrides):
    values = {
        "actor": desk_actor(world),
        "procedure_key": CORRECTION,
        "unit": world.authority,
        "form_data": {},
        "files": {
            CORRECTION_PARTS[0]: [scan("don", "PDF")],
            CORRECTION_PARTS[1]: [scan("van-bang", "JPEG")],
            CORRECTION_PARTS[2]: [scan("can-cu", "PNG")],
        },
        "applicant_name": "Trần Thị Cúc",
        "applicant_phone": "0987654321",
    }
    values.update(overrides)
    return services.counter_intake(**values)


def test_intake_signs_every_scan_and_receives_at_once(world, sealed_unit):  # noqa: F811
    dossier = intake(world, receive_now=True)
    assert dossier.channel == SubmissionChannel.COUNTER and dossier.applicant is None
    assert dossier.state == DossierState.RECEIVED and dossier.due_at is not None
    rows = list(dossier.files.filter(role=FileRole.COMPONENT).order_by("id"))
    assert [r.component for r in rows] == list(CORRECTION_PARTS)
    roots = trust_roots()
    for row in rows:
        assert row.digitised and row.signed and not row.reused
        assert row.content_type == "application/pdf" and row.filename.endswith(".pdf")  # images wrapped in a PDF
        report = verify_pdf(bytes(row.content), roots)
        assert report.valid, report.problems
        assert report.signers[0].name == "Phòng GDĐT Thử Nghiệm" and report.sha256 == row.sha256
    audit = AuditEvent.objects.get(action="dossier.counter_intake")
    assert audit.after["digitised"] == list(CORRECTION_PARTS) and audit.after["received"] is True


def transfer_intake(world, files):
    """A school transfer typed in at the counter for the first pupil, its results summary reused."""
    return intake(
        world,
        procedure_key=TRANSFER,
        form_data=transfer_form(world),
        files=files,
        applicant_name="Nguyễn Văn Bình",
        applicant_phone="0912345678",
        student_id=world.school1.students_a[0].pk,
        reused_components=[SUMMARY],
    )


def test_reused_component_is_flagged_not_scanned(world, sealed_unit):  # noqa: F811
    pupil = world.school1.students_a[0]
    dossier = transfer_intake(world, {})
    assert dossier.state == DossierState.SUBMITTED and dossier.student_id == pupil.pk
    rows = list(dossier.files.filter(role=FileRole.COMPONENT))
    assert len(rows) == 1 and rows[0].component == SUMMARY
    assert rows[0].reused and not rows[0].signed
    # The reuse indicator (Quyết định 766, 4.3) counts dossiers with at least one reused component.
    assert Dossier.objects.filter(files__reused=True).distinct().count() == 1
    assert AuditEvent.objects.get(action="dossier.counter_intake").after["reused"] == [SUMMARY]


def test_the_paper_application_is_scanned_too_at_the_counter(world, sealed_unit):  # noqa: F811
    """At the counter the paper đơn of a procedure with an online form is scanned and signed like the other
    components (optional: the officer typed the form in); online the form stands for it and it is not offered."""
    from edudx.procedures.catalogue_store import procedure_from_data
    from edudx.procedures.selectors.catalogue import version_in_force
    from edudx.procedures.services.submission import components_to_scan_at_counter, components_to_upload

    application = "Đơn xin chuyển trường"
    procedure = procedure_from_data(version_in_force(TRANSFER, dt.date(2026, 3, 4)).data)
    online = [c.name for c in components_to_upload(procedure)]
    at_counter = [c.name for c in components_to_scan_at_counter(procedure)]
    assert application not in online and at_counter == [*online, application]  # the others keep their positions
    dossier = transfer_intake(world, {application: [scan("don", "PNG")]})
    scanned = dossier.files.get(component=application)
    assert scanned.digitised and scanned.signed and verify_pdf(bytes(scanned.content), trust_roots()).valid
    assert AuditEvent.objects.get(action="dossier.counter_intake").after["digitised"] == [application]


def _nothing_stored(world) -> None:
    assert not Dossier.objects.exists()
    assert not DossierFile.objects.exists()
    assert not DossierSequence.objects.filter(last__gt=0).exists()  # the day's number was given back
    assert not AuditEvent.objects.filter(action__in=["dossier.counter_intake", "dossier.submit"]).exists()


def test_a_bad_scan_stores_nothing(world, sealed_unit):  # noqa: F811
    fake = SimpleUploadedFile("van-bang.pdf", b"MZ\x90\x00 this is a program, not a scan")
    with pytest.raises(ValidationFailed) as refused:
        intake(world, files={CORRECTION_PARTS[0]: [scan("don")], CORRECTION_PARTS[1]: [fake]})
    assert "van-bang.pdf" in refused.value.message
    _nothing_stored(world)


def test_a_signing_failure_after_storing_rolls_everything_back(world, sealed_unit, monkeypatch):  # noqa: F811
    real = services.sign_scan
    calls = []

    def flaky(checked, **kwargs):
        calls.append(checked.filename)
        if len(calls) == 2:
            raise SigningFailed("Không ký được tài liệu.")
        return real(checked, **kwargs)

    monkeypatch.setattr(services, "sign_scan", flaky)
    with pytest.raises(DomainError):
        intake(world, receive_now=True)
    assert len(calls) == 2
    _nothing_stored(world)


def test_refused_without_seal_or_desk_role(world, ca_dir):  # noqa: F811
    ServiceDesk.objects.create(org_unit=world.authority, unit_code="H99.01.02", valid_from=dt.date(2025, 1, 1))
    with pytest.raises(ValidationFailed) as no_seal:
        intake(world)
    assert no_seal.value.code == "no_credential"
    for user in (world.school1.users["principal"], world.school1.users["guardian"], world.nobody):
        with pytest.raises(NotPermitted):
            intake(world, actor=Actor(user))
    _nothing_stored(world)


def test_digitise_a_component_later(world, sealed_unit):  # noqa: F811
    dossier = make_dossier(world, key=CORRECTION, state=DossierState.PROCESSING)
    row = services.component_digitise(
        actor=desk_actor(world), dossier_id=dossier.pk, component=CORRECTION_PARTS[1], upload=scan("vb", "JPEG")
    )
    assert row.digitised and row.signed and row.component == CORRECTION_PARTS[1]
    assert verify_pdf(bytes(row.content), trust_roots()).valid
    with pytest.raises(ValidationFailed) as unknown:
        services.component_digitise(
            actor=desk_actor(world), dossier_id=dossier.pk, component="Giấy khác", upload=scan("x")
        )
    assert unknown.value.code == "component_required"
    with pytest.raises(NotPermitted):  # the applicant sees the dossier but is not the desk
        services.component_digitise(
            actor=Actor(world.school1.users["guardian"]),
            dossier_id=dossier.pk,
            component=CORRECTION_PARTS[1],
            upload=scan("vb"),
        )
    assert dossier.files.count() == 1


def test_counter_page_with_pupil_lookup_and_prefill(world, sealed_unit):  # noqa: F811
    client = Client()
    login_verified(client, world.authority_users["authority_specialist"])
    url = reverse("procedures:counter_intake")
    assert client.get(url).status_code == 200
    pupil = world.school1.students_a[0]
    found = client.get(url, {"procedure": TRANSFER, "q": pupil.moet_code})
    assert pupil.person.full_name in found.content.decode()
    chosen = client.get(url, {"procedure": TRANSFER, "student": pupil.pk}).content.decode()
    assert 'data-testid="chosen-student"' in chosen and 'value="Trường THCS Một"' in chosen
    assert '<option value="6" selected>Lớp 6</option>' in chosen  # the pupil's grade, chosen in its list

    form = transfer_form(world)
    form.update(
        {
            "unit": world.authority.pk,
            "procedure": TRANSFER,
            "student": pupil.pk,
            "applicant_name": "Nguyễn Văn Bình",
            "applicant_phone": "0912345678",
            "file_0": scan("tong-hop"),
            "receive_now": "1",
        }
    )
    answer = client.post(url, form)
    assert answer.status_code == 302, answer.content.decode()[:2000]
    dossier = Dossier.objects.get()
    assert dossier.state == DossierState.RECEIVED and dossier.channel == SubmissionChannel.COUNTER
    assert dossier.files.get().signed

    refused = client.post(url, {**form, "applicant_name": "", "file_0": scan("tong-hop")})
    assert refused.status_code == 200 and "họ và tên người nộp" in refused.content.decode()
    assert Dossier.objects.count() == 1

    outsider = Client()
    login_verified(outsider, world.school1.users["guardian"])
    assert outsider.get(url).status_code == 403


def test_digitise_page_and_api(world, sealed_unit):  # noqa: F811
    dossier = make_dossier(world, key=CORRECTION, state=DossierState.RECEIVED)
    client = Client()
    login_verified(client, world.authority_users["authority_specialist"])
    url = reverse("procedures:digitise_component", args=[dossier.pk])
    assert client.get(url).status_code == 200
    answer = client.post(url, {"component": CORRECTION_PARTS[0], "file": scan("don")})
    assert answer.status_code == 302
    api = client.post(
        reverse("procedures-counter-digitise", args=[dossier.pk]),
        {"component": CORRECTION_PARTS[2], "file": scan("can-cu", "PNG")},
    )
    assert api.status_code == 201 and api.json()["signed"] is True
    assert dossier.files.filter(digitised=True, signed=True).count() == 2

    applicant = Client()
    login_verified(applicant, world.school1.users["guardian"])
    assert applicant.get(url).status_code == 404


def test_counter_api_intake(world, sealed_unit):  # noqa: F811
    client = Client()
    login_verified(client, world.authority_users["authority_specialist"])
    answer = client.post(
        reverse("procedures-counter-intake"),
        {
            "unit": world.authority.pk,
            "procedure": CORRECTION,
            "applicant_name": "Trần Thị Cúc",
            "applicant_phone": "0987654321",
            "file_0": scan("don"),
            "file_1": scan("van-bang", "JPEG"),
            "file_2": scan("can-cu", "PNG"),
            "receive_now": "true",
        },
    )
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert body["state"] == DossierState.RECEIVED
    assert [f["signed"] and f["digitised"] for f in body["files"]] == [True, True, True]

    guardian = Client()
    login_verified(guardian, world.school1.users["guardian"])
    denied = guardian.post(reverse("procedures-counter-intake"), {"unit": world.authority.pk, "procedure": CORRECTION})
    assert denied.status_code == 404
    assert Dossier.objects.count() == 1
