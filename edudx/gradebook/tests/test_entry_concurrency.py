"""Two teachers saving the same cell over the same version at the same moment: exactly one wins.

Only PostgreSQL gives real concurrent writers (SQLite serialises whole transactions): two threads, two
connections, released together by a barrier. The sheet and cell row locks make the second saver wait for the
first commit, then see the new version and get a ``Conflict``.
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from edudx.core.api import Conflict
from edudx.core.audit import verify_chain
from edudx.core.permissions import Actor
from edudx.gradebook.curriculum import ensure_sheets
from edudx.gradebook.models import ScoreCell, ScoreSheet
from edudx.gradebook.services.entry import save_cell
from edudx.testing import build_world


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("existing", [False, True], ids=["new-cell", "existing-cell"])
def test_two_saves_of_one_cell_over_one_version_exactly_one_wins(existing):
    world = build_world()
    s1 = world.school1
    ensure_sheets(s1.class_b, 1)
    sheet = ScoreSheet.objects.get(school_class=s1.class_b, subject__code="TOAN", semester=1)
    student = s1.students_b[0]
    user = s1.users["subject_teacher"]
    version = 0
    if existing:
        version = save_cell(
            actor=Actor(user=user), sheet=sheet, student=student, column="ck", raw="5", expected_version=0
        ).version
    barrier = threading.Barrier(2)
    outcomes: list[object] = []

    def typist(raw: str) -> None:
        try:
            barrier.wait()
            outcomes.append(
                save_cell(
                    actor=Actor(user=user), sheet=sheet, student=student, column="ck", raw=raw, expected_version=version
                )
            )
        except BaseException as exc:  # reported below
            outcomes.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=typist, args=(raw,)) for raw in ("7", "9")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wins = [o for o in outcomes if isinstance(o, ScoreCell)]
    conflicts = [o for o in outcomes if isinstance(o, Conflict)]
    assert len(wins) == 1 and len(conflicts) == 1, outcomes
    cell = ScoreCell.objects.get(sheet=sheet, student=student, column="ck")
    assert cell.value == wins[0].value and cell.version == version + 1
    assert f"giá trị hiện tại: {wins[0].value}." in conflicts[0].message
    assert verify_chain().ok
