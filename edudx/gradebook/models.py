"""Gradebook data: rule-set versions, curriculum, score sheets of cells, locks, results and học bạ số.

Scores are stored one cell per row (``ScoreCell``): a sheet is a grid of students × columns, every cell saves on
its own with an optimistic version, so two teachers typing in the same sheet never overwrite each other's work and
every change is one audit event. Results are computed from locked cells by the pure rules of ``rules.py`` under a
stored rule-set version, which each result records.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from edudx.core.api import BaseModel, OrgUnit
from edudx.registry.api import Grade, SchoolClass, SchoolYear, Student, Subject

from .enums import Circular


class RuleSetVersion(models.Model):
    """One version of a circular's rule set (the fields of ``Tt22RuleSet`` / ``Tt27RuleSet`` as JSON).

    Versions are never edited: an authority administrator's change writes the next version, which is in force
    for school years starting on or after ``valid_from``. The newest version whose dates cover a day applies.
    """

    circular = models.CharField(_("thông tư"), max_length=16, choices=Circular.choices)
    code = models.CharField(_("mã bộ quy tắc"), max_length=32)  # "TT22-2021"
    version = models.PositiveIntegerField(_("phiên bản"))
    valid_from = models.DateField(_("áp dụng từ"))
    valid_to = models.DateField(_("áp dụng đến"), null=True, blank=True)
    data = models.JSONField(_("dữ liệu"))
    reason = models.CharField(_("lý do thay đổi"), max_length=500, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True)
    created_at = models.DateTimeField(_("tạo lúc"), auto_now_add=True)

    class Meta:
        ordering = ["circular", "-version"]
        verbose_name = _("phiên bản bộ quy tắc đánh giá")
        verbose_name_plural = _("phiên bản bộ quy tắc đánh giá")
        constraints = [models.UniqueConstraint(fields=["code", "version"], name="uniq_ruleset_code_version")]

    def __str__(self) -> str:
        return f"{self.code} v{self.version}"


class SubjectKind(models.TextChoices):
    """How a subject of a grade is assessed."""

    SCORED = "scored", _("Đánh giá bằng nhận xét kết hợp điểm số")  # TT22 Điều 5
    COMMENT = "comment", _("Đánh giá bằng nhận xét (Đạt/Chưa đạt)")  # TT22 Điều 5
    PRIMARY = "primary", _("Mức đạt được T/H/C")  # TT27 Điều 7 (with tests where the schedule asks)


class GradeSubject(models.Model):
    """The curriculum (CT GDPT 2018): which subject a grade studies, how it is assessed and its periods a year.

    The number of regular assessments per semester is derived from ``periods_per_year`` by the rule set (TT22
    Điều 6), never stored; which TH subjects are tested at which checkpoint is in the TT27 rule set.
    """

    grade = models.ForeignKey(Grade, on_delete=models.PROTECT, related_name="curriculum")
    subject = models.ForeignKey(Subject, on_delete=models.PROTECT, related_name="curriculum")
    kind = models.CharField(_("hình thức đánh giá"), max_length=8, choices=SubjectKind.choices)
    periods_per_year = models.PositiveSmallIntegerField(_("số tiết/năm"))
    order = models.PositiveSmallIntegerField(_("thứ tự"), default=0)

    class Meta:
        ordering = ["grade__order", "order"]
        verbose_name = _("môn học của khối")
        verbose_name_plural = _("chương trình các khối")
        constraints = [models.UniqueConstraint(fields=["grade", "subject"], name="uniq_grade_subject")]

    def __str__(self) -> str:
        return f"{self.grade.name} – {self.subject.name}"


class SheetKind(models.TextChoices):
    SUBJECT = "subject", _("Sổ điểm môn học")
    HOMEROOM = "homeroom", _("Sổ chủ nhiệm")  # rèn luyện, absences, TT27 phẩm chất/năng lực, comments


class SheetStatus(models.TextChoices):
    OPEN = "open", _("Đang nhập")
    SUBMITTED = "submitted", _("Đã nộp")
    LOCKED = "locked", _("Đã khoá")


class ScoreSheet(BaseModel):
    """The grid of one class for one subject (or the homeroom teacher's columns) in one semester.

    ``columns`` are derived by ``rules``/``services`` from the curriculum and the rule set when the sheet is
    opened and kept here, so a later rule change does not reshape a sheet already filled.
    """

    school_class = models.ForeignKey(SchoolClass, on_delete=models.PROTECT, related_name="score_sheets")
    subject = models.ForeignKey(Subject, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    kind = models.CharField(max_length=8, choices=SheetKind.choices, default=SheetKind.SUBJECT)
    semester = models.PositiveSmallIntegerField(_("học kì"), choices=[(1, _("Học kì I")), (2, _("Học kì II"))])
    rule_set = models.ForeignKey(RuleSetVersion, on_delete=models.PROTECT, related_name="+")
    columns = models.JSONField(default=list)  # [{"code": "tx1", "label": "TX1", "type": "score"}, ...]
    status = models.CharField(max_length=10, choices=SheetStatus.choices, default=SheetStatus.OPEN)
    submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("sổ điểm")
        verbose_name_plural = _("sổ điểm")
        constraints = [
            models.UniqueConstraint(
                fields=["school_class", "subject", "semester"],
                condition=models.Q(subject__isnull=False),
                name="uniq_sheet_class_subject_semester",
            ),
            models.UniqueConstraint(
                fields=["school_class", "semester"],
                condition=models.Q(kind="homeroom"),
                name="uniq_homeroom_sheet_class_semester",
            ),
        ]

    def __str__(self) -> str:
        what = self.subject.name if self.subject_id else str(_("Chủ nhiệm"))
        return f"{self.school_class.name} – {what} – HK{self.semester}"


class ScoreCell(models.Model):
    """One value of a sheet: a score, a level code or a comment for one student and one column.

    ``value`` is the canonical text ("8.3", "T", "dat", a comment); ``number`` repeats numeric values as a decimal
    for aggregates. ``version`` grows by one on every save: a save naming an older version is refused (409).
    """

    # The unique (sheet, student, column) and the (student, sheet) index already serve every lookup by sheet or
    # student; single-column indexes would only slow the million-row writes of a school year.
    sheet = models.ForeignKey(ScoreSheet, on_delete=models.CASCADE, related_name="cells", db_index=False)
    student = models.ForeignKey(Student, on_delete=models.PROTECT, related_name="score_cells", db_index=False)
    column = models.CharField(max_length=16)
    value = models.TextField(blank=True)
    number = models.DecimalField(max_digits=4, decimal_places=1, null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+", db_index=False
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["sheet", "student", "column"], name="uniq_cell_sheet_student_column")
        ]
        indexes = [models.Index(fields=["student", "sheet"])]


class ClassSemesterLock(models.Model):
    """The principal's lock on a class's semester: while locked no cell of its sheets changes."""

    school_class = models.ForeignKey(SchoolClass, on_delete=models.PROTECT, related_name="semester_locks")
    semester = models.PositiveSmallIntegerField(choices=[(1, _("Học kì I")), (2, _("Học kì II"))])
    locked = models.BooleanField(default=False)
    changed_at = models.DateTimeField(auto_now=True)
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["school_class", "semester"], name="uniq_lock_class_semester")]


class LockEvent(models.Model):
    """History of locks and unlocks (an unlock always carries its reason)."""

    lock = models.ForeignKey(ClassSemesterLock, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(max_length=8, choices=[("lock", _("Khoá")), ("unlock", _("Mở khoá"))])
    reason = models.CharField(max_length=500, blank=True)
    at = models.DateTimeField(auto_now_add=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-at", "-id"]


class SubjectResult(models.Model):
    """Computed result of one subject for one student in one school year (TT22 averages or TT27 levels)."""

    # No index of its own: the unique (student, school_class, subject) constraint begins with it, and each index
    # costs every insert of a class's thousands of rows.
    student = models.ForeignKey(Student, on_delete=models.CASCADE, related_name="subject_results", db_index=False)
    school_class = models.ForeignKey(SchoolClass, on_delete=models.PROTECT, related_name="subject_results")
    subject = models.ForeignKey(Subject, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=8, choices=SubjectKind.choices)
    # TT22 scored subjects: ĐTBmhk I, II and ĐTBmcn; comment subjects: "dat"/"chua_dat" in the *_result fields.
    semester_1 = models.DecimalField(max_digits=3, decimal_places=1, null=True, blank=True)
    semester_2 = models.DecimalField(max_digits=3, decimal_places=1, null=True, blank=True)
    year = models.DecimalField(max_digits=3, decimal_places=1, null=True, blank=True)
    semester_1_result = models.CharField(max_length=10, blank=True)
    semester_2_result = models.CharField(max_length=10, blank=True)
    year_result = models.CharField(max_length=10, blank=True)
    # Kiểm tra lại (TT22 Điều 14) / TT27 re-test: replaces the year value when present.
    retest = models.CharField(max_length=10, blank=True)
    # TT27: end-of-year KTĐK score where scheduled.
    test_score = models.PositiveSmallIntegerField(null=True, blank=True)
    rule_set = models.ForeignKey(RuleSetVersion, on_delete=models.PROTECT, related_name="+")
    computed_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["student", "school_class", "subject"], name="uniq_subject_result")
        ]


class YearResult(models.Model):
    """Computed year result of one student in one class: levels, promotion, titles, TT27 classification."""

    # No index of its own: the unique (student, school_class) constraint begins with it.
    student = models.ForeignKey(Student, on_delete=models.CASCADE, related_name="year_results", db_index=False)
    school_class = models.ForeignKey(SchoolClass, on_delete=models.PROTECT, related_name="year_results")
    rule_set = models.ForeignKey(RuleSetVersion, on_delete=models.PROTECT, related_name="+")
    # TT22 (levels are Tt22Level codes).
    learning_1 = models.CharField(max_length=10, blank=True)
    learning_2 = models.CharField(max_length=10, blank=True)
    learning_year = models.CharField(max_length=10, blank=True)
    learning_adjusted = models.BooleanField(default=False)
    conduct_1 = models.CharField(max_length=10, blank=True)
    conduct_2 = models.CharField(max_length=10, blank=True)
    conduct_year = models.CharField(max_length=10, blank=True)
    absences = models.PositiveSmallIntegerField(default=0)  # buổi, whole year
    summer_conduct = models.CharField(max_length=10, blank=True)  # re-evaluation after summer training
    promotion = models.CharField(max_length=20, blank=True)  # PromotionOutcome
    completes_level = models.BooleanField(default=False)  # completes THCS / primary
    title_proposed = models.CharField(max_length=20, blank=True)
    title_confirmed = models.CharField(max_length=20, blank=True)
    title_confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # TT27.
    classification = models.CharField(max_length=8, blank=True)  # Tt27Classification
    exemplary = models.BooleanField(default=False)  # "tiêu biểu", recognised by the class
    homeroom_comment = models.TextField(blank=True)
    details = models.JSONField(default=dict, blank=True)  # explanation: thresholds used, subjects counted
    computed_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["student", "school_class"], name="uniq_year_result")]


class TranscriptStatus(models.TextChoices):
    DRAFT = "draft", _("Chờ ký")
    TEACHER_SIGNED = "teacher_signed", _("GVCN đã ký")
    PRINCIPAL_SIGNED = "principal_signed", _("Hiệu trưởng đã ký")
    SEALED = "sealed", _("Đã ký số của nhà trường")
    SUPERSEDED = "superseded", _("Đã được thay thế")


def _verification_token() -> str:
    return secrets.token_urlsafe(18)


class Transcript(models.Model):
    """One version of a student's học bạ số for one school year (PDF + JSON), signed three times.

    Sealed versions are immutable: a correction creates version n+1 with a reason and marks this one superseded.
    """

    student = models.ForeignKey(Student, on_delete=models.PROTECT, related_name="transcripts")
    school_class = models.ForeignKey(SchoolClass, on_delete=models.PROTECT, related_name="transcripts")
    school = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    year = models.ForeignKey(SchoolYear, on_delete=models.PROTECT, related_name="+")
    version = models.PositiveSmallIntegerField(default=1)
    status = models.CharField(max_length=20, choices=TranscriptStatus.choices, default=TranscriptStatus.DRAFT)
    pdf = models.BinaryField()
    sha256 = models.CharField(max_length=64, db_index=True)
    data = models.JSONField()  # the machine-readable học bạ (format "edudx.hocba/1")
    token = models.CharField(max_length=32, unique=True, default=_verification_token)
    correction_reason = models.CharField(max_length=500, blank=True)
    supersedes = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="superseded_by"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    sealed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["student_id", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["student", "school_class", "version"], name="uniq_transcript_version")
        ]

    def __str__(self) -> str:
        return f"Học bạ {self.year.code} – {self.student.moet_code} (v{self.version})"


class TranscriptSignature(models.Model):
    """Who signed a transcript, in which role, with which certificate, and the file's hash after that signature."""

    ROLE_CHOICES = [
        ("homeroom", _("Giáo viên chủ nhiệm")),
        ("principal", _("Hiệu trưởng")),
        ("seal", _("Nhà trường (chữ ký số tổ chức)")),
    ]
    transcript = models.ForeignKey(Transcript, on_delete=models.CASCADE, related_name="signatures")
    role = models.CharField(max_length=10, choices=ROLE_CHOICES)
    signer_name = models.CharField(max_length=255)
    certificate_subject = models.CharField(max_length=500)
    certificate_serial = models.CharField(max_length=80)
    signed_at = models.DateTimeField(auto_now_add=True)
    signed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    sha256_after = models.CharField(max_length=64)

    class Meta:
        ordering = ["signed_at", "id"]
        constraints = [models.UniqueConstraint(fields=["transcript", "role"], name="uniq_transcript_signature_role")]
