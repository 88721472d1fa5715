"""Grids, 吹哨报到 and escalation: the case's grid and whether its grid handles it first, its place
on the escalation ladder; keys and users bound to one grid; modes per grid beside the city's; the
whistles and the departments each calls in; each escalation that fired (unique, so a step fires
once across schedulers); and the notifications each level reads

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

CASE_COLUMNS = (
    sa.Column("grid_id", sa.String(120)),
    sa.Column("grid_first", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("escalation_step", sa.Integer, nullable=False, server_default="0"),
    sa.Column("escalation_level", sa.String(20)),
    sa.Column("escalation_due_by", sa.DateTime(timezone=True)),
)


def upgrade() -> None:
    for table in ("api_keys", "users"):
        op.add_column(table, sa.Column("grid_id", sa.String(120)))
    for column in CASE_COLUMNS:
        op.add_column("cases", column)
    op.create_index("ix_cases_grid_id", "cases", ["grid_id"])
    op.create_table(
        "area_modes",
        sa.Column("grid_id", sa.String(120), primary_key=True),
        sa.Column("mode", sa.String(40), nullable=False),
        sa.Column("updated_by", sa.String(120), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "whistles",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("case_id", sa.Integer, sa.ForeignKey("cases.id"), nullable=False, index=True),
        sa.Column("grid_id", sa.String(120), index=True),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("actor", sa.String(120), nullable=False),
        sa.Column("mode", sa.String(40), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, index=True),
    )
    op.create_table(
        "whistle_calls",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("whistle_id", sa.Integer, sa.ForeignKey("whistles.id"), nullable=False, index=True),
        sa.Column("case_id", sa.Integer, nullable=False, index=True),
        sa.Column("department_id", sa.String(120), nullable=False, index=True),
        sa.Column("due_by", sa.DateTime(timezone=True), nullable=False, index=True),
        sa.Column("reported_at", sa.DateTime(timezone=True)),
        sa.Column("reported_by", sa.String(120)),
        sa.Column("report_note", sa.Text),
        sa.Column("escalated_at", sa.DateTime(timezone=True)),
        sa.UniqueConstraint("whistle_id", "department_id", name="uq_whistle_calls_department"),
    )
    op.create_table(
        "escalations",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("key", sa.String(80), nullable=False, unique=True),
        sa.Column("case_id", sa.Integer, nullable=False, index=True),
        sa.Column("step", sa.Integer, nullable=False),
        sa.Column("level", sa.String(20), nullable=False),
        sa.Column("reason", sa.String(20), nullable=False),
        sa.Column("deadline", sa.DateTime(timezone=True), nullable=False),
        sa.Column("next_due_by", sa.DateTime(timezone=True)),
        sa.Column("fired_by", sa.String(80), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, index=True),
    )
    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("case_id", sa.Integer, index=True),
        sa.Column("audience", sa.String(140), nullable=False, index=True),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("code", sa.String(80), nullable=False),
        sa.Column("values", sa.JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, index=True),
    )


def downgrade() -> None:
    for table in ("notifications", "escalations", "whistle_calls", "whistles", "area_modes"):
        op.drop_table(table)
    op.drop_index("ix_cases_grid_id", "cases")
    for column in reversed(CASE_COLUMNS):
        op.drop_column("cases", column.name)
    for table in ("users", "api_keys"):
        op.drop_column(table, "grid_id")
