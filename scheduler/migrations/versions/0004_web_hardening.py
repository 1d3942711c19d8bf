"""console hardening: API tokens bound to a user, expiry

A token now belongs to the user who created it (`owner_id`) and lapses at `expires_at`; the console
refuses it when the owner is disabled or no longer holds the token's role. Existing tokens are bound to
the user named in `created_by` and expire 90 days after creation; a token whose creator is not a user
any more is revoked (nobody could answer for it).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06 05:20:00
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None

LEGACY_DAYS = 90

_tokens = sa.table(
    "api_tokens",
    sa.column("id", sa.Integer),
    sa.column("created_by", sa.String),
    sa.column("created_at", sa.DateTime(timezone=True)),
    sa.column("revoked_at", sa.DateTime(timezone=True)),
    sa.column("owner_id", sa.Integer),
    sa.column("expires_at", sa.DateTime(timezone=True)),
)
_users = sa.table("operator_users", sa.column("id", sa.Integer), sa.column("name", sa.String))


def upgrade() -> None:
    # api_tokens has no child tables: rebuilding it on SQLite (to add the foreign key) cascades nothing
    with op.batch_alter_table("api_tokens") as batch_op:
        batch_op.add_column(sa.Column("owner_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f("ix_api_tokens_owner_id"), ["owner_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_api_tokens_owner_id_operator_users"),
            "operator_users",
            ["owner_id"],
            ["id"],
            ondelete="CASCADE",
        )
    _bind_existing_tokens()


def _bind_existing_tokens() -> None:
    conn = op.get_bind()
    users = {name: user_id for user_id, name in conn.execute(sa.select(_users.c.id, _users.c.name))}
    now = dt.datetime.now(dt.UTC)
    rows = conn.execute(sa.select(_tokens.c.id, _tokens.c.created_by, _tokens.c.created_at)).all()
    for token_id, created_by, created_at in rows:
        owner = users.get(created_by)
        values: dict[str, object] = {"owner_id": owner, "expires_at": (created_at or now) + dt.timedelta(days=LEGACY_DAYS)}
        if owner is None:
            values["revoked_at"] = now
        conn.execute(sa.update(_tokens).where(_tokens.c.id == token_id).values(**values))


def downgrade() -> None:
    with op.batch_alter_table("api_tokens") as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_api_tokens_owner_id_operator_users"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_api_tokens_owner_id"))
        batch_op.drop_column("expires_at")
        batch_op.drop_column("owner_id")
