"""Compares embedder backends on the same data: Chinese STS-B (Spearman), AFQMC paraphrase pairs
(ROC AUC), the category classifier's accuracy on knowledge-base examples held out of its first fit,
and speed."""

from __future__ import annotations

import csv
import time
from typing import Any

import numpy as np
from scipy.stats import spearmanr
from sklearn.metrics import roc_auc_score

from classifiers.category import CategoryClassifier
from classifiers.embedders import BACKENDS, make_embedder
from classifiers.text import Tokenizer
from core.settings import EmbedderSettings
from eval.shared_data import read_jsonl, shared_data_dir
from knowledge.loader import load_kb
from knowledge.places import PlaceResolver


def _pair_scores(embedder: Any, left: list[str], right: list[str]) -> np.ndarray:
    a, b = embedder.embed(left), embedder.embed(right)
    scores: np.ndarray = np.einsum("ij,ij->i", a, b)
    return scores


def compare_embedders(kb_dir: str, backends: list[str] | None = None, afqmc_pairs: int = 2000) -> list[dict[str, Any]]:
    data = shared_data_dir()
    if data is None:
        raise FileNotFoundError("../shared/data is not present: the comparison needs its similarity sets")
    with (data / "similarity" / "stsb_zh_test.tsv").open(encoding="utf-8") as handle:
        sts = [row for row in csv.reader(handle, delimiter="\t") if len(row) == 3]
    afqmc = list(read_jsonl(data / "similarity" / "afqmc_dev.jsonl"))[:afqmc_pairs]
    kb = load_kb(kb_dir)
    tokenizer = Tokenizer(kb.vocabulary())
    places = PlaceResolver(kb)
    probe = [e for leaf in kb.leaves.values() for e in leaf.examples][:200]
    rows = []
    for backend in backends or list(BACKENDS):
        embedder = make_embedder(EmbedderSettings(backend=backend))
        t0 = time.perf_counter()
        embedder.warm_up()
        load_s = time.perf_counter() - t0
        single = []
        for text in probe[:100]:
            t = time.perf_counter()
            embedder.embed_one(text)
            single.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        embedder.embed(probe)
        batch_rate = len(probe) / (time.perf_counter() - t)
        sts_scores = _pair_scores(embedder, [r[0] for r in sts], [r[1] for r in sts])
        rho = spearmanr(sts_scores, [float(r[2]) for r in sts]).statistic
        af_scores = _pair_scores(embedder, [r["sentence1"] for r in afqmc], [r["sentence2"] for r in afqmc])
        auc = roc_auc_score([int(r["label"]) for r in afqmc], af_scores)
        classifier = CategoryClassifier(kb, embedder, tokenizer, text_filter=places.content)
        classifier.warm_up()
        rows.append({
            "backend": backend, "model": embedder.identity, "dimension": embedder.dimension,
            "stsb_zh_spearman": round(float(rho), 4), "afqmc_auc": round(float(auc), 4),
            "kb_holdout_accuracy": round(classifier.fit_report["holdout_accuracy"], 4),
            "load_s": round(load_s, 2), "single_ms_p50": round(float(np.median(single)), 2),
            "batch_texts_per_s": round(batch_rate, 1),
        })
    return rows
