import io
import time
import warnings

import numpy as np
import pytest
from PIL import Image

from classifiers.photos import PhotoReader
from classifiers.photos.validate import PhotoRejected, PhotoValidator, header_size, sniff_format
from core.settings import PhotoSettings
from tests.support.photos import bomb_png, declared_size_jpeg, fake_jpeg, photo_bytes, truncated

pytestmark = pytest.mark.unit


def encoded(image: Image.Image, format: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=format, **options)
    return buffer.getvalue()


def halves(size: tuple[int, int] = (200, 100)) -> Image.Image:
    """Left half red, right half blue: orientation is visible in the pixels."""
    image = Image.new("RGB", size, (255, 0, 0))
    image.paste((0, 0, 255), (size[0] // 2, 0, size[0], size[1]))
    return image


@pytest.mark.parametrize(("pil_format", "expected"), [("JPEG", "jpeg"), ("PNG", "png"), ("WEBP", "webp")])
def test_accepts_jpeg_png_and_webp_as_rgb(pil_format: str, expected: str) -> None:
    checked = PhotoValidator().check(encoded(halves(), pil_format), "photo")
    assert checked.format == expected
    assert checked.image.mode == "RGB"
    assert (checked.width, checked.height) == (200, 100)


def test_the_type_comes_from_the_content_not_the_name() -> None:
    png = encoded(halves(), "PNG")
    assert PhotoValidator().check(png, "holiday.jpg").format == "png"


@pytest.mark.parametrize(("kind", "named"), [
    ("gif", "a GIF image"), ("bmp", "a BMP image"), ("tiff", "a TIFF image"),
    ("text", "text"), ("html", "an HTML page"), ("heic", "a HEIC/HEIF photo"),
])
def test_refuses_other_files_named_jpg_saying_what_they_are(kind: str, named: str) -> None:
    with pytest.raises(PhotoRejected) as caught:
        PhotoValidator().check(fake_jpeg(kind), "photo.jpg")
    message = str(caught.value)
    assert f"'photo.jpg' is {named}, not a JPEG, PNG or WebP photo" in message
    assert "upload it again" in message or "Most Compatible" in message


def test_heic_gets_the_iphone_setting_to_change() -> None:
    with pytest.raises(PhotoRejected, match="Settings → Camera → Formats → Most Compatible"):
        PhotoValidator().check(fake_jpeg("heic"), "IMG_0001.HEIC")


def test_refuses_empty_uploads() -> None:
    with pytest.raises(PhotoRejected, match="is empty"):
        PhotoValidator().check(b"", "x.jpg")


def test_refuses_files_over_the_byte_limit_before_looking_inside() -> None:
    data = b"\xff\xd8\xff" + bytes(10_500_000)
    with pytest.raises(PhotoRejected, match=r"10\.5 MB, over the limit of 10 MB; send a smaller photo"):
        PhotoValidator().check(data, "big.jpg")


def test_refuses_more_pixels_than_the_limit_from_the_jpeg_header() -> None:
    # The pixel data is a 64×48 image: had it been decoded, the error would be about damage, not size.
    data = declared_size_jpeg(8000, 6000)
    with pytest.raises(PhotoRejected, match="8000×6000 = 48 megapixels, over the limit of 40"):
        PhotoValidator().check(data, "huge.jpg")


@pytest.mark.parametrize(("width", "height"), [(20_000, 20_000), (12_000, 12_000), (9_000, 9_000)])
def test_refuses_png_bombs_quickly_without_pillow_warnings(width: int, height: int) -> None:
    data = bomb_png(width, height)
    assert len(data) < 200
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        with pytest.raises(PhotoRejected) as caught:
            PhotoValidator().check(data, "bomb.png")
    assert time.perf_counter() - start < 0.5, "a bomb must be refused from its header, not decoded"
    assert f"{width}×{height}" in str(caught.value)
    assert "megapixels, over the limit of 40" in str(caught.value)
    assert not seen, [str(w.message) for w in seen]


def test_a_pillow_bomb_error_becomes_a_rejection(monkeypatch: pytest.MonkeyPatch) -> None:
    # A header our own parser cannot read falls through to Pillow, whose bomb check must not escape.
    monkeypatch.setattr("classifiers.photos.validate.header_size", lambda data, fmt: None)
    with pytest.raises(PhotoRejected, match="declares too many pixels"):
        PhotoValidator().check(bomb_png(20_000, 20_000), "bomb.png")


@pytest.mark.parametrize("pil_format", ["JPEG", "PNG"])
def test_refuses_truncated_uploads(pil_format: str) -> None:
    noisy = Image.fromarray(np.random.default_rng(0).integers(0, 255, (300, 400, 3), dtype=np.uint8))
    with pytest.raises(PhotoRejected, match=r"damaged or incomplete .* send the photo again"):
        PhotoValidator().check(truncated(encoded(noisy, pil_format)), "cut.jpg")


def test_refuses_garbage_behind_a_jpeg_signature() -> None:
    with pytest.raises(PhotoRejected, match="starts like a JPEG file but is not a readable one"):
        PhotoValidator().check(b"\xff\xd8\xff\xe0" + b"\x00\x10JFIF" + bytes(range(256)) * 4, "x.jpg")


@pytest.mark.parametrize(("orientation", "size", "first_colour"), [
    (1, (200, 100), (255, 0, 0)),  # as stored: the red half is on the left
    (6, (100, 200), (255, 0, 0)),  # turn right: the left (red) half becomes the top
    (8, (100, 200), (0, 0, 255)),  # turn left: the right (blue) half becomes the top
])
def test_applies_the_exif_orientation(orientation: int, size: tuple[int, int], first_colour: tuple[int, ...]) -> None:
    checked = PhotoValidator().check(photo_bytes(halves(), orientation=orientation), "phone.jpg")
    assert checked.image.size == size
    first_quarter = np.asarray(checked.image)[size[1] // 4, size[0] // 4]  # top-left of the upright photo
    assert np.abs(first_quarter.astype(int) - np.array(first_colour)).max() < 40, first_quarter


def test_transparent_png_gets_a_white_background() -> None:
    image = Image.new("RGBA", (40, 40), (0, 0, 0, 0))
    image.paste((0, 0, 0, 255), (10, 10, 30, 30))
    pixels = np.asarray(PhotoValidator().check(encoded(image, "PNG")).image)
    assert tuple(pixels[0, 0]) == (255, 255, 255)
    assert tuple(pixels[20, 20]) == (0, 0, 0)


def test_sixteen_bit_greyscale_keeps_its_contrast() -> None:
    ramp = np.tile(np.linspace(0, 65535, 64, dtype=np.uint16), (16, 1))
    pixels = np.asarray(PhotoValidator().check(encoded(Image.fromarray(ramp), "PNG")).image)
    assert pixels[:, 0].max() < 10
    assert pixels[:, -1].min() > 245


def test_cmyk_jpeg_becomes_rgb() -> None:
    checked = PhotoValidator().check(encoded(Image.new("CMYK", (20, 20), (0, 255, 255, 0)), "JPEG"))
    assert checked.image.mode == "RGB"
    r, g, b = checked.image.getpixel((10, 10))  # type: ignore[misc]
    assert r > 200
    assert g < 60
    assert b < 60


@pytest.mark.parametrize(("pil_format", "options"), [
    ("JPEG", {}), ("PNG", {}), ("WEBP", {"quality": 80}), ("WEBP", {"lossless": True}),
    ("WEBP", {"exif": b"Exif\x00\x00II*\x00\x08\x00\x00\x00\x00\x00\x00\x00\x00\x00"}),  # VP8X
])
def test_header_size_agrees_with_pillow(pil_format: str, options: dict[str, object]) -> None:
    data = encoded(halves((333, 222)), pil_format, **options)
    fmt = sniff_format(data)
    assert fmt is not None
    assert header_size(data, fmt) == (333, 222)


def test_limits_are_checked_when_configured() -> None:
    with pytest.raises(ValueError, match="decompression-bomb limit"):
        PhotoValidator(max_pixels=200_000_000)
    with pytest.raises(PhotoRejected, match="over the limit of 1 MB"):
        PhotoValidator(max_bytes=1_000_000).check(b"\x89PNG\r\n\x1a\n" + bytes(1_200_000))


def test_photo_settings_refuse_unknown_keys_and_unsafe_limits() -> None:
    with pytest.raises(ValueError, match="max_pixel"):
        PhotoSettings(max_pixel=1)  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="less than or equal to 89478485"):
        PhotoSettings(max_pixels=100_000_000)


def test_reader_refuses_an_unknown_coordinate_system() -> None:
    with pytest.raises(ValueError, match=r"unknown coordinate system 'bd09'; set `coordinate_system` in places\.yaml"):
        PhotoReader(PhotoSettings(ocr=False), "bd09")


def test_a_refusal_survives_the_trip_back_from_a_worker_process() -> None:
    import pickle

    with pytest.raises(PhotoRejected) as caught:
        PhotoValidator().check(b"", "a.jpg")
    again = pickle.loads(pickle.dumps(caught.value))
    assert (str(again), again.code, again.values) == (str(caught.value), "empty", {})
