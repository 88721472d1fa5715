"""The LLM provider layer: LangChain chat models behind one factory (`make_provider`)."""

from agent.llm.providers import LLMProvider, LLMUnavailable, make_provider
from agent.llm.settings import LLMSettings

__all__ = ["LLMProvider", "LLMSettings", "LLMUnavailable", "make_provider"]
