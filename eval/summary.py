"""The short human-readable summary `gridtriage eval` prints."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table


def headline(figures: dict[str, Any]) -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    c = figures.get("classification")
    if c:
        rows += [("category accuracy", f"{c['accuracy']:.3f}"), ("category macro-F1", f"{c['macro_f1']:.3f}"),
                 ("category top-3", f"{c['top3_accuracy']:.3f}")]
        if "parent_accuracy" in c:  # a model of another label set has no first level
            rows.append(("first-level accuracy", f"{c['parent_accuracy']:.3f}"))
    r = figures.get("routing")
    if r:
        rows += [("department top-1", f"{r['top1_accuracy']:.3f}"), ("department top-3", f"{r['top3_accuracy']:.3f}"),
                 ("assisting-department recall", f"{r['assist_recall']:.3f}")]
    u = figures.get("urgency")
    if u:
        rows += [("urgent recall", f"{u['recall']:.3f} ({u['missed']} missed of {u['positives']})"),
                 ("urgent precision", f"{u['precision']:.3f}")]
    d = figures.get("dedup")
    if d:
        rows += [("dedup pairwise P / R / F1", "{precision:.3f} / {recall:.3f} / {f1:.3f}".format(**d["pairwise"])),
                 ("dedup B-cubed F1", f"{d['bcubed']['f1']:.3f}")]
    k = figures.get("confidence")
    if k:
        a = k["auto_dispatch"]
        rows += [("calibration ECE", f"{k['ece']:.3f}"),
                 (f"auto-dispatch at {a['threshold']:.2f}", f"takes {a['share']:.1%}, accuracy {a['accuracy']:.3f}")]
    s = figures.get("speed")
    if s:
        rows += [("latency p50 / p95", f"{s['p50_ms']:.1f} / {s['p95_ms']:.1f} ms"),
                 ("throughput", f"{s['throughput_per_s']:.1f} reports/s")]
    rej = figures.get("rejection")
    if rej:
        rows.append(("bad input rejected", f"{rej['rejected']} of {rej['expected']}, "
                                           f"{rej['wrongly_rejected']} good reports wrongly rejected"))
    rows += [(task, f"skipped: {reason}") for task, reason in figures.get("skipped", {}).items()]
    return rows


def print_summary(figures: dict[str, Any], console: Console) -> None:
    table = Table(title=f"GridTriage on {figures['dataset']['name']} ({figures['dataset']['reports']} reports)")
    table.add_column("measure")
    table.add_column("GridTriage")
    for name, value in headline(figures):
        table.add_row(name, value)
    console.print(table)
    if figures.get("baselines"):
        side = Table(title="baselines (trained on the knowledge base's examples, like GridTriage)")
        for col in ("", "accuracy", "macro-F1", "top-3", "department top-1"):
            side.add_column(col)
        c, r = figures.get("classification", {}), figures.get("routing", {})
        side.add_row("GridTriage", f"{c.get('accuracy', 0):.3f}", f"{c.get('macro_f1', 0):.3f}",
                     f"{c.get('top3_accuracy', 0):.3f}", f"{r.get('top1_accuracy', float('nan')):.3f}")
        for name, b in figures["baselines"].items():
            side.add_row(name, f"{b['accuracy']:.3f}", f"{b['macro_f1']:.3f}", f"{b['top3_accuracy']:.3f}",
                         f"{b.get('department_top1_accuracy', float('nan')):.3f}")
        console.print(side)


def print_foreign_summary(figures: dict[str, Any], console: Console) -> None:
    """A model of another label set than the knowledge base's: its classification figures, per
    class, beside the baselines', and the tasks it cannot be scored on with the reason."""
    model = figures["model"]
    table = Table(title=f"model {model['dir']} (trained on {model['trained_on']}) on {figures['dataset']['name']} "
                        f"({figures['dataset']['reports']} reports)")
    names = ["GridTriage", *figures.get("baselines", {})]
    runs = [figures.get("classification", {}), *figures.get("baselines", {}).values()]
    table.add_column("measure")
    for name in names:
        table.add_column(name, justify="right")
    for label, key in (("accuracy", "accuracy"), ("macro-F1", "macro_f1"), ("top-3", "top3_accuracy")):
        if all(key in r for r in runs):
            table.add_row(label, *(f"{r[key]:.3f}" for r in runs))
    for cls in figures.get("classification", {}).get("per_class", {}):
        cells = [r["per_class"].get(cls) for r in runs if "per_class" in r]
        table.add_row(f"F1 {cls}", *("" if c is None else f"{c['f1']:.3f} (n={c['support']})" for c in cells))
    console.print(table)
    unseen = figures.get("classification", {}).get("gold_labels_unknown_to_model")
    if unseen:
        console.print(f"labels of {figures['dataset']['name']} the model never learned: {', '.join(unseen)}",
                      highlight=False)
    for task, reason in figures.get("skipped", {}).items():
        console.print(f"{task}: skipped — {reason}", highlight=False)
