"""The FastAPI application, built by `create_app(settings)`: nothing is configured at import."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException

from agent.drafting import TemplateDrafter
from agent.lifecycle import TransitionRefused
from agent.models import Models
from agent.pipeline import TriagePipeline
from agent.reply_drafting import make_reply_drafter
from agent.store.actions import PlaceConflict
from agent.store.escalation import Escalator
from agent.store.workflow import Workflow
from api.auth import RateLimiter
from api.body_limit import BodyLimit, BodyTooLarge, too_large
from api.cases_service import CaseService
from api.closing_service import ClosingService
from api.errors import explained, invalid, refused, unexpected
from api.grid_service import GridService
from api.metrics import Metrics
from api.openapi import document_models
from api.responses import CaseExportPublic, ErrorPublic, InternalErrorPublic, InvalidPublic
from api.routers import (
    briefings,
    cases,
    city,
    closing,
    notifications,
    open311,
    ops,
    photos,
    reports,
    situation,
    whistles,
)
from api.scheduler import EscalationScheduler
from api.schemas import DisposalCreate, ReportCreate
from api.service import IdempotencyConflict, TriageService
from api.web import install_web
from core.messages import Forbidden, NotFound, Refusal
from core.settings import SERVE_SETTINGS_ENV, LLMSettings, Settings

# Reply drafts are asked for by a person waiting at the page, so the model answers within the request
# only when it runs elsewhere (an OpenAI-compatible server); a local model (or the scripted fake)
# stays in the drafter processes, and the API offers the template reply until theirs is stored.
IN_REQUEST_PROVIDERS = ("openai",)


def app_from_environment() -> FastAPI:
    """The app of one of `gridtriage serve --workers N`'s worker processes (uvicorn's factory)."""
    return create_app(Settings.model_validate_json(os.environ[SERVE_SETTINGS_ENV]))


def create_app(settings: Settings, models: Models | None = None) -> FastAPI:
    """`models` lets tests share loaded models between apps; a server loads its own."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Answers never wait for a model: template drafts at once; with an LLM configured, each new
        # case is also queued for the drafter processes (`gridtriage drafter`), in its own transaction.
        pipeline = TriagePipeline(settings, models=models, drafter=TemplateDrafter(),
                                  queue_drafts=settings.llm.provider != "none")
        pipeline.warm_up()
        pipeline.models.warm_up_photos()  # the first photo report does not wait for the OCR models
        pipeline.models.embedder.limit_threads(1)  # requests run side by side; BLAS threads would fight
        workflow = Workflow(pipeline.store)
        stored_mode = workflow.city.current()
        if settings.mode is None and stored_mode:
            pipeline.mode = stored_mode  # a supervisor's switch outlives a restart
        app.state.workflow = workflow
        app.state.service = service = TriageService(pipeline, workflow)
        app.state.cases = cases_service = CaseService(service)
        in_request = settings.llm.provider in IN_REQUEST_PROVIDERS
        app.state.closing = ClosingService(
            cases_service, make_reply_drafter(settings.llm if in_request else LLMSettings(provider="none"),
                                              pipeline.timezone),
            queue_replies=settings.llm.provider != "none" and not in_request)
        app.state.grids = GridService(cases_service)
        # Every worker ticks the escalation ladder; the database lets each step fire once.
        app.state.scheduler = scheduler = EscalationScheduler(
            Escalator(pipeline.store, pipeline.models.kb.policy, pipeline.timezone), settings.api.escalation_tick_s)
        scheduler.start()
        try:
            yield
        finally:
            await scheduler.stop()
            pipeline.store.close()

    app = FastAPI(title="GridTriage", version="0.1.0", lifespan=lifespan,
                  description="Citizen reports in, drafted cases out; review, lifecycle and Open311 GeoReport v2.")
    app.state.settings = settings
    app.state.rate_limiter = RateLimiter(settings.api.rate_limit_per_minute)
    app.state.metrics = metrics = Metrics()

    def body_limit(headers: Headers) -> int:
        uploads = headers.get("content-type", "").startswith("multipart/form-data")
        return settings.api.max_upload_bytes if uploads else settings.api.max_body_bytes

    async def body_too_large(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, BodyTooLarge)
        return too_large(request.headers, exc)

    app.add_middleware(BodyLimit, limit_of=body_limit)  # counts a body's bytes as they arrive
    app.add_exception_handler(BodyTooLarge, body_too_large)
    app.middleware("http")(unexpected)  # inside the metrics middleware, so a 500 is counted
    app.middleware("http")(metrics.middleware)  # outermost, so 413s and 500s are counted

    app.add_exception_handler(RequestValidationError, invalid)
    app.add_exception_handler(Refusal, explained(422))
    app.add_exception_handler(NotFound, explained(404))
    app.add_exception_handler(Forbidden, explained(403))
    app.add_exception_handler(PlaceConflict, explained(409))
    app.add_exception_handler(TransitionRefused, explained(409))
    app.add_exception_handler(IdempotencyConflict, explained(409))
    app.add_exception_handler(HTTPException, refused)
    app.add_exception_handler(LookupError, error(404, "not_found"))
    app.add_exception_handler(ValueError, error(422, "invalid"))
    for router in (reports.router, cases.router, closing.router, photos.router, city.router, open311.router,
                   ops.router, briefings.router, situation.router, whistles.router, notifications.router):
        app.include_router(router)
    install_web(app, settings)  # the pages under /ui
    # POST /v1/reports and …/disposal read their bodies themselves (JSON or multipart); GET /v1/export
    # streams JSON Lines
    document_models(app, ReportCreate, DisposalCreate, CaseExportPublic, ErrorPublic, InvalidPublic,
                    InternalErrorPublic)
    return app


def error(status: int, code: str) -> Callable[[Request, Exception], Awaitable[JSONResponse]]:
    """A refusal raised outside the catalogue (a plain ValueError or LookupError): its own words."""
    async def handle(request: Request, exc: Exception) -> JSONResponse:
        text = exc.args[0] if exc.args and isinstance(exc.args[0], str) else str(exc)
        return JSONResponse({"detail": text, "code": code}, status_code=status)
    return handle
