"""console hardening: API tokens bound to a user, expiry

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06 05:20:00
"""

from __future__ import annotations

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
