"""Capture time and GPS from a photo's EXIF.

Most uploads have no EXIF at all (messengers strip it) or a broken one; every reader here returns
None then and never raises."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo
from typing import Any

from PIL import ExifTags, Image

_DATETIME_ORIGINAL = int(ExifTags.Base.DateTimeOriginal)
_OFFSET_TIME_ORIGINAL = int(ExifTags.Base.OffsetTimeOriginal)
_DATETIME_DIGITIZED = int(ExifTags.Base.DateTimeDigitized)
_OFFSET_TIME_DIGITIZED = int(ExifTags.Base.OffsetTimeDigitized)
_EARLIEST_YEAR = 1990  # cameras with a flat clock battery write 1970 or 2000-01-01 00:00, not the truth


@dataclass(frozen=True)
class ExifFacts:
    taken_at: datetime | None = None          # timezone-aware
    gps_wgs84: tuple[float, float] | None = None  # (lat, lon) as the camera wrote it


def read_exif(exif: Image.Exif, local_time: tzinfo) -> ExifFacts:
    """Capture time (on `local_time` when the photo has no offset) and GPS position."""
    return ExifFacts(taken_at=capture_time(exif, local_time), gps_wgs84=gps_position(exif))


def capture_time(exif: Image.Exif, local_time: tzinfo) -> datetime | None:
    try:
        ifd = exif.get_ifd(ExifTags.IFD.Exif)
    except Exception:  # a broken sub-IFD is "no time", not an error
        return None
    for stamp_tag, offset_tag in ((_DATETIME_ORIGINAL, _OFFSET_TIME_ORIGINAL),
                                  (_DATETIME_DIGITIZED, _OFFSET_TIME_DIGITIZED)):
        taken = parse_exif_datetime(ifd.get(stamp_tag), ifd.get(offset_tag), local_time)
        if taken is not None:
            return taken
    return None


def parse_exif_datetime(stamp: Any, offset: Any, local_time: tzinfo) -> datetime | None:
    """'2024:05:01 08:30:00' plus an optional '+08:00' offset → an aware datetime, or None."""
    text = _text(stamp)
    if text is None:
        return None
    try:
        naive = datetime.strptime(text[:10].replace("-", ":") + text[10:19], "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None
    if naive.year < _EARLIEST_YEAR:
        return None
    zone = _offset(_text(offset)) or local_time
    return naive.replace(tzinfo=zone)


def gps_position(exif: Image.Exif) -> tuple[float, float] | None:
    try:
        gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    except Exception:  # a broken GPS IFD is "no position"
        return None
    if not gps or _text(gps.get(ExifTags.GPS.GPSStatus)) == "V":  # "V": the receiver had no fix
        return None
    lat = _coordinate(gps.get(ExifTags.GPS.GPSLatitude), gps.get(ExifTags.GPS.GPSLatitudeRef), "N", "S")
    lon = _coordinate(gps.get(ExifTags.GPS.GPSLongitude), gps.get(ExifTags.GPS.GPSLongitudeRef), "E", "W")
    if lat is None or lon is None or abs(lat) > 90 or abs(lon) > 180:
        return None
    if lat == 0 and lon == 0:  # what phones write when they have no position
        return None
    return lat, lon


def _coordinate(value: Any, ref: Any, positive: str, negative: str) -> float | None:
    if not isinstance(value, tuple | list) or not 1 <= len(value) <= 3:
        return None
    parts = [_rational(v) for v in value]
    if any(p is None or p < 0 for p in parts):
        return None
    degrees: float = sum(p / 60**i for i, p in enumerate(parts) if p is not None)
    direction = (_text(ref) or positive).upper()[:1]
    if direction not in (positive, negative):
        return None
    return -degrees if direction == negative else degrees


def _rational(value: Any) -> float | None:
    """An EXIF RATIONAL as Pillow gives it (IFDRational, or a (num, den) pair), as a float."""
    if isinstance(value, tuple | list) and len(value) == 2:
        num, den = value
        if not isinstance(num, int | float) or not isinstance(den, int | float) or den == 0:
            return None
        return float(num) / float(den)
    try:
        result = float(value)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    return result if math.isfinite(result) else None  # IFDRational with a zero denominator is NaN


def _text(value: Any) -> str | None:
    if isinstance(value, bytes):
        value = value.decode("ascii", errors="ignore")
    if not isinstance(value, str):
        return None
    value = value.strip("\x00 ")
    return value or None


def _offset(text: str | None) -> timezone | None:
    """'+08:00' → UTC+8; anything else → None."""
    if text is None or len(text) != 6 or text[0] not in "+-" or text[3] != ":":
        return None
    try:
        hours, minutes = int(text[1:3]), int(text[4:6])
    except ValueError:
        return None
    if hours > 14 or minutes > 59:
        return None
    sign = -1 if text[0] == "-" else 1
    return timezone(sign * timedelta(hours=hours, minutes=minutes))
