"""`dialer run` as a real subprocess against a real ledger and a sipp callee that logs every INVITE.

Ports (this part's ranges): SIP 15200-15299, RTP 34000-35999. Each test takes its own block, so call
workers left by a killed supervisor never collide with the next test's.
"""

from __future__ import annotations

import collections
import itertools
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from dialer.callee.ports import port_free
from tests.sip.peers import Procs, scenario, speech, ulaw

REPO = Path(__file__).resolve().parents[2]
_blocks = itertools.count()


@dataclass(frozen=True)
class Ports:
    workers_sip: int  # workers use this and the next ones
    peer_sip: int
    metrics: int
    workers_rtp: int
    peer_rtp: int


def next_ports() -> Ports:
    """A block of 10 SIP ports and 200 RTP ports in the supervisor's ranges, one per test. The RTP range
    lies among the kernel's ephemeral ports, so a block with a port some other process holds (sipp binds
    its media port and the two after it) is skipped."""
    for _ in range(10):
        i = next(_blocks) % 10
        sip, rtp = 15200 + 10 * i, 34000 + 200 * i
        ports = Ports(sip, sip + 6, sip + 8, rtp, rtp + 120)
        udp = [*range(sip, sip + 7), *range(rtp, rtp + 124)]
        if all(port_free(p) for p in udp) and port_free(ports.metrics, (socket.SOCK_STREAM,)):
            return ports
    raise RuntimeError("no free block of ports in the supervisor's ranges")


@dataclass
class Peer:
    """A sipp UAS answering every number; `invites()` counts distinct INVITE transactions per number."""

    log_dir: Path
    port: int

    def invites(self) -> dict[str, int]:
        seen: dict[str, set[str]] = collections.defaultdict(set)
        for log in self.log_dir.glob("*_messages.log"):
            text = log.read_text(errors="replace")
            for block in re.split(r"\n(?=INVITE sip:)", text):
                match = re.match(r"INVITE sip:([^@;> ]+)@", block)
                call_id = re.search(r"^Call-ID:\s*(\S+)", block, re.MULTILINE | re.IGNORECASE)
                if match and call_id:
                    seen[match.group(1)].add(call_id.group(1))
        return {number: len(ids) for number, ids in seen.items()}


@pytest.fixture(scope="session")
def callee_ulaw(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("sup-audio")
    speech(d / "hello.wav", "Hello, who is this?")
    return ulaw(d / "hello.wav", d / "hello-ulaw.wav")


@pytest.fixture
def procs() -> Iterator[Procs]:
    p = Procs()
    yield p
    p.close()


def start_peer(procs: Procs, shared: Path, tmp: Path, ports: Ports, wav: Path, seconds: int = 200) -> Peer:
    log_dir = tmp / f"peer-{ports.peer_sip}"
    log_dir.mkdir()
    talk = scenario(shared, "uas_talk.xml", log_dir, CALLEE_ULAW_WAV=str(wav))
    procs.sipp(
        talk, ports.peer_sip, media_port=ports.peer_rtp, calls=1000, seconds=seconds,
        extra=("-trace_msg",), log_dir=log_dir,
    )  # fmt: skip
    return Peer(log_dir, ports.peer_sip)


PROFILE = """\
name: sup-test
mode: ip_auth
domain: 127.0.0.1:{port}
codecs: [PCMU]
caller_id: "+15550100100"
channel_limit: 8
calls_per_second: {cps}
ring_timeout: 10
max_call_duration: 90
"""


@dataclass
class Daemon:
    """One `dialer run` process; its stderr (the log) goes to a file."""

    env: dict[str, str]
    log: Path
    args: tuple[str, ...] = ()
    proc: subprocess.Popen[bytes] | None = None
    started: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def start(self, *args: str) -> subprocess.Popen[bytes]:
        cmd = [sys.executable, "-m", "dialer.cli.main", "run", *(args or self.args)]
        with self.log.open("ab") as err:
            self.proc = subprocess.Popen(
                cmd, env=self.env, cwd=REPO, stdout=subprocess.PIPE, stderr=err, start_new_session=True
            )
        self.started.append(self.proc)
        return self.proc

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_log(self, pattern: str, timeout: float = 30.0, count: int = 1) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(re.findall(pattern, self.text())) >= count:
                return
            if self.proc is not None and self.proc.poll() is not None:
                break
            time.sleep(0.1)
        raise AssertionError(f"no {pattern!r} x{count} in the log:\n{self.text()[-3000:]}")

    def signal(self, sig: int) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, sig)

    def finish(self, timeout: float = 60.0) -> tuple[int, str]:
        assert self.proc is not None
        out, _ = self.proc.communicate(timeout=timeout)
        return self.proc.returncode, out.decode()

    def get(self, path: str) -> tuple[int, str]:
        url = f"http://127.0.0.1:{self.env['DIALER_METRICS__PORT']}{path}"
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()

    def kill_all(self) -> None:
        """Teardown: the supervisor's whole process group (its call workers too), whatever is left."""
        for proc in self.started:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(10)


def make_daemon(tmp: Path, url: str, ports: Ports, *, cps: float = 20, **env: str) -> Daemon:
    profile = tmp / f"profile-{ports.peer_sip}.yaml"
    profile.write_text(PROFILE.format(port=ports.peer_sip, cps=cps))
    base = {k: v for k, v in os.environ.items() if not k.startswith("DIALER_")}
    base.update(
        {
            "DIALER_DATA_DIR": str(tmp / "data"),
            "DIALER_DATABASE__URL": url,
            "DIALER_SIP__PROFILE": str(profile),
            "DIALER_SIP__WORKERS": "2",
            "DIALER_SIP__BASE_SIP_PORT": str(ports.workers_sip),
            "DIALER_SIP__BASE_RTP_PORT": str(ports.workers_rtp),
            "DIALER_RUN__HANDLER": "tests.supervisor.line_handler:ReportingLine",
            "DIALER_RUN__HANDLER_OPTIONS__SECONDS": "1",
            "DIALER_RUN__CLAIM_INTERVAL_SECONDS": "0.2",
            "DIALER_SCHEDULER__PLANNER_INTERVAL_SECONDS": "5",
            "DIALER_SCHEDULER__HOST_ID": f"sup-{ports.peer_sip}",
            "DIALER_METRICS__PORT": str(ports.metrics),
            "HF_HUB_OFFLINE": "1",
        }
    )
    base.update(env)
    return Daemon(base, tmp / f"run-{ports.peer_sip}.log")


@pytest.fixture
def daemons() -> Iterator[list[Daemon]]:
    made: list[Daemon] = []
    yield made
    for d in made:
        d.kill_all()


def summary(out: str) -> dict[str, object]:
    return json.loads(out.strip().splitlines()[-1])  # type: ignore[no-any-return]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def ledger_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'ledger.db'}"
    return str(request.getfixturevalue("postgres_url"))
