"""``manage.py warn_overdue_dossiers``: e-mail handlers and leaders about dossiers due soon or overdue.

Idempotent: run it from cron as often as wanted; each handler and leader hears about a dossier once a day.
``--schedule`` instead enqueues the daily task on the task queue (it then re-enqueues itself every day).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from edudx.procedures.services.desk import overdue_warnings_send
from edudx.procedures.tasks import next_run_after, schedule_next_run


class Command(BaseCommand):
    help = "Gửi cảnh báo hồ sơ sắp đến hạn hoặc quá hạn cho người xử lý và lãnh đạo đơn vị (mỗi ngày một lần)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--schedule",
            action="store_true",
            help="Đưa việc gửi cảnh báo hằng ngày vào hàng đợi tác vụ nền thay vì gửi ngay.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["schedule"]:
            from django.utils import timezone

            if schedule_next_run():
                when = next_run_after(timezone.now())
                self.stdout.write(f"Đã lên lịch gửi cảnh báo hạn xử lý lúc {when:%H:%M %d/%m/%Y}, lặp lại hằng ngày.")
            else:
                self.stdout.write("Hàng đợi tác vụ hiện tại không hỗ trợ hẹn giờ; hãy chạy lệnh này bằng cron.")
            return
        run = overdue_warnings_send()
        self.stdout.write(
            f"Cảnh báo hạn xử lý: {run.dossiers} hồ sơ sắp đến hạn hoặc quá hạn, đã gửi {run.sent} thư, "
            f"bỏ qua {run.skipped} (đã gửi hôm nay hoặc không có địa chỉ)."
        )
