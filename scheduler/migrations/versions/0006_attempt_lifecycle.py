"""attempt lifecycle: placed or not, local-failure back-off, campaign pause reasons

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 05:20:00
"""

from __future__ import annotations

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
