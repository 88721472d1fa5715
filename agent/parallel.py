"""Preparing reports in forked worker processes that share the parent's loaded models."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterable, Iterator

from agent.intake import ReportRejected
from agent.models import Models
from core.types import PreparedReport, ReportIn

Prepare = Callable[[ReportIn], PreparedReport]

_WORKER: tuple[Models, Prepare] | None = None


def prepare_in_workers(models: Models, prepare: Prepare, reports: Iterable[ReportIn | Exception],
                       workers: int) -> Iterator[PreparedReport | Exception]:
    """`prepare` applied to each report in forked processes, yielded in input order. A report that
    cannot be prepared yields its exception in its place; an exception given as input passes through."""
    global _WORKER
    _WORKER = (models, prepare)  # inherited by the forked workers, never pickled
    try:
        with multiprocessing.get_context("fork").Pool(workers, initializer=_one_thread_each) as pool:
            yield from pool.imap(_prepare_one, reports, chunksize=8)
    finally:
        _WORKER = None


def internal_error(exc: Exception) -> RuntimeError:
    return RuntimeError(f"internal error ({type(exc).__name__}: {exc}); the report was not triaged, "
                        "please report this with the input")


def _one_thread_each() -> None:
    """Workers share the machine's cores: more than one BLAS thread each only makes them spin."""
    assert _WORKER is not None
    _WORKER[0].embedder.limit_threads(1)


def _prepare_one(report: ReportIn | Exception) -> PreparedReport | Exception:
    if isinstance(report, Exception):
        return report
    assert _WORKER is not None
    try:
        return _WORKER[1](report)
    except (ReportRejected, ValueError) as exc:
        return exc
    except Exception as exc:
        return internal_error(exc)
