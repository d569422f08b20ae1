"""add findings

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04 20:33:08.501418
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "findings",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("account", sa.String(length=12), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("repository", sa.String(length=256), nullable=False),
        sa.Column("image_digest", sa.String(length=128), nullable=False),
        sa.Column("finding_id", sa.String(length=256), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("package_name", sa.String(length=512), nullable=False),
        sa.Column("package_version", sa.String(length=256), nullable=False),
        sa.Column("fixed_in", sa.String(length=256), nullable=True),
        sa.Column("fix_available", sa.String(length=16), nullable=True),
        sa.Column("exploit_available", sa.String(length=16), nullable=True),
        sa.Column("first_observed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_findings_identity",
        "findings",
        ["account", "region", "repository", "image_digest", "finding_id"],
        unique=False,
    )
    op.create_index("ix_findings_run", "findings", ["run_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_findings_run", table_name="findings")
    op.drop_index("ix_findings_identity", table_name="findings")
    op.drop_table("findings")
