"""GET /v1/photos/{sha256}: a report's photo (as uploaded, or without its metadata for roles that may
not see personal data), and its thumbnail for the review pages."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import FileResponse

from agent.store.keys import ApiClient
from agent.store.photo_files import MEDIA_TYPES
from api.auth import authenticate, permit
from api.deps import ServiceDep
from api.web.session import web_client
from classifiers.photos.scrub import without_metadata
from core.messages import NotFound, message
from core.roles import ABILITIES

router = APIRouter(prefix="/v1/photos", tags=["photos"])
_CACHE = {"Cache-Control": "private, max-age=31536000, immutable"}  # content-addressed: never changes


def _viewer(request: Request) -> ApiClient:
    """An API key with the read ability, or a web-page session (the case page shows thumbnails)."""
    return permit(web_client(request) or authenticate(request), "read")


Viewer = Annotated[ApiClient, Depends(_viewer)]


@router.get("/{sha256}", response_class=FileResponse, responses={200: {"content": {
    media: {"schema": {"type": "string", "format": "binary"}} for media in MEDIA_TYPES.values()}}})
def photo(sha256: str, client: Viewer, service: ServiceDep) -> Response:
    """The photo exactly as the citizen sent it to roles with the personal-data ability; to the others
    re-encoded without its metadata (EXIF GPS, device serial), its orientation applied."""
    sha256 = sha256.lower()
    fmt = _stored_format(service, sha256)
    path = service.pipeline.photo_files.original(sha256, fmt)
    if "personal_data" in ABILITIES.get(client.role, frozenset()):
        return FileResponse(path, media_type=MEDIA_TYPES[fmt], headers=_CACHE)
    return Response(without_metadata(path.read_bytes(), fmt), media_type=MEDIA_TYPES[fmt], headers=_CACHE)


@router.get("/{sha256}/thumbnail", response_class=FileResponse, responses={200: {"content": {
    "image/jpeg": {"schema": {"type": "string", "format": "binary"}}}}})
def thumbnail(sha256: str, client: Viewer, service: ServiceDep) -> FileResponse:
    """A JPEG at most 320 pixels on its longest side."""
    sha256 = sha256.lower()
    _stored_format(service, sha256)
    return FileResponse(service.pipeline.photo_files.thumbnail(sha256), media_type="image/jpeg", headers=_CACHE)


def _stored_format(service: ServiceDep, sha256: str) -> str:
    fmt = service.pipeline.store.photo_format(sha256)
    if fmt is None:
        raise NotFound(message("photo.not_found", sha256=sha256))
    return fmt
