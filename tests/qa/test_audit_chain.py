"""The hash-chained audit log on SQLite and PostgreSQL: sealing, concurrent writers, tampering named."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa

from scheduler import audit_chain, migrations
from scheduler.db import create_engine
from scheduler.models import AuditChainEntry, AuditEntry
from tests.reports.conftest import Site

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


def _disable_triggers(conn: sa.Connection, table: str) -> None:
    """What someone with database access would do to edit the log quietly."""
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql(f"DROP TRIGGER {table}_no_update")
    else:
        conn.exec_driver_sql(f"ALTER TABLE {table} DISABLE TRIGGER {table}_no_update")


def test_verify_passes_then_names_the_tampered_audit_row(small_site: tuple[Site, dict[str, int]]) -> None:
    site, attempts = small_site
    assert "entries sealed" in site.run("audit", "seal").output
    ok = site.run("audit", "verify", "--json")
    assert ok.exit_code == 0, ok.output
    intact = json.loads(ok.output)
    assert intact["broken_id"] is None and intact["entries"] > 0
    engine = create_engine(site.url)
    try:
        with engine.begin() as conn:
            subject = f"attempt:{attempts['Q02']}"
            audit_id = conn.scalar(
                sa.select(AuditEntry.id).where(
                    AuditEntry.subject == subject, AuditEntry.action == "call.outcome"
                )
            )
            entry_id = conn.scalar(
                sa.select(AuditChainEntry.id).where(
                    AuditChainEntry.kind == "audit", AuditChainEntry.source_id == audit_id
                )
            )
            _disable_triggers(conn, "audit_log")
            conn.execute(
                sa.update(AuditEntry)
                .where(AuditEntry.id == audit_id)
                .values(detail={"disposition": "promise_to_pay"})  # rewrite what happened on the call
            )
    finally:
        engine.dispose()
    broken = site.run("audit", "verify")
    assert broken.exit_code == 1
    assert f"entry {entry_id}" in broken.output and f"audit_log row {audit_id}" in broken.output


def test_an_edited_chain_entry_is_named(small_site: tuple[Site, dict[str, int]]) -> None:
    site, _ = small_site
    assert site.run("qa", "run").exit_code == 0
    engine = create_engine(site.url)
    try:
        with engine.begin() as conn:
            victim = conn.scalar(sa.select(AuditChainEntry.id).where(AuditChainEntry.kind == "disclosure"))
            _disable_triggers(conn, "audit_chain")
            conn.execute(
                sa.update(AuditChainEntry)
                .where(AuditChainEntry.id == victim)
                .values(payload={"kind": "automated"})
            )
    finally:
        engine.dispose()
    result = json.loads(site.run("audit", "verify", "--json").output)
    assert result["broken_id"] == victim and "edited" in result["reason"]


def test_the_chain_refuses_update_and_delete(sqlite_url: str) -> None:
    migrations.upgrade(sqlite_url)
    engine = create_engine(sqlite_url)
    try:
        with engine.begin() as conn:
            audit_chain.append_in(conn, [audit_chain.Entry("audit", "x", None, {"a": 1})])
        for statement in (sa.update(AuditChainEntry).values(subject="y"), sa.delete(AuditChainEntry)):
            with pytest.raises(sa.exc.DatabaseError), engine.begin() as conn:
                conn.execute(statement)
    finally:
        engine.dispose()


@pytest.mark.parametrize("backend", BACKENDS)
def test_concurrent_writers_never_fork_the_chain(backend: str, request: pytest.FixtureRequest) -> None:
    url = str(request.getfixturevalue("sqlite_url" if backend == "sqlite" else "postgres_url"))
    migrations.upgrade(url)
    engine = create_engine(url)
    writers, each = 4, 15
    errors: list[BaseException] = []

    def write(n: int) -> None:
        try:
            for i in range(each):
                entry = audit_chain.Entry(
                    "qa.finding", f"attempt:{n}", None, {"rule": "r", "severity": "minor", "i": i}
                )
                audit_chain.retrying(engine, lambda conn, e=entry: audit_chain.append_in(conn, [e]))  # type: ignore[misc]
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors, errors
        result = audit_chain.verify(engine)
        assert result.ok and result.entries == writers * each
        with engine.connect() as conn:
            ids = list(conn.scalars(sa.select(AuditChainEntry.id).order_by(AuditChainEntry.id)))
        assert ids == list(range(1, writers * each + 1))
    finally:
        engine.dispose()


def test_an_exported_segment_checks_offline(small_site: tuple[Site, dict[str, int]], tmp_path: Path) -> None:
    site, attempts = small_site
    assert site.run("qa", "run").exit_code == 0
    engine = create_engine(site.url)
    try:
        rows = audit_chain.segment(engine, [f"attempt:{attempts['Q01']}"])
    finally:
        engine.dispose()
    kinds = {r.kind for r in rows}
    assert {"audit", "recording", "disclosure"} <= kinds
    path = tmp_path / "audit_chain.jsonl"
    path.write_text("".join(json.dumps(r.as_json()) + "\n" for r in rows))
    assert site.run("audit", "verify", "--segment", str(path)).exit_code == 0
    lines = path.read_text().splitlines()
    edited = json.loads(lines[1])
    edited["payload"]["detail"] = {"disposition": "refused"}
    path.write_text("\n".join([lines[0], json.dumps(edited), *lines[2:]]) + "\n")
    result = site.run("audit", "verify", "--segment", str(path), "--offline", "--json")
    assert result.exit_code == 1 and json.loads(result.output)["broken_id"] == edited["id"]
