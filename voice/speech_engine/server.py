"""The speech engine itself: models by language, one decode loop, the socket that workers talk to.

One decode loop for all languages: a batch at a time, each decode using every core (CTranslate2's
intra-op threads), so two languages never fight over the cores and the queue's order (end of turn
first) is the order the host works in. A language not loaded at start is loaded in the background on
its first request; its requests wait meanwhile while the other languages' go on.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import os
import threading
import time
from collections.abc import Callable, Hashable
from multiprocessing.connection import Connection, Listener
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from voice.errors import VoiceError
from voice.recognizers.whisper_decoder import Decoded, DecodeRequest
from voice.settings import VoiceSettings
from voice.speech_engine.queue import DecodeQueue, Dropped, Failed, Job, Outcome

log = logging.getLogger(__name__)


class BatchDecoder(Protocol):
    def decode_batch(self, requests: list[DecodeRequest]) -> list[Decoded]: ...


class Models:
    """One decoder per language, loaded once: at start (`load_now`), else on first use in the background."""

    def __init__(self, load: Callable[[str], BatchDecoder]) -> None:
        self._load = load
        self._loaded: dict[str, BatchDecoder] = {}
        self._failed: dict[str, str] = {}
        self._loading: set[str] = set()
        self._lock = threading.Lock()
        self.on_loaded: Callable[[], None] = lambda: None

    def load_now(self, language: str) -> None:
        try:
            decoder = self._load(language)
        except Exception as exc:
            log.warning("speech engine: no %s model (%s: %s)", language, type(exc).__name__, exc)
            with self._lock:
                self._failed[language] = f"{type(exc).__name__}: {exc}"
        else:
            with self._lock:
                self._loaded[language] = decoder
        finally:
            with self._lock:
                self._loading.discard(language)
            self.on_loaded()

    def ready(self, language: str) -> bool:
        """Loaded (or failed for good); else its load starts now and the answer is False."""
        with self._lock:
            if language in self._loaded or language in self._failed:
                return True
            if language in self._loading:
                return False
            self._loading.add(language)
        threading.Thread(target=self.load_now, args=(language,), name=f"load-{language}", daemon=True).start()
        return False

    def get(self, language: str) -> BatchDecoder:
        with self._lock:
            if language in self._failed:
                raise VoiceError(self._failed[language])
            return self._loaded[language]

    @property
    def languages(self) -> list[str]:
        with self._lock:
            return sorted(self._loaded)


def decode_jobs(decoder: BatchDecoder, jobs: list[Job]) -> list[Decoded]:
    """One batch through the decoder; a result that only echoes its context (the bot's question) is
    decoded again with the fallback context, as `WhisperRecognizer.decode` does for one utterance."""
    from voice.recognizers.whisper import decode_again

    results = decoder.decode_batch([DecodeRequest(j.samples, j.prompt) for j in jobs])
    again = [
        i
        for i, (job, result) in enumerate(zip(jobs, results, strict=True))
        if decode_again(result.text, job.prompt, job.fallback)
    ]
    if again:
        redone = decoder.decode_batch([DecodeRequest(jobs[i].samples, jobs[i].fallback or "") for i in again])
        for i, result in zip(again, redone, strict=True):
            results[i] = result
    return results


class SpeechEngine:
    """The queue and the decode loop (a thread); `serve` connects it to the workers."""

    def __init__(self, models: Models, queue: DecodeQueue) -> None:
        self.models = models
        self.queue = queue
        self.started = time.monotonic()
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        models.on_loaded = self._wake

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="speech-decode", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self.queue.close()
        if self._thread is not None:
            self._thread.join(5)

    def stats(self) -> dict[str, Any]:
        return {
            **self.queue.snapshot(),
            "languages": self.models.languages,
            "uptime_seconds": round(time.monotonic() - self.started, 1),
        }

    def _wake(self) -> None:
        with self.queue._cond:  # a model finished loading: its waiting requests can be taken now
            self.queue._cond.notify_all()

    def _loop(self) -> None:
        while not self._stop.is_set():
            batch = self.queue.take(self.models.ready, timeout=0.5)
            if not batch:
                continue
            started = time.perf_counter()
            outcomes: list[Outcome]
            try:
                decoded = decode_jobs(self.models.get(batch[0].language), batch)
                outcomes = list(decoded)
            except VoiceError as exc:
                outcomes = [Failed(f"{type(exc).__name__}: {exc}")] * len(batch)
            except Exception as exc:  # never let one bad batch stop the host's hearing
                log.exception("speech engine: decode failed")
                outcomes = [Failed(f"{type(exc).__name__}: {exc}")] * len(batch)
            self.queue.done(batch, outcomes, time.perf_counter() - started)


def serve(engine: SpeechEngine, listener: Listener) -> threading.Thread:
    """Accept workers on `listener` (a thread); each connection gets a reader thread."""
    counter = itertools.count(1)

    def accept_loop() -> None:
        while True:
            try:
                conn = listener.accept()
            except OSError:
                return  # the listener was closed
            except Exception as exc:  # a client that failed the key check
                log.warning("speech engine: connection refused (%s)", type(exc).__name__)
                continue
            threading.Thread(
                target=_read, args=(engine, conn, next(counter)), name="speech-conn", daemon=True
            ).start()

    thread = threading.Thread(target=accept_loop, name="speech-accept", daemon=True)
    thread.start()
    return thread


def _read(engine: SpeechEngine, conn: Connection, number: int) -> None:
    lock = threading.Lock()

    def send(message: tuple[Any, ...]) -> None:
        with lock:
            conn.send(message)

    def reply_for(request: int) -> Callable[[Outcome], None]:
        def reply(outcome: Outcome) -> None:
            if isinstance(outcome, Decoded):
                send(
                    (
                        "decoded",
                        request,
                        outcome.text,
                        outcome.confidence,
                        outcome.no_speech_prob,
                        outcome.window_frames,
                        outcome.language,
                    )
                )
            elif isinstance(outcome, Dropped):
                send(("dropped", request, outcome.reason))
            else:
                send(("failed", request, outcome.message))

        return reply

    def key(request: int) -> Hashable:
        return (number, request)

    try:
        while True:
            message = conn.recv()
            kind, request = message[0], message[1]
            if kind == "decode":
                _, _, stream, language, urgent, samples, prompt, fallback = message
                engine.queue.put(
                    Job(
                        key(request),
                        (number, stream),
                        language,
                        samples,
                        prompt,
                        fallback,
                        urgent,
                        reply_for(request),
                    )
                )
            elif kind == "promote":
                engine.queue.promote(key(request))
            elif kind == "cancel":
                engine.queue.cancel(key(request))
            elif kind == "stats":
                send(("stats", request, engine.stats()))
    except (EOFError, OSError):
        pass  # the worker went away; its queued requests reply into a closed pipe, harmlessly
    finally:
        with contextlib.suppress(OSError):
            conn.close()


def whisper_loader(
    voice: VoiceSettings, models_dir: Path, work_dir: Path, threads: int
) -> Callable[[str], BatchDecoder]:
    """Each language's Whisper model as the recognizer factory picks it, decoding on `threads` cores."""

    def load(language: str) -> BatchDecoder:
        from voice.engines import build_recognizer
        from voice.recognizers.whisper import WhisperRecognizer

        local = voice.model_copy(update={"whisper_threads": threads, "speech_engine": "local"})
        recognizer = build_recognizer(local, models_dir, work_dir, engine="whisper", language=language)
        assert isinstance(recognizer, WhisperRecognizer)
        hiss = np.random.default_rng(0).normal(0, 0.01, 16000).astype(np.float32)
        recognizer.decoder.decode(hiss)  # the first decode pays CTranslate2's set-up, not a caller
        return recognizer.decoder

    return load


def engine_main(
    address: str,
    key: bytes,
    voice: VoiceSettings,
    models_dir: Path,
    work_dir: Path,
    parent: Connection,
) -> None:
    """Entry point of the engine process. Ends when the parent closes `parent` (or sends None)."""
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s speech-engine %(levelname)s %(message)s")
    threads = voice.speech_engine_threads or os.cpu_count() or 1
    models = Models(whisper_loader(voice, models_dir, work_dir, threads))
    for language in voice.asr_preload:
        if voice.engine_for(language) == "whisper":
            models.load_now(language)
    queue = DecodeQueue(
        batch=voice.speech_engine_batch,
        speculative_batch=voice.speech_engine_speculative_batch,
        speculative_queue=voice.speech_engine_speculative_queue,
        speculative_age=voice.speech_engine_speculative_age_ms / 1000,
    )
    engine = SpeechEngine(models, queue)
    engine.start()
    if not address.startswith("\0"):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(address)  # left by an engine that was killed
    listener = Listener(address, family="AF_UNIX", authkey=key)
    serve(engine, listener)
    parent.send(("ready", os.getpid(), models.languages))
    with contextlib.suppress(EOFError, OSError):
        while parent.recv() is not None:
            pass
    listener.close()
    engine.stop()
