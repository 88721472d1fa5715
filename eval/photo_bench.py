"""Photo benchmark: the full `PhotoReader.read` (validate, EXIF, hashes, OCR, thumbnail) on
camera-sized JPEGs of street signs, per-photo latency percentiles, the OCR share, and throughput
with one and two threads.

The synthetic photos live here (not in tests/) because the benchmark ships with the package; the
test suite reuses them through tests/photo_images.py."""

from __future__ import annotations

import io
import itertools
import random
import re
import shutil
import statistics
import subprocess
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from PIL import Image, ImageDraw, ImageEnhance, ImageFilter, ImageFont

from classifiers.photos import (
    PhotoReader,
    PhotoReading,
    photo_distance,
    photo_hashes,
)
from core.photo_types import PhotoIn
from core.settings import SAME_PHOTO_MAX_DISTANCE, PhotoSettings

Colour = tuple[int, int, int]

SIGN_TEXTS = (
    "德化街12号 井盖缺失 请绕行",
    "前方施工 车辆慢行",
    "豫A·12345",
    "二七路与解放路交叉口",
    "花园路88号 路灯损坏",
    "农业路东段 积水严重",
    "禁止乱倒垃圾",
    "金水区文化路街道",
    "中原路56号 小区停水通知",
    "电话 0371-12345",
)
PHOTO_EXTENSIONS = (".jpg", ".jpeg", ".png", ".webp")


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


# ---- the benchmark -------------------------------------------------------------------------------

ZHENGZHOU_WGS84 = (34.7466, 113.6253)
_TAKEN = datetime(2026, 5, 1, 8, 30, tzinfo=timezone(timedelta(hours=8)))


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q)) if values else float("nan")


def camera_photos(n: int, size: tuple[int, int] = (1600, 1200)) -> list[tuple[PhotoIn, str]]:
    """`n` JPEG sign photos as a phone takes them (every third one portrait), half with EXIF time
    and GPS; each with the text on its sign."""
    photos = []
    for i in range(n):
        text = SIGN_TEXTS[i % len(SIGN_TEXTS)]
        shape = size if i % 3 else (size[1], size[0])
        image = sign_photo(text, seed=i, size=shape, sign_width=0.6 if i % 2 else 0.8)
        lat, lon = ZHENGZHOU_WGS84
        with_exif = i % 2 == 0
        data = photo_bytes(image, quality=88, exif_time=_TAKEN + timedelta(minutes=7 * i) if with_exif else None,
                           gps=(lat + 0.001 * i, lon - 0.001 * i) if with_exif else None)
        photos.append((PhotoIn(data=data, filename=f"IMG_{i:04d}.jpg"), text))
    return photos


def folder_photos(folder: Path, limit: int) -> list[tuple[PhotoIn, str]]:
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in PHOTO_EXTENSIONS)[:limit]
    if not files:
        raise ValueError(f"no photos ({', '.join(PHOTO_EXTENSIONS)}) in {folder}; point --folder at a folder of photos")
    return [(PhotoIn(data=p.read_bytes(), filename=p.name), "") for p in files]


def bench_photos(photos: int = 40, folder: Path | None = None, ocr_threads: int | None = None) -> dict[str, Any]:
    """Per-photo wall time of the full `PhotoReader.read` after warm-up (p50/p95, per step), the OCR
    share, and throughput over all photos with one thread and with two. `folder`: its first
    `photos` JPEG/PNG/WebP files instead of synthetic ones."""
    items = folder_photos(folder, photos) if folder else camera_photos(photos)
    reader = PhotoReader(PhotoSettings(ocr_threads=ocr_threads), "gcj02", ZoneInfo("Asia/Shanghai"))
    start = time.perf_counter()
    reader.warm_up()
    warm_up_ms = (time.perf_counter() - start) * 1000
    latencies: list[float] = []
    readings: list[PhotoReading] = []
    start = time.perf_counter()
    for photo, _ in items:
        began = time.perf_counter()
        readings.append(reader.read(photo))
        latencies.append((time.perf_counter() - began) * 1000)
    sequential_s = time.perf_counter() - start
    start = time.perf_counter()
    with ThreadPoolExecutor(2) as pool:
        threaded = list(pool.map(lambda item: reader.read(item[0]), items))
    threaded_s = time.perf_counter() - start
    steps = ("validate", "exif", "hash", "ocr", "thumbnail")
    step_ms = {k: [r.facts.timings_ms.get(k, 0.0) for r in readings] for k in steps}
    expected = [text for _, text in items]
    result: dict[str, Any] = {
        "photos": len(items),
        "source": str(folder) if folder else "synthetic sign photos, 1600×1200 JPEG q88 (eval/photo_bench.py)",
        "ocr_threads": ocr_threads or "all cores",
        "megapixels_mean": round(statistics.fmean(r.facts.width * r.facts.height / 1e6 for r in readings), 2),
        "warm_up_ms": round(warm_up_ms, 1),
        "p50_ms": round(percentile(latencies, 50), 1),
        "p95_ms": round(percentile(latencies, 95), 1),
        "mean_ms": round(statistics.fmean(latencies), 1),
        "step_p50_ms": {k: round(percentile(v, 50), 1) for k, v in step_ms.items()},
        "ocr_share": round(sum(step_ms["ocr"]) / sum(latencies), 3),
        "per_s_1_thread": round(len(items) / sequential_s, 2),
        "per_s_2_threads": round(len(items) / threaded_s, 2),
        "threads_agree": all(a.facts.ocr_text == b.facts.ocr_text and a.facts.phash == b.facts.phash
                             for a, b in zip(readings, threaded, strict=True)),
    }
    if not folder:
        read = sum(_squash(text) == _squash(r.facts.ocr_text) for text, r in zip(expected, readings, strict=True))
        result["ocr_exact"] = f"{read}/{len(items)}"
    return result


def format_photo_bench(result: dict[str, Any]) -> str:
    return _format("photo reading benchmark", result)


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


# ---- how far apart "the same photo" and different photos are --------------------------------------

def _jpeg(image: Image.Image, quality: int) -> Image.Image:
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, format="JPEG", quality=quality)
    return Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")


def _crop(image: Image.Image, left: float, top: float, right: float, bottom: float) -> Image.Image:
    w, h = image.size
    return image.crop((round(w * left), round(h * top), w - round(w * right), h - round(h * bottom)))


def _half(image: Image.Image, factor: int = 2) -> Image.Image:
    return image.resize((image.width // factor, image.height // factor), Image.Resampling.LANCZOS)


def _recompressed(quality: int) -> Callable[[Image.Image], Image.Image]:
    return lambda image: _jpeg(image, quality)


def _cropped(fraction: float) -> Callable[[Image.Image], Image.Image]:
    return lambda image: _jpeg(_crop(image, fraction, fraction, fraction, fraction), 90)


COPIES: dict[str, Callable[[Image.Image], Image.Image]] = {
    **{f"JPEG q{q}": _recompressed(q) for q in (50, 70, 95)},
    "resize ½": lambda im: _jpeg(_half(im), 85),
    "resize ¼": lambda im: _jpeg(_half(im, 4), 85),
    **{f"crop {f:.0%} per side": _cropped(f) for f in (0.03, 0.05, 0.08, 0.10, 0.12, 0.15)},
    "crop 10% + resize ½ + q70": lambda im: _jpeg(_half(_crop(im, 0.1, 0.1, 0.1, 0.1)), 70),
    "crop 5% one side": lambda im: _jpeg(_crop(im, 0.05, 0, 0, 0), 90),
    "crop 10% one side": lambda im: _jpeg(_crop(im, 0.10, 0, 0, 0), 90),
    "crop 4/10/12/6% sides": lambda im: _jpeg(_crop(im, 0.04, 0.10, 0.12, 0.06), 90),
    "rotate 1°": lambda im: _jpeg(im.rotate(1, resample=Image.Resampling.BICUBIC), 90),
    "rotate 2°": lambda im: _jpeg(im.rotate(2, resample=Image.Resampling.BICUBIC), 90),
    "brightness +15%": lambda im: _jpeg(ImageEnhance.Brightness(im).enhance(1.15), 90),
    "brightness −15%": lambda im: _jpeg(ImageEnhance.Brightness(im).enhance(0.85), 90),
    "contrast +20%": lambda im: _jpeg(ImageEnhance.Contrast(im).enhance(1.2), 90),
}


def hash_test_photos(photos: int) -> dict[str, Image.Image]:
    """Different photos: street scenes, sign photos and (the hardest case) plain text boards."""
    originals: dict[str, Image.Image] = {}
    for i in range(photos):
        if i % 10 == 9:
            size = (1600, 1200) if i % 20 == 9 else (1600, 600)
            originals[f"board{i}"] = render_sign(SIGN_TEXTS[i // 10 % len(SIGN_TEXTS)], size=size)
        elif i % 4 == 3:
            originals[f"sign{i}"] = sign_photo(SIGN_TEXTS[i % len(SIGN_TEXTS)], seed=1000 + i)
        else:
            originals[f"scene{i}"] = street_scene(seed=1000 + i)
    return {name: _jpeg(image, 92) for name, image in originals.items()}


def bench_photo_hashes(photos: int = 40, max_distance: int | None = None,
                       extra: dict[str, Image.Image] | None = None) -> dict[str, Any]:
    """`photo_distance` between each photo and its copies (recompressed, resized, cropped, rotated,
    brighter), and between every pair of different photos; with the share of copies the threshold
    catches and the different pairs it would wrongly match. `extra`: more (e.g. real) photos."""
    threshold = SAME_PHOTO_MAX_DISTANCE if max_distance is None else max_distance
    originals = {**hash_test_photos(photos), **(extra or {})}
    hashes = {name: photo_hashes(image) for name, image in originals.items()}
    copies: dict[str, dict[str, Any]] = {}
    for copy_name, make in COPIES.items():
        distances = [photo_distance(hashes[name], photo_hashes(make(image))) for name, image in originals.items()]
        copies[copy_name] = _spread(distances, threshold, caught=True)
    pairs = [(photo_distance(hashes[a], hashes[b]), a, b) for a, b in itertools.combinations(originals, 2)]
    different = _spread([d for d, _, _ in pairs], threshold, caught=False)
    different["closest"] = [f"{a}~{b}: {d}" for d, a, b in sorted(pairs)[:5]]
    return {"photos": len(originals), "pairs": len(pairs), "threshold": threshold,
            "copies": copies, "different": different}


def _spread(distances: list[int], threshold: int, caught: bool) -> dict[str, Any]:
    within = sum(d <= threshold for d in distances)
    figures: dict[str, Any] = {"min": min(distances), "p50": int(np.median(distances)), "max": max(distances)}
    if caught:
        figures["matched"] = f"{within}/{len(distances)}"
    else:
        figures["p1"] = int(percentile([float(d) for d in distances], 1))
        figures["false_matches"] = within
    return figures


def format_hash_bench(result: dict[str, Any]) -> str:
    lines = [f"photo_distance, {result['photos']} photos, threshold ≤ {result['threshold']}",
             f"{'copy':28s} {'p50':>4s} {'max':>4s}  matched"]
    for name, f in result["copies"].items():
        lines.append(f"{name:28s} {f['p50']:>4d} {f['max']:>4d}  {f['matched']}")
    d = result["different"]
    lines.append(f"{'different photos':28s} min {d['min']}, p1 {d['p1']}, p50 {d['p50']} over {result['pairs']} "
                 f"pairs; false matches: {d['false_matches']}")
    lines.append("closest different pairs: " + ", ".join(d["closest"]))
    return "\n".join(lines)


def _format(title: str, result: dict[str, Any]) -> str:
    width = max(len(k) for k in result)
    rows = [title, "-" * len(title)]
    for key, value in result.items():
        shown = ", ".join(f"{k} {v}" for k, v in value.items()) if isinstance(value, dict) else str(value)
        rows.append(f"{key:<{width}}  {shown}")
    return "\n".join(rows)
