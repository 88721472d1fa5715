"""A briefing as a document: headings, paragraphs, tables and charts in the reader's language, built
from the figures and the narrative. agent/briefing.py writes it as Markdown and as HTML."""

from __future__ import annotations

from dataclasses import dataclass, field

from agent.briefing_words import (
    change,
    hours,
    kind_name,
    local_time,
    period_label,
    rate,
    say,
    signed,
    status_name,
    street_name,
)
from core.briefings import Briefing, BriefingFigures, Count, Durations, VolumeRow
from core.messages import lookup

ROWS = 15  # rows of a long table (streets, departments); the JSON form has them all


@dataclass(frozen=True)
class Table:
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    more: int = 0  # rows left out


@dataclass(frozen=True)
class Section:
    title: str
    paragraphs: tuple[str, ...] = ()
    tables: tuple[tuple[str, Table], ...] = ()  # (caption, table)
    charts: tuple[str, ...] = ()  # names from agent/briefing_plots.py


@dataclass(frozen=True)
class Document:
    title: str
    subtitle: str
    sections: list[Section] = field(default_factory=list)


def document(briefing: Briefing, city: str, lang: str = "zh") -> Document:
    f = briefing.figures
    p = f.period
    subtitle = say("subtitle", lang, period=period_label(p, lang), zone=p.timezone,
                   made=local_time(p.as_of, p.timezone))
    if not p.complete:
        subtitle += say("incomplete", lang)
    return Document(
        title=say("title", lang, city=city, kind=kind_name(p, lang)), subtitle=subtitle,
        sections=[_summary(briefing, lang), _volumes(f, lang), _hot(f, lang), _overdue(f, lang), _times(f, lang),
                  _verification(f, lang), _satisfaction(f, lang), _urgent(f, lang)])


def _summary(briefing: Briefing, lang: str) -> Section:
    n = briefing.narrative
    note = say(f"narrative.{n.source}", lang, model=n.model or "")
    if n.fallback_reason:
        note = say("narrative.fallback", lang, reason=n.fallback_reason)
    return Section(say("section.summary", lang), (n.text, note))


def _count_cells(c: Count) -> tuple[str, str, str]:
    return str(c.current), str(c.previous), signed(c.change)


def _volume_table(rows: list[VolumeRow], lang: str, named: bool = False) -> Table:
    header = (say("col.name", lang), say("col.cases", lang), say("col.previous", lang), say("col.change", lang),
              say("col.reports", lang), say("col.previous", lang), say("col.change", lang))
    shown = [(street_name(r.name, lang) if named else r.name, *_count_cells(r.cases), *_count_cells(r.reports))
             for r in rows[:ROWS]]
    return Table(header, tuple(shown), max(0, len(rows) - ROWS))


def _volumes(f: BriefingFigures, lang: str) -> Section:
    v = f.volumes
    totals = Table((say("col.figure", lang), say("col.this_period", lang), say("col.previous", lang),
                    say("col.change", lang)),
                   ((say("col.cases", lang), *_count_cells(v.cases)),
                    (say("col.reports", lang), *_count_cells(v.reports))))
    line = say("volumes.line", lang, cases=v.cases.current, cases_change=change(v.cases, lang, say("unit.case", lang)),
               reports=v.reports.current, reports_change=change(v.reports, lang, say("unit.report", lang)))
    return Section(say("section.volumes", lang), (line,), (
        (say("caption.totals", lang), totals),
        (say("caption.by_category", lang), _volume_table(v.by_category, lang)),
        (say("caption.by_street", lang), _volume_table(v.by_street, lang, named=True)),
        (say("caption.by_department", lang), _volume_table(v.by_department, lang))), ("categories", "departments"))


def _hot(f: BriefingFigures, lang: str) -> Section:
    if not f.hot:
        return Section(say("section.hot", lang), (say("hot.none", lang),))
    header = (say("col.case", lang), say("col.title", lang), say("col.category", lang), say("col.street", lang),
              say("col.department", lang), say("col.reports_now", lang), say("col.previous", lang),
              say("col.change", lang), say("col.reporters", lang), say("col.status", lang))
    rows = tuple((str(h.id), h.title, h.category, street_name(h.street, lang), h.department, str(h.reports),
                  str(h.previous), signed(h.growth), str(h.reporters), status_name(h.status, lang)) for h in f.hot)
    return Section(say("section.hot", lang), (say("hot.rule", lang),),
                   ((say("caption.hot", lang), Table(header, rows)),))


def _overdue(f: BriefingFigures, lang: str) -> Section:
    o = f.overdue
    line = say("overdue.line", lang, as_of=local_time(o.as_of, f.period.timezone), late=o.past_resolve_by,
               step_late=o.past_due_by)
    tables: list[tuple[str, Table]] = []
    if o.by_department:
        rows = tuple((d.name, str(d.past_resolve_by), str(d.past_due_by)) for d in o.by_department[:ROWS])
        tables.append((say("caption.overdue_departments", lang), Table(
            (say("col.department", lang), say("col.past_resolve_by", lang), say("col.past_due_by", lang)), rows,
            max(0, len(o.by_department) - ROWS))))
    if o.cases:
        late = tuple((str(c.id), c.title, c.department, status_name(c.status, lang),
                      lookup(f"priority.{c.priority}", lang, default=c.priority),
                      local_time(c.resolve_by, f.period.timezone),
                      local_time(c.due_by, f.period.timezone) if c.due_by else "—", hours(c.hours_late))
                     for c in o.cases)
        tables.append((say("caption.overdue_cases", lang), Table(
            (say("col.case", lang), say("col.title", lang), say("col.department", lang), say("col.status", lang),
             say("col.priority", lang), say("col.resolve_by", lang), say("col.due_by", lang),
             say("col.hours_late", lang)), late)))
    return Section(say("section.overdue", lang), (line,), tuple(tables))


def _duration_cells(d: Durations) -> tuple[str, str, str, str]:
    return str(d.count), hours(d.median_hours), hours(d.p90_hours), hours(d.previous_median_hours)


def _times(f: BriefingFigures, lang: str) -> Section:
    header = (say("col.department", lang), say("col.responses", lang), say("col.median", lang), say("col.p90", lang),
              say("col.previous_median", lang), say("col.disposals", lang), say("col.median", lang),
              say("col.p90", lang), say("col.previous_median", lang))
    rows = [(say("all", lang), *_duration_cells(f.response), *_duration_cells(f.disposal))]
    rows += [(t.name, *_duration_cells(t.response), *_duration_cells(t.disposal)) for t in f.times[:ROWS]]
    return Section(say("section.times", lang), (say("times.rule", lang),),
                   ((say("caption.times", lang), Table(header, tuple(rows), max(0, len(f.times) - ROWS))),), ("times",))


def _verification(f: BriefingFigures, lang: str) -> Section:
    header = (say("col.department", lang), say("col.disposals", lang), say("col.pass", lang),
              say("col.needs_person", lang), say("col.fail", lang), say("col.decided_pass", lang),
              say("col.decided_fail", lang), say("col.final_fail", lang), say("col.fail_rate", lang),
              say("col.previous_fail_rate", lang))
    rows = [((say("all", lang) if r.id == "all" else r.name), str(r.disposals), str(r.passed), str(r.needs_person),
             str(r.failed), str(r.decided_pass), str(r.decided_fail), str(r.final_fail), rate(r.fail_rate),
             rate(r.previous_fail_rate)) for r in [f.verification, *f.verification_by_department[:ROWS]]]
    return Section(say("section.verification", lang), (say("verification.rule", lang),),
                   ((say("caption.verification", lang), Table(header, tuple(rows))),), ("verification",))


def _satisfaction(f: BriefingFigures, lang: str) -> Section:
    header = (say("col.department", lang), say("col.callbacks", lang), lookup("satisfaction.satisfied", lang),
              lookup("satisfaction.basically", lang), lookup("satisfaction.unsatisfied", lang),
              say("col.satisfaction_rate", lang), say("col.previous_rate", lang), say("col.reopened", lang),
              say("col.previous", lang))
    rows = [((say("all", lang) if r.id == "all" else r.name), str(r.callbacks), str(r.satisfied), str(r.basically),
             str(r.unsatisfied), rate(r.satisfaction_rate), rate(r.previous_satisfaction_rate), str(r.reopened),
             str(r.previous_reopened)) for r in [f.satisfaction, *f.satisfaction_by_department[:ROWS]]]
    return Section(say("section.satisfaction", lang), (say("satisfaction.rule", lang),),
                   ((say("caption.satisfaction", lang), Table(header, tuple(rows))),))


def _urgent(f: BriefingFigures, lang: str) -> Section:
    if not f.urgent:
        return Section(say("section.urgent", lang), (say("story.no_urgent", lang),))
    header = (say("col.case", lang), say("col.title", lang), say("col.category", lang), say("col.street", lang),
              say("col.department", lang), say("col.created", lang), say("col.status", lang), say("col.overdue", lang))
    rows = tuple((str(u.id), u.title, u.category, street_name(u.street, lang), u.department,
                  local_time(u.created_at, f.period.timezone), status_name(u.status, lang),
                  say("yes", lang) if u.overdue else say("no", lang)) for u in f.urgent)
    return Section(say("section.urgent", lang), (), ((say("caption.urgent", lang), Table(header, rows)),))
