"""The evidence gate before generation: does the report cover this question at all?

Calibrated on eval/dev.jsonl (docs/answers.md has the figures). Three rules, each a reason to refuse:

1. **Off-topic:** the best dense similarity of any passage is below ``min_similarity`` (e5 similarities are
   compressed: on dev, answerable questions scored 0.80-0.92, the off-topic ones below 0.80).
2. **A figure the report does not give:** the question asks for a count (how many) or an amount of money
   (a budget, a salary, what someone pays) and no retrieved sentence holds a number in digits (with a money
   word, for money) together with the question's rarest term other than a place or case name. The report is
   qualitative; it gives very few figures.
3. **A named thing the report never mentions:** an acronym, or a capitalised word inside the sentence (e.g.
   "Woo", "Omgevingswet", "Belgian"), that occurs nowhere in the report nor in its glossary.

Rule 2 also covers years: a "which year / since when" question needs a retrieved sentence with a year.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from advisor.analysis import DutchAnalyser, fold
from advisor.lexical import LexicalIndex
from advisor.retrieval import RetrievalTrace
from advisor.search import Hit

_QUANTITY = re.compile(r"\b(hoeveel|aantallen|percentage\w*|how (?:many|much)|figures?|number of)\b", re.IGNORECASE)
_MONEY_QUESTION = re.compile(
    r"\b(bedrag\w*|budget\w*|begroting\w*|verdien\w*|salaris\w*|euro\w*|kost|betaalt|subsidie\w*|hoe hoog|"
    r"salar\w+|earn\w*|amounts?|costs? per|pays?|fees?|subsid\w+)\b",
    re.IGNORECASE,
)
_MONEY = re.compile(r"€|\beuro|\bgulden|\bprocent\b|%|\bbudget|\bkosten\b|\bbedrag", re.IGNORECASE)
_YEAR_QUESTION = re.compile(r"\b(welk jaar|which year|what year)\b", re.IGNORECASE)
_YEAR = re.compile(r"\b(1[89]\d\d|20\d\d)\b")
_COUNT = re.compile(r"\b(?!(?:1[89]|20)\d\d\b)\d+|\b(twee|drie|vier|vijf|zes|zeven|acht|negen|tien|elf|twaalf|"
                    r"vijftien|twintig|dertig|veertig|vijftig|honderd|duizend)\b", re.IGNORECASE)
_NAME = re.compile(r"\(([A-Z][A-Za-z]{1,8})\)|\b([A-Z]{2,}[a-z]?)\b|(?<=[\w,] )([A-Z][a-zà-ÿ]{3,}\w*)")


@dataclass(frozen=True)
class GateDecision:
    covered: bool
    reason: str  # "", "off_topic", "figure_not_given", "unknown_name"
    similarity: float
    detail: str = ""


@dataclass(frozen=True)
class EvidenceGate:
    min_similarity: float = 0.80

    def check(self, question: str, hits: list[Hit], trace: RetrievalTrace, analyser: DutchAnalyser,
              lexical: LexicalIndex, report: str, names: frozenset[str] = frozenset()) -> GateDecision:
        """``names``: analysed terms of the case names and places, which say nothing about a figure."""
        similarity = max(trace.dense_similarity.values(), default=0.0)
        if not hits or similarity < self.min_similarity:
            return GateDecision(False, "off_topic", similarity)
        folded_report = fold(report)
        for match in _NAME.finditer(question):
            name = match.group(1) or match.group(2) or match.group(3)
            if match.group(3) and name.endswith(("se", "sche", "s")):
                continue  # adjectives of places ("Haagse", "Zeeuwse") and plurals are not names
            if not (re.search(rf"\b{re.escape(fold(name))}\b", folded_report) or self._in_glossary(name, analyser)):
                return GateDecision(False, "unknown_name", similarity, name)
        if _MONEY_QUESTION.search(question):
            wanted = _MONEY
        elif _QUANTITY.search(question):
            wanted = _COUNT
        elif _YEAR_QUESTION.search(question):
            wanted = _YEAR
        else:
            return GateDecision(True, "", similarity)
        if not self._has_figure(question, hits, analyser, lexical, wanted, names):
            return GateDecision(False, "figure_not_given", similarity)
        return GateDecision(True, "", similarity)

    @staticmethod
    def _in_glossary(name: str, analyser: DutchAnalyser) -> bool:
        folded = fold(name)
        if any(fold(key) == folded for key in analyser.abbreviations):
            return True
        phrases = [p for group in analyser.synonym_groups for p in (*group.get("nl", []), *group.get("en", []))]
        phrases += [p for values in analyser.abbreviations.values() for p in values]
        return any(re.search(rf"\b{re.escape(folded)}\b", fold(p)) for p in phrases)

    @staticmethod
    def _has_figure(question: str, hits: list[Hit], analyser: DutchAnalyser, lexical: LexicalIndex,
                    wanted: re.Pattern, names: frozenset[str]) -> bool:
        """A retrieved sentence with the kind of figure asked for (an amount, a count, a year) that shares the
        question's rarest term other than a place or case name."""
        known = [t for t in set(analyser.terms(question)) if t in lexical.postings and t not in names]
        focus = set(sorted(known, key=lambda t: -lexical.idf(t))[:2])
        for hit in hits:
            for sentence in re.split(r"(?<=[.!?])\s+", hit.text):
                if not wanted.search(sentence) or (wanted is _MONEY and not re.search(r"\d", sentence)):
                    continue
                if not focus or focus & set(analyser.terms(sentence)):
                    return True
        return False
