"""Dependencies as `Annotated` aliases: the service, the store, and the caller by ability."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from agent.store.workflow import ApiClient, Workflow
from api.auth import requires
from api.service import TriageService


def _service(request: Request) -> TriageService:
    service: TriageService = request.app.state.service
    return service


def _workflow(request: Request) -> Workflow:
    workflow: Workflow = request.app.state.workflow
    return workflow


ServiceDep = Annotated[TriageService, Depends(_service)]
WorkflowDep = Annotated[Workflow, Depends(_workflow)]
Submitter = Annotated[ApiClient, Depends(requires("submit"))]
Reader = Annotated[ApiClient, Depends(requires("read"))]
Editor = Annotated[ApiClient, Depends(requires("edit"))]
Reviewer = Annotated[ApiClient, Depends(requires("review"))]
LifecycleActor = Annotated[ApiClient, Depends(requires("lifecycle"))]
ModeSwitcher = Annotated[ApiClient, Depends(requires("mode"))]
Exporter = Annotated[ApiClient, Depends(requires("export"))]
