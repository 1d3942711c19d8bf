"""Load a profile YAML file: parse, validate, resolve the password; errors name file, line and field."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from sip_config.schema import Profile
from sip_config.secrets import SecretError, SecretSource


class ProfileError(Exception):
    """The profile cannot be used; the message gives `file:line: field 'x': why` (never a secret)."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.field = field


def _line_of(root: yaml.Node | None, loc: tuple[Any, ...]) -> int | None:
    """The 1-based line of the deepest node on `loc` that exists in the YAML document."""
    node, line = root, None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if key.value == str(part):
                    line, node = key.start_mark.line + 1, value
                    break
            else:
                return line
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            return line
    return line


def parse_profile(text: str, source: str = "<profile>") -> Profile:
    """Validate a profile document without resolving its password."""
    try:
        data = yaml.safe_load(text)
        root = yaml.compose(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{source}:{mark.line + 1}" if mark else source
        raise ProfileError(f"{where}: invalid YAML: {getattr(exc, 'problem', exc)}") from None
    if not isinstance(data, dict):
        raise ProfileError(f"{source}: a profile is a mapping of fields")
    if "password" in data:
        raise ProfileError(
            f"{source}: field 'password': passwords never go in a profile; use auth.password_env", "password"
        )
    try:
        return Profile.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = tuple(p for p in first["loc"] if not str(p).startswith("function-"))
        field = ".".join(str(p) for p in loc) or "(profile)"
        line = _line_of(root, loc)
        where = f"{source}:{line}" if line else source
        raise ProfileError(f"{where}: field {field!r}: {first['msg']}", field) from None


def load_profile(path: Path, secrets: SecretSource | None = None, *, resolve: bool = True) -> Profile:
    """Read and validate `path`; with `resolve`, fetch the password (a missing one is an error)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ProfileError(f"{path}: cannot read profile ({exc.strerror})") from None
    profile = parse_profile(text, str(path))
    if resolve and profile.auth is not None:
        source = secrets or SecretSource({})
        key = profile.auth.password_key or profile.auth.password_env
        try:
            password = source.get(key)
        except SecretError as exc:
            field = "auth.password_key" if profile.auth.password_key else "auth.password_env"
            raise ProfileError(f"{path}: field {field!r}: {exc}", field) from None
        profile = profile.model_copy(update={"password": password})
    return profile


def load_for_settings(path: Path, secrets_file: str, environ: Mapping[str, str]) -> Profile:
    """The usual entry point: settings name the secrets file, the environment is passed in explicitly."""
    source = SecretSource.from_file(Path(secrets_file) if secrets_file else None, environ)
    return load_profile(path, source)
