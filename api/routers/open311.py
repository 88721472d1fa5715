"""Open311 GeoReport v2 (https://wiki.open311.org/GeoReport_v2): services are the taxonomy's
leaves; a service request is a case. JSON or XML by the path's extension; errors in the spec's
`[{code, description}]` shape. POST takes the key as `api_key` (the spec's way) or a Bearer header.
A `start_date`/`end_date` without a UTC offset is read as the city's local time (the knowledge
base's time zone), which is what a GeoReport v2 client in that city means."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal
from urllib.parse import parse_qs
from xml.etree.ElementTree import Element, SubElement, tostring
from zoneinfo import ZoneInfo

from fastapi import APIRouter, HTTPException, Request, Response

from agent.intake import ReportRejected
from agent.lifecycle import OPEN
from agent.store.keys import ApiClient
from api.auth import authorize
from api.cases_service import CaseService
from api.errors import detail_text
from api.responses import OPEN311_ERRORS, Open311CreatedPublic, Open311RequestPublic, Open311ServicePublic
from api.schemas import MAX_ID
from api.service import TriageService
from classifiers.photos.geo import from_kb_coordinates, to_kb_coordinates
from core.messages import NotFound
from core.records import CaseFilter
from core.types import ReportIn

router = APIRouter(prefix="/open311/v2", tags=["open311"])
Format = Literal["json", "xml"]  # the path's extension: an unknown one is refused (422)


def _documented(model: Any, description: str) -> dict[int | str, dict[str, Any]]:
    """The JSON answer's schema; the .xml path answers the same fields as XML."""
    return {200: {"model": model, "description": description,
                  "content": {"text/xml": {"schema": {"type": "string"}}}}, **OPEN311_ERRORS}


def _render(data: Any, fmt: str, root: str, item: str, status: int = 200) -> Response:
    if fmt == "xml":
        top = Element(root)
        for entry in data:
            node = SubElement(top, item)
            for key, value in entry.items():
                child = SubElement(node, key)
                if isinstance(value, list):
                    for v in value:
                        SubElement(child, "value").text = str(v)
                elif value is not None:
                    child.text = str(value).lower() if isinstance(value, bool) else str(value)
        body = b'<?xml version="1.0" encoding="utf-8"?>' + tostring(top, encoding="utf-8")
        return Response(body, status_code=status, media_type="text/xml; charset=utf-8")
    return Response(json.dumps(data, ensure_ascii=False), status_code=status, media_type="application/json")


def _error(fmt: str, status: int, description: str, headers: Mapping[str, str] | None = None) -> Response:
    answer = _render([{"code": status, "description": description}], fmt, "errors", "error", status)
    answer.headers.update(headers or {})
    return answer


def _refused(fmt: str, exc: HTTPException) -> Response:
    """A refused key or role in the spec's error shape, keeping its headers (a 429's `Retry-After`)."""
    return _error(fmt, exc.status_code, detail_text(exc, "en"), exc.headers)


def _id(text: str) -> int | None:
    """A service request id, or None when `text` cannot be one (not decimal digits, or beyond the
    database's integers)."""
    text = text.strip()
    if not (text.isascii() and text.isdigit()) or not 0 < int(text) <= MAX_ID:
        return None
    return int(text)


@router.get("/services.{fmt}", responses=_documented(list[Open311ServicePublic], "The taxonomy's leaves."))
def services(fmt: Format, request: Request) -> Response:
    kb = request.app.state.service.pipeline.models.kb
    tops = {t.id: t.name for t in kb.categories.values()}
    rows = [{"service_code": leaf.id, "service_name": leaf.name, "description": leaf.description,
             "metadata": False, "type": "realtime", "keywords": ",".join(leaf.keywords),
             "group": tops.get(leaf.id.split(".")[0], "")} for leaf in kb.leaves.values()]
    return _render(rows, fmt, "services", "service")


@router.post("/requests.{fmt}", responses=_documented(list[Open311CreatedPublic], "The case made or joined."))
async def create_request(fmt: Format, request: Request) -> Response:
    raw = await request.body()
    try:
        if request.headers.get("content-type", "").startswith("application/json"):
            fields = {k: str(v) for k, v in json.loads(raw or b"{}").items()}
        else:
            fields = {k: v[0] for k, v in parse_qs(raw.decode("utf-8"), keep_blank_values=True).items()}
    except (ValueError, UnicodeDecodeError, AttributeError, RecursionError):  # RecursionError: nested too deep
        return _error(fmt, 400, "the body must be form-encoded (or a JSON object) as GeoReport v2 describes")
    try:
        client = authorize(request, "submit", fields.get("api_key"))
    except HTTPException as exc:
        return _refused(fmt, exc)
    service: TriageService = request.app.state.service
    kb = service.pipeline.models.kb
    code = fields.get("service_code")
    if code and code not in kb.leaves:
        return _error(fmt, 400, f"unknown service_code {code!r}; see services.{fmt}")
    description = fields.get("description", "").strip()
    if not description:
        return _error(fmt, 400, "description is required: what the citizen reported")
    try:
        lat = float(fields["lat"]) if fields.get("lat") else None
        lon = float(fields["long"]) if fields.get("long") else None
    except ValueError:
        return _error(fmt, 400, "lat and long must be numbers (WGS-84 degrees)")
    if (lat is not None and not (math.isfinite(lat) and -90 <= lat <= 90)) or (
            lon is not None and not (math.isfinite(lon) and -180 <= lon <= 180)):
        return _error(fmt, 400, "lat must lie within -90..90 and long within -180..180 (WGS-84 degrees)")
    if lat is not None and lon is not None:  # GeoReport v2 sends WGS-84; the places may be on GCJ-02
        lat, lon = to_kb_coordinates(lat, lon, kb.coordinate_system)
    contact = fields.get("phone") or fields.get("email") or None
    report = ReportIn(text=description, channel="open311", address=fields.get("address_string") or None,
                      lat=lat, lon=lon, contact=contact, external_id=fields.get("device_id") or None)
    try:
        submitted = await _in_thread(service, report, client, fields)
    except ReportRejected as exc:
        return _error(fmt, 400, str(exc))
    body = submitted.body
    notice = f"已{'并入' if body['duplicate_of'] else '生成'}工单，主办：{body['departments'][0]['name']}"
    if code and code != body["category"]["id"]:
        notice += f"；系统分类为 {body['category']['id']}（提交为 {code}），待人工确认"
    return _render([{"service_request_id": str(body["case_id"]), "service_notice": notice, "account_id": None}],
                   fmt, "service_requests", "request")


async def _in_thread(service: TriageService, report: ReportIn, client: ApiClient, fields: dict[str, str]) -> Any:
    from starlette.concurrency import run_in_threadpool

    key = fields.get("idempotency_key") or None
    return await run_in_threadpool(service.submit, report, client, key, {**fields, "api_key": None})


@router.get("/requests.{fmt}", responses=_documented(list[Open311RequestPublic], "Cases as service requests."))
def list_requests(fmt: Format, request: Request, service_request_id: str | None = None,
                  service_code: str | None = None, status: str | None = None, start_date: datetime | None = None,
                  end_date: datetime | None = None, api_key: str | None = None) -> Response:
    try:
        authorize(request, "read", api_key)
    except HTTPException as exc:
        return _refused(fmt, exc)
    cases: CaseService = request.app.state.cases
    if status and status not in ("open", "closed"):
        return _error(fmt, 400, "status must be open or closed")
    if service_request_id:
        ids = [i for i in (_id(text) for text in service_request_id.split(",")) if i is not None]
    else:
        ids = [c.id for c in cases.queue(CaseFilter(category=service_code), limit=1000).rows]
    rows = [r for r in (_request_row(cases, i) for i in ids) if r]
    if status:
        rows = [r for r in rows if r["status"] == status]
    if start_date or end_date:
        local = ZoneInfo(cases.pipeline.models.kb.meta.timezone)
        start, end = (d.replace(tzinfo=local) if d and d.tzinfo is None else d for d in (start_date, end_date))
        rows = [r for r in rows if _within(r["requested_datetime"], start, end)]
    return _render(rows, fmt, "service_requests", "request")


@router.get("/requests/{request_id}.{fmt}",
            responses=_documented(list[Open311RequestPublic], "One case as a service request."))
def get_request(request_id: str, fmt: Format, request: Request, api_key: str | None = None) -> Response:
    try:
        authorize(request, "read", api_key)
    except HTTPException as exc:
        return _refused(fmt, exc)
    case_id = _id(request_id)
    row = _request_row(request.app.state.cases, case_id) if case_id is not None else None
    if row is None:
        return _error(fmt, 404, f"service request {request_id} does not exist")
    return _render([row], fmt, "service_requests", "request")


def _within(requested: str | None, start: datetime | None, end: datetime | None) -> bool:
    """Whether a request made at `requested` (ISO 8601 with offset) falls in the range; a request with
    no time (a merged case keeps no reports) is in no range."""
    if requested is None:
        return False
    at = datetime.fromisoformat(requested)
    return (start is None or at >= start) and (end is None or at <= end)


def _request_row(cases: CaseService, case_id: int) -> dict[str, Any] | None:
    try:
        case = cases.case(case_id, None)
    except NotFound:
        return None
    kb = cases.pipeline.models.kb
    lead = kb.departments.get(case.lead_department_id)
    place = case.place or {}
    wgs84 = None  # GeoReport v2 speaks WGS-84; the case keeps the knowledge base's coordinates
    if place.get("lat") is not None and place.get("lon") is not None:
        wgs84 = from_kb_coordinates(place["lat"], place["lon"], kb.coordinate_system)
    first = case.reports[0] if case.reports else None
    updated = max((a.created_at for a in case.audit), default=None)
    return {
        "service_request_id": str(case.id),
        "status": "open" if case.status in OPEN else "closed",
        "status_notes": case.status,
        "service_name": case.category_name,
        "service_code": case.category_id,
        "description": first.text if first else "",
        "agency_responsible": lead.name if lead else case.lead_department_id,
        "service_notice": case.title,
        "requested_datetime": _iso(first.received_at if first else None),
        "updated_datetime": _iso(updated),
        "expected_datetime": _iso(case.resolve_by),
        "address": (case.draft or {}).get("place"),
        "address_id": place.get("street", {}).get("id") if isinstance(place.get("street"), dict) else None,
        "zipcode": None,
        "lat": wgs84[0] if wgs84 else None,
        "long": wgs84[1] if wgs84 else None,
        "media_url": None,
    }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
