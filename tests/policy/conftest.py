"""Run `dialer policy decide` the way an operator does, through the real CLI."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from dialer.cli.main import cli

HERE = Path(__file__).resolve().parent
CASES = HERE / "cases"
SITE_PROFILES = HERE / "site_profiles"

Decide = Callable[..., Result]


@pytest.fixture
def decide_cli(tmp_path: Path) -> Decide:
    """Invoke `dialer policy decide` on a file path or a case dict (fed through stdin)."""

    def run(case: str | Path | dict[str, Any], profiles_dir: Path | None = None) -> Result:
        env = {"DIALER_DATA_DIR": str(tmp_path / "data"), "DIALER_CONFIG": ""}
        if profiles_dir is not None:
            env["DIALER_SCHEDULER__PROFILES_DIR"] = str(profiles_dir)
        runner = CliRunner()
        if isinstance(case, dict):
            return runner.invoke(cli, ["policy", "decide", "-"], input=json.dumps(case), env=env)
        return runner.invoke(cli, ["policy", "decide", str(case)], env=env)

    return run


def load_case(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((CASES / f"{name}.json").read_text(encoding="utf-8"))
    return data
