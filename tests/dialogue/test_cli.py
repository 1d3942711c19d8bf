"""The script-writer commands, run through the real `dialer` CLI."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from dialer.cli.main import cli


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("DIALER_DATA_DIR", str(tmp_path / "data"))
    runner = CliRunner()

    def invoke(*args: str, stdin: str | None = None):  # type: ignore[no-untyped-def]
        return runner.invoke(cli, list(args), input=stdin, catch_exceptions=False)

    return invoke


def test_validate_lint_and_test_pass_on_shipped_scripts(run, script_dirs: dict[str, Path]) -> None:  # type: ignore[no-untyped-def]
    for path in script_dirs.values():
        assert run("script", "validate", str(path)).exit_code == 0
        linted = run("script", "lint", str(path))
        assert linted.exit_code == 0, linted.output
        tested = run("script", "test", str(path), "--engine", "embedded")
        assert tested.exit_code == 0, tested.output
        assert " 0 failed" in tested.output and "PASS" in tested.output


def test_lint_exits_1_with_rule_ids(run, tmp_path: Path, script_dirs: dict[str, Path]) -> None:  # type: ignore[no-untyped-def]
    copy = tmp_path / "seeded"
    shutil.copytree(script_dirs["en"], copy)
    domain = copy / "domain.yml"
    domain.write_text(
        domain.read_text(encoding="utf-8").replace("Please call us back", "About your debt, call us back")
    )
    result = run("script", "lint", str(copy))
    assert result.exit_code == 1
    assert "domain.yml:" in result.output and "[U9]" in result.output and "'debt'" in result.output


def test_failing_story_prints_the_diverging_step(run, tmp_path: Path, script_dirs: dict[str, Path]) -> None:  # type: ignore[no-untyped-def]
    copy = tmp_path / "broken"
    shutil.copytree(script_dirs["en"], copy)
    stories = copy / "tests" / "test_stories.yml"
    stories.write_text(
        stories.read_text(encoding="utf-8").replace("action: utter_dispute", "action: utter_transfer")
    )
    result = run("script", "test", str(copy))
    assert result.exit_code == 1
    assert "FAIL  dispute" in result.output
    assert (
        "test_stories.yml:" in result.output
        and "expected action 'utter_transfer', got 'utter_dispute'" in result.output
    )


def test_parse_json(run, script_dirs: dict[str, Path]) -> None:  # type: ignore[no-untyped-def]
    result = run(
        "script",
        "parse",
        str(script_dirs["en"]),
        "uh i can pay fifty bucks next friday",
        "--json",
        "--now",
        "2026-11-29T10:00:00",
    )
    data = json.loads(result.output)
    assert data["intent"] == "promise_to_pay" and 0 < data["confidence"] <= 1
    assert {"entity": "date", "value": "2026-12-04"} in data["entities"]
    assert {"entity": "amount", "value": "50"} in data["entities"]
    zh = json.loads(
        run("script", "parse", str(script_dirs["zh"]), "我下周五还", "--json", "--now", "2026-11-29").output
    )
    assert zh["intent"] == "promise_to_pay" and {"entity": "date", "value": "2026-12-04"} in zh["entities"]


def test_chat_with_piped_stdin_and_a_debtor_file(run, tmp_path: Path, script_dirs: dict[str, Path]) -> None:  # type: ignore[no-untyped-def]
    debtor = tmp_path / "debtor.yml"
    debtor.write_text("first_name: Alice\namount: $80\ndue_date: October 1\nnow: '2026-11-29T10:00:00'\n")
    result = run(
        "chat", str(script_dirs["en"]), "--debtor", str(debtor), stdin="#1\ni will pay on the 12th\nyes\n"
    )
    assert result.exit_code == 0, result.output
    assert "Am I speaking with Alice?" in result.output
    assert "payment of $80 that was due on October 1" in result.output
    assert "date=2026-12-12" in result.output and "date_check=ok" in result.output
    assert "RecordPromise(date=datetime.date(2026, 12, 12)" in result.output
    assert "-- call ended --" in result.output


def test_unknown_script_is_a_clear_error(run) -> None:  # type: ignore[no-untyped-def]
    result = run("script", "validate", "no-such-script")
    assert result.exit_code != 0 and "no script directory 'no-such-script'" in result.output


def test_chat_debtor_file_errors_name_the_field(run, tmp_path: Path, script_dirs: dict[str, Path]) -> None:  # type: ignore[no-untyped-def]
    debtor = tmp_path / "debtor.yml"
    debtor.write_text("frist_name: Alice\n")
    result = run("chat", str(script_dirs["en"]), "--debtor", str(debtor), stdin="")
    assert result.exit_code != 0 and "unknown call context field 'frist_name'" in result.output
    debtor.write_text("first_contact: maybe\n")
    result = run("chat", str(script_dirs["en"]), "--debtor", str(debtor), stdin="")
    assert result.exit_code != 0 and "'first_contact': expected true or false" in result.output
