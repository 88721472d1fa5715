"""Photo benchmark: the full `PhotoReader.read` (validate, EXIF, hashes, OCR, thumbnail) on
camera-sized JPEGs of street signs, per-photo latency percentiles, the OCR share, and throughput
with one and two threads; and how far apart edited copies of a photo and different photos are by
`photo_distance`. The photos are made by eval/synthetic_photos.py."""

from __future__ import annotations

import io
import itertools
import re
import statistics
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from PIL import Image, ImageEnhance

from classifiers.photos import (
    PhotoReader,
    PhotoReading,
    photo_distance,
    photo_hashes,
)
from core.photo_types import PhotoIn
from core.settings import SAME_PHOTO_MAX_DISTANCE, PhotoSettings
from eval.bench import percentile
from eval.synthetic_photos import photo_bytes, render_sign, sign_photo, street_scene

# ---- reading photos ------------------------------------------------------------------------------

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
ZHENGZHOU_WGS84 = (34.7466, 113.6253)
_TAKEN = datetime(2026, 5, 1, 8, 30, tzinfo=timezone(timedelta(hours=8)))


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
