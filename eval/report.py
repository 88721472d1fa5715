"""Evaluation reports: Markdown and HTML with plots, plus the exact configuration and dataset hash,
so that two runs can be compared (`gridtriage eval compare A B`)."""

from __future__ import annotations

import base64
import html
import json
import math
from pathlib import Path
from typing import Any

from eval.summary import headline

TARGETS = {  # the figures zhengzhou_test is held to
    "classification.accuracy": 0.90,
    "routing.top1_accuracy": 0.90,
    "routing.top3_accuracy": 0.98,
    "urgency.recall": 0.98,
    "dedup.pairwise.f1": 0.90,
}


def lookup(figures: dict[str, Any], dotted: str) -> Any:
    value: Any = figures
    for part in dotted.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def _plots(figures: dict[str, Any], out: Path) -> dict[str, Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    made: dict[str, Path] = {}
    c = figures.get("classification")
    if c and c.get("matrix"):
        parents = sorted({label.split(".")[0] for label in c["labels"]})
        index = {p: i for i, p in enumerate(parents)}
        grid = [[0] * len(parents) for _ in parents]
        for g, row in zip(c["labels"], c["matrix"], strict=True):
            for p, n in zip(c["labels"], row, strict=True):
                grid[index[g.split(".")[0]]][index[p.split(".")[0]]] += n
        fig, ax = plt.subplots(figsize=(8, 7))
        ax.imshow(grid, cmap="Blues")
        ax.set_xticks(range(len(parents)), parents, rotation=90, fontsize=7)
        ax.set_yticks(range(len(parents)), parents, fontsize=7)
        ax.set_xlabel("predicted (first-level category)")
        ax.set_ylabel("gold")
        ax.set_title("confusion matrix, first-level categories")
        made["confusion"] = _save(fig, out / "confusion.png")
    d = figures.get("dedup")
    if d and d.get("curve"):
        fig, ax = plt.subplots(figsize=(6, 4))
        shifts = [p["shift"] for p in d["curve"]]
        for key in ("precision", "recall", "f1"):
            ax.plot(shifts, [p[key] for p in d["curve"]], marker="o", label=key)
        ax.set_xlabel("shift of every dedup similarity threshold")
        ax.set_title("dedup threshold curve (pairwise)")
        ax.legend()
        made["dedup_curve"] = _save(fig, out / "dedup_curve.png")
    k = figures.get("confidence")
    if k and k.get("bins"):
        fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 4))
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
        made["calibration"] = _save(fig, out / "calibration.png")
    s = figures.get("speed")
    if s and s.get("latencies_ms"):
        fig, ax = plt.subplots(figsize=(6, 4))
        ax.hist(s["latencies_ms"], bins=40)
        ax.set_xlabel("ms per report")
        ax.set_title(f"latency (p50 {s['p50_ms']:.1f} ms, p95 {s['p95_ms']:.1f} ms)")
        made["latency"] = _save(fig, out / "latency.png")
    return made


def _save(fig: Any, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    import matplotlib.pyplot as plt

    plt.close(fig)
    return path


def _targets(figures: dict[str, Any]) -> list[tuple[str, float, Any, str]]:
    rows = []
    for key, target in TARGETS.items():
        value = lookup(figures, key)
        if value is None:
            continue
        rows.append((key, target, value, "reached" if value >= target else "NOT reached"))
    return rows


def write_report(figures: dict[str, Any], directory: Path) -> tuple[Path, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "figures.json").write_text(json.dumps(figures, ensure_ascii=False, indent=2, default=str),
                                            encoding="utf-8")
    plots = _plots(figures, directory)
    ds = figures["dataset"]
    lines = [f"# GridTriage evaluation: {ds['name']}", "",
             f"- reports: {ds['reports']}", f"- dataset sha256: `{ds['digest']}`", "",
             "| measure | GridTriage |", "| --- | --- |"]
    lines += [f"| {name} | {value} |" for name, value in headline(figures)]
    targets = _targets(figures)
    if targets:
        lines += ["", "## Targets (for zhengzhou_test)", "",
                  "| figure | target | measured | |", "| --- | --- | --- | --- |"]
        lines += [f"| {k} | {t:.2f} | {v:.3f} | {verdict} |" for k, t, v, verdict in targets]
    if figures.get("baselines"):
        lines += ["", "## Baselines", "", "| | accuracy | macro-F1 | top-3 | department top-1 |",
                  "| --- | --- | --- | --- | --- |"]
        for name, b in figures["baselines"].items():
            lines.append(f"| {name} | {b['accuracy']:.3f} | {b['macro_f1']:.3f} | {b['top3_accuracy']:.3f} | "
                         f"{b.get('department_top1_accuracy', float('nan')):.3f} |")
    c = figures.get("classification")
    if c:
        lines += ["", "## Most frequent category errors", ""]
        lines += [f"- {pair}: {n}" for pair, n in list(c["confusion"].items())[:20]]
    for title, key in (("Confusion matrix", "confusion"), ("Dedup threshold curve", "dedup_curve"),
                       ("Calibration and auto-dispatch", "calibration"), ("Latency", "latency")):
        if key in plots:
            lines += ["", f"## {title}", "", f"![{title}]({plots[key].name})"]
    lines += ["", "## Configuration", "", "```json",
              json.dumps(figures.get("configuration", {}), ensure_ascii=False, indent=2), "```", ""]
    markdown = "\n".join(lines)
    md_path = directory / "report.md"
    md_path.write_text(markdown, encoding="utf-8")
    html_path = directory / "report.html"
    html_path.write_text(_html(markdown, plots, ds["name"]), encoding="utf-8")
    return md_path, html_path


def _html(markdown: str, plots: dict[str, Path], title: str) -> str:
    """A self-contained page: the Markdown's tables and lists as HTML, the plots inlined."""
    body, in_table, in_code = [], False, False
    for line in markdown.splitlines():
        if line.startswith("```"):
            body.append("</pre>" if in_code else "<pre>")
            in_code = not in_code
            continue
        if in_code:
            body.append(html.escape(line))
            continue
        if line.startswith("|"):
            cells = [c.strip() for c in line.strip("|").split("|")]
            if set("".join(cells)) <= set("- "):
                continue
            if not in_table:
                body.append("<table>")
                in_table = True
            body.append("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in cells) + "</tr>")
            continue
        if in_table:
            body.append("</table>")
            in_table = False
        if line.strip():
            body.append(_html_line(line, plots))
    if in_table:
        body.append("</table>")
    style = "body{font-family:sans-serif;max-width:1000px;margin:2em auto}td{border:1px solid #ccc;padding:4px 8px}"
    return (f"<!doctype html><html lang='zh'><meta charset='utf-8'><title>{html.escape(title)}</title>"
            f"<style>{style}</style><body>{''.join(body)}</body></html>")


def _html_line(line: str, plots: dict[str, Path]) -> str:
    """One non-blank Markdown line outside tables and code blocks: a heading, a plot, a list item or a paragraph."""
    if line.startswith("# "):
        return f"<h1>{html.escape(line[2:])}</h1>"
    if line.startswith("## "):
        return f"<h2>{html.escape(line[3:])}</h2>"
    if line.startswith("!["):
        name = line[line.index("(") + 1 : -1]
        data = base64.b64encode((next(p for p in plots.values() if p.name == name)).read_bytes()).decode()
        return f'<img alt="{html.escape(name)}" src="data:image/png;base64,{data}">'
    if line.startswith("- "):
        return f"<li>{html.escape(line[2:])}</li>"
    return f"<p>{html.escape(line)}</p>"


def compare(a: dict[str, Any], b: dict[str, Any]) -> list[tuple[str, Any, Any, Any]]:
    """Every numeric figure present in both runs, with the difference (B − A)."""
    rows: list[tuple[str, Any, Any, Any]] = []

    def walk(prefix: str, x: Any, y: Any) -> None:
        if isinstance(x, dict) and isinstance(y, dict):
            for key in x:
                if key in y and key not in ("per_class", "matrix", "labels", "curve", "bins", "latencies_ms",
                                            "configuration", "stages"):
                    walk(f"{prefix}.{key}" if prefix else key, x[key], y[key])
        elif isinstance(x, int | float) and isinstance(y, int | float) and not isinstance(x, bool):
            rows.append((prefix, x, y, y - x))

    walk("", a, b)
    if a.get("dataset", {}).get("digest") != b.get("dataset", {}).get("digest"):
        rows.insert(0, ("dataset.digest", a.get("dataset", {}).get("digest"), b.get("dataset", {}).get("digest"),
                        "DIFFERENT DATASETS"))
    return rows
