"""Benchmark: generating a city (≈45 schools, ≈40,000 pupils) and reading it back through the permission layer.

Makes a fresh database (SQLite in a temporary folder, or the PostgreSQL database named by DATABASE_URL),
runs ``generate_data`` at the chosen scale, then times the reads every list page makes: the pupils an
authority leader and a principal may see (count and first page), and the organisation tree. Prints a
table and writes it as JSON under bench/out/.

    .venv/bin/python bench/bench_generate.py [--scale city|province] [--seed 1] [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def timed(fn, repeat: int) -> float:
    """Median wall time of ``repeat`` calls, in milliseconds."""
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=("city", "province"), default="city")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="edudx-bench-"))
    os.environ.setdefault("EDUDX_DATA_DIR", str(workdir))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    os.environ["DEBUG"] = "false"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from edudx.core.enums import AuthorityKind, OrgUnitKind, Role
    from edudx.core.models import OrgUnit
    from edudx.core.permissions import Actor, policy_for
    from edudx.core.selectors import tree_as_of
    from edudx.registry.management.commands.generate_data import department_code, generate
    from edudx.registry.models import Student
    from edudx.testing import grant, make_user

    call_command("migrate", verbosity=0)
    engine = connection.vendor
    start = time.perf_counter()
    report = generate(args.scale, args.seed, out=lambda line: print(line, flush=True))
    generate_s = time.perf_counter() - start
    print(report)

    department = OrgUnit.objects.get(moet_code=department_code(args.scale, args.seed))
    authority = OrgUnit.objects.filter(parent=department, authority_kind=AuthorityKind.WARD_COMMITTEE).first()
    school = OrgUnit.objects.filter(kind=OrgUnitKind.SCHOOL, path__startswith=department.path).first()
    leader, principal = make_user("bench_leader"), make_user("bench_principal")
    grant(leader, Role.AUTHORITY_LEADER, department)
    grant(principal, Role.PRINCIPAL, school)
    import datetime as dt

    results = {"engine": engine, "scale": args.scale, "seed": args.seed, "generate_s": round(generate_s, 1)}
    for label, user in (("leader (whole department)", leader), ("principal (one school)", principal)):
        actor = Actor(user=user)

        def count(actor=actor):
            return policy_for(Student).visible(actor).count()

        def first_page(actor=actor):
            return list(
                policy_for(Student)
                .visible(actor)
                .select_related("person", "school")
                .order_by("person__search_name", "id")[:50]
            )

        results[f"{label}: pupils visible"] = count()
        results[f"{label}: count ms"] = round(timed(count, args.repeat), 1)
        results[f"{label}: first page of 50 ms"] = round(timed(first_page, args.repeat), 1)
    actor = Actor(user=leader)
    results["tree as of 1/7/2025 ms"] = round(timed(lambda: tree_as_of(actor=actor, day=dt.date(2025, 7, 1)), 3), 1)
    results["authority sample"] = authority.name if authority else ""

    width = max(len(k) for k in results)
    for key, value in results.items():
        print(f"{key.ljust(width)}  {value}")
    out = ROOT / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"generate-{args.scale}-{engine}.json"
    path.write_text(json.dumps(results, ensure_ascii=False, indent=2))
    print(f"written {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
