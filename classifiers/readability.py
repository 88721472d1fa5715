"""Is a report written in a language at all? Keyboard mash ("asdfghjkl"), random letters ("bzxh
lkmz"), one key held down ("jjjjjjj") and test messages ("测试测试123", "test test") say nothing a
department could act on; intake refuses them with the reason instead of filing a case.

Latin-letter words are judged by their shape, not by a word list: a word of a language has vowels,
does not walk along a keyboard row, does not repeat one letter or one short chunk over and over, or
is pinyin (every syllable a valid one). Chinese text always counts as language."""

from __future__ import annotations

import re
from functools import cache
from itertools import pairwise

_LATIN_WORD = re.compile(r"[A-Za-z]+")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_VOWELS = set("aeiouy")
_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
# What a person types to see whether the channel works; nothing else in the report means a test.
_TEST_WORDS = re.compile(r"测试(一下)?|测一下|试一?下|试试|看看|test(ing)?|ceshi|hello|nihao|你好|您好|哈喽",
                         re.IGNORECASE)
_PINYIN_INITIALS = ("zh", "ch", "sh", "b", "p", "m", "f", "d", "t", "n", "l", "g", "k", "h", "j", "q", "x",
                    "r", "z", "c", "s", "y", "w", "")
_PINYIN_FINALS = ("a", "o", "e", "i", "u", "v", "ai", "ei", "ui", "ao", "ou", "iu", "ie", "ve", "er", "an",
                  "en", "in", "un", "vn", "ang", "eng", "ing", "ong", "ia", "iao", "ian", "iang", "iong",
                  "ua", "uo", "uai", "uan", "uang", "ue", "uei", "uen", "ueng")


@cache
def _pinyin_syllables() -> frozenset[str]:
    return frozenset(i + f for i in _PINYIN_INITIALS for f in _PINYIN_FINALS if 1 <= len(i + f) <= 6)


def is_pinyin(word: str) -> bool:
    """Whether `word` splits wholly into pinyin syllables ("nihao" → ni hao)."""
    word = word.lower()
    syllables = _pinyin_syllables()
    reachable = [True] + [False] * len(word)
    for end in range(1, len(word) + 1):
        reachable[end] = any(reachable[start] and word[start:end] in syllables
                             for start in range(max(0, end - 6), end))
    return reachable[-1]


def _neighbours() -> dict[str, set[str]]:
    grid = {ch: (r, c + 0.5 * r) for r, row in enumerate(_ROWS) for c, ch in enumerate(row)}
    return {a: {b for b, (rb, cb) in grid.items() if b != a and abs(ra - rb) <= 1 and abs(ca - cb) <= 1.0}
            for a, (ra, ca) in grid.items()}


_NEAR = _neighbours()


def is_mash(word: str) -> bool:
    """Whether a Latin-letter word looks typed at random rather than written."""
    w = word.lower()
    if len(w) < 3:
        return False
    if re.search(r"(.)\1\1", w):  # a key held down
        return True
    if len(w) >= 6 and re.fullmatch(r"(.{2,3})\1+.{0,2}", w):  # a chunk typed over and over (dfgdfgdfg)
        return True
    if is_pinyin(w):
        return False
    vowels = sum(ch in _VOWELS for ch in w)
    if (vowels == 0 and len(w) >= 4) or re.search(r"[^aeiouy]{6}", w):  # no language strings six consonants
        return True
    walked = sum(b in _NEAR.get(a, ()) for a, b in pairwise(w)) / (len(w) - 1)
    if len(w) >= 4 and walked >= 0.6:  # along the keyboard (asdfgh, qwerty, mnbv)
        return True
    return len(w) >= 7 and vowels / len(w) < 0.2


def nonsense_reason(text: str) -> str | None:
    """A catalogue key saying why `text` is no report (`report.keyboard_mash`, `report.test_message`),
    or None when it reads as language."""
    without_tests = _TEST_WORDS.sub(" ", text)
    has_test_word = without_tests != text
    words = _LATIN_WORD.findall(without_tests)
    chinese = len(_CJK.findall(without_tests))
    if chinese >= 2:
        return None
    mashed = sum(len(w) for w in words if is_mash(w))
    letters = sum(len(w) for w in words)
    if letters and mashed / letters >= 0.6:
        return "report.keyboard_mash"
    if has_test_word and chinese == 0 and letters <= 30:
        return "report.test_message"
    return None
