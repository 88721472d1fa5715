"""Image understanding for photo reports: validation, EXIF time and GPS (WGS-84 → the knowledge
base's coordinate system), perceptual hashes for same-photo detection, and OCR."""

from classifiers.photos.exif import ExifFacts, read_exif
from classifiers.photos.geo import COORDINATE_SYSTEMS, to_kb_coordinates, wgs84_to_gcj02
from classifiers.photos.hashing import (
    CROP_FRACTIONS,
    HashPair,
    PhotoHashes,
    PhotoHashIndex,
    hamming,
    photo_distance,
    photo_hashes,
)
from classifiers.photos.ocr import OcrEngine
from classifiers.photos.reader import PhotoReader, PhotoReading
from classifiers.photos.validate import CheckedPhoto, PhotoRejected, PhotoValidator

__all__ = [
    "COORDINATE_SYSTEMS",
    "CROP_FRACTIONS",
    "CheckedPhoto",
    "ExifFacts",
    "HashPair",
    "OcrEngine",
    "PhotoHashIndex",
    "PhotoHashes",
    "PhotoReader",
    "PhotoReading",
    "PhotoRejected",
    "PhotoValidator",
    "hamming",
    "photo_distance",
    "photo_hashes",
    "read_exif",
    "to_kb_coordinates",
    "wgs84_to_gcj02",
]
