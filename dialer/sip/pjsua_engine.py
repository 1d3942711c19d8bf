"""The pjsua2 SipEngine: the only module that imports pjsua2 (see /work/shared/PJSUA2-NOTES.md).

One "pjsip thread" per process creates the library, polls `libHandleEvents` and is the only thread that
calls pjsua2; other threads post closures to its command queue. Media callbacks run on pjmedia's clock thread
and only move 20 ms frames in and out of the CallCore queues. Every pjsua2 object (Call, AudioMediaPort,
Account) is created, dropped and destroyed on the pjsip thread, and all of them before `libDestroy`.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import logging
import os
import queue
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

import pjsua2 as pj

from dialer.logs import mask_text
from dialer.sip.callcore import CallCore
from dialer.sip.interfaces import (
    CallRequest,
    CapacityError,
    EngineError,
    EventKind,
    IncomingHandler,
    SipEngine,
)
from sip_config.schema import Profile, Transport

log = logging.getLogger(__name__)

JITTER_BUFFER_MS = (20, 60, 200)  # initial/minimum prefetch, maximum prefetch, capacity

_TRANSPORTS = {
    Transport.UDP: pj.PJSIP_TRANSPORT_UDP,
    Transport.TCP: pj.PJSIP_TRANSPORT_TCP,
    Transport.TLS: pj.PJSIP_TRANSPORT_TLS,
}
_CODEC_IDS = {"PCMU": "PCMU/8000", "PCMA": "PCMA/8000", "G722": "G722/16000"}
_PJ_ETOOMANY = 70010
_SLOT_WAIT = 40.0  # longer than Timer B (32 s), after which pjsip gives up on a silent INVITE
_HANGUP_GRACE = 40.0  # CANCEL/BYE unanswered this long: give up and finish the call ourselves


def _vec_bytes(vec: Any) -> bytes:
    """std::vector<uint8_t> -> bytes via its begin/end pointers (~4 us instead of ~0.5 ms for bytes(vec))."""
    addr = int(vec.this)
    begin = ctypes.c_void_p.from_address(addr).value
    end = ctypes.c_void_p.from_address(addr + 8).value
    return ctypes.string_at(begin, end - begin) if begin and end else b""


class _LogWriter(pj.LogWriter):
    def write(self, entry: Any) -> None:
        with contextlib.suppress(Exception):
            level = logging.WARNING if entry.level <= 1 else logging.DEBUG
            log.log(level, "pjsip: %s", mask_text(entry.msg.rstrip()))


class _Port(pj.AudioMediaPort):
    """Runs on the media clock thread: never blocks, never raises.

    Ports are pooled per engine and reused across calls: pjmedia removes a port from the conference
    bridge asynchronously (on the clock thread), so destroying one while calls run risks a use after free.
    """

    def __init__(self) -> None:
        super().__init__()
        self.core: CallCore | None = None

    def onFrameReceived(self, frame: Any) -> None:
        core = getattr(self, "core", None)  # a director call can come before __init__ has set it
        if core is None:
            return
        try:
            if frame.type == pj.PJMEDIA_FRAME_TYPE_AUDIO:
                core.rx_frame(_vec_bytes(frame.buf))
            else:
                core.rx_frame(None)
        except Exception:
            pass

    def onFrameRequested(self, frame: Any) -> None:
        core = getattr(self, "core", None)
        try:
            frame.type = pj.PJMEDIA_FRAME_TYPE_AUDIO
            frame.buf = pj.ByteVector(core.tx_frame() if core is not None else bytes(frame.size))
        except Exception:
            pass


class PjsuaCall(CallCore):
    """The Call handle handed to handlers; commands go to the engine's pjsip thread."""

    def __init__(self, engine: PjsuaEngine, call_id: str, direction: str, **kw: Any) -> None:
        super().__init__(call_id, direction, engine.rate, **kw)
        self._engine = engine
        self.pj_call: _PjCall | None = None  # touched only on the pjsip thread
        self.hangup_at: float | None = None

    def _command(self, name: str, *args: Any) -> None:
        self._engine.post(lambda: self._engine.call_command(self, name, *args))


class _PjCall(pj.Call):
    def __init__(
        self, engine: PjsuaEngine, acc: pj.Account, core: PjsuaCall, call_id: int | None = None
    ) -> None:
        if call_id is None:
            super().__init__(acc)
        else:
            super().__init__(acc, call_id)
        self.engine = engine
        self.core = core
        self.port: _Port | None = None

    def onCallState(self, prm: Any) -> None:
        try:
            ci = self.getInfo()
            core = self.core
            if ci.state == pj.PJSIP_INV_STATE_EARLY and core.direction == "outbound":
                core.mark_ringing(ci.lastStatusCode)
            elif ci.state == pj.PJSIP_INV_STATE_CONFIRMED:
                core.mark_answered()
            elif ci.state == pj.PJSIP_INV_STATE_DISCONNECTED:
                code = ci.lastStatusCode
                if core.direction == "inbound" and core.answered:
                    code = 200
                self.engine.retire(self)  # free the slot before waking whoever waits for the result
                core.finish(int(code), str(ci.lastReason))
        except Exception:
            log.exception("call state callback failed")

    def onCallMediaState(self, prm: Any) -> None:
        try:
            ci = self.getInfo()  # bind before iterating ci.media (a temporary's vector reads freed memory)
            for mi in ci.media:
                if (
                    mi.type == pj.PJMEDIA_TYPE_AUDIO
                    and mi.status == pj.PJSUA_CALL_MEDIA_ACTIVE
                    and self.port is None
                ):
                    media = self.getAudioMedia(mi.index)
                    port = self.engine.take_port(self.core)
                    media.startTransmit(port)
                    port.startTransmit(media)
                    self.port = port
                    si = self.getStreamInfo(mi.index)
                    self.core.codec = f"{si.codecName}/{si.codecClockRate}"
            if self.port is not None and ci.state == pj.PJSIP_INV_STATE_EARLY:
                self.core.mark_early_media()
        except Exception:
            log.exception("media state callback failed")

    def onCallTsxState(self, prm: Any) -> None:
        try:
            e = prm.e
            if e.type == pj.PJSIP_EVENT_TSX_STATE:
                tsx = e.body.tsxState.tsx
                if tsx.method == "INVITE" and tsx.role == pj.PJSIP_ROLE_UAC and 100 <= tsx.statusCode < 200:
                    self.core.mark_trying()
        except Exception:
            pass

    def onDtmfDigit(self, prm: Any) -> None:
        with contextlib.suppress(Exception):
            self.core.mark_dtmf(str(prm.digit))

    def onCallTransferStatus(self, prm: Any) -> None:
        try:
            code, final = int(prm.statusCode), bool(prm.finalNotify)
            self.core.mark_transfer(code, final)
            if final and 200 <= code < 300:
                self.engine.post(lambda: self.engine.call_command(self.core, "hangup"))
        except Exception:
            pass


class _PjAccount(pj.Account):
    def __init__(self, engine: PjsuaEngine) -> None:
        super().__init__()
        self.engine = engine
        self.reg_result: queue.Queue[tuple[int, str]] = queue.Queue()

    def onIncomingCall(self, prm: Any) -> None:
        try:
            self.engine.incoming(self, int(prm.callId))
        except Exception:
            log.exception("incoming call failed")

    def onRegState(self, prm: Any) -> None:
        try:
            if int(prm.code) >= 200:
                self.reg_result.put((int(prm.code), str(prm.reason)))
        except Exception:
            pass


class PjsuaEngine(SipEngine):
    """A pjsua2 user agent on `bind:sip_port` with RTP from `rtp_port`; up to `max_calls` calls."""

    def __init__(
        self,
        profile: Profile,
        *,
        sip_port: int,
        rtp_port: int,
        rate: int = 8000,
        max_calls: int = 4,
        bind: str = "127.0.0.1",
        log_level: int = 1,
    ) -> None:
        if rate not in (8000, 16000):
            raise ValueError("rate must be 8000 or 16000")
        self.profile = profile
        self.sip_port, self.rtp_port, self.bind = sip_port, rtp_port, bind
        self.rate, self.max_calls, self.log_level = rate, min(max_calls, 4), log_level
        self._commands: queue.Queue[Callable[[], None]] = queue.Queue()
        self._calls: dict[int, PjsuaCall] = {}
        self._live: set[PjsuaCall] = set()
        self._lock = threading.Lock()
        self._retired: list[_PjCall] = []
        self._deferred: list[tuple[float, Callable[[], None]]] = []
        self._free_ports: list[_Port] = []
        self._all_ports: list[_Port] = []
        self._incoming: IncomingHandler | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._stopping = False
        self._error: BaseException | None = None
        self._acc: _PjAccount | None = None

    # -- public, any thread --------------------------------------------------------------------------
    def start(self) -> None:
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name="pjsip", daemon=True)
        self._thread.start()
        self._ready.wait(15)
        if self._error is not None:
            raise EngineError(f"SIP engine failed to start: {self._error}") from self._error
        if not self._ready.is_set():
            raise EngineError("SIP engine did not start within 15 s")

    def post(self, fn: Callable[[], None]) -> None:
        self._commands.put(fn)

    def on_incoming(self, handler: IncomingHandler | None) -> None:
        self._incoming = handler

    def active_calls(self) -> int:
        with self._lock:
            return len(self._live)

    def dial(self, request: CallRequest) -> PjsuaCall:
        if self._stopping or not self._ready.is_set():
            raise EngineError("the SIP engine is not running")
        core = PjsuaCall(
            self,
            request.call_id,
            "outbound",
            record_path=request.record_path,
            dtmf_method=self.profile.dtmf_mode.value,
        )
        with self._lock:
            if len(self._live) >= self.max_calls:
                raise CapacityError(f"this engine carries {self.max_calls} calls already")
            self._live.add(core)
        core.ring_deadline = request.ring_timeout
        core.max_duration = request.max_duration
        self.post(lambda: self._make_call(core, request))
        return core

    def register(self, timeout: float = 10.0) -> tuple[int, str]:
        if self._acc is None:
            raise EngineError("the SIP engine is not running")
        acc = self._acc
        while not acc.reg_result.empty():
            acc.reg_result.get_nowait()
        self.post(lambda: acc.setRegistration(True))
        try:
            return acc.reg_result.get(timeout=timeout)
        except queue.Empty:
            return 408, "no answer from the registrar"

    def shutdown(self) -> None:
        if self._thread is None:
            return
        self._stopping = True
        self._thread.join(20)
        self._thread = None

    # -- pjsip thread --------------------------------------------------------------------------------
    def _run(self) -> None:
        try:
            ep = self._create()
        except Exception as exc:
            self._error = exc
            self._ready.set()
            return
        self._ready.set()
        try:
            while not self._stopping:
                self._drain()
                ep.libHandleEvents(10)
                self._timers()
                self._reap()
        except Exception:
            log.exception("pjsip loop failed")
        finally:
            self._destroy(ep)

    def _create(self) -> pj.Endpoint:
        ep = pj.Endpoint()
        # libCreate logs its banner to stdout before any log config applies: keep stdout for results
        sys.stdout.flush()
        saved = os.dup(1)
        try:
            os.dup2(2, 1)
            ep.libCreate()
        finally:
            os.dup2(saved, 1)
            os.close(saved)
        cfg = pj.EpConfig()
        cfg.uaConfig.threadCnt = 0
        cfg.uaConfig.mainThreadOnly = True
        cfg.uaConfig.maxCalls = 4
        cfg.uaConfig.userAgent = "reminder-dialer"
        if self.profile.nat.stun_server:
            cfg.uaConfig.stunServer.append(self.profile.nat.stun_server)
            cfg.uaConfig.stunIgnoreFailure = True
        cfg.medConfig.clockRate = self.rate
        cfg.medConfig.sndClockRate = self.rate
        cfg.medConfig.noVad = True
        # A short jitter buffer: on a managed trunk the network jitter is small, and every millisecond it
        # holds is added to how late the callee hears the bot stop after a barge-in.
        cfg.medConfig.jbInit = JITTER_BUFFER_MS[0]
        cfg.medConfig.jbMinPre = JITTER_BUFFER_MS[0]
        cfg.medConfig.jbMaxPre = JITTER_BUFFER_MS[1]
        cfg.medConfig.jbMax = JITTER_BUFFER_MS[2]
        cfg.logConfig.level = self.log_level
        cfg.logConfig.consoleLevel = self.log_level  # what reaches the writer below
        self._writer = _LogWriter()
        cfg.logConfig.writer = self._writer
        self._ep = ep
        ep.libInit(cfg)
        tc = pj.TransportConfig()
        tc.port = self.sip_port
        tc.boundAddress = self.bind
        if self.profile.nat.public_address:
            tc.publicAddress = self.profile.nat.public_address
        try:
            ep.transportCreate(_TRANSPORTS[self.profile.transport], tc)
        except pj.Error as exc:
            ep.libDestroy()
            raise EngineError(
                f"cannot bind SIP {self.profile.transport.value} {self.bind}:{self.sip_port}: {exc.reason}"
            ) from None
        ep.libStart()
        ep.audDevManager().setNullDev()
        self._codecs(ep)
        acc = _PjAccount(self)
        acc.create(self._account_config())
        self._acc = acc
        return ep

    def _codecs(self, ep: pj.Endpoint) -> None:
        wanted = [_CODEC_IDS[c.value] for c in self.profile.codecs]
        for info in ep.codecEnum2():
            cid = str(info.codecId)
            prio = 0
            for rank, prefix in enumerate(wanted):
                if cid.startswith(prefix):
                    prio = 255 - rank
            ep.codecSetPriority(cid, prio)

    def _account_config(self) -> pj.AccountConfig:
        p = self.profile
        acfg = pj.AccountConfig()
        acfg.idUri = p.from_uri(f"{self.bind}:{self.sip_port}")
        if p.mode == "register":
            acfg.regConfig.registrarUri = p.registrar
            acfg.regConfig.registerOnAdd = False
            acfg.regConfig.timeoutSec = p.register_expires
        if p.proxy:
            acfg.sipConfig.proxies.append(p.proxy)
        if p.auth is not None and p.password is not None:
            acfg.sipConfig.authCreds.append(
                pj.AuthCredInfo("digest", p.auth.realm, p.auth.username, 0, p.password.get_secret_value())
            )
        mt = acfg.mediaConfig.transportConfig
        mt.boundAddress = self.bind
        mt.port = self.rtp_port
        mt.portRange = 2 * self.max_calls + 2
        if p.nat.public_address:
            mt.publicAddress = p.nat.public_address
        acfg.natConfig.sipStunUse = (
            pj.PJSUA_STUN_USE_DEFAULT if p.nat.stun_server else pj.PJSUA_STUN_USE_DISABLED
        )
        acfg.natConfig.mediaStunUse = acfg.natConfig.sipStunUse
        return acfg

    def _drain(self) -> None:
        if self._deferred:
            now = time.monotonic()
            due = [fn for at, fn in self._deferred if at <= now]
            self._deferred = [(at, fn) for at, fn in self._deferred if at > now]
            for fn in due:
                self._commands.put(fn)
        while True:
            try:
                fn = self._commands.get_nowait()
            except queue.Empty:
                return
            try:
                fn()
            except Exception:
                log.exception("SIP command failed")

    def _make_call(self, core: PjsuaCall, request: CallRequest, since: float | None = None) -> None:
        assert self._acc is not None
        pjc = _PjCall(self, self._acc, core)
        core.pj_call = pjc
        prm = pj.CallOpParam(True)
        headers = list(request.headers)
        if self.profile.p_asserted_identity:
            headers.append(("P-Asserted-Identity", f"<{self.profile.p_asserted_identity}>"))
        for name, value in headers:
            h = pj.SipHeader()
            h.hName, h.hValue = name, value
            prm.txOption.headers.append(h)
        core.restart_clock()
        try:
            pjc.makeCall(request.uri, prm)
        except pj.Error as exc:
            core.pj_call = None
            now = time.monotonic()
            if exc.status == _PJ_ETOOMANY and now - (since or now) < _SLOT_WAIT:
                # pjsua reports DISCONNECTED as soon as we CANCEL, but keeps the call's slot until the INVITE
                # transaction ends (487, or Timer B when a trunk stays silent): wait for a slot
                first = since or now
                self._deferred.append((now + 0.05, lambda: self._make_call(core, request, first)))
                return
            self.retire(pjc)
            core.finish(503 if exc.status else 500, f"call failed: {exc.reason}", "trunk_failure")
            return
        if core.result is None:  # a synchronous failure inside makeCall has retired it already
            self._calls[pjc.getId()] = core

    def call_command(self, core: PjsuaCall, name: str, *args: Any) -> None:
        pjc = core.pj_call
        if pjc is None or core.result is not None:
            return
        try:
            if name == "hangup":
                core.hangup_at = core.hangup_at or time.monotonic()
                pjc.hangup(pj.CallOpParam(True))
            elif name == "answer":
                prm = pj.CallOpParam(True)
                prm.statusCode = int(args[0])
                pjc.answer(prm)
            elif name == "dtmf":
                digits, method = args
                if method == "info":
                    dp = pj.CallSendDtmfParam()
                    dp.method = pj.PJSUA_DTMF_METHOD_SIP_INFO
                    dp.digits = digits
                    pjc.sendDtmf(dp)
                else:
                    pjc.dialDtmf(digits)
            elif name == "transfer":
                pjc.xfer(args[0], pj.CallOpParam(True))
        except pj.Error as exc:
            log.warning("SIP %s failed: %s", name, mask_text(str(exc.reason)))
            if name == "transfer":
                core.mark_transfer(500, True)

    def incoming(self, acc: _PjAccount, pj_call_id: int) -> None:
        core = PjsuaCall(
            self,
            f"in-{pj_call_id}-{time.monotonic_ns()}",
            "inbound",
            dtmf_method=self.profile.dtmf_mode.value,
        )
        pjc = _PjCall(self, acc, core, pj_call_id)
        core.pj_call = pjc
        try:
            core.local_uri = str(pjc.getInfo().localUri)
        except Exception:  # pjsua2 raises its own Error type; the URI is a routing hint only
            core.local_uri = ""
        handler = self._incoming
        with self._lock:
            full = len(self._live) >= self.max_calls
            if not full and handler is not None:
                self._live.add(core)
        if handler is None or full:
            prm = pj.CallOpParam(True)
            prm.statusCode = 486
            pjc.answer(prm)
            self._retired.append(pjc)
            return
        self._calls[pj_call_id] = core
        core.max_duration = self.profile.max_call_duration
        threading.Thread(target=self._run_incoming, args=(handler, core), daemon=True).start()

    def _run_incoming(self, handler: IncomingHandler, core: PjsuaCall) -> None:
        try:
            handler(core)
        except Exception:
            log.exception("incoming call handler failed")
        finally:
            if core.result is None:
                core.hangup()

    def retire(self, pjc: _PjCall) -> None:
        """A call has ended: unlink it now, drop its pjsua2 objects at the end of this loop turn."""
        with self._lock:
            self._live.discard(pjc.core)
        self._calls = {k: v for k, v in self._calls.items() if v is not pjc.core}
        self._retired.append(pjc)

    def take_port(self, core: CallCore) -> _Port:
        """A media port for a call (pjsip thread): a pooled one, or a new one while under max_calls."""
        if self._free_ports:
            port = self._free_ports.pop()
        else:
            fmt = pj.MediaFormatAudio()
            fmt.init(pj.PJMEDIA_FORMAT_PCM, self.rate, 1, 20000, 16)
            port = _Port()
            port.createPort(f"p{len(self._all_ports)}", fmt)
            self._all_ports.append(port)
        port.core = core
        return port

    def _reap(self) -> None:
        while self._retired:
            pjc = self._retired.pop()
            port, pjc.port = pjc.port, None
            if port is not None:
                port.core = None  # the call's stream has left the bridge; the port goes back to the pool
                self._free_ports.append(port)
            pjc.core.pj_call = None

    def _timers(self) -> None:
        now = time.monotonic()
        for core in list(self._calls.values()):
            pjc = core.pj_call
            if pjc is None or core.result is not None:
                continue
            t = core.now()
            if core.hangup_at is not None:
                if now - core.hangup_at > _HANGUP_GRACE:
                    self.retire(pjc)
                    core.finish(408, "no answer to our hang-up")
                continue
            if (
                core.direction == "outbound"
                and not core.answered
                and core.ring_deadline is not None
                and t > core.ring_deadline
            ):
                core.cancelled_by_us = True
                self.call_command(core, "hangup")
            elif core.answered and core.max_duration is not None and core.talk_time() > core.max_duration:
                self.call_command(core, "hangup")

    def _destroy(self, ep: pj.Endpoint) -> None:
        try:
            if self._calls:
                ep.hangupAllCalls()
                deadline = time.monotonic() + 3
                while self._calls and time.monotonic() < deadline:
                    ep.libHandleEvents(20)
            for core in list(self._calls.values()):
                core.finish(0, "engine shut down", "interrupted")
                if core.pj_call is not None:
                    self._retired.append(core.pj_call)
            self._calls.clear()
            self._reap()
            with self._lock:
                self._live.clear()
            ep.libHandleEvents(50)
            self._free_ports.clear()
            self._all_ports.clear()
            gc.collect()
            ep.libHandleEvents(50)
            for name in ("last_type", "last_value", "last_traceback"):
                if hasattr(sys, name):
                    setattr(sys, name, None)
            if self._acc is not None:
                self._acc.shutdown()
                self._acc = None
            gc.collect()
            ep.libDestroy()
        except Exception:
            log.exception("SIP engine teardown failed")


__all__ = ["EventKind", "PjsuaCall", "PjsuaEngine"]
