"""Writing an import batch with SQLAlchemy Core: set-based upserts per chunk, no per-row ORM flush.

Per chunk: one SELECT each for the debtors, accounts and numbers it touches, executemany INSERT ...
RETURNING for the new ones, executemany UPDATE for the changed ones, nothing for unchanged rows (so a
re-import writes nothing and `updated_at` stays). Compliance flags (attorney, cease) only ratchet up: an
old list never clears a flag a call or an operator set. Active do-not-call entries are loaded once per
batch; a row whose every number is blocked (or whose person is) is kept out and counted as suppressed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, cast

import sqlalchemy as sa

from scheduler.ledger import ImportChunk, ImportCounts, ImportHeader, ImportRow
from scheduler.models import Account, ContactNumber, Debtor, DncEntry, ImportBatch, ImportReject
from scheduler.vocabulary import DncScope

D = cast(sa.Table, Debtor.__table__)
A = cast(sa.Table, Account.__table__)
N = cast(sa.Table, ContactNumber.__table__)
BATCHES = cast(sa.Table, ImportBatch.__table__)
REJECTS = cast(sa.Table, ImportReject.__table__)
DNC = cast(sa.Table, DncEntry.__table__)
DEBTOR_FIELDS = ("first_name", "last_name", "language", "country", "state", "postal_code")
ACCOUNT_FIELDS = ("debtor_id", "campaign_id", "amount_due", "currency", "due_date")
NUMBER_FIELDS = ("line_type", "region", "area_code_zones", "personal", "priority")
IN_BATCH = 900  # bound parameters per IN (...) list


@dataclass
class Tally:
    rows: int = 0
    imported: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    suppressed: int = 0
    duplicates: int = 0
    numbers_suppressed: int = 0
    blocked_numbers: set[str] = field(default_factory=set)
    blocked_debtors: set[int] = field(default_factory=set)

    def counts(self, batch: int) -> ImportCounts:
        return ImportCounts(
            batch,
            self.rows,
            self.imported,
            self.updated,
            self.unchanged,
            self.rejected,
            self.suppressed,
            self.duplicates,
            self.numbers_suppressed,
        )


def write_batch(
    conn: sa.Connection,
    header: ImportHeader,
    campaign_id: int,
    chunks: Iterable[ImportChunk],
    now: dt.datetime,
) -> ImportCounts:
    """Everything inside the caller's transaction; returns the counts (the batch row is updated too)."""
    batch_id = conn.execute(
        sa.insert(BATCHES).returning(BATCHES.c.id),
        {
            "campaign_id": campaign_id,
            "filename": header.filename[:255],
            "sha256": header.sha256,
            "started_at": now,
            "dry_run": header.dry_run,
            "quality": {},
        },
    ).scalar_one()
    tally = Tally()
    dnc = DNC
    for scope, e164, debtor_id in conn.execute(
        sa.select(dnc.c.scope, dnc.c.e164, dnc.c.debtor_id).where(dnc.c.removed_at.is_(None))
    ):
        if scope == DncScope.person and debtor_id is not None:
            tally.blocked_debtors.add(debtor_id)
        elif e164:
            tally.blocked_numbers.add(e164)
    for chunk in chunks:
        tally.rows += len(chunk.rows) + len(chunk.rejects) + chunk.duplicates
        tally.rejected += len(chunk.rejects)
        tally.duplicates += chunk.duplicates
        if chunk.rejects:
            conn.execute(
                sa.insert(REJECTS),
                [
                    {"batch_id": batch_id, "line": r.line, "reason": r.reason[:500], "raw": r.raw}
                    for r in chunk.rejects
                ],
            )
        if chunk.rows:
            _write_rows(conn, chunk.rows, campaign_id, batch_id, tally, now)
    conn.execute(
        sa.update(BATCHES)
        .where(BATCHES.c.id == batch_id)
        .values(
            rows=tally.rows,
            imported=tally.imported,
            updated=tally.updated,
            rejected=tally.rejected,
            suppressed=tally.suppressed,
            duplicates=tally.duplicates,
            finished_at=now,
        )
    )
    return tally.counts(batch_id)


def _select_in(conn: sa.Connection, columns: list[Any], key: Any, values: Iterable[Any]) -> list[Any]:
    values = list(values)
    out: list[Any] = []
    for start in range(0, len(values), IN_BATCH):
        out.extend(conn.execute(sa.select(*columns).where(key.in_(values[start : start + IN_BATCH]))))
    return out


def _write_rows(
    conn: sa.Connection,
    rows: list[ImportRow] | Any,
    campaign_id: int,
    batch_id: int,
    tally: Tally,
    now: dt.datetime,
) -> None:
    # ---- debtors: the last row of a person in the chunk carries the person's fields
    people: dict[str, ImportRow] = {row.debtor_ref: row for row in rows}
    existing = {
        r.debtor_ref: r
        for r in _select_in(
            conn,
            [D.c.id, D.c.debtor_ref, D.c.attorney, D.c.cease_requested, *[D.c[f] for f in DEBTOR_FIELDS]],
            D.c.debtor_ref,
            people,
        )
    }
    debtor_ids: dict[str, int] = {ref: r.id for ref, r in existing.items()}
    kept: list[ImportRow] = []
    for row in rows:
        old = existing.get(row.debtor_ref)
        open_numbers = [n for n in row.numbers if n.e164 not in tally.blocked_numbers]
        tally.numbers_suppressed += len(row.numbers) - len(open_numbers)
        if not open_numbers or (old is not None and old.id in tally.blocked_debtors):
            tally.suppressed += 1
        else:
            kept.append(row)
    changed_debtors: set[str] = set()
    new_people = [people[ref] for ref in dict.fromkeys(r.debtor_ref for r in kept) if ref not in existing]
    if new_people:
        result = conn.execute(
            sa.insert(D).returning(D.c.id, D.c.debtor_ref),  # mapped by ref: order is irrelevant
            [_debtor_values(p, now) | {"created_at": now, "inconvenient_times": []} for p in new_people],
        )
        debtor_ids.update({ref: id_ for id_, ref in result})
    updates = []
    for ref in dict.fromkeys(r.debtor_ref for r in kept):
        old = existing.get(ref)
        if old is None:
            continue
        values = _debtor_values(people[ref], now)
        values["attorney"] = values["attorney"] or old.attorney
        values["cease_requested"] = values["cease_requested"] or old.cease_requested
        if any(getattr(old, f) != values[f] for f in (*DEBTOR_FIELDS, "attorney", "cease_requested")):
            updates.append(values | {"b_id": old.id})
            changed_debtors.add(ref)
    if updates:
        conn.execute(sa.update(D).where(D.c.id == sa.bindparam("b_id")), updates)

    # ---- contact numbers of the kept people
    ids = {debtor_ids[r.debtor_ref] for r in kept}
    have: dict[tuple[int, str], Any] = {
        (r.debtor_id, r.e164): r
        for r in _select_in(
            conn,
            [N.c.id, N.c.debtor_id, N.c.e164, N.c.consent_at, *[N.c[f] for f in NUMBER_FIELDS]],
            N.c.debtor_id,
            ids,
        )
    }
    new_numbers: list[dict[str, Any]] = []
    number_updates: list[dict[str, Any]] = []
    changed_numbers: set[str] = set()
    for row in kept:
        debtor_id = debtor_ids[row.debtor_ref]
        for priority, number in enumerate(n for n in row.numbers if n.e164 not in tally.blocked_numbers):
            values = {
                "line_type": number.line_type,
                "region": number.region,
                "area_code_zones": list(number.zones),
                "personal": number.personal,
                "priority": priority,
            }
            old = have.get((debtor_id, number.e164))
            if old is None:
                new_numbers.append(
                    values
                    | {
                        "debtor_id": debtor_id,
                        "e164": number.e164,
                        "consent_at": row.consent_at,
                        "status": "valid",
                    }
                )
                have[(debtor_id, number.e164)] = True  # two accounts of one person share numbers
                changed_numbers.add(row.account_ref)
            elif old is not True and (
                any(getattr(old, f) != values[f] for f in NUMBER_FIELDS)
                or (row.consent_at is not None and old.consent_at != row.consent_at)
            ):
                consent = row.consent_at or old.consent_at
                number_updates.append(values | {"b_id": old.id, "consent_at": consent})
                changed_numbers.add(row.account_ref)
    if new_numbers:
        conn.execute(sa.insert(N), new_numbers)
    if number_updates:
        conn.execute(sa.update(N).where(N.c.id == sa.bindparam("b_id")), number_updates)

    # ---- accounts
    accounts = {
        r.account_ref: r
        for r in _select_in(
            conn,
            [A.c.id, A.c.account_ref, *[A.c[f] for f in ACCOUNT_FIELDS]],
            A.c.account_ref,
            (r.account_ref for r in kept),
        )
    }
    new_accounts: list[dict[str, Any]] = []
    account_updates: list[dict[str, Any]] = []
    for row in kept:
        values = {
            "debtor_id": debtor_ids[row.debtor_ref],
            "campaign_id": campaign_id,
            "amount_due": row.amount_due,
            "currency": row.currency,
            "due_date": row.due_date,
        }
        old = accounts.get(row.account_ref)
        if old is None:
            new_accounts.append(
                values
                | {
                    "account_ref": row.account_ref,
                    "status": "open",
                    "created_at": now,
                    "updated_at": now,
                    "import_batch_id": batch_id,
                }
            )
            tally.imported += 1
            continue
        if any(getattr(old, f) != values[f] for f in ACCOUNT_FIELDS):
            account_updates.append(values | {"b_id": old.id, "updated_at": now, "import_batch_id": batch_id})
            tally.updated += 1
        elif row.debtor_ref in changed_debtors or row.account_ref in changed_numbers:
            tally.updated += 1
        else:
            tally.unchanged += 1
    if new_accounts:
        conn.execute(sa.insert(A), new_accounts)
    if account_updates:
        conn.execute(sa.update(A).where(A.c.id == sa.bindparam("b_id")), account_updates)


def _debtor_values(row: ImportRow, now: dt.datetime) -> dict[str, Any]:
    return {
        "debtor_ref": row.debtor_ref,
        "first_name": row.first_name,
        "last_name": row.last_name,
        "language": row.language,
        "country": row.country,
        "state": row.state,
        "postal_code": row.postal_code,
        "attorney": row.attorney,
        "cease_requested": row.cease_requested,
        "updated_at": now,
    }
