"""The situation map (/ui/map) and the live panels it shares with the dashboard: the page, the JSON
its script polls (the figures, and the panels rendered again in the reader's language), and the
map's base layer. A department user sees its own department's cases only."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse

from agent.store.keys import ApiClient
from api.situation_service import SituationPublic, map_layer, situation
from api.web.access import WebUser, need
from api.web.i18n import language, translator
from api.web.render import fragment, kb_of, page, service_of
from core.types import PRIORITIES

router = APIRouter(prefix="/ui", include_in_schema=False)

REFRESH_SECONDS = 30
NO_STORE = {"Cache-Control": "no-store"}


@router.get("/map", response_class=HTMLResponse)
def map_page(request: Request, client: WebUser) -> HTMLResponse:
    need(client, "read")
    return page(request, "map.html", client, nav="map", **panels_context(request, client),
                words=map_words(request))


@router.get("/situation.json")
def situation_json(request: Request, client: WebUser) -> JSONResponse:
    """What the pages poll: the figures and the panels' HTML, in the reader's language."""
    need(client, "read")
    context = panels_context(request, client)
    return JSONResponse({"situation": context["situation"].model_dump(mode="json"),
                         "panels": fragment("_situation.html", request, client, **context)}, headers=NO_STORE)


@router.get("/map/layer.json")
def layer_json(request: Request, client: WebUser) -> JSONResponse:
    need(client, "read")
    return JSONResponse(map_layer(kb_of(request)).model_dump(mode="json"), headers={"Cache-Control": "private"})


def panels_context(request: Request, client: ApiClient) -> dict[str, Any]:
    """What `_situation.html` needs: the figures for `client` and the trend chart's geometry."""
    figures = situation(service_of(request), client)
    return {"situation": figures, "trend": trend_chart(figures), "refresh": REFRESH_SECONDS,
            "countdown": countdown_text}


def map_words(request: Request) -> dict[str, Any]:
    """The words the map's script writes (popups, legends), in the reader's language."""
    t = translator(language(request))
    return {"priority": {p: t(f"priority.{p}") for p in PRIORITIES},
            "status": {s: t(f"status.{s}") for s in ("received", "accepted", "dispatched", "handling", "disposed",
                                                     "returned", "reopened")},
            "heat_grid": t("situation.heat_grid"), "heat_street": t("situation.heat_street"),
            "at_street": t("situation.at_street"), "overdue": t("situation.col_overdue"),
            "open": t("situation.col_open"), "members": t("situation.grid_members"),
            "refresh_failed": t("situation.refresh_failed"),
            "unlocated": t("situation.unlocated", n="{n}"), "capped": t("situation.capped", n="{n}")}


def countdown_text(seconds: int) -> str:
    """12:05 or 1:02:05 (hours:minutes:seconds), as the page's script keeps counting it."""
    amount = abs(seconds)
    hours, rest = divmod(amount, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


@dataclass(frozen=True)
class Bar:
    hour: int
    x: float
    y: float
    height: float
    value: int | None
    average: float


# the trend chart's drawing box (SVG user units): 24 columns of 20 above a row of hour labels
WIDTH, HEIGHT, BASE, COLUMN = 480, 150, 128, 20


def trend_chart(figures: SituationPublic) -> dict[str, Any]:
    """Today's bars and the past week's mean as a line, scaled to the larger of the two."""
    top = max([1.0, *(h.week_average for h in figures.hourly), *(float(h.today or 0) for h in figures.hourly)])
    scale = (BASE - 12) / top

    def y(value: float) -> float:
        return round(BASE - value * scale, 1)

    bars = [Bar(hour=h.hour, x=h.hour * COLUMN + 4, y=y(h.today or 0), height=round((h.today or 0) * scale, 1),
                value=h.today, average=h.week_average) for h in figures.hourly]
    line = " ".join(f"{h.hour * COLUMN + COLUMN / 2:g},{y(h.week_average)}" for h in figures.hourly)
    ticks = [(h * COLUMN + COLUMN / 2, f"{h:02d}") for h in range(0, 24, 3)]
    now = max((h.hour for h in figures.hourly if h.today is not None), default=-1)
    return {"bars": bars, "line": line, "ticks": ticks, "top": top, "width": WIDTH, "height": HEIGHT,
            "base": BASE, "column": COLUMN, "now": now}
