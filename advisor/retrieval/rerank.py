"""An optional second stage that reorders the fused hits. Off by default: no offline cross-encoder exists
for Dutch here (see ../shared/MODELS.md), so this is the seam for one (any object with ``rerank``), or for an
LLM judging relevance.

    >>> retriever = retriever.model_copy(update={"reranker": LLMReranker(chat_model, settings.prompts_dir)})
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from advisor.retrieval.hits import Hit


@runtime_checkable
class Reranker(Protocol):
    """Reorders hits for a query; may drop none and invent none."""

    def rerank(self, query: str, hits: list[Hit]) -> list[Hit]: ...


def _reorder(hits: list[Hit], scores: list[float]) -> list[Hit]:
    order = sorted(range(len(hits)), key=lambda i: -scores[i])
    return [replace(hits[i], score=round(float(scores[i]), 6)) for i in order]


class LLMReranker:
    """Asks a LangChain chat model for a 0-10 relevance grade per passage (one call per passage)."""

    def __init__(self, chat_model: Any, prompts_dir: Path, top_n: int = 8) -> None:
        self.chat_model, self.prompts_dir, self.top_n = chat_model, prompts_dir, top_n

    def grade(self, query: str, passage: str) -> float:
        from advisor.prompts import render

        prompt = render(self.prompts_dir, "rerank_relevance", question=query, passage=passage)
        reply = self.chat_model.invoke(prompt)
        match = re.search(r"\d+(?:\.\d+)?", str(getattr(reply, "content", reply)))
        return min(float(match.group(0)), 10.0) if match else 0.0

    def rerank(self, query: str, hits: list[Hit]) -> list[Hit]:
        head, tail = hits[: self.top_n], hits[self.top_n :]
        return _reorder(head, [self.grade(query, hit.text) for hit in head]) + tail
