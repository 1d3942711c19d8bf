"""Where SIP passwords come from: the environment or a KEY=VALUE secrets file, never the profile.

The values are wrapped in pydantic's SecretStr as soon as they are read, so they cannot reach a log line,
a repr or an error message by accident.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from pydantic import SecretStr


class SecretError(Exception):
    """A secret is missing or the secrets file is malformed; the message names the key, never the value."""


class SecretSource:
    """Looks a key up in the secrets file first, then in the environment."""

    def __init__(self, environ: Mapping[str, str], file_values: Mapping[str, str] | None = None) -> None:
        self._environ = dict(environ)
        self._file = dict(file_values or {})

    @classmethod
    def from_file(cls, path: Path | None, environ: Mapping[str, str]) -> SecretSource:
        return cls(environ, read_secrets_file(path) if path else {})

    def get(self, key: str) -> SecretStr:
        if key in self._file:
            return SecretStr(self._file[key])
        if key in self._environ:
            return SecretStr(self._environ[key])
        raise SecretError(f"secret {key!r} is neither in the secrets file nor in the environment")

    def __repr__(self) -> str:
        return f"SecretSource(keys={sorted(self._file)!r})"


def read_secrets_file(path: Path) -> dict[str, str]:
    """Parse KEY=VALUE lines (blank lines and # comments allowed); errors give the line, not the value."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SecretError(f"{path}: cannot read secrets file ({exc.strerror})") from None
    values: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        key = key.strip()
        if not sep or not key:
            raise SecretError(f"{path}:{number}: expected KEY=VALUE")
        values[key] = value.strip().strip('"').strip("'")
    return values
