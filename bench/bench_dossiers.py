"""Benchmark: dossier submission on PostgreSQL behind gunicorn, against the same stack's trivial endpoints.

Creates a fresh PostgreSQL database (named ``edudx_bench_dossiers``, dropped at the end unless ``--keep``) on the
server of ``DATABASE_URL`` (default ``postgres://postgres@127.0.0.1:5432/postgres``), migrates it and builds the test
world (``edudx.testing.build_world``) with a one-stop desk at its authority and one guardian per client, each with a
pupil and an API key. Then starts gunicorn (``--workers``, sync workers, the project's WSGI application) and drives
it with an asyncio + aiohttp load generator from this process.

Settings: the production profile, ``config.settings.production`` (``DEBUG`` off, which that profile enforces), with
what a deployment gives it in the environment: a private ``SECRET_KEY`` and ``FIELD_ENCRYPTION_KEY`` (random here),
``ALLOWED_HOSTS``, and ``DB_CONN_MAX_AGE=60`` — persistent database connections, one per worker. The production
profile itself sets no connection lifetime: without ``DB_CONN_MAX_AGE`` (default 0) every request opens and closes
a PostgreSQL connection. Tasks use the production default (the database queue, no Redis); e-mail goes to Django's
dummy backend (no mail server here) and text messages to the console backend (the gunicorn log).

(a) ``GET /healthz`` — gunicorn, the middleware and URL routing doing nothing: no authentication, no database;
(a') ``GET /api/v1/me/`` — the trivial *authenticated* endpoint: the same API key authentication as (b) (a lookup and
    the key's "last used" update) and one policy-scoped database read (the caller's roles). This is the baseline
    the issue's goal is judged against ("throughput as a ratio of the same stack's trivial endpoint"): (a) is
    printed too, but it measures a stack that skips the database entirely;
(b) ``POST /api/v1/procedures/my-dossiers/`` — the real submission API: multipart with the form answers (JSON) and
    a PNG component, authenticated by each guardian's API key; form validated against the catalogue version,
    prefill from the registry, file checks, the dossier code from the day's sequence under a row lock, files,
    the first event, the audit event, the notification after commit;

each with ``--clients`` (100) concurrent clients for ``--seconds`` (10) each, after a short warm-up; (a') and (b)
take turns ``--rounds`` (3) times, so that a drift of a shared machine falls on both, and each is the sum of its
rounds. Prints throughput (requests per second), the ratios (b)/(a') (goal ≥ 50 %) and (b)/(a), the ratio of each
round, p50/p95 latency of each at that concurrency, and the load generator's own CPU time per request (it runs on
the same cores as the server). ``--workers 2,3,4`` measures each worker count in turn (a fresh gunicorn each time,
its dossiers numbered under a desk code of its own). Then, on the last worker count,

(c) ``--burst`` (500) submissions sent at once (one connection each): every one must answer 201, and the codes of the
    day — these and those of (b) — must be unique and numbered 1…n without a gap.

Writes bench/out/bench_dossiers.json. The load generator shares the machine's cores with gunicorn and PostgreSQL,
so on a small machine the absolute numbers are a floor; the ratios are measured under the same conditions.

    .venv/bin/python bench/bench_dossiers.py [--workers 4] [--clients 100] [--seconds 10] [--rounds 3] [--burst 500]
        [--keep]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
DB_NAME = "edudx_bench_dossiers"
TRANSFER = "school_transfer_same_province"
RESULTS_COMPONENT = "Bản tổng hợp kết quả học tập"
UNIT_CODE = "H56.09.01"


# ---------------------------------------------------------------------------------------------------------------
# Database and data
# ---------------------------------------------------------------------------------------------------------------


def fresh_database(server_url: str, keep_existing: bool = False) -> str:
    """Drop and create ``DB_NAME`` on the server of ``server_url``; returns the URL of the new database."""
    import psycopg

    parts = urlsplit(server_url)
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DB_NAME}"')
    return urlunsplit(parts._replace(path=f"/{DB_NAME}"))


def drop_database(server_url: str) -> None:
    import psycopg

    admin = urlunsplit(urlsplit(server_url)._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')


def png_bytes() -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (120, 160), "white").save(buffer, format="PNG")
    return buffer.getvalue()


def build_clients(n: int) -> list[dict[str, Any]]:
    """The world, a desk at its authority, and ``n`` guardians each with a pupil and an API key."""
    from django.contrib.auth import get_user_model

    from edudx.accounts.models import ApiToken, hash_token
    from edudx.core.api import Role
    from edudx.procedures.models import ServiceDesk
    from edudx.registry.enums import GuardianRelation, Sex
    from edudx.registry.models import ClassMembership, GuardianLink, Student
    from edudx.testing import build_world, grant, make_person

    User = get_user_model()

    world = build_world()
    ServiceDesk.objects.create(org_unit=world.authority, unit_code=UNIT_CODE, valid_from=dt.date(2025, 7, 1))
    school = world.school1
    clients = []
    for i in range(n):
        # No password: the clients sign in with API keys, and hashing 100 passwords would dominate the set-up.
        user = User.objects.create(
            username=f"bench_guardian_{i}", full_name=f"Phụ huynh {i}", email=f"ph{i}@example.vn"
        )
        user.set_unusable_password()
        user.save(update_fields=["password"])
        guardian = make_person(f"Nguyễn Văn Phụ Huynh {i}", user=user, sex=Sex.MALE, personal_id=f"0790850{i:05d}")
        pupil = make_person(f"Nguyễn Thị Học Sinh {i}", born=dt.date(2014, 1, 1) + dt.timedelta(days=i),
                            personal_id=f"0793140{i:05d}")  # fmt: skip
        student = Student.objects.create(person=pupil, moet_code=f"79{i:08d}", school=school.school,
                                         enrolled_on=dt.date(2025, 9, 5))  # fmt: skip
        ClassMembership.objects.create(student=student, school_class=school.class_a, joined_on=dt.date(2025, 9, 5))
        GuardianLink.objects.create(guardian=guardian, student=student, relation=GuardianRelation.FATHER,
                                    is_primary=True)  # fmt: skip
        grant(user, Role.GUARDIAN, school.school)
        raw = ApiToken.generate()
        ApiToken.objects.create(user=user, name="bench", prefix=raw[:12], token_hash=hash_token(raw))
        clients.append({"token": raw, "student": student.pk, "guardian_id": f"0790850{i:05d}"})
    return clients


def set_desk_code(unit_code: str) -> None:
    from django.db import connection

    from edudx.procedures.models import ServiceDesk

    ServiceDesk.objects.filter(unit_code__startswith=UNIT_CODE[:-2]).update(unit_code=unit_code)
    connection.close()


def day_codes(day: dt.date) -> list[str]:
    from edudx.procedures.models import Dossier

    return list(Dossier.objects.filter(code__contains=f"-{day:%y%m%d}-").values_list("code", flat=True))


# ---------------------------------------------------------------------------------------------------------------
# Server
# ---------------------------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_gunicorn(env: dict[str, str], workers: int, port: int, log: Path) -> subprocess.Popen[bytes]:
    command = [
        str(ROOT / ".venv" / "bin" / "gunicorn"), "config.wsgi:application", "--bind", f"127.0.0.1:{port}",
        "--workers", str(workers), "--backlog", "2048", "--timeout", "120", "--log-level", "warning",
    ]  # fmt: skip
    with open(log, "ab") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=out, start_new_session=True)
    return process


def wait_ready(port: int, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit("gunicorn stopped; see its log")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise SystemExit("gunicorn did not answer in time")


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)  # gunicorn and its workers, started in their own session
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


# ---------------------------------------------------------------------------------------------------------------
# Load
# ---------------------------------------------------------------------------------------------------------------


def submission_body(client: dict[str, Any], png: bytes) -> tuple[bytes, str]:
    """The multipart body of one client's submission and its content type, encoded once: what a browser or a
    partner system sends, without the load generator rebuilding it for every request (it shares the server's
    cores)."""
    boundary = f"edudx-bench-{secrets.token_hex(12)}"
    answers = {
        "receiving_school": "Trường THCS Hai",
        "origin": "same_province",
        "reason": "Gia đình chuyển nơi ở.",
        "guardian_personal_id": client["guardian_id"],
        "guardian_phone": "0912345678",
        "result_delivery": "online",
    }
    fields = {"procedure": TRANSFER, "student": str(client["student"]), "form": json.dumps(answers, ensure_ascii=False)}
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="component:{RESULTS_COMPONENT}"; '
        f'filename="ket-qua.png"\r\nContent-Type: image/png\r\n\r\n'.encode()
        + png
        + b"\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


async def _one(session: Any, kind: str, base: str, client: dict[str, Any], png: bytes) -> tuple[int, float, Any]:
    started = time.perf_counter()
    if kind == "healthz":
        async with session.get(f"{base}/healthz") as response:
            await response.read()
            status, body = response.status, None
    elif kind == "me":
        headers = {"Authorization": f"Bearer {client['token']}"}
        async with session.get(f"{base}/api/v1/me/", headers=headers) as response:
            payload = await response.read()
            status, body = response.status, payload[:200]
    else:
        if "body" not in client:
            client["body"], client["content_type"] = submission_body(client, png)
        headers = {"Authorization": f"Bearer {client['token']}", "Content-Type": client["content_type"]}
        async with session.post(
            f"{base}/api/v1/procedures/my-dossiers/", data=client["body"], headers=headers
        ) as response:
            payload = await response.read()
            status = response.status
            body = json.loads(payload) if payload[:1] == b"{" else payload[:200]
    return status, time.perf_counter() - started, body


async def closed_loop(kind: str, base: str, clients: list[dict[str, Any]], seconds: float, png: bytes) -> dict:
    """Each client sends its next request as soon as the previous one answered, for ``seconds``."""
    import aiohttp

    latencies: list[float] = []
    statuses: dict[int, int] = {}
    errors: list[Any] = []
    deadline = time.perf_counter() + seconds
    connector = aiohttp.TCPConnector(limit=len(clients) + 10)
    timeout = aiohttp.ClientTimeout(total=120)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:

        async def worker(client: dict[str, Any]) -> None:
            while time.perf_counter() < deadline:
                status, elapsed, body = await _one(session, kind, base, client, png)
                statuses[status] = statuses.get(status, 0) + 1
                if status in (200, 201):
                    latencies.append(elapsed)
                elif len(errors) < 5:
                    errors.append(body)

        started = time.perf_counter()
        cpu_started = time.process_time()
        await asyncio.gather(*(worker(c) for c in clients))
        wall = time.perf_counter() - started
        client_cpu = time.process_time() - cpu_started
    ok = len(latencies)
    return {
        "requests_ok": ok,
        "statuses": statuses,
        "errors": errors,
        "wall_seconds": round(wall, 2),
        "per_second": round(ok / wall, 1) if wall else 0.0,
        "p50_ms": round(statistics.median(latencies) * 1000, 1) if latencies else None,
        "p95_ms": round(percentile(latencies, 95) * 1000, 1) if latencies else None,
        # The load generator's own CPU per request: it shares the machine's cores with the server.
        "client_cpu_ms": round(client_cpu / max(1, sum(statuses.values())) * 1000, 2),
        "latencies_ms": [round(x * 1000, 2) for x in latencies],
    }


async def burst(base: str, clients: list[dict[str, Any]], n: int, png: bytes) -> dict:
    """``n`` submissions released at the same moment, one connection each."""
    import aiohttp

    connector = aiohttp.TCPConnector(limit=n + 10)
    timeout = aiohttp.ClientTimeout(total=600)
    gate = asyncio.Event()
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:

        async def one(i: int) -> tuple[int, float, Any]:
            await gate.wait()
            return await _one(session, "submit", base, clients[i % len(clients)], png)

        tasks = [asyncio.create_task(one(i)) for i in range(n)]
        await asyncio.sleep(0.2)
        started = time.perf_counter()
        gate.set()
        results = await asyncio.gather(*tasks)
        wall = time.perf_counter() - started
    codes = [body.get("code") for status, _t, body in results if status == 201 and isinstance(body, dict)]
    statuses: dict[int, int] = {}
    for status, _t, _b in results:
        statuses[status] = statuses.get(status, 0) + 1
    return {"codes": codes, "statuses": statuses, "wall_seconds": round(wall, 2),
            "errors": [b for s, _t, b in results if s != 201][:5]}  # fmt: skip


def combine(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    """The rounds of one kind as one measurement: requests and time summed, latencies over all of them."""
    latencies = sorted(ms for r in rounds for ms in r["latencies_ms"])
    statuses: dict[int, int] = {}
    for r in rounds:
        for status, count in r["statuses"].items():
            statuses[status] = statuses.get(status, 0) + count
    wall = sum(r["wall_seconds"] for r in rounds)
    ok = sum(r["requests_ok"] for r in rounds)
    return {
        "requests_ok": ok,
        "statuses": statuses,
        "errors": [e for r in rounds for e in r["errors"]][:5],
        "wall_seconds": round(wall, 2),
        "per_second": round(ok / wall, 1) if wall else 0.0,
        "p50_ms": round(statistics.median(latencies), 1) if latencies else None,
        "p95_ms": round(percentile(latencies, 95), 1) if latencies else None,
        "client_cpu_ms": round(statistics.mean(r["client_cpu_ms"] for r in rounds), 2),
        "rounds_per_second": [r["per_second"] for r in rounds],
    }


def _ratio(measured: dict[str, Any], baseline: dict[str, Any]) -> float:
    return measured["per_second"] / baseline["per_second"] if baseline["per_second"] else 0.0


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))  # nearest rank
    return ordered[k]


def check_codes(codes: list[str], *, from_one: bool = True) -> dict[str, Any]:
    """Unique, and per unit and day numbered without a gap: 1…n (``from_one``), or consecutive numbers (a burst
    that follows earlier submissions of the day)."""
    from edudx.procedures.dossier_codes import parse_code

    per_day: dict[tuple[str, dt.date], list[int]] = {}
    for code in codes:
        parsed = parse_code(code)
        per_day.setdefault((parsed.unit_code, parsed.received_on), []).append(parsed.sequence)

    def gap_free(numbers: list[int]) -> bool:
        first = 1 if from_one else min(numbers)
        return sorted(numbers) == list(range(first, first + len(numbers)))

    return {
        "total": len(codes),
        "unique": len(set(codes)) == len(codes),
        "gap_free_per_day": all(gap_free(seq) for seq in per_day.values()),
        "days": len(per_day),
    }


# ---------------------------------------------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", default="4", help="worker count, or several separated by commas: 2,3,4")
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=10, help="seconds of each kind per round")
    parser.add_argument("--rounds", type=int, default=3, help="turns of (a') and (b)")
    parser.add_argument("--warmup", type=float, default=3)
    parser.add_argument("--burst", type=int, default=500)
    parser.add_argument("--keep", action="store_true", help="keep the bench database afterwards")
    args = parser.parse_args()
    worker_counts = [int(w) for w in str(args.workers).split(",") if w.strip()]

    server_url = os.environ.get("BENCH_POSTGRES_URL") or os.environ.get(
        "DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres"
    )
    if not server_url.startswith("postgres"):
        raise SystemExit("This benchmark needs PostgreSQL: set DATABASE_URL to a PostgreSQL server.")
    database_url = fresh_database(server_url)
    workdir = Path(tempfile.mkdtemp(prefix="edudx-bench-"))
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        # What production runs (see the docstring): the production profile and what its environment gives it.
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "FIELD_ENCRYPTION_KEY": secrets.token_urlsafe(48),
        "DB_CONN_MAX_AGE": "60",
        "EDUDX_DATA_DIR": str(workdir),
        "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
    }
    env.pop("TASK_BACKEND", None)
    os.environ.update(env)
    os.environ.pop("TASK_BACKEND", None)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    print(f"Cơ sở dữ liệu mới {DB_NAME}: migrate, dữ liệu thử ({args.clients} phụ huynh)…", flush=True)
    call_command("migrate", verbosity=0)
    clients = build_clients(args.clients)
    from django.db import connection

    connection.close()  # the server's workers hold their own connections
    png = png_bytes()
    log = workdir / "gunicorn.log"
    runs: list[dict[str, Any]] = []
    burst_result: dict[str, Any] = {}
    for index, workers in enumerate(worker_counts):
        if index:
            # Each worker count numbers its dossiers under a desk code of its own: a day holds at most 9,999
            # dossiers per code (four digits), which several fast runs would exceed.
            set_desk_code(f"{UNIT_CODE[:-2]}{index + 1:02d}")
        port = free_port()
        process = start_gunicorn(env, workers, port, log)
        base = f"http://127.0.0.1:{port}"
        try:
            wait_ready(port, process)
            asyncio.run(closed_loop("healthz", base, clients, args.warmup, png))
            asyncio.run(closed_loop("me", base, clients, args.warmup, png))
            asyncio.run(closed_loop("submit", base, clients[:10], args.warmup, png))
            print(f"[{workers} worker] (a) GET /healthz, {args.clients} client, {args.seconds:g} giây…", flush=True)
            trivial = asyncio.run(closed_loop("healthz", base, clients, args.seconds, png))
            trivial.pop("latencies_ms")
            # (a') and (b) take turns, ``--rounds`` times each: a drift of the machine (another tenant, a slow
            # minute) falls on both, and the ratio is of the sums.
            me_rounds, submit_rounds = [], []
            for r in range(args.rounds):
                print(f"[{workers} worker] vòng {r + 1}/{args.rounds}: (a') GET /api/v1/me/ rồi (b) POST nộp hồ sơ, "
                      f"{args.clients} client, mỗi loại {args.seconds:g} giây…", flush=True)  # fmt: skip
                me_rounds.append(asyncio.run(closed_loop("me", base, clients, args.seconds, png)))
                submit_rounds.append(asyncio.run(closed_loop("submit", base, clients, args.seconds, png)))
            me, submit = combine(me_rounds), combine(submit_rounds)
            if index == len(worker_counts) - 1:
                print(f"[{workers} worker] (c) {args.burst} hồ sơ nộp cùng lúc…", flush=True)
                burst_result = asyncio.run(burst(base, clients, args.burst, png))
        finally:
            stop(process)
        runs.append(
            {
                "workers": workers,
                "trivial": trivial,
                "me": me,
                "submit": submit,
                "ratio_vs_me": round(_ratio(submit, me), 3),
                "ratio_vs_healthz": round(_ratio(submit, trivial), 3),
            }
        )
    connection.close()
    burst_check = check_codes(burst_result["codes"], from_one=False)
    today = dt.datetime.now(dt.UTC).astimezone(dt.timezone(dt.timedelta(hours=7))).date()
    all_codes = day_codes(today)
    all_check = check_codes(all_codes)

    print()
    print(
        f"gunicorn (sync), PostgreSQL, config.settings.production, DB_CONN_MAX_AGE=60, {args.clients} client đồng thời"
    )
    print(f"{'':38}{'req/s':>10}{'p50 ms':>10}{'p95 ms':>10}{'CPU tải':>9}  trạng thái")
    for run in runs:
        print(f"{run['workers']} worker:")
        for label, r in (
            ("  (a) GET /healthz", run["trivial"]),
            ("  (a') GET /api/v1/me/", run["me"]),
            ("  (b) POST nộp hồ sơ (API)", run["submit"]),
        ):
            print(f"{label:38}{r['per_second']:>10}{r['p50_ms']!s:>10}{r['p95_ms']!s:>10}"
                  f"{r['client_cpu_ms']:>7} ms  {r['statuses']}")  # fmt: skip
        pairs = zip(run["me"]["rounds_per_second"], run["submit"]["rounds_per_second"], strict=True)
        rounds = [f"{b / a:.0%}" if a else "–" for a, b in pairs]
        print(f"  Từng vòng (b)/(a'): {', '.join(rounds)}")
        print(
            f"  Tỉ lệ thông lượng (b)/(a') = {run['ratio_vs_me']:.1%} (mục tiêu ≥ 50%, so với điểm cuối có xác thực); "
            f"(b)/(a) = {run['ratio_vs_healthz']:.1%}"
        )
    print(
        f"(c) {args.burst} hồ sơ cùng lúc: {burst_result['statuses']} trong {burst_result['wall_seconds']} giây; "
        f"mã không trùng: {burst_check['unique']}, liên tục theo ngày: {burst_check['gap_free_per_day']}"
    )
    print(
        f"Mọi hồ sơ trong ngày ({all_check['total']}): không trùng {all_check['unique']}, "
        f"đánh số 1…n không khuyết: {all_check['gap_free_per_day']}"
    )
    for run in runs:
        for label in ("trivial", "me", "submit"):
            if run[label].get("errors"):
                print(f"Lỗi mẫu {label} ({run['workers']} worker): {run[label]['errors'][:2]}")
    if burst_result.get("errors"):
        print(f"Lỗi mẫu (c): {burst_result['errors'][:2]}")
    out = ROOT / "bench" / "out"
    out.mkdir(exist_ok=True)
    (out / "bench_dossiers.json").write_text(
        json.dumps(
            {
                "settings": "config.settings.production, DEBUG off, DB_CONN_MAX_AGE=60",
                "clients": args.clients,
                "seconds": args.seconds,
                "runs": runs,
                "burst": {k: v for k, v in burst_result.items() if k != "codes"} | burst_check,
                "day": all_check,
            },
            ensure_ascii=False,
            indent=2,
            default=str,
        )
    )
    if not args.keep:
        drop_database(server_url)
    ok = burst_check["unique"] and burst_check["gap_free_per_day"] and all_check["unique"]
    ok = ok and all_check["gap_free_per_day"] and burst_result["statuses"].get(201, 0) == args.burst
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
