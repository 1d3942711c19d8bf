"""The call-worker process: one pjsua2 Endpoint on its own ports, at most `calls_per_worker` calls.

Talks to the supervisor over two one-way pipes (commands in, messages out). A worker killed with SIGKILL
breaks only its own pipes, which the supervisor discards when it restarts the worker.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import threading
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from dialer.sip.interfaces import CallHandler, CallRequest, CallResult, CapacityError, SipError
from sip_config.schema import Profile
from sip_config.settings import SipSettings

log = logging.getLogger(__name__)

RTP_PORTS_PER_WORKER = 20


@dataclass(frozen=True)
class WorkerSpec:
    profile: Profile
    handler: str = "dialer.sip.handlers:PlayAndHangup"
    calls_per_worker: int = 4
    base_sip_port: int = 5080
    base_rtp_port: int = 40000
    rate: int = 8000
    bind: str = "127.0.0.1"
    log_level: int = 1  # pjsip's own verbosity (1: errors)
    log_level_python: int = logging.WARNING
    engine: str = "pjsua"  # "fake" runs the loopback engine (tests of the pool's bookkeeping)
    settings: Any = None  # the whole settings tree, for handlers built `from_settings`

    @classmethod
    def from_settings(
        cls, sip: SipSettings, profile: Profile, handler: str | None = None, settings: Any = None
    ) -> WorkerSpec:
        """Worker i listens on base_sip_port + i and takes RTP ports from base_rtp_port + 20 * i."""
        return cls(
            profile=profile,
            handler=handler or sip.handler,
            settings=settings,
            calls_per_worker=sip.calls_per_worker,
            base_sip_port=sip.base_sip_port,
            base_rtp_port=sip.base_rtp_port,
            rate=sip.rate,
            bind=sip.bind,
        )

    def ports(self, index: int) -> tuple[int, int]:
        return self.base_sip_port + index, self.base_rtp_port + index * RTP_PORTS_PER_WORKER


def failed_result(request: CallRequest, reason: str, result: str = "trunk_failure") -> CallResult:
    return CallResult(call_id=request.call_id, sip_code=0, reason=reason, result=result, answered=False)


def worker_main(index: int, spec: WorkerSpec, commands: Connection, out: Connection) -> None:
    """Entry point of the spawned process."""
    send_lock = threading.Lock()

    def send(message: tuple[Any, ...]) -> None:
        with send_lock:
            out.send(message)

    from dialer.logs import configure_logging

    configure_logging(spec.log_level_python)  # the masking filter, in this process too
    sip_port, rtp_port = spec.ports(index)
    try:
        engine = _make_engine(spec, sip_port, rtp_port)
        engine.start()
        if spec.profile.mode == "register":
            engine.register()
        from dialer.sip.handlers import load_handler

        handler = load_handler(spec.handler, spec.settings, worker=index)
    except Exception as exc:
        send(("failed", f"{type(exc).__name__}: {exc}"))
        return
    send(("ready", os.getpid()))
    threads: list[threading.Thread] = []
    try:
        while True:
            message = commands.recv()
            if message is None:
                break
            kind, request = message
            if kind == "dial":
                t = threading.Thread(target=_run_call, args=(engine, handler, request, send), daemon=True)
                t.start()
                threads.append(t)
                threads = [x for x in threads if x.is_alive()]
    except (EOFError, OSError):
        # The supervisor is gone (killed): nobody can record these calls any more, so end them now rather
        # than talk on unlogged. Its successor counts them as placed and re-decides them under the policy.
        log.warning("supervisor lost: hanging up %d live call(s)", engine.active_calls())
        threads = []
    for t in threads:
        t.join(timeout=spec.profile.max_call_duration)
    engine.shutdown()


def _make_engine(spec: WorkerSpec, sip_port: int, rtp_port: int) -> Any:
    if spec.engine == "fake":
        from dialer.sip.fake_engine import FakeSipEngine, ScriptedCallee

        callees = {
            "sip:answer@fake": ScriptedCallee(hangup_after=1.0),
            "sip:busy@fake": ScriptedCallee(final_code=486, reason="Busy Here"),
            "sip:long@fake": ScriptedCallee(hangup_after=60.0),
        }
        return FakeSipEngine(callees, rate=spec.rate, max_calls=spec.calls_per_worker, autorun=True)
    from dialer.sip.pjsua_engine import PjsuaEngine

    return PjsuaEngine(
        spec.profile,
        sip_port=sip_port,
        rtp_port=rtp_port,
        rate=spec.rate,
        max_calls=spec.calls_per_worker,
        bind=spec.bind,
        log_level=spec.log_level,
    )


_REPORT_GRACE = 15.0  # after the call ends: how long a handler may take to finish its report


def _handle(handler: CallHandler, call: Any, request: CallRequest, report: list[Any]) -> None:
    try:
        report.append(handler.handle(call, request))
    except Exception:
        log.exception("call handler failed")


NOT_PLACED = "not_placed"  # scheduler.vocabulary.Disposition.not_placed: no INVITE left this host


def _prepare(handler: CallHandler, request: CallRequest) -> str:
    """The handler's pre-dial step (script, models, voice), if it has one: "" when the call may be
    placed, else the cause (an exception's class and message, never a number)."""
    prepare = getattr(handler, "prepare", None)
    if not callable(prepare):
        return ""
    try:
        prepare(request)
    except Exception as exc:
        log.warning("call %s: not placed, the handler is not ready (%s)", request.call_id, type(exc).__name__)
        return f"{type(exc).__name__}: {exc}"[:200]
    return ""


def _run_call(engine: Any, handler: CallHandler, request: CallRequest, send: Any) -> None:
    cause = _prepare(handler, request)
    if cause:  # nothing can be said on this call: do not ring the phone
        send(("result", failed_result(request, cause, NOT_PLACED)))
        return
    try:
        call = engine.dial(request)
    except CapacityError:
        send(("requeue", request))  # a slot not yet freed: the pool dials it again shortly
        return
    except SipError as exc:  # refused before an INVITE was sent (bad URI, engine gone)
        send(("result", failed_result(request, f"{type(exc).__name__}: {exc}", NOT_PLACED)))
        return
    report: list[Any] = []
    runner = threading.Thread(
        target=_handle, args=(handler, call, request, report), name="call-handler", daemon=True
    )
    runner.start()
    # the result goes out when the call ends, even if a handler is stuck: every accepted call gets one
    limit = time.monotonic() + request.ring_timeout + request.max_duration + 60
    result, hung_up = None, False
    while result is None and time.monotonic() < limit:
        result = call.wait(0.5)
        if result is None and not runner.is_alive() and not hung_up:
            call.hangup()  # the handler is done with a call it left connected
            hung_up = True
    if result is None:
        call.hangup()
        result = call.wait(10) or failed_result(request, "the call did not end", "interrupted")
    runner.join(_REPORT_GRACE)  # the handler's report (transcript, outcome) travels with the result
    if report and report[0] is not None:
        result = dataclasses.replace(result, session=report[0])
    send(("result", result))
