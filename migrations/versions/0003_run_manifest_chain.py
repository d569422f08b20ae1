"""add the run manifest hash chain

Each complete run is sealed once: the SHA-256 of its run manifest (a canonical
description of the run's stored data, see auditor/evidence/chain.py) and the
SHA-256 of the previous complete run's manifest, which the manifest itself
contains. Rewriting an earlier run then breaks the chain at the next run.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04 20:40:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.add_column(sa.Column("manifest_sha256", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("previous_manifest_sha256", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("sealed_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("sealed_at")
        batch.drop_column("previous_manifest_sha256")
        batch.drop_column("manifest_sha256")
