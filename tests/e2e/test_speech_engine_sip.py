"""Real calls heard by the host's speech engine: two call workers (pjsua2, the session) whose Whisper
recognizers are `RemoteRecognizer`s, one engine process started by the WorkerPool, `dialer callee`
personas on 127.0.0.1. The engine is killed in the middle of a call: the call still ends with an
outcome, and the pool starts a new engine that hears the next call. (Every other SIP test with two
session workers hears through the engine too: `voice.speech_engine = "auto"`.)"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from dialer.callee.ports import wait_udp_bound
from dialer.session.report import SessionReport
from dialer.sip.interfaces import CallRequest, CallResult
from dialer.sip.workers import WorkerPool
from sip_config.loader import parse_profile
from tests.session.fakes import spec

from .conftest import PERSONAS, REPO, RTP_PORTS, SIP_PORTS, take_ports

PERSONAS_CALLED = ("promises-friday", "already-paid")  # one callee each


@dataclass
class Line:
    pool: WorkerPool
    uris: dict[str, str]
    count: int = 0

    def call(self, persona: str) -> CallResult:
        return self.start(persona).result(timeout=200)

    def start(self, persona: str):  # type: ignore[no-untyped-def]
        self.count += 1
        options = spec(attempt_id=self.count, max_seconds=60).options()
        return self.pool.submit(
            CallRequest(f"se{self.count}", self.uris[persona], ring_timeout=20, options=options)
        )


@pytest.fixture(scope="module")
def line(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Line]:
    from dialer.settings import load_settings

    tmp = tmp_path_factory.mktemp("speech-engine-sip")
    os.environ["HF_HUB_OFFLINE"] = "1"
    procs: list[subprocess.Popen[bytes]] = []
    try:
        uris: dict[str, str] = {}
        for i, name in enumerate(PERSONAS_CALLED):
            port, rtp = take_ports(SIP_PORTS), take_ports(RTP_PORTS, 40)
            cmd = [sys.executable, "-m", "dialer.cli.main", "callee", "--listen", f"127.0.0.1:{port}"]
            cmd += ["--persona", str(PERSONAS / f"{name}.yaml"), "--log-dir", str(tmp / "callee" / name)]
            cmd += ["--rtp-port", str(rtp)]
            err = (tmp / f"callee-{name}.log").open("w")
            procs.append(subprocess.Popen(["timeout", "300", *cmd], stdout=subprocess.DEVNULL, stderr=err))
            uris[name] = f"sip:+15550102{i:03d}@127.0.0.1:{port}"
            if not wait_udp_bound(port, 20, alive=lambda p=procs[-1]: p.poll() is None):
                raise RuntimeError(f"callee {name} did not start: {(tmp / f'callee-{name}.log').read_text()}")
        env = {
            "DIALER_DATA_DIR": str(tmp / "data"),
            "DIALER_VOICE__TTS_ENGINES": "piper,espeak",
            "DIALER_VOICE__SPEECH_ENGINE": "host",
            "DIALER_DIALOGUE__SCRIPTS_DIR": str(REPO / "scripts"),
            "DIALER_SIP__WORKERS": "2",
            "DIALER_SIP__BASE_SIP_PORT": str(take_ports(SIP_PORTS, 2)),
            "DIALER_SIP__BASE_RTP_PORT": str(take_ports(RTP_PORTS, 600)),
            "DIALER_SIP__HANDLER": "dialer.session.handler:SessionHandler",
        }
        settings = load_settings(config=None, environ=env)
        profile = parse_profile((REPO / "sip_config" / "examples" / "loopback.yaml").read_text())
        pool = WorkerPool.from_settings(settings.sip, profile, settings=settings)
        pool.start(timeout=120)
        try:
            yield Line(pool, uris)
        finally:
            pool.stop()
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()


def report_of(result: CallResult) -> SessionReport:
    assert isinstance(result.session, SessionReport), result
    return result.session


def describe(r: SessionReport) -> str:
    return "\n".join(f"{t.start_s:6.2f} {t.speaker}: {t.text} [{t.intent}]" for t in r.turns) + f"\n{r}"


@pytest.mark.sip
@pytest.mark.slow
def test_a_killed_engine_ends_no_call_badly_and_comes_back(line: Line) -> None:
    assert line.pool.speech is not None
    old = line.pool.speech.pid
    call = line.start("promises-friday")
    time.sleep(4)  # the opening plays, the callee answers it
    os.kill(old, signal.SIGKILL)
    result = call.result(timeout=200)
    r = report_of(result)
    assert result.answered and result.result != "interrupted" and r.ended_by != "error", describe(r)
    assert r.disposition, describe(r)  # an outcome, whatever the turns heard while it was down
    deadline = time.monotonic() + 120
    while (line.pool.speech.pid == old or not line.pool.speech.alive()) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert line.pool.speech.restarts == 1
    while time.monotonic() < deadline:  # the new engine is ready once it answers
        stats = line.pool.speech_stats()
        if stats is not None and stats.get("languages") == ["en"]:
            break
        time.sleep(0.5)
    again = report_of(line.call("already-paid"))  # heard by the new engine
    assert again.disposition == "already_paid" and not again.asr_errors, describe(again)
    heard = [t for t in again.turns if t.speaker == "callee" and not t.keys]  # spoken, not keyed
    assert heard and all(t.heard_by == "whisper-tiny.en" for t in heard), describe(again)
    stats = line.pool.speech_stats()
    assert stats is not None and stats["decoded"] >= 1 and stats["decode_seconds"] > 0, stats
