"""call measures in columns: machine detection, opening latency, number-status evidence, turn keys

Until 0003 these lived only in each call outcome's audit entry (`detail`); the keypad digits of a turn were
not stored at all. The upgrade copies the audit's values into the new attempt columns, so reports read the
same figures for calls recorded before and after it (the digits of old turns are not recoverable).

No table is rebuilt (`recreate="never"`): SQLite adds and drops these columns in place, while a rebuilt
`attempts` table would fire the ON DELETE CASCADE of its children when the old copy is dropped.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 05:20:00
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None

OUTCOME_ACTION = "call.outcome"  # scheduler.results.ACTION at the time of writing
MACHINE_WORDS = ("human", "machine")
PAGE = 1000

_audit = sa.table(
    "audit_log",
    sa.column("id", sa.Integer),
    sa.column("action", sa.String),
    sa.column("subject", sa.String),
    sa.column("detail", sa.JSON),
)
_attempts = sa.table(
    "attempts",
    sa.column("id", sa.Integer),
    sa.column("machine", sa.String),
    sa.column("opening_ms", sa.Integer),
    sa.column("number_status_evidence", sa.String),
)


def upgrade() -> None:
    with op.batch_alter_table("attempts", recreate="never") as batch_op:
        batch_op.add_column(sa.Column("machine", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("opening_ms", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("number_status_evidence", sa.String(length=200), nullable=True))
    with op.batch_alter_table("call_turns", recreate="never") as batch_op:
        batch_op.add_column(sa.Column("keys", sa.String(length=64), nullable=True))
    with op.batch_alter_table("audit_log", recreate="never") as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_log_subject"), ["subject"], unique=False)
    _copy_from_audit()


def downgrade() -> None:
    with op.batch_alter_table("audit_log", recreate="never") as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_log_subject"))
    with op.batch_alter_table("call_turns", recreate="never") as batch_op:
        batch_op.drop_column("keys")
    with op.batch_alter_table("attempts", recreate="never") as batch_op:
        batch_op.drop_column("number_status_evidence")
        batch_op.drop_column("opening_ms")
        batch_op.drop_column("machine")


def _copy_from_audit() -> None:
    """Each call outcome's measures from its audit entry to its attempt, a page of entries at a time."""
    conn = op.get_bind()
    update = (
        sa.update(_attempts)
        .where(_attempts.c.id == sa.bindparam("attempt_id"))
        .values(
            machine=sa.bindparam("m"),
            opening_ms=sa.bindparam("o"),
            number_status_evidence=sa.bindparam("e"),
        )
    )
    after = 0
    while True:
        rows = conn.execute(
            sa.select(_audit.c.id, _audit.c.subject, _audit.c.detail)
            .where(_audit.c.action == OUTCOME_ACTION, _audit.c.id > after)
            .order_by(_audit.c.id)
            .limit(PAGE)
        ).all()
        if not rows:
            return
        measures: dict[int, dict[str, Any]] = {}  # a later entry for the same attempt wins
        for _, subject, detail in rows:
            attempt_id = _attempt_id(subject)
            if attempt_id is not None and isinstance(detail, dict):
                measures[attempt_id] = {"attempt_id": attempt_id, **_measures(detail)}
        if measures:
            conn.execute(update, list(measures.values()))
        after = rows[-1][0]


def _attempt_id(subject: object) -> int | None:
    prefix, _, number = str(subject).partition(":")
    return int(number) if prefix == "attempt" and number.isdigit() else None


def _measures(detail: dict[str, Any]) -> dict[str, Any]:
    machine = detail.get("machine")
    opening = detail.get("opening_ms")
    evidence = detail.get("evidence")
    if not isinstance(opening, int | float) or isinstance(opening, bool) or opening < 0:
        opening = None
    return {
        "m": machine if machine in MACHINE_WORDS else None,
        "o": None if opening is None else int(opening),
        "e": evidence[:200] if isinstance(evidence, str) and evidence else None,
    }
