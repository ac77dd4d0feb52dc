"""Pure rules for accounts: recovery codes, temporary passwords, sign-up codes and contact addresses."""

from __future__ import annotations

import re
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


# --- Sign-up ---------------------------------------------------------------------------------

SIGNUP_CODE_LENGTH = 6
SIGNUP_CODE_TTL_SECONDS = 10 * 60
SIGNUP_MAX_ATTEMPTS = 5
SIGNUP_RESEND_COOLDOWN_SECONDS = 60
# Codes one address may receive per hour, all sign-ups together: bounds SMS cost and guessing.
SIGNUP_MAX_CODES_PER_HOUR = 5

# Same rules as the dossier forms (procedures.forms_schema): separators dropped, +84/84 → 0.
_PHONE_SEPARATORS = re.compile(r"[\s.\-()]")
_MOBILE = re.compile(r"0[35789]\d{8}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def normalise_phone(value: str) -> str:
    """A Vietnamese phone number in its national form: ``+84 912 345 678`` → ``0912345678``."""
    text = _PHONE_SEPARATORS.sub("", value or "")
    if text.startswith("+84"):
        text = "0" + text[3:]
    elif text.startswith("84") and len(text) in (11, 12):
        text = "0" + text[2:]
    return text


def is_mobile_phone(value: str) -> bool:
    """A Vietnamese mobile number (10 digits starting 03, 05, 07, 08 or 09) once normalised."""
    return bool(_MOBILE.fullmatch(normalise_phone(value)))


def looks_like_email(value: str) -> bool:
    return bool(_EMAIL.fullmatch((value or "").strip()))


def new_signup_code() -> str:
    return "".join(secrets.choice("0123456789") for _ in range(SIGNUP_CODE_LENGTH))


def normalise_signup_code(raw: str) -> str:
    """Digits only: a code pasted as ``123 456`` or ``123-456`` still counts."""
    return "".join(ch for ch in (raw or "") if ch.isdigit())


def mask_destination(destination: str) -> str:
    """Show where the code went without showing the whole address: ``09******78``, ``ng***@gmail.com``."""
    if "@" in destination:
        local, _, domain = destination.partition("@")
        return f"{local[:2]}***@{domain}"
    return f"{destination[:2]}{'*' * max(len(destination) - 4, 0)}{destination[-2:]}"
