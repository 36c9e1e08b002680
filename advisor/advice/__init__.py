"""Advisor mode: a structured intake (``Situation``) leads to advice that walks the report's own reasoning
(``advise``); an LLM may rewrite it as prose, its citations checked (``polish``)."""

from advisor.advice.advise import Advice, AdviceInputError, Situation, advise

__all__ = ["Advice", "AdviceInputError", "Situation", "advise"]
