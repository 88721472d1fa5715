"""Coordinates: the camera writes WGS-84; maps in mainland China (and our knowledge bases) use
GCJ-02, which shifts points by a few hundred metres. A photo's GPS is converted to the knowledge
base's system before it is compared with places."""

from __future__ import annotations

import math
from typing import Literal, get_args

CoordinateSystem = Literal["wgs84", "gcj02"]
COORDINATE_SYSTEMS: tuple[str, ...] = get_args(CoordinateSystem)

# Krasovsky 1940 ellipsoid, as the published GCJ-02 transform uses it.
_A = 6378245.0
_EE = 0.00669342162296594323


def out_of_china(lat: float, lon: float) -> bool:
    """The published transform's rough box (it also covers e.g. Seoul and Hanoi); outside it GCJ-02
    equals WGS-84. A knowledge base for a city outside mainland China uses `coordinate_system: wgs84`."""
    return not (72.004 <= lon <= 137.8347 and 0.8293 <= lat <= 55.8271)


def _delta_lat(x: float, y: float) -> float:
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (160.0 * math.sin(y / 12.0 * math.pi) + 320.0 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    return ret


def _delta_lon(x: float, y: float) -> float:
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    return ret


def wgs84_to_gcj02(lat: float, lon: float) -> tuple[float, float]:
    """WGS-84 (lat, lon) → GCJ-02 (lat, lon); unchanged outside China."""
    if out_of_china(lat, lon):
        return lat, lon
    d_lat = _delta_lat(lon - 105.0, lat - 35.0)
    d_lon = _delta_lon(lon - 105.0, lat - 35.0)
    rad = lat / 180.0 * math.pi
    magic = 1 - _EE * math.sin(rad) ** 2
    sqrt_magic = math.sqrt(magic)
    d_lat = (d_lat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrt_magic) * math.pi)
    d_lon = (d_lon * 180.0) / (_A / sqrt_magic * math.cos(rad) * math.pi)
    return lat + d_lat, lon + d_lon


def to_kb_coordinates(lat: float, lon: float, coordinate_system: str) -> tuple[float, float]:
    """A WGS-84 point in the knowledge base's coordinate system (`places.yaml: coordinate_system`)."""
    if coordinate_system == "gcj02":
        return wgs84_to_gcj02(lat, lon)
    if coordinate_system == "wgs84":
        return lat, lon
    raise ValueError(
        f"unknown coordinate system {coordinate_system!r}; "
        f"set `coordinate_system` in places.yaml to one of {', '.join(COORDINATE_SYSTEMS)}"
    )


def gcj02_to_wgs84(lat: float, lon: float) -> tuple[float, float]:
    """GCJ-02 → WGS-84 by fixed-point iteration on the forward transform (better than 1e-7 degrees,
    about a centimetre, after a few rounds)."""
    wlat, wlon = lat, lon
    for _ in range(10):
        glat, glon = wgs84_to_gcj02(wlat, wlon)
        d_lat, d_lon = glat - lat, glon - lon
        wlat, wlon = wlat - d_lat, wlon - d_lon
        if abs(d_lat) < 1e-9 and abs(d_lon) < 1e-9:
            break
    return wlat, wlon


def from_kb_coordinates(lat: float, lon: float, coordinate_system: str) -> tuple[float, float]:
    """A point in the knowledge base's coordinate system, back in WGS-84 (for Open311 answers)."""
    if coordinate_system == "gcj02":
        return gcj02_to_wgs84(lat, lon)
    return to_kb_coordinates(lat, lon, coordinate_system)  # wgs84 unchanged; anything else refused
