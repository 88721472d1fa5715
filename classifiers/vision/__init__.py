"""Scene classification for report photos behind one interface; the backend is chosen by configuration
(`none`, the default, ships no model; `clip` and `vision-openai` need a model the user provides;
`fake` answers from a script, for tests and drills)."""

from classifiers.vision.base import (
    SceneAnswer,
    VisionBackend,
    VisionUnavailable,
    VisualCandidate,
    make_vision,
    prepare_image,
    visual_candidates,
)

__all__ = [
    "SceneAnswer",
    "VisionBackend",
    "VisionUnavailable",
    "VisualCandidate",
    "make_vision",
    "prepare_image",
    "visual_candidates",
]
