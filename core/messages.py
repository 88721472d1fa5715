"""The message catalogue: every word a person reads, in Chinese (the default) and English, one entry
per key in `messages.yaml`. Decisions carry a `Message` (a key and its values) so the JSON keeps the
machine code next to the text, and every surface renders it in its reader's language."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict

LANGS = ("zh", "en")
DEFAULT = "zh"
CATALOGUE = Path(__file__).with_name("messages.yaml")


@cache
def catalogue() -> dict[str, dict[str, str]]:
    data = yaml.safe_load(CATALOGUE.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"{CATALOGUE} must map keys to {{zh, en}}")
    for key, entry in data.items():
        if not isinstance(entry, dict) or any(not isinstance(entry.get(lang), str) for lang in LANGS):
            raise ValueError(f"{CATALOGUE}: {key!r} needs a text for each of {', '.join(LANGS)}")
    return data


def lookup(key: str, lang: str = DEFAULT, default: str | None = None, **values: Any) -> str:
    """The text of `key` in `lang` with `{name}` fields filled; an unknown key gives `default`, or
    shows itself, so a missing string is visible rather than an error."""
    entry = catalogue().get(key)
    if entry is None:
        return default if default is not None else key
    text = entry.get(lang) or entry[DEFAULT]
    return text.format(**values) if values else text


class Message(BaseModel):
    """A sentence for a person: its catalogue key and the values it is filled with."""

    model_config = ConfigDict(frozen=True)

    code: str
    values: dict[str, Any] = {}

    def text(self, lang: str = DEFAULT) -> str:
        return lookup(self.code, lang, **{k: _render(v, lang) for k, v in self.values.items()})

    def public(self, lang: str = DEFAULT) -> dict[str, Any]:
        """The machine code beside the text, as the JSON API and the audit log show it."""
        return {"code": self.code, "text": self.text(lang), **({"values": self.values} if self.values else {})}


def _render(value: Any, lang: str) -> Any:
    """A value that is itself a message (a status's name) is shown in the reader's language; a list
    of them as one phrase."""
    if isinstance(value, Message):
        return value.text(lang)
    if isinstance(value, list | tuple) and value and all(isinstance(v, Message) for v in value):
        return lookup("list.separator", lang).join(v.text(lang) for v in value)
    return value


def message(code: str, **values: Any) -> Message:
    if code not in catalogue():
        raise KeyError(f"message {code!r} is not in {CATALOGUE.name}")
    return Message(code=code, values=values)


class Explained(Exception):
    """An error a person reads: what was wrong and what to do, as a catalogue message. `str()` is the
    Chinese text; `message` keeps the code for the API and the reader's language."""

    def __init__(self, reason: Message) -> None:
        self.message = reason
        super().__init__(reason.text())

    def __reduce__(self) -> tuple[Any, ...]:  # worker processes send it back pickled
        return (type(self), (self.message,))

    @property
    def code(self) -> str:
        return self.message.code

    def text(self, lang: str = DEFAULT) -> str:
        return self.message.text(lang)


class Refusal(Explained, ValueError):
    """A request refused: a rule, a bad value or a state that does not allow it."""


class NotFound(Explained, LookupError):
    """Something asked for by id does not exist."""


class Forbidden(Explained):
    """The caller's role may do this in general, but not to this item."""
