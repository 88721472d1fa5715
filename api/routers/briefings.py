"""Briefings (专报): the figures of the city's day or week, as JSON, Markdown or self-contained HTML.
The narrative is the template's: a request never waits for a language model."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from agent.briefing import FORMATS, Briefer, render_html, render_markdown
from agent.store.keys import ApiClient
from api.auth import requires
from api.briefing_responses import BriefingPublic
from api.deps import ServiceDep
from api.errors import caller_language
from api.responses import UNPROCESSABLE, ErrorPublic
from core.messages import Refusal, message

router = APIRouter(prefix="/v1", tags=["briefings"])
BriefReader = Annotated[ApiClient, Depends(requires("brief"))]

_ANSWERS: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/markdown": {"schema": {"type": "string"}}, "text/html": {"schema": {"type": "string"}}},
          "description": "The briefing: JSON (the figures), Markdown, or one HTML file with its charts inline."},
    403: {"model": ErrorPublic, "description": "The caller's role may not read briefings."},
    **UNPROCESSABLE,
}


@router.get("/briefings", response_model=BriefingPublic, responses=_ANSWERS)
def briefing(
    request: Request, client: BriefReader, service: ServiceDep,
    period: Annotated[str, Query(description="day (日报) or week (周报, Monday to Sunday)",
                                 json_schema_extra={"enum": ["day", "week"]})] = "day",
    day: Annotated[str | None, Query(alias="date", description="A day of the period, YYYY-MM-DD on the city's "
                                     "calendar; default: the last complete period")] = None,
    answer: Annotated[str, Query(alias="format", description="json, markdown or html",
                                 json_schema_extra={"enum": list(FORMATS)})] = "json",
) -> Any:
    """A daily or weekly briefing: volumes by category, street and lead department with the change
    from the previous period, hot issues, overdue cases, response and disposal times, verification
    and satisfaction per department, and the urgent cases, with the template narrative."""
    if answer not in FORMATS:
        raise Refusal(message("brief.format_unknown", format=answer[:40], options=", ".join(FORMATS)))
    pipeline = service.pipeline
    lang = caller_language(request)
    briefer = Briefer(pipeline.store, pipeline.models.kb)
    briefing = briefer.run(period, day, lang=lang)
    if answer == "markdown":
        return Response(render_markdown(briefer, briefing, lang), media_type="text/markdown; charset=utf-8")
    if answer == "html":
        return HTMLResponse(render_html(briefer, briefing, lang))
    return BriefingPublic(figures=briefing.figures, narrative=briefing.narrative)
