"""The `[web]` table of dialer.toml.

`WebSettings` is a superset of the fields the settings tree declares today (host, port, secret_key_file);
`ConsoleOptions.from_settings` reads the extra fields when the tree carries them and falls back to these
defaults otherwise, so the console works with either model.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

DEFAULT_MAX_UPLOAD = 20 * 1024 * 1024


class WebSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=1, le=65535)
    secret_key_file: str = Field(default="", description="session signing key; empty: <data_dir>/web-secret")
    cookie_secure: bool | None = Field(
        default=None, description="Secure cookies; empty: on unless the console binds to the loopback"
    )
    session_hours: float = Field(default=8.0, gt=0, le=24 * 30)
    max_upload_bytes: int = Field(default=DEFAULT_MAX_UPLOAD, ge=1024)
    webhook_timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    tls_certfile: str = Field(default="", description="PEM certificate: the console serves HTTPS itself")
    tls_keyfile: str = Field(default="", description="PEM private key for tls_certfile")
    trusted_proxy: str = Field(
        default="", description="address(es) of the TLS-terminating reverse proxy, comma-separated"
    )
    webhook_allow_networks: list[str] = Field(
        default_factory=list,
        description="private networks webhooks may reach (CIDR, e.g. 10.0.5.0/24); public addresses always",
    )


@dataclass(frozen=True)
class ConsoleOptions:
    secret_key: bytes
    cookie_secure: bool
    session_hours: float
    max_upload_bytes: int
    webhook_timeout_seconds: float
    webhook_allow_networks: tuple[str, ...]
    data_dir: Path
    scripts_dir: Path

    @classmethod
    def from_settings(cls, settings: Any, **overrides: Any) -> ConsoleOptions:
        web = settings.web
        defaults = WebSettings()
        secure = getattr(web, "cookie_secure", None)
        if secure is None:  # auto: plain http is acceptable only on the loopback
            secure = web.host not in ("127.0.0.1", "localhost", "::1")
        options = cls(
            secret_key=b"",
            cookie_secure=bool(secure),
            session_hours=float(getattr(web, "session_hours", defaults.session_hours)),
            max_upload_bytes=int(getattr(web, "max_upload_bytes", defaults.max_upload_bytes)),
            webhook_timeout_seconds=float(
                getattr(web, "webhook_timeout_seconds", defaults.webhook_timeout_seconds)
            ),
            webhook_allow_networks=tuple(getattr(web, "webhook_allow_networks", ())),
            data_dir=Path(settings.data_dir),
            scripts_dir=Path(overrides.pop("scripts_dir", Path(__file__).resolve().parents[2] / "scripts")),
        )
        key_file = settings.path(web.secret_key_file, "web-secret")
        key = overrides.pop("secret_key", None) or load_secret(key_file)
        return cls(**{**options.__dict__, "secret_key": key, **overrides})


def load_secret(path: Path) -> bytes:
    """The session signing key: read it, or create it once with owner-only permissions."""
    if path.is_file():
        key = path.read_bytes().strip()
        if len(key) < 32:
            raise ValueError(f"{path}: the web secret key is shorter than 32 bytes")
        return key
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32).encode()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(key)
    return key
