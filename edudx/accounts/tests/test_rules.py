import pytest
from django.contrib.auth import password_validation

from edudx.accounts import rules


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("abcde-fghjk", "abcdefghjk"), ("ABCDE FGHJK", "abcdefghjk"), (" 123 456 ", "123456"), ("", "")],
)
def test_normalise_code(typed, expected):
    assert rules.normalise_code(typed) == expected


def test_recovery_codes_never_look_like_totp_codes():
    for _ in range(200):
        code = rules.new_recovery_code()
        assert len(code) == 10 and not rules.is_totp_code(code)
        assert set(code) <= set(rules.RECOVERY_ALPHABET)
        assert rules.normalise_code(rules.format_recovery_code(code)) == code
    assert rules.is_totp_code("012345") and not rules.is_totp_code("12345")


@pytest.mark.django_db
def test_temporary_passwords_pass_the_validators():
    for _ in range(20):
        password_validation.validate_password(rules.new_temporary_password())
