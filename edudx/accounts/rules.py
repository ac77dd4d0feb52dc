"""Pure rules for accounts: the shape of recovery codes and temporary passwords."""

from __future__ import annotations

import secrets

RECOVERY_CODE_COUNT = 10
# Lower-case letters and digits without look-alikes (0/o, 1/l/i), so a code read off paper is typed right.
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
RECOVERY_CODE_LENGTH = 10
TEMPORARY_PASSWORD_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZabcdefghjkmnpqrstuvwxyz23456789"


def new_recovery_code() -> str:
    """Ten characters, at least one letter, so a recovery code is never mistaken for a 6-digit TOTP code."""
    while True:
        code = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_CODE_LENGTH))
        if not code.isdigit():
            return code


def format_recovery_code(code: str) -> str:
    """Shown as two groups of five: ``abcde-fghjk``."""
    return f"{code[:5]}-{code[5:]}" if len(code) == RECOVERY_CODE_LENGTH else code


def normalise_code(raw: str) -> str:
    """What the user typed, without spaces and dashes, lower-case: ``ABCDE FGHJK`` → ``abcdefghjk``."""
    return "".join(ch for ch in (raw or "") if ch not in " -\t").lower()


def is_totp_code(code: str) -> bool:
    return code.isdigit() and len(code) in (6, 8)


def new_temporary_password() -> str:
    """Twelve random characters in three groups: long enough for the validators, easy to dictate."""
    groups = ["".join(secrets.choice(TEMPORARY_PASSWORD_ALPHABET) for _ in range(4)) for _ in range(3)]
    return "-".join(groups)
