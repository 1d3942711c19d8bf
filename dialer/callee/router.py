"""A multi-persona callee: one SIP endpoint, the persona chosen per call by the dialled number.

Each persona keeps its own `PersonaRunner` and log folder (`<log_dir>/<persona>/call-NNN-events.json` and
`-heard.wav`), so a demo or a benchmark reads one persona's calls without knowing which number was dialled.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from pathlib import Path

from dialer.callee.persona import Persona, PersonaError, load_persona
from dialer.callee.routes import Routes
from dialer.callee.runner import PersonaRunner
from dialer.sip.interfaces import Call

UNROUTED_CODE = 404  # what a number nobody routes gets: "not found", like an unassigned number


def load_personas(folder: Path) -> dict[str, Persona]:
    """Every `*.yaml`/`*.yml` persona in `folder`, by name; two files with one name is an error."""
    if not folder.is_dir():
        raise PersonaError(f"{folder}: not a folder of persona files")
    found: dict[str, Persona] = {}
    where: dict[str, Path] = {}
    for path in sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")]):
        persona = load_persona(path)
        if persona.name in found:
            raise PersonaError(f"{path}: persona name {persona.name!r} is also used by {where[persona.name]}")
        found[persona.name] = persona
        where[persona.name] = path
    if not found:
        raise PersonaError(f"{folder}: no persona files (*.yaml)")
    return found


class PersonaRouter:
    """A handler for `SipEngine.on_incoming` that hands each call to the runner of its routed persona.

    Only the personas the routes name are rendered (espeak-ng), once, at start.
    """

    def __init__(self, personas: Iterable[Persona], routes: Routes, log_dir: Path, rate: int = 8000) -> None:
        by_name = {p.name: p for p in personas}
        missing = routes.personas() - set(by_name)
        if missing:
            raise PersonaError(f"routes name unknown personas: {', '.join(sorted(missing))}")
        self.routes = routes
        self.log_dir = log_dir
        self.runners = {
            name: PersonaRunner(by_name[name], log_dir / name, rate) for name in sorted(routes.personas())
        }
        self.unrouted = 0
        self._lock = threading.Lock()

    def __call__(self, call: Call) -> None:
        name = self.routes.persona_for(call.local_uri)
        runner = self.runners.get(name) if name else None
        if runner is None:
            with self._lock:
                self.unrouted += 1
            call.reject(UNROUTED_CODE)
            call.wait(10)
            return
        runner(call)
