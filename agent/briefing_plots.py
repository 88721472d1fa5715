"""A briefing's charts as SVG, with text drawn as paths so the file needs no font where it is
opened. Labels are Chinese when a font with Chinese glyphs is found (fontconfig, Noto Sans CJK
preferred); without one the charts label their bars with ids. Matplotlib loads on first use, and
only its object API is used (no pyplot state), under a lock because its font settings are global."""

from __future__ import annotations

import io
import shutil
import subprocess
import threading
from collections.abc import Sequence
from functools import cache
from typing import Any

from agent.briefing_words import say
from core.briefings import BriefingFigures, VolumeRow

TOP = 10  # bars per chart
_LOCK = threading.Lock()
NOW, BEFORE, FAIL = "#2f6db5", "#b8c7dc", "#c0392b"


@cache
def cjk_font() -> str | None:
    """The family name of a font with Chinese glyphs, registered with matplotlib; None when fontconfig
    knows none."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return None
    try:
        listed = subprocess.run([fc_list, ":lang=zh", "file"], capture_output=True, text=True, check=False,
                                timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    files = sorted({line.split(":")[0].strip() for line in listed.splitlines() if line.strip()})
    ranked = sorted(files, key=lambda f: ("Sans" not in f, "Regular" not in f and "Medium" not in f, f))
    from matplotlib import font_manager

    for file in ranked:
        try:
            font_manager.fontManager.addfont(file)
            return str(font_manager.FontProperties(fname=file).get_name())
        except (OSError, RuntimeError, ValueError):
            continue
    return None


def briefing_plots(figures: BriefingFigures, lang: str = "zh") -> dict[str, bytes]:
    """name → SVG: cases by category, cases by lead department, response and disposal medians, and
    the verification verdicts by department; a chart with nothing to show is left out."""
    import matplotlib

    with _LOCK:
        font = cjk_font()
        family = [font, "DejaVu Sans"] if font else ["DejaVu Sans"]
        with matplotlib.rc_context({"font.family": family, "svg.fonttype": "path", "svg.hashsalt": "briefing",
                                    "axes.spines.top": False, "axes.spines.right": False}):
            charts = {
                "categories": _compare(figures.volumes.by_category, say("plot.categories", lang), lang, font),
                "departments": _compare(figures.volumes.by_department, say("plot.departments", lang), lang, font),
                "times": _times(figures, lang, font),
                "verification": _verification(figures, lang, font),
            }
    return {name: svg for name, svg in charts.items() if svg is not None}


def _label(name: str, ident: str, font: str | None) -> str:
    return name if font and name else ident


def _compare(rows: Sequence[VolumeRow], title: str, lang: str, font: str | None) -> bytes | None:
    rows = [r for r in rows if r.cases.current or r.cases.previous][:TOP]
    if not rows:
        return None
    fig, ax = _figure(len(rows))
    ys = list(range(len(rows)))[::-1]
    ax.barh([y + 0.2 for y in ys], [r.cases.current for r in rows], height=0.4, color=NOW,
            label=say("plot.this_period", lang) if font else "this period")
    ax.barh([y - 0.2 for y in ys], [r.cases.previous for r in rows], height=0.4, color=BEFORE,
            label=say("plot.previous_period", lang) if font else "previous period")
    ax.set_yticks(ys, [_label(r.name, r.id, font) for r in rows])
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    return _svg(fig, ax, title if font else "cases")


def _times(figures: BriefingFigures, lang: str, font: str | None) -> bytes | None:
    rows = [t for t in figures.times if t.response.median_hours is not None or t.disposal.median_hours is not None]
    rows = sorted(rows, key=lambda t: -(t.response.count + t.disposal.count))[:TOP]
    if not rows:
        return None
    fig, ax = _figure(len(rows))
    ys = list(range(len(rows)))[::-1]
    ax.barh([y + 0.2 for y in ys], [t.response.median_hours or 0 for t in rows], height=0.4, color=NOW,
            label=say("plot.response", lang) if font else "response")
    ax.barh([y - 0.2 for y in ys], [t.disposal.median_hours or 0 for t in rows], height=0.4, color=BEFORE,
            label=say("plot.disposal", lang) if font else "disposal")
    ax.set_yticks(ys, [_label(t.name, t.id, font) for t in rows])
    ax.set_xlabel(say("plot.hours", lang) if font else "hours (median)")
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    return _svg(fig, ax, say("plot.times", lang) if font else "response and disposal times", counts=False)


def _verification(figures: BriefingFigures, lang: str, font: str | None) -> bytes | None:
    rows = [r for r in figures.verification_by_department if r.disposals][:TOP]
    if not rows:
        return None
    fig, ax = _figure(len(rows))
    ys = list(range(len(rows)))[::-1]
    passed = [r.disposals - r.final_fail for r in rows]
    ax.barh(ys, passed, color=NOW, label=say("plot.passed", lang) if font else "passed")
    ax.barh(ys, [r.final_fail for r in rows], left=passed, color=FAIL,
            label=say("plot.failed", lang) if font else "failed")
    ax.set_yticks(ys, [_label(r.name, r.id, font) for r in rows])
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    return _svg(fig, ax, say("plot.verification", lang) if font else "verification")


def _figure(bars: int) -> tuple[Any, Any]:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7.5, 1.2 + 0.42 * bars))
    return fig, fig.add_subplot()


def _svg(fig: Any, ax: Any, title: str, counts: bool = True) -> bytes:
    from matplotlib.ticker import MaxNLocator

    ax.set_title(title, loc="left", fontsize=11)
    if counts:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    fig.tight_layout()
    out = io.BytesIO()
    fig.savefig(out, format="svg", metadata={"Date": None})
    return out.getvalue()

