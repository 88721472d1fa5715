import numpy as np
import pytest

from agent.case_index import CaseIndex

pytestmark = pytest.mark.unit


def _unit(rows: np.ndarray) -> np.ndarray:
    unit: np.ndarray = (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)
    return unit


def test_flat_index_finds_added_vectors_and_forgets_removed_ones() -> None:
    rng = np.random.default_rng(1)
    vectors = _unit(rng.normal(size=(50, 16)))
    index = CaseIndex(16)
    for i, v in enumerate(vectors):
        index.add(100 + i, v)
    assert index.kind == "flat"
    assert index.search(vectors[7], 1)[0][0] == 107
    index.remove(107)
    assert all(case_id != 107 for case_id, _ in index.search(vectors[7], 5))


def test_switches_to_ivf_past_the_threshold_and_still_finds_exact_matches() -> None:
    rng = np.random.default_rng(2)
    vectors = _unit(rng.normal(size=(3000, 32)))
    index = CaseIndex(32, ivf_threshold=2000, nprobe=8)
    index.rebuild(np.arange(3000), vectors)
    assert index.kind == "ivf"
    hits = [index.search(vectors[i], 1)[0][0] for i in range(0, 3000, 97)]
    assert hits == list(range(0, 3000, 97))
    index.remove(97)
    assert index.search(vectors[97], 1)[0][0] != 97


def test_empty_index_returns_nothing() -> None:
    assert CaseIndex(8).search(np.ones(8, dtype=np.float32), 3) == []
