"""Search over the key statements: each claim scored by its own e5 similarity to the question, the similarity of the
passage it stands in, and BM25 over the claim with its paragraph; then the statement of the sentence after the best
one comes second.

    >>> finder = StatementRetriever.from_index(handle, knowledge, reader)
    >>> [h.statement.id for h in finder.retrieve("nadelen van een centrumgemeente", k=3)]
    ['12.3-b-033', ...]

The vectors (the statements' and the passages') are read once from the index build that holds both (``unit``
"statement" and "chunk"), so a search is one question embedding and two matrix products. The lexical side indexes
each statement's place (section, case), its Dutch and its English text and the paragraph its quote lies in, so an
English question finds English words and a question in the report's own words finds the report's. ``lexical`` is
the index of the claims alone: the evidence gate reads it as the statements' vocabulary.
"""

from __future__ import annotations

import bisect
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from advisor.corpus.chunks import context_line
from advisor.corpus.knowledge import Knowledge
from advisor.corpus.sections import Section, paragraphs
from advisor.corpus.statements import STATEMENT_ID_PREFIX, Statement, Unit, content_units
from advisor.index.builds import IndexHandle
from advisor.retrieval.hits import Filters
from advisor.retrieval.lexical import LexicalIndex
from advisor.retrieval.question import Question, QuestionReader, named_cases

VECTORS_KEPT = 16  # question embeddings kept for the next searches (one turn searches the same text two or three times)


@dataclass(frozen=True)
class StatementScoring:
    """How a statement's score is made; tuned on eval/dev.jsonl and eval/dev2.jsonl (docs/retrieval.md)."""

    passage_weight: float = 0.3  # times the cosine similarity of the passage (chunk) that holds the quote
    lexical_weight: float = 0.6  # times BM25 over claim and paragraph, as a share of the question's best BM25
    expansion_weight: float = 0.3  # glossary expansions against the user's own words (as for passages)
    case_name_boost: float = 0.06  # a statement of a case whose place or body the question names
    next_sentence: bool = True  # the statement of the sentence after the best one's quote comes second


@dataclass(frozen=True)
class StatementHit:
    rank: int
    score: float
    statement: Statement
    section: str  # the printed section number ("12.3")
    section_title: str
    case_title: str | None
    theme: str | None = None

    @property
    def label(self) -> str:
        """Where the statement stands, as the report's reader finds it."""
        return context_line(self.section, self.section_title, case_title=self.case_title)

    def to_dict(self) -> dict:
        """Flat, with the keys of a chunk hit where they mean the same (section, case, offsets)."""
        s = self.statement
        return {
            "rank": self.rank, "score": self.score, "unit": "statement", "statement_id": s.id, "kind": s.kind,
            "subjects": list(s.subjects), "nl": s.nl, "en": s.en, "quote": s.quote, "start": s.start, "end": s.end,
            "section": self.section, "section_id": s.section_id, "section_title": self.section_title,
            "theme": self.theme, "case_id": s.case_id, "case_title": self.case_title,
        }


@dataclass
class StatementRetriever:
    """Key statements for a question, from one index build."""

    knowledge: Knowledge
    reader: QuestionReader
    embeddings: Any  # the index's LangChain Embeddings (for the question)
    ids: list[str]  # index ids ("st:12.3-b-033"), in the order of the rows below
    statements: dict[str, Statement]  # index id -> statement
    vectors: Any  # one row per statement (numpy, unit length)
    passage_vectors: Any  # one row per passage
    passage_of: Any  # per statement, the row of the passage that holds most of its quote
    lexical: LexicalIndex  # the claims (place, nl, en): the statements' vocabulary
    context: LexicalIndex  # the claims with their paragraph: what a search ranks by
    next_of: dict[str, str]  # index id -> the statement of the next sentence (same section and case)
    config: StatementScoring = field(default_factory=StatementScoring)
    timings_ms: dict[str, float] = field(default_factory=dict)
    _vectors: dict[str, list[float]] = field(default_factory=dict, repr=False)  # the last questions' embeddings
    _vectors_lock: Any = field(default_factory=threading.Lock, repr=False)
    _row: dict[str, int] = field(default_factory=dict, repr=False)  # index id -> its row

    @classmethod
    def from_index(cls, handle: IndexHandle, knowledge: Knowledge, reader: QuestionReader, **kwargs: Any
                   ) -> StatementRetriever:
        by_id = {STATEMENT_ID_PREFIX + s.id: s for s in knowledge.statements}
        stored = handle.collection.get(where={"unit": "statement"}, include=["embeddings"])
        rows = [(sid, vector) for sid, vector in zip(stored["ids"], stored["embeddings"]) if sid in by_id]
        ids = [sid for sid, _ in rows]
        statements = {sid: by_id[sid] for sid in ids}
        passages = handle.collection.get(where={"unit": "chunk"}, include=["embeddings", "metadatas"])
        spans = [(int(m["start"]), int(m["end"])) for m in passages["metadatas"]]
        sections = {s.section_id: s for s in knowledge.sections}
        analyser, claims, contexts, paragraph_terms = reader.analyser, [], [], {}
        for sid in ids:
            s, section = statements[sid], sections[statements[sid].section_id]
            card = knowledge.case(s.case_id) if s.case_id else None
            place = f"{section.number} {section.title} {card.title if card else ''}"
            claims.append(analyser.terms(f"{place}\n{s.nl}\n{s.en}"))
            paragraph = paragraph_at(section, s.start)
            if paragraph not in paragraph_terms:
                paragraph_terms[paragraph] = analyser.terms(paragraph)
            contexts.append(claims[-1] + paragraph_terms[paragraph])
        units = content_units(knowledge.sections, knowledge.cases)
        return cls(knowledge, reader, handle.vectorstore.embeddings, ids, statements,
                   _unit_rows([vector for _, vector in rows]), _unit_rows(passages["embeddings"]),
                   np.array(holding_passages(spans, [statements[sid] for sid in ids]), dtype=int),
                   LexicalIndex.from_terms(analyser, ids, claims), LexicalIndex.from_terms(analyser, ids, contexts),
                   next_sentence_statements(statements, units), **kwargs)

    def __post_init__(self) -> None:
        self._row = {sid: n for n, sid in enumerate(self.ids)}

    def __len__(self) -> int:
        return len(self.statements)

    def _allowed(self, filters: Filters, kind: str | None, subject: str | None) -> set[str] | None:
        case_ids = filters.case_ids(self.knowledge)
        if not (filters.theme or case_ids is not None or kind or subject):
            return None
        theme_of = {s.section_id: s.theme for s in self.knowledge.sections}
        cards = {c.id: c for c in self.knowledge.cases}
        return {
            sid for sid, s in self.statements.items()
            if (case_ids is None or s.case_id in case_ids)
            and (not filters.theme or (cards[s.case_id].theme if s.case_id else theme_of.get(s.section_id))
                 == filters.theme)
            and (not kind or s.kind == kind)
            and (not subject or subject in s.subjects)
        }

    def _vector(self, text: str) -> list[float]:
        """The question's embedding, kept for the next searches of one turn (the evidence gate's, the answer's and
        its case statements' search the same text)."""
        vector = self._vectors.get(text)
        if vector is None:
            vector = self.embeddings.embed_query(text)
            with self._vectors_lock:
                if len(self._vectors) >= VECTORS_KEPT:
                    self._vectors.pop(next(iter(self._vectors)))
                self._vectors[text] = vector
        return vector

    def retrieve(self, query: str | Question, k: int = 5, filters: Filters | None = None,
                 kind: str | None = None, subject: str | None = None) -> list[StatementHit]:
        """The ``k`` best statements for the question, within the filters (section theme, case, kind, subject)."""
        question = query if isinstance(query, Question) else self.reader.about(query)
        if not self.ids:
            return []
        cfg = self.config
        started = time.perf_counter()
        allowed = self._allowed(filters or Filters(), kind, subject)
        vector = _unit_rows(self._vector(question.text))
        dense = self.vectors @ vector + cfg.passage_weight * (self.passage_vectors @ vector)[self.passage_of]
        scores = (dense - dense.min()) / max(float(dense.max() - dense.min()), 1e-9)  # best 1, worst 0
        self.timings_ms["dense"] = (time.perf_counter() - started) * 1000
        mark = time.perf_counter()
        found = self.context.search(question, len(self.ids), allowed, cfg.expansion_weight)
        row = self._row
        for sid, bm25 in found:
            scores[row[sid]] += cfg.lexical_weight * bm25 / found[0][1]
        self.timings_ms["lexical"] = (time.perf_counter() - mark) * 1000
        named = named_cases(self.knowledge, question)
        if named and cfg.case_name_boost:  # a question naming a place or body lifts that case's statements
            scores += cfg.case_name_boost * np.array([self.statements[sid].case_id in named for sid in self.ids])
        ranked: list[str] = []
        for n in np.argsort(-scores, kind="stable"):
            if len(ranked) == k:
                break
            if allowed is None or self.ids[n] in allowed:
                ranked.append(self.ids[n])
        score = {sid: float(scores[row[sid]]) for sid in ranked}
        follow = self.next_of.get(ranked[0]) if ranked and cfg.next_sentence and k > 1 else None
        if follow and (allowed is None or follow in allowed) and follow not in ranked[:2]:
            # the sentence after the best one often gives the detail its lead-in only announces
            score[follow] = max(float(scores[row[follow]]), score[ranked[1]] if len(ranked) > 1 else 0.0)
            ranked = [ranked[0], follow, *(sid for sid in ranked[1:] if sid != follow)][:k]
        self.timings_ms["total"] = (time.perf_counter() - started) * 1000
        return [self._hit(rank, sid, score[sid]) for rank, sid in enumerate(ranked, start=1)]

    def _hit(self, rank: int, sid: str, score: float) -> StatementHit:
        s = self.statements[sid]
        section = self.knowledge.section(s.section_id)
        card = self.knowledge.case(s.case_id) if s.case_id else None
        return StatementHit(rank, round(score, 6), s, section.number, section.title, card.title if card else None,
                            (card.theme if card else section.theme) or None)


def _unit_rows(vectors: Any) -> Any:
    """The vectors as the rows of a matrix, each of unit length (e5's are already; another model's may not be)."""
    matrix = np.asarray(vectors, dtype=np.float32)
    return matrix / np.maximum(np.linalg.norm(matrix, axis=-1, keepdims=True), 1e-12)


def paragraph_at(section: Section, offset: int) -> str:
    """The paragraph of the section that holds the report offset (a quote's start), or ''."""
    for para in paragraphs(section.text):
        if section.start + para.start <= offset < section.start + para.start + len(para.text):
            return para.text
    return ""


def holding_passages(spans: list[tuple[int, int]], statements: list[Statement]) -> list[int]:
    """For each statement, the passage (index into ``spans``, the passages' report offsets) holding most of its
    quote."""
    order = sorted(range(len(spans)), key=lambda n: spans[n])
    starts = [spans[n][0] for n in order]
    out = []
    for s in statements:
        first = last = max(bisect.bisect_right(starts, s.start) - 1, 0)
        while last + 1 < len(order) and starts[last + 1] < s.end:
            last += 1
        out.append(max(order[first:last + 1], key=lambda n: min(spans[n][1], s.end) - max(spans[n][0], s.start)))
    return out


def next_sentence_statements(statements: dict[str, Statement], units: list[Unit]) -> dict[str, str]:
    """For each statement, the first statement of the same section and case whose quote starts in the content
    sentence right after the last one its own quote touches (``units`` in report order).

        >>> next_sentence_statements(finder.statements, content_units(sections, cards))["st:12.3-b-032"]
        'st:12.3-b-033'
    """
    starts = [u.start for u in units]

    def sentences(s: Statement) -> tuple[int, int] | None:
        first = bisect.bisect_right(starts, s.start) - 1
        if first < 0 or units[first].end <= s.start:
            first += 1
        last = bisect.bisect_left(starts, s.end) - 1
        return (first, last) if first <= last else None

    opening: dict[tuple, str] = {}  # (section, case, sentence) -> the first statement that starts there
    for sid, s in sorted(statements.items(), key=lambda item: (item[1].start, item[1].end, item[0])):
        if span := sentences(s):
            opening.setdefault((s.section_id, s.case_id, span[0]), sid)
    out = {}
    for sid, s in statements.items():
        if (span := sentences(s)) and (follow := opening.get((s.section_id, s.case_id, span[1] + 1))):
            out[sid] = follow
    return out
