"""The `vision-openai` backend against a real HTTP server on loopback that answers
`/v1/chat/completions` in the OpenAI format with scripted replies (tests/support/vision_server.py).
The server checks every request (the key in the Authorization header, the photo as a JPEG data URL
no larger than `image_max_side`, the candidate codes, JSON output asked for) and answers 400 when one
is wrong."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from PIL import Image
from pydantic import SecretStr

from classifiers.vision import VisualCandidate, make_vision, visual_candidates
from core.settings import DEFAULT_KB, VisionSettings
from knowledge.loader import load_kb
from tests.support.vision_server import KEY, MAX_SIDE, MODEL, ScriptedServer, serving

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def candidates() -> tuple[VisualCandidate, ...]:
    return visual_candidates(load_kb(DEFAULT_KB))


@pytest.fixture
def server(candidates: tuple[VisualCandidate, ...]) -> Iterator[ScriptedServer]:
    with serving(len(candidates)) as srv:
        yield srv


def _settings(server: ScriptedServer, **kw: Any) -> VisionSettings:
    return VisionSettings(backend="vision-openai", base_url=f"http://127.0.0.1:{server.server_port}/v1",
                          model=MODEL, api_key=SecretStr(KEY), image_max_side=MAX_SIDE,
                          **{"timeout_s": 10.0, "retries": 0, **kw})


def _photo() -> Image.Image:
    return Image.new("RGB", (2000, 1500), (90, 90, 95))


def test_a_valid_code_gives_its_category_and_a_cleaned_description(
        server: ScriptedServer, candidates: tuple[VisualCandidate, ...]) -> None:
    server.replies = [json.dumps({"category": "V2", "description": "路面有坑\u0007洼\u202e，联系人13812345678"
                                  + "，坑很大" * 20}, ensure_ascii=False)]
    backend = make_vision(_settings(server))
    assert backend is not None
    guess = backend.classify(_photo(), candidates)
    assert server.problems == []
    assert guess.error is None
    assert guess.rejected == ()
    assert guess.category_id == candidates[1].id
    assert guess.backend == f"vision-openai:{MODEL}"
    assert guess.description is not None
    assert len(guess.description) == 60
    assert guess.description.startswith("路面有坑 洼 ，联系人")
    assert "13812345678" not in guess.description
    assert len(server.requests) == 1
    assert guess.latency_ms > 0


def test_none_means_no_category_without_an_error(server: ScriptedServer,
                                                 candidates: tuple[VisualCandidate, ...]) -> None:
    server.replies = ['```json\n{"category": "none", "description": "一张室内的自拍"}\n```']
    guess = make_vision(_settings(server)).classify(_photo(), candidates)  # type: ignore[union-attr]
    assert server.problems == []
    assert guess.category_id is None
    assert guess.error is None
    assert guess.description == "一张室内的自拍"


def test_a_code_not_offered_is_rejected_and_asked_again_once(server: ScriptedServer,
                                                             candidates: tuple[VisualCandidate, ...]) -> None:
    server.replies = ['{"category": "V99", "description": "井盖没了"}', '{"category": "v1", "description": "井盖没了"}']
    guess = make_vision(_settings(server)).classify(_photo(), candidates)  # type: ignore[union-attr]
    assert server.problems == []
    assert guess.category_id == candidates[0].id
    assert guess.error is None
    assert len(guess.rejected) == 1
    assert "'V99' 不是候选编号" in guess.rejected[0]
    assert len(server.requests) == 2
    retry = server.requests[1]["messages"]
    assert retry[2] == {"role": "assistant", "content": '{"category": "V99", "description": "井盖没了"}'}
    assert retry[3]["role"] == "user"
    assert "V99" in retry[3]["content"]
    assert f"V{len(candidates)}" in retry[3]["content"]


def test_invalid_twice_gives_no_category_and_the_reason(server: ScriptedServer,
                                                        candidates: tuple[VisualCandidate, ...]) -> None:
    server.replies = ["这张照片里是一个井盖", '{"category": "井盖缺失破损"}']
    guess = make_vision(_settings(server)).classify(_photo(), candidates)  # type: ignore[union-attr]
    assert server.problems == []
    assert guess.category_id is None
    assert len(server.requests) == 2
    assert len(guess.rejected) == 2
    assert guess.rejected[0].startswith("attempt 1: 不是合法的JSON")
    assert guess.rejected[1].startswith("attempt 2: category '井盖缺失破损' 不是候选编号")
    assert guess.error is not None
    assert guess.error.startswith("vision-openai output invalid twice")


def test_a_slow_server_times_out_into_an_error_not_an_exception(server: ScriptedServer,
                                                                candidates: tuple[VisualCandidate, ...]) -> None:
    server.delay_s = 1.5
    started = time.perf_counter()
    guess = make_vision(_settings(server, timeout_s=0.3, retries=1)).classify(  # type: ignore[union-attr]
        _photo(), candidates)
    assert server.problems == []
    assert guess.category_id is None
    assert guess.error is not None
    assert "Timeout" in guess.error
    assert len(server.requests) == 2  # the client's one retry, from the settings
    assert time.perf_counter() - started < 5


def test_a_server_that_is_not_there_gives_an_error(server: ScriptedServer,
                                                   candidates: tuple[VisualCandidate, ...]) -> None:
    port = server.server_port
    server.shutdown()
    server.server_close()
    settings = VisionSettings(backend="vision-openai", base_url=f"http://127.0.0.1:{port}/v1", model=MODEL,
                              api_key=SecretStr(KEY), retries=0, timeout_s=2.0)
    guess = make_vision(settings).classify(_photo(), candidates)  # type: ignore[union-attr]
    assert guess.category_id is None
    assert guess.error is not None
    assert "Connection" in guess.error


def test_a_wrong_key_is_refused_by_the_server_and_reported(server: ScriptedServer,
                                                           candidates: tuple[VisualCandidate, ...]) -> None:
    settings = _settings(server).model_copy(update={"api_key": SecretStr("sk-wrong")})
    guess = make_vision(settings).classify(_photo(), candidates)  # type: ignore[union-attr]
    assert server.problems == ["Authorization header was 'Bearer sk-wrong'"]
    assert guess.category_id is None
    assert guess.error is not None
    assert "BadRequestError" in guess.error
