"""Evaluation reports: Markdown and a self-contained HTML page with plots, plus the exact
configuration and dataset hash, so that two runs can be compared (`gridtriage eval compare A B`).
Categories appear under the knowledge base's names, targets in words from the message catalogue."""

from __future__ import annotations

import json
import math
import textwrap
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from core.messages import lookup as say
from eval.report_html import to_html
from eval.report_plots import first_level, foreign, latency_axis, make_plots
from eval.summary import headline

TARGETS = {  # the figures zhengzhou_test is held to
    "classification.accuracy": 0.90,
    "routing.top1_accuracy": 0.90,
    "routing.top3_accuracy": 0.98,
    "urgency.recall": 0.98,
    "dedup.pairwise.f1": 0.90,
}
CONFIG_WIDTH = 100  # characters per line of the configuration block
LOWER_IS_BETTER = ("_ms", "ece", "missed", "wrongly_rejected", "false_positives", "false_negatives", "brier")
NEUTRAL = {"n", "reports", "positives", "gold_pairs", "predicted_pairs", "threshold", "share", "support",
           "joint_share", "expected", "rejected", "shift", "pairs"}


def lookup(figures: dict[str, Any], dotted: str) -> Any:
    value: Any = figures
    for part in dotted.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def category_names(figures: dict[str, Any]) -> dict[str, str]:
    """Category id → name from the knowledge base the run used; empty when it cannot be read, and then
    labels are shown as they are (as they always are for label sets foreign to the knowledge base)."""
    from knowledge.loader import load_kb
    from knowledge.reading import KBError

    kb_dir = figures.get("configuration", {}).get("kb_dir")
    if foreign(figures) or not kb_dir or not Path(kb_dir).is_dir():
        return {}
    try:
        kb = load_kb(kb_dir)
    except (KBError, OSError, ValueError):
        return {}
    return {**{t.id: t.name for t in kb.categories.values()}, **{leaf.id: leaf.name for leaf in kb.leaves.values()}}


def write_report(figures: dict[str, Any], directory: Path, names: Mapping[str, str] | None = None,
                 lang: str = "zh") -> tuple[Path, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "figures.json").write_text(json.dumps(figures, ensure_ascii=False, indent=2, default=str),
                                            encoding="utf-8")
    names = category_names(figures) if names is None else names
    plots = make_plots(figures, directory, names, lang)
    markdown = report_markdown(figures, names, {k: p.name for k, p in plots.items()}, lang)
    md_path = directory / "report.md"
    md_path.write_text(markdown, encoding="utf-8")
    html_path = directory / "report.html"
    html_path.write_text(to_html(markdown, directory, figures["dataset"]["name"], lang), encoding="utf-8")
    return md_path, html_path


def report_markdown(figures: dict[str, Any], names: Mapping[str, str], plots: Mapping[str, str],
                    lang: str = "zh") -> str:
    ds = figures["dataset"]
    lines = [f"# {say('report.title', lang, name=ds['name'])}", "",
             f"- {say('report.reports', lang)}: {ds['reports']}", f"- {say('report.digest', lang)}: `{ds['digest']}`",
             "", f"## {say('report.headline', lang)}", "", "| measure | GridTriage |", "| --- | --- |"]
    lines += [f"| {name} | {value} |" for name, value in headline(figures)]
    lines += _targets(figures, lang)
    if figures.get("baselines"):
        lines += ["", f"## {say('report.baselines', lang)}", "",
                  "| | accuracy | macro-F1 | top-3 | department top-1 |", "| --- | --- | --- | --- | --- |"]
        for name, b in figures["baselines"].items():
            lines.append(f"| {name} | {b['accuracy']:.3f} | {b['macro_f1']:.3f} | {b['top3_accuracy']:.3f} | "
                         f"{b.get('department_top1_accuracy', float('nan')):.3f} |")
    c = figures.get("classification")
    if c:
        lines += _confusion(c, names, plots, lang, not foreign(figures)) + _worst(c, names, lang)
        lines += ["", f"## {say('report.frequent_errors', lang)}", ""]
        for pair, n in list(c["confusion"].items())[:20]:
            gold, _, predicted = pair.partition(" → ")
            lines.append(f"- {_name(gold, names)} → {_name(predicted, names)}: {n}")
    for key in ("dedup_curve", "calibration", "latency"):
        if key in plots:
            lines += ["", f"## {say(f'report.plot_title.{key}', lang)}", ""]
            if key == "latency":
                upper, above = latency_axis(figures["speed"]["latencies_ms"])
                lines += [say("report.latency_axis", lang, p99=f"{upper:.1f}", n=above), ""]
            lines.append(f"![{say(f'report.plot_title.{key}', lang)}]({plots[key]})")
    lines += ["", f"## {say('report.configuration', lang)}", "", "```json",
              wrapped_json(figures.get("configuration", {})), "```", ""]
    return "\n".join(lines)


def wrapped_json(value: Any, width: int = CONFIG_WIDTH) -> str:
    """Pretty-printed JSON with every line at most `width` characters: long values continue on the next
    line, indented under their key."""
    out: list[str] = []
    for line in json.dumps(value, ensure_ascii=False, indent=2, default=str).splitlines():
        indent = " " * (len(line) - len(line.lstrip()) + 4)
        out += textwrap.wrap(line, width, subsequent_indent=indent, drop_whitespace=False,
                             break_on_hyphens=False) or [line]
    return "\n".join(out)


def _targets(figures: dict[str, Any], lang: str) -> list[str]:
    rows = [(key, target, value) for key, target in TARGETS.items()
            if isinstance(value := lookup(figures, key), int | float)]
    if not rows:
        return []
    lines = ["", f"## {say('report.targets', lang, dataset='zhengzhou_test')}", "",
             f"| {say('report.figure', lang)} | {say('report.target', lang)} | {say('report.measured', lang)} | |",
             "| --- | --- | --- | --- |"]
    for key, target, value in rows:
        verdict = say("report.reached" if value >= target else "report.not_reached", lang)
        lines.append(f"| {say(f'report.target.{key}', lang)} | {target:.0%} | {value:.1%} | {verdict} |")
    return lines


def _confusion(c: dict[str, Any], names: Mapping[str, str], plots: Mapping[str, str], lang: str,
               by_parent: bool) -> list[str]:
    if not c.get("matrix"):
        return []
    parents, grid = first_level(c["labels"], c["matrix"], by_parent)
    shown = [_name(p, names) for p in parents]
    title = say("report.plot_title.confusion" if by_parent else "report.plot_title.confusion_labels", lang)
    lines = ["", f"## {title}", "", say("report.confusion_note", lang), "",
             f"| {say('report.gold_predicted', lang)} | " + " | ".join(shown) + " |",
             "| --- |" + " --- |" * len(parents)]
    lines += [f"| {name} | " + " | ".join(str(n) for n in row) + " |" for name, row in zip(shown, grid, strict=True)]
    if "confusion" in plots:
        lines += ["", f"![{title}]({plots['confusion']})"]
    return lines


def _worst(c: dict[str, Any], names: Mapping[str, str], lang: str) -> list[str]:
    rows = c.get("worst_errors") or []
    if not rows:
        return []
    lines = ["", f"## {say('report.worst_errors', lang)}", "",
             f"| {say('report.confidence', lang)} | {say('report.gold', lang)} | {say('report.predicted', lang)} | "
             f"{say('report.text', lang)} |", "| --- | --- | --- | --- |"]
    for r in rows:
        text = " ".join(str(r["text"]).split()).replace("|", "｜")
        lines.append(f"| {r['confidence']:.2f} | {_name(r['gold'], names)} | {_name(r['predicted'], names)} | "
                     f"{text[:200]} |")
    return lines


def _name(label: str, names: Mapping[str, str]) -> str:
    return names.get(label, label)


def direction(figure: str) -> int:
    """+1 when a higher value is better, −1 when lower is better (latency, misses), 0 for counts and settings."""
    last = figure.rsplit(".", 1)[-1]
    if last in NEUTRAL or figure.startswith("dataset."):
        return 0
    return -1 if any(part in last for part in LOWER_IS_BETTER) else 1


def signed(diff: Any) -> str:
    return f"{diff:+.4f}" if isinstance(diff, float) else (f"{diff:+d}" if isinstance(diff, int) else str(diff))


def compare(a: dict[str, Any], b: dict[str, Any]) -> list[tuple[str, Any, Any, Any]]:
    """Every numeric figure present in both runs, with the difference (B − A)."""
    rows: list[tuple[str, Any, Any, Any]] = []

    def walk(prefix: str, x: Any, y: Any) -> None:
        if isinstance(x, dict) and isinstance(y, dict):
            for key in x:
                if key in y and key not in ("per_class", "matrix", "labels", "curve", "bins", "latencies_ms",
                                            "configuration", "stages", "worst_errors"):
                    walk(f"{prefix}.{key}" if prefix else key, x[key], y[key])
        elif _number(x) and _number(y):
            rows.append((prefix, x, y, y - x))

    walk("", a, b)
    if a.get("dataset", {}).get("digest") != b.get("dataset", {}).get("digest"):
        rows.insert(0, ("dataset.digest", a.get("dataset", {}).get("digest"), b.get("dataset", {}).get("digest"),
                        "DIFFERENT DATASETS"))
    return rows


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and not math.isnan(value)


def compare_records(rows: list[tuple[str, Any, Any, Any]]) -> list[dict[str, Any]]:
    """The comparison as JSON rows: the signed difference and whether B is better, worse or neither."""
    out = []
    for name, x, y, diff in rows:
        sign = direction(name) * diff if isinstance(diff, int | float) else 0
        verdict = "better" if sign > 0 else "worse" if sign < 0 else "unchanged" if diff == 0 else "neutral"
        out.append({"figure": name, "a": x, "b": y, "difference": diff, "signed": signed(diff), "verdict": verdict})
    return out


def compare_markdown(rows: list[tuple[str, Any, Any, Any]], lang: str = "zh") -> str:
    lines = [f"| {say('report.figure', lang)} | A | B | B − A | |", "| --- | --- | --- | --- | --- |"]
    for r in compare_records(rows):
        mark = {"better": "▲", "worse": "▼"}.get(r["verdict"], "")
        lines.append(f"| {r['figure']} | {r['a']} | {r['b']} | {r['signed']} | {mark} |")
    return "\n".join(lines)
