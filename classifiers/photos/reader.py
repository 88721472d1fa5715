"""One photo in, everything GridTriage uses from it out: validated type and size, capture time and
GPS (in the knowledge base's coordinate system), perceptual hashes, the text on it, a thumbnail, and
a downscaled image for vision backends."""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass, field
from datetime import UTC, tzinfo

from PIL import Image

from classifiers.photos.exif import read_exif
from classifiers.photos.geo import COORDINATE_SYSTEMS, to_kb_coordinates
from classifiers.photos.hashing import photo_hashes
from classifiers.photos.ocr import OcrEngine, ocr_text
from classifiers.photos.scale import fit_within
from classifiers.photos.validate import PhotoValidator
from core.photo_types import OcrLine, PhotoFacts, PhotoIn
from core.settings import PhotoSettings
from core.timing import timed


@dataclass(frozen=True)
class PhotoReading:
    facts: PhotoFacts          # ocr_text is raw: intake masks personal data
    image: Image.Image = field(repr=False)  # upright RGB, at most vision_max_side: for vision backends
    data: bytes = field(repr=False)         # the upload as received, stored under facts.sha256
    thumbnail: bytes = field(repr=False)    # JPEG, longest side thumbnail_px


class PhotoReader:
    """`coordinate_system`: the knowledge base's (`places.yaml`), "wgs84" or "gcj02".
    `local_time`: the city's clock, for EXIF times written without an offset."""

    def __init__(self, settings: PhotoSettings | None = None, coordinate_system: str = "gcj02",
                 local_time: tzinfo = UTC) -> None:
        if coordinate_system not in COORDINATE_SYSTEMS:
            raise ValueError(f"unknown coordinate system {coordinate_system!r}; "
                             f"set `coordinate_system` in places.yaml to one of {', '.join(COORDINATE_SYSTEMS)}")
        self.settings = settings or PhotoSettings()
        self.coordinate_system = coordinate_system
        self.local_time = local_time
        self.validator = PhotoValidator(self.settings.max_bytes, self.settings.max_pixels)
        self.ocr = OcrEngine(self.settings.ocr_min_score, self.settings.ocr_max_side,
                             self.settings.ocr_threads) if self.settings.ocr else None

    def warm_up(self) -> None:
        self.validator.warm_up()
        photo_hashes(Image.new("RGB", (64, 48)))  # imagehash imports scipy's DCT on first use (~0.3 s)
        if self.ocr is not None:
            self.ocr.warm_up()

    def read(self, photo: PhotoIn) -> PhotoReading:
        """Raises PhotoRejected (a ValueError) when the upload is not a usable photo."""
        timings: dict[str, float] = {}
        with timed(timings, "validate"):
            checked = self.validator.check(photo.data, photo.filename)
        image = checked.image
        with timed(timings, "exif"):
            exif = read_exif(checked.exif, self.local_time)
        with timed(timings, "hash"):
            hashes = photo_hashes(image)
        lines: tuple[OcrLine, ...] = ()
        if self.ocr is not None:
            with timed(timings, "ocr"):
                lines = self.ocr.read(image)
        with timed(timings, "thumbnail"):
            thumbnail = _thumbnail(image, self.settings.thumbnail_px)
        lat = lon = None
        if exif.gps_wgs84 is not None:
            lat, lon = to_kb_coordinates(*exif.gps_wgs84, self.coordinate_system)
        facts = PhotoFacts(
            sha256=hashlib.sha256(photo.data).hexdigest(),
            format=checked.format,
            width=image.width,
            height=image.height,
            size_bytes=checked.size_bytes,
            filename=photo.filename,
            taken_at=exif.taken_at,
            lat=lat,
            lon=lon,
            gps_wgs84=exif.gps_wgs84,
            phash=hashes.phash,
            dhash=hashes.dhash,
            crop_hashes=hashes.crops,
            ocr_text=ocr_text(lines),
            ocr_lines=lines,
            timings_ms={name: round(ms, 2) for name, ms in timings.items()},
        )
        return PhotoReading(facts=facts, image=fit_within(image, self.settings.vision_max_side), data=photo.data,
                            thumbnail=thumbnail)


def _thumbnail(image: Image.Image, side: int) -> bytes:
    buffer = io.BytesIO()
    fit_within(image, side).save(buffer, format="JPEG", quality=80, optimize=True)
    return buffer.getvalue()
