"""Schemathesis checks of our own, loaded by the fuzzing run (SCHEMATHESIS_HOOKS): a JSON Lines
export is validated line by line against its documented schema, which the built-in check cannot do."""

from __future__ import annotations

from typing import Any

import schemathesis
from pydantic import ValidationError

from api.responses import CaseExportPublic


@schemathesis.check
def export_lines_conform(ctx: schemathesis.CheckContext, response: schemathesis.Response,
                         case: schemathesis.Case[Any]) -> bool | None:
    if not response.headers.get("content-type", [""])[0].startswith("application/x-ndjson"):
        return None
    lines = response.content.decode("utf-8").split("\n")  # JSON Lines: only \n ends a line
    for number, line in enumerate(filter(None, lines), start=1):
        try:
            CaseExportPublic.model_validate_json(line)
        except ValidationError as exc:
            raise AssertionError(f"export line {number} does not fit CaseExportPublic: {exc}") from exc
    return True
