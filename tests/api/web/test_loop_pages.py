"""Closing the loop on the pages, through FastAPI's TestClient with the real models and a real SQLite
database: the handlers' page of a department user (its own cases only, the disposal form, the
verdict shown), the supervisor's verification decision on the review page, the reply drafted and
sent and the callback recorded on the case page; every bad input answered on the page in Chinese
with what was typed kept."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from agent.models import Models
from agent.store.users import Users
from api.app import create_app
from core.messages import message
from core.settings import ApiSettings, LLMSettings, Settings
from core.types import Disposal, Verification
from tests.support.photos import photo_bytes, street_scene
from tests.support.web import add_users, fetch_headers, log_in, token_of

pytestmark = pytest.mark.integration

PIN = (34.7700, 113.6750)
REPORT = "金水区文化路与红旗路交叉口往北50米的人行道上井盖没了，晚上路过很危险，希望尽快补上井盖"
BOILERPLATE = "您好，您反映的问题已收悉，我们将尽快处理。感谢您的支持！"
FIXED = ("您好！接到工单后，我局市政养护队当日到文化路与红旗路交叉口北侧现场设置围挡，"
         "12月5日上午已在该处人行道补装新井盖并恢复通行，同时对文化路沿线12处井盖进行了排查。感谢您的监督！")
HANDLER_PASSWORD = "handler-pass-1"


@pytest.fixture
def app(tmp_path: Path, models: Models) -> Iterator[TestClient]:
    settings = Settings(db=str(tmp_path / "loop.db"), llm=LLMSettings(provider="none"),
                        api=ApiSettings(rate_limit_per_minute=10_000))
    with TestClient(create_app(settings, models=models), follow_redirects=False) as c:
        add_users(c, "wang", "li")
        yield c


def browser(app: TestClient) -> TestClient:
    return TestClient(app.app, follow_redirects=False)


def handler(app: TestClient, name: str, department_id: str) -> TestClient:
    """A department user of `department_id`, logged in in a browser of its own."""
    Users(app.app.state.workflow.store).create(name, "department", HANDLER_PASSWORD,  # type: ignore[attr-defined]
                                               department_id=department_id)
    client = browser(app)
    r = client.post("/ui/login", data={"username": name, "password": HANDLER_PASSWORD,
                                       "csrf_token": token_of(client)})
    assert r.status_code == 303, r.text
    assert r.headers["location"] == "/ui/department"
    return client


def dispatched(app: TestClient) -> tuple[int, str]:
    """A report the operator took and the supervisor confirmed (dispatched to its lead department)."""
    workflow = app.app.state.workflow  # type: ignore[attr-defined]
    operator = {"Authorization": f"Bearer {workflow.keys.create('operator', 'desk')}"}
    r = app.post("/v1/reports", json={"text": REPORT, "lat": PIN[0], "lon": PIN[1]}, headers=operator)
    assert r.status_code == 201, r.text
    case_id = int(r.json()["case_id"])
    if workflow.queries.summary(case_id).status == "received":
        app.app.state.cases.confirm(case_id, workflow.keys.client(  # type: ignore[attr-defined]
            workflow.keys.create("supervisor", "desk-li")), "核实无误")
    row = workflow.queries.summary(case_id)
    assert row.status == "dispatched"
    return case_id, row.lead_department_id


def status_of(app: TestClient, case_id: int) -> str:
    return str(app.app.state.workflow.queries.summary(case_id).status)  # type: ignore[attr-defined]


def left_to_a_person(app: TestClient, case_id: int, department_id: str) -> None:
    """The department's disposal, stored by the loop's own action with a verification that leaves
    it to a person (the verification model's verdict on a given text is not what these tests are about)."""
    verification = Verification(verdict="needs_person", reasons=(message("verify.photo_unjudged"),),
                                relevance=0.9, substance=0.8)
    app.app.state.workflow.loop.dispose(case_id, department_id, f"department:{department_id}",  # type: ignore[attr-defined]
                                        Disposal(reply=FIXED, outcome="resolved"), verification)
    assert status_of(app, case_id) == "disposed"


def test_a_department_user_lands_on_its_page_and_reports_a_disposal(app: TestClient) -> None:
    case_id, lead = dispatched(app)
    dept = handler(app, "handler", lead)
    page = dept.get("/ui/department")
    assert page.status_code == 200
    card = re.search(rf'<section class="card handling-case[^"]*" id="case-{case_id}"', page.text)
    assert card, page.text[:2000]
    for expected in ("部门办件", "当前环节时限", "已派单", "提交处置结果", "已解决", "部分解决", "已解释说明",
                     "非本部门职责", 'name="photos"', 'enctype="multipart/form-data"', "Asia/Shanghai"):
        assert expected in page.text, expected
    assert 'href="/ui/intake"' not in page.text
    assert 'href="/ui/dashboard"' not in page.text
    r = dept.post(f"/ui/department/{case_id}/dispose", data={
        "reply": BOILERPLATE, "outcome": "resolved", "csrf_token": token_of(dept, "/ui/department")})
    assert r.status_code == 303, r.text
    assert r.headers["location"].startswith(f"/ui/department?result={case_id}")
    shown = dept.get(r.headers["location"])
    result = re.search(r'id="disposal-result" data-case="(\d+)" data-verdict="(\w+)" data-status="(\w+)"', shown.text)
    assert result, shown.text[:3000]
    verdict, status = result.group(2), result.group(3)
    assert status == status_of(app, case_id)
    assert "案件现为" in shown.text
    assert "已提交" in shown.text  # the flash
    expected_status = {"fail": "returned", "needs_person": "disposed", "pass": "verified"}[verdict]
    assert status == expected_status
    if status == "returned":  # back on the page with the reasons and the count
        assert f'id="case-{case_id}"' in shown.text
        assert "上次核查退回的原因" in shown.text
        assert "核查退回 1 次" in shown.text
    case_page = dept.get(f"/ui/cases/{case_id}")
    assert case_page.status_code == 200
    assert 'id="disposals"' in case_page.text
    assert BOILERPLATE in case_page.text
    assert "第 1 次处置" in case_page.text


def test_a_bad_disposal_is_answered_on_the_page_keeping_what_was_typed(app: TestClient) -> None:
    case_id, lead = dispatched(app)
    dept = handler(app, "handler", lead)
    token = token_of(dept, "/ui/department")
    form = {"reply": FIXED, "outcome": "partly", "csrf_token": token,
            "commitment_text": ["对沿线井盖加固", "每周巡查"], "commitment_due": ["2026-13-40", ""]}
    r = dept.post(f"/ui/department/{case_id}/dispose", data=form)
    assert r.status_code == 422
    assert "第 1 条承诺的完成日期「2026-13-40」无效" in r.text
    assert FIXED in r.text
    assert 'value="对沿线井盖加固"' in r.text
    assert 'value="每周巡查"' in r.text
    assert re.search(r'<option value="partly" selected>', r.text)
    empty = dept.post(f"/ui/department/{case_id}/dispose", data={"reply": "  ", "outcome": "resolved",
                                                                  "csrf_token": token})
    assert empty.status_code == 422
    assert "请填写答复内容" in empty.text
    no_outcome = dept.post(f"/ui/department/{case_id}/dispose", data={"reply": FIXED, "outcome": "done",
                                                                       "csrf_token": token})
    assert "请选择办理结果" in no_outcome.text
    seven = [("photos", (f"{i}.jpg", photo_bytes(street_scene(i)), "image/jpeg")) for i in range(7)]
    too_many = dept.post(f"/ui/department/{case_id}/dispose", data={"reply": FIXED, "outcome": "resolved",
                                                                     "csrf_token": token}, files=seven)
    assert too_many.status_code == 422
    assert "处置照片最多 6 张" in too_many.text
    assert "请重新选择" in too_many.text
    not_a_photo = dept.post(f"/ui/department/{case_id}/dispose", data={"reply": FIXED, "outcome": "resolved",
                                                                        "csrf_token": token},
                            files=[("photos", ("x.jpg", b"not an image", "image/jpeg"))])
    assert not_a_photo.status_code == 422
    assert FIXED in not_a_photo.text
    assert dept.post(f"/ui/department/{case_id}/dispose", data={"reply": FIXED, "outcome": "resolved"}).status_code \
        == 403  # no CSRF token
    assert status_of(app, case_id) == "dispatched"  # nothing happened
    assert app.app.state.cases.case_record(case_id, None).disposals == []  # type: ignore[attr-defined]


def test_another_department_finds_nothing_of_the_case(app: TestClient) -> None:
    case_id, lead = dispatched(app)
    kb = app.app.state.service.pipeline.models.kb  # type: ignore[attr-defined]
    other_id = next(d for d in kb.departments if d != lead)
    other = handler(app, "elsewhere", other_id)
    hidden = other.get(f"/ui/cases/{case_id}")
    assert hidden.status_code == 404
    assert "找不到该案件" in hidden.text
    assert f"案件 #{case_id} 不存在" in hidden.text
    assert "text/html" in hidden.headers["content-type"]
    for path in ("/ui/department", "/ui/review", "/ui/review?status=all", "/ui/review?status=open",
                 f"/ui/review?status=all&department={lead}"):
        page = other.get(path)
        assert page.status_code == 200, path
        assert f'data-case="{case_id}"' not in page.text, path
        assert f"/ui/cases/{case_id}" not in page.text, path
    assert "本部门暂无待办案件" in other.get("/ui/department").text
    dashboard = other.get("/ui/dashboard")
    assert dashboard.status_code == 403
    assert "承办部门账号只查看和办理本部门的案件" in dashboard.text
    intake = other.get("/ui/intake")
    assert intake.status_code == 403
    assert "承办部门角色不能提交诉求" in intake.text
    r = other.post(f"/ui/department/{case_id}/dispose", data={
        "reply": FIXED, "outcome": "resolved", "csrf_token": token_of(other, "/ui/department")})
    assert r.status_code == 422
    assert f"案件 #{case_id} 不存在" in r.text
    assert status_of(app, case_id) == "dispatched"
    own = handler(app, "own", lead)
    assert f'id="case-{case_id}"' in own.get("/ui/department").text
    assert f'data-case="{case_id}"' in own.get("/ui/review?status=all").text
    photo = photo_bytes(street_scene(3))
    r = own.post(f"/ui/department/{case_id}/dispose", data={"reply": FIXED, "outcome": "resolved",
                                                             "csrf_token": token_of(own, "/ui/department")},
                 files=[("photos", ("after.jpg", photo, "image/jpeg"))])
    assert r.status_code == 303, r.text
    sha = re.findall(r'src="/ui/cases/\d+/after-photos/([0-9a-f]{64})/thumbnail"', own.get(f"/ui/cases/{case_id}").text)
    assert len(sha) == 1
    thumbnail = f"/ui/cases/{case_id}/after-photos/{sha[0]}/thumbnail"
    assert own.get(thumbnail).headers["content-type"] == "image/jpeg"
    assert own.get(thumbnail[: -len("/thumbnail")]).status_code == 200
    assert log_in(browser(app), "li").get(thumbnail).status_code == 200
    assert other.get(thumbnail).status_code == 404
    assert other.get(thumbnail[: -len("/thumbnail")]).status_code == 404
    assert own.get(f"/ui/cases/{case_id}/after-photos/{'0' * 64}/thumbnail").status_code == 404
    api = other.get(f"/v1/cases/{case_id}", headers={"Authorization": "Bearer nope"})
    assert api.status_code == 401  # the API's answers stay JSON
    assert other.get("/ui/cases/99999").status_code == 404


def test_a_supervisor_decides_and_an_operator_replies_and_records_the_callback(app: TestClient) -> None:
    case_id, lead = dispatched(app)
    left_to_a_person(app, case_id, lead)
    supervisor = log_in(browser(app), "li")
    queue = supervisor.get("/ui/review")
    assert queue.status_code == 200
    assert f'id="verify-{case_id}"' in queue.text
    for expected in ("待人工核查（1）", FIXED, "未配置图像识别", "核查通过", "退回部门", "待人工核查"):
        assert expected in queue.text, expected
    token = token_of(supervisor, "/ui/review")
    refused = supervisor.post(f"/ui/review/{case_id}/verify",
                              data={"verdict": "fail", "note": " ", "csrf_token": token})
    assert refused.status_code == 422
    assert "退回部门时请写明原因" in refused.text
    odd = supervisor.post(f"/ui/review/{case_id}/verify", data={"verdict": "maybe", "note": "照片不清楚",
                                                                 "csrf_token": token})
    assert odd.status_code == 422
    assert "照片不清楚" in odd.text  # kept
    operator = log_in(browser(app), "wang")
    assert operator.post(f"/ui/review/{case_id}/verify", data={
        "verdict": "pass", "csrf_token": token_of(operator, "/ui/review")}).status_code == 403
    assert f'id="verify-form-{case_id}"' not in operator.get("/ui/review").text
    r = supervisor.post(f"/ui/review/{case_id}/verify", data={"verdict": "pass", "note": "照片显示已补装",
                                                               "csrf_token": token})
    assert r.status_code == 303
    assert status_of(app, case_id) == "verified"
    assert f"案件 #{case_id} 核查通过" in supervisor.get("/ui/review").text
    again = supervisor.post(f"/ui/review/{case_id}/verify", data={"verdict": "pass", "csrf_token": token})
    assert again.status_code == 422
    assert "没有等待人工裁定的核查结果" in again.text

    page = operator.get(f"/ui/cases/{case_id}")
    for expected in ('id="reply-draft-button"', 'id="reply-text"', "人工裁定", "照片显示已补装", "核查通过"):
        assert expected in page.text, expected
    drafted = operator.post(f"/ui/cases/{case_id}/reply-draft", headers=fetch_headers(operator, f"/ui/cases/{case_id}"))
    assert drafted.status_code == 200, drafted.text
    text = drafted.json()["text"]
    assert "补装新井盖" in text
    assert drafted.json()["source"] in ("template", "llm")
    fallback = operator.post(f"/ui/cases/{case_id}/reply-draft",
                             data={"csrf_token": token_of(operator, f"/ui/cases/{case_id}")})
    assert fallback.status_code == 200
    assert re.search(r'<textarea name="text" rows="7" id="reply-text">[^<]*补装新井盖', fallback.text)
    token = token_of(operator, f"/ui/cases/{case_id}")
    empty = operator.post(f"/ui/cases/{case_id}/reply", data={"text": "  ", "drafted": text, "csrf_token": token})
    assert empty.status_code == 422
    assert "答复内容不能为空" in empty.text
    sent = operator.post(f"/ui/cases/{case_id}/reply", data={"text": text + "祝您生活愉快。", "drafted": text,
                                                              "source": "template", "csrf_token": token})
    assert sent.status_code == 303
    assert status_of(app, case_id) == "replied"
    page = operator.get(f"/ui/cases/{case_id}")
    assert "已答复市民，等待回访" in page.text
    assert "祝您生活愉快。" in page.text
    assert "在草稿基础上修改过" in page.text
    assert 'id="callback-form"' in page.text

    token = token_of(operator, f"/ui/cases/{case_id}")
    unhappy = operator.post(f"/ui/cases/{case_id}/callback", data={"satisfaction": "unsatisfied", "note": "",
                                                                    "csrf_token": token})
    assert unhappy.status_code == 422
    assert "市民不满意时请记下不满意的原因" in unhappy.text
    assert re.search(r'value="unsatisfied" id="callback-unsatisfied" checked', unhappy.text)
    assert "请选择市民的满意度" in operator.post(f"/ui/cases/{case_id}/callback",
                                           data={"note": "x", "csrf_token": token}).text
    r = operator.post(f"/ui/cases/{case_id}/callback", data={"satisfaction": "unsatisfied",
                                                             "note": "新井盖有松动，踩上去会响", "csrf_token": token})
    assert r.status_code == 303
    assert status_of(app, case_id) == "reopened"
    assert "回访不满意，已退回" in operator.get(f"/ui/cases/{case_id}").text
    dept = handler(app, "handler", lead)
    mine = dept.get("/ui/department").text
    assert f'id="case-{case_id}"' in mine
    assert "市民回访不满意" in mine
    assert "新井盖有松动，踩上去会响" in mine
    assert "回访重办 1 次" in mine


def test_the_pages_answer_a_case_in_the_wrong_state_in_chinese(app: TestClient) -> None:
    case_id, _ = dispatched(app)
    operator = log_in(browser(app), "wang")
    token = token_of(operator, f"/ui/cases/{case_id}")
    for path, data in ((f"/ui/cases/{case_id}/reply", {"text": "已处理"}),
                       (f"/ui/cases/{case_id}/callback", {"satisfaction": "satisfied"}),
                       (f"/ui/cases/{case_id}/reply-draft", {})):
        r = operator.post(path, data={**data, "csrf_token": token})
        assert r.status_code == 422, path
        assert "text/html" in r.headers["content-type"], path
        assert re.search("核查通过后才能答复|答复市民后才能回访|还没有部门的处置结果", r.text), path
