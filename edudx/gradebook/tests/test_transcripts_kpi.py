"""The "học bạ số đã ký số" KPI and the authority's per-school table: counts only, per school in scope."""

from __future__ import annotations

import hashlib

import pytest
from django.test import Client
from django.urls import reverse

from edudx.core.kpi import get_kpi
from edudx.core.permissions import Actor
from edudx.gradebook.curriculum import rule_set_version_for_class
from edudx.gradebook.models import Transcript, TranscriptStatus, YearResult
from edudx.registry.api import SchoolYear
from edudx.testing import login_verified

pytestmark = pytest.mark.django_db


def _result(school_class, student) -> None:
    YearResult.objects.create(
        student=student, school_class=school_class, rule_set=rule_set_version_for_class(school_class)
    )


def _transcript(school_class, student, status: str, version: int = 1, **extra) -> Transcript:
    pdf = f"%PDF-1.7 {student.pk} v{version}".encode()
    return Transcript.objects.create(
        student=student, school_class=school_class, school=school_class.school, year=school_class.year,
        version=version, status=status, pdf=pdf, sha256=hashlib.sha256(pdf).hexdigest(), data={},
        created_by=school_class.school.classes.first().homeroom_teacher.person.user, **extra,
    )  # fmt: skip


@pytest.fixture
def numbers(world):
    s1, s2 = world.school1, world.school2
    for student in s1.students_a + s1.students_b:
        _result(student.memberships.first().school_class, student)
    for student in s2.students_a[:2]:
        _result(s2.class_a, student)
    old = _transcript(s1.class_a, s1.students_a[0], TranscriptStatus.SUPERSEDED)
    _transcript(s1.class_a, s1.students_a[0], TranscriptStatus.SEALED, version=2, supersedes=old)
    _transcript(s1.class_a, s1.students_a[1], TranscriptStatus.SEALED)
    _transcript(s1.class_a, s1.students_a[2], TranscriptStatus.PRINCIPAL_SIGNED)
    _transcript(s2.class_a, s2.students_a[0], TranscriptStatus.SEALED)
    _transcript(s2.class_a, s2.students_a[2], TranscriptStatus.SEALED)  # no year result: not counted
    # Last year's sealed transcripts do not count for the current year.
    last = SchoolYear.objects.create(
        code="2024-2025", starts_on="2024-09-05", ends_on="2025-05-31",
        semester1_ends_on="2025-01-10", semester2_starts_on="2025-01-12",
    )  # fmt: skip
    Transcript.objects.filter(student=s1.students_b[0]).delete()
    klass = s1.class_b
    klass.pk = None
    klass.year = last
    klass.save()
    _result(klass, s1.students_b[0])
    _transcript(klass, s1.students_b[0], TranscriptStatus.SEALED)
    return world


def test_kpi_counts_sealed_students_of_the_current_year_in_scope(numbers):
    kpi = get_kpi("gradebook.transcripts_sealed")
    assert kpi.name == "Học bạ số đã ký số" and kpi.target_percent == 100
    whole = kpi.measure(Actor(numbers.authority_users["authority_leader"]))
    assert (whole.numerator, whole.denominator) == (3, 8)
    one = kpi.measure(Actor(numbers.school1.users["principal"]))
    assert (one.numerator, one.denominator) == (2, 6) and str(one.percent) == "33.3"
    assert kpi.met(one) is False
    nobody = kpi.measure(Actor(numbers.school1.users["subject_teacher"]))
    assert (nobody.numerator, nobody.denominator) == (0, 0)


def test_stats_page_for_the_authority_only(numbers):
    client = Client()
    login_verified(client, numbers.authority_users["authority_specialist"])
    page = client.get(reverse("gradebook:transcript_stats"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Trường THCS Một" in html and "33,3" in html and "Trường THCS Hai" in html and "50,0" in html
    export = client.get(reverse("gradebook:transcript_stats"), {"export": "csv"})
    lines = b"".join(export.streaming_content).decode("utf-8-sig").splitlines()
    assert lines[1:] == ["Trường THCS Hai,2,1,50.0", "Trường THCS Một,6,2,33.3"]
    for user in (numbers.school1.users["homeroom_teacher"], numbers.school1.users["guardian"], numbers.nobody):
        other = Client()
        login_verified(other, user)
        assert other.get(reverse("gradebook:transcript_stats")).status_code == 403
