"""Học bạ số: generate a student's year transcript (PDF + JSON), sign it three times, correct it.

The lifecycle of one version (``Transcript.status``)::

    draft ──homeroom teacher signs──▶ teacher_signed ──principal signs──▶ principal_signed ──school seals──▶ sealed
                                                                                                   │
                    a correction (version n+1, new draft, with a reason) sealed later ─────────────┴─▶ superseded

- ``generate_transcript`` needs both semesters of the class locked and the student's ``YearResult``: the học bạ
  records final results only. Regenerating replaces a draft (nobody has signed it yet); a version that carries a
  signature is never rewritten (its signers vouched for those bytes), and a sealed one never changes at all.
- Each signature is a PAdES incremental update made with the signer's *own* credential (``core.credentials``):
  the homeroom teacher's personal certificate, the principal's personal certificate, then the school's
  organisation certificate (the electronic seal; Luật Giao dịch điện tử 2023 Art. 22–23, domain notes §3.3).
  The row is locked (``select_for_update``) while signing, so two clicks cannot sign twice; the unique
  (transcript, role) constraint of ``TranscriptSignature`` backs this up.
- ``correct_transcript`` opens version n+1 of a sealed transcript, regenerated from the current results, with the
  reason. **Until the correction is sealed, the old version stays the valid one** (a verifier scanning the old
  paper copy is told it is valid); sealing the correction marks the old one ``superseded`` and its verification
  page then points to the newer version.
- Batches (``generate_class_transcripts``, ``sign_class_batch``) commit transcript by transcript: one failing
  student (no certificate, no result) does not undo the others, and the outcome lists what was skipped and why.
  A batch larger than ``BACKGROUND_BATCH_SIZE`` runs as a background task.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_tasks import task

from edudx.core import credentials
from edudx.core.api import Actor, Conflict, DomainError, NotPermitted, Role, ValidationFailed, audit, policy_for
from edudx.core.pdf import render_pdf
from edudx.core.qr import qr_svg
from edudx.registry.api import ClassMembership, SchoolClass, Student

from .. import transcript_data
from ..models import (
    ClassSemesterLock,
    Transcript,
    TranscriptSignature,
    TranscriptStatus,
    YearResult,
)

logger = logging.getLogger(__name__)

__all__ = [
    "BACKGROUND_BATCH_SIZE",
    "DEFAULT_PUBLIC_BASE_URL",
    "MIN_REASON_LENGTH",
    "BatchOutcome",
    "correct_transcript",
    "generate_class_transcripts",
    "generate_transcript",
    "is_homeroom_teacher_of",
    "may_generate",
    "may_seal",
    "may_sign_as_principal",
    "render_transcript_pdf",
    "seal",
    "sign_as_homeroom",
    "sign_as_principal",
    "sign_class_batch",
    "sign_class_batch_task",
    "verification_url",
]

DEFAULT_PUBLIC_BASE_URL = "http://127.0.0.1:8000"
MIN_REASON_LENGTH = 10
BACKGROUND_BATCH_SIZE = 30
PDF_TEMPLATE = "gradebook/transcripts/pdf.html"


# ---------------------------------------------------------------------------------------------------------------
# Who may do what


def is_homeroom_teacher_of(actor: Actor, school_class: SchoolClass) -> bool:
    """The actor is this class's homeroom teacher and holds the homeroom role (with ``transcript.sign``) there."""
    person = actor.person_id
    teacher = school_class.homeroom_teacher
    if person is None or teacher is None or teacher.person_id != person:
        return False
    path = school_class.school.path
    return any(
        grant.role == Role.HOMEROOM_TEACHER and path.startswith(grant.unit_path)
        for grant in actor.related_grants("transcript.sign")
    )


def may_sign_as_principal(actor: Actor, school_class: SchoolClass) -> bool:
    return actor.can_in("transcript.sign", school_class.school)


def may_seal(actor: Actor, school_class: SchoolClass) -> bool:
    return actor.can_in("transcript.seal", school_class.school)


def may_generate(actor: Actor, school_class: SchoolClass) -> bool:
    """Generating and correcting a class's học bạ: its homeroom teacher or the principal (``transcript.sign``)."""
    return may_sign_as_principal(actor, school_class) or is_homeroom_teacher_of(actor, school_class)


# ---------------------------------------------------------------------------------------------------------------
# Rendering


def verification_url(token: str) -> str:
    """The absolute address printed (and QR-encoded) on the paper copy; independent of any request."""
    base = str(getattr(settings, "PUBLIC_BASE_URL", "") or DEFAULT_PUBLIC_BASE_URL).rstrip("/")
    return base + reverse("verify:transcript", args=[token])


def render_transcript_pdf(transcript: Transcript, data: dict[str, Any]) -> bytes:
    """The unsigned PDF of a version, laid out like the paper học bạ, from its JSON document."""
    url = verification_url(transcript.token)
    born = (data.get("student") or {}).get("date_of_birth")
    context = {
        "birth": dt.date.fromisoformat(born).strftime("%d/%m/%Y") if born else "",
        "data": data,
        "primary": data.get("circular") == "TT27/2020",
        "transcript": transcript,
        "verify_url": url,
        "qr_svg": qr_svg(url, scale=3),
    }
    return render_pdf(PDF_TEMPLATE, context)


def _fill(transcript: Transcript, year_result: YearResult) -> None:
    source = transcript_data.gather(
        student=transcript.student, school_class=transcript.school_class, year_result=year_result
    )
    transcript.data = transcript_data.build(source)
    pdf = render_transcript_pdf(transcript, transcript.data)
    transcript.pdf = pdf
    transcript.sha256 = hashlib.sha256(pdf).hexdigest()


def _require_final_results(student: Student, school_class: SchoolClass) -> YearResult:
    if not ClassMembership.objects.filter(student=student, school_class=school_class).exists():
        raise ValidationFailed(
            _("Học sinh %(name)s không thuộc lớp %(klass)s.")
            % {"name": student.person.full_name, "klass": school_class.name},
            code="not_a_member",
        )
    locked = set(
        ClassSemesterLock.objects.filter(school_class=school_class, locked=True).values_list("semester", flat=True)
    )
    if not {1, 2} <= locked:
        raise ValidationFailed(
            _("Sổ điểm lớp %(klass)s chưa khoá cả học kì I và học kì II: học bạ chỉ ghi kết quả đã chốt.")
            % {"klass": school_class.name},
            code="semesters_not_locked",
        )
    year_result = (
        YearResult.objects.filter(student=student, school_class=school_class).select_related("rule_set").first()
    )
    if year_result is None:
        raise ValidationFailed(
            _("Chưa có kết quả cả năm của học sinh %(name)s: hãy tính kết quả trước khi tạo học bạ.")
            % {"name": student.person.full_name},
            code="no_year_result",
        )
    return year_result


def _summary(transcript: Transcript) -> dict[str, Any]:
    return {"version": transcript.version, "status": transcript.status, "sha256": transcript.sha256}


# ---------------------------------------------------------------------------------------------------------------
# Generating and correcting


@transaction.atomic
def generate_transcript(*, actor: Actor, student: Student, school_class: SchoolClass) -> Transcript:
    """Create the student's học bạ of the class's year as a draft, or regenerate the draft not yet signed."""
    if not may_generate(actor, school_class):
        raise NotPermitted(_("Chỉ giáo viên chủ nhiệm của lớp hoặc hiệu trưởng được tạo học bạ."))
    year_result = _require_final_results(student, school_class)
    latest = (
        Transcript.objects.select_for_update()
        .filter(student=student, school_class=school_class)
        .order_by("-version")
        .first()
    )
    if latest is not None and latest.status != TranscriptStatus.DRAFT:
        if latest.status in (TranscriptStatus.TEACHER_SIGNED, TranscriptStatus.PRINCIPAL_SIGNED):
            message = _("Học bạ phiên bản %(v)s của %(name)s đã có chữ ký: không tạo lại được; hãy ký tiếp.")
        else:
            message = _("Học bạ phiên bản %(v)s của %(name)s đã ký số hoàn tất: muốn sửa hãy lập bản đính chính.")
        raise Conflict(message % {"v": latest.version, "name": student.person.full_name}, code="transcript_signed")
    before = _summary(latest) if latest is not None else None
    transcript = latest or Transcript(
        student=student,
        school_class=school_class,
        school=school_class.school,
        year=school_class.year,
        version=1,
        created_by=actor.user,
    )
    _fill(transcript, year_result)
    transcript.save()
    audit.record(
        actor=actor.user,
        action="transcript.regenerate" if latest is not None else "transcript.generate",
        obj=transcript,
        org_unit=transcript.school,
        before=before,
        after=_summary(transcript),
    )
    return transcript


@transaction.atomic
def correct_transcript(*, actor: Actor, transcript: Transcript, reason: str) -> Transcript:
    """Open version n+1 of a sealed transcript as a draft, regenerated from the current results, with ``reason``.

    The old version stays valid until the new one is sealed (then it becomes ``superseded``).
    """
    old = (
        Transcript.objects.select_for_update(of=("self",)).select_related("school_class__school").get(pk=transcript.pk)
    )
    if not may_generate(actor, old.school_class):
        raise NotPermitted(_("Chỉ giáo viên chủ nhiệm của lớp hoặc hiệu trưởng được đính chính học bạ."))
    if old.status != TranscriptStatus.SEALED:
        raise Conflict(_("Chỉ đính chính được học bạ đã ký số hoàn tất và đang có hiệu lực."), code="not_sealed")
    reason = (reason or "").strip()
    if len(reason) < MIN_REASON_LENGTH:
        raise ValidationFailed(
            _("Hãy ghi lý do đính chính (ít nhất %(n)s ký tự).") % {"n": MIN_REASON_LENGTH},
            code="reason_required",
            details={"reason": [_("Cần ghi lý do.")]},
        )
    newer = (
        Transcript.objects.filter(
            student_id=old.student_id, school_class_id=old.school_class_id, version__gt=old.version
        )
        .order_by("version")
        .first()
    )
    if newer is not None:
        raise Conflict(
            _("Đã có bản đính chính phiên bản %(v)s đang chờ ký: hãy ký hoặc tạo lại bản đó.") % {"v": newer.version},
            code="correction_exists",
        )
    year_result = _require_final_results(old.student, old.school_class)
    correction = Transcript(
        student=old.student,
        school_class=old.school_class,
        school=old.school,
        year=old.year,
        version=old.version + 1,
        supersedes=old,
        correction_reason=reason[:500],
        created_by=actor.user,
    )
    _fill(correction, year_result)
    correction.save()
    audit.record(
        actor=actor.user,
        action="transcript.correct",
        obj=correction,
        org_unit=correction.school,
        before=_summary(old),
        after={**_summary(correction), "supersedes": old.pk},
        reason=reason,
    )
    return correction


# ---------------------------------------------------------------------------------------------------------------
# Signing


@dataclass(frozen=True)
class _Step:
    role: str
    before: str
    after: str
    field_name: str
    reason: str
    waiting: Any  # (lazy) shown when the transcript is not yet at ``before``


STEPS = {
    "homeroom": _Step(
        "homeroom",
        TranscriptStatus.DRAFT,
        TranscriptStatus.TEACHER_SIGNED,
        "GVCN",
        "Giáo viên chủ nhiệm xác nhận học bạ",
        "",
    ),
    "principal": _Step(
        "principal",
        TranscriptStatus.TEACHER_SIGNED,
        TranscriptStatus.PRINCIPAL_SIGNED,
        "HieuTruong",
        "Hiệu trưởng phê duyệt học bạ",
        gettext_lazy("Giáo viên chủ nhiệm chưa ký học bạ này: hiệu trưởng ký sau giáo viên chủ nhiệm."),
    ),
    "seal": _Step(
        "seal",
        TranscriptStatus.PRINCIPAL_SIGNED,
        TranscriptStatus.SEALED,
        "NhaTruong",
        "Chữ ký số của nhà trường",
        gettext_lazy("Hiệu trưởng chưa ký học bạ này: chữ ký số của nhà trường là chữ ký cuối cùng."),
    ),
}
_ORDER: list[str] = [TranscriptStatus.DRAFT, TranscriptStatus.TEACHER_SIGNED, TranscriptStatus.PRINCIPAL_SIGNED]


def _check_signer(actor: Actor, transcript: Transcript, role: str) -> None:
    klass = transcript.school_class
    if role == "homeroom" and not is_homeroom_teacher_of(actor, klass):
        raise NotPermitted(_("Chỉ giáo viên chủ nhiệm của lớp %(klass)s được ký mục này.") % {"klass": klass.name})
    if role == "principal" and not may_sign_as_principal(actor, klass):
        raise NotPermitted(_("Chỉ hiệu trưởng của trường được ký phê duyệt học bạ."))
    if role == "seal" and not may_seal(actor, klass):
        raise NotPermitted(_("Chỉ hiệu trưởng được ký số bằng chứng thư số của nhà trường."))


def _check_order(transcript: Transcript, step: _Step) -> None:
    if transcript.status == step.before:
        return
    if transcript.status in (TranscriptStatus.SEALED, TranscriptStatus.SUPERSEDED):
        raise Conflict(_("Học bạ này đã ký số hoàn tất và không thể thay đổi."), code="sealed")
    if transcript.status in _ORDER and _ORDER.index(transcript.status) > _ORDER.index(step.before):
        raise Conflict(_("Mục ký này đã được ký rồi."), code="already_signed")
    raise Conflict(str(step.waiting), code="out_of_order")


def _sign(*, actor: Actor, transcript: Transcript, role: str) -> Transcript:
    step = STEPS[role]
    locked = (
        Transcript.objects.select_for_update(of=("self",))  # lock the transcript row only, not the joined rows
        .select_related("school", "school_class__school", "school_class__homeroom_teacher")
        .get(pk=transcript.pk)
    )
    if not policy_for(Transcript).allows(actor, "view", locked):
        raise NotPermitted()
    _check_signer(actor, locked, role)
    _check_order(locked, step)
    if role == "seal":
        credential = credentials.credential_for_unit(locked.school)
    else:
        credential = credentials.credential_for_user(actor.user)
    # The name the certificate vouches for, not the account's display name.
    signer_name = credentials.common_name(credential) or (locked.school.name if role == "seal" else str(actor.user))
    signer = credentials.signer_for_credential(credential)
    signed = signer.sign(
        bytes(locked.pdf),
        field_name=step.field_name,
        reason=step.reason,
        location=locked.school.name,
        signer_name=signer_name,
    )
    before = _summary(locked)
    locked.pdf = signed
    locked.sha256 = hashlib.sha256(signed).hexdigest()
    locked.status = step.after
    fields = ["pdf", "sha256", "status"]
    if role == "seal":
        locked.sealed_at = timezone.now()
        fields.append("sealed_at")
    locked.save(update_fields=fields)
    TranscriptSignature.objects.create(
        transcript=locked,
        role=role,
        signer_name=signer_name[:255],
        certificate_subject=credential.subject,
        certificate_serial=credential.serial,
        signed_by=actor.user,
        sha256_after=locked.sha256,
    )
    audit.record(
        actor=actor.user,
        action=f"transcript.sign_{role}",
        obj=locked,
        org_unit=locked.school,
        before=before,
        after={**_summary(locked), "certificate_serial": credential.serial},
    )
    if role == "seal" and locked.supersedes_id:
        _supersede(actor, locked.supersedes_id, by=locked)
    transcript.refresh_from_db()
    return locked


def _supersede(actor: Actor, transcript_id: int, *, by: Transcript) -> None:
    old = Transcript.objects.select_for_update().get(pk=transcript_id)
    before = _summary(old)
    old.status = TranscriptStatus.SUPERSEDED
    old.save(update_fields=["status"])
    audit.record(
        actor=actor.user,
        action="transcript.supersede",
        obj=old,
        org_unit=old.school,
        before=before,
        after={**_summary(old), "superseded_by": by.pk},
        reason=by.correction_reason,
    )


@transaction.atomic
def sign_as_homeroom(*, actor: Actor, transcript: Transcript) -> Transcript:
    """The homeroom teacher's personal signature: the first of three."""
    return _sign(actor=actor, transcript=transcript, role="homeroom")


@transaction.atomic
def sign_as_principal(*, actor: Actor, transcript: Transcript) -> Transcript:
    """The principal's personal signature, after the homeroom teacher's."""
    return _sign(actor=actor, transcript=transcript, role="principal")


@transaction.atomic
def seal(*, actor: Actor, transcript: Transcript) -> Transcript:
    """The school's organisation signature (the seal), last: the version becomes immutable."""
    return _sign(actor=actor, transcript=transcript, role="seal")


SIGNERS = {"homeroom": sign_as_homeroom, "principal": sign_as_principal, "seal": seal}


# ---------------------------------------------------------------------------------------------------------------
# Whole classes


@dataclass
class BatchOutcome:
    done: int = 0
    skipped: list[str] = field(default_factory=list)  # one Vietnamese line per student left out
    queued: bool = False  # the work was handed to a background task


def _latest_per_student(school_class: SchoolClass) -> dict[int, Transcript]:
    latest: dict[int, Transcript] = {}
    rows = (
        Transcript.objects.filter(school_class=school_class)
        .select_related("student__person")
        .order_by("student_id", "-version")
    )
    for row in rows:
        latest.setdefault(row.student_id, row)
    return latest


def generate_class_transcripts(*, actor: Actor, school_class: SchoolClass) -> BatchOutcome:
    """Generate (or regenerate the drafts of) every current student of the class who has a year result."""
    if not may_generate(actor, school_class):
        raise NotPermitted(_("Chỉ giáo viên chủ nhiệm của lớp hoặc hiệu trưởng được tạo học bạ."))
    outcome = BatchOutcome()
    latest = _latest_per_student(school_class)
    members = (
        ClassMembership.objects.filter(school_class=school_class, left_on__isnull=True)
        .select_related("student__person")
        .order_by("student__person__search_name")
    )
    for membership in members:
        student = membership.student
        current = latest.get(student.pk)
        if current is not None and current.status != TranscriptStatus.DRAFT:
            continue
        try:
            generate_transcript(actor=actor, student=student, school_class=school_class)
        except DomainError as exc:
            outcome.skipped.append(f"{student.person.full_name}: {exc.message}")
        else:
            outcome.done += 1
    return outcome


def sign_class_batch(
    *, actor: Actor, school_class: SchoolClass, role: str, background: bool | None = None
) -> BatchOutcome:
    """Sign as ``role`` ("homeroom", "principal" or "seal") every latest transcript of the class ready for it.

    More than ``BACKGROUND_BATCH_SIZE`` transcripts (or ``background=True``) go to a background task after the
    checks; the outcome then says ``queued``.
    """
    if role not in STEPS:
        raise ValidationFailed(_("Vai trò ký không hợp lệ."), code="role_invalid")
    probe = Transcript(school_class=school_class, school=school_class.school)
    _check_signer(actor, probe, role)
    ready = [t for t in _latest_per_student(school_class).values() if t.status == STEPS[role].before]
    if background is None:
        background = len(ready) > BACKGROUND_BATCH_SIZE
    if background and ready:
        user_id, class_id = actor.user.pk, school_class.pk
        transaction.on_commit(lambda: sign_class_batch_task.enqueue(user_id, class_id, role))
        return BatchOutcome(done=0, queued=True)
    outcome = BatchOutcome()
    for row in ready:
        try:
            SIGNERS[role](actor=actor, transcript=row)
        except DomainError as exc:
            outcome.skipped.append(f"{row.student.person.full_name}: {exc.message}")
            if exc.code in ("no_credential", "credential_expired", "credential_unreadable", "provider_unavailable"):
                break  # the same missing certificate would refuse every other student too
        else:
            outcome.done += 1
    return outcome


@task()
def sign_class_batch_task(user_id: int, class_id: int, role: str) -> dict[str, Any]:
    """Background form of ``sign_class_batch``; idempotent: transcripts already signed are not ready any more."""
    user = get_user_model().objects.filter(pk=user_id).first()
    school_class = SchoolClass.objects.select_related("school").get(pk=class_id)
    outcome = sign_class_batch(actor=Actor(user=user), school_class=school_class, role=role, background=False)
    if outcome.skipped:
        logger.warning("Batch signing of class %s left out %s transcripts", class_id, len(outcome.skipped))
    return {"done": outcome.done, "skipped": outcome.skipped}
