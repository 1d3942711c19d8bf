"""What a session hands back with the call's result (travels from the worker process as
`CallResult.session`): plain, picklable values, no engine objects."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class TurnReport:
    """One utterance. Times are seconds since the answer. `latency_ms` (bot turns): end of the callee's
    speech (or key press) to the first frame of the reply on the wire."""

    seq: int
    speaker: str  # "bot" or "callee"
    text: str
    start_s: float
    end_s: float | None = None
    intent: str | None = None
    confidence: float | None = None
    latency_ms: int | None = None
    keys: str = ""
    barged_in: bool = False  # bot turns: the callee interrupted it
    # callee turns: what heard them (recognizer and model), its confidence and no-speech probability;
    # `intent`/`confidence` above are what the dialogue made of the text
    heard_by: str = ""
    asr_confidence: float | None = None
    no_speech_prob: float | None = None
    heard_language: str = ""  # callee turns: another language than the call's the speech was heard in
    # bot turns answering speech: `latency_ms` split where the time went. end_of_turn_ms: end of speech ->
    # the endpointer called the turn over; hearing_ms: -> the transcript was in hand (the decode, and any
    # lag of the session behind the line); deciding_ms: -> the dialogue chose the reply; rendering_ms: ->
    # the reply's first frame left (synthesis of its first sentence, and the next media tick)
    end_of_turn_ms: int | None = None
    hearing_ms: int | None = None
    deciding_ms: int | None = None
    rendering_ms: int | None = None


@dataclass(frozen=True, slots=True)
class DisclosureReport:
    """A disclosure the bot played (seconds since the answer): recording_notice, opening, debt_collector.
    `complete`: it played to its end."""

    kind: str
    start_s: float
    end_s: float | None
    complete: bool


@dataclass(frozen=True, slots=True)
class SessionReport:
    disposition: str  # a VOCAB disposition ("" when the session never reached the callee)
    machine: str = ""  # "human", "machine" or "" (undecided)
    promise_date: dt.date | None = None
    promise_amount: Decimal | None = None  # None with a date: the full amount
    paid_date: dt.date | None = None
    callback_at: dt.datetime | None = None  # UTC
    callback_requested: bool = False
    opt_out: str = ""  # "", "number" or "all"
    transferred_to: str = ""
    voicemail_left: bool = False
    turns: tuple[TurnReport, ...] = field(default_factory=tuple)
    opening_ms: int | None = None  # answer -> first audio frame of the opening
    barge_in_stop_ms: tuple[int, ...] = ()  # callee speech start -> bot audio stopped, per barge-in
    announcement: str = ""  # ASR of early media or of a carrier message after answer (number status)
    tts_fallbacks: int = 0
    asr_errors: int = 0
    ended_by: str = ""  # "bot", "callee", "max_duration", "error"
    error: str = ""
    plan: tuple[tuple[dt.date, Decimal | None], ...] = ()  # every promise of the call, in order (a plan: 2+)
    settlement_total: Decimal | None = None  # the plan settles the whole balance for this total
    attorney_name: str = ""  # slots taken down with a legally significant reply
    attorney_phone: str = ""
    spoken_language: str = ""
    disclosures: tuple[DisclosureReport, ...] = ()
    recording_withheld: bool = False  # REC: the recording notice never played: no audio may be kept


TURN_PARTS = ("end_of_turn", "hearing", "deciding", "rendering")


def turn_parts(turn: TurnReport) -> dict[str, int]:
    """A bot turn's latency split (ms) by part, empty when it did not answer speech."""
    values = (turn.end_of_turn_ms, turn.hearing_ms, turn.deciding_ms, turn.rendering_ms)
    if any(v is None for v in values):
        return {}
    return {part: int(v) for part, v in zip(TURN_PARTS, values, strict=True) if v is not None}
