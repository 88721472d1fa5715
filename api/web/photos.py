"""A disposal's after-photos on the pages, reached through their case: whoever may see the case (a
department only its own) sees its after-photos, as uploaded to roles with the personal-data ability
and without their metadata (EXIF GPS, device serial) to the others, as the photo API does."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request, Response
from fastapi.responses import FileResponse

from agent.store.photo_files import MEDIA_TYPES
from api.schemas import CaseIdPath
from api.web.access import WebUser, can, need
from api.web.render import cases_of, service_of
from classifiers.photos.scrub import without_metadata
from core.messages import NotFound, message

router = APIRouter(prefix="/ui/cases", include_in_schema=False)
Sha256 = Annotated[str, Path(pattern="^[0-9a-fA-F]{64}$")]
_CACHE = {"Cache-Control": "private, max-age=3600"}


def _format(request: Request, case_id: int, sha256: str, client: WebUser) -> str:
    """The after-photo's format, if it belongs to one of the case's disposals and the client may see the case."""
    case = cases_of(request).case_record(case_id, client)
    for disposal in case.disposals:
        for photo in disposal.photos:
            if str(photo.get("sha256", "")).lower() == sha256 and photo.get("format") in MEDIA_TYPES:
                return str(photo["format"])
    raise NotFound(message("photo.not_found", sha256=sha256))


@router.get("/{case_id}/after-photos/{sha256}", response_model=None)
def after_photo(request: Request, case_id: CaseIdPath, sha256: Sha256, client: WebUser) -> Response:
    need(client, "read")
    sha256 = sha256.lower()
    fmt = _format(request, case_id, sha256, client)
    path = service_of(request).pipeline.photo_files.original(sha256, fmt)
    if can(client, "personal_data"):
        return FileResponse(path, media_type=MEDIA_TYPES[fmt], headers=_CACHE)
    return Response(without_metadata(path.read_bytes(), fmt), media_type=MEDIA_TYPES[fmt], headers=_CACHE)


@router.get("/{case_id}/after-photos/{sha256}/thumbnail", response_class=FileResponse)
def after_thumbnail(request: Request, case_id: CaseIdPath, sha256: Sha256, client: WebUser) -> FileResponse:
    need(client, "read")
    sha256 = sha256.lower()
    _format(request, case_id, sha256, client)
    return FileResponse(service_of(request).pipeline.photo_files.thumbnail(sha256), media_type="image/jpeg",
                        headers=_CACHE)
