import pytest

from edudx.core.api import actor_for, policy_for
from edudx.gradebook.models import RuleSetVersion, ScoreSheet
from edudx.registry.api import Subject, TeachingAssignment

pytestmark = pytest.mark.django_db


def test_subject_teacher_sees_only_the_semester_taught(world):
    s1 = world.school1
    toan = Subject.objects.get(code="TOAN")
    rs = RuleSetVersion.objects.get(code="TT22-2021", version=1)
    sheets = {
        sem: ScoreSheet.objects.create(school_class=s1.class_b, subject=toan, semester=sem, rule_set=rs)
        for sem in (1, 2)
    }
    teacher = actor_for(s1.users["subject_teacher"])
    policy = policy_for(ScoreSheet)
    assert set(policy.visible(teacher, "enter")) == {sheets[1], sheets[2]}
    TeachingAssignment.objects.filter(school_class=s1.class_b).update(semester=2)
    teacher = actor_for(s1.users["subject_teacher"])
    assert set(policy.visible(teacher, "enter")) == {sheets[2]}


def test_ensure_sheets_builds_columns_from_curriculum(world):
    from edudx.gradebook.curriculum import ensure_sheets
    from edudx.testing import build_primary_school

    sheets = ensure_sheets(world.school1.class_a, 1)
    by_subject = {s.subject.code if s.subject_id else "HR": [c["code"] for c in s.columns] for s in sheets}
    assert by_subject["TOAN"] == ["tx1", "tx2", "tx3", "tx4", "gk", "ck", "nx"]
    assert by_subject["GDCD"] == ["tx1", "tx2", "gk", "ck", "nx"]
    assert by_subject["HR"] == ["rl", "vang_cp", "vang_kp", "nx"]
    assert ensure_sheets(world.school1.class_a, 1) == sheets
    th = build_primary_school(world)
    th_sheets = {
        s.subject.code if s.subject_id else "HR": [c["code"] for c in s.columns] for s in ensure_sheets(th.class_a, 2)
    }
    assert th_sheets["TOAN"] == ["muc_gk", "muc_ck", "kt_gk", "kt_ck", "nx"]
    assert th_sheets["AN"] == ["muc_gk", "muc_ck", "nx"]
