"""The DialoguePolicy seam: text and keys in, bot actions out.

Every engine (embedded, Rasa server, scripted fake) implements :class:`DialoguePolicy`. The call session
drives one policy per call: ``start`` once after the machine/human decision, ``handle`` for each event,
``hints`` before listening. Amounts and dates arrive already verbalized in :class:`CallContext`; the policy
never verbalizes, it fills response templates.

Exceptions::

    DialogueError
     +-- ScriptError                  a call script is invalid (file, line)
     +-- DialogueEngineUnavailable    an optional engine is not installed or not reachable
     +-- DialogueEngineError          the engine failed during a call (e.g. the Rasa server answered 500)
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Protocol, runtime_checkable

# --- context -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CallContext:
    """What the policy may say about this call; strings are display/verbalized forms."""

    company: str
    agent_name: str
    first_name: str
    amount: str
    currency: str
    due_date: str
    callback_number: str
    language: str = "en"
    first_contact: bool = True
    promise_max_days: int = 14
    channel: str = "voice"
    leave_voicemail: bool = True
    can_transfer: bool = True  # a person can take a transferred call (complaints, repeated questions)
    now: dt.datetime | None = None  # the call's local time; None: the engine's clock
    calling_hours: tuple[str, str] | None = None  # local ("08:00", "21:00"): callbacks are named inside

    def slots(self) -> dict[str, object]:
        """The context as initial slot values (the names used in domain.yml)."""
        return {
            "company": self.company,
            "agent_name": self.agent_name,
            "first_name": self.first_name,
            "amount": self.amount,
            "currency": self.currency,
            "due_date": self.due_date,
            "callback_number": self.callback_number,
            "language": self.language,
            "first_contact": self.first_contact,
            "promise_max_days": self.promise_max_days,
            "channel": self.channel,
            "leave_voicemail": self.leave_voicemail,
            "can_transfer": self.can_transfer,
            "calling_from": self.calling_hours[0] if self.calling_hours else None,
            "calling_until": self.calling_hours[1] if self.calling_hours else None,
        }


# --- user events ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class UserSaid:
    text: str
    confidence: float = 1.0
    language: str = ""  # set when the recognizer heard another language than the call's


@dataclass(frozen=True)
class KeyPressed:
    digit: str


@dataclass(frozen=True)
class NoInput:
    pass


@dataclass(frozen=True)
class MachineDetected:
    pass


UserEvent = UserSaid | KeyPressed | NoInput | MachineDetected


# --- bot actions ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Say:
    text: str
    response: str


@dataclass(frozen=True)
class HangUp:
    pass


@dataclass(frozen=True)
class Transfer:
    target: str


@dataclass(frozen=True)
class SetDisposition:
    disposition: str


@dataclass(frozen=True)
class RecordPromise:
    """One promised payment. A payment plan is several of these, one per part, emitted in date order in
    the turn the callee confirmed the read-back of all parts."""

    date: dt.date
    amount: Decimal | None  # None: the full amount due


@dataclass(frozen=True)
class RecordSettlement:
    """The callee agreed to settle the whole balance for ``total`` (below it, within dialer.yml
    payment_plan settlement limits). Emitted just before the RecordPromise parts that pay ``total``, in
    the same turn; without it, promise parts never reduce what is owed."""

    total: Decimal


@dataclass(frozen=True)
class RecordCallback:
    at: dt.datetime | None  # None: the callee asked for later without a time


@dataclass(frozen=True)
class OptOut:
    scope: str  # "number" (this number) or "all"


@dataclass(frozen=True)
class RecordPaid:
    date: dt.date | None
    method: str | None


BotAction = (
    Say
    | HangUp
    | Transfer
    | SetDisposition
    | RecordPromise
    | RecordSettlement
    | RecordCallback
    | OptOut
    | RecordPaid
)


@dataclass(frozen=True)
class ExpectedReplies:
    """The replies the dialogue expects next: the question just asked and likely phrases (the session
    hands them to the recognizer as `voice.interfaces.ListeningHints`)."""

    prompt: str = ""
    phrases: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class ParseResult:
    """How one utterance was understood."""

    intent: str
    confidence: float
    entities: tuple[tuple[str, str], ...] = ()
    top: str = ""  # the classifier's best intent, even when below the fallback threshold

    def as_json(self) -> dict[str, object]:
        return {
            "intent": self.intent,
            "confidence": round(self.confidence, 4),
            "entities": [{"entity": name, "value": value} for name, value in self.entities],
        }


@runtime_checkable
class DialoguePolicy(Protocol):
    """One call's conversation. Not thread-safe: one policy object per call."""

    def start(self, context: CallContext, first_event: UserEvent | None = None) -> list[BotAction]:
        """Open the call (the opening); with ``first_event=MachineDetected()`` the voicemail instead."""
        ...

    def handle(self, event: UserEvent) -> list[BotAction]: ...

    def hints(self) -> ExpectedReplies: ...

    @property
    def slots(self) -> dict[str, object]:
        """The conversation's slots. Besides the call context, what the ledger may keep from a call:
        ``attorney_name`` and ``attorney_phone`` (digits) with the attorney disposition,
        ``spoken_language`` (a code like es, zh, yue, en) with language_barrier, ``plan_parts`` (JSON
        [[ISO date, amount], ...], the parts the RecordPromise actions carry)."""
        ...

    @property
    def ended(self) -> bool: ...


# --- errors --------------------------------------------------------------------------------------------


class DialogueError(Exception):
    """Base of every error the dialogue package raises."""


class ScriptError(DialogueError):
    """A call script is invalid; names the file and line."""

    def __init__(self, message: str, path: str = "", line: int = 0) -> None:
        self.path = path
        self.line = line
        where = f"{path}:{line}: " if path and line else (f"{path}: " if path else "")
        super().__init__(f"{where}{message}")


class DialogueEngineUnavailable(DialogueError):
    """An optional engine is not installed or cannot be reached; the message says how to fix it."""


class DialogueEngineError(DialogueError):
    """The engine failed while conducting a call."""
