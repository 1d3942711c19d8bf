"""Legal words that survive a mishearing name their case, and a half-heard one is asked about first."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from dialogue.embedded.engine import EmbeddedEngine
from dialogue.interfaces import KeyPressed, NoInput, Say, SetDisposition, UserSaid
from dialogue.keywords import KeywordError, load_keywords
from dialogue.script import load_script
from dialogue.storytest import context_for
from dialogue.validate import validate

from .chat import NOW, after_rpc

# What a recognizer made of legal replies on the bench (bench/legal_replies_bench.py): the key word is kept.
MISHEARD = [
    ("en", "I'm in bankrupt people, I see them right now", "bankruptcy"),
    ("en", "is there someone who speaks Chinese?", "language_barrier"),
    ("zh", "我的事情你们找律师那边吧嗯嗯", "attorney"),
    ("zh", "能不能讲粤语呀", "language_barrier"),
]


@pytest.mark.parametrize(("lang", "heard", "intent"), MISHEARD)
def test_a_legal_word_names_its_case(
    embedded: dict[str, EmbeddedEngine], lang: str, heard: str, intent: str
) -> None:
    parsed = embedded[lang].parse(heard, NOW)
    assert parsed.intent == intent, parsed


def test_a_half_heard_legal_word_is_asked_about_before_the_call_ends(
    embedded: dict[str, EmbeddedEngine],
) -> None:
    policy = after_rpc(embedded["en"], "en")
    asked = policy.handle(UserSaid("I'm in bankrupt people, I see them right now", 0.35))
    assert [a.response for a in asked if isinstance(a, Say)] == ["utter_check_bankruptcy"]
    assert not any(isinstance(a, SetDisposition) for a in asked)
    closing = policy.handle(KeyPressed("1"))
    assert SetDisposition("bankruptcy") in closing


def test_a_legal_reading_of_the_classifier_is_kept(embedded: dict[str, EmbeddedEngine]) -> None:
    # "attorney" is a keyword, but the classifier already reads a complaint: the reading stands
    said = "i will report your company to the attorney general for this"
    assert embedded["en"].parse(said, NOW).intent == "complaint"
    keywords = load_keywords({"keep": ["complaint"], "intents": {"attorney": [r"\battorney\b"]}}, "en")
    assert keywords.apply("complaint", 0.9, [], said) == ("complaint", 0.9)
    assert keywords.apply("callback_later", 0.7, [("attorney", 0.2)], said) == ("attorney", 0.5)
    assert keywords.apply("callback_later", 0.2, [("attorney", 0.7)], said) == ("attorney", 0.7)
    assert keywords.apply("affirm", 0.9, [], "yes") == ("affirm", 0.9)


def test_bad_keywords_are_refused_with_their_line(tmp_path: Path, script_dirs: dict[str, Path]) -> None:
    with pytest.raises(KeywordError, match="not a pattern"):
        load_keywords({"intents": {"bankruptcy": ["(unclosed"]}}, "en")
    with pytest.raises(KeywordError, match=r"0\.\.1"):
        load_keywords({"confidence": 2, "intents": {}}, "en")
    copy = tmp_path / "reminder-en"
    shutil.copytree(script_dirs["en"], copy)
    meta = copy / "dialer.yml"
    meta.write_text(
        meta.read_text(encoding="utf-8").replace("    cease: ['\\bcease\\b']", "    ceese: ['x']")
    )
    findings = [f for f in validate(load_script(copy)) if "keywords" in f.message]
    assert findings and "unknown intent 'ceese'" in findings[0].message and findings[0].line > 0


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_possible_bankruptcy_met_by_silence_is_honoured_and_a_possible_payment_is_not(
    embedded: dict[str, EmbeddedEngine], lang: str
) -> None:
    engine = embedded[lang]
    said = {
        "en": ("i filed for bankruptcy last month", "i already paid it"),
        "zh": ("我申请了破产", "我已经还了"),
    }[lang]
    outcomes = []
    for reply in said:
        policy = after_rpc(engine, lang)
        asked = policy.handle(UserSaid(reply, 0.2))
        assert next(a.response for a in asked if isinstance(a, Say)).startswith("utter_check_")
        outcomes.append([a.disposition for a in policy.handle(NoInput()) if isinstance(a, SetDisposition)])
    assert outcomes == [["bankruptcy"], []]


def test_the_sip_bankruptcy_line_as_misheard_ends_the_call_on_silence(
    embedded: dict[str, EmbeddedEngine],
) -> None:
    """tests/e2e/test_reply_rules_sip.py: tiny.en heard the persona's "I filed for bankruptcy last month" as
    below at a confidence near 0.27; the bot asks, the persona says nothing more, the bankruptcy stands."""
    engine = embedded["en"]
    policy = engine.new_policy()
    policy.start(context_for(engine.script, {"now": NOW.isoformat()}))
    policy.handle(UserSaid("yes, speaking", 0.6))
    asked = policy.handle(UserSaid("I'll form an bankruptcy left month.", 0.27))
    assert [a.response for a in asked if isinstance(a, Say)] == ["utter_check_bankruptcy"]
    assert SetDisposition("bankruptcy") in policy.handle(NoInput())
    assert policy.ended
