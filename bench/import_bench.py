"""Import throughput: a generated call list into a fresh SQLite file and a fresh PostgreSQL database.

    .venv/bin/python bench/import_bench.py [--rows 100000] [--no-postgres] [--quick]

Prints rows/s for the first import and for the re-import of the same file (nothing changes), per backend,
plus where the time goes (file passes vs. ledger writes) measured in the same run. PostgreSQL comes from
DIALER_TEST_POSTGRES_URL; a temporary database is created and dropped.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Iterable
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scheduler import migrations
from scheduler.importing import ImportOptions, import_file
from scheduler.importing.phones import check_number
from scheduler.ledger import CampaignSpec, ImportChunk, ImportCounts, ImportHeader
from scheduler.sql_ledger import SqlLedger

AREAS = ("617", "212", "415", "808", "312", "850", "206", "305", "713", "404")
STATES = ("MA", "NY", "CA", "HI", "IL", "FL", "WA", "FL", "TX", "GA")


def generate(path: Path, rows: int) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            [
                "account",
                "customer id",
                "first_name",
                "last_name",
                "phone",
                "phone2",
                "amount",
                "due_date",
                "state",
                "zip",
            ]
        )
        for i in range(rows):
            k = i % 10
            second = (
                f"{AREAS[(k + 1) % 10]}-{300 + i // 10000 % 600:03d}-{(i * 7) % 10000:04d}"
                if i % 3 == 0
                else ""
            )
            writer.writerow(
                [
                    f"AC{i:08d}",
                    f"CU{i // 2:08d}",
                    f"First{i}",
                    f"Last{i % 997}",
                    f"({AREAS[k]}) {200 + i // 10000 % 700:03d}-{i % 10000:04d}",
                    second,
                    f"{(i * 37) % 900 + 1},{(i * 13) % 1000:03d}.{i % 100:02d}",
                    f"2026-{1 + i % 12:02d}-{1 + i % 28:02d}",
                    STATES[k],
                    f"{(i * 11) % 99999:05d}",
                ]
            )


def run(url: str, path: Path, rows: int, label: str) -> None:
    migrations.upgrade(url)
    ledger = SqlLedger.open(url)
    try:
        ledger.create_campaign(CampaignSpec("bench"))
        for attempt in ("import", "re-import"):
            check_number.cache_clear()
            start = time.perf_counter()
            result = import_file(ledger, path, ImportOptions("bench", region="US"))
            seconds = time.perf_counter() - start
            s = result.summary()
            print(
                f"{label:8s} {attempt:9s} {rows / seconds:9.0f} rows/s  ({seconds:5.2f} s;"
                f" imported {s['imported']}, updated {s['updated']}, rejected {s['rejected']},"
                f" duplicates {s['duplicates']})"
            )
    finally:
        ledger.close()


class Discard(SqlLedger):
    """A real ledger that reads every chunk the importer hands it and writes an empty batch."""

    def import_batch(self, header: ImportHeader, chunks: Iterable[ImportChunk]) -> ImportCounts:
        for _ in chunks:
            pass
        return super().import_batch(header, [])


def parse_only(url: str, path: Path, rows: int) -> None:
    """The same file through reading and validation only (a ledger that writes no rows)."""
    migrations.upgrade(url)
    ledger = Discard.open(url)
    ledger.create_campaign(CampaignSpec("bench"))
    check_number.cache_clear()
    start = time.perf_counter()
    import_file(ledger, path, ImportOptions("bench", region="US"))
    seconds = time.perf_counter() - start
    print(
        f"{'(none)':8s} {'read+check':9s} {rows / seconds:9.0f} rows/s  ({seconds:5.2f} s:"
        " both file passes, no writes)"
    )
    ledger.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--quick", action="store_true", help="2000 rows, SQLite only")
    args = parser.parse_args()
    if args.quick:
        args.rows, args.no_postgres = 2000, True
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.csv"
        generate(path, args.rows)
        print(f"{args.rows} rows, {path.stat().st_size / 1e6:.1f} MB CSV, python {sys.version.split()[0]}")
        parse_only(f"sqlite:///{Path(tmp) / 'discard.db'}", path, args.rows)
        run(f"sqlite:///{Path(tmp) / 'bench.db'}", path, args.rows, "sqlite")
        server = os.environ.get("DIALER_TEST_POSTGRES_URL")
        if args.no_postgres or not server:
            print("postgres skipped (set DIALER_TEST_POSTGRES_URL)")
            return
        name = f"dialer_bench_{uuid.uuid4().hex[:8]}"
        admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        try:
            run(server.rsplit("/", 1)[0] + "/" + name, path, args.rows, "postgres")
        finally:
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


if __name__ == "__main__":
    main()
