"""Benchmarks, metrics, dataset readers, baselines and reports."""
