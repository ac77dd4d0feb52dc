"""Which role may do what, and how far from its unit that reaches.

This table is the single source of truth for role-based access. Policies (see permissions.py)
turn a capability into a queryset filter: SUBTREE reaches every row under the assigned unit;
RELATED reaches only rows the actor has a relationship with (classes taught, own children, self),
which each model's policy defines.
"""

from __future__ import annotations

from .enums import Reach, Role

S, R = Reach.SUBTREE, Reach.RELATED

# Capabilities are "<area>.<verb>". Keep verbs few: view, change, import, assign, reveal, manage.
VIEW_ALL_REGISTRY = {
    "org.view": S,
    "school.view": S,
    "class.view": S,
    "student.view": S,
    "guardian.view": S,
    "staff.view": S,
    "year.view": S,
}

ROLE_CAPABILITIES: dict[str, dict[str, Reach]] = {
    Role.AUTHORITY_LEADER: {
        "gradestats.view": S,
        "procedure.manage": S,
        "dossier.view": S,
        "dossier.receive": S,
        "dossier.handle": S,
        "dossier.approve": S,
        "servicekpi.view": S,
        "payment.view": S,
        "payment.reconcile": S,
        "ruleset.manage": S,
        **VIEW_ALL_REGISTRY,
        "org.manage": S,
        "role.assign": S,
        "audit.view": S,
        "dataquality.view": S,
        "student.reveal": S,
        "year.manage": S,
    },
    Role.AUTHORITY_SPECIALIST: {
        "gradestats.view": S,
        "procedure.manage": S,
        "dossier.view": S,
        "dossier.receive": S,
        "dossier.handle": S,
        "servicekpi.view": S,
        "payment.view": S,
        "payment.reconcile": S,
        "ruleset.manage": S,
        **VIEW_ALL_REGISTRY,
        "org.manage": S,
        "role.assign": S,
        "audit.view": S,
        "dataquality.view": S,
        "year.manage": S,
    },
    Role.SECURITY_OFFICER: {
        "org.view": S,
        "school.view": S,
        "staff.view": S,
        "audit.view": S,
    },
    Role.PRINCIPAL: {
        "payment.view": S,
        "grade.view": S,
        "grade.lock": S,
        "gradestats.view": S,
        "transcript.view": S,
        "transcript.sign": S,
        "transcript.seal": S,
        **VIEW_ALL_REGISTRY,
        "school.change": S,
        "class.change": S,
        "student.change": S,
        "student.import": S,
        "student.reveal": S,
        "guardian.change": S,
        "staff.change": S,
        "role.assign": S,
        "audit.view": S,
        "dataquality.view": S,
    },
    Role.VICE_PRINCIPAL: {
        "grade.view": S,
        "grade.lock": S,
        "gradestats.view": S,
        "transcript.view": S,
        **VIEW_ALL_REGISTRY,
        "school.change": S,
        "class.change": S,
        "student.change": S,
        "student.import": S,
        "guardian.change": S,
        "dataquality.view": S,
    },
    Role.CLERK: {
        "transcript.view": S,
        **VIEW_ALL_REGISTRY,
        "student.change": S,
        "student.import": S,
        "guardian.change": S,
        "staff.change": S,
        "class.change": S,
        "dataquality.view": S,
    },
    Role.SCHOOL_IT: {
        "org.view": S,
        "school.view": S,
        "school.change": S,
        "class.view": S,
        "staff.view": S,
        "year.view": S,
    },
    Role.ACCOUNTANT: {
        "payment.view": S,
        "payment.reconcile": S,
        "org.view": S,
        "school.view": S,
        "class.view": S,
        "student.view": S,
        "guardian.view": S,
        "year.view": S,
    },
    Role.LIBRARIAN: {
        "org.view": S,
        "school.view": S,
        "class.view": S,
        "student.view": S,
        "year.view": S,
    },
    Role.HOMEROOM_TEACHER: {
        "grade.view": R,
        "grade.enter": R,
        "transcript.view": R,
        "transcript.sign": R,
        "org.view": S,
        "school.view": S,
        "staff.view": S,
        "year.view": S,
        "class.view": R,
        "student.view": R,
        "guardian.view": R,
    },
    Role.SUBJECT_TEACHER: {
        "grade.view": R,
        "grade.enter": R,
        "org.view": S,
        "school.view": S,
        "staff.view": S,
        "year.view": S,
        "class.view": R,
        "student.view": R,
    },
    Role.GUARDIAN: {
        "grade.view": R,
        "transcript.view": R,
        "school.view": S,
        "year.view": S,
        "class.view": R,
        "student.view": R,
        "guardian.view": R,
    },
    Role.STUDENT: {
        "grade.view": R,
        "transcript.view": R,
        "school.view": S,
        "year.view": S,
        "class.view": R,
        "student.view": R,
    },
    Role.CITIZEN: {},
}


def reach_of(role: str, capability: str) -> Reach | None:
    return ROLE_CAPABILITIES.get(role, {}).get(capability)


def roles_with(capability: str) -> dict[str, Reach]:
    return {role: caps[capability] for role, caps in ROLE_CAPABILITIES.items() if capability in caps}
