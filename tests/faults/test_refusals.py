"""Refuse what cannot work, early: `campaign create` and `campaign resume` check the script and caller IDs
(one line naming the problem and the fix); `campaign show` says why a campaign paused itself."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from dialer.cli.main import cli

from .conftest import set_campaign


def run(env: dict[str, str], *args: str) -> Result:
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def env(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, str]:
    url = str(request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "postgres_url"))
    env = {"DIALER_DATABASE__URL": url, "DIALER_DATA_DIR": str(tmp_path / "data"), "DIALER_CONFIG": ""}
    assert run(env, "db", "upgrade").exit_code == 0
    return env


def test_create_refuses_a_missing_script_and_bad_caller_ids(env: dict[str, str]) -> None:
    missing = run(env, "campaign", "create", "c1", "--script", "no-such-script")
    assert missing.exit_code != 0
    line = missing.output.strip().splitlines()[-1]
    assert "'no-such-script' not found" in line and "--script NAME" in line
    bad = run(env, "campaign", "create", "c1", "--caller-id", "555-0100")
    assert bad.exit_code != 0 and "not a valid E.164 number" in bad.output
    assert "no campaigns yet" in run(env, "campaigns").output  # nothing was created
    assert run(env, "campaign", "create", "c1", "--caller-id", "+12125550100").exit_code == 0


def test_resume_refuses_a_script_that_went_missing_and_show_says_why(env: dict[str, str]) -> None:
    assert run(env, "campaign", "create", "c2").exit_code == 0
    set_campaign(env["DIALER_DATABASE__URL"], "c2", script="gone-since")
    refused = run(env, "campaign", "resume", "c2")
    assert refused.exit_code != 0 and "'gone-since' not found" in refused.output
    set_campaign(env["DIALER_DATABASE__URL"], "c2", script="reminder-en")
    assert run(env, "campaign", "resume", "c2").exit_code == 0
    set_campaign(
        env["DIALER_DATABASE__URL"], "c2", state="paused", state_reason="paused after 5 local failures"
    )
    shown = json.loads(run(env, "campaign", "show", "c2", "--json").output)
    assert shown["state"] == "paused" and shown["state_reason"] == "paused after 5 local failures"
    assert "paused after 5 local failures" in run(env, "campaign", "show", "c2").output
    assert run(env, "campaign", "resume", "c2").exit_code == 0  # a fresh start: the reason is gone
    shown = json.loads(run(env, "campaign", "show", "c2", "--json").output)
    assert shown["state"] == "running" and shown["state_reason"] is None and shown["failure_streak"] == 0
