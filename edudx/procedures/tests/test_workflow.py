"""``workflow.apply_action``: capacities, the clock (receipt with the 15:00 cut-off and the working calendar, the
supplement pause, the extension), stale versions, the control-sheet outcome, events and audit."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from edudx.core.api import AuditEvent, Conflict, NotPermitted, OrgUnit, ValidationFailed
from edudx.core.enums import AuthorityKind, OrgUnitKind, Role
from edudx.core.permissions import Actor
from edudx.procedures.models import CalendarDay, CalendarDayKind, Dossier, DossierEvent, ProcedureVersion
from edudx.procedures.services import workflow
from edudx.procedures.services.workflow import Step, apply_action, apply_system_action
from edudx.procedures.states import ActorKind, DossierAction, DossierState
from edudx.procedures.workdays import VIETNAM_TIMEZONE
from edudx.testing import grant, make_user

pytestmark = pytest.mark.django_db

A, K, S = DossierAction, ActorKind, DossierState
_codes = itertools.count(1)


def local(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=VIETNAM_TIMEZONE)


def make_dossier(
    world,
    *,
    key: str = "school_transfer_same_province",
    state: str = S.SUBMITTED,
    applicant=None,
    unit: OrgUnit | None = None,
    submitted_at: dt.datetime | None = None,
    **fields,
) -> Dossier:
    """A dossier written straight through the models (the submission service is another helper's)."""
    procedure = ProcedureVersion.objects.filter(key=key).order_by("-version").first()
    applicant = applicant if applicant is not None else world.school1.users[Role.GUARDIAN]
    values = {
        "code": f"H99.01-260304-{next(_codes):04d}",
        "procedure": procedure,
        "org_unit": unit or world.authority,
        "channel": "online",
        "state": state,
        "applicant": applicant,
        "applicant_name": applicant.get_full_name() if applicant else "Trần Văn Bình",
        "applicant_phone": "0912345678",
        "applicant_email": "phuhuynh@example.vn",
        "applicant_address": "12 Yersin, phường Thủ Dầu Một",
        "form_data": {
            "student_full_name": "Nguyễn Văn An",
            "student_personal_id": "079314000123",
            "origin": "same_province",
        },
        "submitted_at": submitted_at or local(2026, 3, 4, 8, 0),
        "fee_vnd": 0,
    }
    dossier = Dossier.objects.create(**{**values, **fields})
    DossierEvent.objects.create(
        dossier=dossier, action="", from_state="", to_state=S.SUBMITTED, actor=applicant, actor_kind=K.CITIZEN,
        at=dossier.submitted_at,
    )  # fmt: skip
    return dossier


def other_authority(world, tag: str = "x"):
    """A second authority with its own specialist and leader: "another unit"."""
    from edudx.core import services as core_services

    unit = core_services.orgunit_create(
        actor=None,
        kind=OrgUnitKind.AUTHORITY,
        name=f"UBND phường Khác {tag}",
        parent=world.department,
        valid_from=dt.date(2000, 1, 1),
        authority_kind=AuthorityKind.EDUCATION_OFFICE,
    )
    specialist = make_user(f"cv_khac_{tag}", "Chuyên viên đơn vị khác")
    grant(specialist, Role.AUTHORITY_SPECIALIST, unit)
    leader = make_user(f"ld_khac_{tag}", "Lãnh đạo đơn vị khác")
    grant(leader, Role.AUTHORITY_LEADER, unit)
    return unit, specialist, leader


@pytest.fixture
def staff(world):
    leader = world.authority_users[Role.AUTHORITY_LEADER]
    specialist = world.authority_users[Role.AUTHORITY_SPECIALIST]
    leader.full_name, leader.email = "Lê Thị Lãnh Đạo", "lanhdao@example.vn"
    leader.save()
    specialist.full_name, specialist.email = "Phạm Văn Chuyên", "chuyenvien@example.vn"
    specialist.save()
    return Actor(leader), Actor(specialist)


def run(actor, dossier, action, kind, *, at, **extra):
    return apply_action(actor, dossier.pk, Step(action=action, as_kind=kind, **extra), now=at)


def test_receipt_before_the_cut_off_counts_the_same_day(world, staff):
    _leader, desk = staff
    dossier = make_dossier(world)
    event = run(desk, dossier, A.RECEIVE, K.DESK, at=local(2026, 3, 4, 14, 59))
    dossier.refresh_from_db()
    assert dossier.state == S.RECEIVED
    # Wednesday 4/3 + 5 working days = Wednesday 11/3, at closing time.
    assert dossier.due_at == local(2026, 3, 11, 17, 0)
    assert event.form_number == "01"
    assert event.data["due_at"] == local(2026, 3, 11, 17, 0).isoformat()
    assert dossier.received_by == desk.user and dossier.version == 2


def test_receipt_after_the_cut_off_counts_from_the_next_working_day(world, staff):
    _leader, desk = staff
    dossier = make_dossier(world)
    run(desk, dossier, A.RECEIVE, K.DESK, at=local(2026, 3, 4, 15, 30))
    dossier.refresh_from_db()
    assert dossier.due_at == local(2026, 3, 12, 17, 0)


def test_official_day_off_of_the_calendar_moves_the_due_date(world, staff):
    _leader, desk = staff
    CalendarDay.objects.create(day=dt.date(2026, 3, 9), kind=CalendarDayKind.DAY_OFF, name="Nghỉ theo quyết định")
    dossier = make_dossier(world)
    run(desk, dossier, A.RECEIVE, K.DESK, at=local(2026, 3, 4, 9, 0))
    dossier.refresh_from_db()
    assert dossier.due_at == local(2026, 3, 12, 17, 0)


def test_friday_evening_receipt_spanning_the_weekend(world, staff):
    _leader, desk = staff
    dossier = make_dossier(world)
    run(desk, dossier, A.RECEIVE, K.DESK, at=local(2026, 3, 6, 16, 0))  # Friday after 15:00 → Monday 9/3
    dossier.refresh_from_db()
    assert dossier.due_at == local(2026, 3, 16, 17, 0)


def _to_processing(world, staff, *, received_at):
    leader, desk = staff
    dossier = make_dossier(world)
    run(desk, dossier, A.RECEIVE, K.DESK, at=received_at)
    run(desk, dossier, A.ASSIGN, K.DESK, at=received_at + dt.timedelta(minutes=5), to_user_id=desk.user.pk)
    run(desk, dossier, A.START_PROCESSING, K.HANDLER, at=received_at + dt.timedelta(minutes=10))
    dossier.refresh_from_db()
    return dossier


def test_supplement_pause_moves_the_due_date_by_the_working_days_waited(world, staff):
    _leader, handler = staff
    dossier = _to_processing(world, staff, received_at=local(2026, 3, 4, 10, 0))
    assert dossier.due_at == local(2026, 3, 11, 17, 0)
    run(
        handler,
        dossier,
        A.REQUEST_SUPPLEMENT,
        K.HANDLER,
        at=local(2026, 3, 5, 10, 0),
        note="Thiếu bản tổng hợp kết quả",
    )
    dossier.refresh_from_db()
    assert dossier.state == S.SUPPLEMENT_REQUESTED and dossier.supplement_requests == 1
    # Applicant answers Monday 9/3 10:00: Friday 6/3 and Monday 9/3 are not counted → due Friday 13/3.
    event = run(handler, dossier, A.SUBMIT_SUPPLEMENT, K.DESK, at=local(2026, 3, 9, 10, 0))
    dossier.refresh_from_db()
    assert dossier.state == S.PROCESSING
    assert dossier.due_at == local(2026, 3, 13, 17, 0)
    assert event.data["old_due_at"] == local(2026, 3, 11, 17, 0).isoformat()
    # The same day the pure rule gives from the receipt with the pause.
    from edudx.procedures.selectors.calendar import work_calendar
    from edudx.procedures.workdays import deadline_for

    expected = deadline_for(
        local(2026, 3, 4, 10, 0), 5, work_calendar(), [(local(2026, 3, 5, 10, 0), local(2026, 3, 9, 10, 0))]
    )
    assert dossier.due_at == expected


def test_extension_sets_a_later_date_and_is_kept_by_a_later_pause(world, staff):
    leader, handler = staff
    dossier = _to_processing(world, staff, received_at=local(2026, 3, 4, 10, 0))
    with pytest.raises(ValidationFailed):
        run(handler, dossier, A.APOLOGISE_AND_EXTEND, K.HANDLER, at=local(2026, 3, 10, 9, 0), note="Chậm",
            new_due_at=local(2026, 3, 11, 12, 0))  # fmt: skip
    with pytest.raises(ValidationFailed):
        run(
            handler,
            dossier,
            A.APOLOGISE_AND_EXTEND,
            K.HANDLER,
            at=local(2026, 3, 10, 9, 0),
            new_due_at=local(2026, 3, 20, 17, 0),
        )  # fmt: skip  (no reason)
    event = run(handler, dossier, A.APOLOGISE_AND_EXTEND, K.HANDLER, at=local(2026, 3, 10, 9, 0),
                note="Cần xác minh với trường cũ", new_due_at=local(2026, 3, 20, 17, 0))  # fmt: skip
    dossier.refresh_from_db()
    assert dossier.state == S.PROCESSING and dossier.due_at == local(2026, 3, 20, 17, 0)
    assert event.form_number == "04" and event.data["new_due_at"] == local(2026, 3, 20, 17, 0).isoformat()
    run(handler, dossier, A.REQUEST_SUPPLEMENT, K.HANDLER, at=local(2026, 3, 11, 9, 0), note="Thiếu đơn")
    run(handler, dossier, A.SUBMIT_SUPPLEMENT, K.DESK, at=local(2026, 3, 12, 9, 0))
    dossier.refresh_from_db()
    assert dossier.due_at == local(2026, 3, 23, 17, 0)  # one working day (12/3) waited, after the extension


def test_control_sheet_outcome_uses_local_days(world, staff):
    leader, desk = staff
    dossier = _to_processing(world, staff, received_at=local(2026, 3, 4, 10, 0))
    # 06:30 local on the due day is 23:30 UTC the day before: still "đúng hạn", not "trước hạn".
    event = run(desk, dossier, A.SUBMIT_FOR_APPROVAL, K.HANDLER, at=local(2026, 3, 11, 6, 30))
    assert event.step_outcome == "on_time"
    event = run(leader, dossier, A.APPROVE, K.LEADER, at=local(2026, 3, 12, 8, 0))
    assert event.step_outcome == "late"
    dossier.refresh_from_db()
    assert dossier.processed_at == local(2026, 3, 12, 8, 0)


def test_stale_version_is_a_conflict_and_changes_nothing(world, staff):
    _leader, desk = staff
    dossier = make_dossier(world)
    with pytest.raises(Conflict):
        run(desk, dossier, A.RECEIVE, K.DESK, at=local(2026, 3, 4, 9, 0), expected_version=dossier.version + 1)
    dossier.refresh_from_db()
    assert dossier.state == S.SUBMITTED and dossier.events.count() == 1


def test_capacities_are_checked(world, staff):
    leader, specialist = staff
    dossier = make_dossier(world)
    citizen = Actor(world.school1.users[Role.GUARDIAN])
    with pytest.raises(NotPermitted):  # the applicant cannot act as the desk
        run(citizen, dossier, A.RECEIVE, K.DESK, at=local(2026, 3, 4, 9, 0))
    with pytest.raises(NotPermitted):  # a specialist is not a leader
        run(specialist, dossier, A.STOP, K.LEADER, at=local(2026, 3, 4, 9, 0), note="x")
    with pytest.raises(NotPermitted):  # nobody chooses the SYSTEM capacity
        run(leader, dossier, A.RECEIVE, K.SYSTEM, at=local(2026, 3, 4, 9, 0))
    _unit, stranger, _l = other_authority(world)
    with pytest.raises(NotPermitted):  # another unit's staff cannot even see it
        run(Actor(stranger), dossier, A.RECEIVE, K.DESK, at=local(2026, 3, 4, 9, 0))
    dossier.refresh_from_db()
    assert dossier.state == S.SUBMITTED and dossier.version == 1


def test_only_the_assigned_handler_acts_as_handler(world, staff):
    leader, specialist = staff
    second = make_user("chuyenvien2", "Chuyên viên Hai")
    grant(second, Role.AUTHORITY_SPECIALIST, world.authority)
    dossier = _to_processing(world, staff, received_at=local(2026, 3, 4, 10, 0))
    with pytest.raises(NotPermitted):
        run(Actor(second), dossier, A.SUBMIT_FOR_APPROVAL, K.HANDLER, at=local(2026, 3, 5, 9, 0))
    # The handler hands it over; the new handler starts and goes on.
    run(specialist, dossier, A.HAND_OVER, K.HANDLER, at=local(2026, 3, 5, 9, 0), to_user_id=second.pk)
    run(Actor(second), dossier, A.START_PROCESSING, K.HANDLER, at=local(2026, 3, 5, 9, 5))
    dossier.refresh_from_db()
    assert dossier.handler == second and dossier.state == S.PROCESSING
    with pytest.raises(ValidationFailed):  # a hand-over only to staff of the unit
        run(Actor(second), dossier, A.HAND_OVER, K.HANDLER, at=local(2026, 3, 5, 9, 9),
            to_user_id=world.school1.users[Role.GUARDIAN].pk)  # fmt: skip


def test_system_path_issues_only_as_system(world, staff):
    leader, desk = staff
    dossier = _to_processing(world, staff, received_at=local(2026, 3, 4, 10, 0))
    run(desk, dossier, A.SUBMIT_FOR_APPROVAL, K.HANDLER, at=local(2026, 3, 5, 9, 0))
    run(leader, dossier, A.APPROVE, K.LEADER, at=local(2026, 3, 5, 10, 0))
    with pytest.raises(NotPermitted):
        apply_system_action(dossier.pk, Step(action=A.ISSUE_RESULT, as_kind=K.DESK))
    event = apply_system_action(dossier.pk, Step(action=A.ISSUE_RESULT, as_kind=K.SYSTEM), now=local(2026, 3, 5, 11))
    dossier.refresh_from_db()
    assert dossier.state == S.RESULT_ISSUED and event.actor is None
    assert dossier.result_issued_at == local(2026, 3, 5, 11, 0)


def test_every_step_is_audited_and_notifies_the_applicant_after_commit(
    world, staff, django_capture_on_commit_callbacks
):
    from django.core import mail

    _leader, desk = staff
    dossier = make_dossier(world)
    with django_capture_on_commit_callbacks(execute=True):
        run(desk, dossier, A.REFUSE, K.DESK, at=local(2026, 3, 4, 9, 0), note="Không thuộc thẩm quyền")
    audit = AuditEvent.objects.filter(action="dossier.refuse", object_id=str(dossier.pk)).get()
    assert audit.before["state"] == S.SUBMITTED and audit.after["state"] == S.REFUSED
    assert [m.to for m in mail.outbox] == [["phuhuynh@example.vn"]]
    assert "Không thuộc thẩm quyền" in mail.outbox[0].body


def test_a_step_notice_is_kept_in_its_transaction_and_sent_after_commit(
    world, staff, django_capture_on_commit_callbacks
):
    from django.core import mail

    from edudx.core.sms import LocmemSmsBackend

    _leader, desk = staff
    dossier = make_dossier(world)
    LocmemSmsBackend.outbox.clear()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        run(desk, dossier, A.REQUEST_COMPLETION, K.DESK, at=local(2026, 3, 4, 9, 0), note="Thiếu học bạ")
    copies = list(dossier.notifications.order_by("channel"))
    assert [c.channel for c in copies] == ["email", "sms"] and all("Thiếu học bạ" in c.body for c in copies)
    assert not mail.outbox and not LocmemSmsBackend.outbox  # nothing leaves before the commit
    for callback in callbacks:
        callback()
    assert [m.to for m in mail.outbox] == [["phuhuynh@example.vn"]] and len(LocmemSmsBackend.outbox) == 1


def test_a_rolled_back_step_leaves_no_notice_and_a_refused_one_is_marked(
    world, staff, monkeypatch, django_capture_on_commit_callbacks
):
    from django.core import mail

    from edudx.procedures import notifications

    _leader, desk = staff
    dossier = make_dossier(world)

    def broken(**kwargs):
        raise RuntimeError("audit down")

    with monkeypatch.context() as patch:
        patch.setattr(workflow.audit, "record", broken)
        with pytest.raises(RuntimeError), django_capture_on_commit_callbacks(execute=True):
            run(desk, dossier, A.REFUSE, K.DESK, at=local(2026, 3, 4, 9, 0), note="Không thuộc thẩm quyền")
    assert not dossier.notifications.exists() and not mail.outbox
    assert Dossier.objects.get(pk=dossier.pk).state == S.SUBMITTED

    def refuse(phone, text):
        raise OSError("gateway down")

    monkeypatch.setattr(notifications, "send_sms", refuse)
    with django_capture_on_commit_callbacks(execute=True):
        run(desk, dossier, A.REFUSE, K.DESK, at=local(2026, 3, 4, 9, 5), note="Không thuộc thẩm quyền")
    assert dict(dossier.notifications.values_list("channel", "delivered")) == {"email": True, "sms": False}


def test_shift_for_pause_matches_deadline_for_without_extension():
    from edudx.procedures.workdays import WorkCalendar, deadline_for

    calendar = WorkCalendar()
    received = local(2026, 1, 26, 9, 0)  # before Tết 2026 (16–20/2)
    due = deadline_for(received, 20, calendar)
    pause = (local(2026, 2, 5, 9, 0), local(2026, 2, 25, 16, 0))
    assert workflow.shift_for_pause(due, *pause, calendar) == deadline_for(received, 20, calendar, [pause])


def test_the_handler_is_e_mailed_when_a_dossier_is_assigned_and_the_applicant_is_not(
    world, staff, django_capture_on_commit_callbacks
):
    from django.core import mail

    _leader, desk = staff
    dossier = make_dossier(world)
    run(desk, dossier, A.RECEIVE, K.DESK, at=local(2026, 3, 4, 9, 0))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        run(desk, dossier, A.ASSIGN, K.DESK, at=local(2026, 3, 4, 9, 5), to_user_id=desk.user.pk)
    assert [m.to for m in mail.outbox] == [["chuyenvien@example.vn"]]
    assert dossier.code in mail.outbox[0].subject and "hạn trả kết quả" in mail.outbox[0].body
    # Staff messages are not kept with the applicant's (the applicant reads those on the tracking page).
    assert not dossier.notifications.filter(recipient="chuyenvien@example.vn").exists()
