"""Chat-level helpers for dialogue tests: a call on a fixed Sunday, with the right party confirmed."""

from __future__ import annotations

import datetime as dt

from dialogue.embedded.engine import EmbeddedEngine
from dialogue.embedded.policy import EmbeddedPolicy
from dialogue.interfaces import BotAction, Say, UserSaid
from dialogue.storytest import context_for

NOW = dt.datetime(2026, 11, 29, 10, 0)  # a Sunday
YES = {"en": "yes this is john", "zh": "是我"}


def after_rpc(engine: EmbeddedEngine, lang: str, **context: object) -> EmbeddedPolicy:
    """A policy past the opening: the callee said they are the right party."""
    policy = engine.new_policy()
    policy.start(context_for(engine.script, {"now": NOW.isoformat(), **context}))
    policy.handle(UserSaid(YES[lang]))
    return policy


def said(actions: list[BotAction]) -> list[str]:
    """The responses the bot said in one turn."""
    return [a.response for a in actions if isinstance(a, Say)]
