"""Reports keep only the kinds of personal data that masking hid (an ID number, a phone number),
not the values: no page, answer or export ever showed them, so they were only a liability

Revision ID: 0010
Revises: 0009
"""

import json

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    reports = sa.table("reports", sa.column("id", sa.Integer), sa.column("personal_data", sa.JSON))
    connection = op.get_bind()
    for report_id, found in connection.execute(sa.select(reports.c.id, reports.c.personal_data)).all():
        items = json.loads(found) if isinstance(found, str) else found or []
        kinds = [{"kind": item.get("kind")} for item in items]
        if kinds != items:
            connection.execute(reports.update().where(reports.c.id == report_id).values(personal_data=kinds))


def downgrade() -> None:
    pass  # the values are gone on purpose
