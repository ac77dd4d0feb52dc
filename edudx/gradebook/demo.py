"""Demo scores: a realistic school year of gradebook data for every TH and THCS class of a year.

Each pupil gets an ability; scores scatter around it, so a class shows the usual spread of levels and a few pupils
who need a re-test. Semester I is submitted and locked by the principal, semester II is submitted but left
unlocked so the demo principal can lock it, and one sheet of the demo subject teacher stays open and partly empty
so the demo teacher has something to enter.

Cells go in as plain rows, without model instances (as ``core.audit.record_many`` does): one prepared INSERT run
over each batch on SQLite, COPY on PostgreSQL. Building a million instances and compiling them through
``bulk_create`` costs several times the write itself. Every value is written exactly as ``columns.parse_cell``
would store it, so the grid, the results and the exports read them as if typed.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone

from edudx.core.api import OrgUnit, Role, RoleAssignment, SchoolLevel
from edudx.registry.api import ClassMembership, SchoolClass, SchoolYear, Subject, TeachingAssignment

from . import columns as cols
from .curriculum import circular_for, columns_for, rule_set_version_for, rules_of
from .models import ClassSemesterLock, GradeSubject, LockEvent, ScoreCell, ScoreSheet, SheetKind, SheetStatus

__all__ = ["DemoScores", "fill_demo_scores"]

BATCH = 5000
LOCK_REASON = "Khoá sổ học kì I (dữ liệu minh hoạ)"

_SUBJECT_REMARKS = {
    "high": ("Tiếp thu bài tốt, tích cực phát biểu.", "Nắm vững kiến thức, vận dụng tốt.", "Học tốt, chăm chỉ."),
    "mid": ("Nắm được kiến thức cơ bản.", "Cần chủ động hơn trong giờ học.", "Có tiến bộ, cần cố gắng thêm."),
    "low": ("Cần cố gắng nhiều hơn.", "Cần ôn luyện thêm kiến thức cơ bản.", "Chưa tập trung, cần được hỗ trợ."),
}
_QUALITY_REMARKS = ("Ngoan, lễ phép, đoàn kết với bạn bè.", "Chăm chỉ, trung thực, có trách nhiệm với lớp.")
_COMPETENCE_REMARKS = ("Tự giác học tập, biết hợp tác với bạn.", "Cần mạnh dạn hơn khi trình bày ý kiến.")


@dataclass
class DemoScores:
    """What ``fill_demo_scores`` did (for the load command's summary)."""

    classes: int = 0
    sheets: int = 0
    cells: int = 0
    locked_classes: int = 0
    open_sheets: list[int] = field(default_factory=list)


class _Pupil:
    __slots__ = ("ability", "conduct")

    def __init__(self, rng: random.Random):
        self.ability = min(96, max(32, rng.gauss(69, 12.5)))  # in tenths of a point
        self.conduct = rng.random()


# Only these columns are filled in the sheet left open: the demo teacher enters the rest.
_PARTIAL_COLUMNS = frozenset({"tx1", "tx2", "muc_gk"})


class _CellWriter:
    """Generates the cells of a sheet and writes them as prepared INSERTs with bound parameters.

    Values are exactly what ``columns.parse_cell`` stores for the same input: scores with one decimal and no
    trailing ",0", whole test scores and sessions, level codes.
    """

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        meta = ScoreCell._meta
        number_field = meta.get_field("number")
        names = ["sheet", "student", "column", "value", "number", "version", "updated_at", "updated_by"]
        quote = connection.ops.quote_name
        columns = ", ".join(quote(str(meta.get_field(n).column)) for n in names)  # type: ignore[union-attr]
        # Only quoted column names are formatted in; every value is a bound parameter.
        self.sql = f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"  # noqa: S608
        self.copy_sql = f"COPY {quote(meta.db_table)} ({columns}) FROM STDIN"
        self.now = meta.get_field("updated_at").get_db_prep_save(timezone.now(), connection)  # type: ignore[union-attr]

        def prepared(value: Decimal) -> Any:
            return number_field.get_db_prep_save(value, connection)  # type: ignore[union-attr]

        self.scores = [
            (f"{t // 10}" if t % 10 == 0 else f"{t // 10}.{t % 10}", prepared(Decimal(t) / 10)) for t in range(101)
        ]
        self.noise = [rng.gauss(0, 1) for _ in range(4096)]
        self.wholes = [(str(n), prepared(Decimal(n))) for n in range(11)]
        self.rows: list[tuple[Any, ...]] = []
        self.count = 0

    def sheet(
        self,
        sheet_id: int,
        columns: Sequence[cols.Column],
        pupils: Iterable[tuple[int, _Pupil]],
        by: int | None,
        *,
        primary: bool,
        partial: bool = False,
    ) -> None:
        rng, rows, now = self.rng, self.rows, self.now
        chance, randint, choice, bits = rng.random, rng.randint, rng.choice, rng.getrandbits
        noise = self.noise  # standard normal draws, picked at random: a fresh gauss() per cell costs 15 times more
        scores, wholes = self.scores, self.wholes
        plan = [(c.code, c.type) for c in columns if not partial or c.code in _PARTIAL_COLUMNS]
        for student_id, pupil in pupils:
            if partial and chance() < 0.5:
                continue
            ability = pupil.ability
            levels: dict[str, str] = {}
            band = "high" if ability >= 80 else "mid" if ability >= 55 else "low"
            for code, kind in plan:
                number = None
                if kind == cols.SCORE:
                    value, number = scores[min(100, max(0, int(ability + 9 * noise[bits(12)] + 0.5)))]
                elif kind == cols.COMMENT_RESULT:
                    value = "chua_dat" if ability + 8 * noise[bits(12)] < 43 else "dat"
                elif kind == cols.LEVEL27:
                    mark = ability + 7 * noise[bits(12)]
                    value = levels[code] = "T" if mark >= 78 else "H" if mark >= 46 else "C"
                elif kind == cols.TEST27:
                    # The test agrees with the level given at the same checkpoint.
                    level = levels.get("muc_gk" if code == "kt_gk" else "muc_ck", "H")
                    low, high = (8, 10) if level == "T" else (5, 8) if level == "H" else (2, 4)
                    value, number = wholes[randint(low, high)]
                elif kind == cols.QUALITY27:
                    mark = pupil.conduct + 0.12 * noise[bits(12)]
                    value = "T" if mark > 0.35 else "D" if mark > 0.04 else "C"
                elif kind == cols.CONDUCT:
                    mark = pupil.conduct + 0.1 * noise[bits(12)]
                    value = "tot" if mark > 0.3 else "kha" if mark > 0.08 else "dat" if mark > 0.01 else "chua_dat"
                elif kind == cols.SESSIONS:
                    value, number = wholes[randint(0, 4 if code == "vang_cp" else 1) if chance() < 0.25 else 0]
                elif code == "nx_pc":
                    value = choice(_QUALITY_REMARKS)
                elif code == "nx_nl":
                    value = choice(_COMPETENCE_REMARKS)
                elif code == "nx" and chance() < (0.3 if primary else 0.1):
                    value = choice(_SUBJECT_REMARKS[band])
                else:
                    continue
                rows.append((sheet_id, student_id, code, value, number, 1, now, by))
        if len(rows) >= BATCH:
            self.flush()

    def flush(self) -> None:
        if not self.rows:
            return
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # COPY: row-by-row INSERTs cost a round trip each on PostgreSQL, COPY streams them.
                with cursor.cursor.copy(self.copy_sql) as copy:
                    for row in self.rows:
                        copy.write_row(row)
            else:
                cursor.executemany(self.sql, self.rows)
        self.count += len(self.rows)
        self.rows = []


def _principal_users(schools: Iterable[OrgUnit]) -> dict[int, Any]:
    """The account holding the principal role at each school (the one who locks), where there is one."""
    rows = RoleAssignment.objects.filter(
        role=Role.PRINCIPAL, org_unit__in=list(schools), valid_to__isnull=True
    ).select_related("user")
    return {row.org_unit_id: row.user for row in rows.order_by("id")}


def fill_demo_scores(
    year: SchoolYear,
    *,
    schools: Sequence[OrgUnit] | None = None,
    seed: int = 2025,
    lock: bool = True,
    open_teacher_username: str = "gvbm",
) -> DemoScores:
    """Fill both semesters of every TH/THCS class of ``year`` (of ``schools`` if given) with demo scores.

    Semester I ends submitted and, with ``lock``, locked (``ClassSemesterLock`` + ``LockEvent``, sheets locked);
    semester II ends submitted but unlocked. The semester II sheet of the first class and subject taught by
    ``open_teacher_username`` stays open with about half of its cells empty. Only sheets this call creates are
    filled, so a second run (or a class whose sheets teachers already opened) is left as it is.
    """
    rng = random.Random(seed)
    report = DemoScores()
    classes = list(
        SchoolClass.objects.filter(year=year, school__school_level__in=[SchoolLevel.TH, SchoolLevel.THCS])
        .filter(**({"school__in": list(schools)} if schools is not None else {}))
        .select_related("grade", "school", "year", "homeroom_teacher__person")
        .order_by("school_id", "grade__order", "name")
    )
    if not classes:
        return report
    with transaction.atomic():
        if connection.vendor == "sqlite":
            # A larger page cache keeps the cell indexes in memory while a million rows go in.
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA cache_size = -262144")
        teachers = _teacher_users(classes)
        open_key = _open_sheet_key(year, classes, open_teacher_username)
        sheets = _create_sheets(classes, teachers, open_key, lock=lock)
        pupils: dict[int, list[int]] = {}
        for class_id, student_id in (
            ClassMembership.objects.filter(school_class__in=classes, left_on__isnull=True)
            .order_by("student_id")
            .values_list("school_class_id", "student_id")
        ):
            pupils.setdefault(class_id, []).append(student_id)
        writer = _CellWriter(rng)
        by_class: dict[int, list[ScoreSheet]] = {}
        for sheet in sheets:
            by_class.setdefault(sheet.school_class_id, []).append(sheet)
        for klass in classes:
            primary = klass.school.school_level == SchoolLevel.TH
            ability = [(student_id, _Pupil(rng)) for student_id in pupils.get(klass.pk, [])]
            for sheet in by_class.get(klass.pk, []):
                is_open = sheet.status == SheetStatus.OPEN
                if is_open:
                    report.open_sheets.append(sheet.pk)
                writer.sheet(
                    sheet.pk,
                    [cols.column_from_dict(c) for c in sheet.columns],
                    ability,
                    sheet.submitted_by_id or teachers.get(_key(sheet)),
                    primary=primary,
                    partial=is_open,
                )
        writer.flush()
        report.classes, report.sheets, report.cells = len(classes), len(sheets), writer.count
        if lock:
            report.locked_classes = _lock_semester_1(classes, {s.school_class_id for s in sheets if s.semester == 1})
    return report


SheetKey = tuple[int, int | None, int]


def _key(sheet: ScoreSheet) -> SheetKey:
    return (sheet.school_class_id, sheet.subject_id if sheet.kind == SheetKind.SUBJECT else None, sheet.semester)


def _teacher_users(classes: Sequence[SchoolClass]) -> dict[SheetKey, int | None]:
    """The user id who submits each sheet: the subject's teacher for that semester, the homeroom teacher for the
    homeroom sheet (``None`` where the teacher has no account)."""
    out: dict[SheetKey, int | None] = {}
    for class_id, subject_id, semester, user_id in TeachingAssignment.objects.filter(
        school_class__in=classes
    ).values_list("school_class_id", "subject_id", "semester", "staff__person__user_id"):
        for covered in (1, 2) if semester == 0 else (semester,):
            out[(class_id, subject_id, covered)] = user_id
    for klass in classes:
        homeroom = klass.homeroom_teacher
        homeroom_user = homeroom.person.user_id if homeroom is not None else None
        for semester in (1, 2):
            out[(klass.pk, None, semester)] = homeroom_user
    return out


def _open_sheet_key(year: SchoolYear, classes: Sequence[SchoolClass], username: str) -> SheetKey | None:
    """The semester II sheet left open for the demo subject teacher (their first class and subject)."""
    user = get_user_model().objects.filter(username=username).first() if username else None
    if user is None:
        return None
    assignment = (
        TeachingAssignment.objects.filter(
            staff__person__user=user, school_class__in=[klass.pk for klass in classes], semester__in=[0, 2]
        )
        .order_by("school_class__name", "subject__name")
        .first()
    )
    return (assignment.school_class_id, assignment.subject_id, 2) if assignment else None


def _create_sheets(
    classes: Sequence[SchoolClass], teachers: dict[SheetKey, int | None], open_key: SheetKey | None, *, lock: bool
) -> list[ScoreSheet]:
    """The sheets of both semesters that do not exist yet, created in bulk already submitted (or locked).

    Columns come from ``curriculum.columns_for`` exactly as ``curriculum.ensure_sheets`` builds them, computed
    once per grade, subject and semester instead of once per class.
    """
    existing = set(
        ScoreSheet.objects.filter(school_class__in=classes).values_list("school_class_id", "subject_id", "semester")
    )
    curriculum: dict[int, list[GradeSubject]] = {}
    for entry in GradeSubject.objects.filter(grade__in={klass.grade_id for klass in classes}).select_related("subject"):
        curriculum.setdefault(entry.grade_id, []).append(entry)
    versions: dict[str, Any] = {}
    column_cache: dict[tuple[int, int | None, int], list[dict[str, str]]] = {}
    now = timezone.now()
    semester_1_end = timezone.make_aware(dt.datetime.combine(classes[0].year.semester1_ends_on, dt.time(16, 0)))
    rows: list[ScoreSheet] = []
    for klass in classes:
        circular = circular_for(klass)
        if circular not in versions:
            version = rule_set_version_for(circular, klass.year.starts_on)
            versions[circular] = (version, rules_of(version))
        version, rules = versions[circular]
        targets: list[tuple[Subject | None, str]] = [
            (entry.subject, SheetKind.SUBJECT)
            for entry in sorted(curriculum.get(klass.grade_id, []), key=lambda e: e.order)
        ]
        targets.append((None, SheetKind.HOMEROOM))
        for semester in (1, 2):
            for subject, kind in targets:
                subject_id = subject.pk if subject is not None else None
                if (klass.pk, subject_id, semester) in existing:
                    continue
                cache_key = (klass.grade_id, subject_id, semester)
                if cache_key not in column_cache:
                    column_cache[cache_key] = [
                        c.as_dict()
                        for c in columns_for(
                            school_class=klass, kind=kind, subject=subject, semester=semester, rules=rules
                        )
                    ]
                key = (klass.pk, subject_id, semester)
                is_open = key == open_key
                status = SheetStatus.OPEN if is_open else SheetStatus.SUBMITTED
                if lock and semester == 1:
                    status = SheetStatus.LOCKED
                rows.append(
                    ScoreSheet(
                        school_class=klass,
                        subject=subject,
                        kind=kind,
                        semester=semester,
                        rule_set=version,
                        columns=column_cache[cache_key],
                        status=status,
                        submitted_at=None if is_open else (min(now, semester_1_end) if semester == 1 else now),
                        submitted_by_id=None if is_open else teachers.get(key),
                    )
                )
    return ScoreSheet.objects.bulk_create(rows, batch_size=500)


def _lock_semester_1(classes: Sequence[SchoolClass], class_ids: set[int]) -> int:
    """Semester I of each class is locked by the school's principal (``ClassSemesterLock`` and a ``LockEvent``).

    Demo schools without a principal account borrow the first principal account found, since an event must name
    who locked.
    """
    principals = _principal_users({klass.school for klass in classes})
    fallback = next(iter(principals.values()), None)
    existing = set(
        ClassSemesterLock.objects.filter(school_class_id__in=class_ids, semester=1).values_list(
            "school_class_id", flat=True
        )
    )
    locks = ClassSemesterLock.objects.bulk_create(
        [
            ClassSemesterLock(
                school_class=klass, semester=1, locked=True, changed_by=principals.get(klass.school_id, fallback)
            )
            for klass in classes
            if klass.pk in class_ids and klass.pk not in existing
        ],
        batch_size=BATCH,
    )
    LockEvent.objects.bulk_create(
        [
            LockEvent(lock=row, action="lock", reason=LOCK_REASON, by=row.changed_by)
            for row in locks
            if row.changed_by is not None
        ],
        batch_size=BATCH,
    )
    return len(locks)
