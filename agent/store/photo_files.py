"""Photo files on disk, content-addressed: a photo's path is its SHA-256, so the same photo sent twice
is stored once, and a stored file can be checked against its name."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

EXTENSIONS = {"jpeg": "jpg", "png": "png", "webp": "webp"}
MEDIA_TYPES = {"jpeg": "image/jpeg", "png": "image/png", "webp": "image/webp"}
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class PhotoFiles:
    """`root/ab/<sha256>.<ext>` for the photo as uploaded, `root/ab/<sha256>.thumb.jpg` for its thumbnail."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).expanduser()

    def put(self, sha256: str, fmt: str, data: bytes, thumbnail: bytes) -> Path:
        """Store a photo and its thumbnail; a photo already there is left alone (same name, same bytes)."""
        path = self.original(sha256, fmt)
        for target, content in ((path, data), (self.thumbnail(sha256), thumbnail)):
            if not target.exists():
                _write_atomically(target, content)
        return path

    def original(self, sha256: str, fmt: str) -> Path:
        if fmt not in EXTENSIONS:
            raise ValueError(f"unknown photo format {fmt!r}; stored formats are {', '.join(EXTENSIONS)}")
        return self._folder(sha256) / f"{sha256}.{EXTENSIONS[fmt]}"

    def thumbnail(self, sha256: str) -> Path:
        return self._folder(sha256) / f"{sha256}.thumb.jpg"

    def _folder(self, sha256: str) -> Path:
        if not _SHA256.match(sha256):
            raise ValueError(f"{sha256!r} is not a photo id (64 lowercase hex digits of its SHA-256)")
        return self.root / sha256[:2]


def _write_atomically(target: Path, content: bytes) -> None:
    """Readers never see half a file: write beside it, then rename (atomic on one file system)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(content)
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
