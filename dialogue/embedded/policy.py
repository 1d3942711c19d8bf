"""One call's conversation on the embedded engine: a tracker, slots, and the rule/story matcher."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from dialogue.confirm import gate
from dialogue.embedded.matcher import LISTEN, TrackerEvent
from dialogue.interfaces import (
    BotAction,
    CallContext,
    DialogueError,
    ExpectedReplies,
    HangUp,
    KeyPressed,
    MachineDetected,
    NoInput,
    ParseResult,
    Say,
    UserEvent,
    UserSaid,
)
from dialogue.significance import Checker, combined
from dialogue.turns import (
    choose_variant,
    derive_slots,
    heard_in_other_language,
    initial_slots,
    promise_on_asked_date,
    question_base,
    repeat_check,
    respond,
    say_and_effects,
    spoken_text,
)
from dialogue.understanding.nlu import FALLBACK_INTENT

if TYPE_CHECKING:
    from dialogue.embedded.engine import EmbeddedEngine

MAX_ACTIONS_PER_TURN = 10
START_INTENT = "call_start"
NO_INPUT_INTENT = "no_input"
MACHINE_INTENT = "machine_detected"


def event_intent(script_keypad: dict[str, str], event: UserEvent) -> str | None:
    """The intent a non-speech event stands for (None for speech)."""
    if isinstance(event, KeyPressed):
        return script_keypad.get(event.digit, FALLBACK_INTENT)
    if isinstance(event, NoInput):
        return NO_INPUT_INTENT
    if isinstance(event, MachineDetected):
        return MACHINE_INTENT
    return None


class EmbeddedPolicy:
    def __init__(self, engine: EmbeddedEngine) -> None:
        self._engine = engine
        self._script = engine.script
        self._tracker: list[TrackerEvent] = []
        self._slots: dict[str, Any] = {}
        self._context: CallContext | None = None
        self._ended = False
        self._last_question: str = ""
        self._last_text: str = ""
        self._asked: dict[str, int] = {}
        self._checker = Checker(self._script)
        self.last_parse: ParseResult | None = None
        self.last_executed: tuple[str, ...] = ()

    @property
    def slots(self) -> dict[str, Any]:
        return dict(self._slots)

    @property
    def ended(self) -> bool:
        return self._ended

    @property
    def tracker(self) -> list[TrackerEvent]:
        return list(self._tracker)

    def _now(self) -> dt.datetime:
        assert self._context is not None
        return self._context.now or dt.datetime.now()

    def start(self, context: CallContext, first_event: UserEvent | None = None) -> list[BotAction]:
        """Open the call; ``first_event=MachineDetected()`` when a machine answered (no opening)."""
        if self._context is not None:
            raise DialogueError("start() called twice on one policy")
        self._context = context
        self._slots = initial_slots(context, self._now())
        if first_event is not None:
            return self.handle(first_event)
        return self._user_turn(START_INTENT, ())

    def handle(self, event: UserEvent) -> list[BotAction]:
        if self._context is None:
            raise DialogueError("handle() before start()")
        if self._ended:
            return []
        intent = event_intent(self._script.keypad, event)
        sure = 1.0
        if intent is not None:
            parse = ParseResult(intent, 1.0)
        else:
            assert isinstance(event, UserSaid)
            spoken = heard_in_other_language(event, self._script.language, self._script.intents)
            if spoken is not None:
                # heard, not understood: confirmed with the check question when the script has one
                parse, sure = spoken, 0.0
            elif event.confidence < self._engine.min_asr_confidence:
                # The recognizer is unsure what was said: as good as not understood.
                parse = ParseResult(FALLBACK_INTENT, event.confidence)
                sure = event.confidence
            else:
                heard = self._engine.understander.parse(event.text, self._now())
                parse = gate(self._script, self._last_question, heard)
                sure = combined(heard, event.confidence)
        self.last_parse = parse
        decision = self._checker.decide(parse, sure)
        if decision.check:
            return self._say_check(decision.check)
        return self._user_turn(decision.intent, decision.entities)

    def _say_check(self, name: str) -> list[BotAction]:
        """The check question, outside the tracker: the rules continue from the question before it."""
        self.last_executed = (name,)
        produced = respond(self._script.responses, name, self._slots)
        self._last_text = spoken_text(produced, self._last_text)
        return produced

    def _user_turn(self, intent: str, entities: tuple[tuple[str, str], ...]) -> list[BotAction]:
        entities = promise_on_asked_date(intent, entities, self._slots, self._last_question)
        self._slots.update(derive_slots(entities, self._slots, self._now(), self._engine.plan_limits))
        self._slots["repeat_check"] = repeat_check(self._asked, self._last_question)
        self._tracker.append(TrackerEvent("user", intent, dict(self._slots)))
        self.last_executed = ()
        actions = self._run()
        if not actions and intent != FALLBACK_INTENT:
            # No rule or story knows this intent here: treat it as not understood.
            self._tracker[-1] = TrackerEvent("user", FALLBACK_INTENT, dict(self._slots))
            actions = self._run()
        return actions

    def _run(self) -> list[BotAction]:
        actions: list[BotAction] = []
        for _ in range(MAX_ACTIONS_PER_TURN):
            prediction = self._engine.matcher.predict(self._tracker, self._slots)
            if prediction is None or prediction.action == LISTEN:
                break
            actions.extend(self._execute(prediction.action))
            if self._ended:
                break
        return actions

    def _execute(self, name: str) -> list[BotAction]:
        self._tracker.append(TrackerEvent("action", name))
        self.last_executed = (*self.last_executed, name)
        response = self._script.responses.get(name)
        if response is None:
            return []
        produced = say_and_effects(name, choose_variant(response, self._slots), self._slots)
        for action in produced:
            if isinstance(action, Say):
                self._last_question, self._last_text = name, action.text
                self._asked[question_base(name)] = self._asked.get(question_base(name), 0) + 1
            if isinstance(action, HangUp):
                self._ended = True
        return produced

    def hints(self) -> ExpectedReplies:
        table = self._script.meta.get("hints") or {}
        question = question_base(self._last_question)
        if self._checker.pending is not None:
            question = "check"
        phrases = tuple(str(p) for p in table.get(question) or table.get("default") or ())
        return ExpectedReplies(prompt=self._last_text, phrases=phrases)
