from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from edudx.core.api import BaseModel, OrgUnit, SchoolLevel
from edudx.core.crypto import encrypt, lookup_hash
from edudx.core.rules import fold_vietnamese, mask_personal_id

from .enums import (
    GuardianRelation,
    ImportKind,
    ImportStatus,
    InternetType,
    Qualification,
    Sex,
    StaffPosition,
    StudentStatus,
)


class SchoolYear(BaseModel):
    """A school year of the whole sector (năm học), with its two semesters."""

    code = models.CharField(_("mã năm học"), max_length=9, unique=True, help_text="2025-2026")
    starts_on = models.DateField(_("ngày bắt đầu"))
    ends_on = models.DateField(_("ngày kết thúc"))
    semester1_ends_on = models.DateField(_("kết thúc học kỳ I"))
    semester2_starts_on = models.DateField(_("bắt đầu học kỳ II"))
    is_current = models.BooleanField(_("năm học hiện tại"), default=False)

    class Meta:
        ordering = ["-starts_on"]
        verbose_name = _("năm học")
        verbose_name_plural = _("năm học")

    def __str__(self) -> str:
        return self.code

    @property
    def name(self) -> str:
        return f"Năm học {self.code}"


class Grade(models.Model):
    """A grade (khối) or, in preschool, an age group. Reference data loaded by migration."""

    code = models.CharField(max_length=8, unique=True)
    name = models.CharField(max_length=64)
    level = models.CharField(max_length=4, choices=SchoolLevel.choices)
    order = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["order"]
        verbose_name = _("khối lớp")
        verbose_name_plural = _("khối lớp")

    def __str__(self) -> str:
        return self.name


class Subject(models.Model):
    """A subject of the 2018 curriculum. Reference data; the gradebook adds its assessment kinds."""

    code = models.CharField(max_length=32, unique=True)
    name = models.CharField(max_length=128)
    levels = models.CharField(max_length=32, help_text="TH,THCS")

    class Meta:
        ordering = ["name"]
        verbose_name = _("môn học")
        verbose_name_plural = _("môn học")

    def __str__(self) -> str:
        return self.name


class Person(BaseModel):
    """One human. The personal ID number is stored encrypted, found by keyed hash, shown masked."""

    full_name = models.CharField(_("họ và tên"), max_length=150)
    search_name = models.CharField(max_length=150, db_index=True, editable=False)
    date_of_birth = models.DateField(_("ngày sinh"), null=True, blank=True)
    sex = models.CharField(_("giới tính"), max_length=1, choices=Sex.choices, blank=True)
    ethnicity = models.CharField(_("dân tộc"), max_length=50, blank=True, default="Kinh")
    nationality = models.CharField(_("quốc tịch"), max_length=50, blank=True, default="Việt Nam")
    personal_id_encrypted = models.TextField(blank=True, editable=False)
    personal_id_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    personal_id_last3 = models.CharField(max_length=3, blank=True, editable=False)
    phone = models.CharField(_("điện thoại"), max_length=20, blank=True)
    email = models.EmailField(_("thư điện tử"), blank=True)
    address = models.CharField(_("địa chỉ thường trú"), max_length=255, blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="person"
    )

    class Meta:
        verbose_name = _("cá nhân")
        verbose_name_plural = _("cá nhân")

    def __str__(self) -> str:
        return self.full_name

    def save(self, *args: object, **kwargs: object) -> None:
        self.search_name = fold_vietnamese(self.full_name)
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = set(kwargs["update_fields"]) | {"search_name"}  # type: ignore[call-overload]
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    @staticmethod
    def personal_id_columns(value: str) -> dict[str, str]:
        """How a personal ID number is stored: encrypted, a keyed hash to find it by, and the last three
        digits to show it masked. The one place that knows; bulk writers use it for their columns too."""
        if not value:
            return {"personal_id_encrypted": "", "personal_id_hash": "", "personal_id_last3": ""}
        return {
            "personal_id_encrypted": encrypt(value),
            "personal_id_hash": lookup_hash(value),
            "personal_id_last3": value[-3:],
        }

    def store_personal_id(self, value: str) -> None:
        """Set the stored forms of ``value`` (validation is the caller's: services and imports check it)."""
        for name, stored in self.personal_id_columns(value).items():
            setattr(self, name, stored)

    @property
    def has_personal_id(self) -> bool:
        return bool(self.personal_id_hash)

    @property
    def personal_id_masked(self) -> str:
        return mask_personal_id("0" * 9 + self.personal_id_last3) if self.personal_id_last3 else ""


class Student(BaseModel):
    """A learner. ``moet_code`` is the sector-wide learner code: opaque, unique and never changed."""

    person = models.OneToOneField(Person, on_delete=models.PROTECT, related_name="student")
    moet_code = models.CharField(_("mã học sinh (CSDL ngành)"), max_length=20, unique=True)
    school = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="students")
    status = models.CharField(
        _("tình trạng"), max_length=12, choices=StudentStatus.choices, default=StudentStatus.STUDYING
    )
    enrolled_on = models.DateField(_("ngày vào trường"), null=True, blank=True)

    class Meta:
        verbose_name = _("học sinh")
        verbose_name_plural = _("học sinh")
        indexes = [models.Index(fields=["school", "status"])]

    def __str__(self) -> str:
        return f"{self.person.full_name} ({self.moet_code})"


class StudentSchoolStint(models.Model):
    """Where a student was, when: one row per school attended, closed on transfer."""

    student = models.ForeignKey(Student, on_delete=models.CASCADE, related_name="stints")
    school = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    started_on = models.DateField()
    ended_on = models.DateField(null=True, blank=True)
    reason = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["started_on", "id"]


class StaffMember(BaseModel):
    """A person working at a school or authority."""

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="staff_roles")
    org_unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="staff")
    staff_code = models.CharField(_("mã cán bộ"), max_length=20, blank=True)
    position = models.CharField(_("chức vụ"), max_length=20, choices=StaffPosition.choices)
    subjects = models.ManyToManyField(Subject, blank=True, related_name="+", verbose_name=_("môn giảng dạy"))
    qualification = models.CharField(_("trình độ"), max_length=16, choices=Qualification.choices, blank=True)
    digital_skills_trained_on = models.DateField(_("ngày hoàn thành bồi dưỡng kỹ năng số"), null=True, blank=True)
    digital_skills_course = models.CharField(_("khoá bồi dưỡng kỹ năng số"), max_length=255, blank=True)
    signing_certificate_ref = models.CharField(_("chứng thư số (số serial / nhà cung cấp)"), max_length=255, blank=True)
    is_active = models.BooleanField(_("đang công tác"), default=True)

    class Meta:
        verbose_name = _("cán bộ, giáo viên, nhân viên")
        verbose_name_plural = _("cán bộ, giáo viên, nhân viên")
        constraints = [models.UniqueConstraint(fields=["person", "org_unit"], name="uniq_staff_person_unit")]

    def __str__(self) -> str:
        return f"{self.person.full_name} – {self.get_position_display()}"


class SchoolClass(BaseModel):
    school = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="classes")
    year = models.ForeignKey(SchoolYear, on_delete=models.PROTECT, related_name="classes")
    grade = models.ForeignKey(Grade, on_delete=models.PROTECT, related_name="classes")
    name = models.CharField(_("tên lớp"), max_length=32)
    homeroom_teacher = models.ForeignKey(
        StaffMember,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="homeroom_classes",
        verbose_name=_("giáo viên chủ nhiệm"),
    )
    promoted_from = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["grade__order", "name"]
        verbose_name = _("lớp")
        verbose_name_plural = _("lớp")
        constraints = [models.UniqueConstraint(fields=["school", "year", "name"], name="uniq_class_school_year_name")]

    def __str__(self) -> str:
        return f"{self.name} ({self.year.code})"


class ClassMembership(models.Model):
    student = models.ForeignKey(Student, on_delete=models.CASCADE, related_name="memberships")
    school_class = models.ForeignKey(SchoolClass, on_delete=models.PROTECT, related_name="memberships")
    joined_on = models.DateField()
    left_on = models.DateField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["student", "school_class"], name="uniq_membership_student_class")
        ]


class TeachingAssignment(models.Model):
    """A subject teacher teaches a subject to a class for the whole year or for one semester.

    ``semester`` 0 means both semesters (the usual case); 1 or 2 when the teacher changes mid-year. A class and
    subject has either one whole-year row or up to one row per semester, never both (the service keeps that).
    """

    WHOLE_YEAR = 0
    SEMESTER_CHOICES = [(0, _("Cả năm")), (1, _("Học kì I")), (2, _("Học kì II"))]

    staff = models.ForeignKey(StaffMember, on_delete=models.CASCADE, related_name="teaching_assignments")
    school_class = models.ForeignKey(SchoolClass, on_delete=models.CASCADE, related_name="teaching_assignments")
    subject = models.ForeignKey(Subject, on_delete=models.PROTECT, related_name="+")
    semester = models.PositiveSmallIntegerField(_("học kì"), choices=SEMESTER_CHOICES, default=WHOLE_YEAR)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["school_class", "subject", "semester"], name="uniq_teaching_class_subject_sem"
            )
        ]

    def covers(self, semester: int) -> bool:
        return self.semester in (self.WHOLE_YEAR, semester)


class GuardianLink(BaseModel):
    guardian = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="wards")
    student = models.ForeignKey(Student, on_delete=models.CASCADE, related_name="guardian_links")
    relation = models.CharField(_("quan hệ"), max_length=10, choices=GuardianRelation.choices)
    is_primary = models.BooleanField(_("liên hệ chính"), default=False)

    class Meta:
        verbose_name = _("phụ huynh")
        verbose_name_plural = _("phụ huynh")
        constraints = [models.UniqueConstraint(fields=["guardian", "student"], name="uniq_guardian_student")]


class SchoolInfrastructure(BaseModel):
    """What a school has to teach digitally; the authority and the QĐ 4725 index read it."""

    school = models.OneToOneField(OrgUnit, on_delete=models.CASCADE, related_name="infrastructure")
    internet_type = models.CharField(
        _("loại kết nối Internet"), max_length=10, choices=InternetType.choices, default=InternetType.NONE
    )
    bandwidth_mbps = models.PositiveIntegerField(_("băng thông (Mbps)"), default=0)
    has_wifi_for_teaching = models.BooleanField(_("có Wi-Fi phục vụ dạy học"), default=False)
    computer_rooms = models.PositiveSmallIntegerField(_("số phòng máy tính"), default=0)
    student_computers = models.PositiveIntegerField(_("số máy tính dành cho học sinh"), default=0)
    teacher_computers = models.PositiveIntegerField(_("số máy tính dành cho giáo viên"), default=0)
    classrooms = models.PositiveSmallIntegerField(_("số phòng học"), default=0)
    classrooms_with_projector = models.PositiveSmallIntegerField(_("phòng học có máy chiếu"), default=0)
    classrooms_with_display = models.PositiveSmallIntegerField(_("phòng học có màn hình/TV thông minh"), default=0)
    other_devices = models.TextField(_("thiết bị khác"), blank=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True)

    class Meta:
        verbose_name = _("hạ tầng CNTT của trường")
        verbose_name_plural = _("hạ tầng CNTT của trường")


class ImportJob(BaseModel):
    """One Excel upload: validated row by row, previewed, then committed all-or-nothing."""

    school = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    year = models.ForeignKey(SchoolYear, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    kind = models.CharField(max_length=12, choices=ImportKind.choices)
    status = models.CharField(max_length=12, choices=ImportStatus.choices, default=ImportStatus.PENDING)
    file = models.FileField(upload_to="imports/%Y/%m/")
    original_name = models.CharField(max_length=255)
    file_sha256 = models.CharField(max_length=64)
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    summary = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    @property
    def progress_percent(self) -> int:
        return int(100 * self.processed_rows / self.total_rows) if self.total_rows else 0
