"""GET /v1/situation and /v1/situation/layer through the real app: the figures checked against a
seeded store (tests/support/situation_seed.py), who may read them, a department's and a grid's own
view, and the base layer built from the knowledge base's grids and places."""

from __future__ import annotations

import dataclasses
import time

import pytest
from fastapi.testclient import TestClient

from agent.store.keys import ApiClient
from agent.store.situation import situation_figures
from api.situation_service import map_layer, situation
from core.clock import FrozenClock
from knowledge.loader import KnowledgeBase
from knowledge.schema import Grid, GridMember
from tests.support.situation_seed import CM, G1, NOW, S1, TP, many, seed

pytestmark = pytest.mark.integration

SQUARE = {"type": "Polygon", "coordinates": [[[113.66, 34.77], [113.67, 34.77], [113.67, 34.78], [113.66, 34.78],
                                              [113.66, 34.77]]]}


@pytest.fixture
def seeded(client: TestClient, keys: dict[str, dict[str, str]], frozen_clock: FrozenClock) -> dict[str, int]:
    ids = seed(client.app.state.workflow.store)  # type: ignore[attr-defined]
    frozen_clock.set(NOW)
    return ids


def key(client: TestClient, role: str, **binding: str) -> dict[str, str]:
    workflow = client.app.state.workflow  # type: ignore[attr-defined]
    return {"Authorization": f"Bearer {workflow.keys.create(role, f'test-{role}-2', **binding)}"}


def test_the_figures_match_the_store(client: TestClient, keys: dict[str, dict[str, str]],
                                     seeded: dict[str, int]) -> None:
    r = client.get("/v1/situation", headers=keys["dispatcher"])
    assert r.status_code == 200, r.text
    s = r.json()
    assert s["as_of"] == "2026-03-11T02:20:00+00:00"
    assert (s["zone"], s["today_start"]) == ("Asia/Shanghai", "2026-03-10T16:00:00+00:00")
    assert (s["open"], s["overdue"], s["waiting"], s["department"], s["grid"]) == (5, 2, 3, None, None)
    assert [(d["id"], d["open"], d["overdue"]) for d in s["departments"]] == [(CM, 3, 1), (TP, 2, 1)]
    assert [(g["id"], g["open"]) for g in s["grids"]] == [(G1, 2)]
    assert [h["today"] for h in s["hourly"]] == [0] * 8 + [1, 1, 1] + [None] * 13
    assert [h["week_average"] for h in s["hourly"]][:10] == [0.14] + [0.0] * 8 + [0.43]
    name = {v: k for k, v in seeded.items()}
    assert [(name[c["id"]], c["seconds_left"], c["respond_by"]) for c in s["countdowns"]] == [
        ("a2", -900, "2026-03-11T02:05:00+00:00"), ("a1", 1200, "2026-03-11T02:40:00+00:00"),
        ("a4", 2400, "2026-03-11T03:00:00+00:00")]
    assert [name[p["id"]] for p in s["points"]] == ["a1", "a2", "a5", "a3", "a4"]
    assert [name[u["id"]] for u in s["urgent"]] == ["a1"]
    for role in ("operator", "supervisor", "evaluator"):
        assert client.get("/v1/situation", headers=keys[role]).json()["open"] == 5


def test_a_department_and_a_grid_see_their_own(client: TestClient, seeded: dict[str, int]) -> None:
    mine = client.get("/v1/situation", headers=key(client, "department", department_id=TP)).json()
    assert (mine["department"], mine["open"], mine["overdue"]) == (TP, 2, 1)
    assert {p["id"] for p in mine["points"]} == {seeded["a3"], seeded["a4"]}
    assert [d["id"] for d in mine["departments"]] == [TP]
    grid = client.get("/v1/situation", headers=key(client, "grid", grid_id=G1)).json()
    assert (grid["grid"], grid["open"]) == (G1, 2)
    assert {p["id"] for p in grid["points"]} == {seeded["a1"], seeded["a2"]}


def test_only_a_known_key_reads_the_situation(client: TestClient, keys: dict[str, dict[str, str]]) -> None:
    for path in ("/v1/situation", "/v1/situation/layer"):
        assert client.get(path).status_code == 401
        assert client.get(path, headers={"Authorization": "Bearer gt_not-a-key"}).status_code == 401
        assert client.get(path, headers=keys["evaluator"]).status_code == 200


def test_an_unbound_department_client_sees_nothing(client: TestClient, seeded: dict[str, int]) -> None:
    triage = client.app.state.service  # type: ignore[attr-defined]
    nobody = ApiClient(id=0, name="x", role="department", department_id=None)
    assert situation(triage, nobody).open == 0


def test_the_layer_of_the_bundled_knowledge_base(client: TestClient, keys: dict[str, dict[str, str]],
                                                 kb: KnowledgeBase) -> None:
    layer = client.get("/v1/situation/layer", headers=keys["operator"]).json()
    assert layer["coordinate_system"] == kb.coordinate_system == "gcj02"
    assert len(layer["grids"]["features"]) == len(kb.grids)
    names = {(label["kind"], label["name"]) for label in layer["labels"]}
    assert ("district", "金水区") in names
    assert ("street", "经八路街道") in names
    (south, west), (north, east) = layer["bounds"]
    assert south < 34.775 < north
    assert west < 113.663 < east


def test_the_layer_draws_the_grids_without_contacts(kb: KnowledgeBase) -> None:
    member = GridMember(role="网格员", name="张三", contact="13800000000")
    grids = {G1: Grid(id=G1, name="经八路第一网格", level="grid", street=S1, members=(member,), geometry=SQUARE)}
    layer = map_layer(dataclasses.replace(kb, grids=grids, digest=kb.digest + "-gridded"))
    (feature,) = layer.grids["features"]
    assert feature["geometry"] == SQUARE
    assert feature["properties"]["members"] == [{"role": "网格员", "name": "张三"}]
    assert "13800000000" not in layer.model_dump_json()
    assert layer.bounds == [[34.77, 113.66], [34.78, 113.67]]


def test_the_figures_of_many_cases_come_quickly(client: TestClient, seeded: dict[str, int], kb: KnowledgeBase,
                                                frozen_clock: FrozenClock) -> None:
    """5 000 open cases over the past week: one picture in well under a second on SQLite."""
    store = client.app.state.workflow.store  # type: ignore[attr-defined]
    many(store, 5000)
    started = time.perf_counter()
    s = situation_figures(store, kb)
    seconds = time.perf_counter() - started
    assert s.open >= 5000
    assert len(s.points) == s.points_limit
    print(f"\nsituation of {s.open} open cases: {seconds * 1000:.0f} ms")
    assert seconds < 2.5, seconds
