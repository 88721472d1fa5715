"""A stored photo re-encoded without its metadata (EXIF GPS, device serial, ICC, XMP, comments),
for people who may not see personal data; its EXIF orientation is applied first, so it looks the same."""

from __future__ import annotations

import io

from PIL import Image, ImageOps

_SAVE = {"jpeg": ("JPEG", {"quality": 92}), "png": ("PNG", {}), "webp": ("WEBP", {"quality": 92})}


def without_metadata(data: bytes, fmt: str) -> bytes:
    """`data` (a validated photo of format `fmt`) re-encoded with its pixels only."""
    if fmt not in _SAVE:
        raise ValueError(f"unknown photo format {fmt!r}; formats are {', '.join(_SAVE)}")
    with Image.open(io.BytesIO(data)) as image:
        upright = ImageOps.exif_transpose(image)
        if fmt == "jpeg" and upright.mode not in ("RGB", "L"):
            upright = upright.convert("RGB")
        pixels = Image.new(upright.mode, upright.size)  # a fresh image carries no info from the upload
        pixels.paste(upright)
        if upright.mode == "P" and upright.getpalette():
            pixels.putpalette(upright.getpalette() or [])
        out = io.BytesIO()
        name, options = _SAVE[fmt]
        pixels.save(out, name, **options)
        return out.getvalue()
