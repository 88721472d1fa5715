"""What the JSON routes and the pages do with cases, and the rules they share: reads shaped for the
caller (a reporter's contact only for roles with the personal-data ability), the review actions
(who may edit what, which departments, categories and priorities exist), lifecycle moves, bulk
actions, the export and the dashboard's figures."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from agent.lifecycle import STATUSES
from agent.output import hide_grid_contacts
from agent.store.figures import dashboard_figures
from agent.store.keys import ApiClient
from agent.store.store import check_edits
from api.responses import (
    BulkResultPublic,
    CaseEditedPublic,
    CaseExportPublic,
    CaseMergedPublic,
    CasePublic,
    CaseReassignedPublic,
    CaseSplitPublic,
    CaseSummaryPublic,
    CaseTransitionedPublic,
    ExportedReportPublic,
)
from api.service import TriageService
from core.messages import Forbidden, NotFound, Refusal, lookup, message
from core.records import CaseFilter, CaseRecord, DashboardFigures, QueuePage
from core.roles import ABILITIES, BOUND_TO_DEPARTMENT, BOUND_TO_GRID
from core.types import PRIORITIES


class CaseService:
    def __init__(self, triage: TriageService) -> None:
        self.triage = triage
        self.pipeline = triage.pipeline
        self.workflow = triage.workflow

    # ---- reads ----------------------------------------------------------------------------------
    def queue(self, where: CaseFilter, limit: int = 100, offset: int = 0,
              client: ApiClient | None = None) -> QueuePage:
        """The cases matching `where` that `client` may see (a department sees only its own)."""
        _check_statuses(where.status)
        department, grid = client.scope if client is not None else (None, None)
        for field, bound in (("department", department), ("grid", grid)):
            if bound is None:
                continue
            asked = getattr(where, field)
            if asked and asked != bound:  # cases outside the client's scope
                return QueuePage(rows=[], limit=limit, offset=offset)
            where = where.model_copy(update={field: bound})
        return self.workflow.queries.queue(where, limit, offset)

    def summary(self, case_id: int) -> CaseSummaryPublic:
        return CaseSummaryPublic(**self._row(case_id))

    def case_record(self, case_id: int, client: ApiClient | None) -> CaseRecord:
        """The case, if `client` may see it: a department's key or user finds only its department's
        cases (and those a whistle called it in to), a grid's only its grid's; another's case is not
        found."""
        case = self._record(case_id)
        if client is None:
            return case
        if client.role == BOUND_TO_DEPARTMENT and case.lead_department_id != client.department_id and not (
                client.department_id and self.workflow.called_in(case_id, client.department_id)):
            raise NotFound(message("case.not_found", id=case_id))
        if client.role == BOUND_TO_GRID and case.grid_id != client.grid_id:
            raise NotFound(message("case.not_found", id=case_id))
        return case

    def case(self, case_id: int, client: ApiClient | None) -> CasePublic:
        """The case as `client` may see it (None: a reader without the personal-data ability)."""
        case = self.case_record(case_id, client)
        if client is None or "personal_data" not in ABILITIES.get(client.role, frozenset()):
            # the text is masked at intake; the contact field is the reporter's own
            hidden = lookup("contact.hidden")
            case = case.model_copy(update={"reports": [r.model_copy(update={"contact": hidden if r.contact else None})
                                                       for r in case.reports],
                                           "place": hide_grid_contacts(case.place, hidden)})  # grid members'
        return CasePublic(**case.model_dump())

    def titles(self, case_ids: list[int]) -> dict[int, str]:
        return self.pipeline.store.case_titles(case_ids)

    def export(self, statuses: list[str] | None) -> Iterator[CaseExportPublic]:
        """Every case (of `statuses`) for analysis: its row, its decision and its reports' masked text;
        never a reporter's contact. An unknown status is refused here, before anything streams."""
        _check_statuses(statuses)
        return self._exported(statuses)

    def _exported(self, statuses: list[str] | None) -> Iterator[CaseExportPublic]:
        for row in self.workflow.queries.queue(CaseFilter(status=statuses), limit=10_000_000).rows:
            case = self._record(row.id)
            yield CaseExportPublic(**row.model_dump(), summary=case.summary, draft=case.draft,
                                   departments=case.departments,
                                   reports=[ExportedReportPublic(id=r.id, text=r.text, channel=r.channel,
                                                                 received_at=str(r.received_at))
                                            for r in case.reports])

    def figures(self) -> DashboardFigures:
        return dashboard_figures(self.pipeline.store, self.pipeline.models.kb.meta.timezone)

    def _record(self, case_id: int) -> CaseRecord:
        case = self.pipeline.store.case(case_id)
        if case is None:
            raise NotFound(message("case.not_found", id=case_id))
        return case

    # ---- review ---------------------------------------------------------------------------------
    def confirm(self, case_id: int, client: ApiClient, note: str = "", dispatch: bool = True) -> CaseSummaryPublic:
        self.workflow.actions.confirm(case_id, client.actor, note, dispatch=dispatch)
        return self.summary(case_id)

    def edit(self, case_id: int, changes: dict[str, Any], reason: str, client: ApiClient) -> CaseEditedPublic:
        """Change reviewable fields, with a reason. Operators may edit drafts still waiting for review."""
        if client.role == "operator":
            status = self.workflow.queries.summary(case_id).status
            if status != "received":
                raise Forbidden(message("edit.operator_drafts_only", id=case_id, status=message(f"status.{status}")))
        check_edits(changes)  # types first: the checks below look the values up
        kb = self.pipeline.models.kb
        if "lead_department_id" in changes and changes["lead_department_id"] not in kb.departments:
            raise Refusal(message("edit.unknown_department", id=changes["lead_department_id"]))
        if "category_id" in changes and changes["category_id"] not in kb.leaves:
            raise Refusal(message("edit.unknown_category", id=changes["category_id"]))
        if "priority" in changes and changes["priority"] not in PRIORITIES:
            raise Refusal(message("edit.unknown_priority", value=changes["priority"]))
        before = self.workflow.actions.edit(case_id, changes, reason, client.actor)
        return CaseEditedPublic(**self._row(case_id), before=before)

    def reassign(self, case_id: int, department_id: str, reason: str, client: ApiClient) -> CaseReassignedPublic:
        dept_id, name = self._department(department_id)
        before = self.workflow.actions.reassign(case_id, dept_id, name, reason, client.actor)
        return CaseReassignedPublic(**self._row(case_id), before=before)

    def reject(self, case_id: int, reason: str, note: str, client: ApiClient) -> CaseSummaryPublic:
        self.workflow.actions.reject(case_id, reason, note, client.actor)
        return self._left(case_id)

    def merge(self, case_id: int, into: int, reason: str, client: ApiClient,
              different_place: bool = False) -> CaseMergedPublic:
        """Mark this case a duplicate of `into`: its reports move there."""
        reporters = self.workflow.actions.merge(case_id, into, reason, client.actor, different_place)
        row = self._left(case_id).model_dump()
        return CaseMergedPublic(**{**row, "reporter_count": reporters}, into=into)

    def split(self, case_id: int, report_ids: list[int], reason: str, client: ApiClient) -> CaseSplitPublic:
        """Move some of a case's reports to a new case, understood and routed afresh, waiting for review."""
        new_id = self.triage.split(case_id, report_ids, reason, client.actor)
        return CaseSplitPublic(case=self.summary(case_id), new_case=self.summary(new_id))

    def send_to_review(self, case_id: int, client: ApiClient, note: str, changed: list[str]) -> None:
        """A person leaves the draft in the review queue: who sent it, why, and what they changed."""
        self.pipeline.store.log("review", "case.sent_to_review", {"note": note, "changed": changed},
                                case_id=case_id, actor=client.actor)

    # ---- lifecycle ------------------------------------------------------------------------------
    def transition(self, case_id: int, to: str, client: ApiClient, note: str = "") -> CaseTransitionedPublic:
        before = self.workflow.actions.transition(case_id, to, client.actor, note)
        return CaseTransitionedPublic(**self._left(case_id).model_dump(), before=before)

    # ---- bulk -----------------------------------------------------------------------------------
    def bulk_confirm(self, case_ids: list[int], client: ApiClient, note: str = "") -> BulkResultPublic:
        return _bulk(case_ids, lambda case_id: self.workflow.actions.confirm(case_id, client.actor, note))

    def bulk_reassign(self, case_ids: list[int], department_id: str, reason: str,
                      client: ApiClient) -> BulkResultPublic:
        dept_id, name = self._department(department_id)
        return _bulk(case_ids, lambda case_id: self.workflow.actions.reassign(case_id, dept_id, name, reason,
                                                                              client.actor))

    # ---- helpers --------------------------------------------------------------------------------
    def _row(self, case_id: int) -> dict[str, Any]:
        return self.workflow.queries.summary(case_id).model_dump()

    def _left(self, case_id: int) -> CaseSummaryPublic:
        """The case's row after an action that may have taken it out of the dedup index's states."""
        row = self.summary(case_id)
        self.triage.forget_if_closed(case_id, row.status)
        return row

    def _department(self, department_id: str) -> tuple[str, str]:
        department = self.pipeline.models.kb.departments.get(department_id)
        if department is None:
            raise Refusal(message("edit.unknown_department", id=department_id))
        return department.id, department.name


def _bulk(case_ids: list[int], action: Callable[[int], object]) -> BulkResultPublic:
    done, failed = [], {}
    for case_id in dict.fromkeys(case_ids):
        try:
            action(case_id)
            done.append(case_id)
        except (ValueError, LookupError) as exc:
            failed[case_id] = str(exc)
    return BulkResultPublic(done=done, failed=failed)


def _check_statuses(statuses: list[str] | None) -> None:
    for status in statuses or []:
        if status not in STATUSES:
            raise Refusal(message("transition.unknown_status", target=status,
                                  statuses=[message(f"status.{x}") for x in STATUSES]))
