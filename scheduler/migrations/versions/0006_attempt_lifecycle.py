"""attempt lifecycle: placed or not, local-failure back-off, campaign pause reasons

An attempt that failed on our side before an INVITE left keeps its cause; a campaign counts consecutive
local failures, backs off and says why it paused itself; a trunk's failures back it off for every host.
No table is rebuilt (`recreate="never"`), as in 0003.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 05:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("attempts", recreate="never") as batch_op:
        batch_op.add_column(sa.Column("cause", sa.String(length=200), nullable=True))
    with op.batch_alter_table("campaigns", recreate="never") as batch_op:
        batch_op.add_column(sa.Column("failure_streak", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("backoff_until", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("state_reason", sa.String(length=300), nullable=True))
    op.create_table(
        "trunk_health",
        sa.Column("trunk", sa.String(length=100), nullable=False),
        sa.Column("failure_streak", sa.Integer(), nullable=False),
        sa.Column("backoff_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_reason", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("trunk", name=op.f("pk_trunk_health")),
    )


def downgrade() -> None:
    op.drop_table("trunk_health")
    with op.batch_alter_table("campaigns", recreate="never") as batch_op:
        batch_op.drop_column("state_reason")
        batch_op.drop_column("backoff_until")
        batch_op.drop_column("failure_streak")
    with op.batch_alter_table("attempts", recreate="never") as batch_op:
        batch_op.drop_column("cause")
