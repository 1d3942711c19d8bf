"""`dialer init`, `dialer db`, `dialer campaign(s)` through the real CLI on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from pydantic import BaseModel

from dialer.cli.main import cli
from dialer.settings import Settings, load_settings
from scheduler import migrations

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


def run(env: dict[str, str], *args: str) -> Result:
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


@pytest.fixture(params=BACKENDS)
def env(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, str]:
    url = str(request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "empty_postgres_url"))
    return {"DIALER_DATABASE__URL": url, "DIALER_DATA_DIR": str(tmp_path / "data"), "DIALER_CONFIG": ""}


def _fields(model: BaseModel, prefix: str = "") -> list[tuple[str, str, str | None]]:
    """(table, key, description) of every setting."""
    out = []
    for name, field in type(model).model_fields.items():
        if field.exclude:
            continue
        value = getattr(model, name)
        if isinstance(value, BaseModel):
            out.extend(_fields(value, f"{prefix}{name}."))
        else:
            out.append((prefix.rstrip("."), name, field.description))
    return out


def test_init_writes_every_setting_with_its_description_and_creates_the_database(tmp_path: Path) -> None:
    target = tmp_path / "site"
    result = run({"DIALER_CONFIG": ""}, "init", str(target))
    assert result.exit_code == 0, result.output
    text = (target / "dialer.toml").read_text()
    table = ""
    seen: set[tuple[str, str]] = set()
    for line in text.splitlines():
        if line.startswith("["):
            table = line.strip("[]")
        elif "=" in line:
            seen.add((table, line.lstrip("# ").split(" =")[0]))
    for section, key, description in _fields(Settings()):
        assert (section, key) in seen, f"{section}.{key} missing from dialer.toml"
        if description:
            assert f"# {description}" in text
    parsed = tomllib.loads(text)
    site = {"sip": {"profile": "sip/loopback.yaml"}, "dialogue": {"scripts_dir": "scripts"}}
    assert parsed == {"data_dir": "data", **{s: {} for s in parsed if s != "data_dir"}, **site}
    assert (target / "scripts" / "reminder-en" / "domain.yml").is_file()  # the site's own copies
    assert (target / "sip" / "loopback.yaml").is_file()
    # the commented-out values are the real defaults: uncommented, they validate to the same settings
    uncommented = "\n".join(
        line[2:] if re.match(r"# [A-Za-z_]\w* = ", line) and "(unset)" not in line else line
        for line in text.splitlines()
    )
    explicit = Settings.model_validate(tomllib.loads(uncommented))
    own = {"data_dir": True, "sip": {"profile"}, "dialogue": {"scripts_dir"}}
    assert explicit.model_dump(exclude=own) == Settings().model_dump(exclude=own)
    settings = load_settings(target / "dialer.toml", environ={})
    assert settings.data_dir == (target / "data").resolve()
    assert settings.model_dump(exclude=own) == Settings().model_dump(exclude=own)
    assert migrations.is_current(settings.database_url)
    again = run({"DIALER_CONFIG": ""}, "init", str(target))
    assert again.exit_code == 1 and "--force" in again.stderr
    assert run({"DIALER_CONFIG": ""}, "init", str(target), "--force").exit_code == 0


def test_db_current_and_upgrade(env: dict[str, str]) -> None:
    before = run(env, "db", "current")
    assert before.exit_code == 1 and "no schema" in before.stdout
    assert ":dialer@" not in before.stdout  # the password is never printed
    upgraded = run(env, "db", "upgrade")
    assert upgraded.exit_code == 0, upgraded.output
    assert migrations.heads()[0] in upgraded.stdout
    after = run(env, "db", "current")
    assert after.exit_code == 0 and "(head)" in after.stdout


def test_commands_refuse_a_database_without_schema(env: dict[str, str]) -> None:
    result = run(env, "campaigns")
    assert result.exit_code == 1 and "dialer db upgrade" in result.stderr


def test_campaign_lifecycle(env: dict[str, str], tmp_path: Path) -> None:
    assert run(env, "db", "upgrade").exit_code == 0
    # a Chinese script whose language has no usable recognizer is refused, saying so (here: Vosk without a
    # Chinese model); by default Chinese is heard by Whisper base, and the script is accepted
    no_ears = {**env, "DIALER_VOICE__ASR_ENGINES": '{"en": "whisper", "zh": "vosk"}'}
    zh = run(no_ears, "campaign", "create", "june", "--script", "reminder-zh")
    assert zh.exit_code == 1 and "reminder-zh" in zh.stderr and "zh" in zh.stderr
    accepted = run(env, "campaign", "create", "june-zh", "--script", "reminder-zh")
    assert accepted.exit_code == 0, accepted.output
    created = run(
        env,
        "campaign",
        "create",
        "june",
        "--script",
        "reminder-en",
        "--profiles",
        "US,us-ma",
        "--window-from",
        "09:00",
        "--window-to",
        "20:00",
        "--caller-id",
        "+16175550000",
    )
    assert created.exit_code == 0, created.output
    assert run(env, "campaign", "create", "june").exit_code == 1
    bad = run(env, "campaign", "create", "x", "--window-from", "9am")
    assert bad.exit_code == 1 and "HH:MM" in bad.stderr

    calls = tmp_path / "list.csv"
    calls.write_text("account,name,phone,amount,due_date\nA1,Ann Lee,+16175550100,10.50,2026-12-05\n")
    assert run(env, "import", str(calls), "--campaign", "june", "--json").exit_code == 0

    shown = json.loads(run(env, "campaign", "show", "june", "--json").stdout)
    assert shown["profiles"] == ["US", "US-MA"] and shown["script"] == "reminder-en"
    assert (shown["window_from"], shown["window_to"], shown["state"]) == ("09:00", "20:00", "draft")
    assert shown["accounts"] == 1 and shown["amount_due"] == {"USD": "10.50"}
    assert shown["imports"][0]["quality"]["numbers_valid"] == 1
    table = run(env, "campaign", "show", "june")
    assert "latest imports" in table.stdout and "list.csv" in table.stdout

    for command, state in (
        ("resume", "running"),
        ("pause", "paused"),
        ("resume", "running"),
        ("stop", "stopped"),
    ):
        result = run(env, "campaign", command, "june")
        assert result.exit_code == 0 and result.stdout.strip().endswith(state), result.output
    refused = run(env, "campaign", "resume", "june")
    assert refused.exit_code == 1 and "stopped" in refused.stderr
    listed = json.loads(run(env, "campaigns", "--json").stdout)
    assert [(c["name"], c["state"], c["accounts"]) for c in listed] == [
        ("june", "stopped", 1),
        ("june-zh", "draft", 0),
    ]
    assert "june" in run(env, "campaigns").stdout
    missing = run(env, "campaign", "show", "nope")
    assert missing.exit_code == 1 and "no campaign named 'nope'" in missing.stderr
