"""Health and Prometheus metrics (no key needed: they expose counts, never case content)."""

from __future__ import annotations

import os

from fastapi import APIRouter, Request, Response
from fastapi.responses import PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from api.responses import HealthPublic

router = APIRouter(tags=["operations"])


@router.get("/healthz")
def healthz(request: Request) -> HealthPublic:
    service = request.app.state.service
    return HealthPublic(status="ok", mode=service.pipeline.mode, knowledge_base=service.pipeline.models.kb.meta.name,
                        llm=request.app.state.settings.llm.provider, drafts_pending=service.drafts.pending(),
                        worker=os.getpid())


@router.get("/metrics", response_class=PlainTextResponse)
def metrics(request: Request) -> Response:
    """The Prometheus text format: requests, latencies and cases by status."""
    state = request.app.state
    for status, count in state.workflow.queries.count_by_status().counts.items():
        state.metrics.cases.labels(status=status).set(count)
    return Response(generate_latest(state.metrics.registry), media_type=CONTENT_TYPE_LATEST)
