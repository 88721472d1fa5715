"""Finds the place a report names and resolves it to street and district (its jurisdiction)."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import pairwise

import ahocorasick

from classifiers.text import strip_boilerplate
from core.component import LoadOnce
from core.types import Place, PlaceRef
from knowledge.grids import GridIndex
from knowledge.loader import KnowledgeBase

_CROSSING_JOIN = re.compile(r"^\s*(与|和|跟|同|、|/|／|交|及|&|and)\s*$", re.IGNORECASE)
_CROSSING_AFTER = re.compile(r"^\s*(那个|这个|那|这)?\s*"
                             r"(交叉口|交汇处|交口|十字路口|路口|口|交叉|附近|往|向|东|西|南|北|crossing|intersection)",
                             re.IGNORECASE)
_DETAIL = re.compile(
    r"([\u4e00-\u9fff]{2,5}(小区|花园|家园|苑|公寓|大厦|广场|商场|市场|社区|新村|村|学校|小学|中学|医院|公园|号院))"
    r"|(\d{1,4}号(院|楼)?)|(\d{1,3}号楼\d{0,2}单元?)"
)
# A road the gazetteer does not know ("第九大街"), named where no known road, crossing or landmark is.
_ROAD_LIKE = re.compile(r"[\u4e00-\u9fff\d]{2,6}?(大道|大街|路|街)(?![道办])")
# Characters no proper place name starts with or contains: the words around a name in speech
# (一个小区, 我们小区, 站在…, 那个口); a candidate containing one is not a name.
_NOT_NAME = set("一个这那我你他她们在的了站有是边旁附近对面里上下去来到从往向"
                "就还也都被把给让和跟与及或哪啥么呢吧啊呀嘛于请某")
# Words that describe an estate rather than name it (老旧小区, 破旧楼房).
_DESCRIPTIONS = ("老旧", "破旧", "陈旧", "新建", "老", "旧", "大型", "整个")
_COMMON_WAYS = {"马路", "公路", "道路", "小路", "大路", "街道", "大街", "路口", "走路", "过马路", "修路",
                "铁路", "网路"}
_OTHER_CITY = re.compile(r"([\u4e00-\u9fff]{2,4}(市|县))")
_NOT_CITIES = ("城市", "超市", "门市", "夜市", "菜市", "集市", "早市", "菜市场", "本市", "全市", "我市", "该市")


@dataclass(frozen=True)
class _Name:
    kind: str  # district | street | landmark | road | community
    id: str
    name: str


@dataclass(frozen=True)
class _Hit:
    start: int
    end: int
    entry: _Name


class PlaceResolver(LoadOnce):
    """Gazetteer matching (longest names first) over the knowledge base's places, then resolution:
    landmark → its street; road crossing → the street both roads share; street or community →
    itself; road alone → the streets it passes (ambiguous when several); district only → district.
    With a grid index, the place's grid: that of the pin or the landmark, else its street's grids."""

    def __init__(self, kb: KnowledgeBase, grids: GridIndex | None = None) -> None:
        super().__init__()
        self.kb = kb
        self.grids = grids
        self._automaton: ahocorasick.Automaton | None = None
        self._city_names: set[str] = set()

    def _load(self) -> None:
        automaton = ahocorasick.Automaton()
        entries = _gazetteer(self.kb)
        for word, entry in entries.items():
            automaton.add_word(word, (len(word), entry))
        automaton.make_automaton()
        self._automaton = automaton
        city = self.kb.meta.city
        self._city_names = {city, city.removesuffix("市")}
        if self.grids is not None:
            self.grids.warm_up()

    def _hits(self, text: str) -> list[_Hit]:
        assert self._automaton is not None, "call warm_up() first"
        found = [
            _Hit(end - length + 1, end + 1, entry)
            for end, (length, entry) in self._automaton.iter(text)
        ]
        # longest match wins; a shorter name inside a longer one (文化路 in 文化路街道) is dropped
        found.sort(key=lambda h: (-(h.end - h.start), h.start))
        taken: list[_Hit] = []
        for hit in found:
            if all(hit.end <= t.start or hit.start >= t.end for t in taken):
                taken.append(hit)
        return sorted(taken, key=lambda h: h.start)

    def content(self, text: str) -> str:
        """The text without the place names it mentions and without greetings and politeness
        (what is wrong, not where or how it was said); the text itself when nothing else is left."""
        self.warm_up()
        out, last = [], 0
        for hit in self._hits(text):
            out.append(text[last : hit.start])
            last = hit.end
        out.append(text[last:])
        stripped = strip_boilerplate("".join(out)).strip()
        return stripped if any(c.isalnum() for c in stripped) else text

    def resolve(self, text: str, address: str | None = None, lat: float | None = None,
                lon: float | None = None) -> Place:
        self.warm_up()
        source = f"{address} {text}" if address else text
        hits = self._hits(source)
        kb = self.kb
        evidence = [f"{h.entry.kind}:{source[h.start:h.end]}" for h in hits]
        landmarks = [h for h in hits if h.entry.kind == "landmark"]
        streets = [h for h in hits if h.entry.kind in ("street", "community")]
        roads = [h for h in hits if h.entry.kind == "road"]
        districts = [h for h in hits if h.entry.kind == "district"]

        street_ids, landmark, crossing = self._named_streets(source, landmarks, streets, roads)

        district_id = districts[0].entry.id if districts else None
        if district_id and len(street_ids) > 1:
            narrowed = [s for s in street_ids if kb.streets[s].district == district_id]
            street_ids = narrowed or street_ids
        if not street_ids and not district_id and lat is not None and lon is not None:
            nearest = self._nearest_street(lat, lon)
            if nearest:
                street_ids = [nearest]
                evidence.append("coordinates:nearest street centre")
        street = kb.streets[street_ids[0]] if len(street_ids) == 1 else None
        if street is not None:
            district_id = street.district
        elif street_ids and len({kb.streets[s].district for s in street_ids}) == 1:
            district_id = kb.streets[street_ids[0]].district
        district = kb.districts.get(district_id) if district_id else None

        center = point = None  # the point a grid is found from: a pin (or a photo's GPS) or a landmark
        if landmark and kb.landmarks[landmark.id].center:
            center = point = kb.landmarks[landmark.id].center
        elif street and street.center:
            center = street.center
        if lat is not None and lon is not None:
            center = point = (lat, lon)
        place_text = source[hits[0].start : hits[-1].end] if hits else None
        detail = _detail(source, hits, unknown_road=not (landmarks or roads))
        place = Place(
            text=place_text or address,
            district=PlaceRef(id=district.id, name=district.name) if district else None,
            street=PlaceRef(id=street.id, name=street.name) if street else None,
            street_candidates=tuple(
                PlaceRef(id=s, name=kb.streets[s].name) for s in street_ids
            ) if len(street_ids) > 1 else (),
            landmark=landmark,
            roads=tuple(PlaceRef(id=h.entry.id, name=h.entry.name) for h in _unique(roads)),
            crossing=crossing,
            detail=detail,
            lat=center[0] if center else None,
            lon=center[1] if center else None,
            outside_city=self._other_city(source, bool(hits)),
            evidence=tuple(evidence),
        )
        return self.grids.place(place, point) if self.grids is not None else place

    def _named_streets(self, source: str, landmarks: list[_Hit], streets: list[_Hit], roads: list[_Hit]
                       ) -> tuple[list[str], PlaceRef | None, tuple[str, ...]]:
        """The streets the names point to (a street or community named outright, else a landmark's,
        else the street two crossing roads share, else a road's), the landmark and the crossing."""
        kb = self.kb
        street_ids: list[str] = []
        landmark: PlaceRef | None = None
        crossing: tuple[str, ...] = ()
        if landmarks:
            lm = kb.landmarks[landmarks[0].entry.id]
            landmark = PlaceRef(id=lm.id, name=lm.name)
            street_ids = list(lm.street_ids)
        if streets:
            street_ids = [streets[0].entry.id]
        pair = _crossing(source, roads)
        if pair:
            a, b = (kb.roads[h.entry.id] for h in pair)
            crossing = tuple(sorted((a.id, b.id)))
            shared = [s for s in a.streets if s in b.streets]
            if not street_ids:
                street_ids = shared or sorted(set(a.streets) | set(b.streets))
        elif roads and not street_ids:
            street_ids = list(kb.roads[roads[0].entry.id].streets)
        return street_ids, landmark, crossing

    def _nearest_street(self, lat: float, lon: float, max_km: float = 3.0) -> str | None:
        best, best_km = None, max_km
        for s in self.kb.streets.values():
            if s.center:
                km = distance_km(lat, lon, *s.center)
                if km < best_km:
                    best, best_km = s.id, km
        return best

    def _other_city(self, text: str, has_local_place: bool) -> str | None:
        """A city or county named in the text that is not this knowledge base's city."""
        if has_local_place:
            return None
        for match in _OTHER_CITY.finditer(text):
            name = match.group(1)
            if any(c in name for c in self._city_names) or name.endswith(_NOT_CITIES):
                continue
            if any(name in d.name or d.name in name for d in self.kb.districts.values()):
                continue
            return name
        return None


def place_match(a: Place, b: Place) -> float:
    """How likely two places are the same spot: 1 the same spot, 0 clearly different, 0.5 unknown.

    The same landmark, crossing or named estate is the same spot; two different crossings are
    different spots; otherwise the streets decide (never the same spot across streets), and a shared
    road or a landmark on a crossing's street makes it nearer."""
    if a.landmark and b.landmark and a.landmark.id == b.landmark.id:
        return 1.0
    if a.crossing and b.crossing:
        return 1.0 if a.crossing == b.crossing else 0.0
    streets_a = {s.id for s in ((a.street,) if a.street else a.street_candidates)}
    streets_b = {s.id for s in ((b.street,) if b.street else b.street_candidates)}
    apart = bool(streets_a and streets_b and not streets_a & streets_b)
    if a.detail and b.detail and _same_detail(a.detail, b.detail) and not apart:
        return 1.0
    if streets_a and streets_b:
        if not streets_a & streets_b:
            return 0.0
        roads_a, roads_b = {r.id for r in a.roads}, {r.id for r in b.roads}
        if roads_a & roads_b:
            return 0.85
        if roads_a and roads_b:
            return 0.3
        return 0.7
    if a.district and b.district and a.district.id != b.district.id:
        return 0.0
    return 0.5


def _detail(text: str, hits: list[_Hit], unknown_road: bool) -> str | None:
    """A named estate, building or house number outside the gazetteer's names, or, where no known
    road or landmark was named, a road it does not know; never a splice of a known name and the words
    around it."""
    outside = list(text)
    for h in hits:  # the known names are blanked out, so no candidate can overlap one
        outside[h.start : h.end] = "|" * (h.end - h.start)
    rest = "".join(outside)

    def named(candidate: str, suffix_len: int) -> bool:
        stem = candidate[: len(candidate) - suffix_len]
        return (len(stem) >= 2 and not (set(stem) & _NOT_NAME) and candidate not in _COMMON_WAYS
                and not stem.endswith(_DESCRIPTIONS))

    for m in _DETAIL.finditer(rest):
        if m.group(1) is None or named(m.group(1), len(m.group(2))):
            return m.group(0)
    if unknown_road:
        for m in _ROAD_LIKE.finditer(rest):
            if named(m.group(0), len(m.group(1))):
                return m.group(0)
    return None


def _same_detail(a: str, b: str) -> bool:
    """`我是英协花园` and `英协花园` name the same estate: the shorter inside the longer, at its end."""
    short, long = sorted((a, b), key=len)
    return len(short) >= 3 and long.endswith(short)


_RANK = {"landmark": 0, "community": 1, "street": 2, "road": 3, "district": 4}


def _gazetteer(kb: KnowledgeBase) -> dict[str, _Name]:
    """Every name and alias of a place, each to one place: a landmark before a community before a
    street before a road before a district."""
    entries: dict[str, _Name] = {}
    for word, entry in _names(kb):
        word = word.strip()
        if len(word) < 2:
            continue
        current = entries.get(word)
        if current is None or _RANK[entry.kind] < _RANK[current.kind]:
            entries[word] = entry
    return entries


def _names(kb: KnowledgeBase) -> Iterator[tuple[str, _Name]]:
    for d in kb.districts.values():
        for w in (d.name, *d.aliases):
            yield w, _Name("district", d.id, d.name)
    for s in kb.streets.values():
        base = s.name.removesuffix("街道").removesuffix("办事处")
        for w in (s.name, *s.aliases, base + "办事处", base + "街道办"):
            yield w, _Name("street", s.id, s.name)
        for c in s.communities:
            yield c, _Name("community", s.id, c)
    for lm in kb.landmarks.values():
        for w in (lm.name, *lm.aliases):
            yield w, _Name("landmark", lm.id, lm.name)
    for road in kb.roads.values():
        for w in (road.name, *road.aliases):
            yield w, _Name("road", road.id, road.name)


def _crossing(text: str, roads: list[_Hit]) -> tuple[_Hit, _Hit] | None:
    for first, second in pairwise(roads):
        if first.entry.id == second.entry.id:
            continue
        between = text[first.end : second.start]
        after = text[second.end : second.end + 6]
        if _CROSSING_JOIN.match(between) or (not between.strip() and _CROSSING_AFTER.match(after)):
            return first, second
        if len(between) <= 1 and _CROSSING_AFTER.match(after):
            return first, second
    return None


def _unique(hits: list[_Hit]) -> list[_Hit]:
    seen: set[str] = set()
    out = []
    for h in hits:
        if h.entry.id not in seen:
            seen.add(h.entry.id)
            out.append(h)
    return out


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance between two points, in kilometres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(h))
