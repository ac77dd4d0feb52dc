import base64

import pytest
from cryptography.exceptions import InvalidTag

from edudx.core.crypto import VERSION, decrypt, encrypt, lookup_hash


def test_round_trip_and_no_clear_text():
    token = encrypt("079315000123")
    assert "079315000123" not in token
    assert decrypt(token) == "079315000123"
    assert encrypt("079315000123") != token  # a fresh nonce every time


@pytest.mark.parametrize("position", [0, 12, 20, -1])  # nonce, ciphertext, tag
def test_a_changed_byte_does_not_open(position):
    token = encrypt("079315000123")
    raw = bytearray(base64.urlsafe_b64decode(token[len(VERSION) :]))
    raw[position] ^= 0x01
    with pytest.raises(InvalidTag):
        decrypt(VERSION + base64.urlsafe_b64encode(bytes(raw)).decode())


def test_lookup_hash_is_keyed_and_stable(settings):
    first = lookup_hash("079315000123")
    assert first == lookup_hash("079315000123")
    settings.LOOKUP_HASH_KEY = "another key"
    assert lookup_hash("079315000123") != first


def test_empty_values_stay_empty():
    assert encrypt("") == "" and decrypt("") == "" and lookup_hash("") == ""
