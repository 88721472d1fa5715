"""Grid members' contacts in the API: in the report answer and the case, only for roles with the
personal-data ability; everyone sees the grid, its members' roles, names and duty hours."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from core.messages import lookup
from tests.support.web import add_users, log_in

pytestmark = pytest.mark.integration

TEXT = "二七纪念塔旁边的垃圾桶满了，好几天没人清理"


def _contacts(place: dict[str, Any]) -> set[str | None]:
    grids = [place["grid"], *place["grid_candidates"]] if place["grid"] else place["grid_candidates"]
    return {m["contact"] for g in grids for m in g["members"]}


def test_member_contacts_are_hidden_from_roles_without_personal_data(client: TestClient,
                                                                    keys: dict[str, dict[str, str]]) -> None:
    hidden = lookup("contact.hidden")
    as_operator = client.post("/v1/reports", headers=keys["operator"], json={"text": TEXT})
    assert as_operator.status_code == 201, as_operator.text
    place = as_operator.json()["place"]
    assert place["grid"]["id"].startswith("x.erqi-tower.")
    assert all(c and c.startswith("0371-0000-") for c in _contacts(place))

    as_dispatcher = client.post("/v1/reports", headers=keys["dispatcher"], json={"text": TEXT + "，快来"})
    assert as_dispatcher.status_code in (200, 201), as_dispatcher.text
    shown = as_dispatcher.json()["place"]
    assert shown["grid"]["name"] == place["grid"]["name"]
    assert _contacts(shown) == {hidden}
    assert all(m["name"] and m["role"] for m in shown["grid"]["members"])

    case_id = as_operator.json()["case_id"]
    for role, expect_hidden in (("supervisor", False), ("evaluator", True), ("dispatcher", True)):
        case = client.get(f"/v1/cases/{case_id}", headers=keys[role])
        assert case.status_code == 200, case.text
        contacts = _contacts(case.json()["place"])
        assert (contacts == {hidden}) is expect_hidden, role


def test_the_case_page_names_the_grid_without_contacts(client: TestClient, keys: dict[str, dict[str, str]]) -> None:
    answer = client.post("/v1/reports", headers=keys["operator"], json={"text": TEXT})
    assert answer.status_code == 201, answer.text
    grid = answer.json()["place"]["grid"]
    add_users(client, "zhao")  # an evaluator: reads cases, no personal data
    browser = log_in(TestClient(client.app, follow_redirects=False), "zhao")
    page = browser.get(f"/ui/cases/{answer.json()['case_id']}")
    assert page.status_code == 200, page.text[:300]
    assert f"{lookup('place.grid')}：{grid['name']}" in page.text
    assert "0371-0000-" not in page.text
