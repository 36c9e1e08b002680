"""The extractive answer from key statements: no LLM, instant, in the asker's language, every sentence cited.

A key statement is one self-contained claim of the report, written in Dutch and English and tied to the verbatim
words that support it (``corpus/statements``). The answer says first what answers the question (the best one to
three statements, joined as prose), then, where they add something, one or two further points and examples from
practice (one case statement per line, naming the case). Each sentence carries the marker of the passage that holds
its quote; the citation's quote is the report's own Dutch words.

    >>> plan = AnswerPlan.of(searched, question.language)
    >>> chosen = choose(plan, found, examples, hits, chunk_of)     # the statements it says, each with its passage
    >>> text, citations, sources = compose_statements(plan.language, chosen, hits)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from advisor.answer.citations import Citation, make_citation
from advisor.corpus.statements import Statement
from advisor.messages import say
from advisor.retrieval.hits import Hit
from advisor.retrieval.question import Question
from advisor.retrieval.statements import StatementHit

DIRECT = 2  # statements in the direct answer; one more when the question asks for a second kind of thing
MORE = 2  # further points, when they are close enough to the best statement
EXAMPLES = 3  # case statements, one per case, when examples or advice are asked for
RELEVANCE_FLOOR = 0.6  # a statement joins only with at least this share of the best statement's score
WORD_BUDGET = 110  # no further points once the answer has this many words


@dataclass(frozen=True)
class AnswerPlan:
    """What the question asks for: the kinds of statement that answer it, whether examples, and in which language."""

    language: str
    kinds: tuple[str, ...]
    examples: bool

    @classmethod
    def of(cls, searched: Question, language: str) -> AnswerPlan:
        """The plan for what is searched (a follow-up rewritten to stand alone), answered in the asker's language."""
        return cls(language, searched.kinds, searched.wants_examples)


def _overlaps(a: Statement, b: Statement) -> bool:
    return a.start < b.end and b.start < a.end


def select(plan: AnswerPlan, found: list[StatementHit]) -> tuple[list[StatementHit], list[StatementHit]]:
    """The direct answer and the further points: the best statements first; a statement of an asked-for kind
    near the top is brought forward; no two with overlapping quotes; nothing far below the best."""
    if not found:
        return [], []
    floor = found[0].score * RELEVANCE_FLOOR
    candidates = [h for h in found if h.score >= floor]
    direct: list[StatementHit] = []
    more: list[StatementHit] = []

    def add(hit: StatementHit, to: list[StatementHit]) -> None:
        if all(not _overlaps(hit.statement, h.statement) and hit.statement.nl != h.statement.nl
               for h in direct + more):
            to.append(hit)

    for hit in candidates[:DIRECT]:
        add(hit, direct)
    wanted = [k for k in plan.kinds if not any(h.statement.kind == k for h in direct)]
    if wanted:  # the second thing asked for ("wat is X en wat zijn de nadelen?")
        match = next((h for h in candidates[:6] if h.statement.kind == wanted[0]), None)
        if match:
            add(match, direct)
    for hit in candidates:
        if len(more) >= MORE:
            break
        if hit not in direct:
            add(hit, more)
    return direct, more


def statement_text(statement: Statement, language: str) -> str:
    """The statement in the asker's language: its English for an English question, else its Dutch."""
    return statement.en if language == "en" else statement.nl


def _sentence(text: str, marker: int) -> str:
    """The statement with its marker before the closing full stop: "… omliggende gemeenten [1]." """
    text = text.strip()
    ends = text[-1:] in (".", "!", "?")
    return f"{text[:-1] if ends else text} [{marker}]{text[-1] if ends else '.'}"


@dataclass(frozen=True)
class Chosen:
    """A statement the answer says, the part it goes in ("direct", "more" or "example") and the passage that holds
    its quote (the citation points there)."""

    hit: StatementHit
    part: str
    passage: Hit

    @property
    def statement(self) -> Statement:
        return self.hit.statement


def holding_passage(statement: Statement, hits: list[Hit], chunk_of: Callable[[Statement], Hit | None]) -> Hit | None:
    """The passage that holds the statement's quote: a retrieved one, else the index's chunk; None if neither does."""
    source = next((h for h in hits if h.start <= statement.start and statement.end <= h.end
                   and statement.quote in h.text), None)
    if source is None:
        source = chunk_of(statement)
        if source is None or statement.quote not in source.text:
            return None
    return source


def choose(plan: AnswerPlan, found: list[StatementHit], examples: list[StatementHit], hits: list[Hit],
           chunk_of: Callable[[Statement], Hit | None]) -> list[Chosen]:
    """The statements the answer says, in its order: the direct answer, further points while it is under
    ``WORD_BUDGET`` words, and (when examples are wanted) case statements, one per case. A statement no passage
    holds is left out. An LLM generator is given the same statements (``advisor.answer.generation``)."""
    chosen: list[Chosen] = []

    def take(hit: StatementHit, part: str) -> bool:
        passage = holding_passage(hit.statement, hits, chunk_of)
        if passage is not None:
            chosen.append(Chosen(hit, part, passage))
        return passage is not None

    language = plan.language
    direct, more = select(plan, found)
    budget = 0  # words of the answer so far (a direct sentence's marker counts as one)
    for hit in direct:
        if take(hit, "direct"):
            budget += len(statement_text(hit.statement, language).split()) + 1
    for hit in more:
        if budget >= WORD_BUDGET:
            break
        if take(hit, "more"):
            budget += len(statement_text(hit.statement, language).split())
    if plan.examples:
        used = {h.statement.id for h in direct + more}
        seen: set[str] = set()
        for hit in examples:
            s = hit.statement
            if len(seen) >= EXAMPLES or s.id in used or not s.case_id or s.case_id in seen:
                continue
            if take(hit, "example"):
                seen.add(s.case_id)
    return chosen


def compose_statements(language: str, chosen: list[Chosen], hits: list[Hit]) -> tuple[str, list[Citation], list[Hit]]:
    """Markdown (direct answer, further points, examples, the date note), its citations, and the sources: the
    retrieved passages plus any passage a cited statement stands in that retrieval did not return."""
    sources = list(hits)
    citations: list[Citation] = []
    parts: dict[str, list[str]] = {"direct": [], "more": [], "example": []}
    for c in chosen:
        if c.passage not in sources:
            sources.append(c.passage)
        citations.append(make_citation(len(citations) + 1, c.passage, c.statement.quote, c.statement.start))
        sentence = _sentence(statement_text(c.statement, language), len(citations))
        parts[c.part].append({"direct": sentence, "more": f"- {sentence}",
                              "example": f"- {c.hit.case_title}: {sentence}"}[c.part])
    lines: list[str] = []
    if parts["direct"]:
        lines += [" ".join(parts["direct"]), ""]
    if parts["more"]:
        lines += [f"**{say('answer.more', language)}**", *parts["more"], ""]
    if parts["example"]:
        lines += [f"**{say('answer.examples', language)}**", *parts["example"], ""]
    lines.append(f"_{say('answer.dated', language)}_")
    return "\n".join(lines), citations, sources
