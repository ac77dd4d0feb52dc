"""Encryption at rest and keyed lookup hashes for sensitive fields (personal ID numbers).

Values are sealed with AES-256-GCM (authenticated: a changed byte fails to open) under a key
derived from FIELD_ENCRYPTION_KEY; the stored text is ``v1:`` + base64(nonce ‖ ciphertext ‖ tag), the
version prefix leaving room to rotate keys or algorithms later.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from functools import lru_cache

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings

VERSION = "v1:"
NONCE_BYTES = 12


@lru_cache(maxsize=4)
def _cipher(key_material: str) -> AESGCM:
    return AESGCM(hashlib.sha256(key_material.encode()).digest())


def encrypt(value: str) -> str:
    if not value:
        return ""
    nonce = os.urandom(NONCE_BYTES)
    sealed = _cipher(settings.FIELD_ENCRYPTION_KEY).encrypt(nonce, value.encode(), None)
    return VERSION + base64.urlsafe_b64encode(nonce + sealed).decode()


def decrypt(token: str) -> str:
    if not token:
        return ""
    if not token.startswith(VERSION):
        raise ValueError("Unknown encryption format")
    raw = base64.urlsafe_b64decode(token[len(VERSION) :].encode())
    return _cipher(settings.FIELD_ENCRYPTION_KEY).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], None).decode()


def lookup_hash(value: str) -> str:
    """A keyed hash: equal values give equal hashes, but the hash cannot be reversed or brute-forced
    without the key (12-digit IDs are a small space, so a plain hash would not protect them)."""
    if not value:
        return ""
    return hmac.new(settings.LOOKUP_HASH_KEY.encode(), value.encode(), hashlib.sha256).hexdigest()
