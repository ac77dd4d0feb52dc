"""The credential store: demo certificates for staff and school seals, signers, refusals, trust roots."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from edudx.core import credentials
from edudx.core.errors import ValidationFailed
from edudx.core.models import SigningCredential

pytestmark = pytest.mark.django_db


@pytest.fixture
def ca_dir(settings, tmp_path):
    settings.SIGNING_CA_DIR = tmp_path / "ca"
    return settings.SIGNING_CA_DIR


def test_issue_and_sign_with_own_credential(world, ca_dir):
    school = world.school1.school
    teacher = world.school1.users["homeroom_teacher"]
    credential = credentials.issue_demo_credential_for_user(teacher, full_name="Trần Thị Mai", unit=school)
    assert credential.stem == f"user-{teacher.pk}" and credential.provider == "local_ca"
    assert (ca_dir / f"user-{teacher.pk}.key.pem").exists()
    assert credentials.common_name(credential) == "Trần Thị Mai" and "O=Trường THCS Một" in credential.subject
    seal = credentials.issue_seal_for_unit(school)
    assert seal.stem == f"unit-{school.pk}" and credentials.common_name(seal) == school.name
    assert credentials.signer_for_user(teacher) is not None and credentials.signer_for_unit(school) is not None
    roots = credentials.trust_roots()
    assert len(roots) == 1 and "EduDX Demo Root CA" in roots[0].subject.rfc4514_string()
    # Re-issuing replaces the row (one credential per person), with a new serial.
    again = credentials.issue_demo_credential_for_user(teacher, full_name="Trần Thị Mai", unit=school)
    assert again.pk == credential.pk and again.serial != credential.serial


def test_missing_or_expired_credential_is_refused(world, ca_dir):
    principal = world.school1.users["principal"]
    with pytest.raises(ValidationFailed, match="chưa có chứng thư số"):
        credentials.signer_for_user(principal)
    with pytest.raises(ValidationFailed, match="chưa có chứng thư số"):
        credentials.signer_for_unit(world.school2.school)
    credential = credentials.issue_demo_credential_for_user(
        principal, full_name="Lê Văn Đức", unit=world.school1.school
    )
    SigningCredential.objects.filter(pk=credential.pk).update(valid_to=timezone.now() - dt.timedelta(days=1))
    with pytest.raises(ValidationFailed, match="hết hạn"):
        credentials.signer_for_user(principal)
    assert credentials.trust_roots()  # the CA exists now


def test_issue_demo_credentials_is_idempotent(world, ca_dir):
    school = world.school1.school
    first = credentials.issue_demo_credentials([school.pk])
    # principal, vice principal, homeroom teacher, subject teacher; one seal.
    assert first == {"users": 4, "units": 1}
    assert credentials.issue_demo_credentials([school.pk]) == {"users": 0, "units": 0}
    assert not SigningCredential.objects.filter(org_unit=world.school2.school).exists()
    assert not SigningCredential.objects.filter(user=world.school1.users["clerk"]).exists()
