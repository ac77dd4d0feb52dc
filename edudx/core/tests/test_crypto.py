import pytest
from cryptography.exceptions import InvalidTag

from edudx.core.crypto import decrypt, encrypt, lookup_hash


def test_round_trip_and_no_clear_text():
    token = encrypt("079315000123")
    assert "079315000123" not in token
    assert decrypt(token) == "079315000123"
    assert encrypt("079315000123") != token  # a fresh nonce every time


def test_a_changed_byte_does_not_open():
    token = encrypt("079315000123")
    flipped = token[:-3] + ("A" if token[-3] != "A" else "B") + token[-2:]
    with pytest.raises((InvalidTag, ValueError)):
        decrypt(flipped)


def test_lookup_hash_is_keyed_and_stable(settings):
    first = lookup_hash("079315000123")
    assert first == lookup_hash("079315000123")
    settings.LOOKUP_HASH_KEY = "another key"
    assert lookup_hash("079315000123") != first


def test_empty_values_stay_empty():
    assert encrypt("") == "" and decrypt("") == "" and lookup_hash("") == ""
