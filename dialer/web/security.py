"""Passwords, random tokens and their digests.

Passwords: argon2id (argon2-cffi defaults). Session and API tokens are 32 random bytes; only their SHA-256
digest is stored (a fast hash is right for a high-entropy token, unlike a password).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

API_TOKEN_PREFIX = "dlr_"
MIN_PASSWORD = 10
_hasher = PasswordHasher()
# verified against when the user does not exist, so that a wrong name costs the same time as a wrong password
_DUMMY_HASH = _hasher.hash("not a password of anyone")


class WeakPassword(ValueError):
    pass


def check_password_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise WeakPassword(f"the password needs at least {MIN_PASSWORD} characters")


def hash_password(password: str) -> str:
    check_password_strength(password)
    return _hasher.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash or _DUMMY_HASH, password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def new_token(prefix: str = "") -> str:
    return prefix + secrets.token_urlsafe(32)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())
