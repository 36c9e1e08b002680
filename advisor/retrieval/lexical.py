"""BM25 over the chunks with the Dutch analyser, built once from the index's documents, never per query.

    >>> lexical = LexicalIndex.build(analyser, ids, texts)
    >>> lexical.search(question, k=20, allowed=None)      # [(chunk_id, score), ...] for an analysed Question

Query terms carry weights, so glossary expansions can count for less than the words the user typed.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from advisor.retrieval.analysis import DutchAnalyser
from advisor.retrieval.question import Question


@dataclass
class LexicalIndex:
    analyser: DutchAnalyser
    ids: list[str]
    postings: dict[str, dict[int, int]]  # term -> {doc number: term frequency}
    lengths: list[int]
    k1: float = 1.2
    b: float = 0.75

    @classmethod
    def build(cls, analyser: DutchAnalyser, ids: list[str], texts: Iterable[str]) -> LexicalIndex:
        return cls.from_terms(analyser, ids, (analyser.terms(text) for text in texts))

    @classmethod
    def from_terms(cls, analyser: DutchAnalyser, ids: list[str], documents: Iterable[list[str]]) -> LexicalIndex:
        """The index of documents already analysed (a text shared by many documents is analysed once)."""
        postings: dict[str, dict[int, int]] = {}
        lengths = []
        for number, terms in enumerate(documents):
            lengths.append(len(terms))
            for term, count in Counter(terms).items():
                postings.setdefault(term, {})[number] = count
        return cls(analyser, list(ids), postings, lengths)

    @property
    def average_length(self) -> float:
        return sum(self.lengths) / max(len(self.lengths), 1)

    def idf(self, term: str) -> float:
        n = len(self.postings.get(term, ()))
        return math.log(1 + (len(self.ids) - n + 0.5) / (n + 0.5))

    def query_weights(self, question: Question, expansion_weight: float) -> dict[str, float]:
        """The user's own terms at weight 1, glossary expansions at ``expansion_weight`` (split over a group)."""
        weights: dict[str, float] = {}
        for term in question.terms:
            weights[term] = 1.0
        if expansion_weight > 0:
            for expansion in question.expansions:
                new = [t for t in expansion.terms if t not in weights]
                for term in new:
                    weights[term] = max(weights.get(term, 0.0), expansion_weight / math.sqrt(len(new)))
        return weights

    def search(
        self, question: Question, k: int, allowed: set[str] | None = None, expansion_weight: float = 0.5
    ) -> list[tuple[str, float]]:
        """The best ``k`` chunks for the question (restricted to ``allowed`` ids when given), by BM25."""
        scores: dict[int, float] = {}
        average = self.average_length
        for term, weight in self.query_weights(question, expansion_weight).items():
            docs = self.postings.get(term)
            if not docs:
                continue
            idf = self.idf(term) * weight
            for number, tf in docs.items():
                norm = tf + self.k1 * (1 - self.b + self.b * self.lengths[number] / average)
                scores[number] = scores.get(number, 0.0) + idf * tf * (self.k1 + 1) / norm
        ranked = sorted(scores.items(), key=lambda item: -item[1])
        out = []
        for number, score in ranked:
            if allowed is None or self.ids[number] in allowed:
                out.append((self.ids[number], score))
                if len(out) == k:
                    break
        return out
