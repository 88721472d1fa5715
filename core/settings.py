"""Every settings model, in one light module: plain, JSON-serialisable, built from defaults, a config
file, the environment and flags. Importing it loads pydantic and nothing of the stages, so reading
the settings (or `gridtriage --help`) never waits on FAISS, torch, SQLAlchemy or LangChain."""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

DEFAULT_KB = Path(__file__).resolve().parents[1] / "knowledge" / "bases" / "zhengzhou"  # the bundled one

# Measured defaults the components share (the measurements are described where they are used).
SAME_PHOTO_MAX_DISTANCE = 9  # hash bits: classifiers/photos/hashing.py
OCR_MAX_SIDE = 1280  # classifiers/photos/ocr.py
OCR_MIN_SCORE = 0.7  # text on signs scores 0.96+; window grids on buildings came out as "mm m" at 0.62


Provider = Literal["llamacpp", "openai", "none", "fake"]
# How `gridtriage serve` hands its settings to the processes it starts (API workers, drafters)
SERVE_SETTINGS_ENV = "GRIDTRIAGE_SERVE_SETTINGS"


class LLMSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    provider: Provider = "llamacpp"
    prompt: str = "draft_case"  # a name under prompts/ or a path to a prompt file
    reply_prompt: str = "reply_to_citizen"  # the reply to the citizen (agent/reply_drafting.py)
    temperature: float = Field(default=0.0, ge=0.0, le=2.0)
    max_tokens: int = Field(default=256, ge=16)
    timeout_s: float = Field(default=60.0, gt=0)
    # llamacpp: a GGUF file; without one, the bundled Qwen2.5-Coder-1.5B assembled from its packages
    model_path: str | None = None
    model_sha256: str | None = Field(default=None, pattern=r"^[0-9a-fA-F]{64}$")
    n_ctx: int = Field(default=2048, ge=512)
    n_threads: int | None = Field(default=None, ge=1)
    # openai: any OpenAI-compatible endpoint (vLLM, Ollama, DeepSeek, DashScope, llama.cpp server)
    base_url: str | None = None
    model: str | None = None
    api_key: SecretStr | None = None
    retries: int = Field(default=2, ge=0, le=10)
    response_format: Literal["json_object", "json_schema", "none"] = "json_object"
    # fake (tests and drills, no model): the replies in order, the last one repeated; a reply
    # "!timeout" or "!unreachable" makes that call fail the way a real provider's would
    script: tuple[str, ...] = ()


class DrafterSettings(BaseModel):
    """The drafting queue and the drafter processes that serve it (`gridtriage drafter`)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    processes: int = Field(default=1, ge=0, le=16)  # drafters `serve` starts beside the API; 0: they run elsewhere
    nice: int = Field(default=10, ge=0, le=19)  # a drafter yields the cores to the API workers
    lease_s: float = Field(default=300.0, gt=0)  # a claim older than this was lost: the job is claimed again
    max_wait_s: float = Field(default=900.0, gt=0)  # a job queued longer is dropped; the template draft stands
    max_attempts: int = Field(default=3, ge=1, le=20)  # claims of one job before it fails
    poll_s: float = Field(default=1.0, gt=0, le=60)  # how often an idle drafter looks for jobs


class VerificationSettings(BaseModel):
    """智能核查 of a department's reply (classifiers/replies.py). The weights are fit on the dev part
    of the 2020 Teddy Cup message–reply pairs (`gridtriage eval replies --split dev --fit`)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    # relevance: similarity, title recall, term recall, foreign places
    relevance_weights: tuple[float, float, float, float] = (6.9807, 6.4831, 5.3496, -2.552)
    relevance_bias: float = -3.0415
    # substance: log(1 + new terms), log(1 + chars), log(1 + figures)
    substance_weights: tuple[float, float, float] = (1.0676, 2.3417, -0.2409)
    substance_bias: float = -13.7786
    # completeness: request recall, log(1 + body sentences), log(1 + body chars), handling share,
    # log(1 + promises)
    completeness_weights: tuple[float, float, float, float, float] = (0.9111, 2.0018, -0.8484, 0.1429, 0.9613)
    completeness_bias: float = 0.8365
    pass_at: float = Field(default=0.7, gt=0, lt=1)  # every check's probability at least this: pass
    fail_below: float = Field(default=0.3, gt=0, lt=1)  # either below this: fail; between: a person decides
    photo_max_km: float = Field(default=0.5, gt=0)  # an after-photo's EXIF GPS this far from the place: elsewhere
    # An after-photo without GPS against the report's photos (photo_distance, hash bits): at most this
    # is the same scene, at least the other bound another scene, between them a person decides.
    # Chosen on generated cases 500-511 of eval/after_photos.py (same scene 2-14 bits, other 22-28; the
    # evaluation uses cases from 0).
    same_scene_max_distance: int = Field(default=14, ge=0, le=64)
    other_scene_min_distance: int = Field(default=22, ge=0, le=64)


class RouterSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    category_weight: float = 0.7
    retrieval_weight: float = 0.3
    joint_margin: float = 0.1
    joint_min_prior: float = 0.3
    assist_retrieval: float = 0.85
    max_assist: int = 3
    # a duty clause found by retrieval alone is cited (and a department added by it) only at this
    # fused score or more; the categories' own clauses are cited whatever their score
    clause_evidence: float = 0.45


class DedupSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    # Tuned on zhengzhou_dev only (the dedup threshold curve of `gridtriage eval`).
    same_place_similarity: float = 0.30   # landmark, crossing or address detail agree
    near_place_similarity: float = 0.40   # same street (and road)
    unknown_place_similarity: float = 0.92  # either place unknown: only nearly identical text
    same_category_discount: float = 0.15  # same leaf category at a known, agreeing place
    related_similarity: float = 0.60
    alternative_probability: float = 0.1  # a case's category counts if the report's alternatives give it this much
    other_leaf_similarity: float = 0.50  # …and then the texts must say nearly the same thing
    time_window_hours: float = 72.0
    candidates: int = 20
    same_spot_candidates: int = 50  # open cases at the report's spot, newest first, scored besides
    evidence: int = 5  # candidates kept as evidence with each report
    ivf_threshold: int = 50_000
    same_photo_max_distance: int = SAME_PHOTO_MAX_DISTANCE  # hash bits; measured, see classifiers/photos/hashing.py


class GridSettings(BaseModel):
    """Place → grid (knowledge/grids.py)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    # A point this close to a neighbouring grid is on the border: both grids are listed, to handle jointly.
    border_metres: float = Field(default=30.0, ge=0, le=500)
    # Which grid wins where several contain the point, the first level first (then the deeper, then
    # the smaller grid); every level must be named once.
    precedence: tuple[Literal["community", "grid", "micro", "exclusive"], ...] = (
        "micro", "grid", "exclusive", "community")

    @field_validator("precedence")
    @classmethod
    def _every_level_once(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if sorted(value) != ["community", "exclusive", "grid", "micro"]:
            raise ValueError("precedence must name community, grid, micro and exclusive once each")
        return value


class EmbedderSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    backend: str = "use"
    model_path: str | None = None
    batch_size: int = 64
    threads: int = 2


Backend = Literal["none", "clip", "vision-openai", "fake"]
SCENE_FAILURES = ("!timeout", "!unreachable")
_SCENE = re.compile(r"^(?P<category>[a-z0-9][a-z0-9._-]*)(?:\s+(?P<score>\S+))?$")
_NUMBER = re.compile(r"^(?:\d+(?:\.\d*)?|\.\d+)$")


@dataclass(frozen=True)
class ScriptedScene:
    """One verdict of the `fake` vision backend: a category and its score, none, or a failure."""

    category_id: str | None = None
    score: float | None = None
    failure: str | None = None  # one of SCENE_FAILURES


def scripted_scene(entry: str) -> ScriptedScene:
    """Read one `vision.script` entry: "<category id>", "<category id> <score from 0 to 1>", "none",
    or "!timeout" / "!unreachable" (that photo fails the way a real backend's call would).
    Raises ValueError naming the entry and the forms it may take."""
    text = entry.strip()
    if text.startswith("!"):
        if text not in SCENE_FAILURES:
            raise ValueError(f"vision.script entry {entry!r} is not a failure the fake backend knows; "
                             f"use {' or '.join(SCENE_FAILURES)}")
        return ScriptedScene(failure=text)
    if text == "none":
        return ScriptedScene()
    found = _SCENE.match(text)
    if found is None:
        raise ValueError(f"vision.script entry {entry!r} is not a verdict; write \"<category id>\", "
                         f"\"<category id> <score>\", \"none\", {' or '.join(repr(f) for f in SCENE_FAILURES)}")
    raw = found["score"]
    score = float(raw) if raw is not None and _NUMBER.match(raw) else None
    if raw is not None and (score is None or not 0.0 <= score <= 1.0):
        raise ValueError(f"vision.script entry {entry!r}: the score {raw!r} must be a number from 0 to 1")
    return ScriptedScene(category_id=found["category"], score=score)


def _key_from_env() -> SecretStr | None:
    key = os.environ.get("GRIDTRIAGE_VISION_API_KEY") or os.environ.get("OPENAI_API_KEY")
    return SecretStr(key) if key else None


class VisionSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    backend: Backend = "none"
    max_candidates: int = Field(default=80, ge=1)  # the first N of the candidates given are offered
    image_max_side: int = Field(default=1024, ge=32, le=8192)  # longer side, pixels, before the backend sees it
    # clip: a local directory saved by transformers (CLIPModel, ChineseCLIPModel, …), never downloaded
    model_dir: str | None = None
    threads: int = Field(default=2, ge=1)
    min_score: float = Field(default=0.2, ge=0.0, le=1.0)  # below it the best category is only an alternative
    prompt_languages: Literal["zh+en", "zh", "en"] = "zh+en"
    # vision-openai: any OpenAI-compatible multimodal endpoint (vLLM serving Qwen2.5-VL, DashScope, …)
    base_url: str | None = None
    model: str | None = None
    api_key: SecretStr | None = Field(default_factory=_key_from_env)
    # One photo waits at most about (retries + 2) × timeout_s: the client's retries on timeouts and
    # server errors, plus one more request when the first answer is invalid.
    timeout_s: float = Field(default=15.0, gt=0)
    retries: int = Field(default=1, ge=0, le=10)
    temperature: float = Field(default=0.0, ge=0.0, le=2.0)
    max_tokens: int = Field(default=200, ge=16)
    # fake (tests and drills, no model): one verdict per photo, in order, the last one repeated;
    # see `scripted_scene` for the forms an entry takes
    script: tuple[str, ...] = ()

    @field_validator("script")
    @classmethod
    def _verdicts(cls, script: tuple[str, ...]) -> tuple[str, ...]:
        for entry in script:
            scripted_scene(entry)
        return script


class UrgencySettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    # p(urgent) at or above which a report is urgent, chosen on zhengzhou_dev cross-validated
    # (`gridtriage eval zhengzhou_dev` prints the curve): recall stays at 0.90 from 0.1 up to 0.3,
    # while precision rises from 0.50 to 0.65; above 0.3 recall falls.
    urgent_threshold: float = Field(default=0.3, gt=0, lt=1)
    # p(urgent) + p(high) at or above which a report that is not urgent is high.
    high_threshold: float = Field(default=0.5, gt=0, lt=1)
    # a service head's probability at or above which an urgent report calls that service.
    service_threshold: float = Field(default=0.5, gt=0, lt=1)
    # the category's own emergency services count when the classifier is at least this sure of it.
    category_confidence: float = Field(default=0.5, ge=0, le=1)
    evidence_terms: int = Field(default=4, ge=0, le=20)
    c: float = Field(default=80.0, gt=0)  # inverse regularisation of the logistic regressions (dev CV)
    embedding_weight: float = Field(default=1.0, ge=0)


# Pillow's own decompression-bomb warning starts above this; our limit must stay below it.
_PIL_PIXEL_LIMIT = 89_478_485


class PhotoSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    max_bytes: int = Field(default=10_000_000, ge=1)
    max_pixels: int = Field(default=40_000_000, ge=1, le=_PIL_PIXEL_LIMIT)
    max_photos: int = Field(default=6, ge=0)  # per report
    ocr: bool = True
    ocr_min_score: float = Field(default=OCR_MIN_SCORE, ge=0.0, le=1.0)
    ocr_max_side: int = Field(default=OCR_MAX_SIDE, ge=320)  # photos are downscaled to this before OCR
    ocr_threads: int | None = Field(default=None, ge=1)  # per model; None: every core. 1 for batch workers
    thumbnail_px: int = Field(default=320, ge=32)
    vision_max_side: int = Field(default=1024, ge=64)


def default_db_path() -> str:
    root = os.environ.get("XDG_DATA_HOME") or os.path.expanduser("~/.local/share")
    return str(Path(root) / "gridtriage" / "cases.db")


class ApiSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    rate_limit_per_minute: int = Field(default=1200, ge=1)  # per API key
    max_body_bytes: int = Field(default=1_000_000, ge=1024)
    max_upload_bytes: int = Field(default=62_000_000, ge=1024)  # multipart bodies: up to 6 photos of 10 MB
    # How often each server process's escalation scheduler looks for passed deadlines (seconds); 0: no
    # scheduler in this process (another process or server on the same database runs one).
    escalation_tick_s: float = Field(default=0.5, ge=0, le=300)


class WebSettings(BaseModel):
    """The web pages' sessions. Without `session_secret` (or GRIDTRIAGE_SESSION_SECRET) one is
    generated at first use and kept in the case database."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    session_secret: str | None = Field(default=None, min_length=32)
    session_hours: float = Field(default=12.0, gt=0, le=24 * 30)  # a login lasts one working day
    # auto: cookies are `Secure` when the request came over https (directly, or X-Forwarded-Proto
    # from a proxy uvicorn trusts); always: behind a TLS proxy that does not say so.
    secure_cookies: Literal["auto", "always"] = "auto"
    login_link_minutes: float = Field(default=15.0, gt=0, le=24 * 60)


REPORT_MAX_CHARS = 5000  # the longest report text intake takes; the API schema allows the same


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    kb_dir: str = str(DEFAULT_KB)
    db: str = Field(default_factory=default_db_path)
    mode: str | None = None
    model_dir: str | None = None  # a classifier trained by `gridtriage train` on this KB's categories
    max_report_chars: int = Field(default=REPORT_MAX_CHARS, ge=10, le=REPORT_MAX_CHARS)
    embed_max_chars: int = 256  # the dense vector reads the head of a report; lexical features read all
    embedder: EmbedderSettings = EmbedderSettings()
    dedup: DedupSettings = DedupSettings()
    router: RouterSettings = RouterSettings()
    grids: GridSettings = GridSettings()
    urgency: UrgencySettings = UrgencySettings()
    llm: LLMSettings = LLMSettings()
    drafter: DrafterSettings = DrafterSettings()
    verification: VerificationSettings = VerificationSettings()
    api: ApiSettings = ApiSettings()
    photos: PhotoSettings = PhotoSettings()
    web: WebSettings = WebSettings()
    vision: VisionSettings = Field(default_factory=VisionSettings)  # reads its key from the env when built
    photos_dir: str | None = None  # default: `photos/` beside a SQLite database, else under ~/.local/share

    def photo_store_dir(self) -> Path:
        """Where photo files go: `photos_dir`, else beside the SQLite file, else the user's data folder."""
        if self.photos_dir:
            return Path(self.photos_dir).expanduser()
        if "://" not in self.db:
            return Path(self.db).expanduser().parent / "photos"
        if self.db.startswith("sqlite:///") and self.db != "sqlite:///:memory:":
            return Path(self.db.removeprefix("sqlite:///")).expanduser().parent / "photos"
        return Path(default_db_path()).parent / "photos"

    @classmethod
    def load(cls, config_file: str | None = None, **overrides: Any) -> Settings:
        """Defaults < JSON config file (`--config` or GRIDTRIAGE_CONFIG) < GRIDTRIAGE_* env < flags."""
        data: dict[str, Any] = {}
        path = config_file or os.environ.get("GRIDTRIAGE_CONFIG")
        if path:
            try:
                data = json.loads(Path(path).read_text(encoding="utf-8"))
            except (OSError, json.JSONDecodeError) as exc:
                raise ValueError(f"cannot read config file {path}: {exc}") from exc
        env = {
            "kb_dir": os.environ.get("GRIDTRIAGE_KB"),
            "db": os.environ.get("GRIDTRIAGE_DB"),
            "mode": os.environ.get("GRIDTRIAGE_MODE"),
            "model_dir": os.environ.get("GRIDTRIAGE_MODEL"),
            "photos_dir": os.environ.get("GRIDTRIAGE_PHOTOS_DIR"),
        }
        data.update({k: v for k, v in env.items() if v})
        llm_env = {
            "provider": os.environ.get("GRIDTRIAGE_LLM"),
            "model_path": os.environ.get("GRIDTRIAGE_LLM_MODEL_PATH"),
            "base_url": os.environ.get("GRIDTRIAGE_LLM_BASE_URL"),
            "model": os.environ.get("GRIDTRIAGE_LLM_MODEL"),
            "api_key": os.environ.get("GRIDTRIAGE_LLM_API_KEY") or os.environ.get("OPENAI_API_KEY"),
            "timeout_s": os.environ.get("GRIDTRIAGE_LLM_TIMEOUT"),
        }
        if any(llm_env.values()):
            data["llm"] = {**data.get("llm", {}), **{k: v for k, v in llm_env.items() if v}}
        vision_env = {
            "backend": os.environ.get("GRIDTRIAGE_VISION"),
            "model_dir": os.environ.get("GRIDTRIAGE_VISION_MODEL_DIR"),
            "base_url": os.environ.get("GRIDTRIAGE_VISION_BASE_URL"),
            "model": os.environ.get("GRIDTRIAGE_VISION_MODEL"),
        }
        if any(vision_env.values()):
            data["vision"] = {**data.get("vision", {}), **{k: v for k, v in vision_env.items() if v}}
        if os.environ.get("GRIDTRIAGE_EMBEDDER"):
            data["embedder"] = {**data.get("embedder", {}), "backend": os.environ["GRIDTRIAGE_EMBEDDER"]}
        if os.environ.get("GRIDTRIAGE_SESSION_SECRET"):
            data["web"] = {**data.get("web", {}), "session_secret": os.environ["GRIDTRIAGE_SESSION_SECRET"]}
        for key, value in overrides.items():
            if isinstance(value, dict) and isinstance(data.get(key), dict):
                data[key] = {**data[key], **value}  # a flag changes one nested setting, not all of them
            elif value is not None:
                data[key] = value
        return cls.model_validate(data)

    def to_json_with_secrets(self) -> str:
        """The settings as JSON that `model_validate_json` reads back whole, secrets included (for a
        worker process this one starts; never for a file or a log)."""
        return json.dumps(self.model_dump(), ensure_ascii=False,
                          default=lambda v: v.get_secret_value() if isinstance(v, SecretStr) else str(v))
