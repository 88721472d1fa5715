"""The web pages through FastAPI's TestClient, with the real models and a real SQLite database:
logins, sessions, CSRF, role refusals, every page with real data, and the dashboard's figures."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from agent.models import Models
from agent.store.figures import dashboard_figures, windows
from agent.store.models import AuditRow, CaseRow, FeedbackRow
from agent.store.users import Users
from api.app import create_app
from api.web.session import web_client
from core import clock
from core.clock import FrozenClock
from core.settings import ApiSettings, LLMSettings, Settings
from tests.support.cli import run
from tests.support.web import PASSWORDS, add_users, draft, fetch_headers, log_in, token_of

pytestmark = pytest.mark.integration

CLEAR = "德化街步行街上好多流动摊贩占道经营，行人都走不过去了"  # city management, confident
URGENT = "金水路有一段路面塌陷出一个坑，车差点掉进去"
OTHERS = ("纬四路上的下水道堵了，污水冒出来", "东风路上路灯白天一直亮着", "大学路那边的垃圾桶满了没人清理")


@pytest.fixture
def app(tmp_path: Path, models: Models) -> Iterator[TestClient]:
    settings = Settings(db=str(tmp_path / "web.db"), llm=LLMSettings(provider="none"),
                        api=ApiSettings(rate_limit_per_minute=10_000))
    with TestClient(create_app(settings, models=models), follow_redirects=False) as c:
        add_users(c, "wang", "li", "zhao")
        yield c


def as_user(app: TestClient, username: str) -> TestClient:
    """Another browser: its own cookie jar, the same app."""
    other = TestClient(app.app, follow_redirects=False)
    return log_in(other, username)


def events(app: TestClient, case_id: int) -> list[tuple[str, str]]:
    store = app.app.state.workflow.store  # type: ignore[attr-defined]
    with store.session() as s:
        return [(a.event, a.actor) for a in s.scalars(select(AuditRow).where(AuditRow.case_id == case_id)
                                                      .order_by(AuditRow.id))]


# ---- login ---------------------------------------------------------------------------------------
def test_a_password_login_opens_a_session_with_safe_cookies(app: TestClient) -> None:
    r = app.get("/ui/intake")
    assert r.status_code == 303
    assert r.headers["location"] == "/ui/login?next=/ui/intake"
    r = app.post("/ui/login", data={"username": "li", "password": PASSWORDS["li"], "csrf_token": token_of(app),
                                    "next": "/ui/dashboard"})
    assert r.status_code == 303
    assert r.headers["location"] == "/ui/dashboard"
    cookie = r.headers["set-cookie"]
    assert "gt_session=" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Secure" not in cookie  # plain http (loopback): a Secure cookie would never come back
    page = app.get("/ui/dashboard")
    assert page.status_code == 200
    assert "li" in page.text
    assert "值班长" in page.text
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert ("web.login", "supervisor:li") in [(a[0], a[1]) for a in _access_log(app)]
    token = token_of(app, "/ui/dashboard")
    assert app.post("/ui/logout", data={"csrf_token": token}).status_code == 303
    assert app.get("/ui/dashboard").status_code == 303


def test_a_cookie_saved_before_logout_opens_nothing_after(app: TestClient) -> None:
    log_in(app, "li")
    saved = app.cookies["gt_session"]
    other = as_user(app, "li")  # the same person in another browser stays logged in
    no_photo = f"/v1/photos/{'0' * 64}"
    assert app.get(no_photo).status_code == 404  # let in, and no such photo
    assert app.post("/ui/logout", data={"csrf_token": token_of(app, "/ui/dashboard")}).status_code == 303
    replay = TestClient(app.app, follow_redirects=False, cookies={"gt_session": saved})
    assert replay.get("/ui/dashboard").status_code == 303
    assert replay.get(no_photo).status_code == 401
    assert other.get("/ui/dashboard").status_code == 200


def test_a_password_change_revokes_every_session_of_that_user(app: TestClient) -> None:
    """An administrator sets a new password with `gridtriage users password`: every browser the user
    was logged in with is logged out at once, a colleague's is not, and the change is audited."""
    first, second, colleague = as_user(app, "li"), as_user(app, "li"), as_user(app, "wang")
    db = app.app.state.settings.db  # type: ignore[attr-defined]
    changed = run("users", "password", "li", "--password-stdin", "--db", db, stdin="a-new-password-2\n")
    assert changed.returncode == 0, changed.stderr
    assert "2 open session(s) logged out" in changed.stderr
    refused = run("users", "password", "li", "--password-stdin", "--db", db, stdin="short\n")
    assert refused.returncode != 0
    assert "密码至少要" in refused.stderr
    with app.app.state.workflow.store.session() as s:  # type: ignore[attr-defined]
        events = s.scalars(select(AuditRow).where(AuditRow.event == "user.password_changed")).all()
        assert [(e.payload["username"], e.payload["sessions_revoked"]) for e in events] == [("li", 2)]
        assert "a-new-password-2" not in str(events[0].payload)
    for browser in (first, second):
        assert browser.get("/ui/dashboard").status_code == 303
        assert browser.get(f"/v1/photos/{'0' * 64}").status_code == 401
    assert colleague.get("/ui/intake").status_code == 200
    assert app.post("/ui/login", data={"username": "li", "password": PASSWORDS["li"],
                                       "csrf_token": token_of(app)}).status_code == 401
    assert app.post("/ui/login", data={"username": "li", "password": "a-new-password-2",
                                       "csrf_token": token_of(app)}).status_code == 303


def test_an_https_request_gets_a_secure_cookie(app: TestClient) -> None:
    secure = TestClient(app.app, base_url="https://testserver", follow_redirects=False)
    r = secure.get("/ui/login")
    assert "Secure" in r.headers["set-cookie"]


def test_bad_credentials_and_a_foreign_next_are_refused(app: TestClient) -> None:
    for form in ({"username": "li", "password": "wrong-password"}, {"username": "nobody", "password": "x" * 9},
                 {"api_key": "gt_not_a_key"}, {}):
        r = app.post("/ui/login", data={**form, "csrf_token": token_of(app)})
        assert r.status_code == 401, form
        assert "不正确" in r.text, form
    r = app.post("/ui/login", data={"username": "li", "password": PASSWORDS["li"], "csrf_token": token_of(app),
                                    "next": "//evil.example/ui"})
    assert r.headers["location"] == "/ui/review"


def test_an_api_key_logs_in_with_its_role_until_it_is_revoked(app: TestClient) -> None:
    workflow = app.app.state.workflow  # type: ignore[attr-defined]
    key = workflow.keys.create("operator", "desk-3")
    r = app.post("/ui/login", data={"api_key": key, "csrf_token": token_of(app)})
    assert r.status_code == 303
    assert r.headers["location"] == "/ui/intake"
    assert "desk-3" in app.get("/ui/intake").text
    from agent.store.models import ApiKeyRow

    with workflow.store.session() as s, s.begin():
        s.execute(update(ApiKeyRow).values(revoked_at=clock.now()))
    assert app.get("/ui/intake").status_code == 303  # the session ends with the key


def test_a_one_time_login_link_works_once(app: TestClient, frozen_clock: FrozenClock) -> None:
    users = Users(app.app.state.workflow.store)  # type: ignore[attr-defined]
    token = users.issue_login_token(minutes=5)
    r = app.get(f"/ui/login?token={token}")
    assert r.status_code == 303
    assert r.headers["location"] == "/ui/review"
    assert "supervisor" in app.get("/ui/review").text
    other = TestClient(app.app, follow_redirects=False)
    again = other.get(f"/ui/login?token={token}")
    assert again.status_code == 401
    assert "已使用或已过期" in again.text
    expired = users.issue_login_token(minutes=5)
    frozen_clock.advance(timedelta(minutes=5, seconds=1))
    assert other.get(f"/ui/login?token={expired}").status_code == 401


def test_a_disabled_user_is_logged_out_and_web_client_names_the_person(app: TestClient) -> None:
    api = app.app
    assert isinstance(api, FastAPI)

    @api.get("/test-whoami")
    def whoami(request: Request) -> dict[str, Any]:
        client = web_client(request)
        return {"actor": client.actor if client else None}

    assert app.get("/test-whoami").json() == {"actor": None}
    log_in(app, "wang")
    assert app.get("/test-whoami").json() == {"actor": "operator:wang"}
    from agent.store.models import UserRow

    with app.app.state.workflow.store.session() as s, s.begin():  # type: ignore[attr-defined]
        s.execute(update(UserRow).where(UserRow.username == "wang").values(disabled_at=clock.now()))
    assert app.get("/test-whoami").json() == {"actor": None}


# ---- CSRF and roles ------------------------------------------------------------------------------
def test_a_form_without_the_csrf_token_is_refused(app: TestClient) -> None:
    assert app.post("/ui/login", data={"username": "li", "password": PASSWORDS["li"]}).status_code == 403
    log_in(app, "li")
    for data in ({"mode": "holiday", "reason": "国庆"}, {"mode": "holiday", "reason": "国庆", "csrf_token": "x"}):
        r = app.post("/ui/mode", data=data)
        assert r.status_code == 403
        assert "表单已过期" in r.text
    r = app.post("/ui/intake/draft", data={"text": CLEAR}, headers={"X-Requested-With": "fetch"})
    assert r.status_code == 403
    assert r.json()["ok"] is False
    assert app.app.state.workflow.city.current() is None  # type: ignore[attr-defined]
    assert app.app.state.service.pipeline.store.count("cases") == 0  # type: ignore[attr-defined]


def test_each_role_is_refused_what_it_may_not_do_with_the_roles_that_may(app: TestClient) -> None:
    operator = log_in(app, "wang")
    r = operator.post("/ui/mode", data={"mode": "holiday", "reason": "国庆", "csrf_token": token_of(operator,
                                                                                               "/ui/dashboard")})
    assert r.status_code == 403
    assert "话务员角色不能切换城市运行模式" in r.text
    assert "值班长" in r.text
    r = operator.post("/ui/review/bulk", data={"action": "confirm", "case_ids": ["1"],
                                               "csrf_token": token_of(operator, "/ui/review")})
    assert r.status_code == 403
    case_id, _ = draft(operator, CLEAR)
    r = operator.post(f"/ui/intake/{case_id}/finish", data={"action": "confirm"}, headers=fetch_headers(operator))
    assert r.status_code == 403
    assert r.json()["allowed_roles"] == ["supervisor"]
    r = operator.post(f"/ui/intake/{case_id}/merge", data={"into": "1"}, headers=fetch_headers(operator))
    assert r.status_code == 403
    evaluator = as_user(app, "zhao")
    assert evaluator.get("/ui/intake").status_code == 403
    assert evaluator.get("/ui/dashboard").status_code == 200
    evaluator.cookies.set("gt_lang", "en")
    english = evaluator.get("/ui/intake")
    assert "The evaluator role cannot submit reports. Roles that can:" in english.text


# ---- intake ----------------------------------------------------------------------------------------
def test_an_operator_drafts_edits_and_sends_to_review(app: TestClient) -> None:
    operator = log_in(app, "wang")
    assert operator.get("/ui/intake").status_code == 200
    case_id, html = draft(operator, CLEAR)
    assert "郑州市城市管理局" in html
    assert "待审核" in html  # waits for the person: never auto-dispatched here
    assert "data-primary=\"review\"" in html
    assert "城市管理" in html
    r = operator.post(f"/ui/intake/{case_id}/finish", headers=fetch_headers(operator),
                      data={"action": "review", "title": "德化街步行街流动摊贩占道", "reason": "标题更准确",
                            "priority": "normal", "note": "市民很着急"})
    assert r.status_code == 200
    assert r.json()["status"] == "received"
    assert r.json()["changed"] == ["title"]
    trail = events(app, case_id)
    assert ("case.edited", "operator:wang") in trail
    assert trail[-1] == ("case.sent_to_review", "operator:wang")
    store = app.app.state.workflow.store  # type: ignore[attr-defined]
    with store.session() as s:
        feedback = s.scalars(select(FeedbackRow).where(FeedbackRow.case_id == case_id)).all()
    assert [(f.field, f.after, f.actor) for f in feedback] == [("title", "德化街步行街流动摊贩占道", "operator:wang")]
    empty = operator.post("/ui/intake/draft", data={"text": "！！！"}, headers=fetch_headers(operator, "/ui/intake"))
    assert empty.status_code == 422
    assert "没有可读的文字" in empty.json()["detail"]


def test_a_supervisor_confirms_a_draft_and_merges_the_same_incident(app: TestClient) -> None:
    supervisor = log_in(app, "li")
    first, _ = draft(supervisor, OTHERS[0])
    r = supervisor.post(f"/ui/intake/{first}/finish", headers=fetch_headers(supervisor),
                        data={"action": "confirm", "lead_department_id": "water-supply", "reason": "供水管网"})
    assert r.status_code == 200
    assert r.json()["status"] == "dispatched"
    trail = events(app, first)
    assert ("case.reassigned", "supervisor:li") in trail
    assert ("case.confirmed", "supervisor:li") in trail
    case = app.app.state.cases.case(first, None)  # type: ignore[attr-defined]
    assert case.lead_department_id == "water-supply"
    assert case.departments[0]["id"] == "water-supply"
    again = supervisor.post(f"/ui/intake/{first}/finish", data={"action": "confirm"},
                            headers=fetch_headers(supervisor))
    assert again.status_code == 409
    assert "已不在待审核" in again.json()["detail"]
    second, _ = draft(supervisor, OTHERS[1])
    r = supervisor.post(f"/ui/intake/{second}/merge", data={"into": str(first)}, headers=fetch_headers(supervisor))
    assert r.status_code == 200
    assert r.json()["case_id"] == first
    workflow = app.app.state.workflow  # type: ignore[attr-defined]
    assert workflow.queries.summary(second).status == "merged"
    assert workflow.queries.summary(first).reporter_count == 2


def test_photos_from_the_intake_form_show_on_the_case_page(app: TestClient) -> None:
    import io

    from PIL import Image, ImageDraw

    image = Image.new("RGB", (640, 480), (190, 190, 190))
    ImageDraw.Draw(image).ellipse((200, 140, 440, 340), fill=(30, 30, 30))
    data = io.BytesIO()
    image.save(data, "JPEG")
    operator = log_in(app, "wang")
    r = operator.post("/ui/intake/draft", data={"text": "文化路人行道上井盖没了"},
                      files=[("photos", ("manhole.jpg", data.getvalue(), "image/jpeg"))],
                      headers=fetch_headers(operator, "/ui/intake"))
    assert r.status_code == 200, r.text
    case_id = int(re.findall(r'data-case="(\d+)"', r.text)[0])
    page = operator.get(f"/ui/cases/{case_id}").text
    sha = re.findall(r'<img src="/v1/photos/([0-9a-f]{64})/thumbnail"', page)[0]
    assert "640×480" in page
    thumb = operator.get(f"/v1/photos/{sha}/thumbnail")  # the web session, no API key
    assert thumb.status_code == 200
    assert thumb.headers["content-type"] == "image/jpeg"
    assert operator.get(f"/v1/photos/{sha}").content == data.getvalue()
    seven = [("photos", (f"p{i}.jpg", data.getvalue(), "image/jpeg")) for i in range(7)]
    r = operator.post("/ui/intake/draft", data={"text": "井盖"}, files=seven,
                      headers=fetch_headers(operator, "/ui/intake"))
    assert r.status_code == 422
    assert "最多 6 张" in r.json()["detail"]


# ---- pages with real data ----------------------------------------------------------------------------
def test_the_queue_the_case_page_and_bulk_reassign(app: TestClient) -> None:
    operator = log_in(app, "wang")
    ids = [draft(operator, text)[0] for text in (URGENT, *OTHERS[1:])]
    supervisor = as_user(app, "li")
    queue = supervisor.get("/ui/review")
    assert queue.status_code == 200
    order = [int(i) for i in re.findall(r'<tr class="[^"]*" data-case="(\d+)"', queue.text)]
    assert order[0] == ids[0]  # the urgent one first
    assert sorted(order) == sorted(ids)
    assert 'class="bar"' in queue.text
    assert "prio-urgent" in queue.text
    r = supervisor.post("/ui/review/bulk", data={"action": "reassign", "case_ids": [str(i) for i in ids[1:]],
                                                 "department_id": "water-supply", "reason": "供水公司负责",
                                                 "csrf_token": token_of(supervisor), "back": "status=received"})
    assert r.status_code == 303
    assert r.headers["location"] == "/ui/review?status=received"
    after = supervisor.get(r.headers["location"]).text
    assert "已改派 2 件" in after
    workflow = app.app.state.workflow  # type: ignore[attr-defined]
    assert all(workflow.queries.summary(i).lead_department_id == "water-supply" for i in ids[1:])
    missing = supervisor.post("/ui/review/bulk", data={"action": "reassign", "case_ids": [str(ids[0])],
                                                       "csrf_token": token_of(supervisor)})
    assert "需要选择部门并填写原因" in supervisor.get(missing.headers["location"]).text
    page = supervisor.get(f"/ui/cases/{ids[1]}")
    assert page.status_code == 200
    for expected in ("判断依据", "审计记录", "流程时间线", 'data-event="case.reassigned"', "supervisor:li", "供水",
                     'data-to="accepted"', "case-confirm"):
        assert expected in page.text, expected
    r = supervisor.post(f"/ui/cases/{ids[1]}/act", data={"action": "confirm", "csrf_token": token_of(supervisor)})
    assert r.status_code == 303
    assert workflow.queries.summary(ids[1]).status == "dispatched"
    r = supervisor.post(f"/ui/cases/{ids[1]}/act", data={"action": "transition", "to": "closed",
                                                         "csrf_token": token_of(supervisor)})
    assert "不能改为「已办结」" in supervisor.get(r.headers["location"]).text
    supervisor.post("/ui/review/bulk", data={"action": "confirm", "case_ids": [str(ids[2])],
                                             "csrf_token": token_of(supervisor)})
    assert workflow.queries.summary(ids[2]).status == "dispatched"
    assert operator.get(f"/ui/cases/{ids[0]}").status_code == 200
    assert "case-confirm" not in operator.get(f"/ui/cases/{ids[0]}").text  # operators do not dispatch
    assert supervisor.get("/ui/cases/99999").status_code == 404


def test_the_english_toggle_keeps_the_page(app: TestClient) -> None:
    log_in(app, "li")
    r = app.get("/ui/lang?to=en&next=/ui/review%3Fstatus%3Dopen")
    assert r.status_code == 303
    assert r.headers["location"] == "/ui/review?status=open"
    page = app.get(r.headers["location"]).text
    assert "Review queue" in page
    assert "Dashboard" in page
    assert 'lang="en"' in page
    assert app.get("/ui/lang?to=zh&next=https://evil.example").headers["location"] == "/ui"


def test_a_supervisor_switches_the_mode_and_every_page_shows_it(app: TestClient) -> None:
    supervisor = log_in(app, "li")
    r = supervisor.post("/ui/mode", data={"mode": "holiday", "reason": "国庆", "csrf_token": token_of(supervisor)})
    assert r.status_code == 303
    page = supervisor.get("/ui/dashboard").text
    assert "已切换为「节假日」模式" in page
    assert re.search(r'id="current-mode">节假日<', page)
    assert app.app.state.service.pipeline.mode == "holiday"  # type: ignore[attr-defined]
    assert "运行模式 · 节假日" in supervisor.get("/ui/review").text
    r = supervisor.post("/ui/mode", data={"mode": "party", "reason": "x", "csrf_token": token_of(supervisor)})
    assert "没有「party」这个运行模式" in supervisor.get("/ui/dashboard").text


# ---- the dashboard's figures --------------------------------------------------------------------------
def test_the_dashboard_figures_match_the_cases(app: TestClient, frozen_clock: FrozenClock) -> None:
    zone = ZoneInfo(app.app.state.service.pipeline.models.kb.meta.timezone)  # type: ignore[attr-defined]
    frozen_clock.set(frozen_clock.now().astimezone(zone).replace(hour=9, minute=0, second=0, microsecond=0))
    workflow = app.app.state.workflow  # type: ignore[attr-defined]
    key = {"Authorization": f"Bearer {workflow.keys.create('dispatcher', 'hotline')}"}
    made = [app.post("/v1/reports", json={"text": t}, headers=key).json() for t in
            (CLEAR, "文化路和农业路交叉口的井盖没了，刚才有个小孩掉进去了，快来救人",
             "文化路农业路口那个井盖，有小孩掉下去了，赶紧来人救", OTHERS[1],
             "我想咨询一下公积金怎么提取")]
    cases = {c["case_id"] for c in made}
    auto = {c["case_id"] for c in made if c["status"] == "dispatched"}
    urgent = made[1]["case_id"]
    assert made[2]["duplicate_of"] == urgent
    assert CLEAR
    assert auto
    supervisor = as_user(app, "li")
    edited = next(i for i in cases if i not in auto)
    supervisor.post(f"/ui/cases/{edited}/act", data={"action": "reassign", "department_id": "housing",
                                                     "reason": "物业负责", "csrf_token": token_of(supervisor)})
    store = workflow.store
    with store.session() as s:
        deadline = s.get(CaseRow, urgent).resolve_by
    frozen_clock.set(deadline + timedelta(minutes=1))  # the urgent case is now overdue
    assert frozen_clock.now().astimezone(zone).date() == deadline.astimezone(zone).date(), "still the same day"
    figures = dashboard_figures(store, zone.key)
    assert figures.today == figures.week == len(cases)
    assert figures.auto_dispatched == len(auto)
    assert figures.auto_dispatch_rate == len(auto) / len(cases)
    assert figures.edited == 1
    assert figures.edited_share == 1 / len(cases)
    assert sum(c.week for c in figures.categories) == len(cases)
    assert sum(d.week for d in figures.departments) == len(cases)
    assert "housing" in {d.id for d in figures.departments}
    assert figures.overdue == 1
    assert figures.overdue_departments[0].count == 1
    assert [(h.id, h.last_24h, h.reporters) for h in figures.hot] == [(urgent, 2, 2)]
    page = supervisor.get("/ui/dashboard").text
    assert f'id="kpi-week">{len(cases)}<' in page
    assert 'id="kpi-overdue">1<' in page
    assert f"/ui/cases/{urgent}" in page
    frozen_clock.advance(timedelta(days=8))
    tomorrow = dashboard_figures(store, zone.key)
    assert tomorrow.week == tomorrow.today == 0
    assert tomorrow.hot == []


def test_the_dashboard_counts_the_citys_day_and_week() -> None:
    w = windows("Asia/Shanghai", datetime(2026, 11, 25, 1, 0, tzinfo=UTC))  # Wednesday 09:00 in Zhengzhou
    assert w.today == datetime(2026, 11, 24, 16, 0, tzinfo=UTC)
    assert w.week == datetime(2026, 11, 22, 16, 0, tzinfo=UTC)  # Monday 00:00 local


def _access_log(app: TestClient) -> list[tuple[str, str]]:
    store = app.app.state.workflow.store  # type: ignore[attr-defined]
    with store.session() as s:
        return [(a.event, a.actor) for a in s.scalars(select(AuditRow).where(AuditRow.stage == "access"))]


def test_overdue_crosses_the_citys_midnight_on_one_clock(app: TestClient, frozen_clock: FrozenClock) -> None:
    """A case opened at 23:30 in Zhengzhou (15:30 UTC) with a four-hour deadline is overdue at 03:31
    the next local day, while the UTC date has not changed: the queue highlights it, the overdue
    filter and the dashboard count it, and the dashboard's "today" is the city's new day."""
    zone = ZoneInfo("Asia/Shanghai")
    frozen_clock.set(datetime(2026, 12, 31, 23, 30, tzinfo=zone))
    supervisor = as_user(app, "li")
    key = {"Authorization": f"Bearer {app.app.state.workflow.keys.create('supervisor', 'night')}"}  # type: ignore[attr-defined]
    text = "金水区文化路和东风路交叉口的井盖没了，车道上一个黑洞"
    case = app.post("/v1/reports", json={"text": text}, headers=key).json()
    deadline = datetime.fromisoformat(case["deadline"])
    assert deadline.astimezone(zone).date() == datetime(2027, 1, 1).date(), "the deadline is after the city's midnight"
    assert app.get("/v1/cases?overdue=true", headers=key).json() == []
    assert 'id="kpi-today">1<' in supervisor.get("/ui/dashboard").text
    frozen_clock.set(deadline + timedelta(minutes=1))
    assert frozen_clock.now().date() == datetime(2026, 12, 31).date(), "still the 31st in UTC"
    overdue = app.get("/v1/cases?overdue=true", headers=key).json()
    assert [c["id"] for c in overdue] == [case["case_id"]]
    assert overdue[0]["resolve_by"].endswith("+00:00")
    queue = supervisor.get("/ui/review?status=open").text
    row = re.search(rf'<tr class="([^"]*)"[^>]*data-case="{case["case_id"]}"', queue)
    assert row
    assert "overdue" in row.group(1)
    assert "超时 1 分钟" in queue
    page = supervisor.get("/ui/dashboard").text
    assert 'id="kpi-overdue">1<' in page, "the city's new day has no cases yet"
    assert 'id="kpi-today">0<' in page, "the city's new day has no cases yet"
    assert "Asia/Shanghai" in page
    assert "UTC+08:00" in page
