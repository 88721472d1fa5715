"""The case store: cases, reports and the append-only audit log (SQLAlchemy 2, Alembic)."""

from agent.store.store import CaseStore, OpenCase

__all__ = ["CaseStore", "OpenCase"]
