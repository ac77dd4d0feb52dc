"""Benchmark: importing 10,000 students against merely parsing the same workbook.

Generates a 10,000-row students workbook in a temporary folder, then measures in the same run
(a) an openpyxl read-only parse of the file and (b) the full import — upload checks, validation,
preview plan and the all-or-nothing commit — into a fresh SQLite database. Prints both times and
their ratio; the goal is an import no slower than twice the parse.

    .venv/bin/python bench/bench_import.py [--rows 10000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import time
from pathlib import Path

FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng"]
MIDDLE = ["Minh", "Thanh", "Ngọc", "Gia", "Bảo", "Hoài", "Đức", "Khánh", "Phương", "Quốc"]
GIVEN = ["An", "Bình", "Châu", "Dũng", "Giang", "Hà", "Khôi", "Linh", "Nam", "Oanh"]


def name(i: int, female: bool) -> str:
    return f"{FAMILY[i % 10]} {'Thị' if female else 'Văn'} {MIDDLE[i // 10 % 10]} {GIVEN[i // 100 % 10]}"


def make_workbook(path: Path, rows: int) -> None:
    from openpyxl import Workbook

    from edudx.registry.imports.rules import COLUMNS

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Học sinh")
    ws.append([c.header for c in COLUMNS["students"]])
    first = dt.date(2014, 1, 1)
    for i in range(rows):
        born = first + dt.timedelta(days=i % 365)
        female = i % 2 == 1
        ws.append(
            [
                f"75{i:08d}",
                name(i, female),
                born,
                "Nữ" if female else "Nam",
                "Kinh",
                f"079{3 if female else 2}14{500000 + i:06d}",
                f"6A{1 + i % 2}",
                f"Số {i} đường Lê Lợi, phường Bến Thành",
            ]
        )
    wb.save(path)


def parse_only(path: Path) -> int:
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True, data_only=True)
    count = sum(1 for _ in wb.worksheets[0].iter_rows(values_only=True))
    wb.close()
    return count


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    args = parser.parse_args()
    root = Path(__file__).resolve().parent.parent
    sys.path.insert(0, str(root))
    with tempfile.TemporaryDirectory(prefix="edudx-bench-") as tmp:
        tmpdir = Path(tmp)
        os.environ["DATABASE_URL"] = f"sqlite:///{tmpdir / 'bench.sqlite3'}"
        os.environ["EDUDX_DATA_DIR"] = str(tmpdir)
        os.environ["IMPORT_BACKGROUND_ROWS"] = str(args.rows + 1)  # measure the work, not the queue
        os.environ["IMPORT_MAX_BYTES"] = str(200 * 1024 * 1024)
        os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.test"
        import django

        django.setup()
        from django.core.files.uploadedfile import SimpleUploadedFile
        from django.core.management import call_command

        call_command("migrate", verbosity=0)

        from edudx.core.audit import verify_chain
        from edudx.core.permissions import Actor
        from edudx.registry.imports import services
        from edudx.registry.models import ClassMembership, Student
        from edudx.testing import build_world

        world = build_world()
        clerk = world.school1.users["clerk"]
        path = tmpdir / "hoc-sinh.xlsx"
        make_workbook(path, args.rows)
        data = path.read_bytes()
        print(f"workbook: {args.rows} rows, {len(data) / 1024:.0f} KiB")

        # Wall-clock and CPU time: on a shared machine the CPU time is the steadier figure.
        t0, c0 = time.perf_counter(), time.process_time()
        parsed = parse_only(path)
        parse_seconds, parse_cpu = time.perf_counter() - t0, time.process_time() - c0

        before = Student.objects.count()
        t0, c0 = time.perf_counter(), time.process_time()
        job = services.import_upload(
            actor=Actor(user=clerk),
            school=world.school1.school,
            kind="students",
            uploaded=SimpleUploadedFile(path.name, data),
        )
        t1 = time.perf_counter()
        if job.status != "preview":
            print("validation failed:", job.errors[:5])
            return 1
        job = services.import_commit_run(actor=Actor(user=clerk), job_id=job.pk)
        t2, c2 = time.perf_counter(), time.process_time()
        import_seconds, import_cpu = t2 - t0, c2 - c0
        created = Student.objects.count() - before
        assert job.status == "done", job.errors[:5]
        assert created == args.rows and parsed == args.rows + 1
        assert ClassMembership.objects.filter(student__moet_code__startswith="75").count() == args.rows
        assert verify_chain().ok

        print(f"(a) openpyxl read-only parse: {parse_seconds:.2f} s wall, {parse_cpu:.2f} s CPU")
        print(
            f"(b) full import:              {import_seconds:.2f} s wall, {import_cpu:.2f} s CPU"
            f"  (validate {t1 - t0:.2f} s + commit {t2 - t1:.2f} s wall)"
        )
        print(
            f"ratio import / parse:         {import_seconds / parse_seconds:.2f}x wall, "
            f"{import_cpu / parse_cpu:.2f}x CPU (goal <= 2x)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
