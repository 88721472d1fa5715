"""GET /v1/briefings through the real app: the figures as JSON, the Markdown and the self-contained
HTML, who may read them, and bad periods and dates refused in Chinese (never a 5xx)."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from core.clock import FrozenClock
from tests.support.briefing_seed import CM, NOW, seed

pytestmark = pytest.mark.integration

EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", re.IGNORECASE)


@pytest.fixture
def seeded(client: TestClient, keys: dict[str, dict[str, str]], frozen_clock: FrozenClock) -> dict[str, int]:
    ids = seed(client.app.state.workflow.store)  # type: ignore[attr-defined]
    frozen_clock.set(NOW)
    return ids


def test_the_figures_as_json(client: TestClient, keys: dict[str, dict[str, str]], seeded: dict[str, int]) -> None:
    r = client.get("/v1/briefings", params={"period": "week", "date": "2026-03-04"}, headers=keys["supervisor"])
    assert r.status_code == 200, r.text
    body = r.json()
    f = body["figures"]
    assert (f["period"]["first_day"], f["period"]["last_day"]) == ("2026-03-02", "2026-03-08")
    assert f["period"]["start"] == "2026-03-01T16:00:00+00:00"
    assert f["volumes"]["cases"] == {"current": 4, "previous": 2, "change": 2}
    assert f["volumes"]["reports"] == {"current": 11, "previous": 4, "change": 7}
    assert [(h["id"], h["reports"], h["growth"]) for h in f["hot"]] == [(seeded["c2"], 4, 4), (seeded["c7"], 2, 1)]
    assert (f["overdue"]["past_resolve_by"], f["overdue"]["past_due_by"]) == (2, 3)
    cm = next(t for t in f["times"] if t["id"] == CM)
    assert (cm["response"]["median_hours"], cm["disposal"]["p90_hours"]) == (2.0, 48.0)
    assert next(v for v in f["verification_by_department"] if v["id"] == CM)["fail_rate"] == 0.4
    assert f["satisfaction"]["callbacks"] == 3
    assert [u["id"] for u in f["urgent"]] == [seeded["c1"], seeded["c2"], seeded["c3"]]
    assert body["narrative"]["source"] == "template"
    assert "新增案件4件" in body["narrative"]["text"]


def test_the_evaluator_reads_the_last_complete_day_by_default(client: TestClient, keys: dict[str, dict[str, str]],
                                                             seeded: dict[str, int]) -> None:
    r = client.get("/v1/briefings", headers=keys["evaluator"])
    assert r.status_code == 200, r.text
    assert r.json()["figures"]["period"]["first_day"] == "2026-03-10"


def test_markdown_and_self_contained_html(client: TestClient, keys: dict[str, dict[str, str]],
                                          seeded: dict[str, int]) -> None:
    params = {"period": "week", "date": "2026-03-04"}
    md = client.get("/v1/briefings", params={**params, "format": "markdown"}, headers=keys["supervisor"])
    assert md.status_code == 200
    assert md.headers["content-type"].startswith("text/markdown")
    assert "| 市政设施 | 3 | 1 | +2 | 8 | 3 | +5 |" in md.text
    page = client.get("/v1/briefings", params={**params, "format": "html"}, headers=keys["supervisor"])
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert not EXTERNAL.search(page.text)
    assert "data:image/svg+xml;base64," in page.text
    assert "<td>42.9%</td>" in page.text


def test_an_operator_may_not_read_briefings(client: TestClient, keys: dict[str, dict[str, str]],
                                            seeded: dict[str, int]) -> None:
    r = client.get("/v1/briefings", headers=keys["operator"])
    assert r.status_code == 403
    assert "查看简报" in r.json()["detail"]
    assert client.get("/v1/briefings").status_code == 401


@pytest.mark.parametrize(("params", "code", "words"), [
    ({"date": "2026-02-30"}, "brief.date_bad", "日期「2026-02-30」无效"),
    ({"date": "2026-03-12"}, "brief.date_future", "还没到"),
    ({"date": "0001-01-01", "period": "week"}, "brief.date_too_old", "太早"),
    ({"period": "month"}, "brief.period_unknown", "专报周期「month」无效"),
    ({"format": "pdf"}, "brief.format_unknown", "格式「pdf」无效"),
])
def test_bad_input_is_a_422_in_chinese(client: TestClient, keys: dict[str, dict[str, str]], seeded: dict[str, int],
                                       params: dict[str, str], code: str, words: str) -> None:
    r = client.get("/v1/briefings", params=params, headers=keys["supervisor"])
    assert r.status_code == 422
    assert r.json()["code"] == code
    assert words in r.json()["detail"]
