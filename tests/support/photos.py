"""Photos for tests: rendered signs the real OCR must read, varied street scenes, EXIF writing,
crops and recompressions of an upload, and malicious or mislabelled files.

The image generators live in eval/synthetic_photos.py (the photo benchmark makes its photos with
them); this module adds the pytest side (a skip that says what to install) and the hostile uploads."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import pytest
from PIL import Image

from eval import synthetic_photos
from eval.synthetic_photos import photo_bytes as photo_bytes  # encoded as a camera writes it, with EXIF

SIGN_TEXT = "德化街12号 井盖缺失 请绕行"
PLATE_TEXT = "豫A·12345"


def cjk_font_path() -> Path:
    """A font with Chinese glyphs, or the test is skipped, saying what to install."""
    font = synthetic_photos.find_cjk_font()
    if font is None:
        pytest.skip("no font with Chinese glyphs (fc-list :lang=zh is empty): run scripts/setup-system "
                    "or apt-get install fonts-noto-cjk")
    return font


def render_sign(text: str, size: tuple[int, int] = (800, 300), background: tuple[int, int, int] = (255, 255, 255),
                color: tuple[int, int, int] = (0, 0, 0)) -> Image.Image:
    """Black (or `color`) text on a board, in the biggest font that fits; lines split on newlines."""
    return synthetic_photos.render_sign(text, size=size, background=background, color=color, font_path=cjk_font_path())


def street_scene(seed: int, size: tuple[int, int] = (1024, 768)) -> Image.Image:
    """A varied synthetic street photo without text; different seeds are different photos."""
    return synthetic_photos.street_scene(seed, size)


def sign_photo(text: str, seed: int = 0, size: tuple[int, int] = (1600, 1200)) -> Image.Image:
    """A street photo with the sign in it, slightly tilted."""
    cjk_font_path()
    return synthetic_photos.sign_photo(text, seed, size)


def _reencode(image: Image.Image, quality: int) -> bytes:
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, format="JPEG", quality=quality)
    return buffer.getvalue()


def crop(data: bytes, fraction: float) -> bytes:
    """The photo with `fraction` of its width and height cut from each side, as JPEG."""
    image = Image.open(io.BytesIO(data))
    w, h = image.size
    dx, dy = round(w * fraction), round(h * fraction)
    return _reencode(image.crop((dx, dy, w - dx, h - dy)), 90)


def recompress(data: bytes, quality: int) -> bytes:
    """The photo saved again as JPEG at `quality`, EXIF dropped (what messengers do)."""
    return _reencode(Image.open(io.BytesIO(data)), quality)


def resize(data: bytes, factor: float) -> bytes:
    image = Image.open(io.BytesIO(data))
    size = (round(image.width * factor), round(image.height * factor))
    return _reencode(image.resize(size, Image.Resampling.LANCZOS), 85)


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def bomb_png(width: int = 20_000, height: int = 20_000) -> bytes:
    """A valid-looking PNG of a few dozen bytes that declares `width`×`height` pixels (8-bit RGB):
    decoding it would allocate width×height×3 bytes."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header)
            + _png_chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + _png_chunk(b"IEND", b""))


def declared_size_jpeg(width: int, height: int) -> bytes:
    """A small real JPEG whose frame header is rewritten to declare `width`×`height`."""
    data = bytearray(_reencode(Image.new("RGB", (64, 48), (120, 130, 140)), 90))
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def fake_jpeg(kind: str = "gif") -> bytes:
    """Bytes a client might name `photo.jpg` that are something else: "gif", "bmp", "tiff", "text",
    "html" or "heic" (only its header: enough to be recognised and refused)."""
    if kind == "text":
        return "这不是图片，是一段文字。\n".encode()
    if kind == "html":
        return b"<!DOCTYPE html><html><body>not a photo</body></html>"
    if kind == "heic":
        return struct.pack(">I", 24) + b"ftypheic" + b"\x00\x00\x00\x00mif1heic" + b"\x00" * 64
    buffer = io.BytesIO()
    Image.new("RGB", (32, 32), (200, 30, 30)).save(buffer, format={"gif": "GIF", "bmp": "BMP", "tiff": "TIFF"}[kind])
    return buffer.getvalue()


def truncated(data: bytes, keep: float = 0.5) -> bytes:
    """The first `keep` of an upload, as when a connection drops."""
    return data[: int(len(data) * keep)]
