"""The LLM provider layer: LangChain chat models behind one factory (`make_provider`)."""

from agent.llm.providers import LLMProvider, LLMUnavailable, make_provider

__all__ = ["LLMProvider", "LLMUnavailable", "make_provider"]
