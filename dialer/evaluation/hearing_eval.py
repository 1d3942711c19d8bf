"""Spoken understanding, measured: corpus line -> voice -> phone line -> recognizer -> NLU -> scored.

Shared by ``bench/understanding_bench.py`` (figures) and the regression guard in the test suite. The
NLU is passed in as a parse function (the dialogue's embedded engine in practice), so this module does
not depend on the dialogue package. Scores per (voice, condition, engine):

- WER on words for English, CER on characters for Chinese, both after number normalisation (digits
  and spelled numbers compare equal; fillers and punctuation are ignored);
- intent accuracy; entity accuracy over the labelled dates and amounts;
- critical errors: a critical class (promise, paid, wrong party, dispute, attorney, bankruptcy,
  opt-out) read that the callee did not say, or said and missed;
- what the call would do with them, when a `judge` is given (dialer/evaluation/reply_verdict.py: the
  product's own policy at that point of the call, with the recognizer's confidence): a false critical
  reading acted on unchecked (recorded silently) or checked first (asked back, or read back as a
  promise), and a missed one still caught by a check question (an opt-out heard as a weak stop);
- ASR CPU seconds per audio second, and the wait after end of speech (finish() after the last frame).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import statistics
import time
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import NamedTuple

import numpy as np

from dialer.evaluation.reply_verdict import ACTED_ON, ASKED_BACK, NOT_UNDERSTOOD, ReplyVerdict
from dialogue.interfaces import UserSaid
from dialogue.turns import LANGUAGE_BARRIER, heard_in_other_language
from voice.frames import split_frames
from voice.interfaces import ListeningHints, Recognizer
from voice.linesim import RATE, LineCondition, transmit
from voice.spoken_corpus import SpokenLine, critical_class
from voice.wer import edit_distance

Parse = Callable[[str, dt.datetime], object]  # returns a ParseResult-like object (intent, entities)
TRAILING_SILENCE_SECONDS = 0.3  # what the endpointer waits before it calls end of speech
_EN_FILLERS = {"um", "uh", "uhm", "erm", "er", "ah", "hmm", "mm", "mhm", "huh", "oh"}
_ZH_FILLERS = re.compile(r"[嗯啊呃哦唉哎呀吧呢嘛]")


def normalise_en(text: str) -> list[str]:
    """Words with numbers spelled out ("$75" = "75 dollars" = "seventy five dollars"), no fillers."""
    from num2words import num2words

    text = unicodedata.normalize("NFKC", text).lower()
    text = re.sub(r"\$\s?(\d[\d,]*(?:\.\d+)?)", r"\1 dollars", text)
    text = re.sub(r"(?<=\d),(?=\d{3})", "", text)

    def spell(match: re.Match[str]) -> str:
        number, suffix = match.group(1), match.group(2)
        try:
            if suffix:
                return str(num2words(int(number), to="ordinal"))
            return str(num2words(Decimal(number)))
        except (ValueError, InvalidOperation, OverflowError):
            return number

    text = re.sub(r"(\d+(?:\.\d+)?)(st|nd|rd|th)?\b", spell, text)
    text = re.sub(r"[-‐]", " ", text)
    text = re.sub(r"\ba (hundred|thousand)\b", r"one \1", text)
    tokens = re.findall(r"[a-z0-9']+", text)
    return [t.strip("'") for t in tokens if t.strip("'") and t.strip("'") not in _EN_FILLERS and t != "and"]


def normalise_zh(text: str) -> list[str]:
    """Characters with digits as Chinese numerals, no punctuation, spaces or fillers; Latin words whole."""
    import cn2an

    text = unicodedata.normalize("NFKC", text).lower()
    with contextlib.suppress(ValueError, KeyError):  # digits cn2an cannot read stay digits
        text = cn2an.transform(text, "an2cn")
    text = _ZH_FILLERS.sub("", text)
    return re.findall(r"[a-z']+|[0-9]|[\u4e00-\u9fff]", text)


def tokens(text: str, language: str) -> list[str]:
    return normalise_zh(text) if language.startswith("zh") else normalise_en(text)


@dataclass(slots=True)
class Trial:
    """One corpus line heard once."""

    line: SpokenLine
    transcript: str
    intent: str
    date: str | None
    amount: Decimal | None
    edits: int
    reference_tokens: int
    audio_seconds: float = 0.0
    cpu_seconds: float = 0.0
    latency_seconds: float = 0.0
    heard_language: str = ""  # the other language the recognizer named (language spotting), or ""
    asr_confidence: float = 1.0  # the recognizer's (1 for the text itself)
    verdict: ReplyVerdict | None = None  # what the call does with the reply (when judged)

    @property
    def intent_right(self) -> bool:
        return self.intent == self.line.intent

    @property
    def critical_said(self) -> str | None:
        return self.line.critical

    @property
    def critical_heard(self) -> str | None:
        return critical_class(self.intent)

    @property
    def false_critical(self) -> bool:
        """A critical class recorded that was not said."""
        return self.critical_heard is not None and self.critical_heard != self.critical_said

    @property
    def missed_critical(self) -> bool:
        """A critical class said and not recorded."""
        return self.critical_said is not None and self.critical_heard != self.critical_said

    @property
    def acted_on_unchecked(self) -> bool:
        """A false critical reading the call acts on without asking (recorded silently)."""
        return self.false_critical and self.verdict is not None and self.verdict.kind == ACTED_ON

    @property
    def checked_first(self) -> bool:
        """A false critical reading the call asks back (or reads back) before recording anything."""
        return self.false_critical and self.verdict is not None and self.verdict.checked

    @property
    def caught_by_check(self) -> bool:
        """A missed critical class the call still asks about (an opt-out heard as a weak stop)."""
        return (
            self.missed_critical
            and self.verdict is not None
            and self.verdict.kind == ASKED_BACK
            and self.critical_said in self.verdict.classes
        )


@dataclass(slots=True)
class HearingScore:
    trials: list[Trial] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.trials)

    @property
    def error_rate(self) -> float:
        total = sum(t.reference_tokens for t in self.trials)
        return sum(t.edits for t in self.trials) / total if total else 0.0

    @property
    def intent_accuracy(self) -> float:
        return sum(t.intent_right for t in self.trials) / self.count if self.count else 0.0

    def intent_accuracy_within(self, intents: set[str]) -> float | None:
        """Intent accuracy over the lines whose intent the script knows (None when there are none)."""
        known = [t for t in self.trials if t.line.intent in intents]
        return sum(t.intent_right for t in known) / len(known) if known else None

    @property
    def entity_accuracy(self) -> float | None:
        labelled = right = 0
        for t in self.trials:
            if t.line.date is not None:
                labelled += 1
                right += t.date == t.line.date
            if t.line.amount is not None:
                labelled += 1
                right += t.amount is not None and t.amount == t.line.amount
        return right / labelled if labelled else None

    @property
    def critical_errors(self) -> int:
        return sum(t.false_critical or t.missed_critical for t in self.trials)

    @property
    def critical_error_rate(self) -> float:
        return self.critical_errors / self.count if self.count else 0.0

    @property
    def false_critical(self) -> int:
        return sum(t.false_critical for t in self.trials)

    @property
    def missed_critical(self) -> int:
        return sum(t.missed_critical for t in self.trials)

    @property
    def judged(self) -> bool:
        """Every trial has the call's verdict (the figures below are None otherwise)."""
        return bool(self.trials) and all(t.verdict is not None for t in self.trials)

    def _judged_count(self, held: Callable[[Trial], bool]) -> int | None:
        return sum(held(t) for t in self.trials) if self.judged else None

    @property
    def false_critical_acted_on(self) -> int | None:
        """False critical readings the call would record without asking."""
        return self._judged_count(lambda t: t.acted_on_unchecked)

    @property
    def false_critical_checked(self) -> int | None:
        """False critical readings the call would ask back (or read back) first."""
        return self._judged_count(lambda t: t.checked_first)

    @property
    def false_critical_not_understood(self) -> int | None:
        """False critical readings the call would not take at all (floor, or no rule at that point)."""
        return self._judged_count(
            lambda t: t.false_critical and t.verdict is not None and t.verdict.kind == NOT_UNDERSTOOD
        )

    def false_critical_by_call(self) -> dict[str, int]:
        """False critical readings per verdict (acted on, asked back, asked first, not understood)."""
        counts: dict[str, int] = {}
        for t in self.trials:
            if t.false_critical and t.verdict is not None:
                counts[t.verdict.kind] = counts.get(t.verdict.kind, 0) + 1
        return counts

    @property
    def missed_critical_caught(self) -> int | None:
        """Missed critical classes a check question still asks about."""
        return self._judged_count(lambda t: t.caught_by_check)

    @property
    def other_language_named(self) -> int:
        """Lines the recognizer heard as another language (each asks the callee a check question)."""
        return sum(bool(t.heard_language) for t in self.trials)

    @property
    def other_language_named_falsely(self) -> int:
        return sum(bool(t.heard_language) and t.line.intent != "language_barrier" for t in self.trials)

    @property
    def cpu_per_audio_second(self) -> float | None:
        audio = sum(t.audio_seconds for t in self.trials)
        return sum(t.cpu_seconds for t in self.trials) / audio if audio else None

    def latency(self, quantile: float) -> float | None:
        values = sorted(t.latency_seconds for t in self.trials if t.audio_seconds)
        if not values:
            return None
        if len(values) == 1:
            return values[0]
        return float(statistics.quantiles(values, n=100, method="inclusive")[round(quantile * 100) - 1])

    def misses(self) -> list[Trial]:
        return [t for t in self.trials if not t.intent_right or t.false_critical or t.missed_critical]


def _entities(parsed: object) -> tuple[str | None, Decimal | None]:
    found = dict(getattr(parsed, "entities", ()))
    amount: Decimal | None = None
    if found.get("amount") is not None:
        try:
            amount = Decimal(str(found["amount"]))
        except InvalidOperation:
            amount = None
    date = found.get("date")
    return (str(date) if date is not None else None), amount


Judge = Callable[[SpokenLine, str, float, str], ReplyVerdict]  # line, transcript, ASR confidence, language


def understand(
    line: SpokenLine,
    transcript: str,
    language: str,
    parse: Parse,
    now: dt.datetime,
    spoken_in: str = "",
    *,
    asr_confidence: float = 1.0,
    judge: Judge | None = None,
) -> Trial:
    """Score one transcript (the line's own text for the text-only ceiling) through the NLU, as a call
    reads it: speech the recognizer heard in another language (`spoken_in`) is a language barrier
    whatever its transcript says (dialogue/turns.py, both engines). `judge` adds the call's verdict on
    the reply heard with `asr_confidence`."""
    other = heard_in_other_language(UserSaid(transcript, 1.0, spoken_in), language, (LANGUAGE_BARRIER,))
    parsed = other if other is not None else parse(transcript, now)
    date, amount = _entities(parsed)
    reference = tokens(line.text, language)
    edits = edit_distance(reference, tokens(transcript, language))
    trial = Trial(line, transcript, str(getattr(parsed, "intent", "")), date, amount, edits, len(reference))
    trial.asr_confidence = asr_confidence
    if judge is not None:
        trial.verdict = judge(line, transcript, asr_confidence, spoken_in)
    return trial


class Heard(NamedTuple):
    """One utterance as the recognizer returned it, with what hearing it cost."""

    text: str
    confidence: float
    language: str  # the other language the recognizer heard the speech in, or ""
    audio_seconds: float
    cpu_seconds: float
    latency_seconds: float


def recognize(
    recognizer: Recognizer, pcm: bytes, *, hints: ListeningHints | None = None, pace: bool = False
) -> Heard:
    """The text, the recognizer's confidence, the other language it heard the speech in (or ""), the audio
    seconds, CPU seconds, and seconds from end of speech to the final text.

    The utterance is followed by the endpointer's trailing silence; frames go in as fast as possible
    (or in real time with `pace`, so an incremental recognizer can work while the callee speaks).
    """
    audio = pcm + bytes(2 * int(TRAILING_SILENCE_SECONDS * RATE))
    frames = list(split_frames(audio, RATE))
    cpu_start = time.process_time()
    stream = recognizer.open_stream(RATE, hints)
    started = time.perf_counter()
    for index, frame in enumerate(frames):
        stream.accept(frame)
        if pace:
            delay = started + (index + 1) * frame.duration - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
    end_of_speech = time.perf_counter()
    utterance = stream.finish()
    latency = time.perf_counter() - end_of_speech
    cpu = time.process_time() - cpu_start
    return Heard(
        utterance.text, utterance.confidence, utterance.language, len(pcm) / (2 * RATE), cpu, latency
    )


def hear(
    lines: Sequence[SpokenLine],
    render: Callable[[SpokenLine], bytes],
    condition: LineCondition,
    recognizer: Recognizer,
    parse: Parse,
    *,
    language: str,
    now: dt.datetime,
    babble: Callable[[SpokenLine], Sequence[bytes]] = lambda _line: (),
    seed: int = 0,
    pace: bool = False,
    hints: Callable[[SpokenLine], ListeningHints | None] = lambda _line: None,
    judge: Judge | None = None,
) -> HearingScore:
    """Every line rendered (8 kHz), sent down the line (seeded per line), recognized (with the hints a
    call would give at that point, when `hints` says), understood and, with `judge`, decided on as the
    call would (with the recognizer's confidence)."""
    score = HearingScore()
    for index, line in enumerate(lines):
        sent = transmit(render(line), RATE, condition, seed=seed + index, babble=babble(line))
        heard = recognize(recognizer, sent.pcm, hints=hints(line), pace=pace)
        trial = understand(
            line,
            heard.text,
            language,
            parse,
            now,
            heard.language,
            asr_confidence=heard.confidence,
            judge=judge,
        )
        trial.heard_language = heard.language
        trial.audio_seconds, trial.cpu_seconds = heard.audio_seconds, heard.cpu_seconds
        trial.latency_seconds = heard.latency_seconds
        score.trials.append(trial)
    return score


def read_as_text(
    lines: Sequence[SpokenLine],
    parse: Parse,
    *,
    language: str,
    now: dt.datetime,
    judge: Judge | None = None,
) -> HearingScore:
    """The ceiling: the NLU on the corpus text itself, no voice, line or recognizer (confidence 1)."""
    return HearingScore([understand(line, line.text, language, parse, now, judge=judge) for line in lines])


def pick_babble(pool: Sequence[bytes], exclude: int, count: int, rng: np.random.Generator) -> list[bytes]:
    """`count` other utterances from `pool` (never the one at `exclude`)."""
    choices = [i for i in range(len(pool)) if i != exclude]
    if not choices:
        return []
    picked = rng.choice(len(choices), size=min(count, len(choices)), replace=False)
    return [pool[choices[int(i)]] for i in picked]
