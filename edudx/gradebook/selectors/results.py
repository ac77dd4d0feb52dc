"""Reads of results: classes with their lock state, a class's results table, a family's results, and aggregates.

Rows come from the permission layer: classes through the ``grade.view`` reach of the actor (the school's leaders
for the whole school, teachers for the classes they teach), results through ``YearResultPolicy`` /
``SubjectResultPolicy`` (guardians and students see only their own child's / their own). The authority reads only
aggregates, through ``gradestats.view`` on its subtree: counts per level, never a student.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, QuerySet

from edudx.core.api import Actor, OrgUnit, OrgUnitKind, Role, paths_q, policy_for
from edudx.registry.api import SchoolClass, SchoolYear, Student, class_related_q

from ..curriculum import grade_subjects
from ..enums import Circular, PromotionOutcome, Tt22Level, Tt22Title, Tt27Classification, Tt27Title
from ..models import ClassSemesterLock, LockEvent, ScoreSheet, SheetKind, SubjectResult, YearResult

__all__ = [
    "ClassTable",
    "FamilyYear",
    "class_results_table",
    "family_results",
    "lock_history",
    "result_class_list",
    "school_stats",
    "school_summary",
    "sheet_statuses",
    "stats_schools",
    "subject_result_list",
    "summary_schools",
    "year_result_list",
]

TEACHER_ROLES = (Role.HOMEROOM_TEACHER, Role.SUBJECT_TEACHER)


def _class_q(actor: Actor) -> Q:
    """Classes whose grades the actor may view, as the policies do it: subtree grants, then the classes taught."""
    q = paths_q("school__path", actor.subtree_paths("grade.view"))
    for grant in actor.related_grants("grade.view"):
        if grant.role in TEACHER_ROLES:
            q |= class_related_q("", actor, grant.role) & Q(school__path__startswith=grant.unit_path)
    return q


def result_class_list(
    *, actor: Actor, year: SchoolYear | None = None, school: OrgUnit | None = None, q: str = ""
) -> QuerySet[SchoolClass]:
    """Classes the actor may see the results of (not guardians nor students: they see their own results)."""
    if not actor.is_authenticated:
        return SchoolClass.objects.none()
    rows = SchoolClass.objects.filter(_class_q(actor)).exclude(grade__level__in=["MN"]).distinct()
    if year is not None:
        rows = rows.filter(year=year)
    if school is not None:
        rows = rows.filter(school=school)
    if q:
        rows = rows.filter(name__icontains=q.strip())
    return rows.select_related("school", "year", "grade", "homeroom_teacher__person").order_by(
        "school__name", "grade__order", "name", "pk"
    )


def lock_states(classes: list[SchoolClass]) -> dict[int, dict[int, bool]]:
    """class id → {semester: locked}."""
    out: dict[int, dict[int, bool]] = defaultdict(lambda: {1: False, 2: False})
    for class_id, semester, locked in ClassSemesterLock.objects.filter(school_class__in=classes).values_list(
        "school_class_id", "semester", "locked"
    ):
        out[class_id][semester] = locked
    return out


def lock_history(*, actor: Actor, school_class: SchoolClass) -> list[LockEvent]:
    return list(
        policy_for(LockEvent)
        .visible(actor)
        .filter(lock__school_class=school_class)
        .select_related("lock", "by")
        .order_by("-at", "-id")[:50]
    )


def sheet_statuses(school_class: SchoolClass) -> dict[int, list[ScoreSheet]]:
    """semester → the class's sheets (subjects in curriculum order, then the homeroom sheet)."""
    order = {e.subject_id: e.order for e in grade_subjects(school_class)}
    out: dict[int, list[ScoreSheet]] = {1: [], 2: []}
    for sheet in ScoreSheet.objects.filter(school_class=school_class).select_related("subject", "submitted_by"):
        out[sheet.semester].append(sheet)
    for sheets in out.values():
        sheets.sort(key=lambda s: (s.kind == SheetKind.HOMEROOM, order.get(s.subject_id or 0, 99)))
    return out


def year_result_list(
    *,
    actor: Actor,
    school_class: SchoolClass | None = None,
    student: Student | None = None,
    year: SchoolYear | None = None,
) -> QuerySet[YearResult]:
    rows = policy_for(YearResult).visible(actor)
    if school_class is not None:
        rows = rows.filter(school_class=school_class)
    if student is not None:
        rows = rows.filter(student=student)
    if year is not None:
        rows = rows.filter(school_class__year=year)
    return rows.select_related("student__person", "school_class__year", "school_class__school", "rule_set")


def subject_result_list(
    *,
    actor: Actor,
    school_class: SchoolClass | None = None,
    student: Student | None = None,
    year: SchoolYear | None = None,
) -> QuerySet[SubjectResult]:
    rows = policy_for(SubjectResult).visible(actor)
    if school_class is not None:
        rows = rows.filter(school_class=school_class)
    if student is not None:
        rows = rows.filter(student=student)
    if year is not None:
        rows = rows.filter(school_class__year=year)
    return rows.select_related("student__person", "school_class__year", "subject")


@dataclass
class ClassTable:
    """The class's "sổ theo dõi": one row per student, one column per subject."""

    school_class: SchoolClass
    circular: str
    subjects: list[Any]  # GradeSubject, in curriculum order
    rows: list[tuple[YearResult, list[SubjectResult | None]]]


def class_results_table(*, actor: Actor, school_class: SchoolClass) -> ClassTable:
    """The results of a visible class (three queries whatever the class size)."""
    from ..curriculum import circular_for

    subjects = grade_subjects(school_class)
    years = list(
        year_result_list(actor=actor, school_class=school_class).order_by("student__person__search_name", "student_id")
    )
    by_student: dict[int, dict[int, SubjectResult]] = defaultdict(dict)
    for row in policy_for(SubjectResult).visible(actor).filter(school_class=school_class):
        by_student[row.student_id][row.subject_id] = row
    rows = [(yr, [by_student[yr.student_id].get(e.subject_id) for e in subjects]) for yr in years]
    return ClassTable(school_class, str(circular_for(school_class)), subjects, rows)


@dataclass
class FamilyYear:
    """One year of one child's results, as a guardian or the student sees them."""

    result: YearResult
    subjects: list[SubjectResult] = field(default_factory=list)


def family_results(*, actor: Actor) -> list[FamilyYear]:
    """The year results the actor may see as a guardian or student, newest year first, with their subjects."""
    years = list(
        year_result_list(actor=actor).order_by("student__person__search_name", "-school_class__year__starts_on")
    )
    subjects: dict[tuple[int, int], list[SubjectResult]] = defaultdict(list)
    rows = (
        policy_for(SubjectResult)
        .visible(actor)
        .filter(school_class__in=[y.school_class_id for y in years], student__in=[y.student_id for y in years])
        .select_related("subject")
    )
    orders: dict[int, dict[int, int]] = {}
    for row in rows:
        subjects[(row.student_id, row.school_class_id)].append(row)
    out = []
    for year in years:
        grade_id = year.school_class.grade_id
        if grade_id not in orders:
            orders[grade_id] = {e.subject_id: e.order for e in grade_subjects(year.school_class)}
        order = orders[grade_id]
        items = sorted(subjects[(year.student_id, year.school_class_id)], key=lambda r: order.get(r.subject_id, 99))
        out.append(FamilyYear(year, items))
    return out


# ---------------------------------------------------------------------------------------------------------------
# Aggregates
# ---------------------------------------------------------------------------------------------------------------


def summary_schools(actor: Actor) -> QuerySet[OrgUnit]:
    """Schools whose summary the actor may read: leaders of the school (``grade.view``) and the authority
    (``gradestats.view``), both over their subtree."""
    paths = actor.subtree_paths("grade.view") + actor.subtree_paths("gradestats.view")
    return OrgUnit.objects.filter(paths_q("path", paths), kind=OrgUnitKind.SCHOOL).order_by("name")


def stats_schools(actor: Actor) -> QuerySet[OrgUnit]:
    return OrgUnit.objects.filter(
        paths_q("path", actor.subtree_paths("gradestats.view")), kind=OrgUnitKind.SCHOOL
    ).order_by("name")


LEARNING_LEVELS = [(str(v), str(label)) for v, label in Tt22Level.choices]
CLASSIFICATIONS = [(str(v), str(label)) for v, label in Tt27Classification.choices]
PROMOTIONS = [(str(v), str(label)) for v, label in PromotionOutcome.choices]


def _percent(part: int, whole: int) -> float:
    return round(100 * part / whole, 1) if whole else 0.0


@dataclass
class GradeSummary:
    grade: str
    total: int
    learning: list[tuple[str, str, int, float]]
    conduct: list[tuple[str, str, int, float]]
    classification: list[tuple[str, str, int, float]]
    promotion: list[tuple[str, str, int, float]]
    titles: list[tuple[str, str, int, int]]  # code, label, proposed, confirmed


def _dist(counter: Counter[str], choices: list[tuple[str, str]], total: int) -> list[tuple[str, str, int, float]]:
    return [(code, label, counter[code], _percent(counter[code], total)) for code, label in choices]


def school_summary(*, school: OrgUnit, year: SchoolYear) -> list[GradeSummary]:
    """Counts and percentages per grade of a school's year results (the circular's summary form).

    The caller has checked that the actor may read the summary of ``school`` (``summary_schools``).
    """
    rows = (
        YearResult.objects.filter(school_class__school=school, school_class__year=year)
        .values("school_class__grade__name", "school_class__grade__order", "learning_year", "conduct_year",
                "classification", "promotion", "title_proposed", "title_confirmed")
        .annotate(n=Count("id"))
        .order_by("school_class__grade__order")
    )  # fmt: skip
    per_grade: dict[tuple[int, str], dict[str, Counter[str]]] = defaultdict(lambda: defaultdict(Counter))
    for row in rows:
        key = (row["school_class__grade__order"], row["school_class__grade__name"])
        bucket = per_grade[key]
        n = row["n"]
        bucket["total"]["all"] += n
        for name in (
            "learning_year",
            "conduct_year",
            "classification",
            "promotion",
            "title_proposed",
            "title_confirmed",
        ):
            if row[name]:
                bucket[name][row[name]] += n
    titles = [(str(v), str(label)) for v, label in Tt22Title.choices] + [
        (str(Tt27Title.EXEMPLARY), str(Tt27Title.EXEMPLARY.label))
    ]
    out = []
    for (_order, name), bucket in sorted(per_grade.items()):
        total = bucket["total"]["all"]
        out.append(
            GradeSummary(
                grade=name,
                total=total,
                learning=_dist(bucket["learning_year"], LEARNING_LEVELS, total),
                conduct=_dist(bucket["conduct_year"], LEARNING_LEVELS, total),
                classification=_dist(bucket["classification"], CLASSIFICATIONS, total),
                promotion=_dist(bucket["promotion"], PROMOTIONS, total),
                titles=[
                    (code, label, bucket["title_proposed"][code], bucket["title_confirmed"][code])
                    for code, label in titles
                ],
            )
        )
    return out


@dataclass
class SchoolStats:
    school: OrgUnit
    circular: str
    total: int
    distribution: list[tuple[str, str, int, float]]


def school_stats(*, actor: Actor, year: SchoolYear, school: OrgUnit | None = None) -> list[SchoolStats]:
    """Per school in the actor's ``gradestats.view`` subtree: the distribution of year học tập levels (THCS) or
    year-end classifications (TH). Aggregates only."""
    schools = list(stats_schools(actor))
    if school is not None:
        schools = [s for s in schools if s.pk == school.pk]
    counts: dict[int, Counter[str]] = defaultdict(Counter)
    rows = (
        YearResult.objects.filter(school_class__school__in=schools, school_class__year=year)
        .values("school_class__school_id", "learning_year", "classification")
        .annotate(n=Count("id"))
    )
    for row in rows:
        code = row["classification"] or row["learning_year"]
        if code:
            counts[row["school_class__school_id"]][code] += row["n"]
    out = []
    for unit in schools:
        counter = counts.get(unit.pk, Counter())
        total = sum(counter.values())
        is_primary = unit.school_level == "TH" or any(c in counter for c, _label in CLASSIFICATIONS)
        choices = CLASSIFICATIONS if is_primary else LEARNING_LEVELS
        out.append(
            SchoolStats(
                school=unit,
                circular=str(Circular.TT27_2020 if is_primary else Circular.TT22_2021),
                total=total,
                distribution=_dist(counter, choices, total),
            )
        )
    return out
