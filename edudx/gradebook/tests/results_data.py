"""Building filled, submitted sheets for the results tests (straight to the database, not through entry)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from edudx.gradebook.curriculum import ensure_sheets
from edudx.gradebook.models import ScoreCell, ScoreSheet, SheetKind, SheetStatus
from edudx.registry.api import SchoolClass, Student

TT22_SCORED = ("NV", "TOAN", "NN1", "GDCD", "LSDL", "KHTN", "CN", "TIN")
TT22_COMMENT = ("GDTC", "AN", "MT", "HDTN", "GDDP")


def _number(value: str) -> Decimal | None:
    try:
        return Decimal(value)
    except Exception:
        return None


def fill(
    school_class: SchoolClass,
    semester: int,
    values: dict[Student, dict[str, dict[str, str]]],
    *,
    submit: bool = True,
) -> list[ScoreSheet]:
    """Open the class's sheets for ``semester`` and store ``values``: student → sheet key (subject code or "HR")
    → column → canonical value. Every sheet is then marked submitted (unless ``submit`` is False)."""
    sheets = ensure_sheets(school_class, semester)
    by_key = {(s.subject.code if s.kind == SheetKind.SUBJECT else "HR"): s for s in sheets}
    cells = []
    for student, per_sheet in values.items():
        for key, columns in per_sheet.items():
            sheet = by_key[key]
            for column, value in columns.items():
                cells.append(ScoreCell(sheet=sheet, student=student, column=column, value=value, number=_number(value)))
    ScoreCell.objects.bulk_create(cells)
    if submit:
        ScoreSheet.objects.filter(pk__in=[s.pk for s in sheets]).update(status=SheetStatus.SUBMITTED)
    return sheets


def tt22_scored(average: str, regular_count: int) -> dict[str, str]:
    """Cells that give exactly ``average`` as the semester average (every assessment the same score)."""
    cells = {f"tx{i}": average for i in range(1, regular_count + 1)}
    cells.update(gk=average, ck=average)
    return cells


def regular_count(code: str, grade: str = "6") -> int:
    periods = {"NV": 140, "TOAN": 140, "NN1": 105, "GDCD": 35, "LSDL": 105, "KHTN": 140, "TIN": 35}
    periods["CN"] = 35 if grade in ("6", "7") else 52
    p = periods[code]
    return 2 if p <= 35 else 3 if p <= 70 else 4


def tt22_student(
    averages: dict[str, str] | list[str],
    *,
    conduct: str = "tot",
    comments: str = "dat",
    absences: tuple[int, int] = (0, 0),
    grade: str = "6",
) -> dict[str, dict[str, str]]:
    """One student's cells of a semester: scored subjects at the given averages (list in TT22_SCORED order),
    every comment subject at ``comments``, the homeroom rèn luyện and absences."""
    if isinstance(averages, list):
        averages = dict(zip(TT22_SCORED, averages, strict=True))
    out: dict[str, dict[str, str]] = {
        code: tt22_scored(avg, regular_count(code, grade)) for code, avg in averages.items()
    }
    for code in TT22_COMMENT:
        out[code] = {"tx1": comments, "tx2": comments, "gk": comments, "ck": comments}
    out["HR"] = {"rl": conduct, "vang_cp": str(absences[0]), "vang_kp": str(absences[1])}
    return out


def tt27_student(
    levels: dict[str, str] | None = None,
    tests: dict[str, str] | None = None,
    *,
    default_level: str = "T",
    quality: str = "T",
    subjects: tuple[str, ...] = ("TV", "TOAN", "NN1", "DD", "LSDL", "KH", "TIN", "CN", "GDTC", "AN", "MT", "HDTN"),
    tested: tuple[str, ...] = ("TV", "TOAN", "NN1", "LSDL", "KH", "TIN", "CN"),
    semester: int = 2,
) -> dict[str, dict[str, str]]:
    """One pupil's cells of a grade-4 semester: levels (muc_gk/muc_ck), end-of-semester tests and qualities."""
    from edudx.gradebook.columns import COMPETENCIES, QUALITIES

    levels = levels or {}
    tests = tests or {}
    out: dict[str, dict[str, str]] = {}
    for code in subjects:
        level = levels.get(code, default_level)
        cells = {"muc_gk": level, "muc_ck": level}
        if code in tested:
            cells["kt_ck"] = tests.get(code, "9")
            if code in ("TV", "TOAN"):
                cells["kt_gk"] = tests.get(code, "9")
        out[code] = cells
    out["HR"] = {code: quality for code, _label in (*QUALITIES, *COMPETENCIES)}
    out["HR"].update(vang_cp="1", vang_kp="0")
    return out


def as_values(rows: dict[Student, Any]) -> dict[Student, Any]:
    return rows
