"""The OpenAPI document, with the schemas of bodies a route reads by itself (so FastAPI does not see
them) added to its components, where the routes' `$ref`s point, and one error shape for all routes:
a 422 is a refusal (`{detail, code}`) or a list of schema errors, a 500 carries a request id."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel


def document_models(app: FastAPI, *models: type[BaseModel]) -> None:
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = build()
            schemas = document.setdefault("components", {}).setdefault("schemas", {})
            for model in models:
                schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
                schemas.update(schema.pop("$defs", {}))
                schemas[model.__name__] = schema
            _document_errors(document)
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _document_errors(document: dict[str, Any]) -> None:
    """Every route that may answer 422 documents both shapes (a rule's refusal anywhere in the
    service is a string `detail` with a `code`), and every route documents the 500."""
    refs = {name: {"$ref": f"#/components/schemas/{name}"} for name in ("ErrorPublic", "InvalidPublic",
                                                                         "InternalErrorPublic")}
    unprocessable = {"application/json": {"schema": {"anyOf": [refs["ErrorPublic"], refs["InvalidPublic"]]}}}
    internal = {"description": "An unexpected error, logged under `request_id`.",
                "content": {"application/json": {"schema": refs["InternalErrorPublic"]}}}
    for path in document.get("paths", {}).values():
        for operation in path.values():
            answers = operation.setdefault("responses", {})
            if "422" in answers:
                answers["422"]["content"] = unprocessable
            answers.setdefault("500", internal)
