"""Synthetic photos for the benchmarks and the tests: boards with Chinese text in the biggest font that
fits, varied street scenes, street photos with a sign in them, and camera-style encoding with EXIF
capture time, GPS and orientation. They ship with the package because `gridtriage bench photos` makes
its test photos with them."""

from __future__ import annotations

import io
import random
import shutil
import subprocess
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

Colour = tuple[int, int, int]


@cache
def find_cjk_font() -> Path | None:
    """A font with Chinese glyphs, as fontconfig knows it (Noto Sans CJK preferred)."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return None
    listed = subprocess.run([fc_list, ":lang=zh", "file"], capture_output=True, text=True, check=False).stdout
    files = sorted({line.split(":")[0].strip() for line in listed.splitlines() if line.strip()})
    ranked = sorted(files, key=lambda f: ("Sans" not in f, "Regular" not in f and "Medium" not in f, f))
    return Path(ranked[0]) if ranked else None


def require_cjk_font() -> Path:
    font = find_cjk_font()
    if font is None:
        raise ValueError("no font with Chinese glyphs found (fc-list :lang=zh is empty); "
                         "install one, e.g. apt-get install fonts-noto-cjk")
    return font


def render_sign(text: str, size: tuple[int, int] = (800, 300), background: Colour = (255, 255, 255),
                color: Colour = (0, 0, 0), font_path: Path | None = None, border: bool = True) -> Image.Image:
    """A board with `text` (lines split on newlines) in the biggest font that fits, centred."""
    font_file = str(font_path or require_cjk_font())
    board = Image.new("RGB", size, background)
    draw = ImageDraw.Draw(board)
    lines = text.split("\n")
    margin_x, margin_y = size[0] * 0.06, size[1] * 0.12
    font_size = int((size[1] - 2 * margin_y) / len(lines) / 1.35)
    while True:
        font = ImageFont.truetype(font_file, font_size)
        widest = max(draw.textlength(line, font=font) for line in lines)
        if widest <= size[0] - 2 * margin_x or font_size <= 12:
            break
        font_size -= 2
    line_height = font_size * 1.35
    top = (size[1] - line_height * len(lines)) / 2
    for i, line in enumerate(lines):
        width = draw.textlength(line, font=font)
        draw.text(((size[0] - width) / 2, top + i * line_height + font_size * 0.1), line, font=font, fill=color)
    if border:
        inset = max(4, size[1] // 40)
        draw.rectangle((inset, inset, size[0] - inset - 1, size[1] - inset - 1), outline=color,
                       width=max(2, size[1] // 60))
    return board


def street_scene(seed: int, size: tuple[int, int] = (1600, 1200)) -> Image.Image:
    """A varied, non-flat synthetic street photo: sky, buildings with windows, a road in perspective
    with markings, trees, cars, a manhole, lighting and sensor noise. Different seeds differ in
    layout, colours and light."""
    rng = random.Random(seed)
    w, h = size
    horizon = int(h * rng.uniform(0.32, 0.55))
    img = _gradient(size, _jitter(rng, (110, 160, 220), 60), _jitter(rng, (220, 225, 235), 30), horizon)
    draw = ImageDraw.Draw(img)
    x = -rng.randint(0, 80)
    while x < w:  # buildings along the horizon
        bw, bh = rng.randint(w // 12, w // 4), rng.randint(h // 10, int(h * 0.45))
        colour = _jitter(rng, rng.choice([(180, 170, 160), (140, 150, 165), (200, 190, 170), (120, 110, 100)]), 30)
        draw.rectangle((x, horizon - bh, x + bw, horizon + 5), fill=colour)
        win = _jitter(rng, (60, 80, 110), 40)
        step_x, step_y = rng.randint(18, 40), rng.randint(22, 46)
        for wx in range(x + 8, x + bw - 14, step_x):
            for wy in range(horizon - bh + 10, horizon - 12, step_y):
                if rng.random() < 0.85:
                    draw.rectangle((wx, wy, wx + step_x // 2, wy + step_y // 2), fill=_jitter(rng, win, 25))
        x += bw + rng.randint(0, w // 30)
    ground = _jitter(rng, (150, 145, 135), 25)
    draw.rectangle((0, horizon, w, h), fill=ground)
    vx = int(w * rng.uniform(0.3, 0.7))
    left, right = int(w * rng.uniform(-0.3, 0.25)), int(w * rng.uniform(0.75, 1.3))
    draw.polygon([(vx - 6, horizon), (vx + 6, horizon), (right, h), (left, h)], fill=_jitter(rng, (85, 85, 90), 20))
    for t in (0.05 + 0.95 * k / 8 for k in range(9)):  # dashed centre line
        y0, y1 = horizon + (h - horizon) * t**1.6, horizon + (h - horizon) * min(1.0, (t + 0.05) ** 1.6)
        cx0 = vx + ((left + right) / 2 - vx) * (y0 - horizon) / (h - horizon)
        cx1 = vx + ((left + right) / 2 - vx) * (y1 - horizon) / (h - horizon)
        draw.line((cx0, y0, cx1, y1), fill=(235, 230, 200), width=max(2, int(10 * t)))
    for _ in range(rng.randint(2, 6)):  # trees
        tx, ty = rng.randint(0, w), rng.randint(horizon, h - h // 8)
        scale = 0.3 + 1.2 * (ty - horizon) / (h - horizon)
        draw.rectangle((tx - 6 * scale, ty - 120 * scale, tx + 6 * scale, ty), fill=(90, 65, 40))
        leaf = _jitter(rng, (60, 120, 50), 35)
        for _ in range(6):
            ox, oy, r = rng.uniform(-50, 50) * scale, rng.uniform(-190, -110) * scale, rng.uniform(35, 60) * scale
            draw.ellipse((tx + ox - r, ty + oy - r, tx + ox + r, ty + oy + r), fill=_jitter(rng, leaf, 20))
    for _ in range(rng.randint(1, 4)):  # cars
        cy = rng.randint(horizon + (h - horizon) // 4, h - 20)
        scale = 0.3 + 1.1 * (cy - horizon) / (h - horizon)
        cx, cw, ch = rng.randint(0, w), 260 * scale, 90 * scale
        body = _jitter(rng, rng.choice([(200, 30, 30), (240, 240, 240), (30, 30, 35), (40, 80, 160)]), 25)
        draw.rounded_rectangle((cx, cy - ch, cx + cw, cy), radius=int(18 * scale), fill=body)
        draw.rectangle((cx + cw * 0.2, cy - ch * 1.5, cx + cw * 0.75, cy - ch * 0.9), fill=body)
        draw.rectangle((cx + cw * 0.26, cy - ch * 1.4, cx + cw * 0.7, cy - ch), fill=(120, 150, 170))
        for wheel in (cx + cw * 0.2, cx + cw * 0.8):
            draw.ellipse((wheel - 22 * scale, cy - 22 * scale, wheel + 22 * scale, cy + 22 * scale), fill=(20, 20, 20))
    if rng.random() < 0.6:  # a manhole, open or closed
        mx, my = rng.randint(w // 4, 3 * w // 4), rng.randint(horizon + (h - horizon) // 2, h - 60)
        fill = (15, 15, 15) if rng.random() < 0.5 else (70, 70, 72)
        draw.ellipse((mx - 90, my - 35, mx + 90, my + 35), fill=fill, outline=(110, 110, 110), width=6)
    return _camera_finish(img, rng)


def sign_photo(text: str, seed: int, size: tuple[int, int] = (1600, 1200), sign_width: float = 0.6) -> Image.Image:
    """A street photo with a sign board in it (`sign_width` of the photo's width), slightly tilted,
    as a citizen would shoot it."""
    rng = random.Random(seed * 7919 + 1)
    scene = street_scene(seed, size)
    background = rng.choice([(255, 255, 255), (250, 240, 200), (255, 255, 240), (230, 240, 255)])
    board = render_sign(text, size=(int(size[0] * sign_width), int(size[0] * sign_width * 0.28)), background=background)
    board = board.convert("RGBA").rotate(rng.uniform(-4, 4), resample=Image.Resampling.BICUBIC, expand=True)
    x = rng.randint(size[0] // 20, size[0] - board.width - size[0] // 20)
    y = rng.randint(size[1] // 10, size[1] - board.height - size[1] // 10)
    scene.paste(board, (x, y), board)
    return _camera_finish(scene, rng, noise=3.0)


def photo_bytes(image: Image.Image, format: str = "JPEG", quality: int = 90, exif_time: datetime | None = None,
                gps: tuple[float, float] | None = None, orientation: int | None = None) -> bytes:
    """Encode `image` as a camera would, with EXIF capture time (an aware time also writes
    OffsetTimeOriginal), GPS (WGS-84, degrees/minutes/seconds rationals) and orientation."""
    import piexif

    zeroth: dict[int, Any] = {}
    exif_ifd: dict[int, Any] = {}
    gps_ifd: dict[int, Any] = {}
    if orientation is not None:
        zeroth[piexif.ImageIFD.Orientation] = orientation
    if exif_time is not None:
        exif_ifd[piexif.ExifIFD.DateTimeOriginal] = exif_time.strftime("%Y:%m:%d %H:%M:%S").encode()
        offset = exif_time.utcoffset()
        if offset is not None:
            minutes = int(offset.total_seconds() // 60)
            sign = "-" if minutes < 0 else "+"
            text = f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
            exif_ifd[piexif.ExifIFD.OffsetTimeOriginal] = text.encode()
    if gps is not None:
        lat, lon = gps
        gps_ifd[piexif.GPSIFD.GPSLatitudeRef] = b"N" if lat >= 0 else b"S"
        gps_ifd[piexif.GPSIFD.GPSLatitude] = _dms(abs(lat))
        gps_ifd[piexif.GPSIFD.GPSLongitudeRef] = b"E" if lon >= 0 else b"W"
        gps_ifd[piexif.GPSIFD.GPSLongitude] = _dms(abs(lon))
    buffer = io.BytesIO()
    options: dict[str, Any] = {"quality": quality} if format.upper() in ("JPEG", "WEBP") else {}
    if zeroth or exif_ifd or gps_ifd:
        options["exif"] = piexif.dump({"0th": zeroth, "Exif": exif_ifd, "GPS": gps_ifd})
    image.convert("RGB").save(buffer, format=format, **options)
    return buffer.getvalue()


def _dms(value: float) -> tuple[tuple[int, int], tuple[int, int], tuple[int, int]]:
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    seconds = round(((value - degrees) * 60 - minutes) * 60 * 10_000)
    return (degrees, 1), (minutes, 1), (seconds, 10_000)


def _jitter(rng: random.Random, colour: Colour, spread: int) -> Colour:
    r, g, b = (min(255, max(0, c + rng.randint(-spread, spread))) for c in colour)
    return r, g, b


def _gradient(size: tuple[int, int], top: Colour, bottom: Colour, until: int) -> Image.Image:
    w, h = size
    t = np.clip(np.arange(h, dtype=np.float32) / max(1, until), 0, 1)[:, None, None]
    rows = np.asarray(top, np.float32) * (1 - t) + np.asarray(bottom, np.float32) * t
    return Image.fromarray(np.broadcast_to(rows, (h, w, 3)).astype(np.uint8))


def _camera_finish(img: Image.Image, rng: random.Random, noise: float = 6.0) -> Image.Image:
    """Soft focus, a colour cast, vignetting and sensor noise, so no region is perfectly flat."""
    img = img.filter(ImageFilter.GaussianBlur(rng.uniform(0.6, 1.4)))
    arr = np.asarray(img, np.float32)
    h, w = arr.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    radius = np.hypot((xx - w / 2) / (w / 2), (yy - h / 2) / (h / 2))
    arr *= (1 - rng.uniform(0.1, 0.35) * np.clip(radius - 0.4, 0, 1))[:, :, None]
    arr *= np.asarray([rng.uniform(0.9, 1.1) for _ in range(3)], np.float32) * rng.uniform(0.8, 1.15)
    arr += np.random.default_rng(rng.randint(0, 2**31)).normal(0, noise, arr.shape).astype(np.float32)
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))
