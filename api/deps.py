"""Dependencies as `Annotated` aliases: the services, and the caller by ability."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from agent.store.keys import ApiClient
from api.auth import requires
from api.cases_service import CaseService
from api.service import TriageService


def _service(request: Request) -> TriageService:
    service: TriageService = request.app.state.service
    return service


def _cases(request: Request) -> CaseService:
    cases: CaseService = request.app.state.cases
    return cases


ServiceDep = Annotated[TriageService, Depends(_service)]
CasesDep = Annotated[CaseService, Depends(_cases)]
Submitter = Annotated[ApiClient, Depends(requires("submit"))]
Reader = Annotated[ApiClient, Depends(requires("read"))]
Editor = Annotated[ApiClient, Depends(requires("edit"))]
Reviewer = Annotated[ApiClient, Depends(requires("review"))]
LifecycleActor = Annotated[ApiClient, Depends(requires("lifecycle"))]
ModeSwitcher = Annotated[ApiClient, Depends(requires("mode"))]
Exporter = Annotated[ApiClient, Depends(requires("export"))]
