"""Passwords, random tokens and their digests.

Passwords: argon2id (argon2-cffi defaults). Session and API tokens are 32 random bytes; only their SHA-256
digest is stored (a fast hash is right for a high-entropy token, unlike a password).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

API_TOKEN_PREFIX = "dlr_"
MIN_PASSWORD = 10
_hasher = PasswordHasher()
# verified against when the user does not exist, so that a wrong name costs the same time as a wrong password
_DUMMY_HASH = _hasher.hash("not a password of anyone")


USER_NAME = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")  # the console's form and `dialer user add` alike
USER_NAME_RULE = "1-64 characters: letters, digits, and _ . @ -"
# The cores of the most common passwords (lists of leaked passwords, top entries): a password that is
# one of these once digits and symbols are stripped from its ends ("password12", "Welcome2026!") is refused.
COMMON_CORES = frozenset(
    [
        "password",
        "passw0rd",
        "pass",
        "admin",
        "administrator",
        "root",
        "qwerty",
        "qwertyuiop",
        "asdfgh",
        "asdfghjkl",
        "zxcvbn",
        "zxcvbnm",
        "letmein",
        "welcome",
        "monkey",
        "dragon",
        "master",
        "login",
        "abc",
        "abcdef",
        "abcdefg",
        "abcdefgh",
        "iloveyou",
        "trustno",
        "sunshine",
        "princess",
        "football",
        "baseball",
        "shadow",
        "superman",
        "batman",
        "starwars",
        "whatever",
        "freedom",
        "secret",
        "changeme",
        "default",
        "guest",
        "test",
        "tester",
        "user",
        "hello",
        "charlie",
        "michael",
        "jennifer",
        "computer",
        "internet",
        "summer",
        "winter",
        "spring",
        "autumn",
        "dialer",
        "reminder",
        "collections",
        "mima",
        "woaini",
        "nihao",
    ]
)
_EDGES = re.compile(r"^[\W\d_]+|[\W\d_]+$")
SEQUENCES = ("0123456789", "1234567890", "9876543210", "abcdefghijklmnopqrstuvwxyz", "qwertyuiop")


class WeakPassword(ValueError):
    pass


def valid_user_name(name: str) -> bool:
    return bool(USER_NAME.match(name))


def check_password_strength(password: str, user_name: str = "") -> None:
    """Length, not a common password or a variation of one, not the user's name, not one repeated
    character or a keyboard run. Raises WeakPassword saying which rule failed."""
    if len(password) < MIN_PASSWORD:
        raise WeakPassword(f"the password needs at least {MIN_PASSWORD} characters")
    lowered = password.lower()
    core = _EDGES.sub("", lowered)
    if lowered in COMMON_CORES or core in COMMON_CORES or (not core and len(set(lowered)) <= 4):
        raise WeakPassword("the password is a common password or a variation of one")
    if len(set(lowered)) <= 2 or any(lowered in run or run.startswith(lowered) for run in SEQUENCES):
        raise WeakPassword("the password is a repeated character or a keyboard sequence")
    name = user_name.lower()
    if name and (name in lowered or lowered in name or core == _EDGES.sub("", name)):
        raise WeakPassword("the password must not contain the user name")


def hash_password(password: str, user_name: str = "") -> str:
    check_password_strength(password, user_name)
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
