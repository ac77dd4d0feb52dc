"""Benchmark: signed học bạ throughput against raw WeasyPrint rendering plus one pyHanko signature.

In one run, on a fresh SQLite database with a demo CA in a temporary folder, for N pupils of one class (final
results in 13 subjects):

(a) baseline: render the same học bạ template with the same context to HTML, ``weasyprint.HTML(...).write_pdf()``,
    then one pyHanko PAdES signature (``LocalCASigner``) — nothing else;
(b) our pipeline with one signature: ``generate_transcript`` (permission checks, result reads, JSON document,
    QR code, PDF, hash, audit) + ``sign_as_homeroom`` (row lock, credential lookup, signature, audit) — the same
    work as (a) plus what makes it a record;
(c) the full path: (b) + ``sign_as_principal`` + ``seal`` — three signatures, what a học bạ really needs.

Prints per-transcript times and the throughput ratios (a)/(b) and (a)/(c); the goal is ≥ 50 % for the signed học bạ
against the baseline. Writes bench/out/bench_transcripts.json.

    .venv/bin/python bench/bench_transcripts.py [--pupils 10]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pupils", type=int, default=10)
    args = parser.parse_args()
    root = Path(__file__).resolve().parent.parent
    sys.path.insert(0, str(root))
    with tempfile.TemporaryDirectory(prefix="edudx-bench-") as tmp:
        tmpdir = Path(tmp)
        os.environ["DATABASE_URL"] = f"sqlite:///{tmpdir / 'bench.sqlite3'}"
        os.environ["EDUDX_DATA_DIR"] = str(tmpdir)
        os.environ["SIGNING_CA_DIR"] = str(tmpdir / "ca")
        os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.test"
        import django

        django.setup()
        import logging

        logging.getLogger("weasyprint").setLevel(logging.ERROR)
        logging.getLogger("fontTools").setLevel(logging.ERROR)
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        return run(args.pupils, root)


def prepare(world, pupils: int):  # type: ignore[no-untyped-def]
    from edudx.gradebook.curriculum import rule_set_version_for_class
    from edudx.gradebook.models import ClassSemesterLock, GradeSubject, SubjectKind, SubjectResult, YearResult
    from edudx.registry.models import ClassMembership, Student
    from edudx.testing import make_person

    klass = world.school1.class_a
    version = rule_set_version_for_class(klass)
    for semester in (1, 2):
        ClassSemesterLock.objects.create(school_class=klass, semester=semester, locked=True)
    students = []
    for i in range(pupils):
        person = make_person(f"Nguyễn Văn Bình {i}", born=dt.date(2014, 1, 1) + dt.timedelta(days=i))
        student = Student.objects.create(person=person, moet_code=f"79{i:08d}", school=klass.school)
        ClassMembership.objects.create(student=student, school_class=klass, joined_on=dt.date(2025, 9, 5))
        students.append(student)
    curriculum = list(GradeSubject.objects.filter(grade=klass.grade).select_related("subject"))
    for student in students:
        for n, item in enumerate(curriculum):
            scored = item.kind == SubjectKind.SCORED
            SubjectResult.objects.create(
                student=student, school_class=klass, subject=item.subject, kind=item.kind, rule_set=version,
                semester_1=Decimal("7.5") if scored else None, semester_2=Decimal("8.1") if scored else None,
                year=Decimal("7.9") + Decimal(n % 3) / 10 if scored else None,
                semester_1_result="" if scored else "dat", semester_2_result="" if scored else "dat",
                year_result="" if scored else "dat",
            )  # fmt: skip
        YearResult.objects.create(
            student=student, school_class=klass, rule_set=version, learning_1="kha", learning_2="tot",
            learning_year="tot", conduct_1="tot", conduct_2="tot", conduct_year="tot", absences=2,
            promotion="promoted", title_confirmed="gioi", homeroom_comment="Chăm ngoan, học tốt.",
        )  # fmt: skip
    return klass, students, len(curriculum)


def run(pupils: int, root: Path) -> int:
    from django.template.loader import render_to_string
    from weasyprint import CSS, HTML

    from edudx.core import credentials
    from edudx.core.pdf import BASE_CSS, BASE_URL, LocalOnlyURLFetcher
    from edudx.core.permissions import Actor
    from edudx.core.qr import qr_svg
    from edudx.core.signing import verify_pdf
    from edudx.gradebook import transcript_data
    from edudx.gradebook.models import Transcript, YearResult
    from edudx.gradebook.services import transcripts as services
    from edudx.testing import build_world

    world = build_world()
    klass, students, subjects = prepare(world, pupils)
    sw = world.school1
    credentials.issue_demo_credential_for_user(sw.users["homeroom_teacher"], full_name="Trần Thị Mai", unit=sw.school)
    credentials.issue_demo_credential_for_user(sw.users["principal"], full_name="Lê Văn Đức", unit=sw.school)
    credentials.issue_seal_for_unit(sw.school)
    teacher, principal = Actor(sw.users["homeroom_teacher"]), Actor(sw.users["principal"])
    baseline_signer = credentials.signer_for_user(sw.users["homeroom_teacher"])

    # Warm-up (fonts, templates, first queries) outside the measurements.
    warm = services.generate_transcript(actor=teacher, student=students[0], school_class=klass)
    Transcript.objects.filter(pk=warm.pk).delete()

    # (a) baseline: the same template and context, WeasyPrint + one pyHanko signature.
    contexts = []
    for student in students:
        result = YearResult.objects.select_related("rule_set").get(student=student, school_class=klass)
        data = transcript_data.build(transcript_data.gather(student=student, school_class=klass, year_result=result))
        probe = Transcript(student=student, school_class=klass, school=klass.school, year=klass.year, version=1)
        url = services.verification_url(probe.token)
        contexts.append({"data": data, "primary": False, "transcript": probe, "verify_url": url,
                         "qr_svg": qr_svg(url, scale=3), "birth": ""})  # fmt: skip
    t0, c0 = time.perf_counter(), time.process_time()
    for context in contexts:
        html = render_to_string(services.PDF_TEMPLATE, context)
        pdf = HTML(string=html, base_url=BASE_URL, url_fetcher=LocalOnlyURLFetcher()).write_pdf(
            stylesheets=[CSS(string=BASE_CSS)]
        )
        baseline_signer.sign(pdf, field_name="GVCN", reason="Ký", location="Trường", signer_name="Trần Thị Mai")
    base_wall, base_cpu = (time.perf_counter() - t0) / pupils, (time.process_time() - c0) / pupils

    # (b) generate + homeroom signature; (c) + principal + seal.
    one_wall = one_cpu = rest_wall = rest_cpu = 0.0
    done = []
    for student in students:
        t0, c0 = time.perf_counter(), time.process_time()
        transcript = services.generate_transcript(actor=teacher, student=student, school_class=klass)
        services.sign_as_homeroom(actor=teacher, transcript=transcript)
        t1, c1 = time.perf_counter(), time.process_time()
        services.sign_as_principal(actor=principal, transcript=transcript)
        services.seal(actor=principal, transcript=transcript)
        t2, c2 = time.perf_counter(), time.process_time()
        one_wall += t1 - t0
        one_cpu += c1 - c0
        rest_wall += t2 - t1
        rest_cpu += c2 - c1
        done.append(transcript.pk)
    one_wall, one_cpu = one_wall / pupils, one_cpu / pupils
    full_wall, full_cpu = one_wall + rest_wall / pupils, one_cpu + rest_cpu / pupils
    last = Transcript.objects.get(pk=done[-1])
    assert last.status == "sealed" and verify_pdf(bytes(last.pdf), credentials.trust_roots()).valid

    print(f"{pupils} học bạ, {subjects} subjects each, PDF {len(bytes(last.pdf)) / 1024:.0f} KiB after 3 signatures")
    print(
        f"(a) WeasyPrint + 1 pyHanko signature:     {base_wall * 1000:7.0f} ms wall, {base_cpu * 1000:7.0f} ms CPU / học bạ"
    )
    print(
        f"(b) generate + homeroom signature:        {one_wall * 1000:7.0f} ms wall, {one_cpu * 1000:7.0f} ms CPU / học bạ"
    )
    print(
        f"(c) generate + 3 signatures (full path):  {full_wall * 1000:7.0f} ms wall, {full_cpu * 1000:7.0f} ms CPU / học bạ"
    )
    print(f"throughput (a)/(b): {base_wall / one_wall:.0%} wall, {base_cpu / one_cpu:.0%} CPU (goal >= 50%)")
    print(f"throughput (a)/(c): {base_wall / full_wall:.0%} wall, {base_cpu / full_cpu:.0%} CPU (three signatures)")
    out = root / "bench" / "out"
    out.mkdir(exist_ok=True)
    (out / "bench_transcripts.json").write_text(
        json.dumps(
            {
                "pupils": pupils,
                "subjects": subjects,
                "baseline_ms": {"wall": base_wall * 1000, "cpu": base_cpu * 1000},
                "one_signature_ms": {"wall": one_wall * 1000, "cpu": one_cpu * 1000},
                "three_signatures_ms": {"wall": full_wall * 1000, "cpu": full_cpu * 1000},
                "ratio_one_signature": {"wall": base_wall / one_wall, "cpu": base_cpu / one_cpu},
                "ratio_three_signatures": {"wall": base_wall / full_wall, "cpu": base_cpu / full_cpu},
            },
            indent=2,
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
