"""Perceptual hashes, and the index that finds "the same photo sent again".

A photo has a 64-bit pHash and dHash of the whole frame, plus both hashes of four centre crops
(4, 8, 12 and 16% off each side). Two photos are `photo_distance` apart: the best-aligned pair of
frames (whole↔whole, whole↔crop, crop↔whole), scored by the larger of its pHash and dHash Hamming
distances, so both hashes must agree. The crops are what make a cropped copy match: on the
plain hashes alone a 10% crop is as far from its original as two different photos are.

Measured with eval/photo_bench.py `bench_photo_hashes` (100 synthetic street, sign and text-board
photos plus 4 real ones; the README's "Photos" section has the table): recompression, ½ and ¼
resizes and centre crops of 3-15% per side stay within 9 bits for at least 103 of 104 photos; of
5,356 pairs of different photos none is within 9 (the closest: two plain text boards at 10; photos
of scenes at 16 or more). Rotations by 1-2° are caught for 84-93% of photos; crops from one side
only are mostly missed (the crops are centred)."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass

import imagehash
import numpy as np
from PIL import Image

HASH_BITS = 64
CROP_FRACTIONS = (0.04, 0.08, 0.12, 0.16)  # per side
# SAME_PHOTO_MAX_DISTANCE (core.settings, 9): the largest threshold with no false match in the measurement above
_HASH_SIDE = 512  # hash a small copy: as accurate, much faster on 12 MP photos, independent of resolution

HashPair = tuple[str, str]  # (pHash, dHash), 16 hex digits each


@dataclass(frozen=True)
class PhotoHashes:
    phash: str
    dhash: str
    crops: tuple[HashPair, ...] = ()  # (pHash, dHash) of the centre crops in CROP_FRACTIONS order


def photo_hashes(image: Image.Image) -> PhotoHashes:
    """The whole frame's pHash and dHash, and those of its centre crops."""
    grey = image.convert("L")
    if max(grey.size) > _HASH_SIDE:
        grey.thumbnail((_HASH_SIDE, _HASH_SIDE), Image.Resampling.BOX)
    w, h = grey.size
    crops = []
    for fraction in CROP_FRACTIONS:
        dx, dy = round(w * fraction), round(h * fraction)
        crops.append(_pair(grey.crop((dx, dy, w - dx, h - dy))))
    phash, dhash = _pair(grey)
    return PhotoHashes(phash, dhash, tuple(crops))


def _pair(grey: Image.Image) -> HashPair:
    return str(imagehash.phash(grey)), str(imagehash.dhash(grey))


def _bits(hex_hash: str) -> int:
    if len(hex_hash) != HASH_BITS // 4:
        raise ValueError(f"a photo hash is {HASH_BITS // 4} hex digits, got {hex_hash!r}; "
                         "use the hashes PhotoReader computed")
    try:
        return int(hex_hash, 16)
    except ValueError:
        raise ValueError(f"a photo hash is hex digits, got {hex_hash!r}; use the hashes PhotoReader computed") from None


def hamming(a: str, b: str) -> int:
    """Bits that differ between two hex hashes of the same kind."""
    return (_bits(a) ^ _bits(b)).bit_count()


def photo_distance(a: PhotoHashes, b: PhotoHashes) -> int:
    """How far apart two photos are (see the module docstring); 0 for the same pixels."""
    def scored(x: HashPair, y: HashPair) -> int:
        return max(hamming(x[0], y[0]), hamming(x[1], y[1]))

    whole_a, whole_b = (a.phash, a.dhash), (b.phash, b.dhash)
    return min([scored(whole_a, whole_b), *(scored(whole_a, c) for c in b.crops),
                *(scored(c, whole_b) for c in a.crops)])


class PhotoHashIndex:
    """Photo hashes by key (a case id; a key may hold several photos), searched by brute force with
    numpy XOR and popcount (100,000 photos in a few milliseconds). Safe to use from several threads.

    `crops` are optional so that photos stored before crop hashes existed still match whole-frame
    copies."""

    def __init__(self) -> None:
        self._keys = np.zeros(0, dtype=np.int64)
        self._phash = np.zeros(0, dtype=np.uint64)
        self._dhash = np.zeros(0, dtype=np.uint64)
        self._whole = np.zeros(0, dtype=bool)  # a whole frame (False: a centre crop)
        self._size = 0
        self._lock = threading.Lock()

    def warm_up(self) -> None:
        """Nothing to load; present so every component is used the same way."""

    def __len__(self) -> int:
        """Photos held (a photo's crops do not count)."""
        return int(self._whole[: self._size].sum())

    def add(self, key: int, phash: str, dhash: str, crops: Sequence[HashPair] = ()) -> None:
        ph = [_bits(phash), *(_bits(p) for p, _ in crops)]
        dh = [_bits(dhash), *(_bits(d) for _, d in crops)]
        with self._lock:
            start, end = self._size, self._size + len(ph)
            if end > len(self._keys):
                capacity = max(1024, 2 * end)
                self._keys = np.resize(self._keys, capacity)
                self._phash = np.resize(self._phash, capacity)
                self._dhash = np.resize(self._dhash, capacity)
                self._whole = np.resize(self._whole, capacity)
            self._keys[start:end] = key
            self._phash[start:end] = ph
            self._dhash[start:end] = dh
            self._whole[start:end] = False
            self._whole[start] = True
            self._size = end

    def remove(self, key: int) -> None:
        """Forget every photo of `key` (nothing happens for an unknown key)."""
        with self._lock:
            n = self._size
            keep = self._keys[:n] != key
            kept = int(keep.sum())
            if kept == n:
                return
            for column in (self._keys, self._phash, self._dhash, self._whole):
                column[:kept] = column[:n][keep]
            self._size = kept

    def nearest(self, phash: str, dhash: str, max_distance: int,
                crops: Sequence[HashPair] = ()) -> list[tuple[int, int]]:
        """(key, distance) of every key with a photo within `max_distance`, nearest first (then by
        key); a key with several photos appears once, at its nearest photo's distance."""
        if max_distance < 0:
            raise ValueError(f"max_distance must be 0 or more bits, got {max_distance}")
        whole = (np.uint64(_bits(phash)), np.uint64(_bits(dhash)))
        query_crops = [(np.uint64(_bits(p)), np.uint64(_bits(d))) for p, d in crops]
        with self._lock:
            n = self._size
            keys, ph, dh, is_whole = self._keys[:n], self._phash[:n], self._dhash[:n], self._whole[:n]
            distance = _scored(ph, dh, *whole)  # the query's frame against every stored frame and crop
            if query_crops:
                rows = np.flatnonzero(is_whole)
                for p, d in query_crops:  # the query's crops against stored whole frames only
                    distance[rows] = np.minimum(distance[rows], _scored(ph[rows], dh[rows], p, d))
            hits = np.flatnonzero(distance <= max_distance)
            found: dict[int, int] = {}
            for key, dist in zip(keys[hits].tolist(), distance[hits].tolist(), strict=True):
                if dist < found.get(key, HASH_BITS + 1):
                    found[key] = dist
        return sorted(found.items(), key=lambda kd: (kd[1], kd[0]))


def _scored(ph: np.ndarray, dh: np.ndarray, p: np.uint64, d: np.uint64) -> np.ndarray:
    distance: np.ndarray = np.maximum(np.bitwise_count(ph ^ p), np.bitwise_count(dh ^ d)).astype(np.int16)
    return distance
