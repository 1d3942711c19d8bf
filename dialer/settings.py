"""The one settings tree: dialer.toml merged with DIALER_* environment variables, validated once.

Precedence, highest first: environment (``DIALER_DATABASE__URL``, ``DIALER_VOICE__ASR_ENGINE``; nested
tables are joined with a double underscore), the TOML file, the defaults below. The tree is loaded once
by the CLI and passed down; nothing reads the environment behind its back.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from dialer.session.settings import SessionSettings
from dialer.supervisor.settings import RunSettings
from dialer.web.settings import WebSettings
from dialogue.settings import DialogueSettings
from scheduler.settings import DatabaseSettings, SchedulerSettings
from sip_config.settings import SipSettings
from voice.settings import VoiceSettings

ENV_PREFIX = "DIALER_"
CONFIG_ENV = "DIALER_CONFIG"
DEFAULT_CONFIG_NAME = "dialer.toml"


class SettingsError(Exception):
    """The configuration file or environment is invalid; the message names the key."""


class MetricsSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    host: str = "127.0.0.1"
    port: int = Field(default=9464, ge=0, le=65535, description="0 disables the endpoint")


class Settings(BaseModel):
    """Everything a dialer process needs to know, resolved to absolute paths."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    data_dir: Path = Field(default=Path("data"), description="database, recordings, models, caches")
    operator_timezone: str = Field(default="UTC", description="display only; rules use the debtor's zones")
    log_level: str = "INFO"
    database: DatabaseSettings = DatabaseSettings()
    scheduler: SchedulerSettings = SchedulerSettings()
    voice: VoiceSettings = VoiceSettings()
    dialogue: DialogueSettings = DialogueSettings()
    sip: SipSettings = SipSettings()
    session: SessionSettings = SessionSettings()
    run: RunSettings = RunSettings()
    web: WebSettings = WebSettings()
    metrics: MetricsSettings = MetricsSettings()
    config_path: Path | None = Field(default=None, exclude=True)

    @field_validator("operator_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown IANA time zone {value!r}") from exc
        return value

    @property
    def database_url(self) -> str:
        return self.database.url or f"sqlite:///{self.data_dir / 'dialer.db'}"

    def path(self, value: str, default_name: str) -> Path:
        """Resolve an optional path setting: empty means `<data_dir>/<default_name>`."""
        return Path(value) if value else self.data_dir / default_name

    @property
    def recordings_dir(self) -> Path:
        return self.data_dir / "recordings"


def _env_overrides(environ: dict[str, str]) -> dict[str, Any]:
    tree: dict[str, Any] = {}
    for key, value in environ.items():
        if not key.startswith(ENV_PREFIX) or key == CONFIG_ENV or key.startswith("DIALER_TEST_"):
            continue
        parts = key[len(ENV_PREFIX) :].lower().split("__")
        node = tree
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return tree


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def find_config(explicit: Path | None, environ: dict[str, str] | None = None) -> Path | None:
    environ = dict(os.environ) if environ is None else environ
    if explicit is not None:
        return explicit
    if environ.get(CONFIG_ENV):
        return Path(environ[CONFIG_ENV])
    local = Path.cwd() / DEFAULT_CONFIG_NAME
    return local if local.is_file() else None


def load_settings(config: Path | None = None, environ: dict[str, str] | None = None) -> Settings:
    """Read the TOML file (if any), apply the environment, validate, and make paths absolute."""
    environ = dict(os.environ) if environ is None else environ
    path = find_config(config, environ)
    raw: dict[str, Any] = {}
    base_dir = Path.cwd()
    if path is not None:
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise SettingsError(f"config file not found: {path}") from exc
        except tomllib.TOMLDecodeError as exc:
            raise SettingsError(f"{path}: invalid TOML: {exc}") from exc
        base_dir = path.resolve().parent
    raw = _merge(raw, _env_overrides(environ))
    try:
        settings = Settings.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        source = path or "environment"
        raise SettingsError(f"{source}: setting {where!r}: {first['msg']}") from exc
    data_dir = settings.data_dir if settings.data_dir.is_absolute() else base_dir / settings.data_dir
    return settings.model_copy(update={"data_dir": data_dir.resolve(), "config_path": path})


def site_path(settings: Settings, value: str) -> Path:
    """A path setting as the site means it: absolute as is; relative to dialer.toml's folder when the file
    is there (a site made by `dialer init` runs from any directory), else to the working directory."""
    path = Path(value)
    if path.is_absolute() or settings.config_path is None:
        return path
    beside = settings.config_path.resolve().parent / path
    return beside if beside.exists() else path
