"""Text in photos (street signs, house numbers, plates, notices) with RapidOCR.

The models ship inside the rapidocr wheel and load from there: nothing is downloaded. One engine
serves every thread; onnxruntime sessions may be run concurrently."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from PIL import Image, ImageOps

from classifiers.lazy import require
from classifiers.photos.scale import fit_within
from core.component import LoadOnce
from core.photo_types import OcrLine
from core.settings import OCR_MAX_SIDE, OCR_MIN_SCORE

# Measured on synthetic sign photos (1600×1200 and 4000×3000, signs 10-60% of the width): at 1280 px
# on the long side every sign down to 15% of the width was read exactly and a 12 MP photo took half
# the time of RapidOCR's own 2000 px cap; 960 px started to misread small signs.
DEFAULT_MAX_SIDE = OCR_MAX_SIDE
DEFAULT_MIN_SCORE = OCR_MIN_SCORE  # text on signs scores 0.96+; window grids on buildings came out as "mm m" at 0.62
_ROW_OVERLAP = 0.5  # boxes sharing this much of their height are on one row
# Text that fills the frame (a close-up of a plate or a notice) is misread near the edges ("豫A·1
# 12345"). When a text box comes within 4% of the frame, the photo is read again inside a grey margin
# of 12% of the long side, and the second reading is kept. Measured on 120 rendered close-ups
# (300-1280 px, five texts, four colour schemes) and 100 sign photos: misreads went from 26 to 10
# close-ups with no new error on the photos. A margin on every photo was worse: detection lost
# whole signs in 2 of 40 photos.
_CLOSE_UP_EDGE = 0.04
_CLOSE_UP_MARGIN = 0.12


@dataclass(frozen=True)
class TextBox:
    """One detected piece of text and where it is (pixels of the image OCR saw)."""

    text: str
    score: float
    top: float
    bottom: float
    left: float
    right: float


class OcrEngine(LoadOnce):
    def __init__(self, min_score: float = DEFAULT_MIN_SCORE, max_side: int = DEFAULT_MAX_SIDE,
                 threads: int | None = None) -> None:
        """`threads`: onnxruntime threads per model; None uses every core (one busy process), 1 suits
        several worker processes or a machine shared with other work."""
        if not 0.0 <= min_score <= 1.0:
            raise ValueError(f"min_score is a probability, got {min_score}; use a value in [0, 1], e.g. 0.7")
        if max_side < 320:
            raise ValueError(f"max_side {max_side} px is too small for text to stay readable; use 960 or more")
        if threads is not None and threads < 1:
            raise ValueError(f"threads must be 1 or more, got {threads}; leave it unset to use every core")
        super().__init__()
        self.min_score = min_score
        self.max_side = max_side
        self.threads = threads
        self._engine: Any = None

    def _load(self) -> None:
        """The detection, orientation and recognition models."""
        rapidocr = require("rapidocr", "rapidocr onnxruntime")
        logging.getLogger("RapidOCR").setLevel(logging.ERROR)  # it logs every model path at INFO
        params: dict[str, Any] = {"Global.log_level": "error"}
        if self.threads is not None:
            params["EngineConfig.onnxruntime.intra_op_num_threads"] = self.threads
        engine = rapidocr.RapidOCR(params=params)
        # RapidOCR loads each model on first use; one read of a tiny text image loads all three
        # now, so the first citizen's photo does not pay for it.
        engine(_warm_up_image())
        self._engine = engine

    def read(self, image: Image.Image) -> tuple[OcrLine, ...]:
        """The text lines in `image` (RGB), top to bottom; the boxes of one line are joined left to
        right with a space, and scored by the weakest. Boxes scored below `min_score` are dropped."""
        self.warm_up()
        scaled = fit_within(image, self.max_side)
        boxes = self._boxes(scaled, 0)
        edge = _CLOSE_UP_EDGE * max(scaled.size)
        if any(_near_edge(b, scaled.size, edge) for b in boxes):  # a close-up: read it again with room around it
            boxes = self._boxes(scaled, round(_CLOSE_UP_MARGIN * max(scaled.size)))
        kept = [b for b in boxes if b.text and b.score >= self.min_score]
        return tuple(OcrLine(text=" ".join(b.text for b in row), score=min(b.score for b in row))
                     for row in reading_rows(kept))

    def _boxes(self, image: Image.Image, margin: int) -> list[TextBox]:
        # No per-call options: RapidOCR stores them on the shared engine, which other threads use.
        output = self._engine(ImageOps.expand(image, margin, fill=(128, 128, 128)) if margin else image)
        if not output.txts or output.boxes is None:
            return []
        found = []
        for text, score, box in zip(output.txts, output.scores, output.boxes, strict=True):
            ys, xs = [float(p[1]) - margin for p in box], [float(p[0]) - margin for p in box]
            found.append(TextBox(str(text).strip(), round(float(score), 4), min(ys), max(ys), min(xs), max(xs)))
        return found


def reading_rows(boxes: list[TextBox]) -> list[list[TextBox]]:
    """Boxes grouped into rows (a box joins a row when their vertical extents overlap by half of the
    smaller height), rows top to bottom, boxes in a row left to right."""
    rows: list[list[TextBox]] = []
    for box in sorted(boxes, key=lambda b: (b.top + b.bottom) / 2):
        row = rows[-1] if rows else None
        if row is not None:
            top, bottom = min(b.top for b in row), max(b.bottom for b in row)
            overlap = min(bottom, box.bottom) - max(top, box.top)
            if overlap >= _ROW_OVERLAP * min(bottom - top, box.bottom - box.top):
                row.append(box)
                continue
        rows.append([box])
    return [sorted(row, key=lambda b: b.left) for row in rows]


def ocr_text(lines: tuple[OcrLine, ...]) -> str:
    """The lines as one text, in reading order."""
    return "\n".join(line.text for line in lines)


def _near_edge(box: TextBox, size: tuple[int, int], edge: float) -> bool:
    width, height = size
    return box.left < edge or box.top < edge or box.right > width - edge or box.bottom > height - edge


def _warm_up_image() -> Image.Image:
    from PIL import ImageDraw, ImageFont

    image = Image.new("RGB", (320, 96), "white")
    ImageDraw.Draw(image).text((16, 20), "GridTriage 12345", fill="black", font=ImageFont.load_default(size=40))
    return image
