"""The LLM drafting queue lives on the case row: a new case that a language model should draft is
stored with its job (state, rank, the facts to draft from), in the report's own transaction, and
drafter processes claim jobs from the table; a draft that arrives after a person edited the case is
kept as a suggestion

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


COLUMNS = (
    sa.Column("draft_job", sa.String(10)),
    sa.Column("draft_job_rank", sa.Integer),
    sa.Column("draft_job_queued_at", sa.DateTime(timezone=True)),
    sa.Column("draft_job_claimed_at", sa.DateTime(timezone=True)),
    sa.Column("draft_job_claim", sa.String(80)),
    sa.Column("draft_job_attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("draft_facts", sa.JSON),
    sa.Column("draft_suggestion", sa.JSON),
)


def upgrade() -> None:
    # Plain ALTER TABLE on both stores (SQLite 3.35+ adds and drops columns in place), so neither way
    # rebuilds the cases table that reports and feedback point at.
    for column in COLUMNS:
        op.add_column("cases", column)
    op.create_index("ix_cases_draft_job", "cases", ["draft_job", "draft_job_rank", "id"])


def downgrade() -> None:
    op.drop_index("ix_cases_draft_job", "cases")
    for column in reversed(COLUMNS):
        op.drop_column("cases", column.name)
