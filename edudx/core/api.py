"""What other apps may use from core."""

from . import audit
from .bulk import WriteBatch, insert_object, insert_objects, insert_rows
from .capabilities import ROLE_CAPABILITIES, reach_of
from .enums import (
    AUTHORITY_ROLES,
    PUBLIC_ROLES,
    SCHOOL_ROLES,
    AuthorityKind,
    OrgEventKind,
    OrgUnitKind,
    Ownership,
    Reach,
    Role,
    SchoolLevel,
)
from .errors import Conflict, DomainError, NotPermitted, ValidationFailed
from .models import AuditEvent, BaseModel, OrgUnit, OrgUnitEvent, OrgUnitVersion, RoleAssignment, SensitiveRead
from .permissions import Actor, Policy, actor_for, paths_q, policy_for, register, registered_models

__all__ = [
    "AUTHORITY_ROLES",
    "PUBLIC_ROLES",
    "ROLE_CAPABILITIES",
    "SCHOOL_ROLES",
    "Actor",
    "AuditEvent",
    "AuthorityKind",
    "BaseModel",
    "Conflict",
    "DomainError",
    "NotPermitted",
    "OrgEventKind",
    "OrgUnit",
    "OrgUnitEvent",
    "OrgUnitKind",
    "OrgUnitVersion",
    "Ownership",
    "Policy",
    "Reach",
    "Role",
    "RoleAssignment",
    "SchoolLevel",
    "SensitiveRead",
    "ValidationFailed",
    "WriteBatch",
    "actor_for",
    "audit",
    "insert_object",
    "insert_objects",
    "insert_rows",
    "paths_q",
    "policy_for",
    "reach_of",
    "register",
    "registered_models",
]
