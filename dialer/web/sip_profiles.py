"""SIP trunk profiles as the console manages them: the configured profile plus the YAML files admins
upload to `<data_dir>/sip-profiles/`. Validation is the SIP config package's own parser (secrets are
never in a profile: it names environment variables or secrets-file keys)."""

from __future__ import annotations

import re
from pathlib import Path

from dialer.web.console import Console

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def profiles_dir(console: Console) -> Path:
    return console.options.data_dir / "sip-profiles"


def profile_files(console: Console) -> dict[str, Path]:
    files: dict[str, Path] = {}
    configured = Path(console.settings.sip.profile)
    if configured.is_file():
        files[configured.stem] = configured
    folder = profiles_dir(console)
    if folder.is_dir():
        for path in sorted(folder.glob("*.yaml")):
            files[path.stem] = path
    return files


def profile_names(console: Console) -> list[str]:
    return sorted(profile_files(console))


def validate_profile(text: str, source: str) -> str:
    """'' when the profile parses; else the parser's message (field and line)."""
    try:
        from sip_config.loader import ProfileError, parse_profile
    except ImportError:  # the SIP config package is not installed in this build
        return ""
    try:
        parse_profile(text, source)
    except ProfileError as exc:
        return str(exc)
    return ""


def save_profile(console: Console, name: str, text: str) -> Path:
    if not NAME.match(name):
        raise ValueError("profile name: letters, digits, dot, dash and underscore, up to 64 characters")
    folder = profiles_dir(console)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    return path
