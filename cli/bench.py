"""`gridtriage bench …`: benchmarks that print measured figures."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from cli.common import ConfigOpt, EmbedderOpt, KbOpt, bench_app, fail, print_figures, settings_from


@bench_app.command("triage")
def bench_triage_cmd(
    reports: Annotated[int, typer.Option(help="Reports to triage after warm-up.")] = 1000,
    startup: Annotated[bool, typer.Option(help="Also measure cold and warm start-up.")] = True,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    kb: KbOpt = None, config: ConfigOpt = None, embedder: EmbedderOpt = None,
) -> None:
    """Per-report latency (p50/p95, per stage), batch throughput and start-up time, without LLM."""
    from eval.bench import bench_batch, bench_startup, bench_triage

    settings = settings_from(config, kb, None, None, embedder, llm="none")
    figures = bench_triage(settings, reports=reports)
    figures.update(bench_batch(settings, reports=reports))
    if startup:
        figures.update(bench_startup(settings))
    print_figures("triage benchmark", [figures], as_json)


@bench_app.command("startup")
def bench_startup_cmd(
    runs: Annotated[int, typer.Option(help="Fresh processes per figure (the median is shown).")] = 5,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    kb: KbOpt = None, config: ConfigOpt = None, embedder: EmbedderOpt = None,
) -> None:
    """How long a fresh `gridtriage` process takes: --help, a refused report, and a triage without LLM."""
    from eval.bench import bench_cli_startup

    settings = settings_from(config, kb, None, None, embedder, llm="none")
    print_figures("start-up benchmark", [bench_cli_startup(settings, runs=runs)], as_json)


@bench_app.command("drafting")
def bench_drafting_cmd(
    llm: Annotated[list[str] | None, typer.Option("--llm", help="Providers side by side (default: llamacpp, none).")]
    = None,
    dataset: Annotated[str, typer.Option(help="Labelled dataset: a bundled name or a JSONL path.")] = "zhengzhou_test",
    reports: Annotated[int, typer.Option(help="Reports drafted per provider (the first N of the dataset).")] = 40,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    kb: KbOpt = None, config: ConfigOpt = None,
) -> None:
    """Model load time, draft latency, tokens/s and draft quality for each LLM provider."""
    from agent.llm import LLMUnavailable
    from eval.drafting_bench import bench_drafting

    settings = settings_from(config, kb, None, None, None)
    try:
        rows = bench_drafting(settings, dataset, llm or ["llamacpp", "none"], reports)
    except (LLMUnavailable, ValueError) as exc:
        fail(str(exc))
    print_figures("drafting benchmark", rows, as_json)


@bench_app.command("api")
def bench_api_cmd(
    requests: Annotated[int, typer.Option(help="POST /v1/reports requests in all.")] = 5000,
    concurrency: Annotated[int, typer.Option(help="Clients posting at the same time.")] = 20,
    dataset: Annotated[str | None, typer.Option(help="Post this dataset's texts (default: real Teddy messages).")]
    = None,
    workers: Annotated[int, typer.Option(min=1, max=64, help="`serve --workers N`.")] = 1,
    db: Annotated[str | None, typer.Option(
        "--db", help="An empty database to serve from (e.g. postgresql+psycopg://…); default a temporary SQLite file.")]
    = None,
    rate: Annotated[float | None, typer.Option(
        min=0.1, help="Start requests at this steady rate per second instead of as fast as answered.")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Latency and throughput of a real `gridtriage serve` process under concurrent clients (no LLM)."""
    from eval.api_bench import bench_api

    settings = settings_from(None, None, None, None, None)
    print_figures("API benchmark", [bench_api(settings, requests, concurrency, dataset, workers, db, rate)], as_json)


@bench_app.command("photos")
def bench_photos_cmd(
    photos: Annotated[int, typer.Option(help="Camera-sized test photos to make (signs with Chinese text, EXIF).")]
    = 40,
    folder: Annotated[Path | None, typer.Option(help="Read these photos instead of making test photos.")] = None,
    hashes: Annotated[bool, typer.Option(help="Also measure same-photo distances of edited copies.")] = True,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Per-photo time of validation + EXIF + hashes + OCR + thumbnail (p50/p95), photos per second, and
    the perceptual-hash distances of recompressed, resized, cropped and different photos."""
    from eval.photo_bench import bench_photo_hashes, bench_photos, format_hash_bench

    print_figures("photo benchmark", [bench_photos(photos, folder)], as_json)
    if hashes:
        distances = bench_photo_hashes(photos)
        typer.echo(json.dumps(distances, ensure_ascii=False) if as_json else format_hash_bench(distances))


@bench_app.command("dedup")
def bench_dedup_cmd(
    cases: Annotated[int, typer.Option(help="Synthetic open cases in the index.")] = 1_000_000,
    queries: Annotated[int, typer.Option(help="Lookups to time.")] = 2000,
    nprobe: Annotated[int, typer.Option(help="IVF lists probed per lookup.")] = 16,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Dedup lookup latency against a large synthetic index of case embeddings."""
    from eval.bench import bench_dedup

    print_figures("dedup lookup benchmark", [bench_dedup(cases, queries, nprobe=nprobe)], as_json)


@bench_app.command("embedders")
def bench_embedders_cmd(
    backend: Annotated[list[str] | None, typer.Option(help="Backends to compare (default: all).")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    kb: KbOpt = None,
) -> None:
    """Embedder comparison on Chinese STS-B, AFQMC and the knowledge base's examples."""
    from eval.embedder_bench import compare_embedders

    settings = settings_from(None, kb, None, None, None)
    try:
        rows = compare_embedders(settings.kb_dir, backend)
    except FileNotFoundError as exc:
        fail(str(exc))
    print_figures("embedder comparison", rows, as_json)


@bench_app.command("grids")
def bench_grids_cmd(
    grids: Annotated[int, typer.Option(help="Grids in the generated layer.")] = 50_000,
    queries: Annotated[int, typer.Option(help="Lookups to time.")] = 5000,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    config: ConfigOpt = None,
) -> None:
    """Place → grid lookup latency (p50/p95/p99) on a generated layer of community grids, grids,
    micro-grids and overlapping exclusive grids."""
    from eval.grid_bench import bench_grids

    settings = settings_from(config, None, None, None, None)
    print_figures("grid lookup benchmark", [bench_grids(grids, queries, settings=settings.grids)], as_json)
