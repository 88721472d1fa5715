"""Everything after triage, by concern, over one case store: API keys, idempotent submissions, the
city's mode, the actions people take on cases, closing the loop after dispatch (disposal,
verification, reply, callback), and the reads of cases."""

from __future__ import annotations

from agent.store.actions import CaseActions
from agent.store.city import CityMode
from agent.store.keys import ApiKeys, Idempotency
from agent.store.loop import LoopActions
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
