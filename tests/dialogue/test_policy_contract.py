"""The DialoguePolicy contract, parametrized over every implementation (the Rasa one when built)."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from typing import Any

import pytest

from dialogue.interfaces import (
    CallContext,
    DialogueError,
    DialoguePolicy,
    ExpectedReplies,
    HangUp,
    KeyPressed,
    MachineDetected,
    NoInput,
    OptOut,
    Say,
    SetDisposition,
    UserSaid,
)
from dialogue.scripted import ScriptedPolicy
from dialogue.storytest import context_for

# The first Rasa test may build the environment (minutes) and train both scripts.
RASA_TIMEOUT = 1800
RASA_MARKS = [pytest.mark.rasa, pytest.mark.slow, pytest.mark.timeout(RASA_TIMEOUT)]

DEBT_TERMS = re.compile(r"debt|owe|balance|payment|pay|amount|\$|欠|还款|债|金额|元", re.IGNORECASE)

IMPLEMENTATIONS = [
    "scripted",
    "embedded-en",
    "embedded-zh",
    pytest.param("rasa-en", marks=RASA_MARKS),
    pytest.param("rasa-zh", marks=RASA_MARKS),
]


@pytest.fixture(params=IMPLEMENTATIONS)
def make(request: pytest.FixtureRequest) -> tuple[Callable[[], Any], CallContext]:
    kind = request.param
    if kind == "scripted":
        from dialogue.script import load_script

        context = context_for(load_script(request.getfixturevalue("script_dirs")["en"]))
        return ScriptedPolicy, context
    engine_kind, lang = kind.split("-")
    engines = request.getfixturevalue("embedded" if engine_kind == "embedded" else "rasa_engines")
    engine = engines[lang]
    return engine.new_policy, context_for(engine.script)


def _said(actions: list[Any]) -> str:
    return " ".join(a.text for a in actions if isinstance(a, Say))


def test_is_a_dialogue_policy(make: tuple[Callable[[], Any], CallContext]) -> None:
    new_policy, _ = make
    assert isinstance(new_policy(), DialoguePolicy)


def test_opening_names_the_business_and_the_opt_out(make: tuple[Callable[[], Any], CallContext]) -> None:
    new_policy, context = make
    actions = new_policy().start(context)
    assert isinstance(actions[0], Say)
    assert context.company in actions[0].text
    assert "9" in actions[0].text
    assert not DEBT_TERMS.search(_said(actions)), "nothing about the debt before the right-party check"


def test_keypad_nine_opts_out_and_hangs_up(make: tuple[Callable[[], Any], CallContext]) -> None:
    new_policy, context = make
    policy = new_policy()
    policy.start(context)
    actions = policy.handle(KeyPressed("9"))
    assert OptOut("number") in actions
    assert SetDisposition("opt_out") in actions
    assert isinstance(actions[-1], HangUp)
    assert policy.ended
    assert policy.handle(UserSaid("hello?")) == []


def test_machine_gets_the_limited_content_message(make: tuple[Callable[[], Any], CallContext]) -> None:
    new_policy, context = make
    actions = new_policy().start(context, first_event=MachineDetected())
    text = _said(actions)
    assert context.company in text and context.callback_number in text and context.agent_name in text
    assert context.first_name not in text
    assert not re.search(r"debt|balance|owe|欠款|债务", text)
    assert SetDisposition("voicemail_left") in actions and isinstance(actions[-1], HangUp)


def test_machine_without_message_hangs_up_silently(make: tuple[Callable[[], Any], CallContext]) -> None:
    new_policy, context = make
    actions = new_policy().start(
        dataclasses.replace(context, leave_voicemail=False), first_event=MachineDetected()
    )
    assert not [a for a in actions if isinstance(a, Say)]
    assert actions == [SetDisposition("machine_no_message"), HangUp()]


def test_hints_are_plain_strings(make: tuple[Callable[[], Any], CallContext]) -> None:
    new_policy, context = make
    policy = new_policy()
    policy.start(context)
    hints = policy.hints()
    assert isinstance(hints, ExpectedReplies)
    assert (
        hints.prompt and isinstance(hints.phrases, tuple) and all(isinstance(p, str) for p in hints.phrases)
    )


def test_handle_before_start_is_an_error(make: tuple[Callable[[], Any], CallContext]) -> None:
    new_policy, _ = make
    with pytest.raises(DialogueError):
        new_policy().handle(UserSaid("yes"))


def test_actions_are_frozen(make: tuple[Callable[[], Any], CallContext]) -> None:
    new_policy, context = make
    action = new_policy().start(context)[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        action.text = "changed"  # type: ignore[misc]


ENGINES = ["embedded", pytest.param("rasa", marks=RASA_MARKS)]


@pytest.mark.parametrize("engine_kind", ENGINES)
@pytest.mark.parametrize(
    ("lang", "reply"), [("en", "sorry you have the wrong number"), ("zh", "你打错电话了")]
)
def test_wrong_person_hears_nothing_about_the_debt(
    request: pytest.FixtureRequest, engine_kind: str, lang: str, reply: str
) -> None:
    """COMPLIANCE.md test case 11."""
    engine = request.getfixturevalue("embedded" if engine_kind == "embedded" else "rasa_engines")[lang]
    policy = engine.new_policy()
    actions = policy.start(context_for(engine.script))
    actions += policy.handle(UserSaid(reply))
    assert not DEBT_TERMS.search(_said(actions))
    assert SetDisposition("wrong_party") in actions and policy.ended


@pytest.mark.parametrize("engine_kind", ENGINES)
def test_promise_too_far_out_gets_a_counter_offer(request: pytest.FixtureRequest, engine_kind: str) -> None:
    engine = request.getfixturevalue("embedded" if engine_kind == "embedded" else "rasa_engines")["en"]
    policy = engine.new_policy()
    policy.start(context_for(engine.script, {"promise_max_days": 7}))
    policy.handle(KeyPressed("1"))
    actions = policy.handle(UserSaid("i can pay in two weeks"))
    assert [a.response for a in actions if isinstance(a, Say)] == ["utter_counter_offer"]
    assert "Sunday, December 6" in _said(actions)  # the latest date the campaign accepts
    actions = policy.handle(UserSaid("ok friday then"))
    assert [a.response for a in actions if isinstance(a, Say)] == ["utter_confirm_promise"]
    actions = policy.handle(KeyPressed("1"))
    from dialogue.interfaces import RecordPromise

    promises = [a for a in actions if isinstance(a, RecordPromise)]
    assert promises and promises[0].date.isoformat() == "2026-12-04" and promises[0].amount is None


@pytest.mark.parametrize("engine_kind", ENGINES)
def test_unsure_transcripts_count_as_not_understood(
    request: pytest.FixtureRequest, script_dirs: dict[str, Any], engine_kind: str
) -> None:
    from dialogue.embedded.engine import EmbeddedEngine
    from dialogue.rasa_client import RasaEngine

    if engine_kind == "embedded":
        engine: Any = EmbeddedEngine.load(script_dirs["en"], min_asr_confidence=0.5)
    else:
        served = request.getfixturevalue("rasa_engines")["en"]
        engine = RasaEngine(served.url, served._client.params["token"], served.script, min_asr_confidence=0.5)
    policy = engine.new_policy()
    policy.start(context_for(engine.script))
    unsure = policy.handle(UserSaid("yes", confidence=0.2))
    assert [a.response for a in unsure if isinstance(a, Say)] == ["utter_reprompt_ask_right_party"]
    sure = policy.handle(UserSaid("yes", confidence=0.9))
    assert next(a.response for a in sure if isinstance(a, Say)) == "utter_disclosure"


@pytest.mark.parametrize("engine_kind", ENGINES)
@pytest.mark.parametrize(("lang", "other", "forced"), [("en", "es", "Hello?"), ("zh", "en", "再加一点点油")])
def test_a_reply_heard_in_another_language_is_asked_about_then_a_language_barrier(
    request: pytest.FixtureRequest, engine_kind: str, lang: str, other: str, forced: str
) -> None:
    """The recognizer forced foreign speech into the script's words ("hablo español solamente" came out
    of tiny.en as "Hello?"); its language spotting named the language, and that decides, not the words.
    A voice it cannot place also gets named now and then, so the bot asks first; the callee answering
    in that language again, or yes, or nothing, is the barrier; a no in the script's language goes on."""
    engine = request.getfixturevalue("embedded" if engine_kind == "embedded" else "rasa_engines")[lang]

    def spotted(*then: Any) -> tuple[Any, list[Any]]:
        policy = engine.new_policy()
        policy.start(context_for(engine.script))
        asked = policy.handle(UserSaid(forced, 0.3, language=other))
        assert [a.response for a in asked if isinstance(a, Say)] == ["utter_check_language"]
        assert not policy.ended and not DEBT_TERMS.search(_said(asked))
        return policy, [policy.handle(event) for event in then]

    for answer in (UserSaid(forced, 0.3, language=other), KeyPressed("1"), NoInput()):
        policy, (actions,) = spotted(answer)
        assert SetDisposition("language_barrier") in actions and policy.ended, answer
        assert not DEBT_TERMS.search(_said(actions))
        assert policy.slots.get("spoken_language") == other  # what the ledger keeps with the flag
    policy, (actions,) = spotted(UserSaid({"en": "no", "zh": "不用"}[lang], 0.9))
    assert SetDisposition("language_barrier") not in actions and not policy.ended
    # the same words heard in the script's own language are read as words
    policy = engine.new_policy()
    policy.start(context_for(engine.script))
    actions = policy.handle(UserSaid(forced, 0.3, language=lang))
    assert SetDisposition("language_barrier") not in actions
