"""Issuing the electronic result: rendered, sealed with the unit's signature, verified, issued; refused before
approval, before payment, to the wrong people; downloaded by its applicant and nobody else."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from edudx.core.api import Actor, DomainError, NotPermitted, ValidationFailed
from edudx.core.credentials import issue_seal_for_unit, trust_roots
from edudx.core.models import AuditEvent
from edudx.core.signing import verify_pdf
from edudx.procedures.catalogue import ResultDelivery, SubmissionChannel
from edudx.procedures.models import Dossier, DossierEvent, DossierFile, FileRole, ProcedureVersion, ServiceDesk
from edudx.procedures.services import results as services
from edudx.procedures.states import ActorKind, DossierAction, DossierState
from edudx.testing import login_verified

pytestmark = pytest.mark.django_db

DECISION = "Đồng ý tiếp nhận học sinh vào lớp 6A1 từ ngày 05/01/2026.\nĐề nghị phụ huynh liên hệ nhà trường."
_PDF: dict[str, bytes] = {}


def small_result_pdf(*, dossier, decision_text, token, issued_at) -> bytes:
    """One short page instead of the full layout (rendered once in ``test_full_layout_renders_each_type``):
    WeasyPrint costs about a second per document."""
    if "pdf" not in _PDF:
        from weasyprint import HTML

        _PDF["pdf"] = HTML(string="<p>Kết quả giải quyết</p>").write_pdf()
    return _PDF["pdf"]


@pytest.fixture
def ca_dir(settings, tmp_path):
    settings.SIGNING_CA_DIR = tmp_path / "ca"
    settings.PUBLIC_BASE_URL = "https://dvc.example.vn"
    return settings.SIGNING_CA_DIR


@pytest.fixture
def sealed_unit(world, ca_dir):
    """The authority receives dossiers (a desk identifier) and holds an organisation seal."""
    ServiceDesk.objects.create(org_unit=world.authority, unit_code="H99.01.02", valid_from=dt.date(2025, 1, 1))
    issue_seal_for_unit(world.authority)
    return world.authority


@pytest.fixture
def fast_pdf(monkeypatch):
    monkeypatch.setattr(services, "render_result_pdf", small_result_pdf)


_codes = iter(range(1, 10_000))


def inflated(pdf: bytes) -> bytes:
    """The PDF with every compressed stream inflated (WeasyPrint packs objects, links included, into streams)."""
    import re
    import zlib

    parts = [pdf]
    for match in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            parts.append(zlib.decompress(match.group(1)))
        except zlib.error:
            continue
    return b"\n".join(parts)


def make_dossier(
    world,
    *,
    state: str = DossierState.APPROVED,
    applicant=None,
    key: str = "school_transfer_same_province",
    delivery: str = ResultDelivery.ONLINE,
    fee: int = 0,
    paid: bool = False,
) -> Dossier:
    """A dossier written straight to the tables (the submission service is tested elsewhere)."""
    now = timezone.now()
    version = ProcedureVersion.objects.filter(key=key).order_by("-version").first()
    applicant = applicant if applicant is not None else world.school1.users["guardian"]
    return Dossier.objects.create(
        code=f"H99.01.02-260105-{next(_codes):04d}",
        procedure=version,
        org_unit=world.authority,
        channel=SubmissionChannel.ONLINE,
        result_delivery=delivery,
        state=state,
        applicant=applicant,
        applicant_name="Nguyễn Văn Bình",
        applicant_phone="0912345678",
        student=world.school1.students_a[0],
        submitted_at=now - dt.timedelta(days=3),
        received_at=now - dt.timedelta(days=3),
        fee_vnd=fee,
        paid_at=now if paid else None,
        processed_at=now if state == DossierState.APPROVED else None,
    )


def desk(world) -> Actor:
    return Actor(world.authority_users["authority_specialist"])


def leader(world) -> Actor:
    return Actor(world.authority_users["authority_leader"])


def test_result_is_sealed_verified_and_issued_by_the_desk(world, sealed_unit, fast_pdf):
    dossier = make_dossier(world, delivery=ResultDelivery.COUNTER)
    result = services.result_issue(actor=desk(world), dossier_id=dossier.pk, decision_text=DECISION)

    assert result.role == FileRole.RESULT and result.signed and result.digitised and result.verify_token
    report = verify_pdf(bytes(result.content), trust_roots())
    assert report.valid, report.problems
    assert report.signers[0].name == "Phòng GDĐT Thử Nghiệm"
    assert report.sha256 == result.sha256
    dossier.refresh_from_db()
    assert dossier.state == DossierState.RESULT_ISSUED and dossier.result_issued_at is not None
    event = DossierEvent.objects.get(dossier=dossier, action=DossierAction.ISSUE_RESULT)
    assert event.actor_kind == ActorKind.DESK and event.data["result_file_id"] == result.pk
    assert AuditEvent.objects.filter(action="dossier.result_sign", object_id=str(result.pk)).exists()


def test_online_delivery_is_issued_by_the_system_path(world, sealed_unit, fast_pdf):
    dossier = make_dossier(world, delivery=ResultDelivery.ONLINE)
    # The leader who decided prepares it; the hand-over to the applicant's account is the system's step.
    services.result_issue(actor=leader(world), dossier_id=dossier.pk, decision_text=DECISION)
    event = DossierEvent.objects.get(dossier=dossier, action=DossierAction.ISSUE_RESULT)
    assert event.actor_kind == ActorKind.SYSTEM
    audit = AuditEvent.objects.get(action="dossier.result_sign")
    assert audit.actor == world.authority_users["authority_leader"]


def test_a_user_cannot_choose_the_system_capacity(world, sealed_unit):
    from edudx.procedures.services.workflow import Step, apply_action

    dossier = make_dossier(world)
    with pytest.raises(NotPermitted):
        apply_action(leader(world), dossier.pk, Step(DossierAction.ISSUE_RESULT, ActorKind.SYSTEM))
    dossier.refresh_from_db()
    assert dossier.state == DossierState.APPROVED


@pytest.mark.parametrize("state", [DossierState.PROCESSING, DossierState.AWAITING_APPROVAL, DossierState.RESULT_ISSUED])
def test_refused_unless_approved(world, sealed_unit, fast_pdf, state):
    dossier = make_dossier(world, state=state)
    with pytest.raises(ValidationFailed) as refused:
        services.result_issue(actor=desk(world), dossier_id=dossier.pk, decision_text=DECISION)
    assert refused.value.code == "not_approved" and "chưa được lãnh đạo phê duyệt" in refused.value.message
    assert not DossierFile.objects.filter(dossier=dossier, role=FileRole.RESULT).exists()


def test_fee_bearing_dossier_waits_for_payment(world, sealed_unit, fast_pdf):
    unpaid = make_dossier(world, fee=50_000)
    with pytest.raises(ValidationFailed) as refused:
        services.result_issue(actor=desk(world), dossier_id=unpaid.pk, decision_text=DECISION)
    assert refused.value.code == "unpaid" and "50.000 đồng" in refused.value.message
    unpaid.refresh_from_db()
    assert unpaid.state == DossierState.APPROVED and not unpaid.files.exists()

    paid = make_dossier(world, fee=50_000, paid=True)
    services.result_issue(actor=desk(world), dossier_id=paid.pk, decision_text=DECISION)
    paid.refresh_from_db()
    assert paid.state == DossierState.RESULT_ISSUED


def test_refusals_leave_nothing_behind(world, sealed_unit, fast_pdf):
    dossier = make_dossier(world, delivery=ResultDelivery.COUNTER)
    other_school_staff = Actor(world.school2.users["principal"])
    citizen = Actor(world.school1.users["guardian"])
    for actor in (other_school_staff, citizen, Actor(world.nobody)):
        with pytest.raises(NotPermitted):
            services.result_issue(actor=actor, dossier_id=dossier.pk, decision_text=DECISION)
    with pytest.raises(ValidationFailed) as short:
        services.result_issue(actor=desk(world), dossier_id=dossier.pk, decision_text="ok")
    assert short.value.code == "decision_required"
    with pytest.raises(DomainError) as stale:
        services.result_issue(
            actor=desk(world), dossier_id=dossier.pk, decision_text=DECISION, expected_version=dossier.version + 1
        )
    assert stale.value.code == "stale"
    dossier.refresh_from_db()
    assert dossier.state == DossierState.APPROVED and not dossier.files.exists() and not dossier.events.exists()


def test_unit_without_seal_is_refused_cleanly(world, ca_dir, fast_pdf):
    ServiceDesk.objects.create(org_unit=world.authority, unit_code="H99.01.02", valid_from=dt.date(2025, 1, 1))
    dossier = make_dossier(world, delivery=ResultDelivery.COUNTER)
    with pytest.raises(ValidationFailed) as refused:
        services.result_issue(actor=desk(world), dossier_id=dossier.pk, decision_text=DECISION)
    assert refused.value.code == "no_credential"
    dossier.refresh_from_db()
    assert dossier.state == DossierState.APPROVED and not dossier.files.exists()


def test_full_layout_renders_each_type(world, sealed_unit):
    """The real templates: one procedure per result type renders and links the public check page."""
    keys = ("school_transfer_same_province", "diploma_correction", "diploma_copy_from_register", "enrollment_grade_1")
    for key in keys:
        dossier = make_dossier(world, key=key)
        pdf = services.render_result_pdf(
            dossier=dossier, decision_text=DECISION, token="tok-123", issued_at=timezone.now()
        )
        assert pdf.startswith(b"%PDF")
        assert b"https://dvc.example.vn/kq/tok-123/" in inflated(pdf)  # the link over the printed address


def test_issue_page_and_downloads(world, sealed_unit, fast_pdf):
    dossier = make_dossier(world, delivery=ResultDelivery.COUNTER)
    staff = Client()
    login_verified(staff, world.authority_users["authority_specialist"])
    url = reverse("procedures:issue_result", args=[dossier.pk])
    page = staff.get(url)
    assert page.status_code == 200 and dossier.code in page.content.decode()
    answer = staff.post(url, {"decision_text": DECISION, "version": dossier.version})
    assert answer.status_code == 302
    dossier.refresh_from_db()
    assert dossier.state == DossierState.RESULT_ISSUED
    result = DossierFile.objects.get(dossier=dossier, role=FileRole.RESULT)

    download = reverse("procedures:result_download", args=[dossier.code])
    owner = Client()
    login_verified(owner, world.school1.users["guardian"])
    got = owner.get(download)
    assert got.status_code == 200 and got["Content-Type"] == "application/pdf"
    assert b"".join(got.streaming_content if got.streaming else [got.content]) == bytes(result.content)
    assert staff.get(download).status_code == 200

    stranger = Client()
    login_verified(stranger, world.school2.users["guardian"])
    assert stranger.get(download).status_code == 404
    other_staff = Client()
    login_verified(other_staff, world.school2.users["principal"])
    assert other_staff.get(download).status_code == 404
    assert other_staff.get(url).status_code == 404
    assert Client().get(download).status_code == 302  # to the log-in page


def test_issue_page_shows_refusal_messages(world, sealed_unit, fast_pdf):
    dossier = make_dossier(world, fee=20_000)
    staff = Client()
    login_verified(staff, world.authority_users["authority_specialist"])
    url = reverse("procedures:issue_result", args=[dossier.pk])
    answer = staff.post(url, {"decision_text": DECISION, "version": dossier.version}, follow=True)
    assert "chưa được thanh toán" in answer.content.decode()
    dossier.refresh_from_db()
    assert dossier.state == DossierState.APPROVED


def test_api_issue_and_download(world, sealed_unit, fast_pdf):
    dossier = make_dossier(world, delivery=ResultDelivery.COUNTER)
    staff = Client()
    login_verified(staff, world.authority_users["authority_specialist"])
    answer = staff.post(
        reverse("procedures-result-issue", args=[dossier.pk]),
        {"decision_text": DECISION, "expected_version": dossier.version},
        content_type="application/json",
    )
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert body["dossier"] == dossier.code and body["verify_url"].endswith(f"/kq/{body['verify_token']}/")
    again = staff.post(
        reverse("procedures-result-issue", args=[dossier.pk]),
        {"decision_text": DECISION},
        content_type="application/json",
    )
    assert again.status_code == 400 and again.json()["code"] == "not_approved"

    owner = Client()
    login_verified(owner, world.school1.users["guardian"])
    got = owner.get(reverse("procedures-result-download", args=[dossier.code]))
    assert got.status_code == 200 and got.content.startswith(b"%PDF")
    stranger = Client()
    login_verified(stranger, world.school2.users["guardian"])
    assert stranger.get(reverse("procedures-result-download", args=[dossier.code])).status_code == 404
