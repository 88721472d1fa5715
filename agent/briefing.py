"""Briefings (专报): the figures of a city's day or week from the case store, a narrative, and the
briefing written as Markdown and as one self-contained HTML file (styles inline, charts as SVG in
data: URLs, nothing fetched from anywhere)."""

from __future__ import annotations

import base64
import html
from datetime import date, datetime

from agent.briefing_document import Document, Table, document
from agent.briefing_narrative import Narrator, TemplateNarrator
from agent.briefing_plots import briefing_plots
from agent.briefing_words import say
from agent.store.briefing_figures import briefing_figures
from agent.store.store import CaseStore
from core import clock
from core.briefings import Briefing, briefing_period
from knowledge.loader import KnowledgeBase

FORMATS = ("json", "markdown", "html")


class Briefer:
    """Light to construct; `warm_up()` loads the narrator's model, if it has one; `run` reads the
    figures of the period containing a day (default: the last complete one) and narrates them."""

    def __init__(self, store: CaseStore, kb: KnowledgeBase, narrator: Narrator | None = None) -> None:
        self.store, self.kb = store, kb
        self.narrator = narrator or TemplateNarrator()

    def warm_up(self) -> None:
        self.narrator.warm_up()

    def run(self, kind: str, day: str | date | None = None, now: datetime | None = None,
            lang: str = "zh") -> Briefing:
        period = briefing_period(kind, day, self.kb.meta.timezone, now or clock.now())
        figures = briefing_figures(self.store, self.kb, period)
        return Briefing(figures=figures, narrative=self.narrator.narrate(figures, lang))

    def document(self, briefing: Briefing, lang: str = "zh") -> Document:
        return document(briefing, self.kb.meta.city, lang)


def file_stem(briefing: Briefing) -> str:
    """`briefing-day-2026-03-02` or `briefing-week-2026-03-02` (the week's Monday)."""
    p = briefing.figures.period
    return f"briefing-{p.kind}-{p.first_day.isoformat()}"


def to_markdown(doc: Document, lang: str = "zh") -> str:
    lines = [f"# {doc.title}", "", f"_{_md(doc.subtitle)}_", ""]
    for section in doc.sections:
        lines += [f"## {section.title}", ""]
        for paragraph in section.paragraphs:
            lines += [_md(paragraph), ""]
        for caption, table in section.tables:
            lines += [f"**{_md(caption)}**", "", *_md_table(table, lang), ""]
    return "\n".join(lines).rstrip() + "\n"


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _md_table(table: Table, lang: str) -> list[str]:
    lines = ["| " + " | ".join(_md(h) for h in table.header) + " |",
             "| " + " | ".join("---" for _ in table.header) + " |"]
    lines += ["| " + " | ".join(_md(c) for c in row) + " |" for row in table.rows]
    if table.more:
        lines += ["", say("more_rows", lang, n=table.more)]
    return lines


STYLE = """
body{font-family:"Noto Sans CJK SC","Source Han Sans SC","PingFang SC","Microsoft YaHei",sans-serif;
max-width:1100px;margin:2em auto;padding:0 1em;color:#1d2733;line-height:1.6}
h1{font-size:1.6em;margin-bottom:.2em}h2{border-bottom:2px solid #2f6db5;padding-bottom:.2em;margin-top:1.6em}
.sub{color:#5a6472}.note{color:#5a6472;font-size:.9em}table{border-collapse:collapse;margin:.4em 0 1.2em;
font-size:.92em}caption{text-align:left;font-weight:bold;padding:.3em 0}th,td{border:1px solid #ccd5e0;
padding:.25em .6em;text-align:right}th{background:#eef3f9}td:first-child,th:first-child{text-align:left}
td.text{text-align:left}img{max-width:100%;display:block;margin:.5em 0}
"""


def to_html(doc: Document, charts: dict[str, bytes], lang: str = "zh") -> str:
    """One file: the styles in a <style> element, each chart an <img> whose src is a data: URL."""
    parts = [f'<!DOCTYPE html>\n<html lang="{"zh-CN" if lang == "zh" else "en"}">\n<head>\n<meta charset="utf-8">',
             f"<title>{html.escape(doc.title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>",
             f"<h1>{html.escape(doc.title)}</h1>", f'<p class="sub">{html.escape(doc.subtitle)}</p>']
    for section in doc.sections:
        parts.append(f"<section>\n<h2>{html.escape(section.title)}</h2>")
        for number, paragraph in enumerate(section.paragraphs):
            css = ' class="note"' if number and section is doc.sections[0] else ""
            parts.append(f"<p{css}>{html.escape(paragraph)}</p>")
        for name in section.charts:
            if name in charts:
                data = base64.b64encode(charts[name]).decode("ascii")
                parts.append(f'<img alt="{html.escape(say(f"chart.{name}", lang))}" '
                             f'src="data:image/svg+xml;base64,{data}">')
        for caption, table in section.tables:
            parts.append(_html_table(caption, table, lang))
        parts.append("</section>")
    parts.append("</body>\n</html>\n")
    return "\n".join(parts)


def _html_table(caption: str, table: Table, lang: str) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in table.header)
    body = "".join("<tr>" + "".join(_cell(c) for c in row) + "</tr>" for row in table.rows)
    more = f'<p class="note">{html.escape(say("more_rows", lang, n=table.more))}</p>' if table.more else ""
    return (f"<table><caption>{html.escape(caption)}</caption><thead><tr>{head}</tr></thead>"
            f"<tbody>{body}</tbody></table>{more}")


def _cell(text: str) -> str:
    numeric = text.replace(".", "").replace("%", "").replace("+", "").replace("-", "").replace("—", "").isdigit()
    return f"<td>{html.escape(text)}</td>" if numeric or text == "—" else f'<td class="text">{html.escape(text)}</td>'


def render_markdown(briefer: Briefer, briefing: Briefing, lang: str = "zh") -> str:
    return to_markdown(briefer.document(briefing, lang), lang)


def render_html(briefer: Briefer, briefing: Briefing, lang: str = "zh") -> str:
    return to_html(briefer.document(briefing, lang), briefing_plots(briefing.figures, lang), lang)
