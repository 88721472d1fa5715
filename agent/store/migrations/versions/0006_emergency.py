"""Cases keep the emergency protocol (services to call, the operator's script) of an urgent report,
a merged case the case that took its reports, and whether a case reports an incident or requests
something new (dedup keeps the two apart)

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("emergency", sa.JSON))
        batch.add_column(sa.Column("merged_into", sa.Integer))
        batch.add_column(sa.Column("kind", sa.String(10), nullable=False, server_default="incident"))


def downgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("kind")
        batch.drop_column("merged_into")
        batch.drop_column("emergency")
