"""Public-service data: the dated procedure catalogue, receiving units, the working calendar, dossiers and their life.

The pure rules live beside this module (``catalogue``, ``forms_schema``, ``states``, ``workdays``, ``timeliness``,
``dossier_codes``, ``targets``); the models store what happened. A dossier points at the catalogue *version* it was
submitted under, so a later edit of the catalogue never changes a dossier in progress. Files are stored in the
database with their hash so a dossier, its events and its files are written in one transaction.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from edudx.core.api import BaseModel, OrgUnit

from .catalogue import AuthorityLevel, OnlineLevel, ResultDelivery, SubmissionChannel
from .states import ActorKind, DossierAction, DossierState, FormNumber


def new_token() -> str:
    return secrets.token_urlsafe(24)


class ProcedureVersion(models.Model):
    """One version of one procedure of the catalogue (``catalogue.Procedure`` as JSON in ``data``).

    Versions are never edited: an authority's change writes the next version with a reason. The newest version
    in force on a day is the one offered. The columns beside ``data`` repeat what lists and statistics filter on.
    """

    key = models.CharField(_("mã nội bộ"), max_length=80)
    version = models.PositiveIntegerField(_("phiên bản"))
    code = models.CharField(_("mã TTHC"), max_length=16, blank=True)
    name = models.CharField(_("tên thủ tục"), max_length=500)
    authority_level = models.CharField(_("cấp có thẩm quyền"), max_length=20, choices=AuthorityLevel.choices)
    online_level = models.CharField(_("mức độ trực tuyến"), max_length=10, choices=OnlineLevel.choices)
    processing_days = models.PositiveSmallIntegerField(_("thời hạn (ngày làm việc)"), null=True, blank=True)
    fee_vnd = models.PositiveBigIntegerField(_("phí, lệ phí (đồng)"), null=True, blank=True)
    valid_from = models.DateField(_("áp dụng từ"))
    valid_to = models.DateField(_("áp dụng đến"), null=True, blank=True)
    data = models.JSONField(_("dữ liệu"))
    reason = models.CharField(_("lý do thay đổi"), max_length=500, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True)
    created_at = models.DateTimeField(_("tạo lúc"), auto_now_add=True)

    class Meta:
        ordering = ["key", "-version"]
        verbose_name = _("phiên bản thủ tục hành chính")
        verbose_name_plural = _("danh mục thủ tục hành chính")
        constraints = [models.UniqueConstraint(fields=["key", "version"], name="uniq_procedure_key_version")]

    def __str__(self) -> str:
        return f"{self.name} (v{self.version})"


class ServiceDesk(models.Model):
    """A unit that receives dossiers (its Bộ phận Một cửa) and its electronic identifier for dossier codes.

    The identifier (Quyết định 20/2020/QĐ-TTg) changed with the 2025 mergers, so it is dated: a new row is
    written for a new identifier and the old one keeps its dates (administration notes §3.3).
    """

    org_unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="service_desks")
    unit_code = models.CharField(_("mã định danh điện tử"), max_length=40)
    valid_from = models.DateField(_("áp dụng từ"))
    valid_to = models.DateField(_("áp dụng đến"), null=True, blank=True)
    address = models.CharField(_("địa chỉ Bộ phận Một cửa"), max_length=255, blank=True)
    phone = models.CharField(_("điện thoại"), max_length=32, blank=True)

    class Meta:
        ordering = ["org_unit_id", "-valid_from"]
        verbose_name = _("Bộ phận Một cửa")
        verbose_name_plural = _("Bộ phận Một cửa")
        constraints = [models.UniqueConstraint(fields=["unit_code", "valid_from"], name="uniq_desk_code_from")]

    def __str__(self) -> str:
        return f"{self.unit_code} – {self.org_unit.name}"


class DossierSequence(models.Model):
    """The last number given in a day for a unit code (``dossier_codes``: 4-digit daily sequence).

    Codes are taken with a row lock (``select_for_update``) inside the submitting transaction, so two submissions
    never get the same number and a failed submission gives its number back.
    """

    unit_code = models.CharField(max_length=40)
    day = models.DateField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["unit_code", "day"], name="uniq_dossier_sequence_day")]


class CalendarDayKind(models.TextChoices):
    DAY_OFF = "off", _("Ngày nghỉ (nghỉ bù, nghỉ theo quyết định)")
    WORKING_DAY = "working", _("Ngày làm việc bù (thứ Bảy, Chủ nhật đi làm)")


class CalendarDay(models.Model):
    """Official days off and make-up working days beyond the ``holidays`` package (editable as data)."""

    day = models.DateField(_("ngày"), unique=True)
    kind = models.CharField(_("loại"), max_length=8, choices=CalendarDayKind.choices)
    name = models.CharField(_("lý do, căn cứ"), max_length=255)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["day"]
        verbose_name = _("ngày nghỉ, ngày làm bù")
        verbose_name_plural = _("lịch làm việc")

    def __str__(self) -> str:
        return f"{self.day:%d/%m/%Y} {self.get_kind_display()}"


class Dossier(BaseModel):
    """One dossier (hồ sơ TTHC), from submission to result and rating.

    ``state`` changes only through ``services.workflow.apply_action`` (which asks ``states.transition``), and every
    change is a ``DossierEvent`` and an audit event. ``due_at`` is the appointment of the receipt (Mẫu 01); it
    drives the on-time statistics with the events (``timeliness.assess``).
    """

    code = models.CharField(_("mã hồ sơ"), max_length=40, unique=True)
    procedure = models.ForeignKey(ProcedureVersion, on_delete=models.PROTECT, related_name="dossiers")
    org_unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="dossiers")  # receiving unit
    channel = models.CharField(_("kênh nộp"), max_length=10, choices=SubmissionChannel.choices)
    result_delivery = models.CharField(
        _("hình thức nhận kết quả"), max_length=10, choices=ResultDelivery.choices, default=ResultDelivery.ONLINE
    )
    state = models.CharField(_("trạng thái"), max_length=24, choices=DossierState.choices)
    version = models.PositiveIntegerField(default=1)  # optimistic lock for desk actions on the same dossier

    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="dossiers"
    )
    applicant_name = models.CharField(_("người nộp"), max_length=255)
    applicant_phone = models.CharField(_("điện thoại"), max_length=20, blank=True)
    applicant_email = models.EmailField(_("thư điện tử"), blank=True)
    applicant_address = models.CharField(_("địa chỉ"), max_length=255, blank=True)
    # The pupil a school procedure is about (transfer, copy of a certificate), when the platform knows them.
    student = models.ForeignKey(
        "registry.Student", on_delete=models.PROTECT, null=True, blank=True, related_name="dossiers"
    )
    form_data = models.JSONField(_("nội dung tờ khai"), default=dict)
    prefilled_fields = models.JSONField(default=list)  # keys taken from platform data (the once-only principle)

    submitted_at = models.DateTimeField(_("nộp lúc"))
    received_at = models.DateTimeField(_("tiếp nhận lúc"), null=True, blank=True)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    due_at = models.DateTimeField(_("hẹn trả kết quả lúc"), null=True, blank=True)
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="handled_dossiers"
    )
    supplement_requests = models.PositiveSmallIntegerField(_("số lần yêu cầu bổ sung"), default=0)
    processed_at = models.DateTimeField(_("xử lý xong lúc"), null=True, blank=True)  # approved/refused/stopped/…
    result_issued_at = models.DateTimeField(_("trả kết quả lúc"), null=True, blank=True)

    fully_online = models.BooleanField(_("nộp trực tuyến toàn trình"), default=False)
    fee_vnd = models.PositiveBigIntegerField(_("phí, lệ phí (đồng)"), default=0)
    bill_reference = models.CharField(_("mã thanh toán"), max_length=40, blank=True)  # payments.Bill.reference
    paid_at = models.DateTimeField(_("đã thanh toán lúc"), null=True, blank=True)
    paid_online = models.BooleanField(_("thanh toán trực tuyến"), default=False)

    rating = models.PositiveSmallIntegerField(_("mức độ hài lòng"), null=True, blank=True)  # 1..5
    rating_comment = models.CharField(_("góp ý"), max_length=1000, blank=True)
    rated_at = models.DateTimeField(null=True, blank=True)

    tracking_token = models.CharField(max_length=64, unique=True, default=new_token, editable=False)

    class Meta:
        ordering = ["-submitted_at"]
        verbose_name = _("hồ sơ thủ tục hành chính")
        verbose_name_plural = _("hồ sơ thủ tục hành chính")
        indexes = [
            models.Index(fields=["org_unit", "state"]),
            models.Index(fields=["state", "due_at"]),
            models.Index(fields=["submitted_at"]),
        ]

    def __str__(self) -> str:
        return self.code


class FileRole(models.TextChoices):
    COMPONENT = "component", _("Thành phần hồ sơ")
    SUPPLEMENT = "supplement", _("Hồ sơ bổ sung")
    RESULT = "result", _("Kết quả giải quyết")
    FORM = "form", _("Phiếu, biểu mẫu")  # Mẫu 01–05 issued for the dossier


class DossierFile(models.Model):
    """A file of a dossier: a component (uploaded, scanned at the counter or reused), a form, the result.

    ``digitised`` marks a paper component scanned and signed with the organisation's signature (TT 01/2023), or
    an electronic result; ``reused`` a component taken from data the platform already holds.
    """

    dossier = models.ForeignKey(Dossier, on_delete=models.PROTECT, related_name="files")
    role = models.CharField(max_length=12, choices=FileRole.choices)
    component = models.CharField(_("thành phần"), max_length=255, blank=True)  # the catalogue component's name
    form_number = models.CharField(max_length=4, choices=FormNumber.choices, blank=True)
    filename = models.CharField(_("tên tệp"), max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    content = models.BinaryField()
    reused = models.BooleanField(_("tái sử dụng dữ liệu đã có"), default=False)
    digitised = models.BooleanField(_("đã số hóa, ký số"), default=False)
    signed = models.BooleanField(_("có chữ ký số"), default=False)
    verify_token = models.CharField(max_length=64, unique=True, null=True, blank=True)  # public check of a result
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)
    superseded = models.BooleanField(default=False)  # a component replaced by a supplement

    class Meta:
        ordering = ["dossier_id", "role", "id"]
        verbose_name = _("tệp hồ sơ")
        verbose_name_plural = _("tệp hồ sơ")

    def __str__(self) -> str:
        return self.filename


class DossierEvent(models.Model):
    """One step of a dossier: its state change (or a note without one), who acted, the form issued, the clock.

    The desk and handler steps form the control sheet (Mẫu 06); ``step_outcome`` is "trước hạn / đúng hạn / quá
    hạn" of a hand-over compared with the due day.
    """

    dossier = models.ForeignKey(Dossier, on_delete=models.PROTECT, related_name="events")
    action = models.CharField(max_length=24, choices=DossierAction.choices, blank=True)  # blank: a note only
    from_state = models.CharField(max_length=24, choices=DossierState.choices, blank=True)
    to_state = models.CharField(max_length=24, choices=DossierState.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True)
    actor_kind = models.CharField(max_length=10, choices=ActorKind.choices)
    to_user = models.ForeignKey(  # hand-overs and assignments: who receives the dossier
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField()
    note = models.TextField(_("nội dung, lý do"), blank=True)
    form_number = models.CharField(max_length=4, choices=FormNumber.choices, blank=True)
    data = models.JSONField(default=dict)  # e.g. {"new_due_at": "2026-12-01T17:00:00+07:00"} for Mẫu 04
    step_outcome = models.CharField(max_length=10, blank=True)  # early / on_time / late (Mẫu 06)

    class Meta:
        ordering = ["dossier_id", "at", "id"]
        verbose_name = _("bước xử lý hồ sơ")
        verbose_name_plural = _("quá trình xử lý hồ sơ")

    def __str__(self) -> str:
        return f"{self.dossier_id} {self.action} {self.at:%d/%m/%Y %H:%M}"


class NotificationChannel(models.TextChoices):
    EMAIL = "email", _("Thư điện tử")
    SMS = "sms", _("Tin nhắn SMS")


class DossierNotification(models.Model):
    """A message sent to the applicant or to staff about a dossier (through the e-mail / SMS adapters)."""

    dossier = models.ForeignKey(Dossier, on_delete=models.PROTECT, related_name="notifications")
    channel = models.CharField(max_length=8, choices=NotificationChannel.choices)
    recipient = models.CharField(max_length=255)
    subject = models.CharField(max_length=255)
    body = models.TextField()
    sent_at = models.DateTimeField(auto_now_add=True)
    # False when the gateway refused the message (the copy is written with the change, before it is sent).
    delivered = models.BooleanField(default=True)

    class Meta:
        ordering = ["dossier_id", "sent_at"]
