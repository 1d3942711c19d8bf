"""Who answered, through real SIP: call workers (pjsua2, the session, faster-whisper tiny.en) dial
`dialer callee` personas on 127.0.0.1: a call screener, a company menu, a fax, a carrier announcement after
the answer, and carrier announcements in 183 early media (en, zh); a person and a voicemail are called in
tests/session/test_sip_calls.py. Each call must end with the disposition and number status the ledger
would record. Six calls at once, about a minute and a half."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import Future
from pathlib import Path

import pytest

from dialer.callee.ports import wait_udp_bound
from dialer.results import to_outcome
from dialer.session.report import SessionReport
from dialer.sip.interfaces import CallRequest, CallResult
from dialer.sip.workers import WorkerPool
from sip_config.loader import parse_profile
from tests.conftest import call_worker_settings
from tests.session.fakes import spec

from .conftest import PERSONAS, REPO, RTP_PORTS, SIP_PORTS, take_ports

# persona -> (machine detection, disposition, number status) as the ledger records them
EXPECTED = {
    "screener": ("human", None, "valid"),  # the person picked up after the screener: a conversation
    "ivr": ("ivr", "ivr", "valid"),
    "fax": ("fax", "fax", "valid"),
    "announcement-answered": ("announcement", "vacant", "vacant"),
    "announcement-183-en": ("", "vacant", "vacant"),
    "announcement-183-zh": ("", "vacant", "vacant"),
}
DEBT_WORDS = ("debt", "owe", "payment", "dollar", "amount", "balance", "overdue")


@pytest.fixture(scope="module")
def calls(tmp_path_factory: pytest.TempPathFactory, render_cache: Path) -> Iterator[dict[str, CallResult]]:
    tmp = tmp_path_factory.mktemp("who-answered")
    os.environ["HF_HUB_OFFLINE"] = "1"
    procs: list[subprocess.Popen[bytes]] = []
    try:
        uris: dict[str, str] = {}
        for i, name in enumerate(EXPECTED):
            port, rtp = take_ports(SIP_PORTS), take_ports(RTP_PORTS, 40)
            cmd = [sys.executable, "-m", "dialer.cli.main", "callee", "--listen", f"127.0.0.1:{port}"]
            cmd += ["--persona", str(PERSONAS / f"{name}.yaml"), "--log-dir", str(tmp / "callee" / name)]
            cmd += ["--rtp-port", str(rtp)]
            err = (tmp / f"callee-{name}.log").open("w")
            procs.append(subprocess.Popen(["timeout", "240", *cmd], stdout=subprocess.DEVNULL, stderr=err))
            uris[name] = f"sip:+15550101{i:03d}@127.0.0.1:{port}"
            if not wait_udp_bound(port, 20, alive=lambda p=procs[-1]: p.poll() is None):
                raise RuntimeError(f"callee {name} did not start: {(tmp / f'callee-{name}.log').read_text()}")
        settings = call_worker_settings(
            tmp, render_cache, sip_port=take_ports(SIP_PORTS, 2), rtp_port=take_ports(RTP_PORTS, 600)
        )
        profile = parse_profile((REPO / "sip_config" / "examples" / "loopback.yaml").read_text())
        pool = WorkerPool.from_settings(settings.sip, profile, settings=settings)
        pool.start()
        try:
            futures: dict[str, Future[CallResult]] = {}
            for n, (name, uri) in enumerate(uris.items()):
                request = CallRequest(
                    f"w{n}", uri, ring_timeout=20, options=spec(attempt_id=n, max_seconds=60).options()
                )
                futures[name] = pool.submit(request)
            yield {name: f.result(timeout=200) for name, f in futures.items()}
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


def describe(result: CallResult) -> str:
    r = result.session
    if not isinstance(r, SessionReport):
        return repr(result)
    return "\n".join(f"{t.start_s:6.2f} {t.speaker}: {t.text}" for t in r.turns) + f"\n{r}"


@pytest.mark.sip
@pytest.mark.slow
@pytest.mark.parametrize("persona", list(EXPECTED))
def test_who_answered_is_recorded(calls: dict[str, CallResult], persona: str, tmp_path: Path) -> None:
    result = calls[persona]
    machine, disposition, status = EXPECTED[persona]
    out = to_outcome(1, result, None, ended_at=dt.datetime.now(dt.UTC), data_dir=tmp_path)
    assert out.machine == machine, describe(result)
    if disposition is not None:
        assert out.disposition == disposition, describe(result)
    else:
        assert out.disposition not in ("screener", "voicemail_left", "machine_no_message"), describe(result)
    assert out.number_status == status, describe(result)


@pytest.mark.sip
@pytest.mark.slow
def test_the_screener_hears_a_name_and_no_debt_words_then_the_person_the_opening(
    calls: dict[str, CallResult],
) -> None:
    r = calls["screener"].session
    assert isinstance(r, SessionReport)
    bot = [t for t in r.turns if t.speaker == "bot"]
    assert len(bot) >= 2, describe(calls["screener"])
    assert spec().agent_name in bot[0].text and not any(w in bot[0].text.lower() for w in DEBT_WORDS)
    assert bot[1].start_s > bot[0].start_s
