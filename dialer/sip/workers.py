"""The supervisor side of the call workers: start, watch, restart; one final result per accepted call.

`WorkerPool.submit` returns a Future. Calls wait in a queue until a worker has a free slot and the trunk's
channel and calls-per-second limits allow. A worker that dies (crash, SIGKILL, OOM) has its in-flight calls
resolved as `interrupted` and is started again on the same ports.

With `voice.speech_engine = "host"` (or "auto" and more than one worker running the session handler)
the pool also runs the host's speech engine (`voice.speech_engine`): started with the workers, restarted
when it dies (the turns it was decoding end as ASR errors in their calls), and the workers' Whisper
recognizers are `RemoteRecognizer`s that send it their audio instead of loading a model each.
"""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import logging
import multiprocessing as mp
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from typing import Any

from dialer.sip.interfaces import CallRequest, CallResult, EngineError
from dialer.sip.worker import WorkerSpec, failed_result, worker_main
from sip_config.schema import Profile
from sip_config.settings import SipSettings
from voice.errors import VoiceError
from voice.speech_engine.process import SpeechEngineProcess, wanted

SESSION_HANDLER = "dialer.session.handler:SessionHandler"  # the handler that hears calls

log = logging.getLogger(__name__)

_RESTART_BACKOFF = 0.5


@dataclass
class _Worker:
    index: int
    process: Any = None
    commands: Connection | None = None
    out: Connection | None = None
    ready: bool = False
    failed: str = ""  # why it could not start (a port in use, a handler that failed to load)
    pid: int = 0
    started_at: float = 0.0
    in_flight: dict[str, CallRequest] = field(default_factory=dict)
    restarts: int = 0


class WorkerPool:
    @classmethod
    def from_settings(
        cls, sip: SipSettings, profile: Profile, handler: str | None = None, settings: Any = None
    ) -> WorkerPool:
        return cls(WorkerSpec.from_settings(sip, profile, handler, settings), sip.workers)

    def __init__(
        self,
        spec: WorkerSpec,
        workers: int,
        *,
        channel_limit: int | None = None,
        calls_per_second: float | None = None,
    ) -> None:
        self.spec = spec
        self._ctx = mp.get_context("spawn")
        self._workers = [_Worker(i) for i in range(workers)]
        self.channel_limit = channel_limit or spec.profile.channel_limit
        cps = calls_per_second or spec.profile.calls_per_second
        self._min_interval = 1.0 / cps
        self._last_dial = 0.0
        self._pending: collections.deque[CallRequest] = collections.deque()
        self._futures: dict[str, Future[CallResult]] = {}
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stopping = False
        self.restarts = 0
        self.speech = self._speech_engine(workers)

    # -- public --------------------------------------------------------------------------------------
    def start(self, timeout: float = 120.0) -> None:  # a worker loads models and renders fixed sentences
        if self.speech is not None:
            self.speech.spawn()  # loads its models while the workers start
        for worker in self._workers:
            self._spawn(worker)
        deadline = time.monotonic() + timeout
        if self.speech is not None:
            try:
                self.speech.wait_ready(timeout)
            except VoiceError as exc:
                self.stop()
                raise EngineError(f"the speech engine did not start: {exc}") from exc
        while not all(w.ready for w in self._workers):
            self._poll(0.05)
            failed = next((w for w in self._workers if w.failed), None)
            if failed is not None:  # said at once, so a caller can retry while a slow start is let run
                self.stop()
                raise EngineError(f"call worker {failed.index} did not start: {failed.failed}")
            if time.monotonic() > deadline:
                self.stop()
                raise EngineError(f"call workers did not start within {timeout:g} s")
        self._thread = threading.Thread(target=self._supervise, name="worker-pool", daemon=True)
        self._thread.start()

    def submit(self, request: CallRequest) -> Future[CallResult]:
        future: Future[CallResult] = Future()
        with self._lock:
            if self._stopping:
                raise EngineError("the worker pool is stopping")
            if request.call_id in self._futures:
                raise ValueError(f"call id {request.call_id!r} is already in flight")
            self._futures[request.call_id] = future
            self._pending.append(request)
        return future

    def pids(self) -> list[int]:
        return [w.pid for w in self._workers]

    def in_flight(self) -> int:
        return sum(len(w.in_flight) for w in self._workers)

    def speech_stats(self) -> dict[str, Any] | None:
        """The speech engine's queue depth, decode time and restarts; None without an engine (or while
        it does not answer)."""
        if self.speech is None:
            return None
        try:
            return self.speech.stats()
        except VoiceError:
            return {"restarts": self.speech.restarts, "up": False}

    def stop(self, timeout: float = 10.0) -> None:
        """Stop dialling, let live calls end (up to `timeout`), stop the workers."""
        with self._lock:
            self._stopping = True
            dropped = list(self._pending)
            self._pending.clear()
        for request in dropped:
            # never sent to a worker: no INVITE left this host
            self._resolve(failed_result(request, "pool stopped before dialling", "not_placed"))
        deadline = time.monotonic() + timeout
        while self.in_flight() and time.monotonic() < deadline:
            time.sleep(0.05)
        if self._thread is not None:
            self._thread.join(2)
        for w in self._workers:
            if w.commands is not None:
                with contextlib.suppress(OSError):
                    w.commands.send(None)
        for w in self._workers:
            if w.process is not None:
                w.process.join(max(0.5, deadline - time.monotonic()))
                if w.process.is_alive():
                    w.process.kill()
                    w.process.join(2)
            self._poll_worker(w)
            self._fail_in_flight(w, "worker stopped")
        if self.speech is not None:
            self.speech.stop()

    def __enter__(self) -> WorkerPool:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- supervisor thread ---------------------------------------------------------------------------
    def _supervise(self) -> None:
        while not (self._stopping and not self.in_flight()):
            self._poll(0.02)
            self._watch()
            self._dispatch()

    def _spawn(self, w: _Worker) -> None:
        cmd_r, cmd_w = self._ctx.Pipe(duplex=False)
        out_r, out_w = self._ctx.Pipe(duplex=False)
        proc = self._ctx.Process(
            target=worker_main,
            args=(w.index, self.spec, cmd_r, out_w),
            name=f"call-worker-{w.index}",
            daemon=True,
        )
        proc.start()
        cmd_r.close()
        out_w.close()
        w.process, w.commands, w.out = proc, cmd_w, out_r
        w.ready, w.failed, w.pid, w.started_at = False, "", proc.pid or 0, time.monotonic()

    def _poll(self, timeout: float) -> None:
        conns = [w.out for w in self._workers if w.out is not None]
        if not conns:
            time.sleep(timeout)
            return
        for conn in wait(conns, timeout):
            worker = next(w for w in self._workers if w.out is conn)
            self._poll_worker(worker)

    def _poll_worker(self, w: _Worker) -> None:
        conn = w.out
        if conn is None:
            return
        try:
            while conn.poll():
                self._handle(w, conn.recv())
        except (EOFError, OSError):
            w.out = None
            conn.close()

    def _handle(self, w: _Worker, message: tuple[Any, ...]) -> None:
        kind = message[0]
        if kind == "ready":
            w.ready = True
        elif kind == "failed":
            w.failed = str(message[1])
            log.error("call worker %d failed to start: %s", w.index, message[1])
        elif kind == "requeue":
            request: CallRequest = message[1]
            w.in_flight.pop(request.call_id, None)
            with self._lock:
                self._pending.appendleft(request)
        elif kind == "result":
            result: CallResult = message[1]
            w.in_flight.pop(result.call_id, None)
            self._resolve(result)

    def _speech_engine(self, workers: int) -> SpeechEngineProcess | None:
        """The host's speech engine, if this pool runs one; its workers are then told to use it."""
        settings = self.spec.settings
        if settings is None or self.spec.engine != "pjsua":
            return None
        voice = settings.voice
        if voice.speech_engine == "auto" and self.spec.handler != SESSION_HANDLER:
            return None
        if not wanted(voice, workers):
            return None
        voice = voice.model_copy(update={"speech_engine": "host"})
        self.spec = dataclasses.replace(self.spec, settings=settings.model_copy(update={"voice": voice}))
        models_dir = settings.path(voice.models_dir, "models")
        return SpeechEngineProcess(voice, models_dir, settings.data_dir / "work")

    def _watch(self) -> None:
        if self.speech is not None and not self._stopping:
            self.speech.check()
        for w in self._workers:
            if w.process is None or w.process.is_alive():
                continue
            self._poll_worker(w)  # results written before the crash still count
            code = w.process.exitcode
            self._fail_in_flight(w, f"worker exited with code {code}")
            if self._stopping:
                continue
            if time.monotonic() - w.started_at < _RESTART_BACKOFF:
                continue
            log.warning("call worker %d died (exit %s); restarting", w.index, code)
            for conn in (w.commands, w.out):
                if conn is not None:
                    conn.close()
            w.restarts += 1
            self.restarts += 1
            self._spawn(w)

    def _fail_in_flight(self, w: _Worker, why: str) -> None:
        lost, w.in_flight = list(w.in_flight.values()), {}
        for request in lost:
            self._resolve(failed_result(request, why, "interrupted"))

    def _dispatch(self) -> None:
        while True:
            now = time.monotonic()
            if now - self._last_dial < self._min_interval or self.in_flight() >= self.channel_limit:
                return
            free = [
                w
                for w in self._workers
                if w.ready and w.process.is_alive() and len(w.in_flight) < self.spec.calls_per_worker
            ]
            if not free:
                return
            with self._lock:
                if not self._pending:
                    return
                request = self._pending.popleft()
            worker = min(free, key=lambda x: len(x.in_flight))
            worker.in_flight[request.call_id] = request
            self._last_dial = now
            try:
                assert worker.commands is not None
                worker.commands.send(("dial", request))
            except OSError:
                pass  # the watcher reports it interrupted

    def _resolve(self, result: CallResult) -> None:
        with self._lock:
            future = self._futures.pop(result.call_id, None)
        if future is not None and not future.done():
            future.set_result(result)
