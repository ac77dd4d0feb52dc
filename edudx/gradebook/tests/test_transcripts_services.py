"""Học bạ số services: generate → homeroom → principal → seal, order and signer checks, immutability, corrections."""

from __future__ import annotations

from decimal import Decimal

import pytest

from edudx.core import credentials
from edudx.core.api import Conflict, NotPermitted, ValidationFailed
from edudx.core.models import AuditEvent
from edudx.core.permissions import Actor
from edudx.core.signing import verify_pdf
from edudx.gradebook.curriculum import rule_set_version_for_class
from edudx.gradebook.models import (
    ClassSemesterLock,
    ScoreCell,
    ScoreSheet,
    SubjectKind,
    SubjectResult,
    Transcript,
    TranscriptSignature,
    TranscriptStatus,
    YearResult,
)
from edudx.gradebook.services import transcripts as services
from edudx.registry.api import Subject

pytestmark = pytest.mark.django_db

D = Decimal


def prepare_class(school_world, *, lock: bool = True):
    """Final results for every pupil of class A (as the results service would have computed them)."""
    klass = school_world.class_a
    version = rule_set_version_for_class(klass)
    if lock:
        for semester in (1, 2):
            ClassSemesterLock.objects.create(school_class=klass, semester=semester, locked=True)
    toan, van, gdtc = (Subject.objects.get(code=c) for c in ("TOAN", "NV", "GDTC"))
    for i, student in enumerate(school_world.students_a):
        SubjectResult.objects.create(
            student=student, school_class=klass, subject=toan, kind=SubjectKind.SCORED,
            semester_1=D("7.7"), semester_2=D("8.2"), year=D("8.0") + i, rule_set=version,
        )  # fmt: skip
        SubjectResult.objects.create(
            student=student, school_class=klass, subject=van, kind=SubjectKind.SCORED,
            semester_1=D("6.5"), semester_2=D("7.0"), year=D("6.8"), rule_set=version,
        )  # fmt: skip
        SubjectResult.objects.create(
            student=student, school_class=klass, subject=gdtc, kind=SubjectKind.COMMENT,
            semester_1_result="dat", semester_2_result="dat", year_result="dat", rule_set=version,
        )  # fmt: skip
        YearResult.objects.create(
            student=student, school_class=klass, rule_set=version,
            learning_1="kha", learning_2="tot", learning_year="tot",
            conduct_1="tot", conduct_2="tot", conduct_year="tot",
            absences=3, promotion="promoted", title_confirmed="gioi", homeroom_comment="Chăm ngoan, tiến bộ rõ.",
        )  # fmt: skip
    sheet = ScoreSheet.objects.create(school_class=klass, subject=toan, semester=2, rule_set=version)
    ScoreCell.objects.create(sheet=sheet, student=school_world.students_a[0], column="nx", value="Tư duy tốt.")
    return klass


def issue_credentials(school_world):
    users = school_world.users
    credentials.issue_demo_credential_for_user(
        users["homeroom_teacher"], full_name="Trần Thị Mai", unit=school_world.school
    )
    credentials.issue_demo_credential_for_user(users["principal"], full_name="Lê Văn Đức", unit=school_world.school)
    credentials.issue_seal_for_unit(school_world.school)


@pytest.fixture
def ca_dir(settings, tmp_path):
    settings.SIGNING_CA_DIR = tmp_path / "ca"
    settings.PUBLIC_BASE_URL = "https://hocba.example.vn"
    return settings.SIGNING_CA_DIR


def test_full_chain_signs_three_times_and_verifies(world, ca_dir):
    sw = world.school1
    klass = prepare_class(sw)
    issue_credentials(sw)
    teacher, principal = Actor(sw.users["homeroom_teacher"]), Actor(sw.users["principal"])
    student = sw.students_a[0]

    draft = services.generate_transcript(actor=teacher, student=student, school_class=klass)
    assert draft.status == TranscriptStatus.DRAFT and draft.version == 1
    assert bytes(draft.pdf).startswith(b"%PDF") and len(draft.sha256) == 64
    assert draft.data["format"] == "edudx.hocba/1"
    subjects = {s["code"]: s for s in draft.data["subjects"]}
    assert subjects["TOAN"]["year"] == "8.0" and subjects["TOAN"]["remark"] == "Tư duy tốt."
    assert subjects["GDTC"]["year_result_label"] == "Đạt" and subjects["GDTC"]["year"] is None

    # Out of order: the principal cannot sign first, nor seal.
    with pytest.raises(Conflict, match="Giáo viên chủ nhiệm chưa ký"):
        services.sign_as_principal(actor=principal, transcript=draft)
    with pytest.raises(Conflict, match="Hiệu trưởng chưa ký"):
        services.seal(actor=principal, transcript=draft)
    # The principal is not the homeroom teacher.
    with pytest.raises(NotPermitted):
        services.sign_as_homeroom(actor=principal, transcript=draft)

    services.sign_as_homeroom(actor=teacher, transcript=draft)
    with pytest.raises(Conflict, match="đã được ký"):
        services.sign_as_homeroom(actor=teacher, transcript=draft)
    with pytest.raises(NotPermitted):
        services.sign_as_principal(actor=teacher, transcript=draft)
    services.sign_as_principal(actor=principal, transcript=draft)
    sealed = services.seal(actor=principal, transcript=draft)

    assert sealed.status == TranscriptStatus.SEALED and sealed.sealed_at is not None
    roles = list(TranscriptSignature.objects.filter(transcript=sealed).values_list("role", flat=True))
    assert roles == ["homeroom", "principal", "seal"]
    pdf = bytes(sealed.pdf)
    result = verify_pdf(pdf, credentials.trust_roots())
    assert result.valid, result.problems
    assert [s.name for s in result.signers] == ["Trần Thị Mai", "Lê Văn Đức", sw.school.name]
    assert TranscriptSignature.objects.get(transcript=sealed, role="seal").sha256_after == sealed.sha256
    actions = set(AuditEvent.objects.filter(object_id=str(sealed.pk)).values_list("action", flat=True))
    assert {
        "transcript.generate",
        "transcript.sign_homeroom",
        "transcript.sign_principal",
        "transcript.sign_seal",
    } <= actions

    # Sealed is immutable: no regeneration, no further signature.
    with pytest.raises(Conflict, match="đính chính"):
        services.generate_transcript(actor=teacher, student=student, school_class=klass)
    with pytest.raises(Conflict, match="không thể thay đổi"):
        services.seal(actor=principal, transcript=sealed)
    sealed.refresh_from_db()
    assert bytes(sealed.pdf) == pdf

    # Correction: v2 draft; v1 stays valid until v2 is sealed.
    with pytest.raises(ValidationFailed):
        services.correct_transcript(actor=teacher, transcript=sealed, reason="sai")
    v2 = services.correct_transcript(actor=teacher, transcript=sealed, reason="Nhập nhầm điểm Toán học kì II.")
    assert v2.version == 2 and v2.supersedes_id == sealed.pk and v2.status == TranscriptStatus.DRAFT
    with pytest.raises(Conflict):
        services.correct_transcript(actor=teacher, transcript=sealed, reason="Nhập nhầm điểm Toán học kì II.")
    sealed.refresh_from_db()
    assert sealed.status == TranscriptStatus.SEALED
    services.sign_as_homeroom(actor=teacher, transcript=v2)
    services.sign_as_principal(actor=principal, transcript=v2)
    services.seal(actor=principal, transcript=v2)
    sealed.refresh_from_db()
    assert sealed.status == TranscriptStatus.SUPERSEDED
    assert bytes(sealed.pdf) == pdf


def test_generate_requires_locks_result_and_the_right_person(world, ca_dir):
    sw = world.school1
    klass = prepare_class(sw, lock=False)
    teacher = Actor(sw.users["homeroom_teacher"])
    student = sw.students_a[0]
    with pytest.raises(ValidationFailed, match="chưa khoá"):
        services.generate_transcript(actor=teacher, student=student, school_class=klass)
    for semester in (1, 2):
        ClassSemesterLock.objects.create(school_class=klass, semester=semester, locked=True)
    YearResult.objects.filter(student=student).delete()
    with pytest.raises(ValidationFailed, match="Chưa có kết quả cả năm"):
        services.generate_transcript(actor=teacher, student=student, school_class=klass)
    other = sw.students_a[1]
    for user in (
        sw.users["guardian"],
        sw.users["subject_teacher"],
        sw.users["clerk"],
        world.school2.users["homeroom_teacher"],
        world.school2.users["principal"],
    ):
        with pytest.raises(NotPermitted):
            services.generate_transcript(actor=Actor(user), student=other, school_class=klass)
    assert not Transcript.objects.exists()


def test_missing_certificate_refused_and_nothing_changes(world, ca_dir):
    sw = world.school1
    klass = prepare_class(sw)
    teacher = Actor(sw.users["homeroom_teacher"])
    draft = services.generate_transcript(actor=teacher, student=sw.students_a[1], school_class=klass)
    again = services.generate_transcript(actor=teacher, student=sw.students_a[1], school_class=klass)
    assert again.pk == draft.pk and again.version == 1
    with pytest.raises(ValidationFailed, match="chưa có chứng thư số"):
        services.sign_as_homeroom(actor=teacher, transcript=draft)
    draft.refresh_from_db()
    assert draft.status == TranscriptStatus.DRAFT and not draft.signatures.exists()
