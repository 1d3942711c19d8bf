"""The speech engine's queue and channel around a fake decoder: batching, end of turn first, stale and
hopeless speculation dropped, and what a stream sees of a dropped request."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from multiprocessing.connection import Listener
from pathlib import Path

import numpy as np
import pytest

from voice.errors import RecognitionError
from voice.recognizers.remote import EngineClient
from voice.recognizers.whisper_decoder import Decoded, DecodeRequest
from voice.speech_engine.channel import engine_address, ensure_key
from voice.speech_engine.queue import DecodeQueue, Dropped, Job, Outcome
from voice.speech_engine.server import Models, SpeechEngine, decode_jobs, serve


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Replies:
    def __init__(self) -> None:
        self.got: dict[str, Outcome] = {}

    def job(self, name: str, stream: int, *, urgent: bool, language: str = "en") -> Job:
        def reply(outcome: Outcome) -> None:
            self.got[name] = outcome

        return Job(name, stream, language, np.zeros(16000, np.float32), "", None, urgent, reply)


def names(batch: list[Job]) -> list[str]:
    return [str(j.key) for j in batch]


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def queue(clock: Clock) -> DecodeQueue:
    return DecodeQueue(batch=3, speculative_batch=2, speculative_queue=4, speculative_age=1.0, clock=clock)


def test_end_of_turn_goes_before_speculation_that_came_first(queue: DecodeQueue) -> None:
    r = Replies()
    queue.put(r.job("spec-a", 1, urgent=False))
    queue.put(r.job("spec-b", 2, urgent=False))
    queue.put(r.job("end-c", 3, urgent=True))
    assert names(queue.take(timeout=0)) == ["end-c"]
    assert names(queue.take(timeout=0)) == ["spec-a", "spec-b"]
    assert queue.take(timeout=0) == [] and not r.got


def test_requests_of_different_calls_are_batched_by_language(queue: DecodeQueue) -> None:
    r = Replies()
    for i, lang in enumerate(["en", "zh", "en", "en", "en"]):
        queue.put(r.job(f"end-{i}", i, urgent=True, language=lang))
    assert names(queue.take(timeout=0)) == ["end-0", "end-2", "end-3"]  # batch of 3, one language
    assert names(queue.take(timeout=0)) == ["end-1"]
    assert names(queue.take(timeout=0)) == ["end-4"]


def test_a_language_still_loading_does_not_hold_up_the_others(queue: DecodeQueue) -> None:
    r = Replies()
    queue.put(r.job("zh", 1, urgent=True, language="zh"))
    queue.put(r.job("en", 2, urgent=True))
    assert names(queue.take(lambda lang: lang == "en", timeout=0)) == ["en"]
    assert queue.take(lambda lang: lang == "en", timeout=0) == []
    assert names(queue.take(timeout=0)) == ["zh"]


def test_a_newer_speculation_of_the_same_stream_replaces_the_queued_one(queue: DecodeQueue) -> None:
    r = Replies()
    queue.put(r.job("old", 1, urgent=False))
    queue.put(r.job("other", 2, urgent=False))
    queue.put(r.job("new", 1, urgent=False))
    assert r.got == {"old": Dropped("superseded")}
    assert names(queue.take(timeout=0)) == ["other", "new"]


def test_the_end_of_a_turn_drops_its_queued_speculation(queue: DecodeQueue) -> None:
    r = Replies()
    queue.put(r.job("spec", 1, urgent=False))
    queue.put(r.job("spec-other-call", 2, urgent=False))
    queue.put(r.job("end", 1, urgent=True))
    assert r.got == {"spec": Dropped("turn_ended")}
    assert names(queue.take(timeout=0)) == ["end"]
    assert names(queue.take(timeout=0)) == ["spec-other-call"]


def test_speculation_is_refused_behind_a_busy_queue(queue: DecodeQueue) -> None:
    r = Replies()
    for i in range(4):
        queue.put(r.job(f"end-{i}", i, urgent=True))
    queue.put(r.job("spec", 9, urgent=False))
    assert r.got == {"spec": Dropped("busy")}
    assert queue.snapshot()["dropped"] == {"busy": 1}
    assert queue.snapshot()["queued_end_of_turn"] == 4


def test_speculation_that_waited_too_long_is_dropped(queue: DecodeQueue, clock: Clock) -> None:
    r = Replies()
    queue.put(r.job("spec", 1, urgent=False))
    clock.now += 0.5
    queue.put(r.job("younger", 2, urgent=False))
    clock.now += 0.6  # "spec" waited 1.1 s, "younger" 0.6 s
    assert names(queue.take(timeout=0)) == ["younger"]
    assert r.got == {"spec": Dropped("stale")}


def test_promoted_speculation_joins_the_end_of_turn_batch(queue: DecodeQueue, clock: Clock) -> None:
    r = Replies()
    queue.put(r.job("spec", 1, urgent=False))
    queue.put(r.job("end", 2, urgent=True))
    queue.promote("spec")
    clock.now += 5  # promoted: no longer speculation, never stale
    assert names(queue.take(timeout=0)) == ["end", "spec"]
    assert not r.got


def test_a_cancelled_request_is_not_decoded(queue: DecodeQueue) -> None:
    r = Replies()
    queue.put(r.job("spec", 1, urgent=False))
    queue.cancel("spec")
    assert r.got == {"spec": Dropped("cancelled")}
    assert queue.take(timeout=0) == []


def test_done_replies_and_counts(queue: DecodeQueue, clock: Clock) -> None:
    r = Replies()
    queue.put(r.job("a", 1, urgent=True))
    queue.put(r.job("b", 2, urgent=True))
    clock.now += 0.3
    batch = queue.take(timeout=0)
    assert queue.snapshot()["in_flight"] == 2
    clock.now += 0.2
    queue.done(batch, [Decoded("yes", 0.9), Decoded("no", 0.8)], 0.2)
    assert r.got == {"a": Decoded("yes", 0.9), "b": Decoded("no", 0.8)}
    stats = queue.snapshot()
    assert (stats["decoded"], stats["batches"], stats["in_flight"]) == (2, 1, 0)
    assert stats["decode_seconds"] == pytest.approx(0.2)
    assert stats["end_of_turn_wait_seconds"] == pytest.approx(0.6)  # each waited 0.3 s for its decode


class EchoingDecoder:
    """Hears the prompt's first word when there is a prompt (an echo of the bot's question)."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def decode_batch(self, requests: list[DecodeRequest]) -> list[Decoded]:
        self.calls.append([r.prompt for r in requests])
        return [Decoded(r.prompt.split()[0] if r.prompt else "pay friday", 0.9) for r in requests]


def test_an_echo_of_the_question_is_decoded_again_with_the_answers_only() -> None:
    decoder = EchoingDecoder()
    r = Replies()
    echo = r.job("echo", 1, urgent=True)
    echo.prompt, echo.fallback = "When can you pay?", ""
    plain = r.job("plain", 2, urgent=True)
    assert [d.text for d in decode_jobs(decoder, [echo, plain])] == ["pay friday", "pay friday"]
    assert decoder.calls == [["When can you pay?", ""], [""]]  # one batch, then only the echo again


class GatedDecoder:
    def __init__(self) -> None:
        self.gate = threading.Event()
        self.batches: list[int] = []

    def decode_batch(self, requests: list[DecodeRequest]) -> list[Decoded]:
        assert self.gate.wait(10)
        self.batches.append(len(requests))
        return [Decoded(f"{r.samples.size} samples", 0.9) for r in requests]


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[GatedDecoder, SpeechEngine, EngineClient]]:
    decoder = GatedDecoder()
    models = Models(lambda _lang: decoder)
    models.load_now("en")
    engine = SpeechEngine(models, DecodeQueue(batch=4, speculative_batch=1, speculative_queue=4))
    engine.start()
    listener = Listener(engine_address(tmp_path), family="AF_UNIX", authkey=ensure_key(tmp_path))
    serve(engine, listener)
    client = EngineClient(tmp_path, timeout=10)
    yield decoder, engine, client
    decoder.gate.set()
    client.close()
    listener.close()
    engine.stop()


def samples(n: int) -> np.ndarray:
    return np.zeros(n, np.float32)


def test_a_dropped_speculation_stays_pending_and_is_decoded_when_the_stream_needs_it(
    served: tuple[GatedDecoder, SpeechEngine, EngineClient],
) -> None:
    decoder, engine, client = served
    busy = client.decode(1, "en", samples(1600), "", None, urgent=True)  # holds the decoder
    old = client.decode(2, "en", samples(3200), "", None, urgent=False)
    new = client.decode(2, "en", samples(4800), "", None, urgent=False)  # same stream: `old` superseded
    deadline = threading.Event()
    while engine.queue.snapshot()["dropped"] != {"superseded": 1}:
        assert not deadline.wait(0.02) and not busy.done()
    assert not old.done()  # not an error: the stream may still speculate again or finish on it
    decoder.gate.set()
    assert busy.result().text == "1600 samples"
    assert new.result().text == "4800 samples"
    assert old.result().text == "3200 samples"  # asked for after all: sent again, as end of turn
    assert engine.stats()["decoded"] == 3


def test_requests_from_several_calls_are_decoded_in_one_batch(
    served: tuple[GatedDecoder, SpeechEngine, EngineClient],
) -> None:
    decoder, engine, client = served
    first = client.decode(1, "en", samples(1600), "", None, urgent=True)
    while engine.queue.snapshot()["in_flight"] != 1:
        threading.Event().wait(0.01)
    waiting = [client.decode(s, "en", samples(1600 * s), "", None, urgent=True) for s in (2, 3, 4)]
    while engine.queue.snapshot()["queued_end_of_turn"] != 3:
        threading.Event().wait(0.01)
    decoder.gate.set()
    assert [f.result().text for f in [first, *waiting]] == [f"{1600 * s} samples" for s in (1, 2, 3, 4)]
    assert decoder.batches == [1, 3]


def test_no_engine_is_a_recognition_error(tmp_path: Path) -> None:
    ensure_key(tmp_path)
    client = EngineClient(tmp_path, timeout=2)
    with pytest.raises(RecognitionError):
        client.decode(1, "en", samples(1600), "", None, urgent=True)


def test_speculation_without_an_engine_waits_for_the_end_of_the_turn_to_fail(tmp_path: Path) -> None:
    from voice.recognizers.remote import RemoteRecognizer

    ensure_key(tmp_path)
    side = RemoteRecognizer(tmp_path)._stream(8000, None, True).recognizer
    speculation = side.submit(samples(1600), "")  # no error while the callee is still speaking
    assert not speculation.done()
    with pytest.raises(RecognitionError):
        speculation.result(timeout=2)  # the turn ended on it: now the missing engine is an error
