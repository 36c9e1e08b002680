"""Hybrid retrieval behind LangChain's ``BaseRetriever``: dense e5 + Dutch BM25, fused, case-aware, filtered.

    >>> retriever = HybridRetriever.from_index(handle, knowledge, reader)   # reader: a QuestionReader
    >>> hits = retriever.retrieve("Welke regio koos een centrumgemeente?", k=5, filters=Filters(theme="milieu"))
    >>> retriever.invoke("centrumgemeente")          # LangChain Documents, same ranking

Fusion is weighted reciprocal rank fusion. The lexical side counts for less on English questions (it only
sees them through the glossary's English terms), so it cannot drown the multilingual dense side there.
Case awareness: a question that names a case's place or organisation lifts that case's chunks; a question
that asks for examples lifts case chunks, and a theme passage that names cases by place brings their cards.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from advisor.corpus.chunks import context_line
from advisor.corpus.knowledge import Knowledge
from advisor.index.base import IndexUnavailableError
from advisor.index.builds import IndexHandle
from advisor.retrieval.analysis import DutchAnalyser
from advisor.retrieval.hits import Filters, Hit
from advisor.retrieval.lexical import LexicalIndex
from advisor.retrieval.question import Question, QuestionReader, named_cases
from advisor.retrieval.rerank import Reranker
from advisor.retrieval.safety import defuse


@dataclass(frozen=True)
class FusionConfig:
    """Fusion settings, tuned on eval/dev.jsonl (see docs/retrieval.md); the test set was not used for tuning."""

    candidates: int = 80  # from each side; deeper lists bring more case chunks within reach of the boosts
    rrf_k: int = 60
    dense_weight: float = 1.0
    lexical_weight_nl: float = 1.3
    lexical_weight_en: float = 0.5
    expansion_weight: float = 0.3
    case_name_boost: float = 0.6  # in units of a first-rank RRF score, 1 / (rrf_k + 1)
    example_boost: float = 1.0
    attribute_boost: float = 2.0  # a case whose partners or forms the question names (rarer ones count more)
    mention_links: bool = True
    general_boost: float = 0.3  # chunks of the general chapters, for a question naming no theme, case or example
    per_parent: int = 1  # chunks of one case or section before the others get their turn


@dataclass(frozen=True)
class ChunkInfo:
    chunk_id: str
    text: str
    meta: dict[str, Any]


@dataclass
class RetrievalTrace:
    language: str = "nl"
    dense: list[str] = field(default_factory=list)
    dense_similarity: dict[str, float] = field(default_factory=dict)  # cosine similarity per dense candidate
    lexical: list[str] = field(default_factory=list)
    named_cases: list[str] = field(default_factory=list)
    named_attributes: list[str] = field(default_factory=list)
    wants_examples: bool = False
    general: bool = False  # names no theme, no case and asks for no example
    timings_ms: dict[str, float] = field(default_factory=dict)


class HybridRetriever(BaseRetriever):
    """Dense + lexical retrieval over one index; ``retrieve`` returns ``Hit``s, ``invoke`` Documents."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    handle: IndexHandle
    knowledge: Knowledge
    analyser: DutchAnalyser
    lexical: LexicalIndex
    chunks: dict[str, ChunkInfo]
    reader: QuestionReader  # analyses a text given as a string (the engine hands over Questions)
    attributes: dict[str, list[frozenset[str]]] = {}  # "partner:ggd" -> analysed phrases naming it
    theme_phrases: dict[str, list[frozenset[str]]] = {}  # "verkeer" -> analysed phrases naming the theme
    config: FusionConfig = FusionConfig()
    reranker: Reranker | None = None
    k: int = 5

    @classmethod
    def from_index(cls, handle: IndexHandle, knowledge: Knowledge, reader: QuestionReader,
                   vocabulary: dict | None = None, **kwargs: Any) -> HybridRetriever:
        """Build the lexical side once, from the documents stored in the collection itself. Sentences that try to
        instruct a language model (a poisoned document) are dropped here, so nothing downstream quotes or sees them."""
        stored = handle.collection.get(where={"unit": "chunk"}, include=["documents", "metadatas"])
        chunks = {
            cid: ChunkInfo(cid, defuse(text), meta)
            for cid, text, meta in zip(stored["ids"], stored["documents"], stored["metadatas"])
        }
        analyser = reader.analyser
        ids = list(chunks)
        texts = [_header(chunks[c].meta) + "\n" + chunks[c].text for c in ids]
        lexical = LexicalIndex.build(analyser, ids, texts)
        return cls(handle=handle, knowledge=knowledge, analyser=analyser, lexical=lexical, chunks=chunks,
                   reader=reader, attributes=attribute_phrases(vocabulary or {}, analyser),
                   theme_phrases={theme: [frozenset(analyser.terms(p)) for p in phrases]
                                  for theme, phrases in ((vocabulary or {}).get("themes") or {}).items()},
                   **kwargs)

    # -- the stages -------------------------------------------------------------------------------------

    def _dense(self, query: str, where: dict | None, n: int) -> dict[str, float]:
        """Chunk id -> cosine similarity, best first."""
        import httpx
        from chromadb.errors import ChromaError

        vector = self.handle.vectorstore.embeddings.embed_query(query)
        try:
            results = self.handle.vectorstore.similarity_search_by_vector_with_relevance_scores(vector, k=n,
                                                                                                filter=where)
        except (httpx.TransportError, ChromaError) as error:  # a Chroma server gone, or a store damaged mid-run
            raise IndexUnavailableError(
                f"The search index cannot be searched right now ({type(error).__name__}). If it lives on a Chroma "
                "server (ADVISOR_CHROMA_URL), check that the server runs; otherwise rebuild it with "
                "`advisor index --rebuild`."
            ) from error
        return {doc.id: 1.0 - float(distance) for doc, distance in results}

    def _allowed(self, filters: Filters) -> set[str] | None:
        case_ids = filters.case_ids(self.knowledge)
        if filters.theme is None and case_ids is None:
            return None
        return {
            cid for cid, info in self.chunks.items()
            if (filters.theme is None or info.meta.get("theme") == filters.theme)
            and (case_ids is None or info.meta.get("case_id") in case_ids)
        }

    @property
    def english_stopwords(self) -> frozenset[str]:
        return self.reader.english

    def question(self, query: str | Question) -> Question:
        """The analysed question (a string is analysed here, at retrieval's own door)."""
        return query if isinstance(query, Question) else self.reader.about(query)

    def named_cases(self, query: str | Question) -> list[str]:
        """Cases whose place or organisation the question names ('Twente', 'ROV Zeeland', 'Venlo')."""
        named = named_cases(self.knowledge, self.question(query))
        return [card.id for card in self.knowledge.cases if card.id in named]

    def named_attributes(self, query: str | Question) -> dict[str, float]:
        """Partners and forms the question names ('GGD', 'tax office', 'centrumgemeente'), each weighted by
        how rare it is among the cards (a partner of every case says nothing)."""
        terms = self.question(query).naming_terms
        named = {}
        for key, phrases in self.attributes.items():
            if any(p and p <= terms for p in phrases):
                kind, slug = key.split(":", 1)
                having = sum(slug in (c.partners if kind == "partner" else c.forms) for c in self.knowledge.cases)
                if having:
                    named[key] = math.log(len(self.knowledge.cases) / having) / math.log(len(self.knowledge.cases))
        return named

    def named_themes(self, query: str | Question) -> list[str]:
        """Themes the question names ('verkeer', 'nightlife', 'uitkeringsfraude')."""
        terms = set(self.question(query).terms)
        return [theme for theme, phrases in self.theme_phrases.items() if any(p and p <= terms for p in phrases)]

    def retrieve(self, query: str | Question, k: int | None = None, filters: Filters | None = None,
                 trace: RetrievalTrace | None = None) -> list[Hit]:
        """The ``k`` best chunks for the question, fused from both sides, within the filters."""
        question = self.question(query)
        k = k or self.k
        filters = filters or Filters()
        trace = trace or RetrievalTrace()
        cfg = self.config
        started = time.perf_counter()
        trace.language = question.language
        trace.dense_similarity = self._dense(question.text, filters.chroma_where(self.knowledge), cfg.candidates)
        dense = list(trace.dense_similarity)
        trace.timings_ms["dense"] = (time.perf_counter() - started) * 1000
        mark = time.perf_counter()
        lexical = [cid for cid, _ in self.lexical.search(question, cfg.candidates, self._allowed(filters),
                                                         cfg.expansion_weight)]
        trace.timings_ms["lexical"] = (time.perf_counter() - mark) * 1000
        trace.dense, trace.lexical = dense, lexical

        lexical_weight = cfg.lexical_weight_en if trace.language == "en" else cfg.lexical_weight_nl
        scores: dict[str, float] = {}
        for ranking, weight in ((dense, cfg.dense_weight), (lexical, lexical_weight)):
            for rank, cid in enumerate(ranking, start=1):
                scores[cid] = scores.get(cid, 0.0) + weight / (cfg.rrf_k + rank)
        unit = 1.0 / (cfg.rrf_k + 1)
        trace.named_cases = self.named_cases(question)
        trace.wants_examples = question.asks_examples
        attributes = self.named_attributes(question) if trace.wants_examples else {}
        trace.named_attributes = sorted(attributes)
        allowed = self._allowed(filters)
        extra = [c for c in self.chunks if c not in scores] if (trace.named_cases or attributes) else []
        for cid in list(scores) + extra:
            case_id = self.chunks[cid].meta.get("case_id")
            if not case_id or (allowed is not None and cid not in allowed):
                continue
            boost = cfg.case_name_boost if case_id in trace.named_cases else 0.0
            if trace.wants_examples and cid in scores:
                boost += cfg.example_boost
            card = self.knowledge.case(case_id)
            weight = sum(w for key, w in attributes.items()
                         if key.split(":", 1)[1] in (card.partners if key.startswith("partner:") else card.forms))
            boost += cfg.attribute_boost * min(weight, 1.0)
            if boost:
                scores[cid] = scores.get(cid, 0.0) + boost * unit
        if cfg.mention_links and trace.wants_examples:
            self._add_mentioned_cases(scores, allowed, unit)
        trace.general = not (trace.named_cases or trace.wants_examples or self.named_themes(question))
        if cfg.general_boost and trace.general:
            for cid in scores:
                meta = self.chunks[cid].meta
                if not meta.get("theme") and not meta.get("case_id"):
                    scores[cid] += cfg.general_boost * unit
        ranked = diversify(sorted(scores, key=lambda cid: -scores[cid]), self._parent, cfg.per_parent)
        ranked = ranked[: max(k, cfg.candidates)]
        hits = [self._hit(rank, cid, scores[cid]) for rank, cid in enumerate(ranked, start=1)]
        if self.reranker is not None:
            hits = self.reranker.rerank(question.text, hits)
        trace.timings_ms["total"] = (time.perf_counter() - started) * 1000
        return [replace(hit, rank=rank) for rank, hit in enumerate(hits[:k], start=1)]

    def _add_mentioned_cases(self, scores: dict[str, float], allowed: set[str] | None, unit: float) -> None:
        """A theme passage that names cases by place ('(Twente, Deventer, Delft)') brings their cards along,
        just below itself."""
        top = sorted(scores, key=lambda cid: -scores[cid])[:5]
        for cid in top:
            meta = self.chunks[cid].meta
            if meta.get("case_id"):
                continue
            start, end = int(meta["start"]), int(meta["end"])
            for mention in self.knowledge.mentions:
                if not mention.case_id or not start <= mention.start < end:
                    continue
                case_chunks = [c for c, info in self.chunks.items() if info.meta.get("case_id") == mention.case_id
                               and (allowed is None or c in allowed)]
                if not case_chunks or any(c in scores and scores[c] >= scores[cid] * 0.8 for c in case_chunks):
                    continue
                best = max(case_chunks, key=lambda c: scores.get(c, 0.0))
                scores[best] = max(scores.get(best, 0.0), scores[cid] * 0.8 + 0.01 * unit)

    def _parent(self, cid: str) -> str:
        meta = self.chunks[cid].meta
        return meta.get("case_id") or meta["section_id"]

    def chunk_holding(self, start: int, end: int) -> Hit | None:
        """The passage that holds the span start:end of the report (a statement's quote), as a hit of rank 0."""
        for cid, info in self.chunks.items():
            if int(info.meta["start"]) <= start and end <= int(info.meta["end"]):
                return self._hit(0, cid, 0.0)
        return None

    def _hit(self, rank: int, cid: str, score: float) -> Hit:
        info = self.chunks[cid]
        meta = info.meta
        return Hit(
            rank=rank, chunk_id=cid, score=round(score, 6), section=meta["section"], section_id=meta["section_id"],
            section_title=meta["section_title"], theme=meta.get("theme") or None, case_id=meta.get("case_id") or None,
            case_title=meta.get("case_title") or None, start=int(meta["start"]), end=int(meta["end"]), text=info.text,
        )

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        return [
            Document(id=hit.chunk_id, page_content=hit.text, metadata={**hit.to_dict(), "text": None})
            for hit in self.retrieve(query, self.k)
        ]


def attribute_phrases(vocabulary: dict, analyser: DutchAnalyser) -> dict[str, list[frozenset[str]]]:
    """For every partner and form slug of the vocabulary, the analysed phrases that name it: the slug, and
    the parts of its Dutch and English labels ('Openbaar Ministerie (OM) / justitie' -> three phrases)."""
    out: dict[str, list[frozenset[str]]] = {}
    for kind, plural in (("partner", "partners"), ("form", "forms")):
        for slug, entry in (vocabulary.get(plural) or {}).items():
            labels = [slug.replace("-", " "), str(entry.get("label_nl", "")), str(entry.get("label_en", ""))]
            parts = [p for label in labels for p in re.split(r"[/()]|, ", label) if p.strip()]
            out[f"{kind}:{slug}"] = [frozenset(analyser.terms(p)) for p in parts]
    return out


def diversify(ranked: list[str], parent: Callable[[str], str], per_parent: int) -> list[str]:
    """Keep the order, but let each parent (case or section) have only ``per_parent`` chunks before every
    other parent has had its turn. Hit-rate metrics cannot get worse: a first relevant chunk only moves up."""
    if per_parent < 1:
        return ranked
    counts: dict[str, int] = {}
    first, later = [], []
    for cid in ranked:
        key = parent(cid)
        counts[key] = counts.get(key, 0) + 1
        (first if counts[key] <= per_parent else later).append(cid)
    return first + later


def _header(meta: dict[str, Any]) -> str:
    return context_line(meta.get("section", ""), meta.get("section_title", ""), meta.get("chapter_title", ""),
                        meta.get("case_title") or None)
