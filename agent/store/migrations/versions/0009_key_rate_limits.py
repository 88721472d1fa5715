"""A rate limit of its own for an API key (a trusted integration, or the fuzzing run), instead of the
server's default

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("api_keys") as table:
        table.add_column(sa.Column("rate_limit_per_minute", sa.Integer))


def downgrade() -> None:
    with op.batch_alter_table("api_keys") as table:
        table.drop_column("rate_limit_per_minute")
