"""Metric functions against examples computed by hand."""

import math

import pytest

from eval.metrics import (
    at_threshold,
    bcubed,
    binary_report,
    calibration,
    classification_report,
    pairwise_clustering,
    set_recall,
    top_k_accuracy,
)

pytestmark = pytest.mark.unit


def test_classification_report_by_hand() -> None:
    gold = ["a", "a", "b", "b", "c"]
    pred = ["a", "b", "b", "b", "a"]
    r = classification_report(gold, pred)
    assert r["accuracy"] == pytest.approx(3 / 5)
    # a: P=1/2 R=1/2 F=1/2; b: P=2/3 R=1 F=0.8; c: P=0 R=0 F=0 -> macro (0.5+0.8+0)/3
    assert r["per_class"]["a"]["f1"] == pytest.approx(0.5)
    assert r["per_class"]["b"]["precision"] == pytest.approx(2 / 3)
    assert r["macro_f1"] == pytest.approx((0.5 + 0.8 + 0) / 3)
    assert r["confusion"] == {"a → b": 1, "c → a": 1}
    assert r["matrix"] == [[1, 1, 0], [0, 2, 0], [1, 0, 0]]


def test_top_k_and_set_recall() -> None:
    assert top_k_accuracy(["x", "y", "z"], [["x", "y"], ["x", "y"], ["x", "y"]], 1) == pytest.approx(1 / 3)
    assert top_k_accuracy(["x", "y", "z"], [["x", "y"], ["x", "y"], ["x", "y"]], 2) == pytest.approx(2 / 3)
    assert set_recall([["a", "b"], [], ["c"]], [["a"], ["x"], ["c", "d"]]) == pytest.approx(2 / 3)


def test_binary_report_counts_misses() -> None:
    r = binary_report([True, True, False, False], [True, False, True, False])
    assert (r["recall"], r["precision"], r["missed"]) == (0.5, 0.5, 1)


def test_pairwise_clustering_by_hand() -> None:
    # gold {0,1,2} {3}; predicted {0,1} {2,3}: pairs gold 01 02 12; pred 01 23 -> tp 1, fp 1, fn 2
    r = pairwise_clustering(["g1", "g1", "g1", "g2"], ["p1", "p1", "p2", "p2"])
    assert r["precision"] == pytest.approx(1 / 2)
    assert r["recall"] == pytest.approx(1 / 3)
    assert r["f1"] == pytest.approx(2 * 0.5 * (1 / 3) / (0.5 + 1 / 3))


def test_bcubed_by_hand() -> None:
    # items 0,1 (gold A, pred X), 2 (gold A, pred Y), 3 (gold B, pred Y)
    r = bcubed(["A", "A", "A", "B"], ["X", "X", "Y", "Y"])
    precision = (1 + 1 + 1 / 2 + 1 / 2) / 4
    recall = (2 / 3 + 2 / 3 + 1 / 3 + 1) / 4
    assert r["precision"] == pytest.approx(precision)
    assert r["recall"] == pytest.approx(recall)


def test_calibration_and_threshold_by_hand() -> None:
    conf = [0.95, 0.95, 0.55, 0.55]
    correct = [True, False, True, True]
    r = calibration(conf, correct, bins=10)
    # bin (0.9,1]: acc 0.5 conf 0.95; bin (0.5,0.6]: acc 1 conf 0.55 -> ECE = .5*.45 + .5*.45
    assert r["ece"] == pytest.approx(0.45)
    t = at_threshold(conf, correct, 0.9)
    assert (t["share"], t["accuracy"]) == (0.5, 0.5)
    assert math.isnan(at_threshold(conf, correct, 0.99)["accuracy"])
