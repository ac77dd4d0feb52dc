"""Desk, handler and approval pages: queues and filters, the dossier page (masked ID, files, control sheet), every
action through the page once, confirmation, the stale-version 409, and the permission matrix."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from edudx.core.enums import Role
from edudx.procedures.models import Dossier, DossierFile, FileRole
from edudx.procedures.states import DossierState
from edudx.testing import grant, login_verified, make_user

from .test_workflow import make_dossier, other_authority, staff  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db
S = DossierState


def _client(user) -> Client:
    client = Client()
    login_verified(client, user)
    return client


@pytest.fixture
def clients(world, staff):  # noqa: F811
    leader, specialist = staff
    return _client(leader.user), _client(specialist.user)


def _post(client, dossier, action, kind, **extra):
    dossier.refresh_from_db()
    data = {"action": action, "as_kind": kind, "expected_version": dossier.version, **extra}
    return client.post(reverse("procedures:dossier_detail", args=[dossier.pk]), data)


def _state(dossier) -> str:
    dossier.refresh_from_db()
    return dossier.state


def test_queues_list_the_units_dossiers_with_filters(world, clients):
    _leader, desk = clients
    mine = make_dossier(world, applicant_name="Nguyễn Thị Hoa")
    make_dossier(world, key="diploma_correction", applicant_name="Lê Văn Sửa")
    unit, _stranger, _l = other_authority(world)
    elsewhere = make_dossier(world, unit=unit, applicant_name="Người ở đơn vị khác")
    page = desk.get(reverse("procedures:desk_queue"))
    assert page.status_code == 200
    body = page.content.decode()
    assert mine.code in body and "Lê Văn Sửa" in body and elsewhere.code not in body
    body = desk.get(reverse("procedures:desk_queue"), {"procedure": "diploma_correction"}).content.decode()
    assert "Lê Văn Sửa" in body and mine.code not in body
    body = desk.get(reverse("procedures:desk_queue"), {"q": mine.code}).content.decode()
    assert mine.code in body and "Lê Văn Sửa" not in body
    assert desk.get(reverse("procedures:desk_queue"), {"state": "approved"}).content.decode().count("H99.01") == 0


def test_every_action_through_the_page(world, staff, clients):  # noqa: F811
    leader, specialist = staff
    lead, desk = clients
    dossier = make_dossier(world)
    assert _post(desk, dossier, "receive", "desk").status_code == 302
    assert _state(dossier) == S.RECEIVED and dossier.due_at is not None
    assert _post(desk, dossier, "assign", "desk", to_user_id=specialist.user.pk).status_code == 302
    assert _post(desk, dossier, "start_processing", "handler").status_code == 302
    assert _state(dossier) == S.PROCESSING
    # A confirmation is needed for the supplement request; without it nothing changes.
    response = _post(desk, dossier, "request_supplement", "handler", note="Thiếu giấy khai sinh")
    assert response.status_code == 400 and _state(dossier) == S.PROCESSING
    _post(desk, dossier, "request_supplement", "handler", note="Thiếu giấy khai sinh", confirm="yes")
    assert _state(dossier) == S.SUPPLEMENT_REQUESTED
    _post(desk, dossier, "submit_supplement", "desk", note="Nhận bản giấy tại quầy")
    assert _state(dossier) == S.PROCESSING
    new_due = timezone.localtime(dossier.due_at) + dt.timedelta(days=7)
    _post(desk, dossier, "apologise_and_extend", "handler", note="Chờ xác minh", confirm="yes",
          new_due_at=new_due.strftime("%Y-%m-%dT%H:%M"))  # fmt: skip
    dossier.refresh_from_db()
    assert timezone.localtime(dossier.due_at).date() == new_due.date()
    _post(desk, dossier, "hand_over", "handler", to_user_id=leader.user.pk, note="Chuyển lãnh đạo xử lý")
    assert _state(dossier) == S.ASSIGNED and dossier.handler == leader.user
    _post(lead, dossier, "start_processing", "handler")
    _post(lead, dossier, "submit_for_approval", "handler")
    assert _state(dossier) == S.AWAITING_APPROVAL
    _post(lead, dossier, "return_for_rework", "leader", note="Bổ sung ý kiến", confirm="yes")
    assert _state(dossier) == S.PROCESSING
    _post(lead, dossier, "submit_for_approval", "handler")
    assert (
        reverse("procedures:dossier_detail", args=[dossier.pk])
        in lead.get(reverse("procedures:approval_queue")).content.decode()
    )
    _post(lead, dossier, "approve", "leader", confirm="yes")
    assert _state(dossier) == S.APPROVED
    actions = [e.action for e in dossier.events.order_by("at", "id")]
    assert actions[1:] == [
        "receive", "assign", "start_processing", "request_supplement", "submit_supplement", "apologise_and_extend",
        "hand_over", "start_processing", "submit_for_approval", "return_for_rework", "submit_for_approval", "approve",
    ]  # fmt: skip

    completion = make_dossier(world)
    _post(desk, completion, "request_completion", "desk", note="Thiếu đơn", confirm="yes")
    assert _state(completion) == S.NEEDS_COMPLETION
    _post(desk, completion, "refuse", "desk", note="Không bổ sung", confirm="yes")
    assert _state(completion) == S.REFUSED
    stopped = make_dossier(world)
    _post(desk, stopped, "receive", "desk")
    _post(lead, stopped, "stop", "leader", note="Người nộp đề nghị dừng", confirm="yes")
    assert _state(stopped) == S.STOPPED


def test_stale_form_answers_409_with_a_clear_message(world, clients):
    _lead, desk = clients
    dossier = make_dossier(world)
    url = reverse("procedures:dossier_detail", args=[dossier.pk])
    response = desk.post(url, {"action": "receive", "as_kind": "desk", "expected_version": dossier.version + 3})
    assert response.status_code == 409
    assert "vừa được người khác cập nhật" in response.content.decode()
    assert _state(dossier) == S.SUBMITTED


def test_detail_masks_the_personal_id_and_previews_files(world, clients):
    _lead, desk = clients
    dossier = make_dossier(world)
    dossier.form_data = {**dossier.form_data, "student_date_of_birth": "2014-03-01", "current_grade": "6"}
    dossier.save(update_fields=["form_data"])
    row = DossierFile.objects.create(
        dossier=dossier, role=FileRole.COMPONENT, component="Đơn", filename="anh.png", content_type="image/png",
        size=8, sha256="0" * 64, content=b"\x89PNG\r\n\x1a\n",
    )  # fmt: skip
    page = desk.get(reverse("procedures:dossier_detail", args=[dossier.pk]))
    body = page.content.decode()
    assert page.status_code == 200
    assert "079314000123" not in body and "•••••••••123" in body
    # Shown as the applicant sees them: the date as dd/mm/yyyy, the choice by its label.
    assert "01/03/2014" in body and "2014-03-01" not in body and "Lớp 6" in body
    assert 'data-testid="action-receive"' in body and 'data-testid="action-approve"' not in body
    preview = desk.get(reverse("procedures:desk_file", args=[dossier.pk, row.pk]), {"inline": "1"})
    assert preview.status_code == 200 and preview["Content-Disposition"].startswith("inline")
    assert preview["Content-Type"] == "image/png" and bytes(preview.content) == b"\x89PNG\r\n\x1a\n"


def test_permission_matrix(world, clients):
    dossier = make_dossier(world)
    detail = reverse("procedures:dossier_detail", args=[dossier.pk])
    # A citizen (here the applicant) cannot open staff queues nor act as the desk.
    applicant = _client(world.school1.users[Role.GUARDIAN])
    assert applicant.get(reverse("procedures:desk_queue")).status_code == 403
    assert applicant.get(detail).status_code == 404
    assert applicant.post(detail, {"action": "receive", "as_kind": "desk"}).status_code == 404
    # Another unit's handler sees nothing and changes nothing.
    _unit, stranger, stranger_leader = other_authority(world)
    other = _client(stranger)
    assert dossier.code not in other.get(reverse("procedures:desk_queue")).content.decode()
    assert other.get(detail).status_code == 404
    assert other.post(detail, {"action": "receive", "as_kind": "desk"}).status_code == 404
    # A school principal (no dossier capability) is refused the queues; anonymous goes to log-in.
    principal = _client(world.school1.users[Role.PRINCIPAL])
    assert principal.get(reverse("procedures:handler_queue")).status_code == 403
    assert Client().get(reverse("procedures:desk_queue")).status_code == 302
    # A specialist is not a leader: no approval queue, and a forged leader step is refused.
    specialist_only = make_user("cv_chi_xu_ly", "Chuyên viên")
    grant(specialist_only, Role.AUTHORITY_SPECIALIST, world.authority)
    client = _client(specialist_only)
    assert client.get(reverse("procedures:approval_queue")).status_code == 403
    assert (
        client.post(detail, {"action": "refuse", "as_kind": "leader", "note": "x", "confirm": "yes"}).status_code == 403
    )
    assert Dossier.objects.get(pk=dossier.pk).state == S.SUBMITTED
    assert stranger_leader is not None


def test_handler_queue_shows_own_dossiers_and_the_due_banner(world, staff, clients):  # noqa: F811
    leader, specialist = staff
    _lead, desk = clients
    now = timezone.now()
    overdue = make_dossier(world, state=S.PROCESSING, handler=specialist.user, received_at=now - dt.timedelta(days=9),
                           due_at=now - dt.timedelta(hours=2))  # fmt: skip
    someone = make_user("cv_khac_cung_don_vi", "Chuyên viên khác")
    grant(someone, Role.AUTHORITY_SPECIALIST, world.authority)
    theirs = make_dossier(
        world, state=S.PROCESSING, handler=someone, received_at=now, due_at=now + dt.timedelta(days=20)
    )
    body = desk.get(reverse("procedures:handler_queue")).content.decode()
    assert overdue.code in body and theirs.code not in body
    assert 'data-testid="due-banner"' in body and "table-danger" in body
    # The leader sees every dossier of the unit being handled.
    lead_body = _lead.get(reverse("procedures:handler_queue")).content.decode()
    assert overdue.code in lead_body and theirs.code in lead_body
    assert leader is not None


def test_dossier_submitted_through_the_service_is_received_at_the_desk(world, staff, clients):  # noqa: F811
    """End to end with the citizen's submission service: the desk receives it on its page; the applicant gets Mẫu 01."""
    from edudx.procedures.models import ServiceDesk

    from .test_submission import submit_transfer

    ServiceDesk.objects.create(org_unit=world.authority, unit_code="H29.01", valid_from=dt.date(2025, 7, 1))
    applicant = world.school1.users[Role.GUARDIAN]
    dossier = submit_transfer(world, applicant, now=timezone.now())
    _lead, desk = clients
    assert dossier.code in desk.get(reverse("procedures:desk_queue")).content.decode()
    assert _post(desk, dossier, "receive", "desk").status_code == 302
    assert _state(dossier) == S.RECEIVED
    receipt = _client(applicant).get(reverse("procedures:form_pdf", args=[dossier.pk, "01"]))
    assert receipt.status_code == 200 and receipt.content.startswith(b"%PDF-")
