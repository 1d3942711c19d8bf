"""`script validate`: schema and cross-reference errors, each with its file and line."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from dialogue.interfaces import ScriptError
from dialogue.script import load_script
from dialogue.validate import validate


def _copy(tmp_path: Path, script_dirs: dict[str, Path]) -> Path:
    copy = tmp_path / "reminder-en"
    shutil.copytree(script_dirs["en"], copy)
    return copy


def _line_of(path: Path, needle: str) -> int:
    return next(
        i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if needle in line
    )


def test_cross_reference_errors_name_file_and_line(tmp_path: Path, script_dirs: dict[str, Path]) -> None:
    copy = _copy(tmp_path, script_dirs)
    rules = copy / "data" / "rules.yml"
    text = rules.read_text(encoding="utf-8")
    text = text.replace("  - intent: stop\n", "  - intent: stopp\n", 1).replace(
        "action: utter_wrong_party", "action: utter_wrong_partyy", 1
    )
    text = text.replace("    - date_check: too_far", "    - date_check: far_away", 1)
    rules.write_text(text, encoding="utf-8")
    domain = copy / "domain.yml"
    domain.write_text(
        domain.read_text(encoding="utf-8").replace(
            "Am I speaking with {first_name}?", "Am I speaking with {firstname}?"
        ),
        encoding="utf-8",
    )
    findings = {(f.path, f.line): f.message for f in validate(load_script(copy)) if f.severity == "error"}
    assert findings[("data/rules.yml", _line_of(rules, "intent: stopp"))].endswith(
        "intent 'stopp' is not in domain.yml"
    )
    assert "utter_wrong_partyy" in findings[("data/rules.yml", _line_of(rules, "utter_wrong_partyy"))]
    assert "no value 'far_away'" in findings[("data/rules.yml", _line_of(rules, "far_away") - 1)]
    line = _line_of(domain, "{firstname}")
    assert "variable {firstname} is not a slot" in findings[("domain.yml", line)]


def test_unknown_nlu_intent_and_disposition(tmp_path: Path, script_dirs: dict[str, Path]) -> None:
    copy = _copy(tmp_path, script_dirs)
    nlu = copy / "data" / "nlu.yml"
    nlu.write_text(
        nlu.read_text(encoding="utf-8") + "- intent: haggle\n  examples: |\n    - can we make a deal\n",
        encoding="utf-8",
    )
    domain = copy / "domain.yml"
    domain.write_text(
        domain.read_text(encoding="utf-8").replace("disposition: dispute", "disposition: disputed"),
        encoding="utf-8",
    )
    messages = [str(f) for f in validate(load_script(copy))]
    assert any(
        m.startswith(f"data/nlu.yml:{_line_of(nlu, 'can we make a deal')}:") and "haggle" in m
        for m in messages
    )
    assert any("unknown disposition 'disputed'" in m for m in messages)


def test_rule_with_two_leading_actions_is_refused(tmp_path: Path, script_dirs: dict[str, Path]) -> None:
    copy = _copy(tmp_path, script_dirs)
    rules = copy / "data" / "rules.yml"
    rules.write_text(
        rules.read_text(encoding="utf-8")
        + "- rule: two leading actions\n  steps:\n  - action: utter_reminder\n"
        "  - action: utter_ask_payment\n  - intent: affirm\n  - action: utter_ask_promise_date\n",
        encoding="utf-8",
    )
    assert any("starts with 2 actions" in f.message for f in validate(load_script(copy)))


def test_broken_yaml_is_a_script_error_with_line(tmp_path: Path, script_dirs: dict[str, Path]) -> None:
    copy = _copy(tmp_path, script_dirs)
    (copy / "data" / "stories.yml").write_text(
        'version: "3.1"\nstories:\n- story: x\n  steps: [\n', encoding="utf-8"
    )
    with pytest.raises(ScriptError, match=r"stories.yml:\d+: invalid YAML"):
        load_script(copy)


def _script_copy(tmp_path: Path, source: Path) -> Path:
    copy = tmp_path / source.name
    shutil.copytree(source, copy)
    return copy


def _append_rule(copy: Path, rule: str) -> int:
    """Append a rule to data/rules.yml; returns the line its steps start on."""
    path = copy / "data" / "rules.yml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text + rule, encoding="utf-8")
    return len(text.splitlines()) + 1


def test_dead_air_after_a_user_turn_is_flagged(tmp_path: Path, script_dirs: dict[str, Path]) -> None:
    copy = _script_copy(tmp_path, script_dirs["en"])
    first = _append_rule(
        copy,
        "- rule: silent after a greeting\n  steps:\n  - action: utter_ask_payment\n  - intent: greet\n",
    )
    findings = [f for f in validate(load_script(copy)) if f.rule == "dead_air"]
    assert [(f.path, f.line) for f in findings] == [("data/rules.yml", first + 3)]
    assert "says nothing" in findings[0].message or "dead air" in findings[0].message


def test_a_question_repeated_without_a_cap_is_a_loop(tmp_path: Path, script_dirs: dict[str, Path]) -> None:
    copy = _script_copy(tmp_path, script_dirs["en"])
    first = _append_rule(
        copy,
        "- rule: greet forever\n  steps:\n  - action: utter_ask_payment\n  - intent: greet\n"
        "  - action: utter_ask_payment\n",
    )
    findings = [f for f in validate(load_script(copy)) if f.rule == "loop"]
    assert [(f.path, f.line) for f in findings] == [("data/rules.yml", first + 4)]
    assert "repeat_check" in findings[0].message


def test_payment_plan_limits_are_checked_at_their_line(tmp_path: Path, script_dirs: dict[str, Path]) -> None:
    copy = _script_copy(tmp_path, script_dirs["en"])
    meta = copy / "dialer.yml"
    text = meta.read_text(encoding="utf-8").replace(
        "  max_parts: 3\n", "  max_parts: many\n  max_pieces: 2\n"
    )
    meta.write_text(text, encoding="utf-8")
    lines = text.splitlines()
    findings = {
        f.message.split(":")[0]: f for f in validate(load_script(copy)) if "payment_plan" in f.message
    }
    assert findings["payment_plan.max_parts"].line == lines.index("  max_parts: many") + 1
    assert findings["payment_plan.max_pieces"].line == lines.index("  max_pieces: 2") + 1
    assert all(f.path == "dialer.yml" and f.severity == "error" for f in findings.values())


def test_significant_checks_name_known_intents_and_responses(
    tmp_path: Path, script_dirs: dict[str, Path]
) -> None:
    copy = _script_copy(tmp_path, script_dirs["zh"])
    meta = copy / "dialer.yml"
    text = meta.read_text(encoding="utf-8").replace("stop: utter_check_stop", "stop: utter_check_nothing")
    meta.write_text(text.replace("  threshold: 0.4\n", "  threshold: 5\n"), encoding="utf-8")
    messages = [f.message for f in validate(load_script(copy)) if f.severity == "error"]
    assert any("unknown response 'utter_check_nothing'" in m for m in messages), messages
    assert any("significant.threshold 5" in m for m in messages), messages


def test_significant_confirmed_by_names_checked_readings_and_known_intents(
    tmp_path: Path, script_dirs: dict[str, Path]
) -> None:
    copy = _script_copy(tmp_path, script_dirs["en"])
    meta = copy / "dialer.yml"
    text = meta.read_text(encoding="utf-8").replace("already_paid: [inform]", "already_paid: [informs]")
    meta.write_text(text + "  # end\n", encoding="utf-8")
    text = meta.read_text(encoding="utf-8").replace(
        "  confirmed_by:", "  confirmed_by:\n    promise_to_pay: [inform]"
    )
    meta.write_text(text, encoding="utf-8")
    found = [f for f in validate(load_script(copy)) if f.severity == "error"]
    messages = [f.message for f in found]
    assert any("confirmed_by.already_paid: unknown intent 'informs'" in m for m in messages), messages
    assert any("'promise_to_pay' has no check question" in m for m in messages), messages
    assert all(f.line for f in found if "confirmed_by" in f.message)  # each names its line
