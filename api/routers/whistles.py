"""吹哨报到: a grid member whistles departments in to a case; each department reports in (报到) with
its own key by the time the mode allows, or the call escalates to the city centre."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request

from agent.store.keys import ApiClient
from api.auth import requires
from api.deps import Reader
from api.grid_responses import WhistlePublic
from api.grid_service import GridService
from api.responses import REFUSALS
from api.schemas import MAX_ID, CaseIdPath, ReportInCreate, WhistleCreate

router = APIRouter(prefix="/v1", tags=["grids"])


def _grids(request: Request) -> GridService:
    grids: GridService = request.app.state.grids
    return grids


GridsDep = Annotated[GridService, Depends(_grids)]
Whistler = Annotated[ApiClient, Depends(requires("whistle"))]
Reporter = Annotated[ApiClient, Depends(requires("report_in"))]
WhistleIdPath = Annotated[int, Path(ge=1, le=MAX_ID)]


@router.post("/cases/{case_id}/whistle", status_code=201, responses=REFUSALS)
def whistle(case_id: CaseIdPath, body: WhistleCreate, client: Whistler, grids: GridsDep) -> WhistlePublic:
    """吹哨: call departments in to an open case. A `grid` key or user whistles for its own grid's
    cases; a supervisor may whistle on a grid's behalf. Each department must report in within the
    report-in time of the most urgent mode covering the case (应急: 1 minute)."""
    return grids.whistle(case_id, client, body.departments, body.note)


@router.post("/cases/{case_id}/whistle/{whistle_id}/report", responses=REFUSALS)
def report_in(case_id: CaseIdPath, whistle_id: WhistleIdPath, client: Reporter, grids: GridsDep,
              body: ReportInCreate | None = None) -> WhistlePublic:
    """报到: a department key (or user) acknowledges the call for its own department. A report after
    the time is stored and marked late."""
    return grids.report(case_id, whistle_id, client, body.note if body else "")


@router.get("/cases/{case_id}/whistles", responses=REFUSALS)
def whistles(case_id: CaseIdPath, client: Reader, grids: GridsDep) -> list[WhistlePublic]:
    """The case's whistles, each with its departments' report-ins."""
    return grids.of_case(case_id, client)
