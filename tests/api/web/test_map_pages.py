"""The situation map and the dashboard's live panels through FastAPI's TestClient, on a seeded store
(tests/support/situation_seed.py): the figures on the page, the JSON the pages poll, a department
user's own view, logins and refusals, nothing from other hosts, and the vendored Leaflet served and
shipped with the package."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator
from fnmatch import fnmatch
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from agent.models import Models
from agent.store.users import Users
from api.app import create_app
from api.web.render import STATIC, TEMPLATES
from core.clock import FrozenClock
from core.settings import ApiSettings, LLMSettings, Settings
from tests.support.situation_seed import NOW, TP, seed
from tests.support.web import add_users, log_in, token_of

pytestmark = pytest.mark.integration

ROOT = Path(__file__).parents[3]
EXTERNAL = re.compile(r"""(?:src|href|action)\s*=\s*["']?\s*(?:https?:)?//""", re.IGNORECASE)
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
JSON_HEADERS = {"X-Requested-With": "fetch", "Accept": "application/json"}


@pytest.fixture
def app(tmp_path: Path, models: Models, frozen_clock: FrozenClock) -> Iterator[TestClient]:
    settings = Settings(db=str(tmp_path / "web.db"), llm=LLMSettings(provider="none"),
                        api=ApiSettings(rate_limit_per_minute=10_000))
    with TestClient(create_app(settings, models=models), follow_redirects=False) as c:
        add_users(c, "wang", "li")
        seed(c.app.state.workflow.store)  # type: ignore[attr-defined]
        frozen_clock.set(NOW)
        yield c


def browser(app: TestClient) -> TestClient:
    return TestClient(app.app, follow_redirects=False)


def department_user(app: TestClient) -> TestClient:
    Users(app.app.state.workflow.store).create("tp", "department", "traffic-pass-1",  # type: ignore[attr-defined]
                                               department_id=TP)
    client = browser(app)

    r = client.post("/ui/login", data={"username": "tp", "password": "traffic-pass-1", "csrf_token": token_of(client)})
    assert r.status_code == 303, r.text
    return client


def test_the_map_page_shows_the_panels_on_the_citys_clock(app: TestClient) -> None:
    li = log_in(browser(app), "li")
    page = li.get("/ui/map")
    assert page.status_code == 200
    html = page.text
    assert 'id="map"' in html
    assert 'src="/ui/static/vendor/leaflet/leaflet.js"' in html
    assert 'href="/ui/static/vendor/leaflet/leaflet.css"' in html
    assert 'id="sit-open">5<' in html
    assert 'id="sit-overdue">5<' not in html
    assert 'id="sit-overdue">2<' in html
    rows = re.findall(r'<tr data-department="([^"]+)"><td>[^<]+</td><td class="num open-n">(\d+)</td>'
                      r'<td class="num overdue-n[^"]*">(\d+)</td>', html)
    assert rows == [("city-management", "3", "1"), ("traffic-police", "2", "1")]
    countdowns = re.findall(r'<li class="countdown( is-late)?" data-case="(\d+)" data-due="([^"]+)"', html)
    assert [(late, due) for late, _, due in countdowns] == [
        (" is-late", "2026-03-11T02:05:00+00:00"), ("", "2026-03-11T02:40:00+00:00"), ("", "2026-03-11T03:00:00+00:00")]
    assert "10:05" in html
    assert "10:40" in html
    assert re.search(r'<span class="cd-clock">15:00</span>', html)  # 15 minutes late
    trend = dict(re.findall(r'<tr data-hour="(\d+)"><td>\d\d:00</td><td class="num">([^<]+)</td>', html))
    assert [trend[str(h)] for h in range(12)] == ["0"] * 8 + ["1", "1", "1", "—"]
    assert 'class="trend-bar now" data-hour="10"' in html
    assert 'id="nav-map" class="active"' in html


def test_the_page_takes_nothing_from_other_hosts_and_runs_no_inline_code(app: TestClient) -> None:
    li = log_in(browser(app), "li")
    for path in ("/ui/map", "/ui/dashboard"):
        html = li.get(path).text
        assert not EXTERNAL.search(html), path
        assert not INLINE_SCRIPT.search(html), path
        assert not re.search(r"<style| style=", html), path
    assert "script-src 'self'" in li.get("/ui/map").headers["content-security-policy"]


def test_the_vendored_leaflet_is_served_and_shipped(app: TestClient) -> None:
    js = app.get("/ui/static/vendor/leaflet/leaflet.js")
    assert js.status_code == 200
    assert "javascript" in js.headers["content-type"]
    assert "Leaflet 1.9.4" in js.text[:200]
    assert app.get("/ui/static/vendor/leaflet/leaflet.css").status_code == 200
    png = app.get("/ui/static/vendor/leaflet/images/layers.png")
    assert (png.status_code, png.headers["content-type"]) == (200, "image/png")
    assert app.get("/ui/static/situation.js").status_code == 200
    vendored = STATIC / "vendor" / "leaflet"
    assert "BSD 2-Clause" in (vendored / "LICENSE").read_text()
    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["*"]
    files = [f for f in vendored.rglob("*") if f.is_file()]
    assert {f.name for f in files} >= {"leaflet.js", "leaflet.css", "LICENSE", "layers.png", "marker-icon.png"}
    unshipped = [f.name for f in files if not any(fnmatch(f.name, p) for p in patterns)]
    assert not unshipped


def test_the_json_the_pages_poll(app: TestClient) -> None:
    li = log_in(browser(app), "li")
    r = li.get("/ui/situation.json", headers=JSON_HEADERS)
    assert r.status_code == 200
    assert r.headers["cache-control"] == "no-store"
    body = r.json()
    assert body["situation"]["open"] == 5
    assert 'id="department-load"' in body["panels"]
    assert 'id="countdowns"' in body["panels"]
    assert body["panels"].count('class="emergency-call"') == 1  # the urgent case, for the alert
    layer = li.get("/ui/map/layer.json", headers=JSON_HEADERS).json()
    assert {"grids", "labels", "bounds", "coordinate_system"} <= set(layer)


def test_a_login_is_needed(app: TestClient) -> None:
    anonymous = browser(app)
    assert anonymous.get("/ui/situation.json", headers=JSON_HEADERS).status_code == 401
    assert anonymous.get("/ui/map/layer.json", headers=JSON_HEADERS).status_code == 401
    r = anonymous.get("/ui/map")
    assert (r.status_code, r.headers["location"]) == (303, "/ui/login?next=/ui/map")


def test_a_department_user_sees_its_own_cases_on_the_map(app: TestClient) -> None:
    tp = department_user(app)
    html = tp.get("/ui/map").text
    assert 'id="sit-open">2<' in html
    assert re.findall(r'<tr data-department="([^"]+)">', html) == [TP]
    assert 'id="nav-map"' in html
    body = tp.get("/ui/situation.json", headers=JSON_HEADERS).json()
    assert {p["department"] for p in body["situation"]["points"]} == {TP}
    assert body["situation"]["department"] == TP
    assert tp.get("/ui/dashboard").status_code == 403  # the city-wide dashboard stays refused


def test_the_dashboard_carries_the_live_panels(app: TestClient) -> None:
    wang = log_in(browser(app), "wang")
    html = wang.get("/ui/dashboard").text
    assert 'id="situation"' in html
    assert 'data-source="/ui/situation.json"' in html
    assert 'src="/ui/static/situation.js"' in html
    assert 'id="trend-chart"' in html
    assert 'href="/ui/map"' in html


def test_the_map_page_in_english(app: TestClient) -> None:
    li = log_in(browser(app), "li")
    li.cookies.set("gt_lang", "en")
    html = li.get("/ui/map").text
    assert "Situation picture" in html
    assert "Respond-by countdowns" in html
    assert '"heat_grid": "Open cases per grid"' in html


def test_the_map_page_names_only_files_the_server_has() -> None:
    html = (TEMPLATES / "map.html").read_text()
    named = re.findall(r'(?:src|href)="/ui/static/([^"]+)"', html)
    assert len(named) == 3
    for path in named:
        assert (STATIC / path).is_file(), path
