"""What keeps a submission cheap, without losing anything: a light 201 answer, a bounded number of queries, the
children read once, the receiving desk found in one query, the code taken late but always stored, the audit chain
whole."""

# ruff: noqa: F811  (the fixtures imported from test_submission are used as parameters)

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from edudx.core.audit import verify_chain
from edudx.core.models import AuditEvent
from edudx.core.permissions import Actor
from edudx.procedures import prefill
from edudx.procedures.api.citizen import SubmittedSerializer
from edudx.procedures.dossier_codes import parse_code
from edudx.procedures.models import Dossier, DossierSequence, ServiceDesk
from edudx.procedures.selectors.citizen import receiving_unit_for_school
from edudx.procedures.services.codes import desk_above, desk_for, next_code

from .test_submission import NOW, RESULTS, TRANSFER, desk, guardian, png_bytes, submit_transfer, transfer_answers  # noqa: F401

pytestmark = pytest.mark.django_db
BASE = "/api/v1/procedures/my-dossiers/"
# Grants, the applicant's person and children with their classes (one query), the number, the dossier, the chain
# head's lock, then one batch of writes: its file, its first event, the audit event, the head's move and the notices
# (one statement on PostgreSQL, five elsewhere), and the savepoint of the test's transaction (two); the procedure and
# the desk come from the cache. A change that reads the person, the children or the policies again shows here.
MAX_SUBMIT_QUERIES = {"postgresql": 8, "sqlite": 12}


def _post(user, pupil):
    client = APIClient()
    client.force_authenticate(user)
    return client, client.post(
        BASE,
        {"procedure": TRANSFER, "student": pupil.pk, "form": json.dumps(transfer_answers()),
         f"component:{RESULTS}": SimpleUploadedFile("kq.png", png_bytes())},
        format="multipart",
    )  # fmt: skip


def test_submit_answers_light_and_the_detail_is_a_get(world, guardian, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        client, answer = _post(guardian, world.school1.students_a[0])
    assert answer.status_code == 201, answer.json()
    body = answer.json()
    assert set(body) == {"code", "state", "state_label", "submitted_at", "fee_vnd", "bill_reference", "tracking_url",
                         "url"}  # fmt: skip
    assert body["state"] == "submitted" and body["tracking_url"].endswith(f"/{body['code']}/")
    # The written-out answer is exactly what the documented serializer gives.
    dossier = Dossier.objects.get(code=body["code"])
    assert body == json.loads(json.dumps(SubmittedSerializer(dossier).data))
    detail = client.get(body["url"])
    assert detail.status_code == 200 and detail.json()["events"][0]["to_state"] == "submitted"


def test_submission_query_count_is_bounded(world, guardian, django_assert_max_num_queries):
    pupil = world.school1.students_a[0]
    _post(guardian, pupil)  # the day's sequence row exists from now on, as it does after the first dossier
    fresh = type(guardian).objects.get(pk=guardian.pk)  # as a request loads it: no person cached on it
    from django.db import connection

    with django_assert_max_num_queries(MAX_SUBMIT_QUERIES[connection.vendor]):
        _, answer = _post(fresh, pupil)
    assert answer.status_code == 201


def test_code_taken_late_is_stored_and_audited(world, guardian):
    first = submit_transfer(world, guardian)
    second = submit_transfer(world, guardian)
    stored = sorted(Dossier.objects.values_list("code", flat=True))
    assert stored == sorted([first.code, second.code])
    assert [parse_code(code).sequence for code in stored] == [1, 2]  # no placeholder left, no gap
    events = AuditEvent.objects.filter(action="dossier.submit").order_by("seq")
    assert [e.after["code"] for e in events] == [first.code, second.code]
    assert [e.object_label for e in events] == [first.code, second.code]
    assert verify_chain().ok


def test_refused_submission_after_the_checks_gives_nothing_back(world, guardian, monkeypatch):
    """A failure inside the transaction (here: the audit write) leaves no dossier, no file and no number."""
    from edudx.procedures.services import submission

    def broken(**kwargs):
        raise RuntimeError("audit down")

    monkeypatch.setattr(submission.audit, "record", broken)
    with pytest.raises(RuntimeError):
        submit_transfer(world, guardian)
    assert not Dossier.objects.exists()
    assert not DossierSequence.objects.filter(last__gt=0).exists()


def test_prefill_with_links_read_once_equals_reading_them_again(world, guardian):
    actor = Actor(guardian)
    pupil = world.school1.students_a[0]
    links = prefill.guardian_links(actor)
    assert [link.student for link in links] == prefill.children_of(actor)
    once = prefill.resolve(actor, student=pupil, links=links)
    again = prefill.resolve(Actor(guardian), student=pupil)
    assert once.values == again.values and once.display == again.display
    assert "guardian.relation" in once.values and "student.current_class" in once.values


def test_child_records_in_one_query_prefill_as_the_pages_do(world, guardian, django_assert_num_queries):
    actor = Actor(guardian)
    actor.grants, actor.person_id  # the actor's own rows, read by every request
    pupil = world.school1.students_a[0]
    with django_assert_num_queries(1):
        records = prefill.applicant_records(actor).children
    assert [r.student_id for r in records] == [s.pk for s in prefill.children_of(actor)]
    record = next(r for r in records if r.student_id == pupil.pk)
    assert record.school_path == pupil.school.path and record.class_name == world.school1.class_a.name
    from_record = prefill.resolve(actor, child=record)
    from_pages = prefill.resolve(Actor(guardian), student=pupil)
    assert from_record.values == from_pages.values and from_record.display == from_pages.display


def test_applicant_and_children_in_one_query_without_reading_the_person(world, guardian, django_assert_num_queries):
    """The applicant's own person comes with the children: after the grants (read by every request) the whole
    prefill of a submission is one query, and it equals what the pages prefill."""
    actor = Actor(guardian)
    actor.grants
    pupil = world.school1.students_a[0]
    with django_assert_num_queries(1):
        records = prefill.applicant_records(actor)
        record = next(r for r in records.children if r.student_id == pupil.pk)
        from_records = prefill.resolve(actor, child=record, person=records.person)
    from_pages = prefill.resolve(Actor(guardian), student=pupil)
    assert from_records.values == from_pages.values and from_records.display == from_pages.display
    assert from_records.values["guardian.full_name"] == guardian.person.full_name


def test_applicant_records_of_nobodys_guardian_are_empty(world):
    records = prefill.applicant_records(Actor(world.nobody))
    assert records.person is None and records.children == []


def test_child_records_take_no_class_of_another_school(world, guardian):
    """The class comes only from the pupil's own school: the memberships the class-membership policy shows the
    guardian. A stray open membership in a class of another school is not read."""
    from edudx.registry.models import ClassMembership

    pupil = world.school1.students_a[0]
    ClassMembership.objects.filter(student=pupil).update(left_on=dt.date(2025, 12, 31))
    ClassMembership.objects.create(student=pupil, school_class=world.school2.class_a, joined_on=dt.date(2026, 1, 5))
    record = next(r for r in prefill.applicant_records(Actor(guardian)).children if r.student_id == pupil.pk)
    assert (record.class_name, record.grade_code) == ("", "")
    assert "student.current_class" not in prefill.resolve(Actor(guardian), child=record).values


def test_reference_answers_are_cached_and_a_change_is_seen_at_once(world, desk, django_assert_num_queries):
    from edudx.procedures import reference_cache

    school = world.school1.school
    day = dt.date(2026, 3, 10)
    assert reference_cache.desk_above(school.pk, school.path, day) == desk
    version = reference_cache.procedure_in_force(TRANSFER, day)
    with django_assert_num_queries(0):
        assert reference_cache.desk_above(school.pk, school.path, day) == desk
        assert reference_cache.procedure_in_force(TRANSFER, day) == version
    newer = ServiceDesk.objects.create(org_unit=world.authority, unit_code="H29.02", valid_from=dt.date(2026, 3, 1))
    assert reference_cache.desk_above(school.pk, school.path, day) == newer
    newer.delete()
    assert reference_cache.desk_above(school.pk, school.path, day) == desk
    # A school moved under another unit has another path, hence another key.
    assert reference_cache.desk_above(school.pk, "/999/", day) is None


def test_desk_above_is_the_receiving_unit_and_its_desk(world, desk):
    school = world.school1.school
    day = dt.date(2026, 3, 10)
    found = desk_above(school, day)
    assert found is not None
    assert found.org_unit == receiving_unit_for_school(school, day=day) == world.authority
    assert found == desk_for(world.authority, day)
    # A newer desk of the same unit takes over from its first day.
    newer = ServiceDesk.objects.create(org_unit=world.authority, unit_code="H29.02", valid_from=dt.date(2026, 3, 1))
    assert desk_above(school, day) == newer == desk_for(world.authority, day)
    assert desk_above(school, dt.date(2026, 2, 28)) == desk
    # The nearest unit with a desk wins: the authority over the department above it.
    farther = ServiceDesk.objects.create(org_unit=world.department, unit_code="H29", valid_from=dt.date(2025, 1, 1))
    assert desk_above(school, day) == newer
    assert desk_above(world.authority, day) == farther  # a unit's own desk is not "above" it
    assert desk_above(world.ministry, day) is None


def test_next_code_outside_a_transaction_still_counts(world, desk):
    codes = [next_code(world.authority, NOW, desk=desk) for _ in range(3)]
    assert [parse_code(code).sequence for code in codes] == [1, 2, 3]
    assert DossierSequence.objects.get(unit_code=desk.unit_code).last == 3
