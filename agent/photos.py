"""The photo stage: every photo of a report validated and read (OCR, EXIF, hashes, and the scene
when a vision backend is set), and the category of a report that only a photo describes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from agent.intake import ReportRejected
from classifiers.photos import PhotoReader, PhotoRejected
from classifiers.vision import VisionBackend, VisualCandidate
from core.messages import message
from core.photo_types import PhotoBlob, PhotoFacts, PhotoIn
from core.types import CategoryRef, CategoryScore, Classification
from knowledge.loader import KnowledgeBase


@dataclass(frozen=True)
class PhotosRead:
    facts: tuple[PhotoFacts, ...] = ()
    blobs: tuple[PhotoBlob, ...] = ()


class PhotoStage:
    """`run` reads a report's photos; one bad photo refuses the whole report, naming the photo,
    before anything is stored. The OCR models load on `warm_up` or on the first photo."""

    def __init__(self, kb: KnowledgeBase, reader: PhotoReader, category_ref: Callable[[str], CategoryRef],
                 max_photos: int, vision: VisionBackend | None = None,
                 candidates: tuple[VisualCandidate, ...] = ()) -> None:
        self.kb, self.reader, self.category_ref, self.max_photos = kb, reader, category_ref, max_photos
        self.vision, self.candidates = vision, candidates

    def warm_up(self) -> None:
        self.reader.warm_up()
        if self.vision is not None:
            self.vision.warm_up()

    def run(self, photos: tuple[PhotoIn, ...]) -> PhotosRead:
        if not photos:
            return PhotosRead()
        if len(photos) > self.max_photos:
            raise ReportRejected(message("report.too_many_photos", n=len(photos), limit=self.max_photos))
        facts, blobs = [], []
        for number, photo in enumerate(photos, 1):
            try:
                reading = self.reader.read(photo)
            except PhotoRejected as exc:
                name = message("photo.named", filename=photo.filename) if photo.filename else ""
                values = {k: message(f"photo.kind.{v}") if k == "kind" else v for k, v in exc.values.items()}
                raise ReportRejected(message("report.photo", number=number, name=name,
                                             reason=message(f"photo.{exc.code}", **values))) from exc
            fact = reading.facts
            if self.vision is not None and self.candidates:
                fact = fact.model_copy(update={"scene": self.vision.classify(reading.image, self.candidates)})
            facts.append(fact)
            blobs.append(PhotoBlob(sha256=fact.sha256, format=fact.format, data=reading.data,
                                   thumbnail=reading.thumbnail))
        return PhotosRead(tuple(facts), tuple(blobs))

    def classify(self, photos: tuple[PhotoFacts, ...]) -> Classification:
        """A report with nothing to read: the scene a vision backend saw, or the knowledge base's
        category for a person to decide."""
        kb, ref = self.kb, self.category_ref
        guesses = [p.scene for p in photos if p.scene is not None and p.scene.category_id in kb.leaves]
        if guesses:
            best = max(guesses, key=lambda g: g.score or 0.0)
            assert best.category_id is not None
            scored = [(best.category_id, best.score or 0.0),
                      *((cid, p) for cid, p in best.alternatives if cid in kb.leaves and cid != best.category_id)]
            return Classification(category=ref(best.category_id), confidence=round(best.score or 0.0, 4),
                                  alternatives=tuple(CategoryScore(category=ref(cid), probability=p)
                                                     for cid, p in scored), source="photo")
        leaf = kb.policy.photo_only_category
        if leaf is None:
            raise ReportRejected(message("report.photo_only_unread"))
        return Classification(category=ref(leaf), confidence=0.0, source="none",
                              alternatives=(CategoryScore(category=ref(leaf), probability=1.0),))
