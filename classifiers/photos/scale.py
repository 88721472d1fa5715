"""Downscaling a photo so its longest side fits a limit, keeping its proportions."""

from __future__ import annotations

from PIL import Image


def fit_within(image: Image.Image, max_side: int) -> Image.Image:
    """The image itself when it fits; else a LANCZOS-downscaled copy whose longest side is `max_side`."""
    longest = max(image.size)
    if longest <= max_side:
        return image
    scale = max_side / longest
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    return image.resize(size, Image.Resampling.LANCZOS, reducing_gap=2.0)
