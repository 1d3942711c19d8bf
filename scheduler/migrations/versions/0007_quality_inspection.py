"""quality inspection findings, verdicts and the hash-chained audit log

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 05:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | None = None
depends_on: str | None = None

SQLITE_TRIGGERS = [
    "CREATE TRIGGER audit_chain_no_update BEFORE UPDATE ON audit_chain "
    "BEGIN SELECT RAISE(ABORT, 'audit_chain is append-only'); END",
    "CREATE TRIGGER audit_chain_no_delete BEFORE DELETE ON audit_chain "
    "BEGIN SELECT RAISE(ABORT, 'audit_chain is append-only'); END",
]
POSTGRES_TRIGGERS = [
    "CREATE FUNCTION audit_chain_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "BEGIN RAISE EXCEPTION 'audit_chain is append-only' USING ERRCODE = 'insufficient_privilege'; END $$",
    "CREATE TRIGGER audit_chain_no_update BEFORE UPDATE OR DELETE ON audit_chain "
    "FOR EACH ROW EXECUTE FUNCTION audit_chain_append_only()",
    "CREATE TRIGGER audit_chain_no_truncate BEFORE TRUNCATE ON audit_chain "
    "FOR EACH STATEMENT EXECUTE FUNCTION audit_chain_append_only()",
]


def upgrade() -> None:
    op.create_table(
        "qa_inspections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("attempt_id", sa.Integer(), nullable=False),
        sa.Column("rules_version", sa.String(length=32), nullable=False),
        sa.Column("script", sa.String(length=100), nullable=False),
        sa.Column("script_version", sa.String(length=64), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("findings", sa.Integer(), nullable=False),
        sa.Column("inspected_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["attempt_id"],
            ["attempts.id"],
            name=op.f("fk_qa_inspections_attempt_id_attempts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_qa_inspections")),
        sa.UniqueConstraint("attempt_id", "rules_version", name="uq_qa_inspections_attempt_version"),
    )
    with op.batch_alter_table("qa_inspections") as batch_op:
        batch_op.create_index(batch_op.f("ix_qa_inspections_attempt_id"), ["attempt_id"], unique=False)
    op.create_table(
        "qa_findings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("inspection_id", sa.Integer(), nullable=False),
        sa.Column("attempt_id", sa.Integer(), nullable=False),
        sa.Column("rule", sa.String(length=64), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=True),
        sa.Column("at_s", sa.Double(), nullable=True),
        sa.Column("message", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["attempt_id"],
            ["attempts.id"],
            name=op.f("fk_qa_findings_attempt_id_attempts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["inspection_id"],
            ["qa_inspections.id"],
            name=op.f("fk_qa_findings_inspection_id_qa_inspections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_qa_findings")),
    )
    with op.batch_alter_table("qa_findings") as batch_op:
        batch_op.create_index(batch_op.f("ix_qa_findings_attempt_id"), ["attempt_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_qa_findings_inspection_id"), ["inspection_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_qa_findings_rule"), ["rule"], unique=False)
    op.create_table(
        "qa_verdicts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("finding_id", sa.Integer(), nullable=False),
        sa.Column("verdict", sa.String(length=16), nullable=False),
        sa.Column("note", sa.String(length=1000), nullable=False),
        sa.Column("reviewer", sa.String(length=100), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["finding_id"],
            ["qa_findings.id"],
            name=op.f("fk_qa_verdicts_finding_id_qa_findings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_qa_verdicts")),
    )
    with op.batch_alter_table("qa_verdicts") as batch_op:
        batch_op.create_index(batch_op.f("ix_qa_verdicts_finding_id"), ["finding_id"], unique=False)
    op.create_table(
        "audit_chain",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_chain")),
        sa.UniqueConstraint("prev_hash", name=op.f("uq_audit_chain_prev_hash")),
        sa.UniqueConstraint("hash", name=op.f("uq_audit_chain_hash")),
    )
    with op.batch_alter_table("audit_chain") as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_chain_subject"), ["subject"], unique=False)
    for statement in SQLITE_TRIGGERS if op.get_bind().dialect.name == "sqlite" else POSTGRES_TRIGGERS:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS audit_chain_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_chain_no_delete")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_chain_no_update ON audit_chain")
        op.execute("DROP TRIGGER IF EXISTS audit_chain_no_truncate ON audit_chain")
        op.execute("DROP FUNCTION IF EXISTS audit_chain_append_only()")
    op.drop_table("audit_chain")
    op.drop_table("qa_verdicts")
    op.drop_table("qa_findings")
    op.drop_table("qa_inspections")
