import numpy as np
import pytest

from agent.models import Models
from classifiers.text import normalize

pytestmark = pytest.mark.integration


@pytest.mark.parametrize(
    ("text", "district", "street_or_landmark"),
    [
        ("二七塔旁边有人乱扔垃圾", "二七区", "二七纪念塔"),
        ("千玺广场底下的路灯不亮", "郑东新区", None),
        ("金水区文化路街道辖区内有人占道经营", "金水区", "文化路街道"),
    ],
)
def test_places_resolve_to_district_and_street(models: Models, text: str, district: str,
                                               street_or_landmark: str | None) -> None:
    place = models.places.resolve(normalize(text))
    assert place.district is not None
    assert place.district.name == district
    if street_or_landmark:
        names = {place.street.name if place.street else None, place.landmark.name if place.landmark else None}
        assert street_or_landmark in names


def test_road_crossing_is_recognised(models: Models) -> None:
    place = models.places.resolve("文化路与东风路交叉口井盖没了")
    assert len(place.crossing) == 2
    assert {r.name for r in place.roads} >= {"文化路", "东风路"}


def test_report_about_another_city_is_flagged(models: Models) -> None:
    place = models.places.resolve("开封市鼓楼区有个井盖没了")
    assert place.outside_city == "开封市"


def test_classifier_returns_calibrated_ranked_alternatives(models: Models) -> None:
    result = models.classifier.classify("小区楼下的井盖没了，人掉进去怎么办")
    probs = [a.probability for a in result.alternatives]
    assert probs == sorted(probs, reverse=True)
    assert 0 < sum(probs) <= 1.0001
    assert result.confidence == probs[0]
    assert result.category.id == "municipal.manhole-cover"
    assert "井盖" in result.matched_keywords
    report = models.classifier.fit_report
    # examples held out of a first fit, in deliberately different registers: a floor that catches
    # a broken model, not the accuracy on real reports (that is `gridtriage eval`)
    assert report["holdout_accuracy"] > 0.5
    assert 0.05 < report["temperature"] < 5


def test_embedder_gives_unit_vectors_and_knows_paraphrases(models: Models) -> None:
    vectors = models.embedder.embed(["井盖没了", "下水道盖子丢了", "公积金怎么提取"])
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-4)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2]


def test_classifier_reuses_its_fit_and_refits_when_the_examples_change(
        models: Models, monkeypatch: pytest.MonkeyPatch) -> None:
    from dataclasses import replace

    import classifiers.category as category

    def refuse(*_: object, **__: object) -> None:
        raise AssertionError("the cached model should have been used")

    monkeypatch.setattr(category, "train_calibrated", refuse)
    again = category.CategoryClassifier(models.kb, models.embedder, models.tokenizer,
                                        text_filter=models.places.content)
    again.warm_up()
    assert again.model is not None
    assert models.classifier.model is not None
    assert np.allclose(again.model.coef, models.classifier.model.coef)

    leaf_id = next(iter(models.kb.leaves))
    leaf = models.kb.leaves[leaf_id]
    changed_leaf = leaf.model_copy(update={"examples": (*leaf.examples, "另一个新的例子：路口的井盖又没了")})
    changed_kb = replace(models.kb, leaves={**models.kb.leaves, leaf_id: changed_leaf})
    refit = category.CategoryClassifier(changed_kb, models.embedder, models.tokenizer,
                                        text_filter=models.places.content)
    with pytest.raises(AssertionError, match="cached model"):
        refit.warm_up()
