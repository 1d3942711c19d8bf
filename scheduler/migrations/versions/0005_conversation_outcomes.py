"""legally significant replies and payment plans

Account flags (the replies the policy's ACCOUNT rules act on), payment plans whose parts are promises,
the disclosures each call played, a campaign's scripts by language and an attempt's own script.

Accounts already `disputed` get an open dispute flag, so the DISPUTE rule holds them as the account
status did until now (an operator resolves it with `dialer policy resolve`).

No table is rebuilt (`recreate="never"`): columns are added in place (see 0003 for why).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06 05:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | None = None
depends_on: str | None = None

_UTC = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "payment_plans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("attempt_id", sa.Integer(), nullable=True),
        sa.Column("parts", sa.Integer(), nullable=False),
        sa.Column("total", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("settlement", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("created_at", _UTC, nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_payment_plans_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["attempt_id"], ["attempts.id"], name=op.f("fk_payment_plans_attempt_id_attempts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_plans")),
    )
    with op.batch_alter_table("payment_plans", recreate="never") as batch_op:
        batch_op.create_index(batch_op.f("ix_payment_plans_account_id"), ["account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_payment_plans_attempt_id"), ["attempt_id"], unique=False)
    op.create_table(
        "account_flags",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("debtor_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("attempt_id", sa.Integer(), nullable=True),
        sa.Column("contact_number_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("created_at", _UTC, nullable=False),
        sa.Column("resolved_at", _UTC, nullable=True),
        sa.Column("resolved_by", sa.String(length=100), nullable=True),
        sa.Column("resolved_reason", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_account_flags_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["attempt_id"], ["attempts.id"], name=op.f("fk_account_flags_attempt_id_attempts")
        ),
        sa.ForeignKeyConstraint(
            ["contact_number_id"],
            ["contact_numbers.id"],
            name=op.f("fk_account_flags_contact_number_id_contact_numbers"),
        ),
        sa.ForeignKeyConstraint(
            ["debtor_id"], ["debtors.id"], name=op.f("fk_account_flags_debtor_id_debtors"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_flags")),
    )
    with op.batch_alter_table("account_flags", recreate="never") as batch_op:
        batch_op.create_index(batch_op.f("ix_account_flags_debtor_id"), ["debtor_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_account_flags_account_id"), ["account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_account_flags_attempt_id"), ["attempt_id"], unique=False)
    op.create_table(
        "call_disclosures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("attempt_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("started_at", _UTC, nullable=False),
        sa.Column("ended_at", _UTC, nullable=True),
        sa.Column("complete", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["attempt_id"],
            ["attempts.id"],
            name=op.f("fk_call_disclosures_attempt_id_attempts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_disclosures")),
    )
    with op.batch_alter_table("call_disclosures", recreate="never") as batch_op:
        batch_op.create_index(batch_op.f("ix_call_disclosures_attempt_id"), ["attempt_id"], unique=False)
    with op.batch_alter_table("promises", recreate="never") as batch_op:
        batch_op.add_column(sa.Column("plan_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("part_no", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_promises_plan_id"), ["plan_id"], unique=False)
    with op.batch_alter_table("campaigns", recreate="never") as batch_op:
        batch_op.add_column(sa.Column("scripts_by_language", sa.JSON(), nullable=False, server_default="{}"))
    with op.batch_alter_table("attempts", recreate="never") as batch_op:
        batch_op.add_column(sa.Column("script", sa.String(length=100), nullable=True))
    _flag_disputed_accounts()


def downgrade() -> None:
    with op.batch_alter_table("attempts", recreate="never") as batch_op:
        batch_op.drop_column("script")
    with op.batch_alter_table("campaigns", recreate="never") as batch_op:
        batch_op.drop_column("scripts_by_language")
    with op.batch_alter_table("promises", recreate="never") as batch_op:
        batch_op.drop_index(batch_op.f("ix_promises_plan_id"))
        batch_op.drop_column("part_no")
        batch_op.drop_column("plan_id")
    op.drop_table("call_disclosures")
    op.drop_table("account_flags")
    op.drop_table("payment_plans")


def _flag_disputed_accounts() -> None:
    accounts = sa.table(
        "accounts",
        sa.column("id", sa.Integer),
        sa.column("debtor_id", sa.Integer),
        sa.column("status", sa.String),
    )
    flags = sa.table(
        "account_flags",
        sa.column("debtor_id", sa.Integer),
        sa.column("account_id", sa.Integer),
        sa.column("kind", sa.String),
        sa.column("detail", sa.JSON),
        sa.column("source", sa.String),
        sa.column("created_at", _UTC),
    )
    conn = op.get_bind()
    rows = conn.execute(
        sa.select(accounts.c.id, accounts.c.debtor_id).where(accounts.c.status == "disputed")
    ).all()
    if rows:
        now = sa.func.current_timestamp()
        conn.execute(
            sa.insert(flags).values(
                debtor_id=sa.bindparam("d"),
                account_id=sa.bindparam("a"),
                kind="dispute",
                detail={},
                source="operator",
                created_at=now,
            ),
            [{"d": d, "a": a} for a, d in rows],
        )
