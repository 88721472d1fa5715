"""Interface strings: Chinese by default, English by a toggle kept in a cookie. The strings live in
`strings.yaml`, one entry per key with both languages."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from fastapi import Request

LANGS = ("zh", "en")
DEFAULT = "zh"
COOKIE = "gt_lang"
STRINGS = Path(__file__).with_name("strings.yaml")

Translate = Callable[..., str]


@cache
def strings() -> dict[str, dict[str, str]]:
    data = yaml.safe_load(STRINGS.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"{STRINGS} must map keys to {{zh, en}}")
    for key, entry in data.items():
        if not isinstance(entry, dict) or any(not isinstance(entry.get(lang), str) for lang in LANGS):
            raise ValueError(f"{STRINGS}: {key!r} needs a text for each of {', '.join(LANGS)}")
    return data


def lookup(key: str, lang: str, default: str | None = None, **values: Any) -> str:
    """The text of `key` in `lang` with `{name}` fields filled; an unknown key gives `default`, or
    shows itself, so a missing string is visible on the page rather than an error."""
    entry = strings().get(key)
    if entry is None:
        return default if default is not None else key
    text = entry.get(lang) or entry[DEFAULT]
    return text.format(**values) if values else text


def translator(lang: str) -> Translate:
    def t(key: str, default: str | None = None, **values: Any) -> str:
        return lookup(key, lang, default, **values)

    return t


def language(request: Request) -> str:
    lang = request.cookies.get(COOKIE, DEFAULT)
    return lang if lang in LANGS else DEFAULT
