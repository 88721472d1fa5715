"""The evaluation report's plots as PNG files: the first-level confusion matrix with counts in its cells
and the knowledge base's names, the dedup threshold curve, calibration, and latency on an axis set by
p99 so that one slow report cannot flatten the histogram. Only matplotlib's object API is used."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from core.messages import lookup as say


def first_level(labels: Sequence[str], matrix: Sequence[Sequence[int]],
                by_parent: bool = True) -> tuple[list[str], list[list[int]]]:
    """The confusion matrix summed to first-level categories (the part of a label before its dot), or
    per label as it is (`by_parent=False`, for a label set that is not the knowledge base's)."""
    def group(label: str) -> str:
        return label.split(".")[0] if by_parent else label

    parents = sorted({group(label) for label in labels})
    index = {p: i for i, p in enumerate(parents)}
    grid = [[0] * len(parents) for _ in parents]
    for g, row in zip(labels, matrix, strict=True):
        for p, n in zip(labels, row, strict=True):
            grid[index[group(g)]][index[group(p)]] += int(n)
    return parents, grid


def foreign(figures: dict[str, Any]) -> bool:
    """Whether the run scored a model of another label set than the knowledge base's categories."""
    return bool(figures.get("model", {}).get("foreign_labels"))


def latency_axis(latencies_ms: Sequence[float]) -> tuple[float, int]:
    """The histogram's upper limit (p99) and how many reports lie beyond it."""
    p99 = float(np.percentile(np.asarray(latencies_ms, dtype=float), 99))
    return p99, sum(v > p99 for v in latencies_ms)


def confusion_figure(parents: Sequence[str], grid: Sequence[Sequence[int]], names: Mapping[str, str],
                     lang: str = "zh") -> Any:
    from matplotlib.figure import Figure

    font = _font()
    shown = [names.get(p, p) if font else p for p in parents]
    size = max(4.0, 0.45 * len(parents) + 2)
    fig = Figure(figsize=(size + 1, size))
    ax = fig.subplots()
    ax.imshow(grid, cmap="Blues")
    peak = max((max(row) for row in grid), default=0)
    for i, row in enumerate(grid):
        for j, n in enumerate(row):
            if n:
                ax.text(j, i, str(n), ha="center", va="center", fontsize=7,
                        color="white" if n > peak / 2 else "black")
    ax.set_xticks(range(len(parents)), shown, rotation=90, fontsize=7)
    ax.set_yticks(range(len(parents)), shown, fontsize=7)
    ax.set_xlabel(_say("report.plot.predicted", lang, font, "predicted (first-level category)"))
    ax.set_ylabel(_say("report.plot.gold", lang, font, "gold"))
    ax.set_title(_say("report.plot.confusion", lang, font, "confusion matrix, first-level categories"))
    return _styled(fig, font)


def latency_figure(latencies_ms: Sequence[float], p50: float, p95: float, lang: str = "zh") -> Any:
    from matplotlib.figure import Figure

    font = _font()
    upper, above = latency_axis(latencies_ms)
    fig = Figure(figsize=(6, 4))
    ax = fig.subplots()
    lower = min(latencies_ms)
    ax.hist([v for v in latencies_ms if v <= upper], bins=40, range=(lower, upper))
    ax.set_xlim(lower, upper)
    ax.set_xlabel(_say("report.plot.ms_per_report", lang, font, "ms per report"))
    title = f"p50 {p50:.1f} ms, p95 {p95:.1f} ms, p99 {upper:.1f} ms"
    if above:
        title += "; " + (say("report.above_p99", lang, n=above) if font else f"{above} above p99")
    ax.set_title(title)
    return _styled(fig, font)


def make_plots(figures: dict[str, Any], out: Path, names: Mapping[str, str], lang: str = "zh") -> dict[str, Path]:
    made: dict[str, Path] = {}
    c = figures.get("classification")
    if c and c.get("matrix"):
        made["confusion"] = _save(confusion_figure(*first_level(c["labels"], c["matrix"], not foreign(figures)), names,
                                                   lang),
                                  out / "confusion.png")
    d = figures.get("dedup")
    if d and d.get("curve"):
        made["dedup_curve"] = _save(_dedup_figure(d), out / "dedup_curve.png")
    k = figures.get("confidence")
    if k and k.get("bins"):
        made["calibration"] = _save(_calibration_figure(k), out / "calibration.png")
    s = figures.get("speed")
    if s and s.get("latencies_ms"):
        made["latency"] = _save(latency_figure(s["latencies_ms"], s["p50_ms"], s["p95_ms"], lang),
                                out / "latency.png")
    return made


def _dedup_figure(d: dict[str, Any]) -> Any:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6, 4))
    ax = fig.subplots()
    shifts = [p["shift"] for p in d["curve"]]
    for key in ("precision", "recall", "f1"):
        ax.plot(shifts, [p[key] for p in d["curve"]], marker="o", label=key)
    ax.set_xlabel("shift of every dedup similarity threshold")
    ax.set_title("dedup threshold curve (pairwise)")
    ax.legend()
    return fig


def _calibration_figure(k: dict[str, Any]) -> Any:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(11, 4))
    a1, a2 = fig.subplots(1, 2)
    a1.plot([0, 1], [0, 1], linestyle="--", color="grey")
    a1.plot([b["confidence"] for b in k["bins"]], [b["accuracy"] for b in k["bins"]], marker="o")
    a1.set_xlabel("confidence")
    a1.set_ylabel("accuracy")
    a1.set_title(f"calibration (ECE {k['ece']:.3f})")
    curve = [p for p in k["curve"] if not math.isnan(p["accuracy"])]
    a2.plot([p["threshold"] for p in curve], [p["accuracy"] for p in curve], marker="o", label="accuracy")
    a2.plot([p["threshold"] for p in curve], [p["share"] for p in curve], marker="o", label="share auto-dispatched")
    a2.set_xlabel("auto-dispatch threshold")
    a2.legend()
    return fig


def _font() -> str | None:
    from agent.briefing_plots import cjk_font

    return cjk_font()


def _say(key: str, lang: str, font: str | None, fallback: str) -> str:
    """Chinese words only when a font can draw them; otherwise the English fallback, never tofu."""
    return say(key, lang) if font else fallback


def _styled(fig: Any, font: str | None) -> Any:
    if font:
        for text in fig.findobj(lambda o: hasattr(o, "set_fontfamily")):
            text.set_fontfamily([font, "DejaVu Sans"])
    return fig


def _save(fig: Any, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    return path
