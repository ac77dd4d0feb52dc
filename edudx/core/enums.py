from django.db import models
from django.utils.translation import gettext_lazy as _


class OrgUnitKind(models.TextChoices):
    MINISTRY = "ministry", _("Bộ GDĐT")
    DEPARTMENT = "department", _("Sở GDĐT")
    AUTHORITY = "authority", _("Cơ quan quản lý giáo dục")
    SCHOOL = "school", _("Trường")


class AuthorityKind(models.TextChoices):
    EDUCATION_OFFICE = "education_office", _("Phòng GDĐT")
    WARD_COMMITTEE = "ward_committee", _("UBND phường/xã (Phòng Văn hóa – Xã hội)")


class SchoolLevel(models.TextChoices):
    MN = "MN", _("Mầm non")
    TH = "TH", _("Tiểu học")
    THCS = "THCS", _("Trung học cơ sở")
    MULTI = "LC", _("Liên cấp")


class Ownership(models.TextChoices):
    PUBLIC = "public", _("Công lập")
    PRIVATE = "private", _("Tư thục")


class OrgEventKind(models.TextChoices):
    CREATE = "create", _("Thành lập")
    RENAME = "rename", _("Đổi tên")
    MOVE = "move", _("Chuyển đơn vị quản lý")
    MERGE = "merge", _("Sáp nhập")
    CLOSE = "close", _("Giải thể / ngừng hoạt động")


class Role(models.TextChoices):
    AUTHORITY_LEADER = "authority_leader", _("Lãnh đạo cơ quan quản lý")
    AUTHORITY_SPECIALIST = "authority_specialist", _("Chuyên viên")
    SECURITY_OFFICER = "security_officer", _("Cán bộ an toàn thông tin")
    PRINCIPAL = "principal", _("Hiệu trưởng")
    VICE_PRINCIPAL = "vice_principal", _("Phó hiệu trưởng")
    HOMEROOM_TEACHER = "homeroom_teacher", _("Giáo viên chủ nhiệm")
    SUBJECT_TEACHER = "subject_teacher", _("Giáo viên bộ môn")
    ACCOUNTANT = "accountant", _("Kế toán")
    CLERK = "clerk", _("Văn thư")
    LIBRARIAN = "librarian", _("Thủ thư")
    SCHOOL_IT = "school_it", _("Cán bộ phụ trách CNTT")
    GUARDIAN = "guardian", _("Phụ huynh")
    STUDENT = "student", _("Học sinh")
    CITIZEN = "citizen", _("Người dân / tổ chức")


AUTHORITY_ROLES = frozenset({Role.AUTHORITY_LEADER, Role.AUTHORITY_SPECIALIST, Role.SECURITY_OFFICER})
SCHOOL_ROLES = frozenset(
    {
        Role.PRINCIPAL,
        Role.VICE_PRINCIPAL,
        Role.HOMEROOM_TEACHER,
        Role.SUBJECT_TEACHER,
        Role.ACCOUNTANT,
        Role.CLERK,
        Role.LIBRARIAN,
        Role.SCHOOL_IT,
    }
)
PUBLIC_ROLES = frozenset({Role.GUARDIAN, Role.STUDENT, Role.CITIZEN})


class Reach(models.TextChoices):
    """How far a role's capability reaches from the unit it is assigned on."""

    SUBTREE = "subtree", _("Toàn bộ đơn vị và đơn vị trực thuộc")
    RELATED = "related", _("Chỉ đối tượng có quan hệ (lớp dạy, con em, bản thân)")
