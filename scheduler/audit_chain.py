"""The hash-chained audit log: evidence that cannot be quietly edited.

Each entry's hash is SHA-256 over its canonical JSON (id, time, kind, subject, source row, payload) and the
previous entry's hash; the first entry follows 64 zeros. What goes on the chain:

    audit       every row of the append-only `audit_log` (dial decisions policy.allow/deny, call outcomes,
                refusals, operator actions), its whole content copied into the payload
    recording   each recording's path and SHA-256
    disclosure  each required disclosure played on a call, with its start and end (seconds since answer)
    qa.finding  each inspection finding

Writers: `append_in` adds entries inside the caller's transaction (a finding and its chain entry commit
together); `seal` copies the audit rows and recordings not on the chain yet. Concurrent writers are safe on
both backends: PostgreSQL serializes appends with a transaction-scoped advisory lock, and on either backend
`prev_hash` is unique, so a writer that read a stale head fails its insert and `retrying` runs it again.
`verify` walks the chain and names the first entry whose link, hash or sealed source row does not match.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from scheduler.ledger import BackendError
from scheduler.models import AuditChainEntry, AuditEntry, QaFinding, Recording, utcnow

GENESIS = "0" * 64
ADVISORY_LOCK = 0x0A0D17  # PostgreSQL advisory lock key of the chain's head
PAGE = 500
LOOKBACK = 1000  # audit ids below the newest sealed one that may still be unsealed
RETRIES = 8
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Entry:
    kind: str
    subject: str
    source_id: int | None
    payload: dict[str, Any]


@dataclass(frozen=True, slots=True)
class ChainRow:
    id: int
    at: dt.datetime
    kind: str
    subject: str
    source_id: int | None
    payload: dict[str, Any]
    prev_hash: str
    hash: str

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "at": self.at.isoformat(),
            "kind": self.kind,
            "subject": self.subject,
            "source_id": self.source_id,
            "payload": self.payload,
            "prev_hash": self.prev_hash,
            "hash": self.hash,
        }


@dataclass(frozen=True)
class Verification:
    entries: int
    head: str  # the last entry's hash (GENESIS when empty): note it down to detect a cut tail later
    broken_id: int | None = None
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.broken_id is None


def plain(value: Any) -> Any:
    """JSON-native form (what the JSON column gives back), so a hash computed now matches one re-read."""
    return json.loads(json.dumps(value, default=str, sort_keys=True))


def entry_hash(
    entry_id: int, at: dt.datetime, kind: str, subject: str, source_id: int | None, payload: Any, prev: str
) -> str:
    body = {
        "id": entry_id,
        "at": at.astimezone(dt.UTC).isoformat(),
        "kind": kind,
        "subject": subject,
        "source_id": source_id,
        "payload": plain(payload),
        "prev": prev,
    }
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def row_hash(row: ChainRow) -> str:
    return entry_hash(row.id, row.at, row.kind, row.subject, row.source_id, row.payload, row.prev_hash)


def retrying(engine: Engine, write: Callable[[Connection], T]) -> T:
    """Run `write` in one transaction; again when a concurrent append took the head first."""
    for attempt in range(RETRIES):
        try:
            with engine.begin() as conn:
                return write(conn)
        except (sa.exc.IntegrityError, sa.exc.OperationalError) as exc:
            if attempt == RETRIES - 1 or not _contended(exc):
                raise BackendError(f"appending to the audit chain failed: {exc.__class__.__name__}") from exc
            time.sleep(0.01 * (attempt + 1))
        except sa.exc.SQLAlchemyError as exc:
            raise BackendError(f"appending to the audit chain failed: {exc.__class__.__name__}") from exc
    raise AssertionError("unreachable")


def _contended(exc: sa.exc.DBAPIError) -> bool:
    text = str(exc.orig).lower()
    return any(word in text for word in ("prev_hash", "unique", "locked", "busy", "duplicate"))


def append_in(conn: Connection, entries: Sequence[Entry], now: dt.datetime | None = None) -> list[ChainRow]:
    """Append `entries` in order inside the caller's transaction; the rows as written."""
    if not entries:
        return []
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK})
    at = (now or utcnow()).astimezone(dt.UTC)
    head = conn.execute(
        sa.select(AuditChainEntry.id, AuditChainEntry.hash).order_by(AuditChainEntry.id.desc()).limit(1)
    ).first()
    last_id, prev = (int(head[0]), str(head[1])) if head else (0, GENESIS)
    written: list[ChainRow] = []
    for entry in entries:
        last_id += 1
        payload = plain(entry.payload)
        digest = entry_hash(last_id, at, entry.kind, entry.subject, entry.source_id, payload, prev)
        row = ChainRow(last_id, at, entry.kind, entry.subject, entry.source_id, payload, prev, digest)
        conn.execute(
            sa.insert(AuditChainEntry).values(
                id=row.id,
                at=row.at,
                kind=row.kind,
                subject=row.subject,
                source_id=row.source_id,
                payload=row.payload,
                prev_hash=row.prev_hash,
                hash=row.hash,
            )
        )
        written.append(row)
        prev = digest
    return written


def audit_payload(row: Any) -> dict[str, Any]:
    """An audit_log row's whole content, as sealed."""
    return plain(
        {
            "at": row.at.astimezone(dt.UTC).isoformat(),
            "actor": row.actor,
            "action": row.action,
            "subject": row.subject,
            "rule": row.rule,
            "profile_versions": row.profile_versions or {},
            "detail": row.detail or {},
        }
    )


def recording_payload(row: Any) -> dict[str, Any]:
    return {"attempt_id": int(row.attempt_id), "path": row.path, "sha256": row.sha256}


def seal(engine: Engine, now: dt.datetime | None = None) -> int:
    """Put the audit rows and recordings not yet on the chain onto it; how many entries were added."""
    total = 0
    while True:
        added = retrying(engine, lambda conn: _seal_page(conn, now))
        total += added
        if added < PAGE:
            return total


def _seal_page(conn: Connection, now: dt.datetime | None) -> int:
    if conn.dialect.name == "postgresql":  # decide what is new under the lock, not before it
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK})
    entries: list[Entry] = []
    # Not simply "after the last sealed id": on PostgreSQL a lower id can commit after a higher one.
    sealed = sa.select(AuditChainEntry.source_id).where(
        AuditChainEntry.kind == "audit", AuditChainEntry.source_id > _last_source(conn, "audit") - LOOKBACK
    )
    for row in conn.execute(
        sa.select(AuditEntry.__table__)
        .where(AuditEntry.id > _last_source(conn, "audit") - LOOKBACK, AuditEntry.id.not_in(sealed))
        .order_by(AuditEntry.id)
        .limit(PAGE)
    ):
        entries.append(Entry("audit", row.subject, int(row.id), audit_payload(row)))
    last_recording = _last_source(conn, "recording")
    for rec in conn.execute(
        sa.select(Recording.__table__).where(Recording.id > last_recording).order_by(Recording.id).limit(PAGE)
    ):
        entries.append(Entry("recording", f"attempt:{rec.attempt_id}", int(rec.id), recording_payload(rec)))
    append_in(conn, entries, now)
    return len(entries)


def _last_source(conn: Connection, kind: str) -> int:
    found = conn.scalar(sa.select(sa.func.max(AuditChainEntry.source_id)).where(AuditChainEntry.kind == kind))
    return int(found or 0)


def _rows(conn: Connection, where: Any = None) -> Iterator[ChainRow]:
    after = 0
    while True:
        query = sa.select(AuditChainEntry.__table__).where(AuditChainEntry.id > after)
        if where is not None:
            query = query.where(where)
        page = conn.execute(query.order_by(AuditChainEntry.id).limit(PAGE)).all()
        for r in page:
            yield ChainRow(r.id, r.at, r.kind, r.subject, r.source_id, dict(r.payload), r.prev_hash, r.hash)
        if len(page) < PAGE:
            return
        after = page[-1].id


def verify(engine: Engine) -> Verification:
    """Walk the whole chain: each link, each hash, and each sealed source row still as sealed."""
    try:
        with engine.connect() as conn:
            prev, count = GENESIS, 0
            for row in _rows(conn):
                reason = _broken(conn, row, prev)
                if reason:
                    return Verification(count, prev, row.id, reason)
                prev, count = row.hash, count + 1
            return Verification(count, prev)
    except sa.exc.SQLAlchemyError as exc:
        raise BackendError(f"reading the audit chain failed: {exc.__class__.__name__}") from exc


def _broken(conn: Connection, row: ChainRow, prev: str) -> str:
    if row.prev_hash != prev:
        return "its previous-entry hash does not match the entry before it (an entry was removed or inserted)"
    if row_hash(row) != row.hash:
        return "its content no longer matches its hash (the chain entry was edited)"
    if row.kind == "audit" and row.source_id is not None:
        source = conn.execute(sa.select(AuditEntry.__table__).where(AuditEntry.id == row.source_id)).first()
        if source is None:
            return f"audit_log row {row.source_id} it seals is gone"
        if audit_payload(source) != row.payload:
            return f"audit_log row {row.source_id} it seals was changed"
    elif row.kind == "recording" and row.source_id is not None:
        rec = conn.execute(sa.select(Recording.__table__).where(Recording.id == row.source_id)).first()
        if rec is not None and recording_payload(rec) != row.payload:
            return f"recording row {row.source_id} it seals was changed"
    elif row.kind == "qa.finding" and row.source_id is not None:
        found = conn.execute(sa.select(QaFinding.__table__).where(QaFinding.id == row.source_id)).first()
        if found is not None and (found.rule, found.severity) != (
            row.payload["rule"],
            row.payload["severity"],
        ):
            return f"finding {row.source_id} it seals was changed"
    return ""


def segment(engine: Engine, subjects: Iterable[str]) -> list[ChainRow]:
    """The chain entries about these subjects (e.g. attempt:12), in chain order."""
    wanted = sorted(set(subjects))
    out: list[ChainRow] = []
    with engine.connect() as conn:
        for start in range(0, len(wanted), PAGE):
            out.extend(_rows(conn, AuditChainEntry.subject.in_(wanted[start : start + PAGE])))
    return sorted(out, key=lambda r: r.id)


def check_segment(entries: Iterable[dict[str, Any]]) -> tuple[int, int | None, str]:
    """Offline check of an exported segment: every entry's hash recomputes from its own fields.
    (count, first broken id or None, reason)."""
    count = 0
    for e in entries:
        row = ChainRow(
            int(e["id"]),
            dt.datetime.fromisoformat(e["at"]),
            e["kind"],
            e["subject"],
            e["source_id"],
            e["payload"],
            e["prev_hash"],
            e["hash"],
        )
        if row_hash(row) != row.hash:
            return count, row.id, "its content no longer matches its hash"
        count += 1
    return count, None, ""


def in_chain(engine: Engine, entries: Iterable[dict[str, Any]]) -> int | None:
    """The first exported entry whose hash is not in this database's chain at that id (None: all are)."""
    with engine.connect() as conn:
        for e in entries:
            found = conn.scalar(sa.select(AuditChainEntry.hash).where(AuditChainEntry.id == int(e["id"])))
            if found != e["hash"]:
                return int(e["id"])
    return None
