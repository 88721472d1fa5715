"""The web pages' language: Chinese by default, English by a toggle kept in a cookie. The words come
from the one message catalogue (`core/messages.yaml`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import Request

from core.messages import DEFAULT, LANGS, lookup

COOKIE = "gt_lang"

Translate = Callable[..., str]

__all__ = ["COOKIE", "DEFAULT", "LANGS", "Translate", "language", "lookup", "translator"]


def translator(lang: str) -> Translate:
    def t(key: str, default: str | None = None, **values: Any) -> str:
        return lookup(key, lang, default, **values)

    return t


def language(request: Request) -> str:
    lang = request.cookies.get(COOKIE, DEFAULT)
    return lang if lang in LANGS else DEFAULT
