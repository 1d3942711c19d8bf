"""Next-action prediction over rules and stories, the way Rasa's RulePolicy and MemoizationPolicy do.

The tracker is a list of turns (bot actions and user intents with the slots after that turn). A rule or
story predicts step k when its steps before k match the tail of the tracker; the longest match wins, rules
before stories. A rule that has just finished predicts listening.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dialogue.script import Flow, Step
from dialogue.turns import _same

LISTEN = "action_listen"
MAX_STORY_HISTORY = 5


@dataclass(frozen=True)
class TrackerEvent:
    kind: str  # action | user
    name: str
    slots: dict[str, Any] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class _Event:
    kind: str  # action | user
    step: Step
    slot_checks: tuple[tuple[str, Any], ...] = ()


@dataclass(frozen=True)
class Prediction:
    action: str
    flow: Flow
    score: int


def _compile(flow: Flow) -> list[_Event]:
    events: list[_Event] = []
    for step in flow.steps:
        if step.kind == "slots":
            if events:
                last = events[-1]
                events[-1] = _Event(last.kind, last.step, last.slot_checks + step.slots)
            continue
        events.append(_Event("action" if step.kind == "action" else "user", step))
    return events


class Matcher:
    def __init__(self, rules: list[Flow], stories: list[Flow]) -> None:
        self._rules = [(flow, _compile(flow)) for flow in rules]
        self._stories = [(flow, _compile(flow)) for flow in stories]

    def predict(self, tracker: list[TrackerEvent], slots: dict[str, Any]) -> Prediction | None:
        """The next action, ``action_listen``, or None when nothing applies."""
        best = self._best(self._rules, tracker, slots, is_rule=True)
        if best is None:
            best = self._best(self._stories, tracker, slots, is_rule=False)
        return best

    def _best(
        self,
        flows: list[tuple[Flow, list[_Event]]],
        tracker: list[TrackerEvent],
        slots: dict[str, Any],
        is_rule: bool,
    ) -> Prediction | None:
        best: Prediction | None = None
        for flow, events in flows:
            if is_rule and flow.condition and not all(_same(slots.get(n), v) for n, v in flow.condition):
                continue
            for k in range(1, len(events) + 1):
                nxt = events[k] if k < len(events) else None
                if nxt is not None and nxt.kind != "action":
                    continue
                if nxt is None and not is_rule:
                    continue
                prefix = events[:k]
                if not is_rule and len(prefix) > 2 * MAX_STORY_HISTORY:
                    prefix = prefix[-2 * MAX_STORY_HISTORY :]
                if not self._matches(prefix, tracker, anchored=is_rule and flow.conversation_start):
                    continue
                score = len(prefix) * 10 + sum(len(e.slot_checks) for e in prefix) + len(flow.condition)
                action = nxt.step.value if nxt is not None else LISTEN
                if best is None or score > best.score:
                    best = Prediction(action, flow, score)
        return best

    @staticmethod
    def _matches(prefix: list[_Event], tracker: list[TrackerEvent], anchored: bool) -> bool:
        if len(prefix) > len(tracker) or not prefix:
            return False
        if anchored and len(prefix) != len(tracker):
            return False
        if prefix[-1].kind == "user" and tracker[-1].kind != "user":
            return False
        tail = tracker[len(tracker) - len(prefix) :]
        for event, turn in zip(prefix, tail, strict=True):
            if event.kind != turn.kind:
                return False
            if event.kind == "action" and event.step.value != turn.name:
                return False
            if event.kind == "user" and not event.step.matches_intent(turn.name):
                return False
            if any(not _same(turn.slots.get(name), value) for name, value in event.slot_checks):
                return False
        return True
