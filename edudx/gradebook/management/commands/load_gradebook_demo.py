"""Gradebook part of the demo: a school year of scores, signing certificates, and one class ready for học bạ.

Runs after ``load_demo`` (which it needs) and does nothing that is already done, so ``make run`` may call it on
every start. What it leaves for the demo accounts:

- every TH/THCS class has both semesters of scores; semester I locked, semester II submitted but unlocked
  (the principal ``hieutruong`` locks it), and one sheet of ``gvbm`` still open for entry;
- every teacher and leader account has a personal certificate and every school a seal from the demo CA;
- the homeroom class of ``gvcn`` has semester II locked and its results computed, so ``gvcn`` can generate and
  sign its học bạ, then ``hieutruong`` signs and seals them.
"""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from edudx.core.api import DomainError, actor_for
from edudx.core.credentials import issue_demo_credentials
from edudx.registry.api import SchoolClass, SchoolYear

from ...demo import fill_demo_scores
from ...models import ClassSemesterLock, ScoreSheet
from ...services.locking import lock_semester
from ...services.results import compute_class_results

DEMO_PRINCIPAL = "hieutruong"
DEMO_HOMEROOM_TEACHER = "gvcn"


class Command(BaseCommand):
    help = "Nạp dữ liệu demo của sổ điểm: điểm cả năm học, chứng thư số demo, một lớp sẵn sàng ký học bạ."

    def handle(self, *args: Any, **options: Any) -> None:
        year = SchoolYear.objects.filter(is_current=True).first()
        if year is None:
            self.stdout.write("Chưa có dữ liệu demo (chạy load_demo trước); bỏ qua sổ điểm.")
            return
        started = time.monotonic()
        if ScoreSheet.objects.filter(school_class__year=year).exists():
            self.stdout.write("Sổ điểm demo đã có sẵn; không nạp lại.")
        else:
            # Query logging (on when DEBUG is) would keep every INSERT of a million cells in memory.
            debug, settings.DEBUG = settings.DEBUG, False
            try:
                report = fill_demo_scores(year)
            finally:
                settings.DEBUG = debug
            self.stdout.write(
                f"Sổ điểm demo: {report.classes} lớp, {report.sheets} sổ, {report.cells} ô điểm "
                f"({time.monotonic() - started:.1f} giây)."
            )
        issued = issue_demo_credentials()
        if issued["users"] or issued["units"]:
            self.stdout.write(
                f"Chứng thư số demo: {issued['users']} cá nhân, {issued['units']} chữ ký số tổ chức (con dấu)."
            )
        self._prepare_homeroom_class(year)

    def _prepare_homeroom_class(self, year: SchoolYear) -> None:
        users = get_user_model().objects.filter(username__in=[DEMO_PRINCIPAL, DEMO_HOMEROOM_TEACHER])
        by_name = {u.username: u for u in users}
        if len(by_name) < 2:
            return
        klass = (
            SchoolClass.objects.filter(year=year, homeroom_teacher__person__user=by_name[DEMO_HOMEROOM_TEACHER])
            .select_related("school", "grade", "year")
            .first()
        )
        if klass is None:
            return
        if ClassSemesterLock.objects.filter(school_class=klass, semester=2, locked=True).exists():
            return
        principal = actor_for(by_name[DEMO_PRINCIPAL])
        try:
            lock_semester(actor=principal, school_class=klass, semester=2)
            results = compute_class_results(actor=principal, school_class=klass)
        except DomainError as error:
            self.stdout.write(f"Lớp {klass.name}: chưa khoá được học kì II ({error.message}).")
            return
        self.stdout.write(
            f"Lớp {klass.name} ({klass.school.name}): đã khoá học kì II và tính kết quả cho {len(results)} học sinh; "
            "sẵn sàng tạo và ký học bạ số."
        )
