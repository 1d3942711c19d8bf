"""A 50 MB call list imports through the CLI with bounded memory (generated here, never committed)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
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
            [
                sys.executable,
                "-m",
                "dialer.cli.main",
                "import",
                str(path),
                "--campaign",
                "big",
                "--create",
                "--json",
            ],
            env=env,
            stdout=stdout,
            stderr=stderr,
        )
        _, status, usage = os.wait4(child.pid, 0)  # this child's own peak memory, not the suite's
        child.returncode = os.waitstatus_to_exitcode(status)
    assert child.returncode == 0, err.read_text()
    summary = json.loads(out.read_text())
    assert (summary["rows"], summary["imported"], summary["rejected"]) == (rows, rows, 0)
    peak_mb = usage.ru_maxrss / 1024
    assert peak_mb < 250, f"import of a 50 MB file peaked at {peak_mb:.0f} MB"
    print(f"{rows} rows, {path.stat().st_size / 1e6:.0f} MB, peak RSS {peak_mb:.0f} MB")
