"""Search over the key statements: the same fusion as for chunks (dense e5 + lexical BM25, reciprocal ranks), over
one claim each instead of a passage.

    >>> finder = StatementRetriever.from_index(handle, knowledge, reader)
    >>> [h.statement.id for h in finder.retrieve("nadelen van een centrumgemeente", k=3)]
    ['12.3-b-033', ...]

The dense side reads the statements' vectors from the index build that also holds the chunks (``unit`` is
"statement"); the lexical side indexes each statement's place (section, case), its Dutch and its English text, so
an English question finds English words as well as Dutch ones.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

from advisor.corpus.chunks import context_line
from advisor.corpus.knowledge import Knowledge
from advisor.corpus.statements import STATEMENT_ID_PREFIX, Statement
from advisor.index.base import IndexUnavailableError
from advisor.index.builds import IndexHandle
from advisor.retrieval.hits import Filters
from advisor.retrieval.hybrid import FusionConfig
from advisor.retrieval.lexical import LexicalIndex
from advisor.retrieval.question import Question, QuestionReader, named_cases

VECTORS_KEPT = 16  # question embeddings kept for the next searches (one turn searches the same text two or three times)


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
    """Dense + lexical retrieval of key statements from one index build."""

    handle: IndexHandle
    knowledge: Knowledge
    reader: QuestionReader
    lexical: LexicalIndex
    statements: dict[str, Statement]  # index id ("st:12.3-b-033") -> statement
    config: FusionConfig = field(default_factory=FusionConfig)
    timings_ms: dict[str, float] = field(default_factory=dict)
    _vectors: dict[str, list[float]] = field(default_factory=dict, repr=False)  # the last questions' embeddings
    _vectors_lock: Any = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def from_index(cls, handle: IndexHandle, knowledge: Knowledge, reader: QuestionReader, **kwargs: Any
                   ) -> StatementRetriever:
        stored = handle.collection.get(where={"unit": "statement"}, include=[])
        by_id = {STATEMENT_ID_PREFIX + s.id: s for s in knowledge.statements}
        statements = {sid: by_id[sid] for sid in stored["ids"] if sid in by_id}
        sections = {s.section_id: s for s in knowledge.sections}
        ids = list(statements)
        texts = []
        for sid in ids:
            s, section = statements[sid], sections[statements[sid].section_id]
            card = knowledge.case(s.case_id) if s.case_id else None
            texts.append(f"{section.number} {section.title} {card.title if card else ''}\n{s.nl}\n{s.en}")
        lexical = LexicalIndex.build(reader.analyser, ids, texts)
        return cls(handle, knowledge, reader, lexical, statements, **kwargs)

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

    def _dense(self, question: Question, where: dict, n: int) -> list[str]:
        import httpx
        from chromadb.errors import ChromaError

        vector = self._vector(question.text)
        try:
            found = self.handle.collection.query(query_embeddings=[vector], n_results=n, where=where, include=[])
        except (httpx.TransportError, ChromaError) as error:
            raise IndexUnavailableError(
                f"The key statements cannot be searched right now ({type(error).__name__}); check the Chroma "
                "server (ADVISOR_CHROMA_URL) or rebuild the index with `advisor index --rebuild`."
            ) from error
        return [sid for sid in found["ids"][0] if sid in self.statements]

    def _vector(self, text: str) -> list[float]:
        """The question's embedding, kept for the next searches of one turn (the evidence gate's, the answer's and
        its case statements' search the same text)."""
        vector = self._vectors.get(text)
        if vector is None:
            vector = self.handle.vectorstore.embeddings.embed_query(text)
            with self._vectors_lock:
                if len(self._vectors) >= VECTORS_KEPT:
                    self._vectors.pop(next(iter(self._vectors)))
                self._vectors[text] = vector
        return vector

    def retrieve(self, query: str | Question, k: int = 5, filters: Filters | None = None,
                 kind: str | None = None, subject: str | None = None) -> list[StatementHit]:
        """The ``k`` best statements for the question, within the filters (section theme, case, kind, subject)."""
        question = query if isinstance(query, Question) else self.reader.about(query)
        filters = filters or Filters()
        cfg = self.config
        started = time.perf_counter()
        allowed = self._allowed(filters, kind, subject)
        where = filters.chroma_where(self.knowledge, unit="statement")
        if kind:
            where = {"$and": [*where.get("$and", [where]), {"kind": kind}]}
        dense = [sid for sid in self._dense(question, where, cfg.candidates) if allowed is None or sid in allowed]
        self.timings_ms["dense"] = (time.perf_counter() - started) * 1000
        mark = time.perf_counter()
        lexical = [sid for sid, _ in self.lexical.search(question, cfg.candidates, allowed, cfg.expansion_weight)]
        self.timings_ms["lexical"] = (time.perf_counter() - mark) * 1000
        lexical_weight = cfg.lexical_weight_en if question.language == "en" else cfg.lexical_weight_nl
        scores: dict[str, float] = {}
        for ranking, weight in ((dense, cfg.dense_weight), (lexical, lexical_weight)):
            for rank, sid in enumerate(ranking, start=1):
                scores[sid] = scores.get(sid, 0.0) + weight / (cfg.rrf_k + rank)
        named = named_cases(self.knowledge, question)
        if named and cfg.case_name_boost:  # a question naming a place or body lifts that case's statements
            for sid in scores:
                if self.statements[sid].case_id in named:
                    scores[sid] += cfg.case_name_boost / (cfg.rrf_k + 1)
        ranked = sorted(scores, key=lambda sid: (-scores[sid], sid))[:k]
        self.timings_ms["total"] = (time.perf_counter() - started) * 1000
        return [self._hit(rank, sid, scores[sid]) for rank, sid in enumerate(ranked, start=1)]

    def _hit(self, rank: int, sid: str, score: float) -> StatementHit:
        s = self.statements[sid]
        section = self.knowledge.section(s.section_id)
        card = self.knowledge.case(s.case_id) if s.case_id else None
        return StatementHit(rank, round(score, 6), s, section.number, section.title, card.title if card else None,
                            (card.theme if card else section.theme) or None)
