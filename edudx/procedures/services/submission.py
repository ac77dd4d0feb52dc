"""Submitting a dossier (nộp hồ sơ): online by the applicant, or typed in at the counter by the desk officer.

``submit_dossier`` is all-or-nothing. Everything that can be refused is checked *before* the dossier code is taken
(the form against the procedure version in force, the pupil, the receiving unit, every component and every file),
and the code, the dossier, its files, its first event, the fee bill and the audit event are written in one
transaction: a refusal stores nothing and gives the day's sequence number back. The applicant is told the code and
the tracking link only after the transaction commits.

Cost: a submission reads the applicant's person and children once (``prefill.applicant_records``: the
guardian-link policy chooses the links, one statement reads them with pupil, school and class) and passes them to
the pupil check, the prefill and the form validation; the procedure in force and the receiving desk come from the
reference cache. Inside the transaction the day's number is taken first (the unit's sequence row stays locked to the
commit), the dossier is inserted with it, and everything that needs nothing back — files, first event, the audit
event with the chain head's move, the applicant's notices — goes as one ``WriteBatch`` (one statement on
PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from edudx.core.api import (
    Actor,
    NotPermitted,
    OrgUnit,
    ValidationFailed,
    WriteBatch,
    audit,
    insert_object,
    policy_for,
)
from edudx.registry.api import Student

from .. import notifications, prefill, reference_cache
from ..catalogue import ComponentForm, OnlineLevel, Procedure, ResultDelivery, SubmissionChannel
from ..catalogue_store import procedure_from_data
from ..forms_schema import FieldType, FormDefinition, normalise_phone, phone_errors, validate_submission
from ..models import Dossier, DossierEvent, DossierFile, FileRole, ProcedureVersion, ServiceDesk
from ..states import INITIAL_STATE, ActorKind
from ..uploads import CheckedFile, check_upload
from ..workdays import VIETNAM_TIMEZONE
from .codes import desk_for, next_code

MAX_FILES_PER_COMPONENT = 10
MAX_FILES_PER_DOSSIER = 30
REUSED_CONTENT_TYPE = "application/json"


def is_application_component(procedure: Procedure, name: str) -> bool:
    """The application itself (đơn, tờ khai) is the online form when the procedure has one: no file is asked."""
    lowered = name.strip().lower()
    return procedure.application_form is not None and lowered.startswith(("đơn", "tờ khai"))


def components_to_upload(procedure: Procedure) -> list[Any]:
    """Components the applicant gives as files (not only shown at the counter, not the online form itself)."""
    return [
        c
        for c in procedure.components
        if c.form != ComponentForm.SHOWN and not is_application_component(procedure, c.name)
    ]


def _json_ready(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def tracking_url(code: str) -> str:
    base = getattr(settings, "PUBLIC_BASE_URL", "")
    return f"{base}{reverse('procedures:dossier_track', args=[code])}"


def _refuse_fields(problems: dict[str, list[str]]) -> ValidationFailed:
    messages = [m for field_messages in problems.values() for m in field_messages]
    return ValidationFailed(" ".join(messages), code="invalid_submission", details=problems)


def _version_in_force(procedure_key: str, day: dt.date) -> ProcedureVersion:
    version = reference_cache.procedure_in_force(procedure_key, day)
    if version is None:
        raise ValidationFailed(
            _("Thủ tục «%(key)s» không có hoặc không còn áp dụng.") % {"key": procedure_key}, code="no_procedure"
        )
    return version


def _student_for(
    actor: Actor,
    *,
    counter: bool,
    student_id: int | None,
    moet_code: str | None,
    children: Sequence[prefill.ChildRecord] = (),
) -> tuple[prefill.ChildRecord | None, dict[str, list[str]]]:
    """The pupil the dossier is about: one of the applicant's ``children``, or (at the counter) any pupil the desk
    officer may see. A field error (never a hint that the pupil exists) for anything else."""
    if student_id is None and not moet_code:
        return None, {}
    if not counter:
        for child in children:
            if (student_id is not None and child.student_id == student_id) or (
                moet_code and child.moet_code == moet_code
            ):
                return child, {}
        return None, {"student": [prefill.not_their_child().message]}
    qs = policy_for(Student).visible(actor).select_related("person", "school")
    student = (qs.filter(pk=student_id) if student_id is not None else qs.filter(moet_code=moet_code)).first()
    if student is None:
        return None, {"student": [_("Không tìm thấy học sinh có mã này trong cơ sở dữ liệu ngành.")]}
    return prefill.record_of_student(student), {}


def _choose_unit(
    actor: Actor, *, unit: OrgUnit | None, student: prefill.ChildRecord | None, counter: bool, day: dt.date
) -> tuple[OrgUnit, ServiceDesk]:
    """The receiving unit (the one chosen, or the nearest above the pupil's school with a desk) and its desk of
    ``day``, whose sequence numbers the dossier."""
    if unit is None and student is not None:
        desk = reference_cache.desk_above(student.school_id, student.school_path, day)
        if desk is None:
            raise ValidationFailed(
                _("Chưa có Bộ phận Một cửa tiếp nhận hồ sơ của học sinh trường %(school)s.")
                % {"school": student.school_name},
                code="no_desk",
            )
        unit = desk.org_unit
    elif unit is None:
        raise ValidationFailed(
            _("Vui lòng chọn cơ quan tiếp nhận hồ sơ."), code="unit_required", details={"unit": [_("Bắt buộc.")]}
        )
    else:
        desk = desk_for(unit, day)  # raises the "no desk" message naming the unit
    if counter and not actor.can_in("dossier.receive", unit):
        raise NotPermitted(_("Bạn không có quyền tiếp nhận hồ sơ cho đơn vị này."))
    return unit, desk


def components_to_scan_at_counter(procedure: Procedure) -> list[Any]:
    """At the counter the paper application (đơn, tờ khai) is scanned too, so that the whole dossier is digitised:
    the components an applicant uploads online first (their positions stay those of ``components_to_upload``),
    then the application. Its scan is optional: the desk officer types the form in."""
    return components_to_upload(procedure) + [
        c for c in procedure.components if c.form != ComponentForm.SHOWN and is_application_component(procedure, c.name)
    ]


def _check_files(
    procedure: Procedure,
    definition: FormDefinition | None,
    files: Mapping[str, Sequence[Any]],
    reused: set[str],
    problems: dict[str, list[str]],
    *,
    counter: bool = False,
) -> dict[str, list[CheckedFile]]:
    """Every uploaded file checked, by component name (or FILE field key); missing required components noted."""
    file_fields = {f.key for f in definition.fields if f.type == FieldType.FILE} if definition else set()
    given = components_to_scan_at_counter(procedure) if counter else components_to_upload(procedure)
    known = {c.name for c in given} | file_fields
    checked: dict[str, list[CheckedFile]] = {}
    total = 0
    for name, uploads in files.items():
        uploads = [u for u in uploads if u is not None]
        if not uploads:
            continue
        if name not in known:
            problems.setdefault("__all__", []).append(
                _("Thủ tục này không có thành phần hồ sơ «%(name)s».") % {"name": name}
            )
            continue
        if len(uploads) > MAX_FILES_PER_COMPONENT:
            problems.setdefault(name, []).append(
                _("«%(name)s»: tối đa %(max)s tệp.") % {"name": name, "max": MAX_FILES_PER_COMPONENT}
            )
            continue
        total += len(uploads)
        for upload in uploads:
            try:
                checked.setdefault(name, []).append(check_upload(upload))
            except ValidationFailed as exc:
                problems.setdefault(name, []).append(exc.message)
    if total > MAX_FILES_PER_DOSSIER:
        problems.setdefault("__all__", []).append(
            _("Một hồ sơ có tối đa %(max)s tệp đính kèm.") % {"max": MAX_FILES_PER_DOSSIER}
        )
    for component in components_to_upload(procedure):
        if component.required and component.name not in checked and component.name not in reused:
            if component.name not in problems:
                problems[component.name] = [
                    _("Thiếu thành phần hồ sơ «%(name)s»: vui lòng đính kèm tệp.") % {"name": component.name}
                ]
    return checked


def submit_dossier(
    actor: Actor,
    procedure_key: str,
    *,
    form_data: Mapping[str, Any],
    files: Mapping[str, Sequence[Any]] | None = None,
    channel: str = SubmissionChannel.ONLINE,
    unit: OrgUnit | None = None,
    student_id: int | None = None,
    applicant_name: str = "",
    applicant_phone: str = "",
    applicant_email: str = "",
    applicant_address: str = "",
    result_delivery: str | None = None,
    on_behalf: bool = False,
    now: dt.datetime | None = None,
    reused_components: Iterable[str] = (),
) -> Dossier:
    """Store a new dossier in state SUBMITTED and return it; ``ValidationFailed`` (``details`` per field or
    component) or ``NotPermitted`` with nothing stored otherwise.

    ``files`` maps a component's name (or a FILE field's key) to its uploaded files. Online, the applicant is
    ``actor``; at the counter (``channel=COUNTER``, ``on_behalf=True``) ``actor`` is the desk officer and the
    applicant's name and contact are typed in. ``reused_components`` are components taken from platform data.
    """
    now = now or timezone.now()
    day = now.astimezone(VIETNAM_TIMEZONE).date()
    files = files or {}
    counter = channel == SubmissionChannel.COUNTER
    if not actor.is_authenticated:
        raise NotPermitted(_("Vui lòng đăng nhập để nộp hồ sơ."))
    if on_behalf and not counter:
        raise ValidationFailed(_("Chỉ hồ sơ tiếp nhận tại Bộ phận Một cửa mới được nhập thay người nộp."))
    # At the counter the desk officer types the dossier in for the applicant (who may have no account).
    on_behalf = on_behalf or counter
    if counter and (unit is None or not actor.can_in("dossier.receive", unit)):
        raise NotPermitted(_("Bạn không có quyền tiếp nhận hồ sơ cho đơn vị này."))
    if channel not in SubmissionChannel.values:
        raise ValidationFailed(_("Kênh nộp hồ sơ không hợp lệ."), code="bad_channel")

    version = _version_in_force(procedure_key, day)
    procedure = procedure_from_data(version.data)
    if channel == SubmissionChannel.ONLINE and procedure.online_level == OnlineLevel.NONE:
        raise ValidationFailed(
            _("Thủ tục «%(name)s» chưa nhận hồ sơ trực tuyến; vui lòng nộp tại Bộ phận Một cửa.")
            % {"name": procedure.name},
            code="not_online",
        )
    definition = procedure.application_form
    problems: dict[str, list[str]] = {}

    # The pupil: from the form's STUDENT field, or the id the page chose.
    data = dict(form_data)
    pupil_key = prefill.student_field(definition)
    moet_code = str(data.get(pupil_key) or "").strip() if pupil_key else ""
    # The applicant's own person and children with their classes, read once (the guardian-link policy chooses the
    # links) for the pupil, the prefill and the form.
    applicant_records = None if counter else prefill.applicant_records(actor)
    children = applicant_records.children if applicant_records is not None else []
    student, student_problems = _student_for(
        actor, counter=counter, student_id=student_id, moet_code=moet_code or None, children=children
    )
    if student is not None and pupil_key:
        if moet_code and moet_code != student.moet_code:
            student_problems = {pupil_key: [_("Học sinh đã chọn không khớp với mã học sinh trong tờ khai.")]}
        data[pupil_key] = student.moet_code
    for key, messages in student_problems.items():
        problems[pupil_key if key == "student" and pupil_key else key] = messages

    # The once-only principle: what the platform knows fills the form (never trusted from the page).
    prefilled: list[str] = []
    if definition is not None and not counter:
        known = prefill.resolve(actor, child=student, person=applicant_records.person if applicant_records else None)
        data, prefilled = prefill.merge(definition, data, known)

    reusable = set(prefill.reusable_components(procedure, student))
    reused = set(reused_components)
    for name in sorted(reused - reusable):
        problems.setdefault("__all__", []).append(
            _("Thành phần «%(name)s» không lấy được từ dữ liệu sẵn có; vui lòng đính kèm tệp.") % {"name": name}
        )
    reused &= reusable

    checked = _check_files(procedure, definition, files, reused, problems, counter=counter)
    cleaned: dict[str, Any] = {}
    if definition is not None:
        for f in definition.fields:
            if f.type == FieldType.FILE and f.key in checked:
                data[f.key] = ", ".join(c.filename for c in checked[f.key])
        known_students = None if counter else [s.moet_code for s in children]
        try:
            cleaned = validate_submission(definition, data, known_students=known_students)
        except ValidationFailed as exc:
            details = exc.details if isinstance(exc.details, dict) else {}
            for key, messages in details.items():
                problems.setdefault(key, []).extend(messages)
    elif data:
        problems.setdefault("__all__", []).append(_("Thủ tục này không có tờ khai trực tuyến."))

    applicant = _applicant(actor, definition, cleaned, on_behalf, applicant_name, applicant_phone, applicant_email,
                           applicant_address, problems)  # fmt: skip
    delivery = result_delivery or str(cleaned.get("result_delivery") or "") or ResultDelivery.ONLINE
    if delivery not in ResultDelivery.values:
        problems.setdefault("result_delivery", []).append(_("Hình thức nhận kết quả không hợp lệ."))
    if problems:
        raise _refuse_fields(problems)
    receiving, desk = _choose_unit(actor, unit=unit, student=student, counter=counter, day=day)

    # Every row is built before the transaction. Inside it the day's number is taken first — the sequence row of the
    # unit stays locked to the commit, so concurrent submissions to the unit queue there and a rollback gives the
    # number back — and the dossier is stored with its code in one insert, then its files, its first event, the
    # audit event (the chain head, the other queue) and the applicant's copies of the notice, all in a few short
    # statements before the commit.
    fee = procedure.fee.amount_vnd if procedure.fee else 0
    dossier = Dossier(
        code="",  # the day's number, taken inside the transaction
        procedure=version,
        org_unit=receiving,
        channel=channel,
        result_delivery=delivery,
        state=INITIAL_STATE,
        applicant=None if on_behalf else actor.user,
        student_id=student.student_id if student is not None else None,
        form_data={key: _json_ready(value) for key, value in cleaned.items()},
        prefilled_fields=prefilled,
        submitted_at=now,
        fully_online=channel == SubmissionChannel.ONLINE and procedure.online_level == OnlineLevel.FULL,
        fee_vnd=fee,
        **applicant,
    )
    rows, stored = _file_rows(dossier, checked, actor)
    rows += [_reused_row(dossier, name, student, actor, now) for name in sorted(reused)]
    first_event = DossierEvent(
        dossier=dossier,
        action="",
        from_state="",
        to_state=INITIAL_STATE,
        actor=actor.user,
        actor_kind=ActorKind.DESK if counter else ActorKind.CITIZEN,
        at=now,
        note=_("Nộp hồ sơ trực tuyến") if channel == SubmissionChannel.ONLINE else _("Nhận hồ sơ tại Bộ phận Một cửa"),
    )
    with transaction.atomic():
        dossier.code = next_code(receiving, now, desk=desk)
        # A plain INSERT instead of the ORM's insert compiler; only the dossier's id is read back.
        insert_object(dossier)
        # The rest needs nothing back and goes as one batch (one statement on PostgreSQL): the files, the first
        # event, the audit event with the chain head's move (the head is locked here), the applicant's notices.
        writes = WriteBatch()
        writes.add_objects(rows)
        writes.add_objects([first_event])
        if fee > 0:
            dossier.bill_reference = _issue_bill(actor, dossier, procedure)
            Dossier.objects.filter(pk=dossier.pk).update(bill_reference=dossier.bill_reference)
        audit.record(
            actor=actor.user,
            action="dossier.submit",
            obj=dossier,
            org_unit=receiving,
            after={
                "code": dossier.code,
                "procedure": version.key,
                "procedure_version": version.version,
                "channel": channel,
                "applicant_id": dossier.applicant_id,
                "student_id": dossier.student_id,
                "files": stored,
                "reused": sorted(reused),
                "prefilled_fields": prefilled,
                "fee_vnd": fee,
                "bill_reference": dossier.bill_reference,
            },
            batch=writes,
        )
        notify_submitted(dossier, batch=writes)  # kept with the dossier, sent once it commits
        writes.run()
    return dossier


def _applicant(
    actor: Actor,
    definition: FormDefinition | None,
    cleaned: Mapping[str, Any],
    on_behalf: bool,
    name: str,
    phone: str,
    email: str,
    address: str,
    problems: dict[str, list[str]],
) -> dict[str, str]:
    """Who submits and how to reach them: typed at the counter; online, from the form or the account."""
    by_source: dict[str, Any] = {}
    if definition is not None:
        by_source = {f.prefill: cleaned.get(f.key) for f in definition.fields if f.prefill.startswith("guardian.")}
    if not on_behalf:
        user = actor.user
        name = name or str(by_source.get("guardian.full_name") or "") or user.get_full_name() or user.get_username()
        phone = phone or str(by_source.get("guardian.phone") or "") or getattr(user, "phone", "")
        email = email or str(by_source.get("guardian.email") or "") or user.email
        address = address or str(by_source.get("guardian.address") or "")
    name, phone, email, address = (" ".join((name or "").split()), (phone or "").strip(), (email or "").strip(),
                                   (address or "").strip())  # fmt: skip
    if not name:
        problems.setdefault("applicant_name", []).append(_("Vui lòng nhập họ và tên người nộp hồ sơ."))
    if phone:
        phone_problems = phone_errors(phone)
        if phone_problems:
            problems.setdefault("applicant_phone", []).extend(phone_problems)
        phone = normalise_phone(phone)
    if on_behalf and not phone and not email:
        problems.setdefault("applicant_phone", []).append(
            _("Vui lòng nhập số điện thoại hoặc thư điện tử để báo kết quả cho người nộp.")
        )
    return {
        "applicant_name": name[:255],
        "applicant_phone": phone[:20],
        "applicant_email": email[:254],
        "applicant_address": address[:255],
    }


def _file_rows(
    dossier: Dossier,
    checked: Mapping[str, list[CheckedFile]],
    actor: Actor,
    *,
    role: str = FileRole.COMPONENT,
    digitised: bool = False,
) -> tuple[list[DossierFile], list[dict[str, Any]]]:
    """The rows of checked files (not saved) and their description for the audit event."""
    rows: list[DossierFile] = []
    stored: list[dict[str, Any]] = []
    for component, files in checked.items():
        for f in files:
            rows.append(
                DossierFile(
                    dossier=dossier,
                    role=role,
                    component=component,
                    filename=f.filename,
                    content_type=f.content_type,
                    size=f.size,
                    sha256=f.sha256,
                    content=f.content,
                    digitised=digitised,
                    uploaded_by=actor.user,
                )
            )
            stored.append({"component": component, "filename": f.filename, "sha256": f.sha256, "size": f.size})
    return rows, stored


def _store_files(
    dossier: Dossier,
    checked: Mapping[str, list[CheckedFile]],
    actor: Actor,
    *,
    role: str = FileRole.COMPONENT,
    digitised: bool = False,
) -> list[dict[str, Any]]:
    """Store checked files of a saved dossier in one statement; their description for the audit event."""
    rows, stored = _file_rows(dossier, checked, actor, role=role, digitised=digitised)
    DossierFile.objects.bulk_create(rows)
    return stored


def _reused_row(
    dossier: Dossier, name: str, student: prefill.ChildRecord | None, actor: Actor, now: dt.datetime
) -> DossierFile:
    """A component taken from platform data: a reference the handler follows, not a copy of the record."""
    source = prefill.REUSABLE_FOR_STUDENT[name]
    reference = {
        "source": source,
        "component": name,
        "student_moet_code": student.moet_code if student else "",
        "school": student.school_name if student else "",
        "taken_at": now.isoformat(),
    }
    content = json.dumps(reference, ensure_ascii=False, sort_keys=True).encode()
    return DossierFile(
        dossier=dossier,
        role=FileRole.COMPONENT,
        component=name,
        filename=f"{source}.json",
        content_type=REUSED_CONTENT_TYPE,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        content=content,
        reused=True,
        uploaded_by=actor.user,
    )


def _payments_issue_bill() -> Any:
    from edudx.payments import api as payments_api

    return payments_api.issue_bill


def _issue_bill(actor: Actor, dossier: Dossier, procedure: Procedure) -> str:
    """The fee bill (payments app); its reference is kept on the dossier for the payment hook."""
    fee = procedure.fee
    assert fee is not None
    line = _("%(kind)s thủ tục «%(name)s»") % {"kind": fee.kind.label, "name": procedure.name}
    bill = _payments_issue_bill()(
        actor=actor,
        org_unit=dossier.org_unit,
        payer_user=dossier.applicant,
        payer_name=dossier.applicant_name,
        purpose=_("Phí, lệ phí hồ sơ %(code)s") % {"code": dossier.code},
        lines=[(line[:255], fee.amount_vnd)],
        source=f"procedures.dossier:{dossier.pk}",
    )
    return str(bill.reference)


def notify_submitted(dossier: Dossier | int, *, batch: WriteBatch | None = None) -> None:
    """Tell the applicant the code and where to follow the dossier: the copies are written in the caller's
    transaction and the messages leave once it commits. The dossier just stored is passed as it is (its procedure
    loaded): reading it again would only cost a query."""
    if not isinstance(dossier, Dossier):
        dossier = Dossier.objects.select_related("procedure").get(pk=dossier)
    subject = _("Hồ sơ %(code)s") % {"code": dossier.code}
    body = _("Hồ sơ «%(procedure)s» đã được nộp, mã hồ sơ %(code)s. Theo dõi tình trạng hồ sơ tại: %(url)s") % {
        "procedure": dossier.procedure.name,
        "code": dossier.code,
        "url": tracking_url(dossier.code),
    }
    if dossier.fee_vnd and dossier.bill_reference:
        body += " " + _("Lệ phí %(amount)s đồng; mã thanh toán %(reference)s.") % {
            "amount": f"{dossier.fee_vnd:,}".replace(",", "."),
            "reference": dossier.bill_reference,
        }
    notifications.queue_for_applicant(dossier, subject, body, batch=batch)
