"""The demo's personas talked through the real reminder-en script on the embedded dialogue engine (the
replies the simulated callees speak, the lines the bot renders for them), inspected: a clean call has no
finding. The same conversation with the bot's handling of "stop" taken out is found."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from dialer.demo.cast import PERSONAS_DIR
from dialer.qa.inspect import evaluate
from dialer.qa.rules import load_rules
from dialogue.embedded.engine import EmbeddedEngine
from dialogue.interfaces import (
    MachineDetected,
    NoInput,
    OptOut,
    RecordPromise,
    Say,
    SetDisposition,
    UserEvent,
    UserSaid,
)
from dialogue.script import load_script
from dialogue.storytest import context_for
from scheduler.inspection import CallFacts, FactTurn, PolicyStep

REPO = Path(__file__).resolve().parents[2]
T = dt.datetime(2026, 1, 12, 15, 0, tzinfo=dt.UTC)
TALKING = (
    "promises-friday",
    "already-paid",
    "disputes",
    "cannot-pay",
    "callback",
    "wrong-person",
    "says-stop",
)


@pytest.fixture(scope="module")
def engine() -> EmbeddedEngine:
    return EmbeddedEngine(load_script(REPO / "scripts" / "reminder-en"))


def _talk(engine: EmbeddedEngine, events: list[UserEvent]) -> tuple[list[FactTurn], str, bool, bool]:
    """The call as turns (2.5 s apart), its disposition, whether a promise and an opt-out were recorded."""
    policy = engine.new_policy()
    actions = policy.start(context_for(engine.script))
    turns: list[FactTurn] = []
    clock = 0.5
    disposition, promise, opt_out = "", False, False

    def take(found: list[object]) -> None:
        nonlocal clock, disposition, promise, opt_out
        for a in found:
            if isinstance(a, Say):
                turns.append(FactTurn(len(turns) + 1, "bot", a.text, clock, clock + 2.0))
                clock += 2.5
            disposition = a.disposition if isinstance(a, SetDisposition) else disposition
            promise = promise or isinstance(a, RecordPromise)
            opt_out = opt_out or isinstance(a, OptOut)

    take(actions)
    for event in events:
        if disposition:
            break
        found = policy.handle(event)
        if isinstance(event, UserSaid):
            intent = policy.last_parse.intent if policy.last_parse else None
            turns.append(FactTurn(len(turns) + 1, "callee", event.text, clock, clock + 2.0, intent))
            clock += 2.5
        take(found)
    return turns, disposition, promise, opt_out


def _facts(turns: list[FactTurn], disposition: str, promise: bool, opt_out: bool) -> CallFacts:
    return CallFacts(
        attempt_id=1, campaign="demo", script="reminder-en", language="en", country="US", state="HI",
        disposition=disposition, dialing_at=T, answered_at=T + dt.timedelta(seconds=3),
        ended_at=T + dt.timedelta(seconds=60), amount_due=Decimal("120.50"), currency="USD",
        turns=tuple(turns), promises=((dt.date(2026, 1, 16), Decimal("120.50")),) if promise else (),
        opted_out=opt_out, policy=(PolicyStep("policy.allow", "ALLOW", T - dt.timedelta(seconds=1)),),
        zone="Pacific/Honolulu", dials=(T,),
    )  # fmt: skip


def _replies(persona: str) -> list[UserEvent]:
    spec = yaml.safe_load((PERSONAS_DIR / f"{persona}.yaml").read_text(encoding="utf-8"))
    return [UserSaid(r["text"]) for r in spec.get("replies", []) if "text" in r and r.get("when") is None]


@pytest.mark.parametrize("persona", TALKING)
def test_a_demo_persona_call_is_clean(engine: EmbeddedEngine, persona: str) -> None:
    turns, disposition, promise, opt_out = _talk(engine, _replies(persona))
    assert disposition, f"{persona}: the conversation did not end"
    result = evaluate(_facts(turns, disposition, promise, opt_out), load_rules())
    assert [(f.rule, f.message) for f in result.findings] == [], "\n".join(t.text for t in turns)


@pytest.mark.parametrize(
    "events", [[NoInput(), NoInput(), NoInput()], [MachineDetected()]], ids=["silent", "machine"]
)
def test_silence_and_machines_are_clean(engine: EmbeddedEngine, events: list[UserEvent]) -> None:
    turns, disposition, promise, opt_out = _talk(engine, events)
    assert disposition
    assert evaluate(_facts(turns, disposition, promise, opt_out), load_rules()).findings == []


def test_the_says_stop_call_without_its_handling_is_found(engine: EmbeddedEngine) -> None:
    turns, _, _, _ = _talk(engine, _replies("says-stop"))
    said_stop = next(t for t in turns if t.speaker == "callee")
    kept = [t for t in turns if t.seq <= said_stop.seq]
    ask = dataclasses.replace(
        turns[0], seq=said_stop.seq + 1, text="When will you be able to make this payment?"
    )
    found = evaluate(_facts([*kept, ask], "no_response", False, False), load_rules()).findings
    # asked for payment after "stop", and before anyone confirmed being the debtor
    assert {f.rule for f in found} == {"request_honoured", "debt_detail_before_rpc"}


ZH_CALLS = {
    "promise": ["是我。", "我周五可以还。", "对。"],
    "wrong-person": ["你打错电话了，这里没有这个人。"],
    "stop": ["别再打了。"],
    "dispute": ["是我。", "这笔钱我不欠，你们搞错了。"],
}


@pytest.fixture(scope="module")
def zh_engine() -> EmbeddedEngine:
    return EmbeddedEngine(load_script(REPO / "scripts" / "reminder-zh"))


@pytest.mark.parametrize("call", sorted(ZH_CALLS))
def test_chinese_calls_on_reminder_zh_are_clean(zh_engine: EmbeddedEngine, call: str) -> None:
    turns, disposition, promise, opt_out = _talk(zh_engine, [UserSaid(t) for t in ZH_CALLS[call]])
    assert disposition, "\n".join(t.text for t in turns)
    facts = dataclasses.replace(_facts(turns, disposition, promise, opt_out), language="zh", country="CN",
                                state=None, zone="Asia/Shanghai")  # fmt: skip
    result = evaluate(facts, load_rules())
    assert [(f.rule, f.message) for f in result.findings] == [], "\n".join(t.text for t in turns)
