"""The OpenAPI document is whole: every reference resolves, every JSON answer has a schema, and the
report body the route reads by itself is documented where its reference points."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from api.app import create_app
from api.schemas import ReportCreate
from core.settings import LLMSettings, Settings

pytestmark = pytest.mark.unit
BINARY = {"image/jpeg", "image/png", "image/webp", "text/plain", "text/xml"}


@pytest.fixture(scope="module")
def document(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The app is built, not started: the document needs no models and no database."""
    db = tmp_path_factory.mktemp("openapi") / "unused.db"
    return create_app(Settings(db=str(db), llm=LLMSettings(provider="none"))).openapi()


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            yield node["$ref"]
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def test_every_reference_resolves(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    dangling = {ref for ref in _refs(document) if ref.removeprefix("#/components/schemas/") not in schemas}
    assert not dangling


def test_every_answer_has_a_schema(document: dict[str, Any]) -> None:
    missing = []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            answers = {code: a for code, a in operation["responses"].items() if code.startswith("2")}
            assert answers, (method, path)
            for code, answer in answers.items():
                for media, content in answer.get("content", {"none": {}}).items():
                    if not content.get("schema") and media not in BINARY:
                        missing.append((method, path, code, media))
    assert not missing


def test_the_report_body_is_documented_as_the_route_reads_it(document: dict[str, Any]) -> None:
    body = document["paths"]["/v1/reports"]["post"]["requestBody"]["content"]
    assert body["application/json"]["schema"] == {"$ref": "#/components/schemas/ReportCreate"}
    documented = document["components"]["schemas"]["ReportCreate"]
    assert set(documented["properties"]) == set(ReportCreate.model_fields)
    assert documented.get("additionalProperties") is False, "unknown fields are refused (422)"
    assert set(body["multipart/form-data"]["schema"]["properties"]) == {*ReportCreate.model_fields, "photos"}
    accepted = document["paths"]["/v1/reports"]["post"]["responses"]
    assert accepted["201"]["content"]["application/json"]["schema"] == accepted["200"]["content"][
        "application/json"]["schema"] == {"$ref": "#/components/schemas/ReportAcceptedPublic"}


def test_a_refusal_is_documented_beside_schema_errors(document: dict[str, Any]) -> None:
    """A rule's refusal answers 422 `{detail, code}`; a body that does not fit answers 422 `{detail: [...]}`."""
    for path, method in (("/v1/reports", "post"), ("/v1/cases", "get"), ("/v1/cases/{case_id}/edit", "post"),
                         ("/v1/mode", "put")):
        schema = document["paths"][path][method]["responses"]["422"]["content"]["application/json"]["schema"]
        assert {ref["$ref"].rsplit("/", 1)[-1] for ref in schema["anyOf"]} == {"ErrorPublic", "InvalidPublic"}, path


def test_every_route_documents_one_422_shape_and_the_500(document: dict[str, Any]) -> None:
    """Any route's 422 may be a rule's refusal or schema errors; any route may answer the 500 with a
    request id."""
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            answers = operation["responses"]
            if "422" in answers:
                schema = answers["422"]["content"]["application/json"]["schema"]
                assert {ref["$ref"].rsplit("/", 1)[-1] for ref in schema["anyOf"]} == {
                    "ErrorPublic", "InvalidPublic"}, (method, path)
            assert answers["500"]["content"]["application/json"]["schema"] == {
                "$ref": "#/components/schemas/InternalErrorPublic"}, (method, path)
    internal = document["components"]["schemas"]["InternalErrorPublic"]
    assert set(internal["required"]) == {"detail", "code", "request_id"}
