"""Does a passage support a generated sentence? The check that keeps an LLM answer's citations honest.

    >>> support = SupportCheck(analyser, embeddings, support_similarity=0.81, attribution_similarity=0.84)
    >>> support.supports("De SRT werkt voor zestien gemeenten.", hit)
    >>> support.attributor(hits)("Een zin zonder bronnummer.")      # 1-based source number, or None

Shared content words (through the glossary for English) count first; across languages, the multilingual e5
similarity of sentence and passage decides. A source is a passage, or a key statement given to the LLM (its words
as shown with its quote, ``advisor.answer.generation``). Source vectors are computed once per text and kept.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from advisor.index.embeddings import cosine
from advisor.retrieval.analysis import DutchAnalyser
from advisor.retrieval.hits import Hit


@dataclass
class SupportCheck:
    analyser: DutchAnalyser
    embeddings: Any
    support_similarity: float  # a sentence that names its source needs this similarity to it
    attribution_similarity: float  # a sentence without a marker is attributed to a source from this similarity on
    _vectors: dict[str, list[float]] = field(default_factory=dict, repr=False)  # source text -> its embedding

    def passage_vectors(self, hits: list[Hit]) -> list[list[float]]:
        """Source embeddings, computed once per text for the life of the check (the report never changes)."""
        missing = list(dict.fromkeys(h.text for h in hits if h.text not in self._vectors))
        if missing:
            self._vectors.update(zip(missing, self.embeddings.embed_documents(missing)))
        return [self._vectors[h.text] for h in hits]

    def supports(self, sentence: str, hit: Hit) -> bool:
        """Shared content words (through the glossary for English), or a high embedding similarity when the
        languages differ."""
        analyser = self.analyser
        terms = set(analyser.terms(sentence))
        for expansion in analyser.expansions(sentence):
            if expansion.kind != "synonym":
                terms |= set(expansion.terms)
        passage = set(analyser.terms(hit.text + " " + (hit.case_title or "") + " " + hit.section_title))
        shared = terms & passage
        if len(shared) >= 2 and len(shared) >= 0.3 * max(len(set(analyser.terms(sentence))), 1):
            return True
        similarity = cosine(self.embeddings.embed_query(sentence), self.passage_vectors([hit])[0])
        return similarity >= self.support_similarity

    def attributor(self, hits: list[Hit]) -> Callable[[str], int | None]:
        """For a sentence without a marker: the 1-based number of the most similar source, when it is similar
        enough to count as support (multilingual e5, so an English sentence can match a Dutch passage)."""
        vectors = self.passage_vectors(hits)

        def attribute(sentence: str) -> int | None:
            query = self.embeddings.embed_query(sentence)
            scores = [cosine(query, vector) for vector in vectors]
            best = max(range(len(scores)), key=scores.__getitem__)
            return best + 1 if scores[best] >= self.attribution_similarity else None

        return attribute
