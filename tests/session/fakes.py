"""Fast session tests: the fake SIP engine in virtual time, scripted callee audio (real espeak speech),
the scripted recognizer and policy, and a synthesizer whose audio can be seen on the fake line."""

from __future__ import annotations

import datetime as dt
import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

import numpy as np

from dialer.session.handler import SessionHandler
from dialer.session.report import SessionReport
from dialer.session.settings import SessionSettings
from dialer.session.spec import SessionSpec
from dialer.sip.fake_engine import FakeSipEngine, ScriptedCallee
from dialer.sip.interfaces import CallRequest
from dialogue.interfaces import BotAction, DialoguePolicy
from dialogue.scripted import ScriptedPolicy
from tests.voice.speech import noise, speech
from voice.background import InlineRunner, Runner
from voice.engines import Recognizers
from voice.errors import EngineUnavailable, SynthesisError
from voice.interfaces import ListeningHints, Recognizer, RecognizerStream, Synthesizer
from voice.recognizers.scripted import ScriptedRecognizer
from voice.synthesizers.fallback import FallbackSynthesizer

RATE = 8000
URI = "sip:debtor@fake"


class ToneSynthesizer(Synthesizer):
    """A loud 440 Hz tone as long as the prompt would take: the bot's audio is visible on the line."""

    name = "tone"

    def __init__(self, seconds_per_char: float = 0.02) -> None:
        self.seconds_per_char = seconds_per_char
        self.spoken: list[str] = []

    def voice_for(self, lang: str) -> str:
        return f"tone-{lang}"

    def synthesize(self, text: str, lang: str, sample_rate: int) -> bytes:
        self.spoken.append(text)
        n = round(max(0.3, len(text) * self.seconds_per_char) * sample_rate)
        t = np.arange(n) / sample_rate
        return (np.sin(2 * np.pi * 440 * t) * 8000).astype("<i2").tobytes()


class DictationRecognizer(ScriptedRecognizer):
    """Scripted replies as an open-vocabulary engine (whisper) hears them: hints prime, never restrict."""

    def open_stream(self, sample_rate: int, hints: ListeningHints | None = None) -> RecognizerStream:
        prompt = hints.prompt if hints else ""
        return super().open_stream(sample_rate, ListeningHints(prompt=prompt))


class DownSynthesizer(Synthesizer):
    """An engine that is unreachable (edge-tts offline)."""

    name = "down"

    def voice_for(self, lang: str) -> str:
        return "down"

    def synthesize(self, text: str, lang: str, sample_rate: int) -> bytes:
        raise EngineUnavailable("down", "connection refused")


class BrokenSynthesizer(Synthesizer):
    name = "broken"

    def voice_for(self, lang: str) -> str:
        return "broken"

    def synthesize(self, text: str, lang: str, sample_rate: int) -> bytes:
        raise SynthesisError("cannot render")


def spec(**over: object) -> SessionSpec:
    values: dict[str, object] = {
        "attempt_id": 7,
        "script": "reminder-en",
        "language": "en",
        "company": "Northwind Services",
        "agent_name": "Maria Lopez",
        "first_name": "John",
        "amount_due": Decimal("120.50"),
        "currency": "USD",
        "due_date": dt.date(2026, 11, 15),
        "callback_number": "555-0100",
        "time_zone": "America/New_York",
    }
    values.update(over)
    return SessionSpec(**values)  # type: ignore[arg-type]


class LockstepQueue(queue.Queue[bytes]):
    """Inbound frames that say when the session has caught up (it waits on an empty queue)."""

    def __init__(self) -> None:
        super().__init__(maxsize=500)
        self.idle = threading.Event()

    def get(self, block: bool = True, timeout: float | None = None) -> bytes:
        if block:
            with self.mutex:
                empty = not self._qsize()
            if empty:
                self.idle.set()
        return super().get(block, timeout)


@dataclass
class Timeline:
    """What the scripted callee says after the answer: (seconds after answer, text or raw PCM)."""

    parts: Sequence[tuple[float, str | bytes]]
    length: float = 20.0

    def pcm(self) -> bytes:
        out = bytearray(noise(self.length, RATE, amplitude=20.0))
        for at, what in self.parts:
            audio = what if isinstance(what, bytes) else speech(what, RATE)
            i = 2 * round(at * RATE)
            out[i : i + len(audio)] = audio
        return bytes(out)


@dataclass
class Run:
    report: SessionReport
    engine: FakeSipEngine
    policies: list[ScriptedPolicy]
    heard: np.ndarray  # what the callee heard (the bot), PCM16 from the answer on

    def bot_audio_at(self, start: float, end: float) -> float:
        """Peak level of the bot's audio between two times after the answer."""
        part = self.heard[round(start * RATE) : round(end * RATE)]
        return float(np.abs(part).max()) if part.size else 0.0


def run_call(
    callee: ScriptedCallee,
    *,
    replies: Sequence[str] = (),
    policy_replies: Sequence[Sequence[BotAction]] = (),
    synthesizer: Synthesizer | None = None,
    recognizer: Recognizer | None = None,
    recognizers: Recognizers | None = None,
    session_spec: SessionSpec | None = None,
    settings: SessionSettings | None = None,
    timeout: float = 60.0,
    options: dict[str, object] | None = None,
    policy: Callable[[], DialoguePolicy] | None = None,
    on_engine: Callable[[FakeSipEngine], None] | None = None,
    background: Callable[[str], Runner] | None = None,
) -> Run:
    policies: list[ScriptedPolicy] = []

    def factory(_: SessionSpec) -> Callable[[], DialoguePolicy]:
        def new() -> DialoguePolicy:
            if policy is not None:
                return policy()
            scripted = ScriptedPolicy(policy_replies, phrases=())
            policies.append(scripted)
            return scripted

        return new

    handler = SessionHandler(
        recognizer=recognizer or DictationRecognizer(replies),
        recognizers=recognizers,
        synthesizer=synthesizer
        if isinstance(synthesizer, FallbackSynthesizer)
        else FallbackSynthesizer([synthesizer or ToneSynthesizer()]),
        policies=factory,
        settings=settings,
        # virtual time: a decode takes no time, so it is back on the frame that ended the speech (the
        # threads of a live call are exercised by the real calls, tests/session/test_sip_calls.py)
        background=background or (lambda _job: InlineRunner()),
    )
    engine = FakeSipEngine({URI: callee}, rate=RATE)
    if on_engine is not None:
        on_engine(engine)
    engine.start()
    try:
        call = engine.dial(CallRequest("c1", URI, ring_timeout=10, max_duration=600))
        frames = LockstepQueue()
        call._frames = frames  # virtual time: the line waits for the session after every frame
        out: list[SessionReport] = []
        if options is None:
            options = dict((session_spec or spec()).options())
        request = CallRequest("c1", URI, options=options)
        worker = threading.Thread(target=lambda: out.append(handler.handle(call, request)), daemon=True)
        worker.start()
        deadline = time.monotonic() + timeout
        while worker.is_alive() and time.monotonic() < deadline:
            frames.idle.clear()
            engine.step()
            while call.answered and call.result is None and worker.is_alive():
                if frames.idle.wait(0.01):
                    break
        engine.advance(0.1)  # let a hang-up the session sent take effect
        assert out, "the session did not return"
        heard = np.frombuffer(bytes(engine.leg("c1").heard), dtype="<i2")
        return Run(out[0], engine, policies, heard)
    finally:
        engine.shutdown()
