"""Run tests/test_stories.yml against any engine and report the first diverging step of each story."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any

from dialogue.interfaces import (
    BotAction,
    CallContext,
    KeyPressed,
    MachineDetected,
    NoInput,
    Say,
    SetDisposition,
    UserEvent,
    UserSaid,
)
from dialogue.script import Flow, Script

PolicyFactory = Callable[[], Any]


@dataclass(frozen=True)
class StoryResult:
    name: str
    passed: bool
    path: str
    line: int
    detail: str = ""
    transcript: tuple[str, ...] = ()


def context_for(script: Script, overrides: dict[str, Any] | None = None) -> CallContext:
    """The CallContext a story runs with: dialer.yml's test_context plus the story's overrides.

    Unknown field names and values of the wrong type raise ValueError naming the field.
    """
    raw = {**script.test_context, **(overrides or {})}
    known = {f.name for f in fields(CallContext)}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise ValueError(f"unknown call context field {unknown[0]!r} (known: {', '.join(sorted(known))})")
    values: dict[str, Any] = {}
    for key, value in raw.items():
        try:
            if key == "now":
                values[key] = dt.datetime.fromisoformat(str(value)) if value is not None else None
            elif key in ("first_contact", "leave_voicemail", "can_transfer"):
                if not isinstance(value, bool):
                    raise ValueError("expected true or false")
                values[key] = value
            elif key == "promise_max_days":
                values[key] = int(value)
            elif key == "calling_hours":
                start, end = (dt.time.fromisoformat(str(v)) for v in value)
                values[key] = (f"{start:%H:%M}", f"{end:%H:%M}")
            else:
                values[key] = str(value)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"call context field {key!r}: {exc}") from exc
    for key in ("company", "agent_name", "first_name", "amount", "currency", "due_date", "callback_number"):
        values.setdefault(key, "")
    return CallContext(**values)


def event_for(text: str | None, intent: str, asr_confidence: float = 1.0) -> UserEvent | None:
    """The user event a test step stands for; None means the call start."""
    if text is None:
        events: dict[str, UserEvent] = {"no_input": NoInput(), "machine_detected": MachineDetected()}
        return events.get(intent)
    if text.startswith("#") and len(text) == 2:
        return KeyPressed(text[1])
    return UserSaid(text, asr_confidence)


def run_story(script: Script, story: Flow, new_policy: PolicyFactory) -> StoryResult:
    try:
        context = context_for(script, story.metadata.get("context"))
    except ValueError as exc:
        return StoryResult(story.name, False, story.path, story.line, f"metadata.context: {exc}")
    policy = new_policy()
    pending: list[str] = []
    produced: list[BotAction] = []
    transcript: list[str] = []
    started = False

    def fail(line: int, message: str) -> StoryResult:
        return StoryResult(story.name, False, story.path, line, message, tuple(transcript))

    def take(actions: list[BotAction]) -> None:
        produced.extend(actions)
        pending.extend(getattr(policy, "last_executed", ()))
        transcript.extend(f"bot: {a.text}" for a in actions if isinstance(a, Say))

    for step in story.steps:
        if step.kind in ("intent", "or"):
            if pending:
                return fail(step.line, f"expected the bot to listen, but it ran {pending[0]!r}")
            heard = story.metadata.get("asr_confidence") or {}
            confidence = float(heard.get(step.user, 1.0)) if isinstance(heard, dict) and step.user else 1.0
            event = event_for(step.user, step.value, confidence)
            transcript.append(f"user: {step.user or '<' + step.value + '>'}")
            if not started:
                take(policy.start(context, first_event=event) if event is not None else policy.start(context))
                started = True
                continue
            if event is None:
                return fail(step.line, f"{step.value!r} without user text can only start a story")
            take(policy.handle(event))
            parsed = getattr(policy, "last_parse", None)
            if (
                step.user
                and not step.user.startswith("#")
                and parsed is not None
                and not step.matches_intent(parsed.intent)
            ):
                return fail(
                    step.line,
                    f"{step.user!r}: expected intent {step.value}, "
                    f"understood {parsed.intent} ({parsed.confidence:.2f})",
                )
        elif step.kind == "action":
            if not pending:
                return fail(step.line, f"expected action {step.value!r}, but the bot listened")
            got = pending.pop(0)
            if got != step.value:
                return fail(step.line, f"expected action {step.value!r}, got {got!r}")
        elif step.kind == "slots":
            slots = policy.slots
            for name, value in step.slots:
                if str(slots.get(name)) != str(value):
                    return fail(step.line, f"slot {name}: expected {value!r}, got {slots.get(name)!r}")
    if pending:
        return fail(
            story.steps[-1].line if story.steps else story.line, f"unexpected extra action {pending[0]!r}"
        )
    expected = story.metadata.get("disposition")
    dispositions = [a.disposition for a in produced if isinstance(a, SetDisposition)]
    if expected and (not dispositions or dispositions[-1] != expected):
        return fail(
            story.line,
            f"expected disposition {expected!r}, got {dispositions[-1] if dispositions else None!r}",
        )
    spoken = " ".join(a.text for a in produced if isinstance(a, Say))
    for phrase in story.metadata.get("says") or []:
        if str(phrase) not in spoken:
            return fail(story.line, f"the bot never said {phrase!r}")
    for phrase in story.metadata.get("never_says") or []:
        if str(phrase) in spoken:
            return fail(story.line, f"the bot said {phrase!r}, which it must not say in this call")
    return StoryResult(story.name, True, story.path, story.line, "", tuple(transcript))


def run_stories(script: Script, new_policy: PolicyFactory) -> list[StoryResult]:
    return [run_story(script, story, new_policy) for story in script.tests]
