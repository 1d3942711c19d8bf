"""Fixtures for import tests: a migrated ledger database (SQLite file or PostgreSQL) and the CLI on it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from dialer.cli.main import cli
from scheduler import migrations
from scheduler.sql_ledger import SqlLedger

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest) -> str:
    url = str(request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "postgres_url"))
    migrations.upgrade(url)
    return url


@pytest.fixture
def ledger(db_url: str) -> Iterator[SqlLedger]:
    opened = SqlLedger.open(db_url)
    yield opened
    opened.close()


class Dialer:
    """Runs `dialer ...` in-process against one database, with a private data directory."""

    def __init__(self, db_url: str, data_dir: Path) -> None:
        self.env = {"DIALER_DATABASE__URL": db_url, "DIALER_DATA_DIR": str(data_dir), "DIALER_CONFIG": ""}

    def __call__(self, *args: str) -> Result:
        return CliRunner().invoke(cli, list(args), env=self.env, catch_exceptions=False)

    def json(self, *args: str) -> dict[str, Any]:
        result = self(*args, "--json")
        assert result.exit_code == 0, result.output
        lines = [line for line in result.stdout.splitlines() if line.strip()]
        assert len(lines) == 1, f"--json must print exactly one line: {result.stdout!r}"
        parsed: dict[str, Any] = json.loads(lines[0])
        return parsed


@pytest.fixture
def dialer(db_url: str, tmp_path: Path) -> Dialer:
    return Dialer(db_url, tmp_path / "data")


def write_csv(path: Path, header: list[str], rows: list[list[str]], encoding: str = "utf-8") -> Path:
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    path.write_bytes(out.getvalue().encode(encoding))
    return path


def call_list_rows(n: int, *, start: int = 0, bad_every: int = 0) -> tuple[list[list[str]], list[int]]:
    """`n` valid US rows (unique accounts and numbers); with `bad_every`, every k-th row is broken in one
    of five ways. Returns the rows and the file line numbers of the broken ones (header = line 1)."""
    rows: list[list[str]] = []
    bad_lines: list[int] = []
    breakers = [
        lambda r: r.__setitem__(3, "1,234.5O"),  # amount
        lambda r: r.__setitem__(4, "2026-02-30"),  # date
        lambda r: r.__setitem__(2, "555"),  # phone
        lambda r: r.__setitem__(0, ""),  # account ref
        lambda r: r.__setitem__(1, ""),  # name
    ]
    for i in range(start, start + n):
        area = ("617", "212", "415", "808", "312")[i % 5]
        row = [
            f"ACC{i:06d}",
            f"Person{i} Test",
            f"({area}) {200 + i // 10000:03d}-{i % 10000:04d}",
            f"{10 + i % 900}.50",
            "2026-12-05",
            ("MA", "NY", "CA", "HI", "IL")[i % 5],
        ]
        if bad_every and (i - start) % bad_every == bad_every - 1:
            breakers[len(bad_lines) % len(breakers)](row)
            bad_lines.append(len(rows) + 2)
        rows.append(row)
    return rows, bad_lines


HEADER = ["account", "name", "phone", "amount", "due_date", "state"]


class CallLists:
    """Writes call-list files into the test's tmp dir (a fixture, so tests need no imports from here)."""

    header = HEADER

    def __init__(self, root: Path) -> None:
        self.root = root

    rows = staticmethod(call_list_rows)

    def csv(
        self, name: str, rows: list[list[str]], header: list[str] | None = None, encoding: str = "utf-8"
    ) -> Path:
        return write_csv(self.root / name, header or HEADER, rows, encoding)


@pytest.fixture
def lists(tmp_path: Path) -> CallLists:
    return CallLists(tmp_path)
