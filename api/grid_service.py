"""吹哨报到 and the notifications feed, as the JSON routes (and the pages) do them: a grid member
(a `grid` key or user, for their own grid's cases) or a supervisor on a grid's behalf whistles
departments in; each department reports in with its own key; every caller reads the notifications
addressed to them. The report-in time follows the most urgent mode covering the case now."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from typing import cast

from agent.deadlines import area_mode, most_urgent_mode
from agent.store.keys import ApiClient
from agent.store.notices import Notice
from agent.store.whistles import WhistleRecord, Whistles
from api.cases_service import CaseService
from api.grid_responses import CallPublic, NotificationPublic, NotificationsPublic, WhistlePublic
from core import clock
from core.messages import Forbidden, Message, Refusal, message
from core.records import CaseRecord
from core.roles import BOUND_TO_DEPARTMENT, BOUND_TO_GRID
from core.types import Priority

MAX_NOTIFICATIONS = 500
MAX_CURSOR = 2**63 - 1  # the largest id both databases compare


class GridService:
    def __init__(self, cases: CaseService) -> None:
        self.cases = cases
        self.pipeline, self.workflow = cases.pipeline, cases.workflow
        self.kb = self.pipeline.models.kb
        self.whistles = Whistles(self.pipeline.store, self.kb.policy, self.pipeline.timezone)

    @property
    def timezone(self) -> tzinfo:
        return self.pipeline.timezone

    # ---- 吹哨 and 报到 -------------------------------------------------------------------------------
    def whistle(self, case_id: int, client: ApiClient, departments: list[str], note: str) -> WhistlePublic:
        case = self.cases.case_record(case_id, client)  # a grid member finds only their grid's cases
        ids = [d.strip() for d in departments]
        unknown = [d for d in ids if d not in self.kb.departments]
        if unknown:
            raise Refusal(message("whistle.unknown_department", ids="、".join(unknown)))
        record = self.whistles.whistle(case_id, ids, note.strip(), client.actor, self.current_mode(case))
        return self.public(record)

    def report(self, case_id: int, whistle_id: int, client: ApiClient, note: str) -> WhistlePublic:
        if client.role != BOUND_TO_DEPARTMENT or not client.department_id:
            raise Forbidden(message("whistle.no_department"))
        return self.public(self.whistles.report(case_id, whistle_id, client.department_id, client.actor,
                                                note.strip()))

    def of_case(self, case_id: int, client: ApiClient) -> list[WhistlePublic]:
        self.cases.case_record(case_id, client)
        return [self.public(w) for w in self.whistles.of_case(case_id)]

    def current_mode(self, case: CaseRecord) -> str:
        """The most urgent of the case's own mode and the modes covering its place now."""
        priority = cast(Priority, case.priority)
        if case.category_id not in self.kb.leaves or case.mode not in {m.id for m in self.kb.policy.modes}:
            return case.mode  # a case from another knowledge base keeps its own mode
        now = clock.now()
        # read from the store, not this worker's copy: another worker may have switched a mode since
        city = (self.pipeline.settings.mode or self.workflow.city.current() or self.pipeline.mode)
        areas = {a.grid_id: a.mode for a in self.workflow.city.areas()}
        here = area_mode(self.kb, city, areas, case.place, case.category_id, priority, now)
        return most_urgent_mode(self.kb, [case.mode, here], case.category_id, priority, now)

    def public(self, record: WhistleRecord) -> WhistlePublic:
        def name(department_id: str) -> str:
            department = self.kb.departments.get(department_id)
            return department.name if department else department_id

        return WhistlePublic(
            id=record.id, case_id=record.case_id, grid_id=record.grid_id, note=record.note, actor=record.actor,
            mode=record.mode, created_at=record.created_at,
            calls=[CallPublic(**c.model_dump(), department_name=name(c.department_id),
                              due_by_local=c.due_by.astimezone(self.timezone).isoformat(timespec="seconds"))
                   for c in record.calls])

    # ---- notifications ---------------------------------------------------------------------------
    def notifications(self, client: ApiClient, since: str | None, limit: int, lang: str) -> NotificationsPublic:
        """What `client` is told: a department key or user its department's notices, a grid one its
        grid's, every other role all of them (the city centre). `since`: the `next` of an earlier
        answer, or a time (ISO 8601; without an offset, on the city's clock)."""
        after_id, after = self._since(since)
        if client.role == BOUND_TO_DEPARTMENT:
            audiences: list[str] | None = [f"department:{client.department_id}"]
        elif client.role == BOUND_TO_GRID:
            audiences = [f"grid:{client.grid_id}"]
        else:
            audiences = None
        notices = self.workflow.notices.feed(audiences, after_id, after, min(limit, MAX_NOTIFICATIONS))
        return NotificationsPublic(notifications=[_notice(n, lang) for n in notices],
                                   next=notices[-1].id if notices else after_id)

    def _since(self, since: str | None) -> tuple[int, datetime | None]:
        text = (since or "").strip()
        if not text:
            return 0, None
        if text.isascii() and text.isdigit() and int(text) <= MAX_CURSOR:
            return int(text), None
        try:
            moment = datetime.fromisoformat(text)
            moment = (moment if moment.tzinfo else moment.replace(tzinfo=self.timezone)).astimezone(UTC)
        except (ValueError, OverflowError):  # not a time, or one the calendar cannot hold in UTC
            raise Refusal(message("notifications.bad_since", value=text[:80])) from None
        return 0, moment


def _notice(notice: Notice, lang: str) -> NotificationPublic:
    return NotificationPublic(id=notice.id, case_id=notice.case_id, audience=notice.audience, kind=notice.kind,
                              code=notice.code, text=Message(code=notice.code, values=notice.values).text(lang),
                              values=notice.values, created_at=notice.created_at)
