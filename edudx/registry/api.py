"""What other apps may use from the registry: its models (read through their policies) and a few services."""

from .models import (
    ClassMembership,
    Grade,
    GuardianLink,
    Person,
    SchoolClass,
    SchoolYear,
    StaffMember,
    Student,
    Subject,
    TeachingAssignment,
)
from .permissions import (
    ClassMembershipPolicy,
    GuardianLinkPolicy,
    SchoolClassPolicy,
    StaffMemberPolicy,
    StudentPolicy,
    TeachingAssignmentPolicy,
    class_related_q,
    student_related_q,
)

__all__ = [
    "ClassMembership",
    "ClassMembershipPolicy",
    "Grade",
    "GuardianLink",
    "GuardianLinkPolicy",
    "Person",
    "SchoolClass",
    "SchoolClassPolicy",
    "SchoolYear",
    "StaffMember",
    "StaffMemberPolicy",
    "Student",
    "StudentPolicy",
    "Subject",
    "TeachingAssignment",
    "TeachingAssignmentPolicy",
    "class_related_q",
    "student_related_q",
]
