"""DialoguePolicy on a Rasa 3.6 server over its HTTP API.

Per turn: Rasa's NLU classifies the text (/model/parse); the shared entity rules derive the same slots the
embedded engine derives and inject them (/tracker/events); then /trigger_intent runs Rasa's RulePolicy and
MemoizationPolicy. The bot events that come back carry the response name (metadata.utter_action) and its
``custom`` block, which map to BotActions exactly as on the embedded engine.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import httpx

from dialogue.interfaces import (
    BotAction,
    CallContext,
    DialogueEngineError,
    DialogueError,
    ExpectedReplies,
    HangUp,
    ParseResult,
    Say,
    UserEvent,
    UserSaid,
)
from dialogue.keywords import load_keywords
from dialogue.plan import load_limits
from dialogue.script import Script
from dialogue.significance import Checker, combined
from dialogue.turns import (
    derive_slots,
    effects,
    heard_in_other_language,
    initial_slots,
    promise_on_asked_date,
    question_base,
    repeat_check,
    respond,
    spoken_text,
)
from dialogue.understanding.channels import widen_opt_out
from dialogue.understanding.nlu import FALLBACK_INTENT, classified_text, extract_entities

_SKIPPED = {"action_listen", "action_session_start", "action_extract_slots"}


class RasaEngine:
    """A script served by a Rasa server; hands out one policy (conversation) per call."""

    def __init__(
        self, url: str, token: str, script: Script, timeout: float = 30.0, min_asr_confidence: float = 0.0
    ) -> None:
        self.url = url.rstrip("/")
        self.min_asr_confidence = min_asr_confidence
        self.script = script
        self.plan_limits = load_limits(script.meta.get("payment_plan"))[0]
        self.keywords = load_keywords(script.meta.get("keywords"), script.language)
        self._client = httpx.Client(base_url=self.url, params={"token": token}, timeout=timeout)

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = self._client.request(method, path, **kwargs)
            response.raise_for_status()
        except httpx.HTTPStatusError as exc:
            raise DialogueEngineError(f"Rasa server: {method} {path} -> {exc.response.status_code}") from exc
        except httpx.HTTPError as exc:
            raise DialogueEngineError(f"Rasa server unreachable at {self.url}: {type(exc).__name__}") from exc
        return response.json()

    def parse(self, text: str, now: dt.datetime | None = None) -> ParseResult:
        said = classified_text(text, self.script.language)
        data = self.request("POST", "/model/parse", json={"text": said})
        intent = data.get("intent") or {}
        name = str(intent.get("name") or FALLBACK_INTENT)
        ranking = [r for r in data.get("intent_ranking") or [] if r.get("name") != FALLBACK_INTENT]
        top = str(ranking[0].get("name")) if ranking else name
        confidence = float(intent.get("confidence") or 0.0)
        if name == FALLBACK_INTENT and ranking:
            confidence = float(ranking[0].get("confidence") or 0.0)
        ranked = [(str(r.get("name")), float(r.get("confidence") or 0.0)) for r in ranking]
        name, confidence = self.keywords.apply(name, confidence, ranked, text)
        name = widen_opt_out(name, text, self.script.language)
        entities = extract_entities(text, self.script.language, now or dt.datetime.now(), name)
        return ParseResult(name, confidence, entities, top=top)

    def new_policy(self) -> RasaPolicy:
        return RasaPolicy(self)

    def close(self) -> None:
        self._client.close()


def _jsonable(value: Any) -> Any:
    return value if value is None or isinstance(value, str | int | float | bool) else str(value)


class RasaPolicy:
    def __init__(self, engine: RasaEngine) -> None:
        self._engine = engine
        self._script = engine.script
        self._id = f"call-{uuid.uuid4().hex}"
        self._context: CallContext | None = None
        self._slots: dict[str, Any] = {}
        self._seen = 0
        self._ended = False
        self._last_question = ""
        self._last_text = ""
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

    def _now(self) -> dt.datetime:
        assert self._context is not None
        return self._context.now or dt.datetime.now()

    def start(self, context: CallContext, first_event: UserEvent | None = None) -> list[BotAction]:
        if self._context is not None:
            raise DialogueError("start() called twice on one policy")
        self._context = context
        self._slots = initial_slots(context, self._now())
        self._set_slots(self._slots)
        if first_event is not None:
            return self.handle(first_event)
        return self._turn("call_start", ())

    def handle(self, event: UserEvent) -> list[BotAction]:
        from dialogue.confirm import gate
        from dialogue.embedded.policy import event_intent

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
                parse = ParseResult(FALLBACK_INTENT, event.confidence)
                sure = event.confidence
            else:
                heard = self._engine.parse(event.text, self._now())
                parse = gate(self._script, self._last_question, heard)
                sure = combined(heard, event.confidence)
        self.last_parse = parse
        decision = self._checker.decide(parse, sure)
        if decision.check:
            return self._say_check(decision.check)
        return self._turn(decision.intent, decision.entities)

    def _say_check(self, name: str) -> list[BotAction]:
        """The check question, rendered here and kept out of the server's tracker (as on the embedded
        engine): a confirmed reading continues from the question before it."""
        self.last_executed = (name,)
        produced = respond(self._script.responses, name, self._slots)
        self._last_text = spoken_text(produced, self._last_text)
        return produced

    def _set_slots(self, values: dict[str, Any]) -> None:
        events = [{"event": "slot", "name": k, "value": _jsonable(v)} for k, v in values.items()]
        tracker = self._engine.request("POST", f"/conversations/{self._id}/tracker/events", json=events)
        self._seen = len(tracker.get("events") or [])

    def _turn(self, intent: str, entities: tuple[tuple[str, str], ...]) -> list[BotAction]:
        entities = promise_on_asked_date(intent, entities, self._slots, self._last_question)
        updates = derive_slots(entities, self._slots, self._now(), self._engine.plan_limits)
        updates["repeat_check"] = repeat_check(self._asked, self._last_question)
        self._slots.update(updates)
        self._set_slots(updates)
        actions, executed = self._trigger(intent)
        if "action_default_fallback" in executed and intent != FALLBACK_INTENT:
            # No rule or story knows this intent here: not understood (as on the embedded engine).
            actions, executed = self._trigger(FALLBACK_INTENT)
        self.last_executed = tuple(name for name in executed if name != "action_default_fallback")
        return actions

    def _trigger(self, intent: str) -> tuple[list[BotAction], list[str]]:
        data = self._engine.request(
            "POST", f"/conversations/{self._id}/trigger_intent", json={"name": intent, "entities": {}}
        )
        events = (data.get("tracker") or {}).get("events") or []
        new, self._seen = events[self._seen :], len(events)
        actions: list[BotAction] = []
        executed: list[str] = []
        for event in new:
            kind = event.get("event")
            if kind == "action" and event.get("name") not in _SKIPPED:
                executed.append(str(event.get("name")))
            elif kind == "bot":
                name = str((event.get("metadata") or {}).get("utter_action") or "")
                text = str(event.get("text") or "").strip()
                if text:
                    actions.append(Say(text, name))
                    self._last_question, self._last_text = name, text
                    self._asked[question_base(name)] = self._asked.get(question_base(name), 0) + 1
                custom = (event.get("data") or {}).get("custom") or {}
                actions.extend(effects(custom, self._slots))
        if any(isinstance(a, HangUp) for a in actions):
            self._ended = True
        return actions, executed

    def hints(self) -> ExpectedReplies:
        table = self._script.meta.get("hints") or {}
        question = "check" if self._checker.pending is not None else question_base(self._last_question)
        return ExpectedReplies(
            self._last_text, tuple(str(p) for p in table.get(question) or table.get("default") or ())
        )
