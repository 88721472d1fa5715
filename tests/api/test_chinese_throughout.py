"""Chinese throughout: every page, rendered in Chinese with real cases behind it, and the human CLI
output carry no untranslated English. Codes stay in <code> and in attributes, where the JSON and the
page's scripts read them; the words a person reads come from the message catalogue."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from agent.models import Models
from api.app import create_app
from core.settings import ApiSettings, LLMSettings, Settings
from tests.support.cli import run
from tests.support.web import add_users, draft, log_in

pytestmark = pytest.mark.integration

# What may stay in Latin letters on a Chinese page: names of things that have no Chinese name here.
ALLOWED = {"API", "Ctrl", "Enter", "Open311", "GridTriage", "ISO", "UTC", "F2"}
REPORTS = ("惠济区天河路有个老人突然晕倒在路边，叫不醒", "德化街步行街上好多流动摊贩占道经营，行人都走不过去了",
           "金水区文化路和东风路交叉口的井盖没了，晚上很危险", "我想咨询一下公积金怎么提取")


class _Visible(HTMLParser):
    """The text a person reads: no scripts, styles, code, attributes, or what is marked English (the
    language toggle's own name)."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._hidden = 0
        self._stack: list[str] = []  # the hidden elements open now

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "code", "pre", "textarea", "option") or dict(attrs).get("lang") == "en":
            self._hidden += 1
            self._stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if self._stack and self._stack[-1] == tag:
            self._stack.pop()
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def english_words(html: str) -> set[str]:
    parser = _Visible()
    parser.feed(html)
    return latin_words(" ".join(parser.parts))


def latin_words(text: str) -> set[str]:
    """Words in Latin letters, less the allowed names and duty-clause numbers (city-management-05)."""
    text = re.sub(r"[a-z]+(?:-[a-z]+)*-\d+", " ", text)
    return {w for w in re.findall(r"[A-Za-z][A-Za-z_.-]{2,}", text) if w not in ALLOWED}


@pytest.fixture
def app(tmp_path: Path, models: Models) -> Iterator[TestClient]:
    settings = Settings(db=str(tmp_path / "zh.db"), llm=LLMSettings(provider="none"),
                        api=ApiSettings(rate_limit_per_minute=10_000))
    with TestClient(create_app(settings, models=models), follow_redirects=False) as c:
        add_users(c, "li")
        yield c


def test_every_page_reads_in_chinese(app: TestClient) -> None:
    assert not english_words(app.get("/ui/login").text)
    supervisor = log_in(app, "li")
    cases = []
    for text in REPORTS:
        case_id, fragment = draft(supervisor, text)
        assert not english_words(fragment), (text, english_words(fragment))
        cases.append(case_id)
    pages = ["/ui/intake", "/ui/review", "/ui/review?status=all", "/ui/dashboard", "/ui/map",
             *(f"/ui/cases/{c}" for c in cases)]
    for path in pages:
        page = supervisor.get(path)
        assert page.status_code == 200, path
        assert not english_words(page.text), (path, english_words(page.text))


@pytest.mark.slow
def test_the_human_cli_output_reads_in_chinese(tmp_path: Path) -> None:
    for text in REPORTS[:3]:
        proc = run("triage", text, "--db", str(tmp_path / "c.db"))
        assert proc.returncode == 0, proc.stderr
        assert not latin_words(proc.stdout), proc.stdout


def test_every_refusal_of_the_api_is_one_shape_in_the_callers_language(app: TestClient) -> None:
    """No key, an unknown key, a role that may not, no such path, a method the path does not take, a
    body that is not UTF-8 JSON, a reused Idempotency-Key: `{detail, code}`, Chinese by default,
    English when asked."""
    evaluator = {"Authorization": f"Bearer {app.app.state.workflow.keys.create('evaluator', 'e')}"}  # type: ignore[attr-defined]
    dispatcher = {"Authorization": f"Bearer {app.app.state.workflow.keys.create('dispatcher', 'd')}"}  # type: ignore[attr-defined]
    answers = {
        "auth.missing_key": app.get("/v1/cases"),
        "auth.unknown_key": app.get("/v1/cases", headers={"Authorization": "Bearer gt_nope"}),
        "auth.role_cannot": app.post("/v1/reports", json={"text": "路灯不亮"}, headers=evaluator),
        "http.404": app.get("/v1/nothing-here", headers=evaluator),
        "http.405": app.delete("/v1/cases", headers=evaluator),
        "http.400": app.post("/v1/cases/1/edit", content=b"\xff\xfe\x0f",
                             headers={**evaluator, "Content-Type": "application/json"}),
    }
    app.post("/v1/reports", json={"text": "东风路路灯不亮"}, headers={**dispatcher, "Idempotency-Key": "k1"})
    answers["idempotency.conflict"] = app.post("/v1/reports", json={"text": "另一件事"},
                                               headers={**dispatcher, "Idempotency-Key": "k1"})
    for code, answer in answers.items():
        assert 400 <= answer.status_code < 500, (code, answer.status_code)
        body = answer.json()
        assert set(body) == {"detail", "code"}, (code, body)
        assert body["code"] == code, body
        words = re.sub(r"`[^`]*`|Idempotency-Key|DELETE|/\S+", " ", body["detail"])  # code, names, paths
        assert not latin_words(words), (code, body["detail"])
    assert answers["auth.role_cannot"].json()["detail"].startswith("「评估员」角色不能提交诉求")
    english = app.get("/v1/cases", headers={"Accept-Language": "en"}).json()
    assert english == {"detail": "Missing API key: send `Authorization: Bearer KEY` (create one with "
                                 "`gridtriage keys create --role ROLE`).", "code": "auth.missing_key"}


def test_a_page_address_that_is_wrong_answers_a_page_in_chinese(app: TestClient) -> None:
    supervisor = log_in(app, "li")
    for path, status in (("/ui/cases/abc", 422), ("/ui/cases/99999999999999999999999", 422),
                         ("/ui/no-such-page", 404)):
        answer = supervisor.get(path)
        assert answer.status_code == status, path
        assert answer.headers["content-type"].startswith("text/html"), path
        assert "无法打开这个页面" in answer.text
        assert not english_words(answer.text), (path, english_words(answer.text))
