"""The evaluation report as one self-contained HTML page: the Markdown's headings, tables and lists as
HTML, the plots inlined as data URLs, long lines wrapped so that the page never scrolls sideways."""

from __future__ import annotations

import base64
import html
from pathlib import Path

STYLE = ("body{font-family:sans-serif;max-width:1000px;margin:2em auto;padding:0 1em;overflow-wrap:anywhere}"
         "table{border-collapse:collapse;display:block;max-width:100%;overflow-x:auto;margin:1em 0}"
         "td{border:1px solid #ccc;padding:4px 8px;vertical-align:top}"
         "tr:first-child td{font-weight:bold;background:#f4f6f8}"
         "pre{white-space:pre-wrap;overflow-wrap:anywhere;background:#f6f8fa;padding:1em;font-size:12px}"
         "img{max-width:100%;height:auto}")


def to_html(markdown: str, directory: Path, title: str, lang: str = "zh") -> str:
    """The page for `markdown`, whose images are files in `directory`."""
    body: list[str] = []
    in_table = in_code = False
    for line in markdown.splitlines():
        if line.startswith("```"):
            body.append("</pre>" if in_code else "<pre>")
            in_code = not in_code
            continue
        if in_code:
            body.append(html.escape(line) + "\n")
            continue
        if line.startswith("|"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
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
            body.append(_line(line, directory))
    if in_table:
        body.append("</table>")
    return (f"<!doctype html><html lang='{html.escape(lang)}'><meta charset='utf-8'>"
            f"<meta name='viewport' content='width=device-width,initial-scale=1'><title>{html.escape(title)}</title>"
            f"<style>{STYLE}</style><body>{''.join(body)}</body></html>")


def _line(line: str, directory: Path) -> str:
    """One non-blank Markdown line outside tables and code blocks: a heading, a plot, a list item or a paragraph."""
    if line.startswith("# "):
        return f"<h1>{html.escape(line[2:])}</h1>"
    if line.startswith("## "):
        return f"<h2>{html.escape(line[3:])}</h2>"
    if line.startswith("!["):
        alt, name = line[2 : line.index("]")], line[line.index("(") + 1 : -1]
        data = base64.b64encode((directory / name).read_bytes()).decode()
        return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'
    if line.startswith("- "):
        return f"<li>{html.escape(line[2:])}</li>"
    return f"<p>{html.escape(line)}</p>"
