"""The shape of secret API keys: ``mteja_sk_<key ulid><43 random url-safe chars>`` for live
keys, ``mteja_sk_test_<key ulid><43 random url-safe chars>`` for test keys.

The key's own id is inside it, so authentication loads one row by id and compares hashes
in constant time, instead of using the secret itself as a lookup value. The mode is
written in the key so that a person (and a secret scanner) can tell a test key at a
glance; the stored key's account decides the mode, and the two must agree.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from mteja.core.ids import ULID_LENGTH, is_valid_id

KEY_PREFIX = "mteja_sk_"
TEST_KEY_PREFIX = "mteja_sk_test_"
_SECRET_BYTES = 32  # 256 bits of entropy
_SECRET_LENGTH = 43  # url-safe base64 of 32 bytes, unpadded
KEY_LENGTH = len(KEY_PREFIX) + ULID_LENGTH + _SECRET_LENGTH
TEST_KEY_LENGTH = len(TEST_KEY_PREFIX) + ULID_LENGTH + _SECRET_LENGTH


@dataclass(frozen=True, slots=True)
class NewKey:
    key_id: str
    secret: str
    secret_hash: str
    hint: str


@dataclass(frozen=True, slots=True)
class PresentedKey:
    """What a presented secret claims before it is checked: its id and its mode."""

    key_id: str
    livemode: bool


def generate_key(key_id: str, *, livemode: bool) -> NewKey:
    prefix = KEY_PREFIX if livemode else TEST_KEY_PREFIX
    secret = prefix + key_id.removeprefix("key_") + secrets.token_urlsafe(_SECRET_BYTES)
    return NewKey(key_id=key_id, secret=secret, secret_hash=hash_secret(secret), hint=secret[-4:])


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def presented_key(secret: str) -> PresentedKey | None:
    """The key id and mode a presented secret claims, or None when it is not shaped like a
    key."""
    if len(secret) == TEST_KEY_LENGTH and secret.startswith(TEST_KEY_PREFIX):
        prefix, livemode = TEST_KEY_PREFIX, False
    elif len(secret) == KEY_LENGTH and secret.startswith(KEY_PREFIX):
        prefix, livemode = KEY_PREFIX, True
    else:
        return None
    key_id = "key_" + secret[len(prefix) : len(prefix) + ULID_LENGTH]
    return PresentedKey(key_id, livemode) if is_valid_id(key_id, "key") else None


def secret_matches(secret: str, stored_hash: str) -> bool:
    return hmac.compare_digest(hash_secret(secret), stored_hash)
