"""The web pages in a real browser: Debian's headless Chromium, driven by Playwright, against a real
`gridtriage serve` on loopback, with users made by the real `gridtriage users create`.

Screenshots of every page go to $GRIDTRIAGE_TEST_OUTPUT/screenshots (default: test-output/ at the
repository root, ignored by git) so reviewers can look at them."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from eval.server import free_port, start_server
from tests.support.browser import Site, need_chromium, served_site
from tests.support.cli import run

pytestmark = [pytest.mark.e2e, pytest.mark.browser, pytest.mark.slow]  # a server and a browser start first

USERS = {"wang": ("operator", "wang-password-1"), "li": ("supervisor", "li-password-1")}
CITY_MANAGEMENT = "郑州市城市管理局"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Iterator[Site]:
    need_chromium()
    folder = tmp_path_factory.mktemp("web")
    db = str(folder / "cases.db")
    for name, (role, password) in USERS.items():
        proc = run("users", "create", name, "--role", role, "--password-stdin", "--db", db, stdin=password + "\n")
        assert proc.returncode == 0, proc.stderr
        assert password not in proc.stdout + proc.stderr
    with served_site(db, folder) as site:
        try:
            yield site
        finally:
            capture = request.config.pluginmanager.get_plugin("capturemanager")
            if capture is not None:
                with capture.global_and_fixture_disabled():
                    print(f"\nweb page screenshots: {site.shots}")


def log_in(site: Site, page: Any, username: str, shot: str | None = None) -> None:
    page.goto(f"{site.base}/ui/intake")
    page.wait_for_url(re.compile(r"/ui/login"))
    page.fill("#username", username)
    page.fill("#password", USERS[username][1])
    if shot:
        site.shoot(page, shot)
    page.click("#login-button")
    page.wait_for_selector(".mainnav")


def draft(page: Any, text: str) -> float:
    """Paste the text, press Ctrl+Enter; the seconds until the draft is on the page."""
    page.goto(page.url.split("/ui/")[0] + "/ui/intake")
    page.focus("#report-text")
    page.keyboard.insert_text(text)  # as a paste does
    started = time.perf_counter()
    page.keyboard.press("Control+Enter")
    page.wait_for_selector("#draft-form")
    return time.perf_counter() - started


def test_an_operator_drafts_confirms_and_finds_the_audit_entry(site: Site) -> None:
    page = site.page()
    log_in(site, page, "wang", shot="01-login")
    seconds = draft(page, "德化街步行街上好多流动摊贩占道经营，行人都走不过去了")
    assert page.inner_text("#draft-departments .dept-lead .dept-name") == CITY_MANAGEMENT
    assert page.input_value("#draft-lead") == "city-management"
    assert seconds < 5, seconds  # "within a second" on a quiet machine; a shared CI core gets slack
    site.shoot(page, "02-intake-draft")
    page.keyboard.press("Control+s")
    link = page.wait_for_selector("#finished-case-link")
    assert "已确认并提交审核" in page.inner_text("#finish-result")
    link.click()
    page.wait_for_selector("#audit")
    entry = page.locator('tr[data-event="case.sent_to_review"]')
    assert entry.count() == 1
    assert "话务员 wang" in entry.inner_text()
    assert entry.locator("[data-actor]").get_attribute("data-actor") == "operator:wang"
    assert page.inner_text("#case-lead") == CITY_MANAGEMENT
    site.shoot(page, "03-case")
    page.goto(f"{site.base}/ui/dashboard")
    page.click("#mode summary")
    page.check('input[name="mode"][value="holiday"]')
    page.fill("#mode-reason", "国庆")
    page.click("#mode-switch")
    problem = page.wait_for_selector("#problem")
    assert "话务员角色不能切换城市运行模式" in problem.inner_text()
    assert "值班长" in problem.inner_text()
    site.shoot(page, "07-refused")
    page.context.close()


def test_a_supervisor_confirms_bulk_reassigns_and_switches_the_mode(site: Site) -> None:
    page = site.page()
    log_in(site, page, "li")
    draft(page, "纬四路上的下水道堵了，污水冒出来")
    page.keyboard.press("Control+s")
    page.wait_for_selector("#finished-case-link").click()
    confirmed = page.locator('tr[data-event="case.confirmed"]')
    assert confirmed.count() == 1
    assert "值班长 li" in confirmed.inner_text()
    assert confirmed.locator("[data-actor]").get_attribute("data-actor") == "supervisor:li"
    assert "municipal." not in confirmed.inner_text(), "the summary names the category, not its code"
    assert page.inner_text("#case-status") == "已派单"
    assert page.locator("#transitions button").count() >= 1  # a supervisor moves cases along
    site.shoot(page, "03b-case-supervisor")
    waiting = []
    for text in ("东风路上路灯白天一直亮着", "大学路那边的垃圾桶满了没人清理"):
        draft(page, text)
        waiting.append(page.get_attribute("#draft-form", "data-case"))
        page.click("#review-button")
        page.wait_for_selector("#finished-case-link")
    page.goto(f"{site.base}/ui/review")
    for case_id in waiting:
        page.check(f'tr[data-case="{case_id}"] input[name="case_ids"]')
    assert page.inner_text("#chosen-count") == "已选 2 件"
    page.select_option("#bulk-department", "street-office")
    page.fill("#bulk-reason", "属地街道先行处置")
    page.click("#bulk-reassign")
    page.wait_for_selector(".flash-ok")
    assert "已改派 2 件" in page.inner_text(".flash-ok")
    for case_id in waiting:
        assert page.inner_text(f'tr[data-case="{case_id}"] .lead-cell').startswith("街道办事处")
    site.shoot(page, "04-review-queue")
    page.goto(f"{site.base}/ui/dashboard")
    page.check('input[name="mode"][value="holiday"]')
    page.fill("#mode-reason", "国庆假期")
    page.click("#mode-switch")
    page.wait_for_selector(".flash-ok")
    assert page.inner_text("#current-mode") == "节假日"
    assert "节假日" in page.inner_text(".mode-chip")
    site.shoot(page, "05-dashboard")
    page.context.close()


def test_the_one_time_link_logs_in_once_and_english_shows_english(site: Site) -> None:
    found = re.search(r"http://\S+/ui/login\?token=\S+", site.log.read_text(encoding="utf-8"))
    assert found, site.log.read_text(encoding="utf-8")[-2000:]
    link = found.group(0).replace("http://127.0.0.1:8000", site.base)
    page = site.page()
    page.goto(link)
    page.wait_for_url(re.compile(r"/ui/review"))
    assert "token=" not in page.url
    page.click("#lang-toggle")
    page.wait_for_selector("html[lang=en]")
    assert page.inner_text(".mainnav") .split() == ["Intake", "Review", "queue", "Dashboard", "Situation", "map"]
    assert page.inner_text("h1") == "Review queue"
    site.shoot(page, "06-review-queue-en")
    again = site.page()
    again.goto(link)
    assert "used already or has expired" in again.inner_text(".login-card") or "已使用" in again.inner_text(
        ".login-card")
    again.context.close()
    page.context.close()


def test_an_emergency_shows_its_banner_sounds_in_the_queue_and_goes_out_on_one_key(site: Site) -> None:
    operator = site.page()
    log_in(site, operator, "wang")
    draft(operator, "惠济区天河路公交站有个老人突然晕倒在路边，叫不醒")
    banner = operator.wait_for_selector("#emergency-banner")
    assert banner.is_visible()
    assert "120" in banner.inner_text()
    assert "立即转接" in banner.inner_text()
    assert operator.locator(".emergency-script li").count() >= 3
    site.shoot(operator, "08-intake-emergency")
    assert operator.locator("#emergency-dispatch").count() == 0, "operators cannot dispatch; they send it on"
    operator.keyboard.press("Control+s")
    operator.wait_for_selector("#finished-case-link")
    case_id = operator.get_attribute("#draft-form", "data-case")
    operator.context.close()

    supervisor = site.page()
    log_in(site, supervisor, "li")
    supervisor.goto(f"{site.base}/ui/review")
    alert = supervisor.wait_for_selector("#emergency-alert")
    assert f"#{case_id}" in alert.inner_text()
    supervisor.wait_for_function("document.getElementById('emergency-alert').dataset.sounded !== 'pending'")
    assert supervisor.get_attribute("#emergency-alert", "data-sounded") in ("yes", "blocked")
    first_row = supervisor.locator("#queue tbody tr").first
    assert first_row.get_attribute("data-case") == case_id
    assert "emergency-row" in (first_row.get_attribute("class") or "")
    site.shoot(supervisor, "09-review-emergency")

    draft(supervisor, "我爸在家突然说不出话，半边身子动不了，嘴也歪了，在二七区长江路这边")
    supervisor.wait_for_selector("#emergency-banner")
    supervisor.keyboard.press("F2")
    supervisor.wait_for_selector("#finished-case-link")
    assert "已确认并派单" in supervisor.inner_text("#finish-result")
    supervisor.context.close()


def test_a_case_past_its_deadline_is_highlighted_after_a_restart_hours_later(
        site: Site, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The server is stopped and started again five hours later on its clock (GRIDTRIAGE_CLOCK_OFFSET):
    the urgent case's four-hour deadline has passed, and the queue shows it overdue."""
    from core import clock

    db = str(tmp_path / "late.db")
    proc = run("users", "create", "li", "--role", "supervisor", "--password-stdin", "--db", db,
               stdin=USERS["li"][1] + "\n")
    assert proc.returncode == 0, proc.stderr
    port = free_port()
    server = start_server(db, port, log=tmp_path / "before.log")
    base = f"http://127.0.0.1:{port}"
    try:
        page = site.page()
        log_in(Site(base, site.browser, site.shots, site.log), page, "li")
        draft(page, "金水区文化路和东风路交叉口的井盖没了，车道上一个黑洞")
        page.keyboard.press("Control+s")
        page.wait_for_selector("#finished-case-link")
        case_id = page.get_attribute("#draft-form", "data-case")
        page.goto(f"{base}/ui/review?status=open")
        assert "overdue" not in (page.locator(f'tr[data-case="{case_id}"]').get_attribute("class") or "")
        page.context.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
    shift = float(os.environ.get(clock.OFFSET_ENV) or 0) + 5 * 3600
    monkeypatch.setenv(clock.OFFSET_ENV, repr(shift))
    server = start_server(db, port, log=tmp_path / "after.log")
    try:
        page = site.page()
        log_in(Site(base, site.browser, site.shots, site.log), page, "li")
        page.goto(f"{base}/ui/review?status=open&overdue=true")
        row = page.locator(f'tr[data-case="{case_id}"]')
        assert "overdue" in (row.get_attribute("class") or "")
        assert "超时" in row.inner_text()
        background = row.evaluate("row => getComputedStyle(row).backgroundColor")
        assert background not in ("rgba(0, 0, 0, 0)", "transparent"), "the overdue row is highlighted"
        site.shoot(page, "10-review-overdue")
        page.context.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
