"""API of results: policy-scoped year and subject results, and the aggregates-only statistics endpoint."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from edudx.core.api import actor_for
from edudx.gradebook.services.locking import lock_semester
from edudx.gradebook.services.results import compute_class_results
from edudx.gradebook.tests.results_data import fill, tt22_student

pytestmark = pytest.mark.django_db

A = ["9.1", "8.5", "8.0", "8.2", "7.0", "8.8", "9.3", "6.6"]


@pytest.fixture
def computed(world):
    s1 = world.school1
    values = {st: tt22_student(A) for st in s1.students_a}
    fill(s1.class_a, 1, values)
    fill(s1.class_a, 2, values)
    principal = actor_for(s1.users["principal"])
    lock_semester(actor=principal, school_class=s1.class_a, semester=1)
    lock_semester(actor=principal, school_class=s1.class_a, semester=2)
    compute_class_results(actor=principal, school_class=s1.class_a)
    return world


def _api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_year_results_are_scoped_by_policy(computed):
    s1 = computed.school1
    rows = _api(s1.users["principal"]).get("/api/v1/gradebook/year-results/", {"school_class": s1.class_a.pk}).json()
    assert rows["count"] == 3 and rows["results"][0]["learning_year"] == "tot"
    mine = _api(s1.users["guardian"]).get("/api/v1/gradebook/year-results/").json()
    assert [r["student"] for r in mine["results"]] == [s1.students_a[0].pk]
    assert _api(computed.school2.users["principal"]).get("/api/v1/gradebook/year-results/").json()["count"] == 0
    assert _api(s1.users["subject_teacher"]).get("/api/v1/gradebook/year-results/").json()["count"] == 0
    leader = computed.authority_users["authority_leader"]
    assert _api(leader).get("/api/v1/gradebook/year-results/").json()["count"] == 0
    subjects = (
        _api(s1.users["guardian"]).get("/api/v1/gradebook/subject-results/", {"student": s1.students_a[0].pk}).json()
    )
    assert subjects["count"] == 13
    toan = next(r for r in subjects["results"] if r["subject_code"] == "TOAN")
    assert toan["year"] == "8.5"


def test_stats_endpoint_for_authority_only(computed):
    s1 = computed.school1
    leader = _api(computed.authority_users["authority_leader"])
    data = leader.get("/api/v1/gradebook/results/stats/").json()
    by_school = {row["school"]: row for row in data}
    assert by_school[s1.school.pk]["total"] == 3
    assert {d["code"]: d["count"] for d in by_school[s1.school.pk]["distribution"]}["tot"] == 3
    assert "student" not in str(data)
    assert _api(s1.users["homeroom_teacher"]).get("/api/v1/gradebook/results/stats/").status_code == 403
    assert leader.get("/api/v1/gradebook/results/stats/", {"school": 999999}).status_code == 404
