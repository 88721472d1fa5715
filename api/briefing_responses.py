"""The answer to GET /v1/briefings?format=json: the briefing's figures themselves and its narrative."""

from __future__ import annotations

from api.responses import Public
from core.briefings import BriefingFigures, BriefingNarrative


class BriefingPublic(Public):
    """A daily or weekly briefing (专报): every figure of the period beside the previous period's, the
    overdue cases as of `figures.period.as_of`, and the template narrative built from them."""

    figures: BriefingFigures
    narrative: BriefingNarrative
