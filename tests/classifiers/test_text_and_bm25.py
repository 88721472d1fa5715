import pytest

from classifiers.bm25 import BM25
from classifiers.text import Tokenizer, normalize

pytestmark = pytest.mark.unit


def test_normalize_folds_width_script_and_space() -> None:
    assert normalize("　井蓋　沒了！ＡＢＣ１２３  ") == "井盖 没了!ABC123"


def test_tokenizer_keeps_vocabulary_whole_and_drops_stopwords() -> None:
    tok = Tokenizer(["德化街街道", "占道经营"])
    tokens = tok.tokens("德化街街道这里有人占道经营了啊")
    assert "德化街街道" in tokens
    assert "占道经营" in tokens
    assert "了" not in tokens
    assert "啊" not in tokens


def test_bm25_ranks_the_matching_document_first() -> None:
    index = BM25([["井盖", "缺失"], ["路灯", "不亮"], ["井盖", "路灯", "维修", "道路"]])
    scores = index.scores(["井盖", "缺失"])
    assert scores.argmax() == 0
    assert scores[1] == 0


def test_bm25_refuses_an_empty_corpus() -> None:
    with pytest.raises(ValueError, match="at least one document"):
        BM25([])
