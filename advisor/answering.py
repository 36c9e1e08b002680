"""Grounded, cited answers: rewrite the turn, retrieve, gate, generate, check every citation.

    >>> answer = advisor.answer("Welke vorm past bij een kleine gemeente?", history=[], generator="extractive")
    >>> answer.text, answer.citations, answer.refused

``stream_answer`` yields events for a UI: ``("sources", hits)`` as soon as retrieval is done, then
``("token", text)`` while an LLM writes, then ``("answer", Answer)``.
"""

from __future__ import annotations

import concurrent.futures
import functools
import logging
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from advisor.answerability import MIN_YES, AnswerabilityJudge, LocalAnswerabilityJudge
from advisor.citations import Checked, Citation, check_citations, words
from advisor.conversation import SMALLTALK_REPLIES, smalltalk_kind, standalone_query
from advisor.extractive import FRAMING, compose, pick_sentences
from advisor.gate import EvidenceGate, GateDecision
from advisor.generators import EXTRACTIVE, chat_model_for
from advisor.judges import cosine
from advisor.logs import describe_error, redact_secrets
from advisor.prompts import render
from advisor.retrieval import Filters, RetrievalTrace, describes_own_situation, detect_language, wants_examples
from advisor.safety import OutputGuard, new_canary, screen
from advisor.search import Hit, check_query
from advisor.topic import TopicWords

if TYPE_CHECKING:
    from advisor.service import Advisor

log = logging.getLogger(__name__)
LANGUAGE_NAMES = {"nl": "Dutch (Nederlands)", "en": "English"}
REFUSALS = {
    "nl": "Het rapport behandelt deze vraag niet.",
    "en": "The report does not cover this question.",
}
_GENERATOR_REFUSED = re.compile(
    r"(behandelt deze vraag niet|niet (?:in|uit) de bronnen|bronnen (?:geven|bevatten) (?:hier )?geen|geen informatie|"
    r"does not cover|do not (?:cover|answer|contain|mention)|not (?:covered|mentioned) in the sources|"
    r"no information)",
    re.IGNORECASE,
)
SOURCES_FOR_LLM = 4
CASE_HITS = 2  # case passages added for questions that ask for examples or describe the asker's situation
SOURCE_CHARS = 900
# e5 similarity between a generated sentence and a passage: a sentence that names its source needs 0.81 to keep
# it; a sentence without a marker is attributed to a source only at 0.84 (see docs/answers.md).
SUPPORT_SIMILARITY = 0.81
ATTRIBUTION_SIMILARITY = 0.84


@dataclass(frozen=True)
class Answer:
    question: str
    rewritten_query: str
    language: str
    text: str
    refused: bool
    citations: tuple[Citation, ...]
    generator: str
    timings_ms: dict[str, float]
    suggestions: tuple[str, ...] = ()
    unsupported: tuple[str, ...] = ()
    notices: tuple[str, ...] = ()
    sources: tuple[Hit, ...] = field(default=(), repr=False)
    kind: str = "answer"  # "answer", "refusal" or "smalltalk"
    gate: str = ""

    def to_json(self) -> dict:
        """The documented JSON shape of ``advisor ask --json`` (schemas/ask.schema.json)."""
        return {
            "question": self.question,
            "rewritten_query": self.rewritten_query,
            "language": self.language,
            "answer": self.text,
            "refused": self.refused,
            "suggestions": list(self.suggestions),
            "unsupported": list(self.unsupported),
            "citations": [
                {key: c.to_dict()[key] for key in
                 ("n", "chunk_id", "section", "section_id", "section_title", "case_id", "case_title", "quote")}
                for c in self.citations
            ],
            "generator": self.generator,
            "timings_ms": {key: round(value, 1) for key, value in self.timings_ms.items()},
            "notices": list(self.notices),
            "kind": self.kind,
        }


def suggestions_from(hits: list[Hit], language: str, limit: int = 4) -> tuple[str, ...]:
    """The nearest themes and cases the report does cover, from what retrieval found."""
    from advisor.sections import THEMES

    out: list[str] = []
    for hit in hits:
        if hit.case_title and hit.case_title not in out:
            out.append(hit.case_title)
        elif hit.theme:
            label = THEMES[hit.theme]["en" if language == "en" else "nl"]
            if label not in out:
                out.append(label)
        if len(out) == limit:
            break
    return tuple(out)


def refusal_text(language: str, decision: GateDecision | None, suggestions: tuple[str, ...]) -> str:
    words_ = FRAMING.get(language, FRAMING["nl"])
    if language == "en":
        reasons = {"figure_not_given": " It gives no such figures.",
                   "unknown_name": f" It does not mention {decision.detail if decision else ''}.",
                   "after_report": " It dates from March 2008 and cannot say what happened since.",
                   "contact_details": " It gives no contact details.",
                   "survey": " It reports no surveys or satisfaction figures.",
                   "office_holder": " It does not say who held which office.",
                   "not_in_sources": " The passages closest to it do not give this information."}
        text = "The report *Samenwerken, daar zit muziek in* (March 2008) does not cover this question."
        near = "Nearest topics the report does cover:"
        themes = "The report is about collaboration in enforcement, in eight themes:"
    else:
        reasons = {"figure_not_given": " Het noemt zulke cijfers niet.",
                   "unknown_name": f" Het noemt {decision.detail if decision else ''} niet.",
                   "after_report": " Het dateert van maart 2008 en kan niet zeggen wat er sindsdien gebeurde.",
                   "contact_details": " Het geeft geen contactgegevens.",
                   "survey": " Het bevat geen enquêtes of tevredenheidscijfers.",
                   "office_holder": " Het zegt niet wie welk ambt bekleedde.",
                   "not_in_sources": " De passages die er het dichtst bij liggen, geven deze informatie niet."}
        text = "Het rapport *Samenwerken, daar zit muziek in* (maart 2008) behandelt deze vraag niet."
        near = "Wat het rapport wel behandelt en hier het dichtst bij ligt:"
        themes = "Het rapport gaat over samenwerking in de handhaving, in acht thema's:"
    text += reasons.get(decision.reason if decision else "", "")
    if suggestions:
        heading = themes if suggestions == theme_suggestions(language) else near
        text += f"\n\n{heading}\n" + "\n".join(f"- {s}" for s in suggestions)
    return f"{text}\n\n_{words_['dated']}_"


def _sources_block(hits: list[Hit]) -> str:
    blocks = []
    for n, hit in enumerate(hits, start=1):
        where = f"{hit.section} {hit.section_title}" + (f" — {hit.case_title}" if hit.case_title else "")
        blocks.append(f"[{n}] ({where})\n{hit.text[:SOURCE_CHARS]}")
    return "\n\n".join(blocks)


class AnswerEngine:
    """Everything between a question and an ``Answer``; it keeps only the passage vectors it has computed."""

    def __init__(self, advisor: Advisor, gate: EvidenceGate | None = None, screen_questions: bool = True,
                 judge: AnswerabilityJudge | None = None) -> None:
        self.advisor = advisor
        self.gate = gate or EvidenceGate()
        self.judge = judge  # the local model's yes/no check of the passages; made when first needed
        self.screen_questions = screen_questions  # off only to test how a model itself resists injection
        self._vectors: dict[str, list[float]] = {}  # chunk id -> passage embedding (passages never change)
        self.canary = new_canary()  # in the LLM's system prompt; an answer that repeats it is withheld

    def _passage_vectors(self, hits: list[Hit]) -> list[list[float]]:
        """Passage embeddings, computed once per chunk for the life of the engine."""
        missing = [h for h in hits if h.chunk_id not in self._vectors]
        if missing:
            vectors = self.advisor.embeddings.embed_documents([h.text for h in missing])
            self._vectors.update(zip((h.chunk_id for h in missing), vectors))
        return [self._vectors[h.chunk_id] for h in hits]

    @functools.cached_property
    def _name_phrases(self) -> frozenset[frozenset[str]]:
        """Analysed places, aliases and title of every case, one phrase each."""
        analyser = self.advisor.retriever.analyser
        return frozenset(frozenset(analyser.terms(name)) for card in self.advisor.knowledge.cases
                         for name in (*card.places, *card.aliases, card.title))

    @functools.cached_property
    def _names(self) -> frozenset[str]:
        """Analysed terms of every case's places, aliases and title."""
        return frozenset().union(*self._name_phrases)

    @functools.cached_property
    def _domain(self) -> tuple[frozenset[str], ...]:
        """Analysed phrases of the report's own vocabulary: glossary, forms, partners, themes and case names."""
        retriever = self.advisor.retriever
        analyser = retriever.analyser
        texts = [*analyser.abbreviations, *(p for values in analyser.abbreviations.values() for p in values)]
        texts += [p for group in analyser.synonym_groups for p in (*group.get("nl", []), *group.get("en", []))]
        phrases = {frozenset(analyser.terms(text)) for text in texts} | self._name_phrases
        phrases |= {p for group in (*retriever.attributes.values(), *retriever.theme_phrases.values()) for p in group}
        return tuple(p for p in phrases if p)

    @functools.cached_property
    def _topic(self) -> TopicWords:
        analyser = self.advisor.retriever.analyser
        return TopicWords.from_report(self.advisor.knowledge.report, analyser.synonym_groups, analyser.stopwords)

    def _answerability_judge(self, generator: str) -> AnswerabilityJudge | None:
        """The judge for this answer, or None: with ADVISOR_ANSWER_CHECK=local when the local model answers (it is
        loaded then), with =always for every generator, never with =off (the default; docs/answers.md says why)."""
        mode = self.advisor.settings.answer_check
        if mode == "off" or (mode == "local" and generator != "local"):
            return None
        if self.judge is None:
            from advisor.local_llm import assemble_model

            settings = self.advisor.settings
            self.judge = LocalAnswerabilityJudge(str(assemble_model(settings.cache_dir)), settings.prompts_dir,
                                                 settings.llm_threads)
        return self.judge

    # -- stages -----------------------------------------------------------------------------------------

    def _supports(self, sentence: str, hit: Hit) -> bool:
        """Does the cited passage plausibly support the sentence? Shared content words (through the glossary
        for English), or a high embedding similarity when the languages differ."""
        analyser = self.advisor.retriever.analyser
        terms = set(analyser.terms(sentence))
        for expansion in analyser.expansions(sentence):
            if expansion.kind != "synonym":
                terms |= set(expansion.terms)
        passage = set(analyser.terms(hit.text + " " + (hit.case_title or "") + " " + hit.section_title))
        shared = terms & passage
        if len(shared) >= 2 and len(shared) >= 0.3 * max(len(set(analyser.terms(sentence))), 1):
            return True
        similarity = cosine(self.advisor.embeddings.embed_query(sentence), self._passage_vectors([hit])[0])
        return similarity >= SUPPORT_SIMILARITY

    def _attributor(self, hits: list[Hit]) -> Any:
        """For a sentence without a marker: the 1-based number of the most similar source, when it is similar
        enough to count as support (multilingual e5, so an English sentence can match a Dutch passage)."""
        embeddings = self.advisor.embeddings
        vectors = self._passage_vectors(hits)

        def attribute(sentence: str) -> int | None:
            query = embeddings.embed_query(sentence)
            scores = [cosine(query, vector) for vector in vectors]
            best = max(range(len(scores)), key=scores.__getitem__)
            return best + 1 if scores[best] >= ATTRIBUTION_SIMILARITY else None

        return attribute

    def _extractive(self, query: str, language: str, hits: list[Hit], with_cases: bool) -> tuple[str, list[Citation]]:
        retriever = self.advisor.retriever
        idf = {t: retriever.lexical.idf(t) for t in retriever.analyser.terms(query)}
        picked = pick_sentences(query, hits, retriever.analyser, idf, with_cases=with_cases)
        return compose(language, hits, picked)

    def _llm_messages(self, question: str, language: str, hits: list[Hit]) -> list[tuple[str, str]]:
        prompts_dir = self.advisor.settings.prompts_dir
        name = LANGUAGE_NAMES[language]
        system = render(prompts_dir, "answer_system", language_name=name, canary=self.canary)
        user = render(prompts_dir, "answer_user", sources=_sources_block(hits), question=question, language_name=name)
        return [("system", system), ("human", user)]

    # -- the whole turn ---------------------------------------------------------------------------------

    def stream(self, question: str, history: list[dict] | None = None, generator: str | None = None,
               k: int = 6) -> Iterator[tuple[str, Any]]:
        started = time.perf_counter()
        history = list(history or [])
        generator = generator or self.advisor.settings.generator
        question = check_query(question)
        retriever = self.advisor.retriever
        language = detect_language(question, retriever.analyser, retriever.english_stopwords)
        timings: dict[str, float] = {}
        notices: list[str] = []

        screened = screen(question) if self.screen_questions else None
        if screened and screened.injection:
            notices.append(INJECTION_NOTICES[language])
            history = [t for t in history if t["role"] == "assistant" or not screen(t["content"]).injection]
            if not screened.question:
                timings.update(retrieve=0.0, generate=0.0, total=(time.perf_counter() - started) * 1000)
                yield "answer", Answer(question, "", language, instructions_reply(language), True, (), generator,
                                       timings, theme_suggestions(language), (), tuple(notices), kind="refusal",
                                       gate="injection")
                return
            question = screened.question

        kind = smalltalk_kind(question)
        if kind:
            timings["total"] = (time.perf_counter() - started) * 1000
            yield "answer", Answer(question, "", language, SMALLTALK_REPLIES[(language, kind)], False, (), generator,
                                   {"retrieve": 0.0, "generate": 0.0, **timings}, kind="smalltalk")
            return

        chat_model = None
        if generator != EXTRACTIVE:
            try:
                chat_model = chat_model_for(generator, self.advisor.settings)
            except Exception as error:
                notices.append(_fallback_notice(language, generator, error))
                generator = EXTRACTIVE
        mark = time.perf_counter()
        query = standalone_query(question, history, self.advisor.knowledge, chat_model,
                                 self.advisor.settings.prompts_dir) if history else question
        timings["rewrite"] = (time.perf_counter() - mark) * 1000
        mark = time.perf_counter()
        trace = RetrievalTrace()
        hits = retriever.retrieve(query, k=k, trace=trace)
        if wants_examples(question):  # examples and advice are answered with cases: add the best case passages
            seen = {h.chunk_id for h in hits}
            extra = [h for h in retriever.retrieve(query, k=CASE_HITS, filters=Filters(cases_only=True))
                     if h.chunk_id not in seen]
            hits = hits[: k - len(extra[:CASE_HITS])] + extra[:CASE_HITS]
        timings["retrieve"] = (time.perf_counter() - mark) * 1000
        yield "sources", hits

        searched = question if not history else query
        decision = self.gate.check(searched, hits, trace, retriever.analyser, retriever.lexical,
                                   self.advisor.knowledge.report, self._names, self._domain,
                                   self._topic.anchors(searched))
        if not decision.covered:
            yield "answer", self._refusal(question, query, language, hits, generator, timings, started, notices,
                                          decision)
            return
        mark = time.perf_counter()
        p_yes = self._yes_probability(searched, hits, generator)
        timings["check"] = (time.perf_counter() - mark) * 1000
        if p_yes is not None and p_yes < MIN_YES:
            yield "answer", self._refusal(question, query, language, hits, generator, timings, started, notices,
                                          GateDecision(False, "not_in_sources", decision.similarity, f"{p_yes:.3f}"))
            return

        mark = time.perf_counter()
        if chat_model is not None:
            checked: Checked | None = None
            try:
                messages = self._llm_messages(question, language, hits[:SOURCES_FOR_LLM])
                guard = OutputGuard(self.canary, messages[0][1])
                text, shown = "", 0
                for token in _stream_with_deadline(chat_model, messages, self.advisor.settings.llm_timeout_s):
                    text += token
                    if guard.leaks(text):
                        raise InstructionLeak("the model repeated its instructions; its answer is withheld")
                    if len(text) - guard.hold_back > shown:  # hold the tail back until it is checked
                        yield "token", text[shown : len(text) - guard.hold_back]
                        shown = len(text) - guard.hold_back
                if shown < len(text):
                    yield "token", text[shown:]
                if _GENERATOR_REFUSED.search(text) and len(words(text)) < 40:
                    timings["generate"] = (time.perf_counter() - mark) * 1000
                    yield "answer", self._refusal(question, query, language, hits, generator, timings, started,
                                                  notices, GateDecision(False, "generator", decision.similarity))
                    return
                sources = hits[:SOURCES_FOR_LLM]
                checked = check_citations(text, sources, self._supports, attribute=self._attributor(sources))
            except Exception as error:  # dead, slow or garbled backend: fall back, never a traceback
                notices.append(_fallback_notice(language, generator, error))
                generator = EXTRACTIVE
            if checked is not None and not checked.citations:
                notices.append(_garbage_notice(language))
                generator = EXTRACTIVE
                checked = None
        if generator == EXTRACTIVE:
            text, citations = self._extractive(query, language, hits, wants_examples(question))
            checked = Checked(text, tuple(citations), (), 0)
        else:
            dated = FRAMING[language]["dated"]
            checked = Checked(f"{checked.text}\n\n_{dated}_", checked.citations, checked.unsupported,
                              checked.invalid_markers)
        timings["generate"] = (time.perf_counter() - mark) * 1000
        timings["total"] = (time.perf_counter() - started) * 1000
        yield "answer", Answer(question, query, language, checked.text, False, checked.citations, generator, timings,
                               (), checked.unsupported, tuple(notices), tuple(hits), "answer", "covered")

    def _yes_probability(self, question: str, hits: list[Hit], generator: str) -> float | None:
        """The judge's probability that the passages answer the question; None when there is no judge or it
        fails (a missing model or a broken backend must not stop an answer: the rule gate has already passed).
        Advice questions are not checked: the report answers them with its general recommendations and cases,
        not with one specific fact the passages either give or not."""
        if describes_own_situation(question):
            return None
        try:
            judge = self._answerability_judge(generator)
            return judge.yes_probability(question, [h.text for h in hits]) if judge else None
        except Exception as error:
            log.warning("the answerability check was skipped: %s", describe_error(error))
            return None

    def _refusal(self, question: str, query: str, language: str, hits: list[Hit], generator: str,
                 timings: dict[str, float], started: float, notices: list[str], decision: GateDecision) -> Answer:
        # the themes and cases retrieval came near; for a question off the report's subject, its eight themes
        near = suggestions_from(hits, language) if decision.reason != "off_topic" else ()
        suggestions = near or theme_suggestions(language)
        timings.setdefault("generate", 0.0)
        timings["total"] = (time.perf_counter() - started) * 1000
        return Answer(question, query, language, refusal_text(language, decision, suggestions), True, (), generator,
                      timings, suggestions, (), tuple(notices), tuple(hits), "refusal", decision.reason)

    def answer(self, question: str, history: list[dict] | None = None, generator: str | None = None) -> Answer:
        result = None
        for event, value in self.stream(question, history, generator):
            if event == "answer":
                result = value
        assert result is not None
        return result


class InstructionLeak(RuntimeError):
    """The LLM's answer repeated its canary or its instructions."""


INJECTION_NOTICES = {
    "nl": "Uw bericht vroeg om mijn instructies te negeren, te tonen of te omzeilen; dat deel is genegeerd. "
          "Ik antwoord alleen uit het rapport.",
    "en": "Your message asked me to ignore, reveal or bypass my instructions; that part was ignored. "
          "I answer only from the report.",
}


def instructions_reply(language: str) -> str:
    """What the advisor says to a message that only tries to change, reveal or bypass its instructions."""
    dated = FRAMING.get(language, FRAMING["nl"])["dated"]
    if language == "en":
        text = ("I answer questions about collaboration in enforcement, only from the report *Samenwerken, daar zit "
                "muziek in* (March 2008), and always with the places in the report I rely on. I cannot change or "
                "share my instructions. Ask me, for example, which form of collaboration fits your situation, or "
                "look up cases by theme.")
    else:
        text = ("Ik beantwoord vragen over samenwerken in de handhaving, alleen uit het rapport *Samenwerken, daar zit "
                "muziek in* (maart 2008), en altijd met de plaatsen in het rapport waarop ik steun. Mijn instructies "
                "kan ik niet wijzigen of delen. Vraag bijvoorbeeld welke samenwerkingsvorm bij uw situatie past, of "
                "zoek casussen op thema.")
    return f"{text}\n\n_{dated}_"


def theme_suggestions(language: str) -> tuple[str, ...]:
    from advisor.sections import THEMES

    return tuple(theme["en" if language == "en" else "nl"] for theme in THEMES.values())


def _stream_with_deadline(chat_model: Any, messages: list, timeout_s: float) -> Iterator[str]:
    """Tokens from the model; a backend that does not start within ``timeout_s`` raises TimeoutError."""
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=1)
    iterator = iter(chat_model.stream(messages))
    try:
        first = pool.submit(next, iterator, None).result(timeout=timeout_s)
    except concurrent.futures.TimeoutError:
        pool.shutdown(wait=False, cancel_futures=True)
        raise TimeoutError(f"no reply within {timeout_s:.0f} s") from None
    pool.shutdown(wait=False)
    deadline = time.monotonic() + timeout_s
    chunk = first
    while chunk is not None:
        yield str(getattr(chunk, "content", chunk))
        if time.monotonic() > deadline:
            raise TimeoutError(f"the answer took longer than {timeout_s:.0f} s")
        chunk = next(iterator, None)


def _fallback_notice(language: str, generator: str, error: Exception) -> str:
    if isinstance(error, InstructionLeak):
        if language == "en":
            return f"The answer of '{generator}' was withheld (it repeated its instructions); this answer was " \
                   "composed extractively."
        return f"Het antwoord van '{generator}' is achtergehouden (het herhaalde zijn instructies); dit antwoord is " \
               "extractief samengesteld."
    reason = f"{type(error).__name__}: {redact_secrets(str(error))[:160]}"
    if language == "en":
        return f"The language model '{generator}' could not answer ({reason}); this answer was composed extractively."
    return f"Het taalmodel '{generator}' kon niet antwoorden ({reason}); dit antwoord is extractief samengesteld."


def _garbage_notice(language: str) -> str:
    if language == "en":
        return "The language model's answer carried no valid citations; this answer was composed extractively."
    return "Het antwoord van het taalmodel had geen geldige bronvermeldingen; dit antwoord is extractief samengesteld."


def polish_advice(advisor: Advisor, advice: Any, generator: str) -> Any:
    """Let an LLM rewrite extractive advice as readable prose; its citations are checked against the advice's own
    sources, and on any failure the extractive advice stands (with a notice)."""
    from dataclasses import replace

    language = advice.situation.language
    sources = [Hit(c.n, c.chunk_id, 1.0, c.section, c.section_id, c.section_title, None, c.case_id, c.case_title,
                   c.start, c.end, c.quote) for c in advice.citations]
    try:
        model = chat_model_for(generator, advisor.settings)
        prompt = render(advisor.settings.prompts_dir, "advise_polish", language_name=LANGUAGE_NAMES[language],
                        advice=advice.text)
        text = "".join(_stream_with_deadline(model, [("human", prompt)], advisor.settings.llm_timeout_s))
        checked = check_citations(text, sources, drop_unsupported=True)
        if len(checked.citations) < max(3, len(advice.citations) // 3):
            raise ValueError("the rewrite kept too few citations")
    except Exception as error:  # the extractive advice is always a correct answer
        return replace(advice, notices=(*advice.notices, _fallback_notice(language, generator, error)))
    dated = FRAMING[language]["dated"]
    return replace(advice, text=f"{checked.text}\n\n_{dated}_", citations=checked.citations, generator=generator)
