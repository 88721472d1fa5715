"""Personal data in a report (an ID number and a phone number in its text and in a photo's file name,
a GPS position and a device serial in the photo's EXIF), looked for everywhere it could leak: the
database, the audit log, the API's answers, the case page and the photo downloads, per role."""

from __future__ import annotations

import io
import json
import sqlite3
from pathlib import Path

import piexif
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from tests.support.photos import street_scene
from tests.support.web import add_users, log_in

pytestmark = pytest.mark.integration

ID_NUMBER = "410102199001011234"
PHONE = "13812345678"
FILENAME = f"张三身份证{ID_NUMBER}.jpg"
SERIAL = "SN-PLANTED-998877"
GPS = (34.7466, 113.6253)  # Zhengzhou
TEXT = f"纬四路上的下水道堵了，污水冒出来，我的手机{PHONE}，身份证{ID_NUMBER}"
RAW = (ID_NUMBER, PHONE)


def _dms(value: float) -> tuple[tuple[int, int], ...]:
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    seconds = round(((value - degrees) * 60 - minutes) * 60 * 100)
    return (degrees, 1), (minutes, 1), (seconds, 100)


def planted_jpeg() -> bytes:
    """A camera photo, turned on its side (orientation 6), with GPS and the camera's serial number."""
    exif = piexif.dump({
        "0th": {piexif.ImageIFD.Orientation: 6, piexif.ImageIFD.Make: b"PlantedCam"},
        "Exif": {piexif.ExifIFD.BodySerialNumber: SERIAL.encode()},
        "GPS": {piexif.GPSIFD.GPSLatitudeRef: b"N", piexif.GPSIFD.GPSLatitude: _dms(GPS[0]),
                piexif.GPSIFD.GPSLongitudeRef: b"E", piexif.GPSIFD.GPSLongitude: _dms(GPS[1])},
    })
    out = io.BytesIO()
    street_scene(3, size=(640, 480)).save(out, "JPEG", quality=90, exif=exif)
    return out.getvalue()


def _has_metadata(data: bytes) -> bool:
    with Image.open(io.BytesIO(data)) as image:
        exif = image.getexif()
        return SERIAL.encode() in data or 0x8825 in exif or bool(exif.get_ifd(0x8825))


@pytest.fixture
def report(client: TestClient, keys: dict[str, dict[str, str]]) -> dict[str, object]:
    r = client.post("/v1/reports", headers=keys["operator"], data={"text": TEXT},
                    files=[("photos", (FILENAME, planted_jpeg(), "image/jpeg"))])
    assert r.status_code == 201, r.text
    body: dict[str, object] = r.json()
    assert ID_NUMBER not in r.text
    assert PHONE not in r.text
    return body


def _photo(report: dict[str, object]) -> dict[str, str]:
    photos = report["photos"]
    assert isinstance(photos, list)
    photo: dict[str, str] = photos[0]
    return photo


def test_a_photo_file_name_is_masked_before_anything_stores_it(client: TestClient, keys: dict[str, dict[str, str]],
                                                               report: dict[str, object]) -> None:
    assert _photo(report)["filename"] == "张三身份证[身份证号].jpg"
    for role, headers in keys.items():
        case = client.get(f"/v1/cases/{report['case_id']}", headers=headers)
        assert case.status_code == 200, (role, case.text)
        assert ID_NUMBER not in case.text, role
        assert case.json()["reports"][0]["photos"][0]["filename"] == "张三身份证[身份证号].jpg", role


def test_originals_lose_their_exif_for_roles_without_personal_data(client: TestClient,
                                                                   keys: dict[str, dict[str, str]],
                                                                   report: dict[str, object]) -> None:
    sha256 = _photo(report)["sha256"]
    for role, may_see in (("supervisor", True), ("operator", True), ("dispatcher", False), ("evaluator", False)):
        got = client.get(f"/v1/photos/{sha256}", headers=keys[role])
        assert got.status_code == 200, role
        assert got.headers["content-type"] == "image/jpeg"
        assert _has_metadata(got.content) is may_see, role
        with Image.open(io.BytesIO(got.content)) as image:
            # the scrubbed copy is upright (orientation applied); the original still says "turn me"
            assert image.size == ((640, 480) if may_see else (480, 640)), role


def test_a_privacy_scan_finds_planted_data_only_where_the_role_may_see_it(
        client: TestClient, keys: dict[str, dict[str, str]], report: dict[str, object], tmp_path: Path) -> None:
    db = sqlite3.connect(client.app.state.settings.db)  # type: ignore[attr-defined]
    try:
        tables = [t for (t,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for table in tables:
            columns = [c[1] for c in db.execute(f'PRAGMA table_info("{table}")')]
            for column in columns:
                for (value,) in db.execute(f'SELECT "{column}" FROM "{table}"'):
                    text = value.decode("latin-1") if isinstance(value, bytes) else str(value)
                    for raw in (*RAW, SERIAL):
                        assert raw not in text, (table, column)
        audit = json.dumps([json.loads(p) for (p,) in db.execute("SELECT payload FROM audit_log")], ensure_ascii=False)
        assert "张三身份证[身份证号].jpg" in audit  # the scan reads the real audit log, where the photo is named
    finally:
        db.close()
    case_id = report["case_id"]
    for role, headers in keys.items():
        for path in (f"/v1/cases/{case_id}", "/v1/cases", "/v1/review-queue", f"/v1/cases/{case_id}/audit",
                     "/v1/export"):
            r = client.get(path, headers=headers)
            for raw in RAW:
                assert raw not in r.text, (role, path)
    add_users(client, "wang", "li", "zhao")
    for username in ("wang", "li", "zhao"):
        browser = log_in(TestClient(client.app, follow_redirects=False), username)
        page = browser.get(f"/ui/cases/{case_id}")
        assert page.status_code == 200, username
        assert "[身份证号]" in page.text
        for raw in RAW:
            assert raw not in page.text, username
