"""Prompt templates as data files, loaded and validated by the LLM drafter (`agent/llm_drafting.py`)."""
