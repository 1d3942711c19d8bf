"""Shared fixtures of the dialogue tests: the shipped scripts, loaded engines, a Rasa server when built."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dialogue.embedded.engine import EmbeddedEngine
from dialogue.settings import DialogueSettings

REPO = Path(__file__).resolve().parents[2]
SCRIPTS = REPO / "scripts"
HERE = Path(__file__).resolve().parent


@pytest.fixture(scope="session")
def script_dirs() -> dict[str, Path]:
    return {"en": SCRIPTS / "reminder-en", "zh": SCRIPTS / "reminder-zh"}


@pytest.fixture(scope="session")
def embedded(script_dirs: dict[str, Path]) -> dict[str, EmbeddedEngine]:
    """Both shipped scripts on the embedded engine (loaded once: training takes about a second)."""
    return {lang: EmbeddedEngine.load(path) for lang, path in script_dirs.items()}


def _rasa_ready(settings: DialogueSettings) -> Path:
    """The Rasa environment, built if missing; a failure says why (it never skips)."""
    from dialogue import rasa_env

    venv = rasa_env.venv_dir(settings)
    if rasa_env.health(venv) is None:
        return venv
    try:
        rasa_env.setup(
            venv, rasa_env.default_python(settings), rasa_env.default_constraints(), say=lambda _: None
        )
    except Exception as exc:
        pytest.fail(f"the Rasa 3.6 environment cannot be built here: {exc}")
    return venv


@pytest.fixture(scope="session")
def rasa_engines(script_dirs: dict[str, Path]) -> Iterator[dict[str, Any]]:
    """Both scripts served by real Rasa servers on 127.0.0.1 (trained models are cached)."""
    from contextlib import ExitStack

    from dialogue.rasa_server import served_script

    settings = DialogueSettings()
    _rasa_ready(settings)
    with ExitStack() as stack:
        yield {lang: stack.enter_context(served_script(path, settings)) for lang, path in script_dirs.items()}
