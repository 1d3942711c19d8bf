"""The live-call interface: the pushed (in-memory) provider and the ledger-backed one agree on a call."""

from __future__ import annotations

import datetime as dt

import pytest

from dialer.web.live import CombinedLiveCalls, InMemoryLiveCalls, LedgerLiveCalls, LiveCall, LiveCallProvider
from scheduler.console_queries import ConsoleQueries
from scheduler.ledger import Turn
from scheduler.vocabulary import Speaker

from .conftest import ConsoleEnv, leaks


def providers(env: ConsoleEnv) -> dict[str, LiveCallProvider]:
    """The same live call, once pushed the way the daemon will and once as the ledger holds it."""
    attempt = env.ledger.get_attempt(env.seeded.live_attempt)
    pushed = InMemoryLiveCalls()
    pushed.update(LiveCall(attempt.id, "june", attempt.e164, "dialing", attempt.dialing_at))
    ledger = LedgerLiveCalls(ConsoleQueries(env.ledger.engine))
    return {"memory": pushed, "ledger": ledger, "combined": CombinedLiveCalls(InMemoryLiveCalls(), ledger)}


@pytest.mark.parametrize("kind", ["memory", "ledger", "combined"])
def test_contract_one_dialing_call(env: ConsoleEnv, kind: str) -> None:
    provider = providers(env)[kind]
    assert isinstance(provider, LiveCallProvider)
    (call,) = provider.snapshot()
    assert call.attempt_id == env.seeded.live_attempt and call.campaign == "june"
    assert call.e164 == "+13125550144" and call.state == "dialing"
    now = dt.datetime.now(dt.UTC)
    assert 15 <= call.duration(now) <= 120


def test_turns_show_up_in_both(env: ConsoleEnv) -> None:
    started = dt.datetime.now(dt.UTC)
    env.ledger.add_turns(env.seeded.live_attempt, [Turn(0, Speaker.bot, "Hello", started, latency_ms=500)])
    memory = providers(env)["memory"]
    assert isinstance(memory, InMemoryLiveCalls)
    memory.turn(env.seeded.live_attempt, 0, "bot")
    for kind, provider in providers(env).items():
        if kind == "memory":
            provider = memory
        (call,) = provider.snapshot()
        assert (call.turn_seq, call.turn_speaker) == (0, "bot"), kind


def test_ended_calls_leave_the_memory_provider() -> None:
    live = InMemoryLiveCalls()
    live.update(LiveCall(7, "c", "+16175550100", "answered", dt.datetime.now(dt.UTC)))
    live.end(7)
    assert live.snapshot() == []


def test_live_page_and_api_show_the_call_masked(env: ConsoleEnv) -> None:
    client = env.client("operator")
    page = client.get("/live").text
    assert "+1 312 ***-**44" in page and leaks(page) == []
    api = client.get("/api/live").json()
    assert api[0]["attempt_id"] == env.seeded.live_attempt and api[0]["number"] == "+1 312 ***-**44"
