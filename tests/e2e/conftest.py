"""Fixtures for the end-to-end tests: ports in this part's ranges, the dialer as an operator runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from dialer.callee.ports import port_free
from tests.sip.peers import Procs

REPO = Path(__file__).resolve().parents[2]
PERSONAS = REPO / "dialer" / "callee" / "personas"
SIP_PORTS = range(15400, 15500)  # this part's SIP ports
RTP_PORTS = range(38000, 46000)  # and RTP ports (two per call)
_given: set[int] = set()


def take_ports(pool: range, size: int = 1) -> int:
    """A base port of `size` free consecutive UDP ports from `pool`, never handed out twice in one run.
    Bases step by at most 20, so a busy port (the kernel hands out ephemeral ports in this range too)
    costs a small shift rather than the whole block."""
    for base in range(pool.start, pool.stop - size + 1, min(max(size, 1), 20)):
        block = range(base, base + size)
        if not _given.intersection(block) and all(port_free(p) for p in block):
            _given.update(block)
            return base
    raise RuntimeError(f"no {size} free ports left in {pool}")


def dialer(
    *args: str, env: dict[str, str] | None = None, timeout: int = 60, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """`dialer ARGS` in a fresh process, with no DIALER_* from the caller's environment."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("DIALER_")}
    full_env["HF_HUB_OFFLINE"] = "1"
    full_env.update(env or {})
    return subprocess.run(
        ["timeout", str(timeout), sys.executable, "-m", "dialer.cli.main", *args],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=timeout + 5,
        cwd=cwd,
    )


@pytest.fixture
def procs() -> Iterator[Procs]:
    p = Procs()
    yield p
    p.close()
