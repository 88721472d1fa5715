import io
import time
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import numpy as np
import piexif
import pytest
from PIL import Image

from classifiers.photos.exif import ExifFacts, parse_exif_datetime, read_exif
from classifiers.photos.geo import to_kb_coordinates, wgs84_to_gcj02
from classifiers.photos.hashing import (
    PhotoHashes,
    PhotoHashIndex,
    hamming,
    photo_distance,
    photo_hashes,
)
from core.settings import SAME_PHOTO_MAX_DISTANCE
from tests.support.photos import crop, photo_bytes, recompress, resize, street_scene

pytestmark = pytest.mark.unit

SHANGHAI = ZoneInfo("Asia/Shanghai")

# Published pairs from two independent implementations: googollee/eviltransform's test suite
# (Shanghai, Shenzhen, Beijing) and cuihw/collection's PositionUtilTest (Zhengzhou).
REFERENCE_PAIRS = [
    ((31.1774276, 121.5272106), (31.17530398364597, 121.531541859215)),
    ((22.543847, 113.912316), (22.540796131694766, 113.9171764808363)),
    ((39.911954, 116.377817), (39.91334545536069, 116.38404722455657)),
    ((34.829793, 113.647881), (34.8287280094783, 113.65396374215176)),
]


@pytest.mark.parametrize(("wgs", "gcj"), REFERENCE_PAIRS)
def test_wgs84_to_gcj02_matches_published_pairs(wgs: tuple[float, float], gcj: tuple[float, float]) -> None:
    lat, lon = wgs84_to_gcj02(*wgs)
    assert lat == pytest.approx(gcj[0], abs=1e-9)
    assert lon == pytest.approx(gcj[1], abs=1e-9)


def test_zhengzhou_shifts_about_130_m_south_and_550_m_east() -> None:
    lat, lon = wgs84_to_gcj02(34.7466, 113.6253)
    assert lat - 34.7466 == pytest.approx(-0.00118, abs=2e-5)
    assert lon - 113.6253 == pytest.approx(0.00605, abs=2e-5)


@pytest.mark.parametrize("point", [(51.5007, -0.1246), (35.6812, 139.7671), (-33.8568, 151.2153), (0.5, 103.85),
                                   (40.0, 70.0)])
def test_outside_chinas_box_is_unchanged(point: tuple[float, float]) -> None:
    assert wgs84_to_gcj02(*point) == point


def test_the_shift_stays_under_a_kilometre_across_china() -> None:
    for lat in np.arange(18.0, 54.0, 3.0):
        for lon in np.arange(74.0, 135.0, 3.0):
            glat, glon = wgs84_to_gcj02(float(lat), float(lon))
            metres = np.hypot((glat - lat) * 111_000, (glon - lon) * 111_000 * np.cos(np.radians(lat)))
            assert 10 < metres < 1000, (lat, lon, metres)


def test_to_kb_coordinates() -> None:
    assert to_kb_coordinates(34.7466, 113.6253, "wgs84") == (34.7466, 113.6253)
    assert to_kb_coordinates(34.7466, 113.6253, "gcj02") == wgs84_to_gcj02(34.7466, 113.6253)
    with pytest.raises(ValueError, match=r"unknown coordinate system 'bd09'.*places\.yaml.*wgs84, gcj02"):
        to_kb_coordinates(34.7466, 113.6253, "bd09")


def exif_of(data: bytes) -> Image.Exif:
    return Image.open(io.BytesIO(data)).getexif()


def small_jpeg(exif: dict[str, dict[int, object]] | None = None, **options: object) -> bytes:
    if exif is None:
        return photo_bytes(Image.new("RGB", (32, 24), (90, 90, 90)), **options)  # type: ignore[arg-type]
    buffer = io.BytesIO()
    Image.new("RGB", (32, 24)).save(buffer, format="JPEG", exif=piexif.dump({"0th": {}, **exif}))
    return buffer.getvalue()


def test_reads_capture_time_with_its_offset_and_gps() -> None:
    taken = datetime(2026, 5, 1, 8, 30, 15, tzinfo=timezone(timedelta(hours=2)))
    facts = read_exif(exif_of(small_jpeg(exif_time=taken, gps=(34.7466, 113.6253))), SHANGHAI)
    assert facts.taken_at == taken
    assert facts.taken_at is not None
    assert facts.taken_at.utcoffset() == timedelta(hours=2)
    assert facts.gps_wgs84 == pytest.approx((34.7466, 113.6253), abs=1e-6)


def test_capture_time_without_offset_is_on_the_city_clock() -> None:
    facts = read_exif(exif_of(small_jpeg(exif_time=datetime(2026, 5, 1, 8, 30))), SHANGHAI)
    assert facts.taken_at == datetime(2026, 5, 1, 8, 30, tzinfo=SHANGHAI)
    assert facts.taken_at is not None
    assert facts.taken_at.utcoffset() == timedelta(hours=8)


def test_south_and_west_are_negative() -> None:
    facts = read_exif(exif_of(small_jpeg(gps=(-33.8568, -70.6483))), UTC)
    assert facts.gps_wgs84 == pytest.approx((-33.8568, -70.6483), abs=1e-6)


def test_no_exif_is_normal() -> None:
    assert read_exif(exif_of(small_jpeg()), SHANGHAI) == ExifFacts(taken_at=None, gps_wgs84=None)
    assert read_exif(Image.Exif(), SHANGHAI) == ExifFacts()


@pytest.mark.parametrize("exif", [
    {"Exif": {piexif.ExifIFD.DateTimeOriginal: b"0000:00:00 00:00:00"}},
    {"Exif": {piexif.ExifIFD.DateTimeOriginal: b"    :  :     :  :  "}},
    {"Exif": {piexif.ExifIFD.DateTimeOriginal: b"2026:13:45 99:00:00"}},
    {"GPS": {piexif.GPSIFD.GPSLatitudeRef: b"N", piexif.GPSIFD.GPSLatitude: ((34, 0), (44, 1), (0, 1)),
             piexif.GPSIFD.GPSLongitudeRef: b"E", piexif.GPSIFD.GPSLongitude: ((113, 1), (37, 1), (0, 1))}},
    {"GPS": {piexif.GPSIFD.GPSLatitudeRef: b"N", piexif.GPSIFD.GPSLatitude: ((34, 1), (44, 1), (0, 1))}},
    {"GPS": {piexif.GPSIFD.GPSLatitudeRef: b"N", piexif.GPSIFD.GPSLatitude: ((0, 1), (0, 1), (0, 1)),
             piexif.GPSIFD.GPSLongitudeRef: b"E", piexif.GPSIFD.GPSLongitude: ((0, 1), (0, 1), (0, 1))}},
    {"GPS": {piexif.GPSIFD.GPSStatus: b"V", piexif.GPSIFD.GPSLatitudeRef: b"N",
             piexif.GPSIFD.GPSLatitude: ((34, 1), (44, 1), (0, 1)), piexif.GPSIFD.GPSLongitudeRef: b"E",
             piexif.GPSIFD.GPSLongitude: ((113, 1), (37, 1), (0, 1))}},
    {"GPS": {piexif.GPSIFD.GPSLatitudeRef: b"Q", piexif.GPSIFD.GPSLatitude: ((34, 1), (44, 1), (0, 1)),
             piexif.GPSIFD.GPSLongitudeRef: b"E", piexif.GPSIFD.GPSLongitude: ((113, 1), (37, 1), (0, 1))}},
    {"GPS": {piexif.GPSIFD.GPSLatitudeRef: b"N", piexif.GPSIFD.GPSLatitude: ((95, 1), (0, 1), (0, 1)),
             piexif.GPSIFD.GPSLongitudeRef: b"E", piexif.GPSIFD.GPSLongitude: ((113, 1), (37, 1), (0, 1))}},
])
def test_broken_exif_values_read_as_missing(exif: dict[str, dict[int, object]]) -> None:
    assert read_exif(exif_of(small_jpeg(exif)), SHANGHAI) == ExifFacts()


def test_gps_rationals_combine_degrees_minutes_seconds() -> None:
    gps: dict[str, dict[int, object]] = {"GPS": {
        piexif.GPSIFD.GPSLatitudeRef: b"N", piexif.GPSIFD.GPSLatitude: ((34, 1), (44, 1), (4776, 100)),
        piexif.GPSIFD.GPSLongitudeRef: b"E", piexif.GPSIFD.GPSLongitude: ((113, 1), (3751, 100), (0, 1)),
    }}
    lat, lon = read_exif(exif_of(small_jpeg(gps)), UTC).gps_wgs84 or (0.0, 0.0)
    assert lat == pytest.approx(34 + 44 / 60 + 47.76 / 3600)
    assert lon == pytest.approx(113 + 37.51 / 60)


@pytest.mark.parametrize(("stamp", "offset", "expected"), [
    ("2026:05:01 08:30:00", "+08:00", datetime(2026, 5, 1, 8, 30, tzinfo=timezone(timedelta(hours=8)))),
    ("2026:05:01 08:30:00", "-03:30", datetime(2026, 5, 1, 8, 30, tzinfo=timezone(-timedelta(hours=3, minutes=30)))),
    (b"2026:05:01 08:30:00\x00", None, datetime(2026, 5, 1, 8, 30, tzinfo=UTC)),
    ("2026-05-01 08:30:00", "garbage", datetime(2026, 5, 1, 8, 30, tzinfo=UTC)),
    ("1970:01:01 00:00:00", None, None),
    ("yesterday", None, None),
    (12345, None, None),
])
def test_parse_exif_datetime(stamp: object, offset: object, expected: datetime | None) -> None:
    parsed = parse_exif_datetime(stamp, offset, UTC)
    assert parsed == expected
    if expected is not None and parsed is not None:
        assert parsed.utcoffset() == expected.utcoffset()


def test_hamming_counts_differing_bits_and_explains_bad_input() -> None:
    assert hamming("0" * 16, "f" * 16) == 64
    assert hamming("8000000000000001", "0000000000000000") == 2
    with pytest.raises(ValueError, match="16 hex digits, got 'abc'"):
        hamming("abc", "0" * 16)
    with pytest.raises(ValueError, match="hex digits, got 'zzzzzzzzzzzzzzzz'"):
        hamming("z" * 16, "0" * 16)


def hashes_of(data: bytes) -> PhotoHashes:
    return photo_hashes(Image.open(io.BytesIO(data)).convert("RGB"))


@pytest.fixture(scope="module")
def scenes() -> list[bytes]:
    return [photo_bytes(street_scene(seed, (640, 480)), quality=92) for seed in range(5)]


def test_copies_of_a_photo_are_within_the_threshold(scenes: list[bytes]) -> None:
    for original in scenes:
        mine = hashes_of(original)
        for copy in (recompress(original, 55), resize(original, 0.5), crop(original, 0.05), crop(original, 0.10),
                     crop(recompress(original, 70), 0.15)):
            assert photo_distance(mine, hashes_of(copy)) <= SAME_PHOTO_MAX_DISTANCE


def test_crops_need_the_crop_hashes(scenes: list[bytes]) -> None:
    """Without the centre-crop hashes a 10% crop is as far as a different photo: they are what matches it."""
    far = 0
    for original in scenes:
        whole, cropped = hashes_of(original), hashes_of(crop(original, 0.10))
        bare = photo_distance(PhotoHashes(whole.phash, whole.dhash), PhotoHashes(cropped.phash, cropped.dhash))
        far += bare > SAME_PHOTO_MAX_DISTANCE
        assert photo_distance(whole, cropped) <= SAME_PHOTO_MAX_DISTANCE
    assert far >= len(scenes) // 2


def test_different_photos_are_beyond_the_threshold(scenes: list[bytes]) -> None:
    hashes = [hashes_of(s) for s in scenes]
    for i, a in enumerate(hashes):
        for b in hashes[i + 1 :]:
            assert photo_distance(a, b) > SAME_PHOTO_MAX_DISTANCE


def test_index_finds_a_copy_by_key_and_forgets_removed_keys(scenes: list[bytes]) -> None:
    index = PhotoHashIndex()
    stored = [hashes_of(s) for s in scenes]
    for key, h in enumerate(stored):
        index.add(100 + key, h.phash, h.dhash, h.crops)
    copy = hashes_of(crop(recompress(scenes[3], 60), 0.10))
    found = index.nearest(copy.phash, copy.dhash, SAME_PHOTO_MAX_DISTANCE, copy.crops)
    assert [key for key, _ in found] == [103]
    assert found[0][1] == photo_distance(stored[3], copy)
    index.remove(103)
    assert index.nearest(copy.phash, copy.dhash, SAME_PHOTO_MAX_DISTANCE, copy.crops) == []
    assert len(index) == len(scenes) - 1


def test_index_without_crops_still_matches_whole_frame_copies(scenes: list[bytes]) -> None:
    index = PhotoHashIndex()
    h = hashes_of(scenes[0])
    index.add(1, h.phash, h.dhash)  # stored before crop hashes existed
    copy = hashes_of(resize(scenes[0], 0.5))
    assert [k for k, _ in index.nearest(copy.phash, copy.dhash, SAME_PHOTO_MAX_DISTANCE)] == [1]


def test_index_reports_each_key_once_at_its_nearest_photo_sorted_by_distance() -> None:
    index = PhotoHashIndex()
    index.add(7, "0000000000000000", "0000000000000000")
    index.add(7, "0000000000000003", "0000000000000003")
    index.add(2, "000000000000000f", "000000000000000f")
    index.add(5, "0000000000000001", "0000000000000000")
    index.add(9, "ffffffffffffffff", "0000000000000000")
    assert index.nearest("0000000000000000", "0000000000000000", 4) == [(7, 0), (5, 1), (2, 4)]
    assert index.nearest("0000000000000003", "0000000000000003", 0) == [(7, 0)]
    index.remove(7)
    assert index.nearest("0000000000000000", "0000000000000000", 4) == [(5, 1), (2, 4)]
    index.remove(12345)  # unknown keys are ignored
    with pytest.raises(ValueError, match="max_distance must be 0 or more"):
        index.nearest("0" * 16, "0" * 16, -1)


def test_index_searches_100k_photos_quickly() -> None:
    rng = np.random.default_rng(0)
    index = PhotoHashIndex()
    flat = [format(v, "016x") for v in rng.integers(0, 2**63, size=1_000_000, dtype=np.int64).tolist()]
    rows = [flat[i : i + 10] for i in range(0, len(flat), 10)]
    for key, hexes in enumerate(rows):
        index.add(key, hexes[0], hexes[1], [(hexes[i], hexes[i + 1]) for i in range(2, 10, 2)])
    query = rows[4242]
    start = time.perf_counter()
    found = index.nearest(query[0], query[1], SAME_PHOTO_MAX_DISTANCE, [(query[i], query[i + 1]) for i in (2, 4, 6, 8)])
    elapsed = time.perf_counter() - start
    assert found == [(4242, 0)]
    assert elapsed < 0.25, f"{elapsed * 1000:.0f} ms for 100,000 photos"
