"""A promise is recorded only after its read-back met a yes: never from a garbled or dateless reply.

A callee who said "that's not my bill" was heard as "Next, I'll to my bill." and read as a promise. A
promise needs no significance check (dialogue/significance.py) because its read-back is the check: a
promise without a day asks for the day, and only a confident yes to "So you will pay ... by ...?"
records anything (dialogue/confirm.py).
"""

from __future__ import annotations

import pytest

from dialogue.confirm import confirm_questions
from dialogue.embedded.engine import EmbeddedEngine
from dialogue.interfaces import BotAction, RecordPromise, SetDisposition, UserSaid
from dialogue.script import Flow, Script
from dialogue.turns import question_base

from .chat import after_rpc, said

READ_BACKS = ("utter_confirm_promise", "utter_confirm_plan")
GARBLED = {"en": "Next, I'll to my bill.", "zh": "我会还账单"}
DISPUTE = {"en": "that's not my bill, I don't owe this", "zh": "这不是我欠的钱"}


def _recording(script: Script) -> set[str]:
    return {
        name
        for name, response in script.responses.items()
        if any(v.custom.get("record") in ("promise", "plan") for v in response.variants)
    }


def _unconfirmed_records(flow: Flow, recording: set[str], gated: frozenset[str]) -> list[str]:
    """Steps of `flow` that record a promise without a yes to a read-back (whose yes is gated) before."""
    steps = flow.steps
    found = []
    for i, step in enumerate(steps):
        if step.kind != "action" or step.value not in recording:
            continue
        user = next((s for s in reversed(steps[:i]) if s.kind in ("intent", "or")), None)
        asked = next((s for s in reversed(steps[:i]) if s.kind == "action"), None)
        yes_only = user is not None and (
            user.value == "affirm" if user.kind == "intent" else set(user.options) == {"affirm"}
        )
        read_back = asked is not None and question_base(asked.value) in READ_BACKS and asked.value in gated
        if not (yes_only and read_back):
            found.append(f"{flow.path}:{step.line} {flow.name}")
    return found


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_recorded_promise_follows_a_yes_to_its_read_back(
    embedded: dict[str, EmbeddedEngine], lang: str
) -> None:
    script = embedded[lang].script
    recording = _recording(script)
    assert recording  # the scripts do record promises
    flows = [*script.rules, *script.stories, *script.tests]
    gated = confirm_questions(script)
    assert [f for flow in flows for f in _unconfirmed_records(flow, recording, gated)] == []


def _recorded(*turns: list[BotAction]) -> bool:
    return any(
        isinstance(a, RecordPromise) or (isinstance(a, SetDisposition) and a.disposition == "promise_to_pay")
        for actions in turns
        for a in actions
    )


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("asr_confidence", [0.35, 0.9])
def test_a_garbled_promise_without_a_day_asks_the_day_and_records_nothing(
    embedded: dict[str, EmbeddedEngine], lang: str, asr_confidence: float
) -> None:
    policy = after_rpc(embedded[lang], lang)
    heard = policy.handle(UserSaid(GARBLED[lang], asr_confidence))
    assert policy.last_parse is not None and policy.last_parse.intent == "promise_to_pay"
    assert said(heard) == ["utter_ask_promise_date"]
    assert not _recorded(heard)
    # The callee says what they meant: the dispute path, still nothing recorded.
    corrected = policy.handle(UserSaid(DISPUTE[lang], 0.9))
    assert said(corrected)[0] in ("utter_dispute", "utter_check_dispute")
    assert not _recorded(heard, corrected)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_dateless_promise_is_not_recorded_by_silence_or_a_weak_yes(
    embedded: dict[str, EmbeddedEngine], lang: str
) -> None:
    policy = after_rpc(embedded[lang], lang)
    turns = [policy.handle(UserSaid(GARBLED[lang], 0.4))]
    turns.append(policy.handle(UserSaid({"en": "yeah", "zh": "嗯"}[lang], 0.3)))
    turns.append(policy.handle(UserSaid({"en": "uh huh", "zh": "嗯嗯"}[lang], 0.3)))
    assert not _recorded(*turns)
