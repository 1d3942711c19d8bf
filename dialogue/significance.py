"""Readings that change an account are confirmed when the bot is not sure it heard them.

The confidence of a reply is the recognizer's (UserSaid.confidence) times the NLU's. Below dialer.yml
``significant.threshold`` a reading listed in ``significant.checks`` (already paid, wrong person, third party,
attorney, bankruptcy, dispute, deceased, stop, cease) is not acted on: the bot asks its check question
("Just to be sure: did you say you have already paid?"). Only a confident yes (NLU confidence at least
confirm_threshold, as for every yes/no that changes the outcome) replays the reading, and so does the
same reading said again, or an answer the script lists in ``significant.confirmed_by`` (the details of a
payment after "did you say you have already paid?"; their entities join the reading's); anything else
is not understood. An opt-out that might have been said (the classifier's best guess is stop/cease, even
below the fallback threshold, above ``opt_out_floor``) is asked about too, and honoured on yes or
silence: only a confident no keeps the call going. A reading listed in ``significant.on_silence``
(bankruptcy, attorney, deceased: each stops collection) is honoured when its check question meets
silence: a callee who may have said it and does not deny it is not called about the debt again until a
person has looked (missing data denies); any other answer still needs a yes. Any other significant
reading with an NLU confidence below ``significant.floor`` is not understood at all. A promise needs
no check: its read-back is the confirmation, and the yes to it must itself be confident
(dialogue/confirm.py).

The check lives in front of the rules on both engines: the tracker never sees the check question or the
yes/no, so a confirmed reading continues exactly as if it had been heard clearly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dialogue.confirm import confirm_threshold
from dialogue.interfaces import ParseResult
from dialogue.script import Script
from dialogue.understanding.nlu import FALLBACK_INTENT

DEFAULT_THRESHOLD = 0.5
DEFAULT_OPT_OUT_FLOOR = 0.15
DEFAULT_OPT_OUT_INTENTS = ("stop", "cease")
DEFAULT_FLOOR = 0.4  # below this NLU confidence a significant reading is not understood at all
SILENCE = "no_input"  # the intent of a reply-less turn (dialogue/embedded/policy.py NO_INPUT_INTENT)


@dataclass(frozen=True)
class Pending:
    intent: str
    entities: tuple[tuple[str, str], ...]
    check: str


@dataclass(frozen=True)
class IntentVerdict:
    """What the policy does with one user event: a turn with this intent, or say ``check`` and wait."""

    intent: str
    entities: tuple[tuple[str, str], ...] = ()
    check: str = ""


def _section(script: Script) -> dict[str, Any]:
    """dialer.yml's ``significant`` mapping (empty when missing or not a mapping: validate reports it)."""
    raw = script.meta.get("significant")
    return raw if isinstance(raw, dict) else {}


def confirmed_by(script: Script) -> dict[str, frozenset[str]]:
    """dialer.yml ``significant.confirmed_by``: reading -> the answers to its check that confirm it."""
    raw = _section(script).get("confirmed_by")
    if not isinstance(raw, dict):
        return {}
    return {str(k): frozenset(str(i) for i in (v or ())) for k, v in raw.items()}


def on_silence(script: Script) -> frozenset[str]:
    """dialer.yml ``significant.on_silence``: readings honoured when their check question meets silence."""
    return frozenset(str(i) for i in _section(script).get("on_silence") or ())


def settings(script: Script) -> tuple[float, dict[str, str], frozenset[str], float, float]:
    raw = _section(script)
    return (
        float(raw.get("threshold", DEFAULT_THRESHOLD)),
        {str(k): str(v) for k, v in (raw.get("checks") or {}).items()},
        frozenset(str(i) for i in raw.get("opt_out_intents") or DEFAULT_OPT_OUT_INTENTS),
        float(raw.get("opt_out_floor", DEFAULT_OPT_OUT_FLOOR)),
        float(raw.get("floor", DEFAULT_FLOOR)),
    )


def combined(parse: ParseResult, asr_confidence: float) -> float:
    """How sure the bot is of a reply: both the ear and the understanding must be sure."""
    return max(0.0, min(1.0, asr_confidence)) * parse.confidence


class Checker:
    """One call's pending check (not thread-safe: one per policy)."""

    def __init__(self, script: Script) -> None:
        self.threshold, self.checks, self.opt_out, self.opt_out_floor, self.floor = settings(script)
        self.confirm_threshold = confirm_threshold(script)
        self.confirmed_by = confirmed_by(script)
        self.on_silence = on_silence(script)
        self.pending: Pending | None = None

    def decide(self, parse: ParseResult, confidence: float) -> IntentVerdict:
        """``parse`` is the reply as understood (or an event as an intent with confidence 1), gated as
        every yes/no is (dialogue/confirm.py); ``confidence`` the combined one (:func:`combined`)."""
        if self.pending is not None:
            pending, self.pending = self.pending, None
            # The yes/no to a check question: understood as surely as any other yes/no (the NLU's).
            sure = parse.confidence >= self.confirm_threshold
            if parse.intent == "affirm" and sure:
                return IntentVerdict(pending.intent, pending.entities)
            answers = {pending.intent, *self.confirmed_by.get(pending.intent, ())}
            if parse.intent in answers and parse.confidence >= self.floor:
                # said again, or answered with what only makes sense if it was right
                return IntentVerdict(pending.intent, _joined(pending.entities, parse.entities))
            if pending.intent in self.opt_out and not (parse.intent == "deny" and sure):
                return IntentVerdict(pending.intent, pending.entities)
            if pending.intent in self.on_silence and parse.intent == SILENCE:
                return IntentVerdict(pending.intent, pending.entities)
            return IntentVerdict(FALLBACK_INTENT)
        candidate = parse.intent
        if (
            candidate == FALLBACK_INTENT
            and parse.top in self.opt_out
            and parse.confidence >= self.opt_out_floor
        ):
            candidate = parse.top
        check = self.checks.get(candidate)
        if check and candidate not in self.opt_out and parse.confidence < self.floor:
            # Too weak to be worth a question (and engines differ in their fallback thresholds): a
            # significant reading this unsure is not understood, on every engine.
            return IntentVerdict(FALLBACK_INTENT)
        if check and confidence < self.threshold:
            self.pending = Pending(candidate, parse.entities, check)
            return IntentVerdict(candidate, parse.entities, check)
        return IntentVerdict(parse.intent, parse.entities)


def _joined(
    first: tuple[tuple[str, str], ...], then: tuple[tuple[str, str], ...]
) -> tuple[tuple[str, str], ...]:
    """The reading's entities with the answer's (the answer wins where both name one)."""
    named = {name for name, _ in then}
    return tuple((n, v) for n, v in first if n not in named) + tuple(then)
