"""A 50 MB call list imports through the CLI with bounded memory (generated here, never committed)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

TARGET_BYTES = 50 * 1024 * 1024


def _write_50mb(path: Path) -> int:
    """Wide rows (a long notes column, as real exports have) so the file is big but the test stays quick."""
    notes = "customer asked for a call after work; prefers English; " * 16
    rows = 0
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write("account,name,phone,amount,due_date,state,notes\n")
        while handle.tell() < TARGET_BYTES:
            handle.write(
                f"L{rows:07d},Person {rows},+1617{2000000 + rows:07d},{10 + rows % 500}.25,2026-12-05,MA,"
                f'"{notes}{rows}"\n'
            )
            rows += 1
    return rows


def _peak_rss_kb(child: subprocess.Popen[bytes]) -> int:
    """The child's own high-water RSS (VmHWM), sampled until it exits. Not `wait4`'s ru_maxrss: on Linux a
    forked child inherits the parent's high-water mark through exec, so a big test process would count."""
    peak = 0
    status = Path(f"/proc/{child.pid}/status")
    while child.poll() is None:
        try:
            for line in status.read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak = max(peak, int(line.split()[1]))
        except (OSError, ValueError):
            pass
        time.sleep(0.02)
    return peak


@pytest.mark.slow
def test_50_mb_file_imports_with_bounded_memory(tmp_path: Path, sqlite_url: str) -> None:
    from scheduler import migrations

    path = tmp_path / "big.csv"
    rows = _write_50mb(path)
    assert path.stat().st_size >= TARGET_BYTES
    migrations.upgrade(sqlite_url)
    env = dict(os.environ, DIALER_DATABASE__URL=sqlite_url, DIALER_DATA_DIR=str(tmp_path / "data"))
    out, err = tmp_path / "out.txt", tmp_path / "err.txt"
    with out.open("w") as stdout, err.open("w") as stderr:
        child = subprocess.Popen(
            [sys.executable, "-m", "dialer.cli.main", "import", str(path), "--campaign", "big", "--create",
             "--json"],
            env=env,
            stdout=stdout,
            stderr=stderr,
        )  # fmt: skip
        peak_kb = _peak_rss_kb(child)
    assert child.returncode == 0, err.read_text()
    summary = json.loads(out.read_text())
    assert (summary["rows"], summary["imported"], summary["rejected"]) == (rows, rows, 0)
    peak_mb = peak_kb / 1024
    assert peak_mb < 250, f"import of a 50 MB file peaked at {peak_mb:.0f} MB"
    print(f"{rows} rows, {path.stat().st_size / 1e6:.0f} MB, peak RSS {peak_mb:.0f} MB")
