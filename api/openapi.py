"""The OpenAPI document, with the schemas of bodies a route reads by itself (so FastAPI does not see
them) added to its components, where the routes' `$ref`s point, and one error shape for all routes:
every 4xx is a refusal (`{detail, code}`), a 422 may instead be a list of schema errors, a 500
carries a request id. Open311's routes answer their refusals in the spec's `[{code, description}]`."""

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
    """Every route documents its refusals: any 4xx as `{detail, code}` (401 no key, 403 role,
    404 nothing there, 409 a state that does not allow it, 413 too large, 429 too many, with
    Retry-After), a 422 also as a list of schema errors; and the 500."""
    refs = {name: {"$ref": f"#/components/schemas/{name}"} for name in ("ErrorPublic", "InvalidPublic",
                                                                         "InternalErrorPublic")}
    unprocessable = {"application/json": {"schema": {"anyOf": [refs["ErrorPublic"], refs["InvalidPublic"]]}}}
    refused = {"description": "Refused: `detail` says why and what to do, in the caller's language "
                              "(Accept-Language); `code` is the message catalogue's key.",
               "content": {"application/json": {"schema": refs["ErrorPublic"]}}}
    internal = {"description": "An unexpected error, logged under `request_id`.",
                "content": {"application/json": {"schema": refs["InternalErrorPublic"]}}}
    for route, path in document.get("paths", {}).items():
        for operation in path.values():
            answers = operation.setdefault("responses", {})
            if route.startswith("/open311/"):
                for code, answer in answers.items():
                    if code != "200" and "content" in answer:
                        answer["content"] = _or_refusal(answer["content"], refs["ErrorPublic"])
                answers.setdefault("4XX", {"description": "Refused, in the spec's shape or as `{detail, code}`.",
                                           "content": answers.get("400", refused)["content"]})
            else:
                answers.setdefault("4XX", refused)
                answers.setdefault("422", {"description": "Refused, or the request does not fit its schema."})
            if "422" in answers:
                answers["422"]["content"] = unprocessable
            answers.setdefault("500", internal)


def _or_refusal(content: dict[str, Any], refusal: dict[str, Any]) -> dict[str, Any]:
    """An Open311 error answer's JSON may also be the service's `{detail, code}` (a body too large,
    say), so both are documented; the .xml path answers the spec's errors as XML."""
    json_schema = content.get("application/json", {}).get("schema")
    if json_schema is None:
        return content
    return {**content, "application/json": {"schema": {"anyOf": [json_schema, refusal]}},
            "text/xml": {"schema": {"type": "string"}}}
