"""Grounded, cited answers: read the question, search, gate, write, check every citation.

    >>> engine = AnswerEngine(reader, retriever=lambda: advisor.retriever, knowledge=kb, embeddings=emb,
    ...                       rules=rules, settings=settings)
    >>> answer = engine.answer("Welke vorm past bij een kleine gemeente?", history=[], generator="extractive")
    >>> answer.text, answer.citations, answer.refused

``stream`` yields events for a UI: ``("sources", hits)`` as soon as retrieval is done, then ``("token", text)``
while an LLM writes, then ``("answer", Answer)``. One turn passes through these steps, each a method below:

1. ``_read``: the question analysed once (``Question``), the history cleared of injection attempts;
2. ``_early_reply``: an injection with nothing left to answer, or small talk, is answered without searching;
3. ``_search``: a follow-up rewritten into a standalone search; hybrid retrieval (plus case passages when the
   question asks for examples or describes the asker's situation);
4. ``_decide``: the evidence gate, then (when configured) the local model's answerability check;
5. ``_choose``, then ``_write_with_llm`` or ``_compose``: the key statements that answer the question; an LLM
   answer that connects them, its citations checked, or the extractive answer made of them (also the fallback when
   the LLM fails).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from advisor.answer.answers import Answer
from advisor.answer.citations import Checked, check_citations, words
from advisor.answer.conversation import standalone_query
from advisor.answer.extractive import compose, pick_sentences
from advisor.answer.gate import EvidenceGate, GateDecision, GateThresholds, build_gate
from advisor.answer.generation import (
    SOURCES_FOR_LLM,
    InstructionLeak,
    fallback_notice,
    llm_messages,
    statement_messages,
    statement_sources,
    stream_with_deadline,
)
from advisor.answer.guard import OutputGuard, new_canary
from advisor.answer.refusals import absence_text, instructions_reply, refusal_text, suggestions_from, theme_suggestions
from advisor.answer.statements import AnswerPlan, Chosen, choose, compose_statements
from advisor.answer.support import SupportCheck
from advisor.answer.topic import TopicWords
from advisor.corpus.knowledge import Knowledge
from advisor.corpus.rules import Rules
from advisor.llm.answerability import AnswerabilityJudge, LocalAnswerabilityJudge
from advisor.llm.generators import EXTRACTIVE, chat_model_for
from advisor.llm.local import LocalModelNotInstalled
from advisor.logs import describe_error
from advisor.messages import say
from advisor.retrieval.hits import Filters, Hit
from advisor.retrieval.hybrid import HybridRetriever, RetrievalTrace
from advisor.retrieval.question import Question, QuestionReader
from advisor.retrieval.safety import screen
from advisor.retrieval.statements import StatementHit, StatementRetriever
from advisor.settings import Settings

log = logging.getLogger(__name__)
CASE_HITS = 2  # case passages added for questions that ask for examples or describe the asker's situation
GENERATOR_REFUSAL_MAX_WORDS = 40  # a generated "I cannot answer" longer than this is an answer after all
STATEMENTS = 10  # key statements searched for an extractive answer (and case statements, when examples are asked for)


@dataclass
class Turn:
    """What one turn gathers on its way: the retriever it started with (a question in flight finishes on the index
    build it began on), the clock, the timings and the notices shown above the answer."""

    started: float = field(default_factory=time.perf_counter)
    timings: dict[str, float] = field(default_factory=dict)
    notices: list[str] = field(default_factory=list)
    retriever: HybridRetriever | None = None  # taken once the question is read
    statements: StatementRetriever | None = None  # the key statements' search, taken with the retriever
    found: list[StatementHit] = field(default_factory=list)  # found for the question: the gate, then the answer

    def lap(self, name: str, mark: float) -> float:
        now = time.perf_counter()
        self.timings[name] = (now - mark) * 1000
        return now

    def finish(self) -> dict[str, float]:
        self.timings["total"] = (time.perf_counter() - self.started) * 1000
        return self.timings


class AnswerEngine:
    """Everything between a question and an ``Answer``. It receives what it uses: the question reader, a function
    returning the current retriever (a newer index build replaces it), the knowledge, the embeddings, the rules, the
    settings, the gate's thresholds and a factory of chat models by generator id."""

    def __init__(self, reader: QuestionReader, retriever: Callable[[], HybridRetriever], knowledge: Knowledge,
                 embeddings: Any, rules: Rules, settings: Settings, gate: GateThresholds | None = None,
                 chat_models: Callable[[str, Settings], Any] | None = None, screen_questions: bool = True,
                 judge: AnswerabilityJudge | None = None,
                 statements: Callable[[], StatementRetriever | None] | None = None) -> None:
        self.reader = reader
        self.retriever = retriever
        self.statements = statements  # the key statements' search (the extractive answer is made of them)
        self.knowledge = knowledge
        self.rules = rules
        self.settings = settings
        self.thresholds = gate or GateThresholds.from_rules(rules)
        self.chat_models = chat_models  # None: the generators' own factory (looked up at call time)
        self.screen_questions = screen_questions  # off only to test how a model itself resists injection
        self.judge = judge  # the local model's yes/no check of the passages; made when first needed
        self.embeddings = embeddings
        self.canary = new_canary()  # in the LLM's system prompt; an answer that repeats it is withheld
        self._gate: EvidenceGate | None = None
        self._support: SupportCheck | None = None

    @property
    def support(self) -> SupportCheck:
        """The check of an LLM answer's citations (it keeps the passage vectors it has computed)."""
        if self._support is None:
            limits = self.rules.thresholds["answer"]
            self._support = SupportCheck(self.retriever().analyser, self.embeddings, limits["support_similarity"],
                                         limits["attribution_similarity"])
        return self._support

    @property
    def gate(self) -> EvidenceGate:
        """The evidence gate, its word lists built on first use (the app's warm-up builds them)."""
        if self._gate is None:
            retriever = self.retriever()
            analyser = retriever.analyser
            topic = TopicWords.from_report(self.knowledge.report, analyser.synonym_groups, analyser.stopwords,
                                           self.rules)
            self._gate = build_gate(retriever, self.knowledge, self.rules, self.thresholds, topic)
        return self._gate

    def _chat_model_for(self, generator: str) -> Any:
        factory = self.chat_models or chat_model_for
        return factory(generator, self.settings)

    # -- the whole turn ---------------------------------------------------------------------------------------------

    def stream(self, text: str, history: list[dict] | None = None, generator: str | None = None,
               k: int = 6) -> Iterator[tuple[str, Any]]:
        turn = Turn()
        generator = generator or self.settings.generator
        question, history = self._read(text, list(history or []), turn)  # bad input is refused before any search
        early = self._early_reply(question, generator, turn)
        if early is not None:
            yield "answer", early
            return
        turn.retriever = self.retriever()
        turn.statements = self.statements() if self.statements else None
        chat_model, generator = self._chat_model(generator, question.language, turn)
        searched, hits, trace = self._search(question, history, chat_model, k, turn)
        yield "sources", hits
        decision = self._decide(question, searched, hits, trace, generator, turn)
        if not decision.covered and not decision.missing:
            yield "answer", self._refusal(question, searched, hits, generator, turn, decision)
            return
        mark = time.perf_counter()
        chosen = self._choose(question, searched, hits, turn)
        checked = None
        if chat_model is not None:
            outcome = yield from self._write_with_llm(chat_model, question, searched, hits, chosen, generator, turn,
                                                      decision)
            if isinstance(outcome, Answer):  # the model said the sources do not answer: a refusal
                yield "answer", outcome
                return
            if outcome is None:
                generator = EXTRACTIVE
            else:
                checked, hits = outcome
        if checked is None:
            checked, hits = self._compose(question, searched, hits, chosen, turn)
        else:
            checked = Checked(f"{checked.text}\n\n_{say('answer.dated', question.language)}_", checked.citations,
                              checked.unsupported, checked.invalid_markers)
        turn.lap("generate", mark)
        text = checked.text
        if decision.missing:  # first what the report does not give, then what it does say
            text = f"{absence_text(decision.missing, question.language)}\n\n{text}"
        yield "answer", Answer(question.text, searched.text, question.language, text, False,
                               checked.citations, generator, turn.finish(), (), checked.unsupported,
                               tuple(turn.notices), tuple(hits), "answer", decision.reason or "covered",
                               not_in_report=decision.not_in_report)

    def answer(self, question: str, history: list[dict] | None = None, generator: str | None = None) -> Answer:
        result = None
        for event, value in self.stream(question, history, generator):
            if event == "answer":
                result = value
        assert result is not None
        return result

    # -- the steps --------------------------------------------------------------------------------------------------

    def _read(self, text: str, history: list[dict], turn: Turn) -> tuple[Question, list[dict]]:
        """The question, analysed once; user turns of the history that tried an injection are dropped too."""
        question = self.reader.read(text, history, screen_injections=self.screen_questions)
        if question.injection:
            turn.notices.append(say("notice.injection", question.language))
            history = [t for t in history if t["role"] == "assistant" or not screen(t["content"]).injection]
        return question, history

    def _early_reply(self, question: Question, generator: str, turn: Turn) -> Answer | None:
        """Nothing to search: a message that only tried an injection, or a greeting."""
        language = question.language
        if question.injection and not question.text:
            turn.timings.update(retrieve=0.0, generate=0.0)
            return Answer(question.text, "", language, instructions_reply(language), True, (), generator,
                          turn.finish(), theme_suggestions(language), (), tuple(turn.notices), kind="refusal",
                          gate="injection", not_in_report=True)
        if question.smalltalk:
            turn.timings.update(retrieve=0.0, generate=0.0)
            return Answer(question.text, "", language, say(f"smalltalk.{question.smalltalk}", language), False, (),
                          generator, turn.finish(), kind="smalltalk")
        return None

    def _chat_model(self, generator: str, language: str, turn: Turn) -> tuple[Any, str]:
        """The chat model for the generator (None for extractive); one that cannot be set up falls back."""
        if generator == EXTRACTIVE:
            return None, generator
        try:
            return self._chat_model_for(generator), generator
        except LocalModelNotInstalled:  # asked for by name and not installed: say so, do not answer otherwise
            raise
        except Exception as error:
            log.warning("generator %s is unavailable, answering extractively: %s", generator, describe_error(error))
            turn.notices.append(fallback_notice(language, generator, error))
            return None, EXTRACTIVE

    def _search(self, question: Question, history: list[dict], chat_model: Any, k: int,
                turn: Turn) -> tuple[Question, list[Hit], RetrievalTrace]:
        """What is searched (the question, or a follow-up rewritten to stand alone) and the passages found."""
        mark = time.perf_counter()
        retriever = turn.retriever
        searched = question
        if history:
            query = standalone_query(question, history, self.knowledge, chat_model, self.settings.prompts_dir)
            searched = self.reader.about(query) if query != question.text else question
        mark = turn.lap("rewrite", mark)
        trace = RetrievalTrace()
        hits = retriever.retrieve(searched, k=k, trace=trace)
        if question.wants_examples:  # examples and advice are answered with cases: add the best case passages
            seen = {h.chunk_id for h in hits}
            extra = [h for h in retriever.retrieve(searched, k=CASE_HITS, filters=Filters(cases_only=True))
                     if h.chunk_id not in seen]
            hits = hits[: k - len(extra[:CASE_HITS])] + extra[:CASE_HITS]
        turn.lap("retrieve", mark)
        return searched, hits, trace

    def _decide(self, question: Question, searched: Question, hits: list[Hit], trace: RetrievalTrace,
                generator: str, turn: Turn) -> GateDecision:
        """The evidence gate (on the passages and the key statements found for the question); then, when
        configured, the local model's check that the passages answer it. A decision with ``missing`` is answered
        all the same, saying first what the report does not give."""
        finder = turn.statements
        turn.found = finder.retrieve(searched, k=STATEMENTS) if finder is not None and len(finder) else []
        decision = self.gate.check(searched, hits, trace, turn.retriever.lexical, turn.found,
                                   finder.lexical if turn.found else None)
        if not decision.covered:
            return decision
        mark = time.perf_counter()
        p_yes = self._yes_probability(searched, hits, generator)
        turn.lap("check", mark)
        if p_yes is not None and p_yes < self.rules.thresholds["answer"]["min_yes"]:
            return GateDecision(False, "not_in_sources", decision.similarity, f"{p_yes:.3f}")
        return decision

    def _choose(self, question: Question, searched: Question, hits: list[Hit], turn: Turn) -> list[Chosen]:
        """The key statements that answer the question (those the gate saw, plus case statements when examples are
        asked for), each with the passage holding its quote: what the extractive answer says and an LLM is given.
        Empty without statements in the index."""
        finder, retriever = turn.statements, turn.retriever
        if finder is None or not len(finder):
            return []
        plan = AnswerPlan.of(searched, question.language)
        examples = finder.retrieve(searched, k=STATEMENTS, filters=Filters(cases_only=True)) if plan.examples else []
        return choose(plan, turn.found, examples, hits, lambda s: retriever.chunk_holding(s.start, s.end))

    def _write_with_llm(self, chat_model: Any, question: Question, searched: Question, hits: list[Hit],
                        chosen: list[Chosen], generator: str, turn: Turn,
                        decision: GateDecision) -> Iterator[tuple[str, Any]]:
        """Stream the model's answer (holding back what might be a leak), then check its citations. Returns the
        checked answer with its sources, a refusal (the model says the sources do not answer), or None to answer
        extractively. The model is given the chosen key statements, a cited [n] standing for the statement's quote;
        without any, the best passages."""
        started = time.perf_counter()
        prompts, language = self.settings.prompts_dir, question.language
        if chosen:
            messages = statement_messages(prompts, question.text, language, chosen, self.canary)
            told, cited = statement_sources(chosen, language)
        else:
            told, cited = hits[:SOURCES_FOR_LLM], None
            messages = llm_messages(prompts, question.text, language, told, self.canary)
        guard = OutputGuard(self.canary, messages[0][1])
        text, shown = "", 0
        try:
            for token in stream_with_deadline(chat_model, messages, self.settings.llm_timeout_s):
                text += token
                if guard.leaks(text):
                    raise InstructionLeak("the model repeated its instructions; its answer is withheld")
                if len(text) - guard.hold_back > shown:  # hold the tail back until it is checked
                    yield "token", text[shown : len(text) - guard.hold_back]
                    shown = len(text) - guard.hold_back
        except Exception as error:  # dead, slow or leaking backend: the extractive answer stands in
            log.warning("generator %s failed, answering extractively: %s", generator, describe_error(error))
            turn.notices.append(fallback_notice(question.language, generator, error))
            return None
        if shown < len(text):
            yield "token", text[shown:]
        if self.rules.cues.generator_refused.search(text) and len(words(text)) < GENERATOR_REFUSAL_MAX_WORDS:
            turn.lap("generate", started)
            return self._refusal(question, searched, hits, generator, turn,
                                 GateDecision(False, "generator", decision.similarity))
        checked = check_citations(text, told, self.support.supports, attribute=self.support.attributor(told),
                                  cited=cited)
        if not checked.citations:
            log.info("generator %s gave no valid citation; answering extractively", generator)
            turn.notices.append(say("notice.no_citations", question.language))
            return None
        # a cited statement's passage that retrieval did not return is added to the sources
        missing = {c.chunk_id for c in checked.citations} - {h.chunk_id for h in hits}
        extra = {c.passage.chunk_id: c.passage for c in chosen if c.passage.chunk_id in missing}
        return checked, [*hits, *extra.values()]

    def _compose(self, question: Question, searched: Question, hits: list[Hit], chosen: list[Chosen],
                 turn: Turn) -> tuple[Checked, list[Hit]]:
        """The extractive answer, made of the chosen key statements (the passages' sentences that share most of
        the question's terms when the index holds no statements), and the sources it cites."""
        finder, retriever = turn.statements, turn.retriever
        if finder is None or not len(finder):
            idf = {t: retriever.lexical.idf(t) for t in searched.terms}
            picked = pick_sentences(searched, hits, retriever.analyser, self.rules.cues, idf,
                                    with_cases=question.wants_examples)
            text, citations = compose(question.language, hits, picked)
            return Checked(text, tuple(citations), (), 0), hits
        text, citations, sources = compose_statements(question.language, chosen, hits)
        return Checked(text, tuple(citations), (), 0), sources

    # -- helpers ----------------------------------------------------------------------------------------------------

    def _answerability_judge(self, generator: str) -> AnswerabilityJudge | None:
        """The judge for this answer, or None: with ADVISOR_ANSWER_CHECK=local when the local model answers (it is
        loaded then), with =always for every generator, never with =off (the default; docs/answers.md says why)."""
        mode = self.settings.answer_check
        if mode == "off" or (mode == "local" and generator != "local"):
            return None
        if self.judge is None:
            from advisor.llm.local import assemble_model

            settings = self.settings
            self.judge = LocalAnswerabilityJudge(str(assemble_model(settings.cache_dir)), settings.prompts_dir,
                                                 settings.llm_threads)
        return self.judge

    def _yes_probability(self, searched: Question, hits: list[Hit], generator: str) -> float | None:
        """The judge's probability that the passages answer the question; None when there is no judge or it
        fails (a missing model or a broken backend must not stop an answer: the rule gate has already passed).
        Advice questions are not checked: the report answers them with its general recommendations and cases,
        not with one specific fact the passages either give or not."""
        if searched.own_situation:
            return None
        try:
            judge = self._answerability_judge(generator)
            return judge.yes_probability(searched.text, [h.text for h in hits]) if judge else None
        except Exception as error:
            log.warning("the answerability check was skipped: %s", describe_error(error))
            return None

    def _refusal(self, question: Question, searched: Question, hits: list[Hit], generator: str, turn: Turn,
                 decision: GateDecision) -> Answer:
        # the themes and cases retrieval came near; for a question off the report's subject, its eight themes
        language = question.language
        near = suggestions_from(hits, language) if decision.reason != "off_topic" else ()
        suggestions = near or theme_suggestions(language)
        turn.timings.setdefault("generate", 0.0)
        return Answer(question.text, searched.text, language, refusal_text(language, decision, suggestions), True, (),
                      generator, turn.finish(), suggestions, (), tuple(turn.notices), tuple(hits), "refusal",
                      decision.reason, not_in_report=True)
