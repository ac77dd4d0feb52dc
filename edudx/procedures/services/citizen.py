"""What an applicant does with their dossier after submitting it: supplement it when asked, withdraw it, rate it.

State changes go through ``workflow.apply_action`` as ``ActorKind.CITIZEN`` (which checks that the actor is the
applicant); the supplement's files are stored in the same transaction, so a refused step stores no file.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from edudx.core.api import Actor, NotPermitted, ValidationFailed, audit, policy_for

from ..models import Dossier, DossierEvent, DossierFile, FileRole
from ..states import ActorKind, DossierAction, DossierState
from ..uploads import CheckedFile, check_upload
from .submission import MAX_FILES_PER_COMPONENT, _store_files, components_to_upload
from .workflow import Step, apply_action, procedure_of

OTHER_COMPONENT = "__other__"  # a supplement file that answers the request without being a listed component
MAX_COMMENT = 1000


def _own_dossier(actor: Actor, dossier_id: int, *, lock: bool = False) -> Dossier:
    """The actor's own dossier; "not found" for a missing one and anyone else's alike."""
    if not actor.is_authenticated:
        raise NotPermitted(_("Không tìm thấy hồ sơ hoặc bạn không có quyền xem hồ sơ này."))
    qs = policy_for(Dossier).visible(actor).filter(applicant_id=actor.user.pk)
    dossier = (
        (Dossier.objects.select_for_update() if lock else Dossier.objects)
        .filter(pk__in=qs.values("pk"), pk=dossier_id)
        .select_related("procedure", "org_unit")
        .first()
    )
    if dossier is None:
        raise NotPermitted(_("Không tìm thấy hồ sơ hoặc bạn không có quyền xem hồ sơ này."))
    return dossier


def supplement_components(dossier: Dossier) -> list[str]:
    """The names a supplement file may be given under: the procedure's components, then "other"."""
    return [c.name for c in components_to_upload(procedure_of(dossier))]


@transaction.atomic
def dossier_supplement(
    *,
    actor: Actor,
    dossier_id: int,
    files: Mapping[str, Sequence[Any]],
    note: str = "",
    expected_version: int | None = None,
    now: dt.datetime | None = None,
) -> DossierEvent:
    """Answer a supplement (or completion) request with files and a note, then hand the dossier back.

    A new file for a component supersedes the earlier files of that component (they are kept, marked).
    """
    now = now or timezone.now()
    dossier = _own_dossier(actor, dossier_id, lock=True)
    if dossier.state not in (DossierState.SUPPLEMENT_REQUESTED, DossierState.NEEDS_COMPLETION):
        raise ValidationFailed(_("Hồ sơ %(code)s không ở trạng thái chờ bổ sung.") % {"code": dossier.code})
    allowed = set(supplement_components(dossier)) | {OTHER_COMPONENT}
    problems: dict[str, list[str]] = {}
    checked: dict[str, list[CheckedFile]] = {}
    for name, uploads in files.items():
        uploads = [u for u in uploads if u is not None]
        if not uploads:
            continue
        if name not in allowed:
            problems.setdefault("__all__", []).append(
                _("Thủ tục này không có thành phần hồ sơ «%(name)s».") % {"name": name}
            )
            continue
        if len(uploads) > MAX_FILES_PER_COMPONENT:
            problems.setdefault(name, []).append(_("Tối đa %(max)s tệp.") % {"max": MAX_FILES_PER_COMPONENT})
            continue
        for upload in uploads:
            try:
                checked.setdefault(name, []).append(check_upload(upload))
            except ValidationFailed as exc:
                problems.setdefault(name, []).append(exc.message)
    note = (note or "").strip()
    if not checked and not note:
        problems.setdefault("__all__", []).append(_("Vui lòng đính kèm tệp bổ sung hoặc ghi nội dung bổ sung."))
    if len(note) > 2000:
        problems.setdefault("note", []).append(_("Nội dung bổ sung tối đa 2000 ký tự."))
    if problems:
        messages = [m for ms in problems.values() for m in ms]
        raise ValidationFailed(" ".join(messages), code="invalid_supplement", details=problems)
    replaced = [name for name in checked if name != OTHER_COMPONENT]
    if replaced:
        DossierFile.objects.filter(
            dossier=dossier, role__in=[FileRole.COMPONENT, FileRole.SUPPLEMENT], component__in=replaced
        ).update(superseded=True)
    stored = _store_files(
        dossier,
        {("" if name == OTHER_COMPONENT else name): files_ for name, files_ in checked.items()},
        actor,
        role=FileRole.SUPPLEMENT,
    )
    event = apply_action(
        actor,
        dossier.pk,
        Step(
            action=DossierAction.SUBMIT_SUPPLEMENT,
            as_kind=ActorKind.CITIZEN,
            note=note or _("Đã nộp bổ sung %(count)s tệp.") % {"count": len(stored)},
            expected_version=expected_version,
            data={"files": stored},
        ),
        now=now,
    )
    return event


def dossier_withdraw(
    *, actor: Actor, dossier_id: int, reason: str = "", expected_version: int | None = None
) -> DossierEvent:
    """Withdraw one's own dossier (allowed before approval; the state machine says when)."""
    dossier = _own_dossier(actor, dossier_id)
    return apply_action(
        actor,
        dossier.pk,
        Step(
            action=DossierAction.WITHDRAW,
            as_kind=ActorKind.CITIZEN,
            note=(reason or "").strip()[:1000] or _("Người nộp rút hồ sơ."),
            expected_version=expected_version,
        ),
    )


@transaction.atomic
def dossier_rate(
    *, actor: Actor, dossier_id: int, rating: int, comment: str = "", now: dt.datetime | None = None
) -> Dossier:
    """Rate satisfaction (1–5) once, after the result was issued."""
    now = now or timezone.now()
    dossier = _own_dossier(actor, dossier_id, lock=True)
    if dossier.state != DossierState.RESULT_ISSUED:
        raise ValidationFailed(
            _("Chỉ đánh giá được sau khi hồ sơ đã có kết quả."), code="not_rateable", details={"rating": []}
        )
    if dossier.rated_at is not None:
        raise ValidationFailed(_("Hồ sơ %(code)s đã được đánh giá.") % {"code": dossier.code}, code="already_rated")
    if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5:
        raise ValidationFailed(
            _("Mức độ hài lòng là một số từ 1 đến 5."),
            code="bad_rating",
            details={"rating": [_("Chọn từ 1 đến 5 sao.")]},
        )
    comment = (comment or "").strip()
    if len(comment) > MAX_COMMENT:
        raise ValidationFailed(
            _("Góp ý tối đa %(max)s ký tự.") % {"max": MAX_COMMENT}, details={"comment": [_("Quá dài.")]}
        )
    dossier.rating, dossier.rating_comment, dossier.rated_at = rating, comment, now
    dossier.save(update_fields=["rating", "rating_comment", "rated_at", "updated_at"])
    DossierEvent.objects.create(
        dossier=dossier,
        action="",
        from_state=dossier.state,
        to_state=dossier.state,
        actor=actor.user,
        actor_kind=ActorKind.CITIZEN,
        at=now,
        note=_("Đánh giá mức độ hài lòng: %(rating)s/5.") % {"rating": rating},
        data={"rating": rating},
    )
    audit.record(
        actor=actor.user,
        action="dossier.rate",
        obj=dossier,
        org_unit=dossier.org_unit,
        after={"rating": rating, "comment": comment},
    )
    return dossier
