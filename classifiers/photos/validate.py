"""Validate an uploaded photo by its content and open it safely.

The type comes from the bytes (magic number, then the decoder that agrees with it), never from the
file name. Size and pixel count are checked from the header before anything is decoded, so a tiny
file that declares a huge canvas costs nothing."""

from __future__ import annotations

import functools
import io
import struct
import zlib
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from PIL import Image, ImageOps

PhotoFormat = Literal["jpeg", "png", "webp"]

_PIL_FORMAT: dict[PhotoFormat, str] = {"jpeg": "JPEG", "png": "PNG", "webp": "WEBP"}
_ACCEPTED = "JPEG, PNG or WebP"

# What a refused upload actually is, so the message can say so. Order matters: longer first.
_OTHER_SIGNATURES: tuple[tuple[bytes, int, str], ...] = (
    (b"GIF87a", 0, "gif"),
    (b"GIF89a", 0, "gif"),
    (b"BM", 0, "bmp"),
    (b"II*\x00", 0, "tiff"),
    (b"MM\x00*", 0, "tiff"),
    (b"%PDF", 0, "pdf"),
    (b"PK\x03\x04", 0, "zip"),
    (b"\x00\x00\x01\x00", 0, "ico"),
    (b"8BPS", 0, "psd"),
    (b"\x1a\x45\xdf\xa3", 0, "video"),
)
_KIND_NAMES = {"gif": "a GIF image", "bmp": "a BMP image", "tiff": "a TIFF image", "pdf": "a PDF document",
               "zip": "a ZIP archive (or an Office document)", "ico": "an ICO icon", "psd": "a Photoshop file",
               "video": "a video (MP4/MOV, Matroska/WebM)", "heic": "a HEIC/HEIF photo", "avif": "an AVIF image",
               "svg": "an SVG drawing", "html": "an HTML page", "text": "text",
               "unknown": "not an image GridTriage recognises"}
_HEIF_BRANDS = (b"heic", b"heix", b"hevc", b"heim", b"heis", b"mif1", b"msf1")
_JPEG_SOF = frozenset({0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF})
_DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, struct.error, zlib.error, IndexError, TypeError)


class PhotoRejected(ValueError):
    """The upload is not a photo GridTriage can take; the message says what was wrong and what to do.
    `code` and `values` name the reason for the message catalogue (`photo.<code>`)."""

    def __init__(self, text: str, code: str, **values: Any) -> None:
        super().__init__(text)
        self.code, self.values = code, values

    def __reduce__(self) -> tuple[object, ...]:  # worker processes send it back pickled
        return (functools.partial(type(self), **self.values), (str(self), self.code))


@dataclass(frozen=True)
class CheckedPhoto:
    """A photo that passed validation: decoded, turned upright, RGB."""

    image: Image.Image        # RGB, EXIF orientation applied
    format: PhotoFormat
    exif: Image.Exif          # as the file carried it (may be empty)
    size_bytes: int

    @property
    def width(self) -> int:
        return self.image.width

    @property
    def height(self) -> int:
        return self.image.height


def sniff_format(data: bytes) -> PhotoFormat | None:
    """The accepted format the bytes start with, or None."""
    if data[:3] == b"\xff\xd8\xff":
        return "jpeg"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return None


def content_kind(data: bytes) -> str:
    """What refused bytes are, as a code: gif, bmp, tiff, pdf, zip, ico, psd, video, heic, avif, svg,
    html, text or unknown."""
    for signature, offset, kind in _OTHER_SIGNATURES:
        if data[offset : offset + len(signature)] == signature:
            return kind
    if data[4:8] == b"ftyp":
        brand = data[8:12]
        if brand in _HEIF_BRANDS:
            return "heic"
        if brand in (b"avif", b"avis"):
            return "avif"
        return "video"
    head = data[:512].lstrip()
    if head.startswith((b"<svg", b"<?xml")) and b"<svg" in data[:4096]:
        return "svg"
    if head.startswith((b"<!DOCTYPE html", b"<html", b"<!doctype html")):
        return "html"
    try:
        data[:4096].decode("utf-8")
    except UnicodeDecodeError:
        return "unknown"
    return "text"


def describe_content(data: bytes) -> str:
    """A short English name for what refused bytes are ("a GIF image", "text", ...)."""
    return _KIND_NAMES[content_kind(data)]


def header_size(data: bytes, fmt: PhotoFormat) -> tuple[int, int] | None:
    """(width, height) as the header declares it, read without decoding; None when not found."""
    if fmt == "png":
        if data[12:16] != b"IHDR" or len(data) < 24:
            return None
        width, height = struct.unpack(">II", data[16:24])
        return int(width), int(height)
    if fmt == "webp":
        return _webp_size(data)
    return _jpeg_size(data)


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    i = 2
    while i + 4 <= len(data):
        if data[i] != 0xFF:
            return None
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker == 0x01 or 0xD0 <= marker <= 0xD8:  # markers without a length
            i += 2
            continue
        if marker in (0xD9, 0xDA):  # end of image, start of scan: no frame header before it
            return None
        (length,) = struct.unpack(">H", data[i + 2 : i + 4])
        if marker in _JPEG_SOF:
            if i + 9 > len(data):
                return None
            height, width = struct.unpack(">HH", data[i + 5 : i + 9])
            return int(width), int(height)
        i += 2 + length
    return None


def _webp_size(data: bytes) -> tuple[int, int] | None:
    chunk = data[12:16]
    if chunk == b"VP8X" and len(data) >= 30:
        width = int.from_bytes(data[24:27], "little") + 1
        height = int.from_bytes(data[27:30], "little") + 1
        return width, height
    if chunk == b"VP8L" and len(data) >= 25 and data[20] == 0x2F:
        bits = int.from_bytes(data[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8 " and len(data) >= 30 and data[23:26] == b"\x9d\x01\x2a":
        width, height = struct.unpack("<HH", data[26:30])
        return width & 0x3FFF, height & 0x3FFF
    return None


class PhotoValidator:
    """Checks and opens uploads. Stateless; `check` is safe to call from several threads."""

    def __init__(self, max_bytes: int = 10_000_000, max_pixels: int = 40_000_000) -> None:
        if max_bytes <= 0 or max_pixels <= 0:
            raise ValueError("max_bytes and max_pixels must be positive; use the defaults (10 MB, 40 MP) if unsure")
        # Pillow warns above MAX_IMAGE_PIXELS; our own limit must refuse such images before Pillow sees them.
        pil_limit = Image.MAX_IMAGE_PIXELS
        if pil_limit is not None and max_pixels > pil_limit:
            raise ValueError(f"max_pixels {max_pixels:,} is above Pillow's decompression-bomb limit "
                             f"{pil_limit:,}; choose at most {pil_limit:,}")
        self.max_bytes = max_bytes
        self.max_pixels = max_pixels

    def warm_up(self) -> None:
        Image.init()  # registers every decoder now rather than on the first upload

    def check(self, data: bytes, filename: str | None = None) -> CheckedPhoto:
        name = f"{filename!r}" if filename else "the photo"
        if not data:
            raise PhotoRejected(f"{name} is empty (0 bytes); attach the photo file again", "empty")
        if len(data) > self.max_bytes:
            raise PhotoRejected(
                f"{name} is {len(data) / 1e6:.1f} MB, over the limit of {self.max_bytes / 1e6:.0f} MB; "
                "send a smaller photo (most phones have a 'reduce size' option when sharing)",
                "too_large", mb=f"{len(data) / 1e6:.1f}", limit=f"{self.max_bytes / 1e6:.0f}")
        fmt = sniff_format(data)
        if fmt is None:
            kind = content_kind(data)
            raise PhotoRejected(f"{name} is {describe_content(data)}, not a {_ACCEPTED} photo; "
                                f"{_conversion_hint(data)}", "heic" if kind == "heic" else "not_a_photo", kind=kind)
        size = header_size(data, fmt)
        if size is not None:
            self._check_pixels(name, size)
        image = self._open(name, data, fmt)
        self._check_pixels(name, image.size)
        try:
            image.load()
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise PhotoRejected(f"{name} expands to too many pixels ({exc}); send an ordinary photo",
                                "bomb") from None
        except _DECODE_ERRORS as exc:
            raise PhotoRejected(
                f"{name} is a damaged or incomplete {fmt.upper()} file ({exc}); "
                "the upload may have been cut off: send the photo again", "damaged", format=fmt.upper()
            ) from None
        exif, upright = _exif_and_upright(image)
        return CheckedPhoto(image=_to_rgb(upright), format=fmt, exif=exif, size_bytes=len(data))

    def _open(self, name: str, data: bytes, fmt: PhotoFormat) -> Image.Image:
        try:
            image = Image.open(io.BytesIO(data), formats=[_PIL_FORMAT[fmt]])
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise PhotoRejected(f"{name} declares too many pixels ({exc}); send an ordinary photo", "bomb") from None
        except _DECODE_ERRORS as exc:  # UnidentifiedImageError is an OSError
            raise PhotoRejected(
                f"{name} starts like a {fmt.upper()} file but is not a readable one ({exc}); "
                "it may be damaged: export the photo again from the phone's gallery", "unreadable", format=fmt.upper()
            ) from None
        if image.format != _PIL_FORMAT[fmt]:
            raise PhotoRejected(f"{name} looks like {fmt.upper()} but decodes as {image.format}; "
                                f"send it as a {_ACCEPTED} photo", "mismatch", format=fmt.upper(), actual=image.format)
        return image

    def _check_pixels(self, name: str, size: tuple[int, int]) -> None:
        width, height = size
        if width <= 0 or height <= 0:
            raise PhotoRejected(f"{name} declares an empty picture ({width}×{height}); send the photo again",
                                "empty_picture", width=width, height=height)
        if width * height > self.max_pixels:
            raise PhotoRejected(
                f"{name} is {width}×{height} = {_megapixels(width * height)} megapixels, over the limit of "
                f"{_megapixels(self.max_pixels)}; send a smaller photo (the phone's normal photo size is fine)",
                "too_many_pixels", width=width, height=height, mp=_megapixels(width * height),
                limit=_megapixels(self.max_pixels))


def _megapixels(pixels: int) -> str:
    return f"{pixels / 1e6:.1f}".removesuffix(".0")


def _exif_and_upright(image: Image.Image) -> tuple[Image.Exif, Image.Image]:
    """Broken EXIF is common (editing apps, messengers) and never a reason to refuse a photo."""
    try:
        exif = image.getexif()
    except Exception:  # any parser failure means "no EXIF"
        return Image.Exif(), image
    try:
        return exif, ImageOps.exif_transpose(image) or image
    except Exception:  # an unreadable orientation leaves the photo as stored
        return exif, image


def _conversion_hint(data: bytes) -> str:
    if content_kind(data) == "heic":
        return "convert it to JPEG (on an iPhone: Settings → Camera → Formats → Most Compatible)"
    return "take or export the photo as JPEG (screenshots as PNG) and upload it again"


def _to_rgb(image: Image.Image) -> Image.Image:
    if image.mode == "RGB":
        return image
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, "white")  # transparent areas read as paper, not black
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    if image.mode.startswith("I"):  # 16/32-bit greyscale: scale to 8 bits, Pillow would clip it to white
        values = np.asarray(image, dtype=np.float64)
        peak = float(values.max()) or 1.0
        image = Image.fromarray(np.clip(values * (255.0 / peak), 0, 255).astype(np.uint8))
    return image.convert("RGB")
