"""Prompt templates as data files, loaded and validated by `agent/` (the LLM drafting issue fills this)."""
