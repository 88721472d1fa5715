"""The notifications feed: grid dispatches, whistles, report-ins and escalations, each caller's own."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from api.deps import Reader
from api.errors import caller_language
from api.grid_responses import NotificationsPublic
from api.responses import UNPROCESSABLE
from api.routers.whistles import GridsDep

router = APIRouter(prefix="/v1", tags=["grids"])


@router.get("/notifications", responses=UNPROCESSABLE)
def notifications(request: Request, client: Reader, grids: GridsDep,
                  since: Annotated[str | None, Query(max_length=60, description=(
                      "The `next` of an earlier answer (only newer notices), or an ISO 8601 time "
                      "(without an offset: the city's clock)."))] = None,
                  limit: Annotated[int, Query(ge=1, le=500)] = 100) -> NotificationsPublic:
    """Notices for the caller, oldest first: a department key sees its department's, a grid key its
    grid's, the city centre's roles all of them."""
    return grids.notifications(client, since, limit, caller_language(request))
