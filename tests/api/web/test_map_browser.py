"""The situation map and the dashboard's live panels in a real browser: Debian's headless Chromium
through Playwright against a real `gridtriage serve`, on a wall screen (1440×900) and a phone
(390×844). The map draws the bundled knowledge base's grids with the vendored Leaflet and no tile
server; the browser asks no other host for anything and the page's CSP refuses nothing it runs.
Screenshots go where the other browser tests put theirs (tests/support/browser.py)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from agent.store import CaseStore
from agent.store.users import Users
from classifiers.embedders.factory import make_embedder
from core import clock
from core.settings import Settings
from knowledge.loader import KnowledgeBase
from tests.support.browser import Site, need_chromium, served_site
from tests.support.situation_seed import NOW, TP, in_grids, seed

pytestmark = [pytest.mark.e2e, pytest.mark.browser, pytest.mark.slow]

PASSWORDS = {"li": "supervisor-pass-1", "tp": "traffic-pass-1"}
DIMENSION = make_embedder(Settings.load().embedder).dimension  # the server indexes the open cases' embeddings


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, kb: KnowledgeBase) -> Iterator[tuple[Site, CaseStore]]:
    need_chromium()
    folder = tmp_path_factory.mktemp("map")
    db = str(folder / "cases.db")
    store = CaseStore.open(db)
    users = Users(store)
    users.create("li", "supervisor", PASSWORDS["li"])
    users.create("tp", "department", PASSWORDS["tp"], department_id=TP)
    seed(store, shift=clock.now() - NOW, dimension=DIMENSION)  # the hand-worked cases, on the server's clock
    in_grids(store, kb, clock.now(), 60, DIMENSION)
    try:
        with served_site(db, folder) as served:
            yield served, store
    finally:
        store.close()


class Watched:
    """What a page asked of hosts other than the server, and the console's errors (a CSP refusal
    is one)."""

    def __init__(self, site: Site, page: Any) -> None:
        self.outside: list[str] = []
        self.errors: list[str] = []
        page.on("request", lambda r: None if r.url.startswith((site.base, "data:")) else self.outside.append(r.url))
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" and not m.location.get(
            "url", "").endswith("/favicon.ico") else None)  # the browser asks for one; the pages have none
        page.on("pageerror", lambda e: self.errors.append(str(e)))


def log_in(site: Site, page: Any, username: str, target: str) -> None:
    page.goto(f"{site.base}{target}")
    page.wait_for_url(re.compile(r"/ui/login"))
    page.fill("#username", username)
    page.fill("#password", PASSWORDS[username])
    page.click("#login-button")
    page.wait_for_url(re.compile(re.escape(target) + "$"))


def shoot_screen(site: Site, page: Any, name: str) -> None:
    """The screen as it is: the map's height follows the viewport, so a full-page capture (which
    grows the viewport) would draw it again at another size."""
    page.screenshot(path=str(site.shots / f"{name}.png"))


def map_ready(page: Any) -> None:
    page.wait_for_selector('#map[data-ready="1"]')
    page.wait_for_timeout(400)  # the fit-to-bounds animation


def test_the_wall_screen(site: tuple[Site, CaseStore]) -> None:
    served, store = site
    page = served.page(1440, 900)
    watched = Watched(served, page)
    log_in(served, page, "li", "/ui/map")
    map_ready(page)
    assert int(page.get_attribute("#map", "data-grids")) > 100  # the bundled grids.geojson
    assert int(page.get_attribute("#map", "data-points")) == 64  # 65 open cases, one without a point
    assert page.locator("path.grid-shape").count() > 100
    assert page.locator("path.grid-shape.heat-0").count() < page.locator("path.grid-shape").count()
    assert page.locator("path.case-pt.pt-urgent").count() >= 1
    assert page.inner_text("#sit-open") == "65"
    # the soonest respond-by first, counting down on the server's clock
    first = page.locator("#countdowns .countdown").first
    assert "is-late" in (first.get_attribute("class") or "")
    before = page.inner_text("#countdowns .countdown:nth-child(2) .cd-clock")
    page.wait_for_timeout(1500)
    assert page.inner_text("#countdowns .countdown:nth-child(2) .cd-clock") != before
    # a new urgent case: announced with the chime once the page polls again
    alert = page.locator("#situation-alert")
    assert alert.is_visible()  # the seeded urgent case was new to this browser session
    assert page.get_attribute("#situation", "data-sounded") in ("yes", "blocked")
    assert page.get_attribute("#situation", "data-chimes") == "1"
    page.click("#sound-toggle")
    page.wait_for_selector("#sound-toggle.is-on")
    page.click("#situation-alert-close")
    assert not alert.is_visible()
    fresh = seed(store, shift=clock.now() - NOW + timedelta(minutes=1), dimension=DIMENSION)["a1"]
    page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")  # as when the screen wakes
    page.wait_for_selector(f'#situation-alert a[data-case="{fresh}"]', state="visible")
    assert page.get_attribute("#situation", "data-chimes") == "2"
    assert page.get_attribute("#situation", "data-sounded") == "yes"  # the sound was switched on
    page.wait_for_function("Number(document.getElementById('map').dataset.points) > 64")
    shoot_screen(served, page, "20-map-wall")
    page.locator("path.case-pt.pt-urgent").first.click(force=True)
    popup = page.wait_for_selector(".case-popup")
    assert popup.inner_text().startswith("#")
    assert not watched.outside, watched.outside
    assert not watched.errors, watched.errors
    page.goto(f"{served.base}/ui/dashboard")
    page.wait_for_selector("#trend-chart .trend-bar")
    assert page.locator("#department-load tr[data-department]").count() == 2
    served.shoot(page, "21-dashboard-panels")
    assert not watched.outside, watched.outside
    page.context.close()


def test_the_phone_of_a_department_user(site: tuple[Site, CaseStore]) -> None:
    served, _ = site
    page = served.page(390, 844)
    watched = Watched(served, page)
    log_in(served, page, "tp", "/ui/map")
    map_ready(page)
    assert page.locator("#department-load tr[data-department]").count() == 1
    assert page.get_attribute("#department-load tr[data-department]", "data-department") == TP
    assert int(page.inner_text("#sit-open")) < 65
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing wider than the phone
    box = page.locator("#map").bounding_box()
    assert box["width"] > 340
    assert box["height"] > 300
    shoot_screen(served, page, "22-map-phone")
    page.locator("#countdowns").scroll_into_view_if_needed()
    shoot_screen(served, page, "23-map-phone-panels")
    assert not watched.outside, watched.outside
    assert not watched.errors, watched.errors
    page.context.close()

