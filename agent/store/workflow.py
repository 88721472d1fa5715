"""Everything after triage, by concern, over one case store: API keys, idempotent submissions, the
city's mode, the actions people take on cases, closing the loop after dispatch (disposal,
verification, reply, callback), the reads of cases, and the notifications feed."""

from __future__ import annotations

from sqlalchemy import select

from agent.store.actions import CaseActions
from agent.store.city import CityMode
from agent.store.keys import ApiKeys, Idempotency
from agent.store.loop import LoopActions
from agent.store.models import WhistleCallRow
from agent.store.notices import Notices
from agent.store.queries import CaseQueries
from agent.store.store import CaseStore


class Workflow:
    def __init__(self, store: CaseStore, key_cache_s: float = 30.0) -> None:
        self.store = store
        self.keys = ApiKeys(store, key_cache_s)
        self.idempotency = Idempotency(store)
        self.city = CityMode(store)
        self.actions = CaseActions(store)
        self.loop = LoopActions(store)
        self.queries = CaseQueries(store)
        self.notices = Notices(store)

    def called_in(self, case_id: int, department_id: str) -> bool:
        """Whether a whistle (吹哨) called this department in to the case."""
        with self.store.session() as s:
            return s.scalars(select(WhistleCallRow.id).where(WhistleCallRow.case_id == case_id,
                                                             WhistleCallRow.department_id == department_id)
                             ).first() is not None
