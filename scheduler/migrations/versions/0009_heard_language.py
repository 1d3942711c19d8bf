"""the language a callee turn was heard in, when it was not the call's

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 18:45:00

A callee turn the recognizer heard in another language than the call's (language spotting: "es" for
Spanish on an English call) keeps that language, so the call record shows why the bot asked about
another language or recorded a language barrier.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("call_turns", recreate="never") as batch:
        batch.add_column(sa.Column("heard_language", sa.String(16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("call_turns", recreate="never") as batch:
        batch.drop_column("heard_language")
