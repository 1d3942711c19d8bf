"""Choosing an engine for a script: the embedded one (default) or a Rasa server the dialer runs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

from dialogue.interfaces import DialogueEngineUnavailable, ParseResult, ScriptError
from dialogue.settings import DialogueSettings

ENGINES = ("embedded", "rasa")


class Engine(Protocol):
    """A loaded script that hands out one policy per call and parses single utterances."""

    def new_policy(self) -> Any: ...

    def parse(self, text: str, now: dt.datetime | None = None) -> ParseResult: ...


def resolve_script(name: str, settings: DialogueSettings, base: Path | None = None) -> Path:
    """A script directory given as a path, or by name under settings.scripts_dir."""
    direct = Path(name)
    if direct.is_dir():
        return direct.resolve()
    scripts_dir = Path(settings.scripts_dir)
    if not scripts_dir.is_absolute() and base is not None:
        scripts_dir = base / scripts_dir
    candidate = scripts_dir / name
    if candidate.is_dir():
        return candidate.resolve()
    raise ScriptError(f"no script directory {name!r} (looked in . and {scripts_dir})")


@contextmanager
def open_engine(script: Path, settings: DialogueSettings, engine: str | None = None) -> Iterator[Engine]:
    """Load the script on the chosen engine; a Rasa server is trained and started, and stopped after."""
    choice = engine or settings.engine
    if choice == "embedded":
        from dialogue.embedded.engine import EmbeddedEngine

        yield EmbeddedEngine.load(script, settings.fallback_threshold, settings.min_asr_confidence)
    elif choice == "rasa" and settings.rasa_token_file:
        from dialogue.rasa_client import RasaEngine
        from dialogue.script import load_script

        token_path = Path(settings.rasa_token_file).expanduser()
        try:
            token = token_path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise DialogueEngineUnavailable(
                f"cannot read the Rasa token file {token_path}: {exc.strerror}"
            ) from exc
        engine_ = RasaEngine(
            settings.rasa_url, token, load_script(script), min_asr_confidence=settings.min_asr_confidence
        )
        try:
            engine_.request("GET", "/status")
            yield engine_
        finally:
            engine_.close()
    elif choice == "rasa":
        from dialogue.rasa_server import served_script

        with served_script(script, settings) as rasa_engine:
            yield rasa_engine
    else:
        raise ScriptError(f"unknown dialogue engine {choice!r} (choose from {', '.join(ENGINES)})")
