"""A site made by `dialer init` runs from any directory: its scripts and SIP profile are its own copies."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.faults.conftest import free_ports

REPO = Path(__file__).resolve().parents[2]


def dialer(
    cwd: Path, env: dict[str, str], *args: str, timeout: float = 90
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dialer.cli.main", *args], cwd=cwd, env=env, capture_output=True, text=True,
        timeout=timeout, check=False,
    )  # fmt: skip


@pytest.mark.sip
def test_init_then_run_from_another_directory(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    ports = free_ports()
    env = {k: v for k, v in os.environ.items() if not k.startswith("DIALER_")}
    env |= {
        "PYTHONPATH": str(REPO),
        "HF_HUB_OFFLINE": "1",
        "DIALER_SIP__BASE_SIP_PORT": str(ports.workers_sip),
        "DIALER_SIP__BASE_RTP_PORT": str(ports.workers_rtp),
        "DIALER_SIP__WORKERS": "1",
        "DIALER_METRICS__PORT": "0",
        # the plain line-test handler: the start-up checks still read the site's scripts and profile
        "DIALER_RUN__HANDLER": "dialer.sip.handlers:PlayAndHangup",
    }
    made = dialer(elsewhere, env, "init", "site")
    assert made.returncode == 0, made.stderr
    config = str(elsewhere / "site" / "dialer.toml")
    other = tmp_path / "other"
    other.mkdir()  # neither the repository nor the site: nothing may resolve against the working directory
    created = dialer(other, env, "--config", config, "campaign", "create", "june")
    assert created.returncode == 0, created.stderr
    assert dialer(other, env, "--config", config, "campaign", "resume", "june").returncode == 0
    ran = dialer(other, env, "--config", config, "run", "--until-idle", "--json")
    assert ran.returncode == 0, ran.stderr[-3000:]
    assert '"stopped_by": "idle"' in ran.stdout and "event=campaign.paused" not in ran.stderr
