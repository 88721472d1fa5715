import hashlib
import io
import re
import socket
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from PIL import Image, ImageDraw, ImageFont

from classifiers.photos import (
    OcrEngine,
    PhotoHashes,
    PhotoHashIndex,
    PhotoReader,
    PhotoReading,
    PhotoRejected,
    photo_distance,
    wgs84_to_gcj02,
)
from classifiers.photos.ocr import TextBox, reading_rows
from core.photo_types import PhotoIn
from core.settings import DedupSettings, PhotoSettings
from tests.support.concurrently import concurrently
from tests.support.photos import (
    PLATE_TEXT,
    SIGN_TEXT,
    bomb_png,
    cjk_font_path,
    crop,
    declared_size_jpeg,
    fake_jpeg,
    photo_bytes,
    recompress,
    render_sign,
    resize,
    sign_photo,
    street_scene,
    truncated,
)

pytestmark = pytest.mark.integration

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture(scope="module")
def reader() -> PhotoReader:
    r = PhotoReader(PhotoSettings(), "gcj02", SHANGHAI)
    r.warm_up()
    return r


@pytest.fixture(scope="module")
def hasher() -> PhotoReader:
    """Hashes do not depend on OCR; without it the same-photo tests run in a fraction of the time."""
    return PhotoReader(PhotoSettings(ocr=False), "gcj02", SHANGHAI)


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def read(reader: PhotoReader, data: bytes, filename: str | None = "photo.jpg") -> PhotoReading:
    return reader.read(PhotoIn(data=data, filename=filename))


def hashes(reading: PhotoReading) -> PhotoHashes:
    return PhotoHashes(reading.facts.phash, reading.facts.dhash, reading.facts.crop_hashes)


def test_reads_a_chinese_sign_exactly(reader: PhotoReader) -> None:
    facts = read(reader, photo_bytes(render_sign(SIGN_TEXT))).facts
    assert squash(facts.ocr_text) == squash(SIGN_TEXT)
    assert all(line.score >= reader.settings.ocr_min_score for line in facts.ocr_lines)


@pytest.mark.slow
def test_reads_a_plate_exactly(reader: PhotoReader) -> None:
    facts = read(reader, photo_bytes(render_sign(PLATE_TEXT, size=(520, 160), background=(30, 80, 200),
                                                 color=(255, 255, 255)))).facts
    assert squash(facts.ocr_text) == squash(PLATE_TEXT)


def test_reads_a_sign_in_a_street_photo(reader: PhotoReader) -> None:
    facts = read(reader, photo_bytes(sign_photo("农业路东段 积水严重", seed=3), quality=85)).facts
    assert squash(facts.ocr_text) == "农业路东段积水严重"


def test_lines_come_in_reading_order(reader: PhotoReader) -> None:
    font = ImageFont.truetype(str(cjk_font_path()), 64)
    board = Image.new("RGB", (900, 420), "white")
    draw = ImageDraw.Draw(board)
    # drawn in scrambled order: reading order must come from the positions
    for text, xy in (("四号楼", (520, 260)), ("一号楼", (60, 60)), ("三号楼", (60, 270)), ("二号楼", (520, 50))):
        draw.text(xy, text, font=font, fill="black")
    assert reader.ocr is not None
    lines = reader.ocr.read(board)
    assert [squash(line.text) for line in lines] == ["一号楼二号楼", "三号楼四号楼"]


def test_reading_rows_group_by_vertical_overlap() -> None:
    def box(text: str, top: float, bottom: float, left: float) -> TextBox:
        return TextBox(text, 0.9, top, bottom, left, left + 50)

    rows = reading_rows([box("D", 110, 150, 300), box("B", 12, 48, 300), box("C", 100, 140, 10),
                         box("A", 10, 50, 10), box("small", 30, 40, 200)])
    assert [[b.text for b in row] for row in rows] == [["A", "small", "B"], ["C", "D"]]


def test_exif_time_and_gps_come_out_on_the_city_clock_and_in_gcj02(reader: PhotoReader) -> None:
    data = photo_bytes(street_scene(1), exif_time=datetime(2026, 5, 1, 8, 30), gps=(34.7466, 113.6253))
    facts = read(reader, data).facts
    assert facts.taken_at == datetime(2026, 5, 1, 8, 30, tzinfo=SHANGHAI)
    assert facts.gps_wgs84 == pytest.approx((34.7466, 113.6253), abs=1e-6)
    assert facts.gps_wgs84 is not None
    assert facts.lat is not None
    assert facts.lon is not None
    assert (facts.lat, facts.lon) == pytest.approx(wgs84_to_gcj02(*facts.gps_wgs84), abs=1e-12)
    assert facts.lat - 34.7466 == pytest.approx(-0.00118, abs=5e-5)  # GCJ-02 is ~130 m south, ~550 m east here
    assert facts.lon - 113.6253 == pytest.approx(0.00605, abs=5e-5)


def test_an_exif_offset_wins_and_a_wgs84_base_keeps_the_camera_position() -> None:
    taken = datetime(2026, 5, 1, 8, 30, tzinfo=timezone(timedelta(hours=2)))
    data = photo_bytes(street_scene(2), exif_time=taken, gps=(34.7466, 113.6253))
    facts = PhotoReader(PhotoSettings(ocr=False), "wgs84", SHANGHAI).read(PhotoIn(data=data)).facts
    assert facts.taken_at == taken
    assert facts.taken_at is not None
    assert facts.taken_at.utcoffset() == timedelta(hours=2)
    assert (facts.lat, facts.lon) == facts.gps_wgs84


def test_orientation_is_applied_before_ocr(reader: PhotoReader) -> None:
    sideways = render_sign(SIGN_TEXT).rotate(90, expand=True)  # as stored by a phone held sideways
    facts = read(reader, photo_bytes(sideways, orientation=6)).facts
    assert (facts.width, facts.height) == (800, 300)
    assert squash(facts.ocr_text) == squash(SIGN_TEXT)


@pytest.mark.slow
def test_a_reading_has_the_upload_a_thumbnail_and_a_vision_image(reader: PhotoReader) -> None:
    data = photo_bytes(sign_photo(PLATE_TEXT, seed=5, size=(1600, 1200)), quality=85)
    reading = read(reader, data, "IMG_0001.JPG")
    facts = reading.facts
    assert reading.data is data
    assert facts.sha256 == hashlib.sha256(data).hexdigest()
    assert (facts.format, facts.width, facts.height, facts.size_bytes) == ("jpeg", 1600, 1200, len(data))
    assert facts.filename == "IMG_0001.JPG"
    assert facts.scene is None
    assert set(facts.timings_ms) == {"validate", "exif", "hash", "ocr", "thumbnail"}
    assert len(facts.phash) == len(facts.dhash) == 16
    assert len(facts.crop_hashes) == 4
    thumbnail = Image.open(io.BytesIO(reading.thumbnail))
    assert thumbnail.format == "JPEG"
    assert max(thumbnail.size) == 320
    assert reading.image.mode == "RGB"
    assert reading.image.size == (1024, 768)


def test_ocr_can_be_switched_off() -> None:
    facts = PhotoReader(PhotoSettings(ocr=False)).read(PhotoIn(data=photo_bytes(render_sign(SIGN_TEXT)))).facts
    assert facts.ocr_text == ""
    assert facts.ocr_lines == ()
    assert "ocr" not in facts.timings_ms


def test_the_same_photo_sent_again_is_within_the_threshold(hasher: PhotoReader) -> None:
    original = photo_bytes(sign_photo(SIGN_TEXT, seed=11), quality=92)
    mine = hashes(read(hasher, original))
    copies = {"recompressed q60": recompress(original, 60), "resized ½": resize(original, 0.5),
              "cropped 10%": crop(original, 0.10), "cropped 15%, q70": recompress(crop(original, 0.15), 70)}
    index = PhotoHashIndex()
    index.add(1, mine.phash, mine.dhash, mine.crops)
    for name, copy in copies.items():
        theirs = hashes(read(hasher, copy))
        assert photo_distance(mine, theirs) <= DedupSettings().same_photo_max_distance, name
        assert [k for k, _ in index.nearest(theirs.phash, theirs.dhash, DedupSettings().same_photo_max_distance,
                                            theirs.crops)] == [1], name


def test_different_photos_are_beyond_the_threshold(hasher: PhotoReader) -> None:
    photos = [photo_bytes(street_scene(seed)) for seed in (20, 21, 22)]
    photos += [photo_bytes(sign_photo(text, seed=30 + i)) for i, text in enumerate((SIGN_TEXT, PLATE_TEXT))]
    found = [hashes(read(hasher, p)) for p in photos]
    for i, a in enumerate(found):
        for b in found[i + 1 :]:
            assert photo_distance(a, b) > DedupSettings().same_photo_max_distance


@pytest.mark.parametrize(("data", "message"), [
    (bomb_png(), "20000×20000 = 400 megapixels, over the limit of 40"),
    (declared_size_jpeg(9000, 5000), "9000×5000 = 45 megapixels, over the limit of 40"),
    (b"\xff\xd8\xff" + bytes(10_100_000), "10.1 MB, over the limit of 10 MB"),
    (fake_jpeg("gif"), "is a GIF image, not a JPEG, PNG or WebP photo"),
    (fake_jpeg("text"), "is text, not a JPEG, PNG or WebP photo"),
    (truncated(photo_bytes(street_scene(4), quality=95), 0.4), "damaged or incomplete JPEG file"),
])
def test_refuses_unusable_uploads_with_a_helpful_message(reader: PhotoReader, data: bytes, message: str) -> None:
    with pytest.raises(PhotoRejected) as caught:
        read(reader, data, "upload.jpg")
    assert message in str(caught.value)
    assert str(caught.value).startswith("'upload.jpg' ")


@pytest.mark.slow
def test_models_load_from_the_wheel_without_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("OCR tried to open a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    engine = OcrEngine()
    engine.warm_up()
    assert squash("".join(line.text for line in engine.read(render_sign("路灯不亮")))) == "路灯不亮"


@pytest.mark.slow
def test_reads_the_same_from_two_threads_at_once(reader: PhotoReader) -> None:
    data = photo_bytes(sign_photo("前方施工 车辆慢行", seed=8), quality=88)
    alone = read(reader, data).facts
    for facts in (r.facts for r in concurrently(lambda: read(reader, data), 2)):
        assert (facts.ocr_text, facts.phash, facts.dhash) == (alone.ocr_text, alone.phash, alone.dhash)
        assert squash(facts.ocr_text) == "前方施工车辆慢行"
