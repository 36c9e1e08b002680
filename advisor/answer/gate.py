"""The evidence gate before generation: does the report cover this question, and does it give what it asks for?

    >>> gate = build_gate(retriever, knowledge, rules)            # once; its word lists are built here
    >>> gate.check(question, hits, trace, retriever.lexical, statements, statement_lexical)
    GateDecision(covered=False, reason="figure_not_given", ..., missing=(Need("count", "handhavers", ...),))

Calibrated on eval/dev.jsonl and the tuning holdouts (docs/answers.md has the figures); the cue words are in
``corpus/cues.yaml`` (``gate:``) and the thresholds in ``corpus/thresholds.yaml``. Four rules:

1. **Off-topic:** the best dense similarity of any passage is below ``min_similarity`` (e5 similarities are
   compressed: on dev, answerable questions scored 0.79-0.92, the off-topic ones below 0.80) and the question uses
   none of the report's own vocabulary, or the similarity is below ``floor_similarity`` whatever it uses. Also
   off-topic: a similarity below ``anchor_similarity`` and not one word that ties the question to the report
   (``advisor.topic``): short everyday questions ("Hoe bak ik brood?") reach 0.83 with e5.
2. **Something specific the report does not give** (``advisor.answer.needs``): a part of the question asks for a
   figure (a count, an amount, a percentage, a year, a duration), how often, an outcome, who chairs or pays, the
   names of as many things as it counts, an opinion, or a kind of detail the report seldom gives (software, a
   training, a tariff, a procedure, a legal article), and no retrieved passage sentence or key statement gives it.
   "How many X" needs a number right before X ("19 gemeenten", "zestien partners"). The report is qualitative.
3. **A named thing the report never mentions:** an acronym, or a capitalised word inside the sentence (e.g.
   "Woo", "Omgevingswet", "Belgian"), that occurs nowhere in the report nor in its glossary.
4. **Information a 2008 study does not hold:** what happened after it appeared (a later year, "after 2008" (the
   study dates from March 2008), "nowadays", "since then", "did it eventually…", corona), contact details, opinion
   surveys, and who held an office (the report names no one).

Rules 1 and 3 refuse. Rules 2 and 4 list what is ``missing``: the answer then says first what the report does not
give, and goes on with what it does say, unless nothing it found is close to the question (then it refuses too).
Rule 4's "inmiddels", "tegenwoordig" are met by a sentence about the report's own present ("nu", "inmiddels").
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from advisor.answer.needs import Evidence, Need, close_to, needs_of, parts
from advisor.corpus.knowledge import Knowledge
from advisor.corpus.rules import Cues, Rules
from advisor.retrieval.analysis import DutchAnalyser, fold
from advisor.retrieval.hits import Hit
from advisor.retrieval.hybrid import RetrievalTrace
from advisor.retrieval.lexical import LexicalIndex
from advisor.retrieval.question import Question, named_cases
from advisor.retrieval.statements import StatementHit

_NAME = re.compile(r"\(([A-Z][A-Za-z]{1,8})\)|\b([A-Z]{2,}[a-z]?)\b|(?<=[\w,] )([A-Z][a-zà-ÿ]{3,}\w*)")


@dataclass(frozen=True)
class GateDecision:
    covered: bool
    reason: str  # "", "off_topic", "figure_not_given", "unknown_name", or a kind of information a 2008 study lacks
    similarity: float
    detail: str = ""
    missing: tuple[Need, ...] = ()  # what the report does not give, when it says something close: answer with that

    @property
    def not_in_report(self) -> bool:
        """The question asks for something the report does not give, and the report says something close."""
        return bool(self.missing)


@dataclass(frozen=True)
class GateThresholds:
    """Best-passage similarities below which a question is off-topic (``corpus/thresholds.yaml``, ``gate:``)."""

    min_similarity: float  # ... unless the question uses the report's own vocabulary
    floor_similarity: float  # ... whatever words it uses
    anchor_similarity: float  # ... when no word anchors it in the report

    @classmethod
    def from_rules(cls, rules: Rules) -> GateThresholds:
        return cls(**rules.thresholds["gate"])


class Anchors(Protocol):
    def anchors(self, question: Question) -> list[str]: ...


@dataclass(frozen=True)
class EvidenceGate:
    """The four rules over one corpus: its cue words, its analysed vocabulary and the thresholds."""

    cues: Cues
    analyser: DutchAnalyser
    thresholds: GateThresholds
    folded_report: str  # the report, folded, for names it mentions
    names: frozenset[str] = frozenset()  # analysed terms of case names and places: they say nothing about a figure
    domain: tuple[frozenset[str], ...] = ()  # analysed phrases of the report's vocabulary (glossary, forms, ...)
    topic: Anchors | None = None  # the words that anchor a question in the report; None skips that rule
    knowledge: Knowledge | None = None  # the cases, for the ones a question names

    def check(self, question: Question, hits: list[Hit], trace: RetrievalTrace, lexical: LexicalIndex,
              statements: Sequence[StatementHit] = (), vocabulary: LexicalIndex | None = None) -> GateDecision:
        """Covered, or the first rule that refuses (in the order of the module docstring). Rules 2 and 4 also look
        at the key statements found for the question (``vocabulary`` is their lexical index), and a decision
        they make lists what is missing when the statements are close to the question (``missing``)."""
        limits, cues = self.thresholds, self.cues
        similarity = max(trace.dense_similarity.values(), default=0.0)
        if not hits or similarity < min(limits.floor_similarity, limits.min_similarity):
            return GateDecision(False, "off_topic", similarity)
        if self.topic is not None and not self.topic.anchors(question) and similarity < limits.anchor_similarity:
            return GateDecision(False, "off_topic", similarity, "no word of the report's subject")
        if similarity < limits.min_similarity:
            terms = set(question.terms)
            if not any(phrase <= terms for phrase in self.domain):
                return GateDecision(False, "off_topic", similarity)
        for match in _NAME.finditer(question.text):
            name = match.group(1) or match.group(2) or match.group(3)
            if match.group(3) and name.endswith(("se", "sche", "s")):
                continue  # adjectives of places ("Haagse", "Zeeuwse") and plurals are not names
            if not match.group(3) and name.endswith("s") and name[:-1].isupper():
                name = name[:-1]  # an acronym's plural ("BOAs")
            if not (re.search(rf"\b{re.escape(fold(name))}\b", self.folded_report) or self._in_glossary(name)):
                return GateDecision(False, "unknown_name", similarity, name)
        needs = self._needs(question)
        if not needs:
            return GateDecision(True, "", similarity)
        named = named_cases(self.knowledge, question) if self.knowledge is not None else set()
        evidence = Evidence.of(hits, statements, self.analyser, cues, *self._vocabulary(lexical, vocabulary),
                               self.names, named)
        missing = tuple(need for need in needs if not evidence.gives(need))
        if not missing:
            return GateDecision(True, "", similarity)
        nearest = [text for h in statements[:3] for text in (h.statement.nl, h.statement.en)] or \
            [h.text for h in hits[:3]]
        close = close_to(question, nearest, self.analyser, cues.asking_words)
        return GateDecision(False, missing[0].reason, similarity, missing[0].what, missing if close else ())

    def _needs(self, question: Question) -> tuple[Need, ...]:
        """What a 2008 study cannot hold (rule 4), then what each part of the question asks for (rule 2)."""
        text, needs = question.text, []
        for reason, pattern in self.cues.not_in_a_2008_study.items():
            if match := pattern.search(text):
                offices = self.cues.offices.findall(match.group(0))
                what = match.group(0) if reason == "after_report" else offices[-1] if offices else ""
                part = next((p for p in parts(text) if pattern.search(p)), text)
                needs.append(Need(reason, what, part))
        return (*needs, *needs_of(question, self.cues, self.analyser.stopwords))

    def _in_glossary(self, name: str) -> bool:
        analyser = self.analyser
        folded = fold(name)
        if any(fold(key) == folded for key in analyser.abbreviations):
            return True
        phrases = [p for group in analyser.synonym_groups for p in (*group.get("nl", []), *group.get("en", []))]
        phrases += [p for values in analyser.abbreviations.values() for p in values]
        return any(re.search(rf"\b{re.escape(folded)}\b", fold(p)) for p in phrases)

    @staticmethod
    def _vocabulary(lexical: LexicalIndex, vocabulary: LexicalIndex | None
                    ) -> tuple[Callable[[str], bool], Callable[[str], float]]:
        """Whether a term occurs in the report (the passages' index) or its key statements (their index, which
        holds their English too), and how rare it is: among the statements when they are there."""
        def known(term: str) -> bool:
            return term in lexical.postings or (vocabulary is not None and term in vocabulary.postings)
        return known, (vocabulary if vocabulary is not None else lexical).idf


def build_gate(retriever: Any, knowledge: Knowledge, rules: Rules, thresholds: GateThresholds | None = None,
               topic: Anchors | None = None) -> EvidenceGate:
    """The gate over this corpus: case names, the report's vocabulary (glossary, forms, partners, themes, case
    names, as the retriever has analysed them) and the report itself, analysed once."""
    analyser = retriever.analyser
    name_phrases = frozenset(frozenset(analyser.terms(name)) for card in knowledge.cases
                             for name in (*card.places, *card.aliases, card.title))
    texts = [*analyser.abbreviations, *(p for values in analyser.abbreviations.values() for p in values)]
    texts += [p for group in analyser.synonym_groups for p in (*group.get("nl", []), *group.get("en", []))]
    phrases = {frozenset(analyser.terms(text)) for text in texts} | name_phrases
    phrases |= {p for group in (*retriever.attributes.values(), *retriever.theme_phrases.values()) for p in group}
    return EvidenceGate(rules.cues, analyser, thresholds or GateThresholds.from_rules(rules), fold(knowledge.report),
                        frozenset().union(*name_phrases), tuple(p for p in phrases if p), topic, knowledge)
