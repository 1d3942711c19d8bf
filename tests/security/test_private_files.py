"""The ledger file and its WAL are created readable by their owner only. The probe: `dialer.db` was 0644."""

from __future__ import annotations

import os
from pathlib import Path

import sqlalchemy as sa

from scheduler import migrations
from scheduler.db import create_engine


def test_a_new_sqlite_ledger_is_private(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        path = tmp_path / "dialer.db"
        migrations.upgrade(f"sqlite:///{path}")
        engine = create_engine(f"sqlite:///{path}")
        try:
            with engine.begin() as conn:
                conn.execute(sa.text("SELECT 1"))
                for file in (path, Path(f"{path}-wal")):
                    assert file.exists() and file.stat().st_mode & 0o077 == 0, (
                        file,
                        oct(file.stat().st_mode),
                    )
        finally:
            engine.dispose()
    finally:
        os.umask(old)
