"""The core object the shells (CLI, UI) talk to. Heavy parts load on first use and are then reused.

    >>> advisor = Advisor(Settings.from_env())
    >>> advisor.search("centrumgemeente sociale recherche", k=3)
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

import yaml

from advisor.advice.advise import Advice, Situation, advise
from advisor.advice.polish import polish_advice
from advisor.answer.answers import Answer
from advisor.answer.engine import AnswerEngine
from advisor.answer.gate import GateThresholds
from advisor.corpus.cases import CaseCard, filter_cases
from advisor.corpus.knowledge import Knowledge, load_knowledge
from advisor.corpus.rules import Rules, load_rules
from advisor.corpus.sections import Section
from advisor.corpus.statements import KINDS, Statement, Unit, content_units, uncovered, vocabulary_subjects
from advisor.errors import NotFoundError
from advisor.index.builds import IndexHandle, Manifest, build_index, is_up_to_date, open_index
from advisor.index.embeddings import SentenceTransformerEmbeddings, get_embeddings
from advisor.logs import describe_error
from advisor.retrieval.analysis import DutchAnalyser, read_word_list
from advisor.retrieval.hits import Filters, Hit
from advisor.retrieval.hybrid import HybridRetriever, RetrievalTrace
from advisor.retrieval.question import QuestionReader
from advisor.retrieval.safety import screen
from advisor.retrieval.statements import StatementHit, StatementRetriever
from advisor.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Shown:
    """What ``show`` returns: a section (with the cases inside it) or a case card (with its section)."""

    section: Section
    case: CaseCard | None
    cases_in_section: tuple[CaseCard, ...]


class Advisor:
    index_check_seconds = 5.0  # how often a running advisor looks whether a newer index build has been switched in

    def __init__(self, settings: Settings, embeddings: SentenceTransformerEmbeddings | None = None,
                 gate: GateThresholds | None = None) -> None:
        self.settings = settings
        self._embeddings = embeddings
        self._gate = gate
        self._index: IndexHandle | None = None
        self._index_checked = 0.0
        self._retriever: HybridRetriever | None = None
        self._statement_retriever: StatementRetriever | None = None
        self._engine: AnswerEngine | None = None
        self._lock = threading.RLock()

    @property
    def knowledge(self) -> Knowledge:
        return load_knowledge(self.settings)

    @property
    def rules(self) -> Rules:
        """The cue words and thresholds of ``corpus/cues.yaml`` and ``corpus/thresholds.yaml``."""
        return load_rules(self.settings.corpus_dir)

    @functools.cached_property
    def reader(self) -> QuestionReader:
        """Analyses every question once, at the door (the analyser is learned from the report and its glossary)."""
        corpus_dir = self.settings.corpus_dir
        analyser = DutchAnalyser.from_corpus(corpus_dir, self.knowledge.report)
        return QuestionReader(analyser, read_word_list(corpus_dir / "stopwords_en.txt"), self.rules.cues)

    @property
    def embeddings(self) -> SentenceTransformerEmbeddings:
        if self._embeddings is None:
            self._embeddings = get_embeddings(self.settings)
        return self._embeddings

    @property
    def index(self) -> IndexHandle:
        """The current index build; a newer build (``advisor index`` elsewhere) is picked up within seconds."""
        self._pick_up_newer_build()
        with self._lock:
            if self._index is None:
                self._index = open_index(self.settings, self.embeddings)
                self._index_checked = time.monotonic()
            return self._index

    def _pick_up_newer_build(self) -> None:
        """Reopen when the index pointer has moved on. Questions in flight keep the handle (and retriever) they
        hold; the old handle lets go of its build when the last of them is done."""
        with self._lock:
            handle, now = self._index, time.monotonic()
            if handle is None or now - self._index_checked < self.index_check_seconds:
                return
            self._index_checked = now  # one look per interval, whichever thread comes first
        try:
            if handle.is_current():
                return
            fresh = open_index(self.settings, self.embeddings)
        except Exception as error:  # IndexProblem or a store hiccup: keep serving the build we have, look again later
            log.warning("a newer index build could not be opened; serving the current one: %s", describe_error(error))
            return
        with self._lock:
            if self._index is handle:
                self._index, self._retriever, self._statement_retriever = fresh, None, None

    @property
    def retriever(self) -> HybridRetriever:
        """The hybrid retriever; its lexical side is built once per index build, from the collection's documents."""
        self._pick_up_newer_build()
        with self._lock:
            if self._retriever is None:
                vocabulary = yaml.safe_load(self.settings.vocabulary_path.read_text(encoding="utf-8"))
                self._retriever = HybridRetriever.from_index(self.index, self.knowledge, self.reader, vocabulary)
            return self._retriever

    @property
    def statement_retriever(self) -> StatementRetriever:
        """Search over the key statements (same index build as the chunks)."""
        self._pick_up_newer_build()
        with self._lock:
            if self._statement_retriever is None:
                self._statement_retriever = StatementRetriever.from_index(self.index, self.knowledge, self.reader)
            return self._statement_retriever

    @property
    def engine(self) -> AnswerEngine:
        """The answer engine, with exactly the collaborators it uses."""
        with self._lock:
            if self._engine is None:
                self._engine = AnswerEngine(self.reader, retriever=lambda: self.retriever, knowledge=self.knowledge,
                                            embeddings=self.embeddings, rules=self.rules, settings=self.settings,
                                            gate=self._gate, statements=lambda: self.statement_retriever)
            return self._engine

    def answer(self, question: str, history: list[dict] | None = None, generator: str | None = None) -> Answer:
        """A grounded, cited answer (or a refusal that points to what the report does cover)."""
        return self.engine.answer(question, history, generator)

    def stream_answer(self, question: str, history: list[dict] | None = None,
                      generator: str | None = None) -> Iterator[tuple[str, Any]]:
        """Events: ("sources", hits), ("token", text)…, ("answer", Answer)."""
        return self.engine.stream(question, history, generator)

    def advise(self, situation: Situation, generator: str | None = None) -> Advice:
        """Structured, cited advice for an intake (extractive; an LLM, if chosen, rewrites it as prose)."""
        if situation.description:  # free text from the user: no injection reaches the LLM that polishes advice
            situation = replace(situation, description=screen(situation.description).question)
        advice = advise(self.knowledge, situation)
        generator = generator or self.settings.generator
        return advice if generator == "extractive" else polish_advice(advice, generator, self.settings)

    def build_index(self, rebuild: bool = False, progress: bool = False) -> tuple[Manifest, bool]:
        manifest, built = build_index(
            self.settings, self.knowledge, self.embeddings, rebuild=rebuild, progress=progress
        )
        if built:
            with self._lock:
                self._index = self._retriever = self._statement_retriever = None
        return manifest, built

    def index_is_current(self) -> bool:
        """Was the index built from this corpus, with this chunker and this model? An older one still serves."""
        return is_up_to_date(self.settings, self.knowledge, self.embeddings)

    def search(self, query: str, k: int = 5, filters: Filters | None = None,
               trace: RetrievalTrace | None = None) -> list[Hit]:
        """Hybrid search within the filters (an unknown case id is a NotFoundError before anything is searched)."""
        if filters and filters.case_id:
            self.knowledge.case(filters.case_id)
        return self.retriever.retrieve(query, k=k, filters=filters, trace=trace)

    def search_statements(self, query: str, k: int = 5, filters: Filters | None = None, kind: str | None = None,
                          subject: str | None = None) -> list[StatementHit]:
        """Key statements for a question, within the filters (an unknown case, kind or subject is an error)."""
        self._check_statement_filters(filters, kind, subject)
        return self.statement_retriever.retrieve(query, k=k, filters=filters, kind=kind, subject=subject)

    def statements(self, section: str | None = None, case: str | None = None, kind: str | None = None,
                   subject: str | None = None) -> list[Statement]:
        """The key statements of a section (by id or printed number; '12.3' holds both), a case, a kind, a
        subject, in the report's order."""
        self._check_statement_filters(Filters(case_id=case), kind, subject)
        wanted = None
        if section:
            numbered = self.knowledge.sections_numbered(section)
            wanted = {s.section_id for s in numbered} or {self.knowledge.section(section).section_id}
        found = [
            s for s in self.knowledge.statements
            if (wanted is None or s.section_id in wanted) and (not case or s.case_id == case)
            and (not kind or s.kind == kind) and (not subject or subject in s.subjects)
        ]
        return sorted(found, key=lambda s: (s.start, s.end, s.id))

    def uncovered(self) -> tuple[list[Unit], int]:
        """The report's content sentences that no statement's quote covers, and how many there are in all."""
        kb = self.knowledge
        units = content_units(kb.sections, kb.cases)
        return uncovered(units, kb.statements, kb.report), len(units)

    def _check_statement_filters(self, filters: Filters | None, kind: str | None, subject: str | None) -> None:
        if filters and filters.case_id:
            self.knowledge.case(filters.case_id)
        if kind and kind not in KINDS:
            raise NotFoundError(f"no statement kind {kind!r}; kinds are {', '.join(KINDS)}")
        if subject:
            vocabulary = yaml.safe_load(self.settings.vocabulary_path.read_text(encoding="utf-8"))
            if subject not in vocabulary_subjects(vocabulary):
                raise NotFoundError(f"no subject {subject!r}; subjects are the forms, partners and themes of "
                                    "corpus/vocabulary.yaml (`advisor statements --subject centrumgemeente`)")

    def cases(self, theme: str | None = None, form: str | None = None, partner: str | None = None,
              place: str | None = None) -> list[CaseCard]:
        return filter_cases(list(self.knowledge.cases), theme=theme, form=form, partner=partner, place=place)

    def show(self, identifier: str) -> Shown:
        """A section by id or printed number ('12.3-b', '5.4', 'bijlage'), or a case by id."""
        kb = self.knowledge
        for card in kb.cases:
            if card.id == identifier:
                section = next(s for s in kb.sections if s.start <= card.start < s.end)
                return Shown(section, card, ())
        try:
            section = kb.section(identifier)
        except KeyError:
            numbered = kb.sections_numbered(identifier)
            if not numbered:
                raise NotFoundError(f"no section or case {identifier!r} (try `advisor cases` for case ids, or a "
                                    "section such as 5.4)") from None
            section = numbered[0]
        inside = tuple(c for c in kb.cases if section.start <= c.start < section.end)
        return Shown(section, None, inside)
