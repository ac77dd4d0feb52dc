"""Permission policies of the registry: the subtree rule from core plus the relationships
(classes taught, own children, self) that narrow access for teachers, guardians and students."""

from __future__ import annotations

from django.db.models import Q

from edudx.core.api import Actor, Policy, Role, register

from .models import (
    ClassMembership,
    GuardianLink,
    ImportJob,
    Person,
    SchoolClass,
    SchoolInfrastructure,
    SchoolYear,
    StaffMember,
    Student,
    TeachingAssignment,
)

NOTHING = Q(pk__in=[])


def class_related_q(prefix: str, actor: Actor, role: str) -> Q:
    """Classes related to the actor through ``role``; ``prefix`` leads from the row to a class."""
    person = actor.person_id
    if person is None:
        return NOTHING
    if role == Role.HOMEROOM_TEACHER:
        return Q(**{f"{prefix}homeroom_teacher__person_id": person})
    if role == Role.SUBJECT_TEACHER:
        return Q(**{f"{prefix}teaching_assignments__staff__person_id": person}) | Q(
            **{f"{prefix}homeroom_teacher__person_id": person}
        )
    if role == Role.GUARDIAN:
        return Q(
            **{
                f"{prefix}memberships__student__guardian_links__guardian_id": person,
                f"{prefix}memberships__left_on__isnull": True,
            }
        )
    if role == Role.STUDENT:
        return Q(**{f"{prefix}memberships__student__person_id": person, f"{prefix}memberships__left_on__isnull": True})
    return NOTHING


def student_related_q(prefix: str, actor: Actor, role: str) -> Q:
    """Students related to the actor; ``prefix`` leads from the row to a student."""
    person = actor.person_id
    if person is None:
        return NOTHING
    if role in (Role.HOMEROOM_TEACHER, Role.SUBJECT_TEACHER):
        return class_related_q(f"{prefix}memberships__school_class__", actor, role) & Q(
            **{f"{prefix}memberships__left_on__isnull": True}
        )
    if role == Role.GUARDIAN:
        return Q(**{f"{prefix}guardian_links__guardian_id": person})
    if role == Role.STUDENT:
        return Q(**{f"{prefix}person_id": person})
    return NOTHING


@register
class SchoolClassPolicy(Policy[SchoolClass]):
    model = SchoolClass
    area = "class"
    path_lookup = "school__path"

    def related_q(self, actor: Actor, capability: str, role: str) -> Q:
        return class_related_q("", actor, role)


@register
class StudentPolicy(Policy[Student]):
    model = Student
    area = "student"
    path_lookup = "school__path"

    def related_q(self, actor: Actor, capability: str, role: str) -> Q:
        return student_related_q("", actor, role)


@register
class ClassMembershipPolicy(Policy[ClassMembership]):
    model = ClassMembership
    area = "student"
    path_lookup = "school_class__school__path"

    def related_q(self, actor: Actor, capability: str, role: str) -> Q:
        return student_related_q("student__", actor, role)


@register
class GuardianLinkPolicy(Policy[GuardianLink]):
    model = GuardianLink
    area = "guardian"
    path_lookup = "student__school__path"

    def related_q(self, actor: Actor, capability: str, role: str) -> Q:
        if role == Role.GUARDIAN:
            # By the guardian's user, not their person id: the same links, and a caller reading only links need
            # not load the actor's person first.
            return Q(guardian__user_id=actor.user.pk)
        return student_related_q("student__", actor, role)


@register
class StaffMemberPolicy(Policy[StaffMember]):
    model = StaffMember
    area = "staff"
    path_lookup = "org_unit__path"


@register
class TeachingAssignmentPolicy(Policy[TeachingAssignment]):
    model = TeachingAssignment
    area = "class"
    path_lookup = "school_class__school__path"

    def related_q(self, actor: Actor, capability: str, role: str) -> Q:
        return class_related_q("school_class__", actor, role)


@register
class SchoolInfrastructurePolicy(Policy[SchoolInfrastructure]):
    model = SchoolInfrastructure
    area = "school"
    path_lookup = "school__path"


@register
class ImportJobPolicy(Policy[ImportJob]):
    model = ImportJob
    area = "student"
    path_lookup = "school__path"

    def filter_q(self, actor: Actor, capability: str) -> Q:
        # Imports are seen by those who may import in that school, whatever the verb asked.
        return super().filter_q(actor, "student.import")


@register
class SchoolYearPolicy(Policy[SchoolYear]):
    """School years are sector-wide reference data: any signed-in user with a role may read them."""

    model = SchoolYear
    area = "year"
    path_lookup = ""

    def filter_q(self, actor: Actor, capability: str) -> Q:
        if capability == "year.view":
            return Q() if actor.grants else NOTHING
        return Q() if actor.subtree_paths(capability) else NOTHING


@register
class PersonPolicy(Policy[Person]):
    """A person is visible through a student, guardian or staff row the actor may see, or as oneself."""

    model = Person
    area = "person"
    path_lookup = ""

    def filter_q(self, actor: Actor, capability: str) -> Q:
        verb = capability.split(".", 1)[1]
        q = Q(user=actor.user)
        q |= Q(student__in=StudentPolicy().visible(actor, verb))
        q |= Q(wards__in=GuardianLinkPolicy().visible(actor, verb))
        q |= Q(staff_roles__in=StaffMemberPolicy().visible(actor, verb))
        return q
