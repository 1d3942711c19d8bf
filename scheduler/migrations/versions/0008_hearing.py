"""what the bot heard per turn: recognizer, confidence, decision

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 05:20:00

Callee turns keep who heard them (`heard_by`: recognizer and model, e.g. whisper-base), the recognizer's
confidence and Whisper's no-speech probability, beside the dialogue's intent and its confidence.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("call_turns", recreate="never") as batch:
        batch.add_column(sa.Column("heard_by", sa.String(48), nullable=True))
        batch.add_column(sa.Column("asr_confidence", sa.Double(), nullable=True))
        batch.add_column(sa.Column("no_speech_prob", sa.Double(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("call_turns", recreate="never") as batch:
        batch.drop_column("no_speech_prob")
        batch.drop_column("asr_confidence")
        batch.drop_column("heard_by")
