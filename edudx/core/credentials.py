"""The credential store: which signing certificate the server uses for a person or for a unit's seal.

A ``SigningCredential`` row names a certificate and its key (files ``<stem>.crt.pem`` / ``.key.pem`` /
``.chain.pem`` under ``settings.SIGNING_CA_DIR``, stem ``user-<id>`` or ``unit-<id>``). Callers never open those
files: they ask for a :class:`~edudx.core.signing.Signer` with :func:`signer_for_user` or :func:`signer_for_unit`,
which refuse, with a message the user can act on, when the person or the school has no certificate or it expired.

For the demo and tests certificates are issued by the local certificate authority of ``signing.ensure_demo_ca``.
Production registers credentials from a real provider instead (``provider`` names it): a PKCS#11 token agent for
the school's seal kept on a USB token, or a remote-signing account (VNPT SmartCA, Viettel MySign, …) for a
teacher. The adapters are described in the docstring of :mod:`edudx.core.signing`; only
:func:`signer_for_credential` has to learn the new provider names.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from cryptography import x509
from cryptography.x509.oid import NameOID
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from . import audit
from .enums import OrgUnitKind, Role
from .errors import ValidationFailed
from .models import OrgUnit, RoleAssignment, SigningCredential
from .signing import (
    ROOT_STEM,
    CertifiedKey,
    LocalCASigner,
    Signer,
    ca_directory,
    ensure_demo_ca,
    issue_organisation_certificate,
    issue_personal_certificate,
    load_certified_key,
    store_certified_key,
)

__all__ = [
    "LOCAL_CA",
    "SIGNING_ROLES",
    "common_name",
    "credential_for_unit",
    "credential_for_user",
    "issue_demo_credential_for_user",
    "issue_demo_credentials",
    "issue_seal_for_unit",
    "signer_for_credential",
    "signer_for_unit",
    "signer_for_user",
    "trust_roots",
]

LOCAL_CA = "local_ca"
# Staff who sign documents: teachers sign học bạ as homeroom teachers, school leaders as principals.
SIGNING_ROLES = (Role.PRINCIPAL, Role.VICE_PRINCIPAL, Role.HOMEROOM_TEACHER, Role.SUBJECT_TEACHER)


def _user_stem(user: Any) -> str:
    return f"user-{user.pk}"


def _unit_stem(unit: OrgUnit) -> str:
    return f"unit-{unit.pk}"


def _save_credential(
    certified: CertifiedKey, *, stem: str, user: Any = None, unit: OrgUnit | None = None
) -> SigningCredential:
    store_certified_key(certified, ca_directory(), stem)
    values = {
        "provider": LOCAL_CA,
        "stem": stem,
        "subject": certified.certificate.subject.rfc4514_string()[:500],
        "serial": format(certified.certificate.serial_number, "x"),
        "valid_to": certified.certificate.not_valid_after_utc,
    }
    lookup = {"user": user} if user is not None else {"org_unit": unit}
    credential, created = SigningCredential.objects.update_or_create(**lookup, defaults=values)
    audit.record(
        actor=None,
        action="signing_credential.issue",
        obj=credential,
        org_unit=unit,
        after={"subject": credential.subject, "serial": credential.serial, "created": created},
    )
    return credential


@transaction.atomic
def issue_demo_credential_for_user(user: Any, *, full_name: str, unit: OrgUnit) -> SigningCredential:
    """Issue (or renew) a personal certificate of the demo CA to ``user``, working at ``unit``."""
    ca, _created = ensure_demo_ca()
    parent = unit.parent.name if unit.parent is not None else None
    certified = issue_personal_certificate(
        ca, full_name=full_name, organisation=unit.name, unit=parent, email=getattr(user, "email", "") or None
    )
    return _save_credential(certified, stem=_user_stem(user), user=user)


@transaction.atomic
def issue_seal_for_unit(unit: OrgUnit) -> SigningCredential:
    """Issue (or renew) the organisation certificate (the electronic seal) of ``unit`` from the demo CA."""
    ca, _created = ensure_demo_ca()
    parent = unit.parent.name if unit.parent is not None else None
    certified = issue_organisation_certificate(ca, organisation_name=unit.name, parent_organisation=parent)
    return _save_credential(certified, stem=_unit_stem(unit), unit=unit)


def _usable(credential: SigningCredential | None, missing: str) -> SigningCredential:
    if credential is None:
        raise ValidationFailed(missing, code="no_credential")
    if credential.valid_to <= timezone.now():
        raise ValidationFailed(
            _("Chứng thư số “%(subject)s” đã hết hạn ngày %(day)s: chưa có chứng thư số còn hiệu lực.")
            % {"subject": credential.subject, "day": timezone.localtime(credential.valid_to).strftime("%d/%m/%Y")},
            code="credential_expired",
        )
    return credential


def credential_for_user(user: Any) -> SigningCredential:
    """The user's personal credential in force; ``ValidationFailed`` when there is none or it expired."""
    credential = SigningCredential.objects.filter(user=user).first() if user is not None else None
    name = getattr(user, "full_name", "") or getattr(user, "username", "")
    return _usable(
        credential,
        _("%(name)s chưa có chứng thư số cá nhân: hãy đăng ký chữ ký số trước khi ký.") % {"name": name},
    )


def credential_for_unit(unit: OrgUnit) -> SigningCredential:
    """The unit's seal credential in force; ``ValidationFailed`` when there is none or it expired."""
    credential = SigningCredential.objects.filter(org_unit=unit).first()
    return _usable(
        credential,
        _("%(unit)s chưa có chứng thư số của tổ chức (chữ ký số con dấu).") % {"unit": unit.name},
    )


def common_name(credential: SigningCredential) -> str:
    """The certificate's common name (the person or organisation that signs), from the stored subject."""
    try:
        name = x509.Name.from_rfc4514_string(credential.subject)
        values = name.get_attributes_for_oid(NameOID.COMMON_NAME)
    except ValueError:
        return ""
    value = values[0].value if values else ""
    return value if isinstance(value, str) else value.decode()


def signer_for_credential(credential: SigningCredential) -> Signer:
    """The signing back end of a credential (only the server-held local CA keys are wired here)."""
    if credential.provider != LOCAL_CA:
        raise ValidationFailed(
            _("Nhà cung cấp chữ ký số “%(provider)s” chưa được kết nối.") % {"provider": credential.provider},
            code="provider_unavailable",
        )
    try:
        certified = load_certified_key(ca_directory(), credential.stem)
    except (OSError, ValueError) as error:
        raise ValidationFailed(
            _("Không đọc được chứng thư số “%(subject)s”: chưa có chứng thư số dùng được.")
            % {"subject": credential.subject},
            code="credential_unreadable",
        ) from error
    return LocalCASigner(certified)


def signer_for_user(user: Any) -> Signer:
    return signer_for_credential(credential_for_user(user))


def signer_for_unit(unit: OrgUnit) -> Signer:
    return signer_for_credential(credential_for_unit(unit))


def trust_roots() -> list[x509.Certificate]:
    """The roots a verifier trusts: the demo CA's root when it exists (production adds the national roots)."""
    path = ca_directory() / f"{ROOT_STEM}.crt.pem"
    if not path.exists():
        return []
    return list(x509.load_pem_x509_certificates(path.read_bytes()))


def _signing_users(school_ids: Iterable[int] | None) -> list[tuple[Any, OrgUnit]]:
    rows = RoleAssignment.objects.active_on(timezone.localdate()).filter(
        role__in=SIGNING_ROLES, user__is_active=True, org_unit__kind=OrgUnitKind.SCHOOL, org_unit__valid_to__isnull=True
    )
    if school_ids is not None:
        rows = rows.filter(org_unit_id__in=list(school_ids))
    seen: dict[int, tuple[Any, OrgUnit]] = {}
    for row in rows.select_related("user", "org_unit", "org_unit__parent").order_by("user_id", "id"):
        seen.setdefault(row.user_id, (row.user, row.org_unit))
    return list(seen.values())


def issue_demo_credentials(school_ids: Iterable[int] | None = None) -> dict[str, int]:
    """Give every active teacher and school leader of the schools (all open schools when ``None``) a personal
    certificate, and every school a seal, from the demo CA. Credentials still in force are kept (idempotent).

    Returns counts ``{"users": n, "units": m}`` of the credentials issued now.
    """
    ids = list(school_ids) if school_ids is not None else None
    now = timezone.now() + dt.timedelta(days=1)
    issued = {"users": 0, "units": 0}
    for user, unit in _signing_users(ids):
        current = SigningCredential.objects.filter(user=user, valid_to__gt=now).first()
        if current is None:
            person = getattr(user, "person", None)
            full_name = getattr(person, "full_name", "") or user.full_name or user.username
            issue_demo_credential_for_user(user, full_name=full_name, unit=unit)
            issued["users"] += 1
    schools = OrgUnit.objects.filter(kind=OrgUnitKind.SCHOOL, valid_to__isnull=True).select_related("parent")
    if ids is not None:
        schools = schools.filter(pk__in=ids)
    for school in schools:
        if not SigningCredential.objects.filter(org_unit=school, valid_to__gt=now).exists():
            issue_seal_for_unit(school)
            issued["units"] += 1
    return issued
