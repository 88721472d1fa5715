"""Photo types: a photo as uploaded, what reading it yields, and its bytes on their way to storage."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field, field_validator

from core.frozen import Frozen


class PhotoIn(Frozen):
    """A photo as uploaded: its bytes, unchecked (intake validates them by content). The file name is
    masked like report text on the way in, so no stage, store, log or refusal sees the raw name."""

    data: bytes = Field(repr=False)
    filename: str | None = None

    @field_validator("filename")
    @classmethod
    def _masked(cls, name: str | None) -> str | None:
        from core.masking import mask  # here, not at the top: core.masking imports core.types, which imports us

        return mask(name)[0] if name else name


class OcrLine(Frozen):
    text: str
    score: float


class SceneGuess(Frozen):
    """What a vision backend says a photo shows: one of the candidate categories (or none), already
    validated against the candidates it was given."""

    backend: str                   # "clip:<model dir name>", "vision-openai:<model>" or "fake"
    category_id: str | None        # None: the backend saw none of the candidates
    score: float | None = None     # the backend's own probability, when it has one
    description: str | None = None
    alternatives: tuple[tuple[str, float], ...] = ()
    rejected: tuple[str, ...] = ()  # outputs refused by validation (e.g. a category not offered)
    latency_ms: float = 0.0
    error: str | None = None       # why the backend gave no answer (it failed, timed out, or erred twice)


class PhotoFacts(Frozen):
    """What a photo contributes, as the audit log and the case keep it (the bytes live on disk,
    content-addressed by `sha256`)."""

    sha256: str
    format: Literal["jpeg", "png", "webp"]
    width: int                      # after EXIF orientation
    height: int
    size_bytes: int
    filename: str | None = None
    taken_at: datetime | None = None       # EXIF DateTimeOriginal, on the city's clock when it has no offset
    lat: float | None = None               # EXIF GPS in the knowledge base's coordinate system
    lon: float | None = None
    gps_wgs84: tuple[float, float] | None = None  # as the camera wrote it (lat, lon)
    phash: str                      # 64-bit perceptual hashes, hex
    dhash: str
    crop_hashes: tuple[tuple[str, str], ...] = ()  # (pHash, dHash) of centre crops: a cropped copy matches
    ocr_text: str = ""              # masked, lines joined in reading order
    ocr_lines: tuple[OcrLine, ...] = ()
    scene: SceneGuess | None = None
    timings_ms: dict[str, float] = Field(default_factory=dict)


class PhotoBlob(Frozen):
    """A validated photo's bytes and thumbnail, on their way to the content-addressed photo store."""

    sha256: str
    format: Literal["jpeg", "png", "webp"]
    data: bytes = Field(repr=False)
    thumbnail: bytes = Field(repr=False)
