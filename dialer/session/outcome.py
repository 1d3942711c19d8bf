"""What the call achieved: the policy's actions collected, the turns kept, and the report built at the end.

Mutable while the call runs (one session thread), frozen into a `SessionReport` once it ends.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from decimal import Decimal

from dialer.session.context import to_utc
from dialer.session.report import DisclosureReport, SessionReport, TurnReport
from dialer.session.spec import SessionSpec
from dialogue.interfaces import (
    BotAction,
    OptOut,
    RecordCallback,
    RecordPaid,
    RecordPromise,
    RecordSettlement,
    SetDisposition,
)

# The scripts' disclosure responses (dialer.yml `opening`, `disclosure`; the session's recording notice)
DISCLOSURES = {
    "utter_recording_notice": "recording_notice",
    "utter_opening": "opening",
    "utter_disclosure": "debt_collector",
}
SLOTS = ("attorney_name", "attorney_phone", "spoken_language")


@dataclass
class Outcome:
    spec: SessionSpec
    disposition: str = ""
    machine: str = ""
    promise_date: dt.date | None = None
    promise_amount: Decimal | None = None
    paid_date: dt.date | None = None
    callback_at: dt.datetime | None = None
    callback_requested: bool = False
    opt_out: str = ""
    transferred_to: str = ""
    voicemail_left: bool = False
    turns: list[TurnReport] = field(default_factory=list)
    opening_ms: int | None = None
    announcement: str = ""
    tts_fallbacks: int = 0
    asr_errors: int = 0
    ended_by: str = ""
    error: str = ""
    plan: list[tuple[dt.date, Decimal | None]] = field(default_factory=list)
    settlement_total: Decimal | None = None  # the plan settles the whole balance for this total
    slots: dict[str, str] = field(default_factory=dict)
    recording_withheld: bool = False
    _plan_turn: int = -1
    _settled_turn: int = -1
    _responses: dict[int, tuple[str, ...]] = field(default_factory=dict)  # bot turn -> response names

    def apply(self, action: BotAction) -> None:
        """The bookkeeping actions (speech, hang-up and transfer are the session's). The promises of one
        turn are the parts of a payment plan, in order; a later turn's promise replaces them."""
        if isinstance(action, SetDisposition):
            self.disposition = action.disposition
        elif isinstance(action, RecordPromise):
            if self._plan_turn != len(self.turns):
                self.plan, self._plan_turn = [], len(self.turns)
                if self._settled_turn != len(self.turns):
                    self.settlement_total = None
            self.plan.append((action.date, action.amount))
            self.promise_date, self.promise_amount = self.plan[0]
        elif isinstance(action, RecordSettlement):  # comes just before the parts that pay it
            self.settlement_total, self._settled_turn = action.total, len(self.turns)
        elif isinstance(action, RecordPaid):
            self.paid_date = action.date
        elif isinstance(action, RecordCallback):
            self.callback_requested = True
            self.callback_at = to_utc(action.at, self.spec) if action.at is not None else None
        elif isinstance(action, OptOut):
            self.opt_out = action.scope

    def take_slots(self, slots: dict[str, object]) -> None:
        """What the policy took down that the ledger keeps with a flag (attorney, language)."""
        for name in SLOTS:
            value = slots.get(name)
            if isinstance(value, str) and value.strip():
                self.slots[name] = value.strip()[:100]

    # -- turns ----------------------------------------------------------------------------------------
    def bot_turn(
        self,
        text: str,
        start: float,
        latency_ms: int | None,
        responses: tuple[str, ...] = (),
        split_ms: tuple[int, ...] | None = None,
    ) -> int:
        """`split_ms`: the end of turn, hearing, deciding and rendering parts of `latency_ms` (TurnReport)."""
        eot, hearing, deciding, rendering = split_ms if split_ms is not None else (None,) * 4
        self.turns.append(
            TurnReport(
                len(self.turns),
                "bot",
                text,
                round(start, 3),
                latency_ms=latency_ms,
                end_of_turn_ms=eot,
                hearing_ms=hearing,
                deciding_ms=deciding,
                rendering_ms=rendering,
            )
        )
        self._responses[len(self.turns) - 1] = responses
        return len(self.turns) - 1

    def disclosures(self) -> tuple[DisclosureReport, ...]:
        """When each disclosure played: its bot turn's start and end; complete unless cut off."""
        out = []
        for index, names in sorted(self._responses.items()):
            turn = self.turns[index]
            for name in names:
                if name in DISCLOSURES:
                    complete = turn.end_s is not None and not turn.barged_in
                    out.append(DisclosureReport(DISCLOSURES[name], turn.start_s, turn.end_s, complete))
        return tuple(out)

    def end_turn(self, index: int, end: float, barged_in: bool = False) -> None:
        self.turns[index] = replace(self.turns[index], end_s=round(end, 3), barged_in=barged_in)

    def callee_turn(
        self,
        text: str,
        start: float,
        end: float,
        *,
        intent: str | None = None,
        confidence: float | None = None,
        keys: str = "",
        heard_by: str = "",
        no_speech_prob: float | None = None,
        heard_language: str = "",
    ) -> int:
        """A callee turn; `confidence` is the recognizer's (the dialogue's goes with `set_intent`)."""
        turn = TurnReport(
            len(self.turns),
            "callee",
            text,
            round(start, 3),
            round(end, 3),
            intent=intent,
            keys=keys,
            heard_by=heard_by if not keys else "",
            asr_confidence=None if confidence is None else round(confidence, 3),
            no_speech_prob=None if no_speech_prob is None else round(no_speech_prob, 3),
            heard_language=heard_language if not keys else "",
        )
        self.turns.append(turn)
        return turn.seq

    def set_intent(self, index: int, intent: str | None, confidence: float | None) -> None:
        turn = self.turns[index]
        self.turns[index] = replace(
            turn, intent=intent, confidence=confidence if confidence is None else round(confidence, 3)
        )

    def report(self, barge_in_stop_ms: tuple[int, ...]) -> SessionReport:
        disposition = self.disposition
        if disposition == "voicemail_left" and not self.voicemail_left:
            disposition = "machine_no_message"  # the machine hung up before the message was over
        if disposition == "transferred" and not self.transferred_to:
            disposition = "callback_requested"  # no agent took the call: someone calls back
        if not disposition and not self.error:
            if self.machine == "machine":
                disposition = "voicemail_left" if self.voicemail_left else "machine_no_message"
            elif self.ended_by == "callee":
                disposition = "refused"
            elif self.machine:
                disposition = "no_response"
        return SessionReport(
            disposition=disposition,
            machine=self.machine,
            promise_date=self.promise_date,
            promise_amount=self.promise_amount,
            paid_date=self.paid_date,
            callback_at=self.callback_at,
            callback_requested=self.callback_requested,
            opt_out=self.opt_out,
            transferred_to=self.transferred_to,
            voicemail_left=self.voicemail_left,
            turns=tuple(self.turns),
            opening_ms=self.opening_ms,
            barge_in_stop_ms=barge_in_stop_ms,
            announcement=self.announcement,
            tts_fallbacks=self.tts_fallbacks,
            asr_errors=self.asr_errors,
            ended_by=self.ended_by,
            error=self.error,
            plan=tuple(self.plan),
            settlement_total=self.settlement_total,
            attorney_name=self.slots.get("attorney_name", ""),
            attorney_phone=self.slots.get("attorney_phone", ""),
            spoken_language=self.slots.get("spoken_language", ""),
            disclosures=self.disclosures(),
            recording_withheld=self.recording_withheld,
        )
