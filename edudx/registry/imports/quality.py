"""Data-quality report (plan appendix item 15): how complete and how valid each school's learner
records are, and which learners appear in two schools under one personal ID number.

Completeness counts five required facts per learner: date of birth, sex, personal ID number, a
class this school year and at least one guardian. Validity is the share of stored personal ID
numbers that pass the structural rule given the learner's date of birth and sex; the numbers are
encrypted, so the report decrypts them while it runs and keeps nothing. Every count is an
aggregate over the learners the actor may see, so a page costs the same few queries however many
schools it lists.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Case, Count, Exists, IntegerField, OuterRef, Q, QuerySet, Sum, Value, When

from edudx.core.api import Actor, OrgUnit, policy_for
from edudx.core.crypto import decrypt
from edudx.core.rules import personal_id_errors

from ..enums import StudentStatus
from ..models import ClassMembership, GuardianLink, SchoolYear, Student

CAPABILITY = "dataquality.view"
REQUIRED_FACTS = 5
ONE_DECIMAL = Decimal("0.1")


def _percent(part: int, whole: int) -> Decimal | None:
    if whole <= 0:
        return None
    return (Decimal(100) * part / whole).quantize(ONE_DECIMAL, rounding=ROUND_HALF_UP)


@dataclass
class SchoolQuality:
    school: OrgUnit
    students: int = 0
    missing_dob: int = 0
    missing_sex: int = 0
    missing_pid: int = 0
    missing_class: int = 0
    missing_guardian: int = 0
    invalid_pid: int = 0
    duplicates: int = 0
    rank: int = 0

    @property
    def missing_total(self) -> int:
        return self.missing_dob + self.missing_sex + self.missing_pid + self.missing_class + self.missing_guardian

    @property
    def completeness(self) -> Decimal | None:
        facts = REQUIRED_FACTS * self.students
        return _percent(facts - self.missing_total, facts)

    @property
    def validity(self) -> Decimal | None:
        with_pid = self.students - self.missing_pid
        return _percent(with_pid - self.invalid_pid, with_pid)

    @property
    def score(self) -> Decimal | None:
        parts = [p for p in (self.completeness, self.validity) if p is not None]
        if not parts:
            return None
        return (sum(parts, Decimal(0)) / len(parts)).quantize(ONE_DECIMAL, rounding=ROUND_HALF_UP)


def quality_schools(actor: Actor) -> QuerySet[OrgUnit]:
    """Open schools inside the actor's data-quality scope."""
    return actor.units_with(CAPABILITY).schools().filter(valid_to__isnull=True).order_by("name")


def current_year() -> SchoolYear | None:
    return SchoolYear.objects.filter(is_current=True).first()


def _learners(actor: Actor, schools: QuerySet[OrgUnit] | list[OrgUnit]) -> QuerySet[Student]:
    visible = policy_for(Student).visible(actor, "view").values("pk")
    return Student.objects.filter(pk__in=visible, school__in=schools, status=StudentStatus.STUDYING)


def _in_class(year: SchoolYear | None) -> Exists:
    return Exists(
        ClassMembership.objects.filter(
            student=OuterRef("pk"),
            school_class__year=year,
            school_class__school=OuterRef("school"),
            left_on__isnull=True,
        )
    )


def _has_guardian() -> Exists:
    return Exists(GuardianLink.objects.filter(student=OuterRef("pk")))


def _duplicate_hashes() -> QuerySet[Any]:
    """Personal ID hashes held by learners of two or more schools (anywhere: a duplicate with a
    school outside the actor's scope is still a duplicate; only its existence is shown)."""
    return (
        Student.objects.filter(status=StudentStatus.STUDYING)
        .exclude(person__personal_id_hash="")
        .values("person__personal_id_hash")
        .annotate(n=Count("school", distinct=True))
        .filter(n__gt=1)
        .values("person__personal_id_hash")
    )


def _invalid(encrypted: str, born: Any, sex: str) -> list[str]:
    try:
        value = decrypt(encrypted)
    except Exception:  # a value that no longer decrypts is as invalid as a wrong one
        return ["Không giải mã được số định danh."]
    return personal_id_errors(value, birth_date=born, sex=sex or None)


def school_scores(actor: Actor) -> list[SchoolQuality]:
    """One line per school in scope, ranked best first (schools without learners last)."""
    schools = list(quality_schools(actor))
    year = current_year()
    results = {s.pk: SchoolQuality(school=s) for s in schools}
    if not schools:
        return []
    learners = _learners(actor, schools)

    def flag(q: Any) -> Sum:
        return Sum(Case(When(q, then=Value(1)), default=Value(0), output_field=IntegerField()))

    rows = learners.values("school_id").annotate(
        total=Count("pk"),
        no_dob=Count("pk", filter=Q(person__date_of_birth__isnull=True)),
        no_sex=Count("pk", filter=Q(person__sex="")),
        no_pid=Count("pk", filter=Q(person__personal_id_hash="")),
        in_class=flag(_in_class(year)),
        guarded=flag(_has_guardian()),
        duplicates=Count("pk", filter=Q(person__personal_id_hash__in=_duplicate_hashes())),
    )
    for row in rows.order_by():
        result = results[row["school_id"]]
        result.students = row["total"]
        result.missing_dob = row["no_dob"]
        result.missing_sex = row["no_sex"]
        result.missing_pid = row["no_pid"]
        result.missing_class = row["total"] - (row["in_class"] or 0)
        result.missing_guardian = row["total"] - (row["guarded"] or 0)
        result.duplicates = row["duplicates"]
    for school_id, encrypted, born, sex in learners.exclude(person__personal_id_encrypted="").values_list(
        "school_id", "person__personal_id_encrypted", "person__date_of_birth", "person__sex"
    ):
        if _invalid(encrypted, born, sex):
            results[school_id].invalid_pid += 1
    ranked = sorted(
        results.values(),
        key=lambda r: (r.score is None, -(r.score or 0), r.school.name),
    )
    for position, result in enumerate(ranked, start=1):
        result.rank = position
    return ranked


@dataclass
class LearnerIssues:
    student: Student
    issues: list[str] = field(default_factory=list)


def school_issues(actor: Actor, school: OrgUnit) -> list[LearnerIssues]:
    """Every learner of one school with something missing or wrong, with what it is."""
    year = current_year()
    learners = (
        _learners(actor, [school])
        .select_related("person")
        .annotate(in_class=_in_class(year), guarded=_has_guardian())
        .order_by("person__search_name", "moet_code")
    )
    duplicates = set(_duplicate_hashes().values_list("person__personal_id_hash", flat=True))
    dup_here = {s.person.personal_id_hash for s in learners if s.person.personal_id_hash in duplicates}
    elsewhere: dict[str, list[str]] = defaultdict(list)
    if dup_here:
        for pid_hash, name in (
            Student.objects.filter(person__personal_id_hash__in=dup_here, status=StudentStatus.STUDYING)
            .exclude(school=school)
            .values_list("person__personal_id_hash", "school__name")
        ):
            elsewhere[pid_hash].append(name)
    out = []
    for student in learners:
        person = student.person
        issues = []
        if person.date_of_birth is None:
            issues.append("Thiếu ngày sinh")
        if not person.sex:
            issues.append("Thiếu giới tính")
        if not person.personal_id_hash:
            issues.append("Thiếu số định danh cá nhân")
        else:
            for message in _invalid(person.personal_id_encrypted, person.date_of_birth, person.sex):
                issues.append(f"Số định danh sai: {message}")
            if person.personal_id_hash in elsewhere:
                others = ", ".join(sorted(set(elsewhere[person.personal_id_hash])))
                issues.append(f"Trùng số định danh với học sinh của trường khác ({others})")
        if not student.in_class:  # type: ignore[attr-defined]
            issues.append("Chưa xếp lớp năm học hiện tại")
        if not student.guarded:  # type: ignore[attr-defined]
            issues.append("Chưa có thông tin phụ huynh")
        if issues:
            out.append(LearnerIssues(student, issues))
    return out
