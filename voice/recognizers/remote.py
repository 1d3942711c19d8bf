"""Whisper heard through the host's speech engine (`voice.speech_engine`) instead of a model per worker.

The stream is Whisper's own `WhisperStream` (resampling, VAD, speculation at pauses, committing long
pieces, the final decode), so what is heard does not depend on where the model runs; only its two
decode calls go over the channel: `submit` (a speculative decode at a pause) and `decode` (end of turn,
blocking). Everything runs in the call's session thread, never in a media callback; a decode waits on
the engine's reply without holding any lock a media thread takes.

A speculative request the engine dropped (stale, busy host) is not an error: its future simply stays
pending, as if still decoding, so the stream speculates again or decodes at the end. Only if the stream
then asks for exactly that result (the callee said nothing more) is it sent again as an end-of-turn
request; a queued one is promoted to end of turn instead.

If the engine is down or the channel breaks, every waiting request fails with `RecognitionError` (the
session counts an ASR error, as for a local failure) and the next request connects again.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import itertools
import logging
import threading
from dataclasses import dataclass
from multiprocessing.connection import Client, Connection
from pathlib import Path
from typing import Any, cast

import numpy as np

from voice.errors import RecognitionError
from voice.frames import Utterance, split_frames
from voice.interfaces import ListeningHints, Recognizer, RecognizerStream
from voice.recognizers.whisper import WhisperRecognizer, WhisperStream
from voice.recognizers.whisper_decoder import Decoded
from voice.speech_engine.channel import engine_address, read_key

log = logging.getLogger(__name__)

DECODE_TIMEOUT = 30.0  # an end-of-turn decode that takes longer: the engine is stuck


class EngineClient:
    """One connection to the engine, shared by a recognizer's streams (thread-safe)."""

    def __init__(self, work_dir: Path, timeout: float = DECODE_TIMEOUT) -> None:
        self.work_dir = Path(work_dir)
        self.address = engine_address(self.work_dir)
        self.timeout = timeout
        self._conn: Connection | None = None
        self._pending: dict[int, concurrent.futures.Future[Any]] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()  # the connection and the pending requests
        self._send_lock = threading.Lock()

    def decode(
        self, stream: int, language: str, samples: np.ndarray, prompt: str, fallback: str | None, urgent: bool
    ) -> RemoteFuture:
        future = RemoteFuture(self, (stream, language, samples, prompt, fallback))
        self.send_decode(future, urgent)
        return future

    def send_decode(self, future: RemoteFuture, urgent: bool) -> None:
        stream, language, samples, prompt, fallback = future.job
        self._send(("decode", future.id, stream, language, urgent, samples, prompt, fallback), future)

    def promote(self, future: RemoteFuture) -> None:
        self._send(("promote", future.id), None)

    def cancel(self, future: RemoteFuture) -> None:
        with self._lock:
            self._pending.pop(future.id, None)
        with contextlib.suppress(RecognitionError):  # nothing left to cancel on an engine that is gone
            self._send(("cancel", future.id), None)

    def stats(self) -> dict[str, Any]:
        """The engine's queue depth and decode counters."""
        future: concurrent.futures.Future[Any] = concurrent.futures.Future()
        request = next(self._ids)
        self._send(("stats", request), future, request)
        return cast(dict[str, Any], _wait(future, 5.0))

    def new_id(self) -> int:
        return next(self._ids)

    def close(self) -> None:
        with self._lock:
            conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()

    # -- inside ------------------------------------------------------------------------------------
    def _send(
        self, message: tuple[Any, ...], future: concurrent.futures.Future[Any] | None, request: int = 0
    ) -> None:
        # one writer at a time; the reader thread takes only `_lock`, so a large send that waits for
        # the engine to read never keeps replies from being read
        with self._send_lock:
            with self._lock:
                conn = self._connect()
                if future is not None:
                    self._pending[request or message[1]] = future
            try:
                conn.send(message)
            except (OSError, ValueError) as exc:
                with self._lock:
                    if future is not None:
                        self._pending.pop(request or message[1], None)
                    self._lost(conn)
                raise RecognitionError(f"speech engine unreachable ({type(exc).__name__})") from exc

    def _connect(self) -> Connection:
        if self._conn is None:
            try:
                conn = Client(self.address, family="AF_UNIX", authkey=read_key(self.work_dir))
            except (OSError, EOFError) as exc:  # no engine (yet), or it died during the handshake
                raise RecognitionError(f"speech engine not reachable ({type(exc).__name__})") from exc
            except Exception as exc:  # multiprocessing.AuthenticationError: a key from another engine
                raise RecognitionError(f"speech engine refused the channel ({type(exc).__name__})") from exc
            self._conn = conn
            threading.Thread(target=self._read, args=(conn,), name="speech-client", daemon=True).start()
        return self._conn

    def _read(self, conn: Connection) -> None:
        try:
            while True:
                kind, request, *rest = conn.recv()
                with self._lock:
                    future = self._pending.pop(request, None)
                if future is None or future.done():
                    continue
                if kind == "decoded":
                    future.set_result(Decoded(*rest))
                elif kind == "stats":
                    future.set_result(rest[0])
                elif kind == "dropped" and isinstance(future, RemoteFuture):
                    future.dropped()
                else:
                    future.set_exception(RecognitionError(f"speech engine: {rest[0]}"))
        except (EOFError, OSError):
            with self._lock:
                self._lost(conn)

    def _lost(self, conn: Connection | None) -> None:
        """The channel broke (under the lock): every waiting request fails, the next one reconnects."""
        if conn is None or conn is not self._conn:
            return
        self._conn = None
        pending, self._pending = self._pending, {}
        for future in pending.values():
            if not future.done():
                future.set_exception(RecognitionError("speech engine connection lost"))
        with contextlib.suppress(OSError):
            conn.close()


class RemoteFuture(concurrent.futures.Future[Decoded]):
    """A decode the engine works on. Dropped speculation stays pending (see the module docstring)."""

    def __init__(self, client: EngineClient, job: tuple[int, str, np.ndarray, str, str | None]) -> None:
        super().__init__()
        self.client = client
        self.job = job
        self.id = client.new_id()
        self._flags = threading.Lock()
        self._dropped = False
        self._wanted = False

    def dropped(self) -> None:
        with self._flags:
            if not self._wanted:
                self._dropped = True
                return
        self._again()

    def result(self, timeout: float | None = None) -> Decoded:
        with self._flags:
            self._wanted = True
            again, self._dropped = self._dropped, False
        if again:
            self._again()
        elif not self.done():
            try:
                self.client.promote(self)
            except RecognitionError as exc:
                self._fail(exc)
        return cast(Decoded, _wait_future(self, self.client.timeout if timeout is None else timeout))

    def cancel(self) -> bool:
        cancelled = super().cancel()
        if cancelled:
            self.client.cancel(self)
        return cancelled

    def _again(self) -> None:
        try:
            self.client.send_decode(self, urgent=True)
        except RecognitionError as exc:
            self._fail(exc)

    def _fail(self, exc: RecognitionError) -> None:
        if not self.done():
            with contextlib.suppress(concurrent.futures.InvalidStateError):
                self.set_exception(exc)


def _wait_future(future: RemoteFuture, timeout: float) -> Any:
    try:
        return concurrent.futures.Future.result(future, timeout)
    except concurrent.futures.TimeoutError as exc:
        raise RecognitionError(f"speech engine gave no answer in {timeout:.0f} s") from exc


def _wait(future: concurrent.futures.Future[Any], timeout: float) -> Any:
    try:
        return future.result(timeout)
    except concurrent.futures.TimeoutError as exc:
        raise RecognitionError(f"speech engine gave no answer in {timeout:.0f} s") from exc


@dataclass(frozen=True)
class _DecoderFacts:
    separator: str


class _StreamSide:
    """What a `WhisperStream` uses of its recognizer, bound to one stream so the engine can tell its
    requests apart from other calls' (and drop its stale speculation)."""

    def __init__(self, recognizer: RemoteRecognizer, stream: int) -> None:
        self.language = recognizer.language
        self.decoder = _DecoderFacts(recognizer.separator)
        self._client = recognizer.client
        self._stream = stream

    def submit(self, samples: np.ndarray, prompt: str, fallback: str | None = None) -> RemoteFuture:
        """A speculative decode. An engine that cannot be reached is no error yet: the request counts as
        dropped, and only the end of the turn (which needs an answer) reports the failure."""
        future = RemoteFuture(self._client, (self._stream, self.language, samples, prompt, fallback))
        try:
            self._client.send_decode(future, urgent=False)
        except RecognitionError:
            future.dropped()
        return future

    def decode(self, samples: np.ndarray, prompt: str = "", fallback: str | None = None) -> Decoded:
        request = self._client.decode(self._stream, self.language, samples, prompt, fallback, urgent=True)
        return request.result()


class RemoteRecognizer(Recognizer):
    name = "whisper"

    def __init__(
        self, work_dir: Path, *, language: str = "en", model_name: str = "tiny.en", incremental: bool = True
    ) -> None:
        self.language = language
        self.model_name = model_name
        self.incremental = incremental
        self.separator = "" if language in ("zh", "ja") else " "
        self.client = EngineClient(work_dir)
        self._streams = itertools.count(1)

    @property
    def label(self) -> str:
        return f"whisper-{self.model_name.removeprefix('whisper-')}"

    def open_stream(self, sample_rate: int, hints: ListeningHints | None = None) -> RecognizerStream:
        return self._stream(sample_rate, hints, self.incremental)

    def transcribe(self, pcm: bytes, sample_rate: int, hints: ListeningHints | None = None) -> Utterance:
        """A whole recording at once: one end-of-turn decode, no speculation."""
        stream = self._stream(sample_rate, hints, False)
        for frame in split_frames(pcm, sample_rate):
            stream.accept(frame)
        return stream.finish()

    def _stream(self, sample_rate: int, hints: ListeningHints | None, incremental: bool) -> WhisperStream:
        side = _StreamSide(self, next(self._streams))
        # WhisperStream reads only language and decoder.separator and calls submit and decode
        return WhisperStream(
            cast(WhisperRecognizer, side), sample_rate, hints or ListeningHints(), incremental=incremental
        )

    def close(self) -> None:
        self.client.close()
