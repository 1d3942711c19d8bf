"""The systemd unit in the repo: valid for systemd, SIGTERM stop with room for the drain, SIGHUP reload,
and a hardening set."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from dialer.supervisor.settings import RunSettings

UNIT = Path(__file__).resolve().parents[2] / "deploy" / "reminder-dialer.service"


def _service() -> dict[str, list[str]]:
    values: dict[str, list[str]] = {}
    section = ""
    for line in UNIT.read_text().splitlines():
        line = line.strip()
        if line.startswith("["):
            section = line.strip("[]")
        elif "=" in line and not line.startswith("#") and section == "Service":
            key, _, value = line.partition("=")
            values.setdefault(key, []).append(value)
    return values


def test_unit_stops_with_sigterm_after_the_drain_and_reloads_with_sighup() -> None:
    service = _service()
    assert service["KillSignal"] == ["SIGTERM"]
    assert service["KillMode"] == ["mixed"]  # the supervisor drains; its workers go with it
    stop = float(service["TimeoutStopSec"][0])
    assert stop > RunSettings().drain_seconds  # systemd never SIGKILLs a drain in progress
    assert service["ExecReload"] == ["/bin/kill -HUP $MAINPID"]
    assert service["ExecStart"][0].endswith("dialer run")


def test_unit_is_hardened() -> None:
    service = _service()
    for key, value in {
        "NoNewPrivileges": "yes",
        "ProtectSystem": "strict",
        "ProtectHome": "yes",
        "PrivateTmp": "yes",
        "CapabilityBoundingSet": "",
        "RestrictAddressFamilies": "AF_INET AF_INET6 AF_UNIX",
    }.items():
        assert service.get(key) == [value], key
    assert service["User"] != ["root"]
    assert any("@system-service" in v for v in service["SystemCallFilter"])


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_systemd_accepts_the_unit(tmp_path: Path) -> None:
    unit = tmp_path / "reminder-dialer.service"
    unit.write_text(UNIT.read_text().replace("/opt/reminder-dialer/.venv/bin/dialer run", "/bin/true"))
    done = subprocess.run(
        ["systemd-analyze", "verify", str(unit)], capture_output=True, text=True, timeout=60
    )
    problems = [line for line in done.stderr.splitlines() if "reminder-dialer.service" in line]
    assert done.returncode == 0 and not problems, done.stderr
