"""Yes/no steps that change the outcome take only a confident affirm/deny; a farewell is never a yes."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from dialogue.confirm import confirm_questions, confirm_threshold, gate
from dialogue.embedded.engine import EmbeddedEngine
from dialogue.embedded.policy import EmbeddedPolicy
from dialogue.interfaces import KeyPressed, ParseResult, Say, SetDisposition, Transfer, UserSaid
from dialogue.script import load_script
from dialogue.storytest import context_for
from dialogue.understanding.nlu import FALLBACK_INTENT
from dialogue.validate import validate

FAREWELLS = {"en": ["Goodbye.", "bye", "okay bye bye"], "zh": ["再见", "拜拜", "好的再见"]}
CANNOT_PAY = {"en": "i lost my job and i can't pay", "zh": "我失业了，实在还不上"}


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_farewells_are_their_own_intent(embedded: dict[str, EmbeddedEngine], lang: str) -> None:
    for text in FAREWELLS[lang]:
        parse = embedded[lang].parse(text)
        assert parse.intent == "goodbye", (text, parse)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_scripts_gate_the_outcome_questions(embedded: dict[str, EmbeddedEngine], lang: str) -> None:
    script = embedded[lang].script
    assert {"utter_ask_right_party", "utter_confirm_promise", "utter_offer_help"} <= confirm_questions(script)
    assert confirm_threshold(script) > 0.3  # above the general fallback_threshold default


def test_gate_turns_a_weak_yes_into_no_match(embedded: dict[str, EmbeddedEngine]) -> None:
    script = embedded["en"].script
    weak, strong = ParseResult("affirm", 0.31), ParseResult("affirm", 0.95)
    assert gate(script, "utter_offer_help", weak).intent == FALLBACK_INTENT
    assert gate(script, "utter_reprompt_ask_right_party", ParseResult("deny", 0.5)).intent == FALLBACK_INTENT
    assert gate(script, "utter_offer_help", strong) == strong
    assert gate(script, "utter_ask_payment", weak) == weak  # not an outcome question
    assert gate(script, "utter_offer_help", ParseResult("stop", 0.31)).intent == "stop"


def _to_transfer_offer(engine: EmbeddedEngine, lang: str) -> EmbeddedPolicy:
    policy = engine.new_policy()
    policy.start(context_for(engine.script, None))
    policy.handle(KeyPressed("1"))
    said = policy.handle(UserSaid(CANNOT_PAY[lang], 0.9))
    assert [a.response for a in said if isinstance(a, Say)][-1] == "utter_offer_help"
    return policy


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_goodbye_at_the_transfer_offer_never_transfers(
    embedded: dict[str, EmbeddedEngine], lang: str
) -> None:
    engine = embedded[lang]
    policy = _to_transfer_offer(engine, lang)
    actions = policy.handle(UserSaid(FAREWELLS[lang][0], 0.9))
    assert not any(isinstance(a, Transfer) for a in actions)
    assert [a.response for a in actions if isinstance(a, Say)] == ["utter_goodbye"]
    assert [a.disposition for a in actions if isinstance(a, SetDisposition)] == ["refused"]
    assert policy.ended


def test_threshold_is_set_in_the_script(tmp_path: Path, script_dirs: dict[str, Path]) -> None:
    """'mhm' is a weak affirm (about 0.3) to the English classifier: the script's threshold decides."""
    strict = EmbeddedEngine.load(script_dirs["en"])
    assert strict.parse("mhm").intent == "affirm"
    assert strict.parse("mhm").confidence < 0.6
    policy = _to_transfer_offer(strict, "en")
    assert not any(isinstance(a, Transfer) for a in policy.handle(UserSaid("mhm", 1.0)))

    root = tmp_path / "lenient"
    shutil.copytree(script_dirs["en"], root)
    meta = root / "dialer.yml"
    meta.write_text(meta.read_text().replace("confirm_threshold: 0.6", "confirm_threshold: 0.2"))
    lenient = EmbeddedEngine.load(root)
    assert confirm_threshold(lenient.script) == 0.2
    policy = _to_transfer_offer(lenient, "en")
    assert any(isinstance(a, Transfer) for a in policy.handle(UserSaid("mhm", 1.0)))


def test_validate_reports_bad_confirm_settings(tmp_path: Path, script_dirs: dict[str, Path]) -> None:
    root = tmp_path / "bad"
    shutil.copytree(script_dirs["en"], root)
    meta = root / "dialer.yml"
    text = meta.read_text().replace("confirm_threshold: 0.6", "confirm_threshold: 1.5")
    meta.write_text(text.replace("utter_offer_help, utter_reprompt_offer_help,", "utter_no_such,"))
    messages = [f.message for f in validate(load_script(root)) if f.severity == "error"]
    assert any("confirm_threshold 1.5" in m for m in messages), messages
    assert any("unknown response 'utter_no_such'" in m for m in messages), messages
