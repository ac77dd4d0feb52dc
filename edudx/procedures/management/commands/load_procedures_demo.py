"""Public-service part of the demo: desks, calendar, payment accounts, and six months of dossiers.

Runs after ``load_demo`` (and ``load_gradebook_demo``) and does nothing that is already done, so ``make run`` may
call it on every start. See ``edudx.procedures.demo.load_procedures_demo`` for what it writes and how.
"""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from ...demo import load_procedures_demo


class Command(BaseCommand):
    help = "Nạp dữ liệu demo dịch vụ công: Bộ phận Một cửa, lịch làm việc, hồ sơ thủ tục hành chính 6 tháng gần nhất."

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        # Query logging (on when DEBUG is) would keep every INSERT in memory; the demo guardian's notifications
        # are stored with the dossiers, not printed on the console of every start.
        saved = settings.DEBUG, settings.EMAIL_BACKEND, settings.SMS_BACKEND
        settings.DEBUG = False
        settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
        settings.SMS_BACKEND = "edudx.core.sms.LocmemSmsBackend"
        try:
            report = load_procedures_demo()
        finally:
            settings.DEBUG, settings.EMAIL_BACKEND, settings.SMS_BACKEND = saved
        if report.get("desks"):
            self.stdout.write(f"Bộ phận Một cửa demo: {report['desks']} đơn vị.")
        if report.get("dossiers"):
            self.stdout.write(
                f"Hồ sơ thủ tục hành chính demo: {report['dossiers']} hồ sơ, "
                f"{report.get('guardian_dossiers', 0)} hồ sơ của phụ huynh demo "
                f"({time.monotonic() - started:.1f} giây)."
            )
        else:
            self.stdout.write("Hồ sơ thủ tục hành chính demo đã có sẵn; không nạp lại.")
        if report.get("guardian_error"):
            self.stderr.write("Cảnh báo: chưa tạo được hồ sơ demo của phụ huynh (xem nhật ký).")
