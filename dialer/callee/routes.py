"""Routes file of a multi-persona callee: which persona answers which dialled number.

YAML, one mapping of number -> persona name::

    "+18085550101": promises-friday
    "+18085550102": already-paid

Numbers are the user part of the dialled URI (`sip:+18085550101@127.0.0.1:5070`); a leading "+" is optional
on either side. A number no route names is answered like an unassigned number: 404.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import unquote

import yaml

from dialer.callee.persona import PersonaError

_USER = re.compile(r"sips?:([^@;>]+)@")


def dialled_user(uri: str) -> str:
    """`<sip:+18085550101@127.0.0.1:5070>` -> `+18085550101` ("" when the URI has no user part)."""
    match = _USER.search(uri)
    return unquote(match.group(1)) if match else ""


def _key(number: str) -> str:
    return re.sub(r"[\s().-]", "", number).removeprefix("+")


class Routes:
    """Number -> persona name, looked up by the dialled URI's user part."""

    def __init__(self, table: Mapping[str, str]) -> None:
        self._table = {_key(number): persona for number, persona in table.items()}

    def persona_for(self, uri: str) -> str | None:
        user = dialled_user(uri)
        return self._table.get(_key(user)) if user else None

    def personas(self) -> set[str]:
        return set(self._table.values())

    def __len__(self) -> int:
        return len(self._table)


def load_routes(path: Path, known: set[str] | None = None) -> Routes:
    """Read a routes file; every persona it names must be in `known` (when given). Errors name the key."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise PersonaError(f"{path}: cannot read ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        raise PersonaError(f"{path}: invalid YAML: {exc}") from None
    if not isinstance(data, dict) or not data:
        raise PersonaError(f"{path}: a routes file is a non-empty mapping of number -> persona name")
    table: dict[str, str] = {}
    for number, persona in data.items():
        where = f"{path}: route {number!r}"
        if not isinstance(number, str | int) or not re.fullmatch(r"\+?[0-9*#]{1,32}", _key(str(number))):
            raise PersonaError(f"{where}: not a dialled number (digits with an optional leading +)")
        if not isinstance(persona, str) or not persona:
            raise PersonaError(f"{where}: the value must be a persona name")
        if known is not None and persona not in known:
            raise PersonaError(f"{where}: no persona named {persona!r} (have: {', '.join(sorted(known))})")
        if _key(str(number)) in {_key(n) for n in table}:
            raise PersonaError(f"{where}: the number is routed twice")
        table[str(number)] = persona
    return Routes(table)


def dump_routes(table: Mapping[str, str]) -> str:
    """The YAML text of a routes file (the demo writes one)."""
    return "# dialled number -> persona name (dialer callee --routes)\n" + yaml.safe_dump(
        dict(table), sort_keys=False, allow_unicode=True
    )
