"""Writing an import batch: set-based upserts per chunk, no per-row ORM flush.

Per chunk: one SELECT each for the debtors, accounts and numbers it touches (IN lists), executemany
INSERT for the new ones, executemany UPDATE for the changed ones, nothing for unchanged rows (so a
re-import writes nothing and `updated_at` stays). Compliance flags (attorney, cease) only ratchet up: an
old list never clears a flag a call or an operator set. Active do-not-call entries are loaded once per
batch; a row whose every number is blocked (or whose person is) is kept out and counted as suppressed.
The per-row statements go through `raw_sql.RawSql` (driver values, no per-row SQLAlchemy processing).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import sqlalchemy as sa

from scheduler.importing.raw_sql import RawSql, as_day, as_json, as_money, as_ts
from scheduler.ledger import AccountsElsewhere, ImportChunk, ImportCounts, ImportHeader, ImportRow
from scheduler.models import DncEntry, ImportBatch
from scheduler.vocabulary import AccountStatus, DncScope, NumberStatus

BATCHES = cast(sa.Table, ImportBatch.__table__)
DNC = cast(sa.Table, DncEntry.__table__)
DEBTOR_FIELDS = ("first_name", "last_name", "language", "country", "state", "postal_code")
ACCOUNT_FIELDS = ("debtor_id", "campaign_id", "amount_due", "currency", "due_date")


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
    moved: int = 0
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
            self.moved,
        )


def write_batch(
    conn: sa.Connection,
    header: ImportHeader,
    campaign_id: int,
    chunks: Iterable[ImportChunk],
    now: dt.datetime,
) -> ImportCounts:
    """Everything inside the caller's transaction; returns the counts (the batch row is updated too)."""
    if conn.dialect.name == "postgresql":
        # The tables grow while the batch runs: a generic plan made for the first, small chunks would
        # seq-scan them for every later IN (...) lookup.
        conn.exec_driver_sql("SET LOCAL plan_cache_mode = force_custom_plan")
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
    for scope, e164, debtor_id in conn.execute(
        sa.select(DNC.c.scope, DNC.c.e164, DNC.c.debtor_id).where(DNC.c.removed_at.is_(None))
    ):
        if scope == DncScope.person and debtor_id is not None:
            tally.blocked_debtors.add(debtor_id)
        elif e164:
            tally.blocked_numbers.add(e164)
    for chunk in chunks:
        tally.rows += len(chunk.rows) + len(chunk.rejects) + chunk.duplicates
        tally.rejected += len(chunk.rejects)
        tally.duplicates += chunk.duplicates
        RawSql(conn).insert(
            "import_rejects",
            ("batch_id", "line", "reason", "raw"),
            [(batch_id, r.line, r.reason[:500], r.raw) for r in chunk.rejects],
        )
        if chunk.rows:
            _write_rows(conn, chunk.rows, campaign_id, batch_id, tally, now, header.move)
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


def _write_rows(
    conn: sa.Connection,
    rows: Sequence[ImportRow],
    campaign_id: int,
    batch_id: int,
    tally: Tally,
    now: dt.datetime,
    move: bool = False,
) -> None:
    raw = RawSql(conn)
    stamp = raw.ts(now)
    # ---- debtors: the last row of a person in the chunk carries the person's fields
    people: dict[str, ImportRow] = {row.debtor_ref: row for row in rows}
    existing = {
        r[1]: r
        for r in raw.select_in(
            f"SELECT id, debtor_ref, attorney, cease_requested, {', '.join(DEBTOR_FIELDS)} FROM debtors",
            "debtor_ref",
            people,
        )
    }
    debtor_ids: dict[str, int] = {ref: r[0] for ref, r in existing.items()}
    kept: list[ImportRow] = []
    for row in rows:
        old = existing.get(row.debtor_ref)
        open_numbers = [n for n in row.numbers if n.e164 not in tally.blocked_numbers]
        tally.numbers_suppressed += len(row.numbers) - len(open_numbers)
        if not open_numbers or (old is not None and old[0] in tally.blocked_debtors):
            tally.suppressed += 1
        else:
            kept.append(row)
    kept_people = list(dict.fromkeys(r.debtor_ref for r in kept))
    new_people = [people[ref] for ref in kept_people if ref not in existing]
    raw.insert(
        "debtors",
        (
            "debtor_ref",
            *DEBTOR_FIELDS,
            "attorney",
            "cease_requested",
            "inconvenient_times",
            "created_at",
            "updated_at",
        ),
        [
            (
                p.debtor_ref,
                *_debtor_fields(p),
                raw.flag(p.attorney),
                raw.flag(p.cease_requested),
                "[]",
                stamp,
                stamp,
            )
            for p in new_people
        ],
        json_columns=("inconvenient_times",),
    )
    if new_people:
        found = raw.select_in(
            "SELECT debtor_ref, id FROM debtors", "debtor_ref", (p.debtor_ref for p in new_people)
        )
        debtor_ids.update(dict(found))
    changed_debtors: set[str] = set()
    updates = []
    for ref in kept_people:
        old = existing.get(ref)
        if old is None:
            continue
        person = people[ref]
        attorney, cease = person.attorney or bool(old[2]), person.cease_requested or bool(old[3])
        fields = _debtor_fields(person)
        if fields != tuple(old[4:]) or (attorney, cease) != (bool(old[2]), bool(old[3])):
            updates.append((*fields, raw.flag(attorney), raw.flag(cease), stamp, old[0]))
            changed_debtors.add(ref)
    raw.update("debtors", (*DEBTOR_FIELDS, "attorney", "cease_requested", "updated_at"), updates)

    # ---- contact numbers of the kept people
    have: dict[tuple[int, str], Any] = {
        (r[1], r[2]): r
        for r in raw.select_in(
            "SELECT id, debtor_id, e164, line_type, region, area_code_zones, personal, priority, consent_at"
            " FROM contact_numbers",
            "debtor_id",
            {debtor_ids[ref] for ref in kept_people},
        )
    }
    new_numbers: list[tuple[Any, ...]] = []
    number_updates: list[tuple[Any, ...]] = []
    changed_numbers: set[str] = set()
    touched: set[tuple[int, str]] = set()  # two accounts of one person in a chunk share the numbers
    for row in kept:
        debtor_id = debtor_ids[row.debtor_ref]
        for priority, number in enumerate(n for n in row.numbers if n.e164 not in tally.blocked_numbers):
            key = (debtor_id, number.e164)
            if key in touched:
                continue
            touched.add(key)
            zones = list(number.zones)
            old = have.get(key)
            if old is None:
                new_numbers.append(
                    (
                        debtor_id,
                        number.e164,
                        number.line_type,
                        number.region,
                        raw.json(zones),
                        raw.flag(number.personal),
                        priority,
                        raw.ts(row.consent_at),
                        NumberStatus.valid.value,
                    )
                )
                changed_numbers.add(row.account_ref)
                continue
            consent = row.consent_at or as_ts(old[8])
            now_values = (number.line_type, number.region, zones, number.personal, priority, consent)
            if (old[3], old[4], as_json(old[5]), bool(old[6]), old[7], as_ts(old[8])) != now_values:
                number_updates.append(
                    (
                        number.line_type,
                        number.region,
                        raw.json(zones),
                        raw.flag(number.personal),
                        priority,
                        raw.ts(consent),
                        old[0],
                    )
                )
                changed_numbers.add(row.account_ref)
    raw.insert(
        "contact_numbers",
        (
            "debtor_id",
            "e164",
            "line_type",
            "region",
            "area_code_zones",
            "personal",
            "priority",
            "consent_at",
            "status",
        ),
        new_numbers,
        json_columns=("area_code_zones",),
    )
    raw.update(
        "contact_numbers",
        ("line_type", "region", "area_code_zones", "personal", "priority", "consent_at"),
        number_updates,
        json_columns=("area_code_zones",),
    )

    # ---- accounts
    accounts = {
        r[1]: r
        for r in raw.select_in(
            "SELECT id, account_ref, debtor_id, campaign_id, amount_due, currency, due_date FROM accounts",
            "account_ref",
            (r.account_ref for r in kept),
        )
    }
    elsewhere = [(row, accounts[row.account_ref][3]) for row in kept if row.account_ref in accounts]
    elsewhere = [(row, other) for row, other in elsewhere if other != campaign_id]
    if elsewhere and not move:
        row, other = elsewhere[0]
        name = conn.scalar(sa.text("SELECT name FROM campaigns WHERE id = :id"), {"id": other})
        raise AccountsElsewhere(
            f"line {row.line}: account {row.account_ref!r} belongs to campaign {name!r} ({len(elsewhere)} "
            "such account(s) in this part of the file): import it into that campaign, or pass --move to "
            "move the accounts here; nothing was imported"
        )
    tally.moved += len(elsewhere)
    new_accounts: list[tuple[Any, ...]] = []
    account_updates: list[tuple[Any, ...]] = []
    for row in kept:
        debtor_id = debtor_ids[row.debtor_ref]
        old = accounts.get(row.account_ref)
        values = (debtor_id, campaign_id, raw.money(row.amount_due), row.currency, raw.day(row.due_date))
        if old is None:
            new_accounts.append((row.account_ref, *values, AccountStatus.open.value, stamp, stamp, batch_id))
            tally.imported += 1
        elif (old[2], old[3], as_money(old[4]), old[5], as_day(old[6])) != (
            debtor_id,
            campaign_id,
            row.amount_due,
            row.currency,
            row.due_date,
        ):
            account_updates.append((*values, stamp, batch_id, old[0]))
            tally.updated += 1
        elif row.debtor_ref in changed_debtors or row.account_ref in changed_numbers:
            tally.updated += 1
        else:
            tally.unchanged += 1
    raw.insert(
        "accounts",
        ("account_ref", *ACCOUNT_FIELDS, "status", "created_at", "updated_at", "import_batch_id"),
        new_accounts,
    )
    raw.update("accounts", (*ACCOUNT_FIELDS, "updated_at", "import_batch_id"), account_updates)


def _debtor_fields(row: ImportRow) -> tuple[Any, ...]:
    """The values of DEBTOR_FIELDS, in that order (all text, so identical on every backend)."""
    return (row.first_name, row.last_name, row.language, row.country, row.state, row.postal_code)
