"""Closing the loop (处置 → 核查 → 答复 → 回访): keys and users bound to one department; each
disposal a department reports, with its after-photos and its verification; the replies drafted and
sent to the citizen; the citizen's satisfaction at the callback; and, on the case, the deadline of
its current state and how often it was returned or reopened

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

CASE_COLUMNS = (
    sa.Column("due_by", sa.DateTime(timezone=True)),
    sa.Column("return_count", sa.Integer, nullable=False, server_default="0"),
    sa.Column("reopen_count", sa.Integer, nullable=False, server_default="0"),
    # the language model's reply draft, drafted by the drafter processes like case drafts
    sa.Column("reply_job", sa.String(10)),
    sa.Column("reply_job_claimed_at", sa.DateTime(timezone=True)),
    sa.Column("reply_job_claim", sa.String(80)),
    sa.Column("reply_job_attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("reply_draft", sa.JSON),
)
# The old `resolved` (办结待核实) is the new `disposed`: a disposal waiting for verification.
OLD_STATUSES = {"disposed": "resolved", "replied": "verified", "returned": "handling", "reopened": "handling"}


def upgrade() -> None:
    for table in ("api_keys", "users"):
        op.add_column(table, sa.Column("department_id", sa.String(120)))
    for column in CASE_COLUMNS:
        op.add_column("cases", column)
    op.create_index("ix_cases_reply_job", "cases", ["reply_job", "id"])
    op.execute("UPDATE cases SET status = 'disposed' WHERE status = 'resolved'")
    op.create_table(
        "disposals",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("case_id", sa.Integer, sa.ForeignKey("cases.id"), nullable=False, index=True),
        sa.Column("attempt", sa.Integer, nullable=False),
        sa.Column("department_id", sa.String(120), nullable=False, index=True),
        sa.Column("actor", sa.String(120), nullable=False),
        sa.Column("reply", sa.Text, nullable=False),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("commitments", sa.JSON, nullable=False),
        sa.Column("verdict", sa.String(20), nullable=False, index=True),
        sa.Column("verification", sa.JSON, nullable=False),
        sa.Column("decided_verdict", sa.String(20)),
        sa.Column("decided_by", sa.String(120)),
        sa.Column("decided_at", sa.DateTime(timezone=True)),
        sa.Column("decision_note", sa.Text),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, index=True),
    )
    op.create_table(
        "disposal_photos",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("disposal_id", sa.Integer, sa.ForeignKey("disposals.id"), nullable=False, index=True),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False, index=True),
        sa.Column("format", sa.String(10), nullable=False),
        sa.Column("taken_at", sa.DateTime(timezone=True)),
        sa.Column("facts", sa.JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "replies",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("case_id", sa.Integer, sa.ForeignKey("cases.id"), nullable=False, index=True),
        sa.Column("disposal_id", sa.Integer, sa.ForeignKey("disposals.id"), nullable=False),
        sa.Column("draft", sa.JSON, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("sent_by", sa.String(120), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False, index=True),
    )
    op.create_table(
        "callbacks",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("case_id", sa.Integer, sa.ForeignKey("cases.id"), nullable=False, index=True),
        sa.Column("satisfaction", sa.String(20), nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("actor", sa.String(120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, index=True),
    )


def downgrade() -> None:
    for table in ("callbacks", "replies", "disposal_photos", "disposals"):
        op.drop_table(table)
    for new, old in OLD_STATUSES.items():
        op.execute(f"UPDATE cases SET status = '{old}' WHERE status = '{new}'")
    op.drop_index("ix_cases_reply_job", "cases")
    for column in reversed(CASE_COLUMNS):
        op.drop_column("cases", column.name)
    for table in ("users", "api_keys"):
        op.drop_column(table, "department_id")
