"""The catalogue of education procedures (thủ tục hành chính) as dated data. Pure data and functions.

Each ``Procedure`` is one version of a procedure, in force from ``valid_from`` to ``valid_to`` (inclusive; ``None``
while current): a new decree or a new công bố decision is a new version, never an edit, and a dossier keeps the
version it was received under (administration notes §0, "design consequence"). A version holds what the one-stop
desk and the portal need: name, mã TTHC, legal basis, competent authority, required components (original or copy,
how many), the application form (``forms_schema``), the time limit in working days, the fee, the online level,
the result.

``SEED_PROCEDURES`` are the education procedures at ward level after the 2025 reform (notes §3.8). The notes give
the authority with confidence (Nghị định 142/2025/NĐ-CP) but few time limits, fees, components or codes; every
value taken from a secondary source or from memory is named in ``unconfirmed_fields`` so that screens show it as
"chờ xác nhận" until the office checks it against the province's công bố decision and the national TTHC database.
**No mã TTHC is invented**: ``code`` is ``None`` where the code is not known. The catalogue is seed data for the
table the next layer builds; the office edits the table, not this module.

Not seeded: "cấp bằng tốt nghiệp THCS" — abolished by the amended Luật Giáo dục (passed 10/12/2025; effective date
not found); copies and corrections of diplomas already issued stay.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields
from itertools import combinations

from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from edudx.core.errors import ValidationFailed

from .forms_schema import Choice, FieldType, FormDefinition, FormField, definition_errors

# Codes of the national TTHC database look like 2.002481 (a level digit, a dot, six digits) [secondary source].
PROCEDURE_CODE = re.compile(r"\d\.\d{6}")
_KEY = re.compile(r"[a-z][a-z0-9_]{0,79}")
MAX_PROCESSING_DAYS = 90
EDUCATION_SECTOR = "Giáo dục và Đào tạo"
REFORM_DATE = dt.date(2025, 7, 1)  # two-tier local government; NĐ 142/2025/NĐ-CP in force


class AuthorityLevel(models.TextChoices):
    """Who decides, after the 2025 reform (no district level any more)."""

    WARD = "ward", gettext_lazy("UBND cấp xã (phường, xã, đặc khu)")
    DEPARTMENT = "department", gettext_lazy("Sở Giáo dục và Đào tạo")
    SCHOOL = "school", gettext_lazy("Cơ sở giáo dục (hiệu trưởng)")
    REGISTER_HOLDER = "register_holder", gettext_lazy("Cơ quan, cơ sở giáo dục đang quản lý sổ gốc văn bằng")


class OnlineLevel(models.TextChoices):
    """Nghị định 42/2022/NĐ-CP (notes §3.5); the old "mức độ 1–4" are obsolete."""

    FULL = "full", gettext_lazy("Dịch vụ công trực tuyến toàn trình")
    PARTIAL = "partial", gettext_lazy("Dịch vụ công trực tuyến một phần")
    NONE = "none", gettext_lazy("Chưa cung cấp trực tuyến")


class ResultType(models.TextChoices):
    DECISION = "decision", gettext_lazy("Quyết định")
    WRITTEN_REPLY = "written_reply", gettext_lazy("Văn bản chấp thuận hoặc trả lời")
    COPY = "copy", gettext_lazy("Bản sao từ sổ gốc")
    NOTICE = "notice", gettext_lazy("Thông báo kết quả")


class ComponentForm(models.TextChoices):
    """In which form a component of the dossier is given."""

    ORIGINAL = "original", gettext_lazy("Bản chính")
    CERTIFIED_COPY = "certified_copy", gettext_lazy("Bản sao có chứng thực hoặc bản sao kèm bản chính để đối chiếu")
    COPY = "copy", gettext_lazy("Bản sao, bản chụp")
    SHOWN = "shown", gettext_lazy("Xuất trình để đối chiếu (không nộp)")


class FeeKind(models.TextChoices):
    FEE = "fee", gettext_lazy("Phí")
    CHARGE = "charge", gettext_lazy("Lệ phí")


class SubmissionChannel(models.TextChoices):
    ONLINE = "online", gettext_lazy("Trực tuyến")
    COUNTER = "counter", gettext_lazy("Trực tiếp tại Bộ phận Một cửa")
    POST = "post", gettext_lazy("Qua dịch vụ bưu chính công ích")


class ResultDelivery(models.TextChoices):
    ONLINE = "online", gettext_lazy("Trực tuyến (kho dữ liệu điện tử của người dân)")
    COUNTER = "counter", gettext_lazy("Trực tiếp tại Bộ phận Một cửa")
    POST = "post", gettext_lazy("Qua dịch vụ bưu chính công ích")


@dataclass(frozen=True)
class Component:
    """One paper of the dossier (thành phần hồ sơ)."""

    name: str
    form: ComponentForm
    count: int = 1
    required: bool = True
    note: str = ""


@dataclass(frozen=True)
class FeeRule:
    """A fee (phí) or charge (lệ phí) in whole đồng, with the act that sets it."""

    amount_vnd: int
    kind: FeeKind
    legal_basis: str
    note: str = ""


@dataclass(frozen=True)
class Procedure:
    """One version of a procedure. ``key`` is our stable identifier (the mã TTHC may be unknown or change).

    ``processing_days`` is the time limit in working days (0 = within the day; ``None`` = not known or set by a
    yearly plan, then listed in ``unconfirmed_fields``); ``fee`` ``None`` means free of charge. ``application_form``
    is the form the applicant fills in online. ``full_online_eligible`` is False for a procedure that by law cannot
    be offered fully online (it leaves the denominator of the "toàn trình" target).
    """

    key: str
    name: str
    code: str | None
    legal_basis: tuple[str, ...]
    authority_level: AuthorityLevel
    competent_authority: str
    components: tuple[Component, ...]
    processing_days: int | None
    fee: FeeRule | None
    online_level: OnlineLevel
    result_type: ResultType
    result_name: str
    valid_from: dt.date
    valid_to: dt.date | None = None
    sector: str = EDUCATION_SECTOR
    application_form: FormDefinition | None = None
    full_online_eligible: bool = True
    unconfirmed_fields: frozenset[str] = field(default_factory=frozenset)
    sources: tuple[str, ...] = ()
    note: str = ""

    def in_force_on(self, day: dt.date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)

    @property
    def has_fee(self) -> bool:
        return self.fee is not None


PROCEDURE_FIELD_NAMES = frozenset(f.name for f in fields(Procedure))
# May be left empty or None only when the value is declared unconfirmed.
_MAY_BE_MISSING_IF_UNCONFIRMED = ("code", "legal_basis", "components", "processing_days")


# ---------------------------------------------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------------------------------------------


def procedure_errors(procedure: Procedure) -> list[str]:
    """Vietnamese messages for everything wrong with one catalogue entry; empty when it can be published."""
    p = procedure
    errors: list[str] = []
    name = {"name": p.name or p.key}
    if not _KEY.fullmatch(p.key):
        errors.append(_("Mã nội bộ «%(key)s» chỉ gồm chữ thường không dấu, chữ số và dấu gạch dưới.") % {"key": p.key})
    if not p.name.strip():
        errors.append(_("Thủ tục «%(key)s» cần có tên.") % {"key": p.key})
    if p.code is not None and not PROCEDURE_CODE.fullmatch(p.code):
        errors.append(
            _("Mã thủ tục hành chính «%(code)s» của «%(name)s» phải có dạng 1.234567; để trống nếu chưa biết.")
            % {**name, "code": p.code}
        )
    if p.code is None and "code" not in p.unconfirmed_fields:
        errors.append(_("«%(name)s» chưa có mã thủ tục hành chính: ghi mã hoặc đánh dấu là chờ xác nhận.") % name)
    if not p.legal_basis and "legal_basis" not in p.unconfirmed_fields:
        errors.append(_("«%(name)s» cần có căn cứ pháp lý.") % name)
    if any(not basis.strip() for basis in p.legal_basis):
        errors.append(_("«%(name)s» có một căn cứ pháp lý để trống.") % name)
    if not p.competent_authority.strip():
        errors.append(_("«%(name)s» cần ghi cơ quan có thẩm quyền quyết định.") % name)
    if not p.components and "components" not in p.unconfirmed_fields:
        errors.append(_("«%(name)s» cần có ít nhất một thành phần hồ sơ.") % name)
    component_names = [c.name.strip() for c in p.components]
    if len(set(component_names)) != len(component_names):
        errors.append(_("«%(name)s» có thành phần hồ sơ bị trùng tên.") % name)
    for component in p.components:
        if not component.name.strip():
            errors.append(_("«%(name)s» có thành phần hồ sơ chưa có tên.") % name)
        if isinstance(component.count, bool) or not isinstance(component.count, int) or component.count < 1:
            errors.append(
                _("Số lượng của thành phần «%(component)s» phải là số nguyên từ 1 trở lên.")
                % {"component": component.name}
            )
    if p.processing_days is None:
        if "processing_days" not in p.unconfirmed_fields:
            errors.append(_("«%(name)s» cần có thời hạn giải quyết (số ngày làm việc).") % name)
    elif (
        isinstance(p.processing_days, bool)
        or not isinstance(p.processing_days, int)
        or not 0 <= p.processing_days <= MAX_PROCESSING_DAYS
    ):
        errors.append(
            _("Thời hạn giải quyết của «%(name)s» phải là số ngày làm việc từ 0 đến %(max)s.")
            % {**name, "max": MAX_PROCESSING_DAYS}
        )
    if p.fee is not None:
        if isinstance(p.fee.amount_vnd, bool) or not isinstance(p.fee.amount_vnd, int) or p.fee.amount_vnd <= 0:
            errors.append(
                _("Phí, lệ phí của «%(name)s» phải là số nguyên đồng lớn hơn 0; thủ tục miễn phí thì để trống.") % name
            )
        if not p.fee.legal_basis.strip():
            errors.append(_("Phí, lệ phí của «%(name)s» cần ghi văn bản quy định mức thu.") % name)
    if p.online_level == OnlineLevel.FULL and not p.full_online_eligible:
        errors.append(
            _("«%(name)s» được đánh dấu không đủ điều kiện trực tuyến toàn trình nhưng lại cung cấp toàn trình.") % name
        )
    if not p.result_name.strip():
        errors.append(_("«%(name)s» cần ghi tên kết quả giải quyết.") % name)
    if p.valid_to is not None and p.valid_to < p.valid_from:
        errors.append(_("Ngày hết hiệu lực của «%(name)s» trước ngày có hiệu lực.") % name)
    unknown = sorted(p.unconfirmed_fields - PROCEDURE_FIELD_NAMES)
    if unknown:
        errors.append(
            _("«%(name)s» đánh dấu chờ xác nhận những trường không tồn tại: %(fields)s.")
            % {**name, "fields": ", ".join(unknown)}
        )
    if p.application_form is not None:
        errors.extend(
            _("Biểu mẫu của «%(name)s»: %(message)s") % {**name, "message": message}
            for message in definition_errors(p.application_form)
        )
    return errors


def catalogue_errors(procedures: Iterable[Procedure]) -> list[str]:
    """``procedure_errors`` of every entry, plus versions of the same procedure in force on the same day."""
    procedures = list(procedures)
    errors = [message for procedure in procedures for message in procedure_errors(procedure)]
    for a, b in combinations(procedures, 2):
        if a.key != b.key:
            continue
        a_end, b_end = a.valid_to or dt.date.max, b.valid_to or dt.date.max
        if a.valid_from <= b_end and b.valid_from <= a_end:
            errors.append(
                _("Hai phiên bản của thủ tục «%(key)s» có hiệu lực chồng lên nhau (từ %(a)s và từ %(b)s).")
                % {"key": a.key, "a": f"{a.valid_from:%d/%m/%Y}", "b": f"{b.valid_from:%d/%m/%Y}"}
            )
    return errors


def procedures_on(day: dt.date, procedures: Sequence[Procedure] | None = None) -> list[Procedure]:
    """The versions in force on ``day``, in catalogue order."""
    return [p for p in (SEED_PROCEDURES if procedures is None else procedures) if p.in_force_on(day)]


def procedure_for(key: str, day: dt.date, procedures: Sequence[Procedure] | None = None) -> Procedure:
    """The version of procedure ``key`` in force on ``day``, or ``ValidationFailed``."""
    for procedure in procedures_on(day, procedures):
        if procedure.key == key:
            return procedure
    raise ValidationFailed(
        _("Không có thủ tục «%(key)s» có hiệu lực ngày %(day)s.") % {"key": key, "day": f"{day:%d/%m/%Y}"},
        code="unknown_procedure",
    )


# ---------------------------------------------------------------------------------------------------------------
# Seed: the school transfer form (an example of a form definition)
# ---------------------------------------------------------------------------------------------------------------

SCHOOL_TRANSFER_FORM = FormDefinition(
    code="school_transfer",
    title="Đơn xin chuyển trường (học sinh tiểu học, trung học cơ sở)",
    fields=(
        FormField(
            "student",
            "Học sinh",
            FieldType.STUDENT,
            prefill="student.moet_code",
            help="Chọn con của anh/chị; thông tin học sinh được điền sẵn từ cơ sở dữ liệu ngành.",
        ),
        FormField(
            "student_full_name", "Họ và tên học sinh", FieldType.TEXT, max_length=150, prefill="student.full_name"
        ),
        FormField("student_date_of_birth", "Ngày sinh", FieldType.DATE, prefill="student.date_of_birth"),
        FormField(
            "student_personal_id",
            "Số định danh cá nhân của học sinh",
            FieldType.PERSONAL_ID,
            prefill="student.personal_id_number",
        ),
        FormField("current_school", "Trường đang học", FieldType.TEXT, prefill="student.current_school"),
        FormField(
            "current_grade",
            "Khối lớp đang học",
            FieldType.CHOICE,
            choices=tuple(Choice(str(grade), f"Lớp {grade}") for grade in range(1, 10)),
            prefill="student.current_grade",
        ),
        FormField("receiving_school", "Trường xin chuyển đến", FieldType.TEXT),
        FormField(
            "origin",
            "Chuyển đến từ",
            FieldType.CHOICE,
            choices=(
                Choice("same_province", "Trong tỉnh, thành phố"),
                Choice("other_province", "Tỉnh, thành phố khác"),
            ),
            help="Thời hạn giải quyết khác nhau giữa chuyển trường trong và ngoài tỉnh, thành phố.",
        ),
        FormField("reason", "Lý do xin chuyển trường", FieldType.TEXTAREA, max_length=1000),
        FormField("expected_date", "Ngày dự kiến chuyển", FieldType.DATE, required=False),
        FormField(
            "results_summary",
            "Bản tổng hợp kết quả học tập",
            FieldType.FILE,
            required=False,
            help="Do trường đang học cung cấp; nếu trường đang học dùng hệ thống này, bản tổng hợp được đính kèm tự động.",
        ),
        FormField(
            "guardian_full_name", "Họ và tên cha, mẹ hoặc người giám hộ", FieldType.TEXT, prefill="guardian.full_name"
        ),
        FormField(
            "guardian_personal_id",
            "Số định danh cá nhân của người đề nghị",
            FieldType.PERSONAL_ID,
            prefill="guardian.personal_id_number",
        ),
        FormField("guardian_phone", "Điện thoại liên hệ", FieldType.PHONE, prefill="guardian.phone"),
        FormField("guardian_email", "Thư điện tử", FieldType.EMAIL, required=False, prefill="guardian.email"),
        FormField("guardian_address", "Địa chỉ thường trú", FieldType.TEXT, required=False, prefill="guardian.address"),
        FormField(
            "result_delivery",
            "Nhận kết quả",
            FieldType.CHOICE,
            # The stored values are those of ResultDelivery; the labels are the form's own text.
            choices=(
                Choice(ResultDelivery.ONLINE.value, "Trực tuyến"),
                Choice(ResultDelivery.COUNTER.value, "Trực tiếp tại Bộ phận Một cửa"),
                Choice(ResultDelivery.POST.value, "Qua dịch vụ bưu chính công ích"),
            ),
        ),
    ),
)


# ---------------------------------------------------------------------------------------------------------------
# Seed: procedures of notes §3.8
# ---------------------------------------------------------------------------------------------------------------

_NOTES_SOURCE = "Ghi chú hành chính §3.8"
_DECREE_142 = "Nghị định 142/2025/NĐ-CP (phân định thẩm quyền của chính quyền địa phương 2 cấp trong lĩnh vực giáo dục)"
_DECREE_125 = "Nghị định 125/2024/NĐ-CP (điều kiện đầu tư và hoạt động trong lĩnh vực giáo dục)"
_RESOLUTION_217 = "Nghị quyết 217/2025/QH15 (miễn, hỗ trợ học phí)"
_WARD_CHAIR = "Chủ tịch Ủy ban nhân dân cấp xã"
_UNKNOWN_ONLINE = frozenset({"online_level"})  # the notes give no online level for any procedure


def _school_organisation_procedures() -> list[Procedure]:
    """Founding, licensing, suspending, reorganising and dissolving MN / TH / THCS schools (NĐ 125/2024 procedures,
    Chủ tịch UBND cấp xã since 1/7/2025). The notes give about 20 working days per step [memory] and 25 for founding
    a THCS in a 2020 provincial list [verified, outdated]; names are ours until the province's list is loaded."""
    kinds = (
        ("preschool", "nhà trẻ, trường mẫu giáo, trường mầm non"),
        ("independent_preschool", "cơ sở giáo dục mầm non độc lập"),
        ("primary", "trường tiểu học"),
        (
            "lower_secondary",
            "trường trung học cơ sở, trường phổ thông có nhiều cấp học có cấp học cao nhất là trung học cơ sở",
        ),
    )
    actions = (
        ("establish", "Thành lập, cho phép thành lập %s", "Quyết định thành lập hoặc cho phép thành lập"),
        ("allow_operation", "Cho phép %s hoạt động giáo dục", "Quyết định cho phép hoạt động giáo dục"),
        ("suspend", "Đình chỉ hoạt động giáo dục %s", "Quyết định đình chỉ hoạt động giáo dục"),
        ("reorganise", "Sáp nhập, chia, tách %s", "Quyết định sáp nhập, chia, tách"),
        ("dissolve", "Giải thể %s", "Quyết định giải thể"),
    )
    procedures = []
    for action, name_pattern, result_name in actions:
        for kind, kind_name in kinds:
            days = 25 if (action, kind) == ("establish", "lower_secondary") else 20
            procedures.append(
                Procedure(
                    key=f"{action}_{kind}",
                    name=name_pattern % kind_name,
                    code=None,
                    legal_basis=(_DECREE_125, _DECREE_142),
                    authority_level=AuthorityLevel.WARD,
                    competent_authority=_WARD_CHAIR,
                    components=(),
                    processing_days=days,
                    fee=None,
                    online_level=OnlineLevel.PARTIAL,
                    result_type=ResultType.DECISION,
                    result_name=result_name,
                    valid_from=REFORM_DATE,
                    unconfirmed_fields=frozenset({"code", "name", "components", "processing_days", "fee"})
                    | _UNKNOWN_ONLINE,
                    sources=(_NOTES_SOURCE,),
                )
            )
    return procedures


def _school_transfer(key: str, name: str, days: int, note: str) -> Procedure:
    return Procedure(
        key=key,
        name=name,
        code=None,
        legal_basis=("Dự thảo Điều lệ trường tiểu học, trung học cơ sở, trung học phổ thông (12/2025)",),
        authority_level=AuthorityLevel.SCHOOL,
        competent_authority="Hiệu trưởng trường nơi chuyển đến",
        components=(
            Component("Đơn xin chuyển trường", ComponentForm.ORIGINAL),
            Component(
                "Bản tổng hợp kết quả học tập",
                ComponentForm.ORIGINAL,
                note="Do trường nơi đi cung cấp; theo dự thảo không cần học bạ, giấy khai sinh.",
            ),
        ),
        processing_days=days,
        fee=None,
        online_level=OnlineLevel.FULL,
        result_type=ResultType.WRITTEN_REPLY,
        result_name="Văn bản đồng ý tiếp nhận học sinh, hoặc văn bản từ chối nêu rõ lý do",
        valid_from=REFORM_DATE,
        application_form=SCHOOL_TRANSFER_FORM,
        unconfirmed_fields=frozenset({"code", "legal_basis", "components", "processing_days", "valid_from"})
        | _UNKNOWN_ONLINE,
        sources=(
            _NOTES_SOURCE,
            "https://dantri.com.vn/giao-duc/de-xuat-bo-hoc-ba-khong-qua-so-gddt-khi-lam-thu-tuc-chuyen-truong-20251215200439125.htm",
        ),
        note=note,
    )


def _seed() -> tuple[Procedure, ...]:
    procedures = _school_organisation_procedures()
    procedures.append(
        Procedure(
            key="convert_private_school",
            name="Chuyển đổi loại hình nhà trẻ, trường mẫu giáo, trường mầm non, trường tiểu học, trường trung học cơ sở "
            "tư thục do nhà đầu tư trong nước đầu tư",
            code=None,
            legal_basis=(_DECREE_142,),
            authority_level=AuthorityLevel.WARD,
            competent_authority=_WARD_CHAIR,
            components=(),
            processing_days=None,
            fee=None,
            online_level=OnlineLevel.PARTIAL,
            result_type=ResultType.DECISION,
            result_name="Quyết định chuyển đổi loại hình",
            valid_from=REFORM_DATE,
            unconfirmed_fields=frozenset({"code", "name", "components", "processing_days", "fee"}) | _UNKNOWN_ONLINE,
            sources=(_NOTES_SOURCE,),
        )
    )
    for key, name, result in (
        ("tuition_exemption", "Miễn, giảm học phí", "Quyết định miễn, giảm học phí"),
        ("study_cost_support", "Hỗ trợ chi phí học tập", "Quyết định hỗ trợ chi phí học tập"),
        ("nominated_admission", "Xét cử tuyển", "Quyết định cử đi học theo chế độ cử tuyển"),
    ):
        procedures.append(
            Procedure(
                key=key,
                name=name,
                code=None,
                legal_basis=(_DECREE_142, _RESOLUTION_217) if key == "tuition_exemption" else (_DECREE_142,),
                authority_level=AuthorityLevel.WARD,
                competent_authority="Ủy ban nhân dân cấp xã",
                components=(),
                processing_days=None,
                fee=None,
                online_level=OnlineLevel.PARTIAL,
                result_type=ResultType.DECISION,
                result_name=result,
                valid_from=REFORM_DATE,
                unconfirmed_fields=frozenset({"code", "components", "processing_days"}) | _UNKNOWN_ONLINE,
                sources=(_NOTES_SOURCE,),
                note="Từ năm học 2025-2026 học sinh trường công lập mầm non, phổ thông được miễn học phí (NQ 217/2025/QH15)."
                if key == "tuition_exemption"
                else "",
            )
        )
    procedures.append(
        _school_transfer(
            "school_transfer_same_province",
            "Chuyển trường đối với học sinh tiểu học, trung học cơ sở trong tỉnh, thành phố",
            5,
            "",
        )
    )
    procedures.append(
        _school_transfer(
            "school_transfer_other_province",
            "Chuyển trường đối với học sinh tiểu học, trung học cơ sở từ tỉnh, thành phố khác",
            8,
            "Trước 01/7/2025 thủ tục chuyển trường THCS từ tỉnh khác do Phòng GDĐT giải quyết, mã 2.002481 "
            "(nguồn thứ cấp); mã của thủ tục mới chưa xác định.",
        )
    )
    procedures.append(
        Procedure(
            key="diploma_copy_from_register",
            name="Cấp bản sao văn bằng, chứng chỉ từ sổ gốc",
            code=None,
            legal_basis=(),
            authority_level=AuthorityLevel.REGISTER_HOLDER,
            competent_authority="Cơ quan, cơ sở giáo dục đang quản lý sổ gốc cấp văn bằng, chứng chỉ",
            components=(
                Component("Đơn đề nghị cấp bản sao văn bằng, chứng chỉ từ sổ gốc", ComponentForm.ORIGINAL),
                Component(
                    "Giấy tờ tùy thân hoặc tài khoản định danh điện tử",
                    ComponentForm.SHOWN,
                    note="Để đối chiếu; không thu.",
                ),
            ),
            processing_days=0,
            fee=None,
            online_level=OnlineLevel.PARTIAL,
            result_type=ResultType.COPY,
            result_name="Bản sao văn bằng, chứng chỉ từ sổ gốc",
            valid_from=REFORM_DATE,
            unconfirmed_fields=frozenset(
                {
                    "code",
                    "legal_basis",
                    "authority_level",
                    "competent_authority",
                    "components",
                    "processing_days",
                    "fee",
                }
            )
            | _UNKNOWN_ONLINE,
            sources=(_NOTES_SOURCE,),
            note="Trong ngày; nhận sau 15 giờ thì trả trong ngày làm việc tiếp theo (lịch làm việc áp dụng giờ chốt 15:00).",
        )
    )
    procedures.append(
        Procedure(
            key="diploma_correction",
            name="Chỉnh sửa nội dung văn bằng, chứng chỉ",
            code=None,
            legal_basis=(),
            authority_level=AuthorityLevel.REGISTER_HOLDER,
            competent_authority="Cơ quan, cơ sở giáo dục đã cấp văn bằng, chứng chỉ",
            components=(
                Component("Đơn đề nghị chỉnh sửa văn bằng, chứng chỉ", ComponentForm.ORIGINAL),
                Component("Văn bằng, chứng chỉ đề nghị chỉnh sửa", ComponentForm.ORIGINAL),
                Component("Giấy tờ làm căn cứ chỉnh sửa (quyết định cải chính hộ tịch…)", ComponentForm.CERTIFIED_COPY),
            ),
            processing_days=5,
            fee=None,
            online_level=OnlineLevel.PARTIAL,
            result_type=ResultType.DECISION,
            result_name="Quyết định chỉnh sửa văn bằng, chứng chỉ",
            valid_from=REFORM_DATE,
            unconfirmed_fields=frozenset(
                {"code", "legal_basis", "competent_authority", "components", "processing_days", "fee"}
            )
            | _UNKNOWN_ONLINE,
            sources=(_NOTES_SOURCE,),
        )
    )
    for key, name in (
        ("enrollment_grade_1", "Tuyển sinh vào lớp 1"),
        ("enrollment_grade_6", "Tuyển sinh vào lớp 6"),
    ):
        procedures.append(
            Procedure(
                key=key,
                name=name,
                code=None,
                legal_basis=(),
                authority_level=AuthorityLevel.SCHOOL,
                competent_authority="Hiệu trưởng, theo kế hoạch tuyển sinh được Ủy ban nhân dân cấp xã phê duyệt",
                components=(),
                processing_days=None,
                fee=None,
                online_level=OnlineLevel.FULL,
                result_type=ResultType.NOTICE,
                result_name="Thông báo kết quả tuyển sinh",
                valid_from=REFORM_DATE,
                unconfirmed_fields=frozenset(
                    {"code", "legal_basis", "authority_level", "competent_authority", "components", "processing_days"}
                )
                | _UNKNOWN_ONLINE,
                sources=(_NOTES_SOURCE,),
                note="Thời hạn theo kế hoạch tuyển sinh hằng năm; hồ sơ do phân hệ tuyển sinh xử lý.",
            )
        )
    return tuple(procedures)


SEED_PROCEDURES: tuple[Procedure, ...] = _seed()
