"""The shipped scripts: valid, lint-clean, and their test stories pass on the embedded engine."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from dialogue.embedded.engine import EmbeddedEngine
from dialogue.interfaces import ScriptError
from dialogue.lint import lint
from dialogue.script import load_script
from dialogue.storytest import run_stories
from dialogue.validate import validate


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_shipped_script_is_valid_and_clean(script_dirs: dict[str, Path], lang: str) -> None:
    script = load_script(script_dirs[lang])
    assert [f for f in validate(script) if f.severity == "error"] == []
    assert lint(script) == []
    assert len(script.tests) >= 15


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_stories_pass_on_embedded(
    script_dirs: dict[str, Path], embedded: dict[str, EmbeddedEngine], lang: str
) -> None:
    script = load_script(script_dirs[lang])
    results = run_stories(script, embedded[lang].new_policy)
    failed = [f"{r.name}: {r.detail}" for r in results if not r.passed]
    assert failed == []


def test_a_broken_story_reports_its_first_diverging_step(
    tmp_path: Path, script_dirs: dict[str, Path]
) -> None:
    copy = tmp_path / "reminder-en"
    shutil.copytree(script_dirs["en"], copy)
    stories = copy / "tests" / "test_stories.yml"
    text = stories.read_text(encoding="utf-8")
    stories.write_text(
        text.replace("  - action: utter_dispute\n", "  - action: utter_offer_help\n", 1), encoding="utf-8"
    )
    script = load_script(copy)
    results = {r.name: r for r in run_stories(script, EmbeddedEngine(script).new_policy)}
    broken = results["dispute"]
    assert not broken.passed
    assert "expected action 'utter_offer_help', got 'utter_dispute'" in broken.detail
    assert broken.path == "tests/test_stories.yml"
    line = (
        text.splitlines().index("  - action: utter_dispute", text.splitlines().index("- story: dispute")) + 1
    )
    assert broken.line == line
    assert sum(not r.passed for r in results.values()) == 1


def test_wrong_intent_is_reported_with_the_text(tmp_path: Path, script_dirs: dict[str, Path]) -> None:
    copy = tmp_path / "reminder-en"
    shutil.copytree(script_dirs["en"], copy)
    stories = copy / "tests" / "test_stories.yml"
    text = stories.read_text(encoding="utf-8")
    stories.write_text(
        text.replace(
            "      i don't owe that\n    intent: dispute", "      i don't owe that\n    intent: cannot_pay"
        ),
        encoding="utf-8",
    )
    script = load_script(copy)
    results = {r.name: r for r in run_stories(script, EmbeddedEngine(script).new_policy)}
    assert "expected intent cannot_pay, understood dispute" in results["dispute"].detail


def test_engine_refuses_an_invalid_script(tmp_path: Path, script_dirs: dict[str, Path]) -> None:
    copy = tmp_path / "reminder-en"
    shutil.copytree(script_dirs["en"], copy)
    rules = copy / "data" / "rules.yml"
    rules.write_text(
        rules.read_text(encoding="utf-8").replace("action: utter_opt_out", "action: utter_nowhere", 1),
        encoding="utf-8",
    )
    with pytest.raises(ScriptError, match=r"data/rules.yml:\d+: .*utter_nowhere"):
        EmbeddedEngine.load(copy)
