"""The stateless, expensive parts of triage, built from the settings and loaded once: shared by
every pipeline over any store (the API's, a batch's worker processes, an evaluation's)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from zoneinfo import ZoneInfo

from agent.photos import PhotoStage
from agent.router import Router
from classifiers.category import CategoryClassifier
from classifiers.embedders import Embedder, make_embedder
from classifiers.labels import LabelModel, foreign_labels
from classifiers.photos import PhotoReader
from classifiers.text import Tokenizer
from classifiers.urgency import UrgencyDetector
from classifiers.vision import VisionBackend, make_vision, visual_candidates
from core.component import Component
from core.settings import Settings
from core.timing import timed
from knowledge.duty_index import DutyIndex
from knowledge.grids import GridIndex
from knowledge.loader import KnowledgeBase, load_kb
from knowledge.places import PlaceResolver


@dataclass
class Models:
    kb: KnowledgeBase
    embedder: Embedder
    tokenizer: Tokenizer
    places: PlaceResolver
    classifier: CategoryClassifier
    urgency: UrgencyDetector
    router: Router
    photos: PhotoStage  # OCR loads on the first photo (or `warm_up_photos`), not for text reports
    warm_up_ms: dict[str, float] = field(default_factory=dict)

    @classmethod
    def build(cls, settings: Settings, kb: KnowledgeBase) -> Models:
        """Every component constructed (light: nothing loads yet)."""
        embedder = make_embedder(settings.embedder)
        tokenizer = Tokenizer(kb.vocabulary())
        places = PlaceResolver(kb, GridIndex(kb.grids, settings.grids))
        classifier = CategoryClassifier(kb, embedder, tokenizer, text_filter=places.content,
                                        embed_max_chars=settings.embed_max_chars, model_dir=settings.model_dir)
        return cls(
            kb=kb, embedder=embedder, tokenizer=tokenizer, places=places, classifier=classifier,
            urgency=UrgencyDetector(kb, embedder, tokenizer, classifier, text_filter=places.content,
                                    settings=settings.urgency, embed_max_chars=settings.embed_max_chars),
            router=Router(kb, DutyIndex(kb, embedder, tokenizer), settings.router),
            photos=PhotoStage(kb, PhotoReader(settings.photos, kb.coordinate_system, ZoneInfo(kb.meta.timezone)),
                              classifier.category_ref, settings.photos.max_photos,
                              vision=make_vision(settings.vision), candidates=visual_candidates(kb)),
        )

    @classmethod
    def load(cls, settings: Settings) -> Models:
        """Built and warmed up for text reports, with each component's load time in `warm_up_ms`."""
        timings: dict[str, float] = {}
        with timed(timings, "kb"):
            kb = load_kb(settings.kb_dir)
        models = cls.build(settings, kb)
        for name, component in models.text_components().items():
            with timed(timings, name):
                component.warm_up()
        models.warm_up_ms = timings
        return models

    @classmethod
    def load_for_model(cls, settings: Settings) -> tuple[Models, LabelModel | None]:
        """As `load`, when `settings.model_dir` holds a model of the knowledge base's categories;
        when its labels are another set, the knowledge base's own models with only the text parts
        warmed (embedder, tokenizer, places) and that model apart, ready to label reports."""
        if not settings.model_dir:
            return cls.load(settings), None
        timings: dict[str, float] = {}
        with timed(timings, "kb"):
            kb = load_kb(settings.kb_dir)
        if not foreign_labels(settings.model_dir, list(kb.leaves)):
            return cls.load(settings), None
        models = cls.build(settings.model_copy(update={"model_dir": None}), kb)
        labeller = LabelModel(settings.model_dir, models.embedder, models.tokenizer, models.places.content)
        for name, component in (("embedder", models.embedder), ("tokenizer", models.tokenizer),
                                ("places", models.places), ("labels", labeller)):
            with timed(timings, name):
                component.warm_up()
        models.warm_up_ms = timings
        return models, labeller

    def text_components(self) -> dict[str, Component]:
        """What a text report needs, in load order (a component also loads what it uses first)."""
        components: dict[str, Component] = {
            "embedder": self.embedder, "tokenizer": self.tokenizer, "places": self.places,
            "classifier": self.classifier, "urgency": self.urgency, "router": self.router}
        if self.photos.vision is not None:
            components["vision"] = self.photos.vision
        return components

    def with_vision(self, vision: VisionBackend | None) -> Models:
        """The same models with another vision backend reading the photos (None: no backend)."""
        p = self.photos
        photos = PhotoStage(self.kb, p.reader, p.category_ref, p.max_photos, vision=vision, candidates=p.candidates)
        return replace(self, photos=photos)

    def warm_up_photos(self) -> None:
        """Load the OCR models now rather than on the first photo (a server does this at start)."""
        with timed(self.warm_up_ms, "photos"):
            self.photos.warm_up()
