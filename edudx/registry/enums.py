from django.db import models
from django.utils.translation import gettext_lazy as _


class Sex(models.TextChoices):
    MALE = "M", _("Nam")
    FEMALE = "F", _("Nữ")


class StudentStatus(models.TextChoices):
    STUDYING = "studying", _("Đang học")
    TRANSFERRED = "transferred", _("Đã chuyển trường")
    GRADUATED = "graduated", _("Đã hoàn thành cấp học")
    LEFT = "left", _("Thôi học")


class GuardianRelation(models.TextChoices):
    FATHER = "father", _("Cha")
    MOTHER = "mother", _("Mẹ")
    GUARDIAN = "guardian", _("Người giám hộ")
    OTHER = "other", _("Khác")


class StaffPosition(models.TextChoices):
    PRINCIPAL = "principal", _("Hiệu trưởng")
    VICE_PRINCIPAL = "vice_principal", _("Phó hiệu trưởng")
    TEACHER = "teacher", _("Giáo viên")
    STAFF = "staff", _("Nhân viên")
    SPECIALIST = "specialist", _("Chuyên viên")
    LEADER = "leader", _("Lãnh đạo")


class Qualification(models.TextChoices):
    INTERMEDIATE = "intermediate", _("Trung cấp")
    COLLEGE = "college", _("Cao đẳng")
    BACHELOR = "bachelor", _("Đại học")
    MASTER = "master", _("Thạc sĩ")
    DOCTOR = "doctor", _("Tiến sĩ")
    OTHER = "other", _("Khác")


class InternetType(models.TextChoices):
    NONE = "none", _("Không có")
    FIBER = "fiber", _("Cáp quang")
    ADSL = "adsl", _("ADSL")
    MOBILE = "mobile", _("Di động 4G/5G")
    OTHER = "other", _("Khác")


class ImportKind(models.TextChoices):
    STUDENTS = "students", _("Học sinh")
    GUARDIANS = "guardians", _("Phụ huynh")
    STAFF = "staff", _("Cán bộ, giáo viên, nhân viên")
    CLASSES = "classes", _("Lớp học")


class ImportStatus(models.TextChoices):
    PENDING = "pending", _("Đang chờ")
    RUNNING = "running", _("Đang kiểm tra")
    INVALID = "invalid", _("Có lỗi")
    PREVIEW = "preview", _("Sẵn sàng ghi")
    COMMITTING = "committing", _("Đang ghi")
    DONE = "done", _("Đã ghi")
    FAILED = "failed", _("Thất bại")
