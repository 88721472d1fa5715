"""The situation picture (一屏观全域) as JSON, for wall screens and other clients: the figures, polled,
and the map's base layer, read once."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from api.deps import Reader, ServiceDep
from api.responses import ErrorPublic
from api.situation_service import MapLayerPublic, SituationPublic, map_layer, situation

router = APIRouter(prefix="/v1", tags=["situation"])

_REFUSED: dict[int | str, dict[str, Any]] = {403: {"model": ErrorPublic, "description": "The role may not read cases."}}


@router.get("/situation", responses=_REFUSED)
def get_situation(client: Reader, service: ServiceDep) -> SituationPublic:
    """The open cases as points and per grid, street and department (open and overdue), today's cases
    hour by hour against the past week's mean of the same hour (the city's clock), the respond-by
    countdowns and the open urgent cases. A department's key sees its own cases only."""
    return situation(service, client)


@router.get("/situation/layer", responses=_REFUSED)
def get_layer(client: Reader, service: ServiceDep) -> MapLayerPublic:
    """The map's base layer from the knowledge base: the grids' polygons and the district and street
    names at their centres. No tile server is needed to draw it."""
    return map_layer(service.pipeline.models.kb)
