"""Pages of học bạ số: the home page (staff: classes; families: their sealed học bạ), a class's transcripts with
the sign buttons of the actor's role, one transcript (signatures, versions, downloads, correction), the authority's
per-school share, and the public verification pages (``public_urlpatterns``, mounted at /v/, no log-in).

Views are thin: rows come from the selectors (already filtered by ``TranscriptPolicy``; a row the actor may not see
answers 404), writes go through the services, whose refusals are shown as messages.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from edudx.core import credentials
from edudx.core.api import Actor, DomainError, actor_for
from edudx.core.exports import Column, export_response
from edudx.core.pagination import paginate
from edudx.core.signing import VerificationResult, verify_pdf
from edudx.core.verification import checked_pdf_copy, mask_name, render_check_page, verify_stored_pdf
from edudx.registry.api import SchoolYear, Student

from ..models import Transcript, TranscriptSignature, TranscriptStatus
from ..selectors import transcripts as selectors
from ..services import transcripts as services

__all__ = [
    "class_transcripts",
    "public_urlpatterns",
    "transcript_correct",
    "transcript_detail",
    "transcript_home",
    "transcript_json",
    "transcript_pdf",
    "transcript_sign",
    "transcript_stats",
    "urlpatterns",
    "verify_lookup",
    "verify_transcript",
]

SIGN_ACTIONS = {
    "homeroom": gettext_lazy("Đã ký học bạ với vai trò giáo viên chủ nhiệm."),
    "principal": gettext_lazy("Đã ký phê duyệt học bạ."),
    "seal": gettext_lazy("Đã ký số của nhà trường: học bạ đã có hiệu lực."),
}
BATCH_ACTIONS = {"sign_homeroom_all": "homeroom", "sign_principal_all": "principal", "seal_all": "seal"}


def _home_crumb() -> tuple[str, str]:
    return (_("Học bạ số"), reverse("gradebook:transcript_home"))


def _years() -> Any:
    return SchoolYear.objects.order_by("-starts_on")


def _chosen_year(request: HttpRequest) -> SchoolYear | None:
    raw = request.GET.get("year")
    if raw and raw.isdigit():
        return SchoolYear.objects.filter(pk=int(raw)).first()
    return selectors.current_year()


def _may(actor: Actor, transcript: Transcript) -> dict[str, bool]:
    """Which buttons the actor sees on a transcript (the services check again)."""
    klass = transcript.school_class
    status = transcript.status
    has_newer = Transcript.objects.filter(
        student_id=transcript.student_id, school_class_id=klass.pk, version__gt=transcript.version
    ).exists()
    return {
        "sign_homeroom": status == TranscriptStatus.DRAFT and services.is_homeroom_teacher_of(actor, klass),
        "sign_principal": status == TranscriptStatus.TEACHER_SIGNED and services.may_sign_as_principal(actor, klass),
        "seal": status == TranscriptStatus.PRINCIPAL_SIGNED and services.may_seal(actor, klass),
        "regenerate": status == TranscriptStatus.DRAFT and services.may_generate(actor, klass),
        "correct": status == TranscriptStatus.SEALED and not has_newer and services.may_generate(actor, klass),
    }


# ---------------------------------------------------------------------------------------------------------------
# Home, classes, one transcript


@login_required
def transcript_home(request: HttpRequest) -> HttpResponse:
    actor = actor_for(request)
    year = _chosen_year(request)
    classes = selectors.transcript_classes(actor=actor, year=year)
    own = selectors.transcript_list(actor=actor, status=TranscriptStatus.SEALED).filter(
        student__in=_family_students(actor)
    )
    context = {
        "crumbs": [(_("Học bạ số"), None)],
        "year": year,
        "years": _years(),
        "own": list(own[:50]),
        "is_staff_reader": bool(actor.subtree_paths("transcript.view")) or classes.exists(),
        "can_stats": bool(actor.subtree_paths("gradestats.view")),
        **paginate(request, classes),
    }
    return render(request, "gradebook/transcripts/home.html", context)


def _family_students(actor: Actor) -> Any:
    """Students the actor is the guardian of, or is: their own học bạ, whatever their other roles."""
    person = actor.person_id
    if person is None:
        return Student.objects.none()
    return Student.objects.filter(Q(person_id=person) | Q(guardian_links__guardian_id=person)).values("pk")


def _visible_class(actor: Actor, class_id: int) -> Any:
    return get_object_or_404(selectors.transcript_classes(actor=actor), pk=class_id)


@login_required
def class_transcripts(request: HttpRequest, class_id: int) -> HttpResponseBase:
    actor = actor_for(request)
    klass = _visible_class(actor, class_id)
    if request.method == "POST":
        return _class_action(request, actor, klass)
    rows = selectors.class_rows(actor=actor, school_class=klass)
    counts: dict[str, int] = {}
    for row in rows:
        key = row.latest.status if row.latest else "none"
        counts[key] = counts.get(key, 0) + 1
    context = {
        "crumbs": [_home_crumb(), (klass.name, None)],
        "klass": klass,
        "rows": rows,
        "counts": [(_("Chưa tạo"), counts.get("none", 0))]
        + [(label, counts.get(value, 0)) for value, label in TranscriptStatus.choices if counts.get(value)],
        "can_generate": services.may_generate(actor, klass),
        "can_sign_homeroom": services.is_homeroom_teacher_of(actor, klass),
        "can_sign_principal": services.may_sign_as_principal(actor, klass),
        "can_seal": services.may_seal(actor, klass),
        "statuses": TranscriptStatus,
    }
    return render(request, "gradebook/transcripts/class.html", context)


def _class_action(request: HttpRequest, actor: Actor, klass: Any) -> HttpResponseBase:
    action = request.POST.get("action", "")
    back = reverse("gradebook:class_transcripts", args=[klass.pk])
    try:
        if action == "generate_all":
            outcome = services.generate_class_transcripts(actor=actor, school_class=klass)
        elif action == "generate":
            student = get_object_or_404(
                klass.memberships.select_related("student__person"), student_id=_int(request.POST.get("student"))
            ).student
            services.generate_transcript(actor=actor, student=student, school_class=klass)
            messages.success(request, _("Đã tạo học bạ của %(name)s.") % {"name": student.person.full_name})
            return redirect(back)
        elif action in BATCH_ACTIONS:
            outcome = services.sign_class_batch(actor=actor, school_class=klass, role=BATCH_ACTIONS[action])
        else:
            raise Http404
    except DomainError as exc:
        if exc.code == "forbidden":
            raise PermissionDenied from exc
        messages.error(request, exc.message)
        return redirect(back)
    if outcome.queued:
        messages.info(request, _("Đang ký trong nền; tải lại trang sau ít phút để xem kết quả."))
    else:
        messages.success(request, _("Đã xử lý %(n)s học bạ.") % {"n": outcome.done})
    for line in outcome.skipped[:20]:
        messages.warning(request, line)
    return redirect(back)


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


def _visible_transcript(actor: Actor, pk: int) -> Transcript:
    transcript = selectors.transcript_get(actor=actor, pk=pk)
    if transcript is None:
        raise Http404
    return transcript


@login_required
def transcript_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_for(request)
    transcript = _visible_transcript(actor, pk)
    newer = Transcript.objects.filter(supersedes=transcript).first()
    context = {
        "crumbs": [
            _home_crumb(),
            (transcript.school_class.name, _class_url(actor, transcript)),
            (transcript.student.person.full_name, None),
        ],
        "transcript": transcript,
        "signatures": selectors.transcript_signatures(transcript),
        "versions": selectors.transcript_versions(actor=actor, transcript=transcript),
        "newer": newer if newer is not None and selectors.transcript_get(actor=actor, pk=newer.pk) else None,
        "may": _may(actor, transcript),
        "verify_url": reverse("verify:transcript", args=[transcript.token]),
        "min_reason": services.MIN_REASON_LENGTH,
    }
    return render(request, "gradebook/transcripts/detail.html", context)


def _class_url(actor: Actor, transcript: Transcript) -> str | None:
    if selectors.transcript_classes(actor=actor).filter(pk=transcript.school_class_id).exists():
        return reverse("gradebook:class_transcripts", args=[transcript.school_class_id])
    return None


@login_required
@require_POST
def transcript_sign(request: HttpRequest, pk: int) -> HttpResponseBase:
    actor = actor_for(request)
    transcript = _visible_transcript(actor, pk)
    role = request.POST.get("role", "")
    if role not in services.SIGNERS:
        raise Http404
    try:
        services.SIGNERS[role](actor=actor, transcript=transcript)
    except DomainError as exc:
        if exc.code == "forbidden":
            raise PermissionDenied from exc
        messages.error(request, exc.message)
    else:
        messages.success(request, str(SIGN_ACTIONS[role]))
    return redirect("gradebook:transcript_detail", pk=transcript.pk)


class CorrectionForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Lý do đính chính"),
        min_length=services.MIN_REASON_LENGTH,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3, "class": "form-control"}),
    )


@login_required
def transcript_correct(request: HttpRequest, pk: int) -> HttpResponseBase:
    actor = actor_for(request)
    transcript = _visible_transcript(actor, pk)
    if not services.may_generate(actor, transcript.school_class):
        raise PermissionDenied
    form = CorrectionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            correction = services.correct_transcript(
                actor=actor, transcript=transcript, reason=form.cleaned_data["reason"]
            )
        except DomainError as exc:
            form.add_error("reason" if exc.code == "reason_required" else None, exc.message)
        else:
            messages.success(
                request, _("Đã lập bản đính chính phiên bản %(v)s; hãy ký lại.") % {"v": correction.version}
            )
            return redirect("gradebook:transcript_detail", pk=correction.pk)
    context = {
        "crumbs": [
            _home_crumb(),
            (transcript.student.person.full_name, reverse("gradebook:transcript_detail", args=[pk])),
            (_("Đính chính"), None),
        ],
        "transcript": transcript,
        "form": form,
    }
    return render(request, "gradebook/transcripts/correct.html", context)


def _filename(transcript: Transcript, extension: str) -> str:
    return f"hoc-ba-{transcript.student.moet_code}-{transcript.year.code}-v{transcript.version}.{extension}"


@login_required
def transcript_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    transcript = _visible_transcript(actor_for(request), pk)
    response = HttpResponse(bytes(transcript.pdf), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{_filename(transcript, "pdf")}"'
    response["Cache-Control"] = "no-store, private"
    return response


@login_required
def transcript_json(request: HttpRequest, pk: int) -> HttpResponse:
    transcript = _visible_transcript(actor_for(request), pk)
    document = {**transcript.data, "transcript": {"version": transcript.version, "status": transcript.status,
                                                  "sha256_pdf": transcript.sha256, "verification_code": transcript.token}}  # fmt: skip
    response = JsonResponse(document, json_dumps_params={"ensure_ascii": False, "indent": 2})
    response["Content-Disposition"] = f'attachment; filename="{_filename(transcript, "json")}"'
    response["Cache-Control"] = "no-store, private"
    return response


@login_required
def transcript_stats(request: HttpRequest) -> HttpResponseBase:
    actor = actor_for(request)
    if not actor.subtree_paths("gradestats.view"):
        raise PermissionDenied
    year = _chosen_year(request)
    shares = selectors.share_by_school(actor=actor, year=year)
    columns = [
        Column(_("Trường"), lambda s: s.school.name, 40),
        Column(_("Học sinh có kết quả cả năm"), lambda s: s.students),
        Column(_("Học bạ đã ký số hoàn tất"), lambda s: s.sealed),
        Column(_("Tỉ lệ (%)"), lambda s: s.percent),
    ]
    exported = export_response(request, shares, columns, f"hoc-ba-so-{year.code if year else ''}")
    if exported is not None:
        return exported
    total_students = sum(s.students for s in shares)
    total_sealed = sum(s.sealed for s in shares)
    context = {
        "crumbs": [_home_crumb(), (_("Tỉ lệ học bạ số đã ký"), None)],
        "year": year,
        "years": _years(),
        "shares": shares,
        "total": selectors.SchoolShare(school=None, sealed=total_sealed, students=total_students),  # type: ignore[arg-type]
        "query_without_page": request.GET.urlencode(),
    }
    return render(request, "gradebook/transcripts/stats.html", context)


urlpatterns: list[URLPattern] = [
    path("transcripts/", transcript_home, name="transcript_home"),
    path("transcripts/stats/", transcript_stats, name="transcript_stats"),
    path("transcripts/class/<int:class_id>/", class_transcripts, name="class_transcripts"),
    path("transcripts/<int:pk>/", transcript_detail, name="transcript_detail"),
    path("transcripts/<int:pk>/sign/", transcript_sign, name="transcript_sign"),
    path("transcripts/<int:pk>/correct/", transcript_correct, name="transcript_correct"),
    path("transcripts/<int:pk>/pdf/", transcript_pdf, name="transcript_pdf"),
    path("transcripts/<int:pk>/json/", transcript_json, name="transcript_json"),
]


# ---------------------------------------------------------------------------------------------------------------
# Public verification (no log-in)


class UploadForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("Tệp PDF học bạ"))

    def clean_file(self) -> Any:
        return checked_pdf_copy(self.cleaned_data["file"], what=_("học bạ"))


ROLE_LABELS = dict(TranscriptSignature.ROLE_CHOICES)


def _stored_report(transcript: Transcript) -> VerificationResult:
    """The check of the stored file, cached for an hour (``core.verification``)."""
    return verify_stored_pdf(bytes(transcript.pdf), transcript.sha256, namespace="transcript")


def _public_context(transcript: Transcript) -> dict[str, Any]:
    person = transcript.student.person
    stored = _stored_report(transcript)
    signatures = list(transcript.signatures.order_by("signed_at", "id"))
    newer = Transcript.objects.filter(supersedes=transcript).first()
    in_force = transcript.status == TranscriptStatus.SEALED and stored.valid
    return {
        "transcript": transcript,
        "masked_name": mask_name(person.full_name),
        "birth_year": person.date_of_birth.year if person.date_of_birth else None,
        "signatures": [
            {
                "role": ROLE_LABELS.get(s.role, s.role),
                "name": s.signer_name,
                "at": s.signed_at,
                "serial": s.certificate_serial,
            }
            for s in signatures
        ],
        "report": stored,
        "in_force": in_force,
        "newer": newer if newer is not None and newer.status == TranscriptStatus.SEALED else None,
        "pending_newer": newer is not None and newer.status != TranscriptStatus.SEALED,
    }


def _check_upload(transcript: Transcript, data: bytes) -> dict[str, Any]:
    digest = hashlib.sha256(data).hexdigest()
    report = verify_pdf(data, credentials.trust_roots())
    reasons: list[str] = []
    same = digest == transcript.sha256
    if not same:
        earlier = transcript.signatures.filter(sha256_after=digest).first()
        if earlier is not None:
            reasons.append(
                _("Đây là bản trung gian (sau chữ ký của %(role)s), chưa phải bản cuối cùng đã lưu.")
                % {"role": ROLE_LABELS.get(earlier.role, earlier.role)}
            )
        else:
            reasons.append(
                _("Tệp khác với bản học bạ đã lưu: mã băm SHA-256 không khớp (tệp đã bị sửa hoặc là tệp khác).")
            )
    reasons.extend(report.problems)
    if transcript.status != TranscriptStatus.SEALED:
        reasons.append(
            _("Học bạ này hiện không có hiệu lực (trạng thái: %(status)s).")
            % {"status": transcript.get_status_display()}
        )
    return {
        "valid": same and report.valid and transcript.status == TranscriptStatus.SEALED,
        "sha256": digest,
        "reasons": reasons,
    }


def verify_transcript(request: HttpRequest, token: str) -> HttpResponse:
    transcript = selectors.transcript_by_token(token)
    if transcript is None:
        raise Http404
    form = UploadForm(request.POST or None, request.FILES or None)
    upload_result = None
    if request.method == "POST" and form.is_valid():
        upload_result = _check_upload(transcript, form.cleaned_data["file"].read())
    context = {**_public_context(transcript), "form": form, "upload": upload_result}
    return render_check_page(request, "gradebook/transcripts/verify.html", context)


def verify_lookup(request: HttpRequest) -> HttpResponseBase:
    code = (request.GET.get("code") or "").strip()
    not_found = False
    if code:
        transcript = selectors.transcript_by_token(code)
        if transcript is not None:
            return redirect("verify:transcript", token=transcript.token)
        not_found = True
    return render(request, "gradebook/transcripts/lookup.html", {"code": code, "not_found": not_found})


public_urlpatterns: list[URLPattern] = [
    path("", verify_lookup, name="lookup"),
    path("<str:token>/", verify_transcript, name="transcript"),
]
