"""The curriculum page: subjects per grade with the counts the rule set derives; edited by ruleset.manage only."""

import pytest
from django.urls import reverse

from edudx.core.api import NotPermitted, Role, ValidationFailed, actor_for
from edudx.core.models import AuditEvent
from edudx.gradebook.curriculum import ensure_sheets
from edudx.gradebook.models import GradeSubject, SubjectKind
from edudx.gradebook.services.rulesets import curriculum_set
from edudx.testing import login_verified

pytestmark = pytest.mark.django_db


def entry(grade, subject):
    return GradeSubject.objects.select_related("grade", "subject").get(grade__code=grade, subject__code=subject)


def regular_count(body, grade, subject):
    section = body[body.index(f'data-testid="grade-{grade}"') :]
    row = section[section.index(f'data-subject="{subject}"') :]
    cell = row[row.index('class="regular-count">') + len('class="regular-count">') :]
    return cell[: cell.index("<")]


def test_page_shows_derived_counts_and_tests(world, client):
    login_verified(client, world.school1.users[Role.SUBJECT_TEACHER])
    body = client.get(reverse("gradebook:curriculum")).content.decode()
    assert regular_count(body, "6", "TOAN") == "4"  # 140 periods
    assert regular_count(body, "6", "GDCD") == "2"  # 35 periods
    assert regular_count(body, "8", "CN") == "3"  # 52 periods
    assert regular_count(body, "7", "CN") == "2"  # 35 periods
    assert "sổ điểm đã mở giữ nguyên" in body
    # TT27: Toán in grade 4 is tested at the four checkpoints, Âm nhạc never.
    section = body[body.index('data-testid="grade-4"') :]
    toan = section[section.index('data-subject="TOAN"') :]
    assert "GK I, CK I, GK II, CN" in toan[: toan.index("</tr>")]
    assert reverse("gradebook:curriculum_edit", args=[entry("6", "TOAN").pk]) not in body
    thcs_only = client.get(reverse("gradebook:curriculum"), {"level": "THCS"}).content.decode()
    assert 'data-testid="grade-6"' in thcs_only and 'data-testid="grade-4"' not in thcs_only


def test_curriculum_set_changes_new_sheets_only(world):
    actor = actor_for(world.authority_users[Role.AUTHORITY_LEADER])
    old_sheet = next(s for s in ensure_sheets(world.school1.class_a, 1) if s.subject_id and s.subject.code == "GDCD")
    curriculum_set(actor=actor, entry=entry("6", "GDCD"), periods_per_year=105)
    assert entry("6", "GDCD").periods_per_year == 105
    event = AuditEvent.objects.get(action="curriculum.set")
    assert event.before["periods_per_year"] == 35 and event.after["periods_per_year"] == 105
    old_sheet.refresh_from_db()
    assert [c["code"] for c in old_sheet.columns] == ["tx1", "tx2", "gk", "ck", "nx"]
    new_sheet = next(s for s in ensure_sheets(world.school1.class_a, 2) if s.subject_id and s.subject.code == "GDCD")
    assert [c["code"] for c in new_sheet.columns] == ["tx1", "tx2", "tx3", "tx4", "gk", "ck", "nx"]


def test_curriculum_set_refusals_write_nothing(world):
    before = (list(GradeSubject.objects.values_list("kind", "periods_per_year")), AuditEvent.objects.count())
    leader = actor_for(world.authority_users[Role.AUTHORITY_LEADER])
    with pytest.raises(ValidationFailed, match="Số tiết"):
        curriculum_set(actor=leader, entry=entry("6", "TOAN"), periods_per_year=0)
    with pytest.raises(ValidationFailed, match="Hình thức"):
        curriculum_set(actor=leader, entry=entry("6", "TOAN"), kind=SubjectKind.PRIMARY)
    with pytest.raises(ValidationFailed, match="Hình thức"):
        curriculum_set(actor=leader, entry=entry("4", "TOAN"), kind=SubjectKind.SCORED)
    with pytest.raises(NotPermitted):
        curriculum_set(
            actor=actor_for(world.school1.users[Role.PRINCIPAL]), entry=entry("6", "TOAN"), periods_per_year=70
        )
    assert (list(GradeSubject.objects.values_list("kind", "periods_per_year")), AuditEvent.objects.count()) == before


def test_edit_page_for_managers_only(world, client):
    url = reverse("gradebook:curriculum_edit", args=[entry("8", "CN").pk])
    login_verified(client, world.school1.users[Role.PRINCIPAL])
    assert client.get(url).status_code == 403
    client.logout()
    login_verified(client, world.authority_users[Role.AUTHORITY_SPECIALIST])
    body = client.get(reverse("gradebook:curriculum")).content.decode()
    assert url in body
    response = client.post(url, {"kind": SubjectKind.SCORED, "periods_per_year": 75})
    assert response.status_code == 302
    body = client.get(reverse("gradebook:curriculum")).content.decode()
    assert regular_count(body, "8", "CN") == "4"
    response = client.post(url, {"kind": SubjectKind.PRIMARY, "periods_per_year": 75})
    assert response.status_code == 200 and "kind" in response.context["form"].errors
