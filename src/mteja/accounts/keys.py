"""The shape of secret API keys: ``mteja_sk_<key ulid><43 random url-safe chars>``.

The key's own id is inside it, so authentication loads one row by id and compares hashes
in constant time, instead of using the secret itself as a lookup value.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from mteja.core.ids import ULID_LENGTH, is_valid_id

KEY_PREFIX = "mteja_sk_"
_SECRET_BYTES = 32  # 256 bits of entropy
_SECRET_LENGTH = 43  # url-safe base64 of 32 bytes, unpadded
KEY_LENGTH = len(KEY_PREFIX) + ULID_LENGTH + _SECRET_LENGTH


@dataclass(frozen=True, slots=True)
class NewKey:
    key_id: str
    secret: str
    secret_hash: str
    hint: str


def generate_key(key_id: str) -> NewKey:
    secret = KEY_PREFIX + key_id.removeprefix("key_") + secrets.token_urlsafe(_SECRET_BYTES)
    return NewKey(key_id=key_id, secret=secret, secret_hash=hash_secret(secret), hint=secret[-4:])


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def key_id_of(secret: str) -> str | None:
    """The key id a presented secret claims, or None when it is not shaped like a key."""
    if len(secret) != KEY_LENGTH or not secret.startswith(KEY_PREFIX):
        return None
    key_id = "key_" + secret[len(KEY_PREFIX) : len(KEY_PREFIX) + ULID_LENGTH]
    return key_id if is_valid_id(key_id, "key") else None


def secret_matches(secret: str, stored_hash: str) -> bool:
    return hmac.compare_digest(hash_secret(secret), stored_hash)
