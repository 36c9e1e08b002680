"""Is a question about the report's subject at all? The words that anchor it there.

A word anchors a question in the report when the report uses it at least ten times as often as everyday
language does. Everyday frequencies come from ``wordfreq`` (general Dutch and English, bundled with the
package). "handhaving", "gemeenten" and "convenant" anchor a question; "brood", "taal" and "snel" do not, although
the e5 model finds short questions about bread or languages about as close to the report as real ones (docs/answers.md).

English words borrow the report frequency of their Dutch counterparts in the glossary's synonym groups
(``corpus/glossary.yaml``): each word of the group's English entries counts as often as the report uses the group's
most frequent Dutch entry ("enforcement" as often as "handhaving"). Everyday frequency is the higher of Dutch and
English, so a Dutch word in a question taken for English ("welke") is no anchor either. Words that point at the
report itself ("rapport", "researchers") anchor too.

    >>> topic = TopicWords.from_report("De handhaving van de gemeente ...", synonym_groups, stopwords, rules)
    >>> topic.anchors(question)          # a Question (or a plain string): "Hoe bak ik brood?" -> []
    []

The threshold (``topic.min_specificity``) and the words that point at the report (``topic.report_words``) are in
``corpus/thresholds.yaml`` and ``corpus/cues.yaml``.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from wordfreq import zipf_frequency

from advisor.corpus.rules import Rules
from advisor.retrieval.analysis import fold, stem
from advisor.retrieval.question import Question

_WORD = re.compile(r"[a-zà-ÿ]+")


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


@dataclass(frozen=True)
class TopicWords:
    dutch: Mapping[str, int]  # how often the report uses each word stem ("gemeente" and "gemeenten" count together)
    english: Mapping[str, int]  # a word of a glossary group's English entries: uses of the group's top Dutch entry
    total: int  # words in the report
    stopwords: frozenset[str]  # folded, as the analyser keeps them
    report_words: frozenset[str]  # words that point at the report itself ("rapport", "researchers")
    min_specificity: float  # log10 of how much more often than everyday language: 1.0 is ten times as often

    @classmethod
    def from_report(cls, report: str, synonym_groups: Iterable[Mapping[str, list[str]]],
                    stopwords: frozenset[str], rules: Rules) -> TopicWords:
        tokens = words(report)
        dutch = Counter(stem(fold(w)) for w in tokens)
        groups = [([tuple(words(p)) for p in group.get("nl", []) if words(p)], group.get("en", []))
                  for group in synonym_groups]
        lengths = {len(phrase) for nl, _ in groups for phrase in nl}
        uses = Counter(tuple(tokens[i:i + n]) for n in lengths for i in range(len(tokens) - n + 1))  # phrase -> uses
        english: Counter[str] = Counter()
        for nl, en in groups:
            count = max((uses[phrase] for phrase in nl), default=0)
            for word in {w for phrase in en for w in words(phrase)}:
                english[word] = max(english[word], count)
        return cls(dutch, english, max(len(tokens), 1), stopwords, rules.cues.report_words,
                   rules.thresholds["topic"]["min_specificity"])

    def specificity(self, word: str) -> float | None:
        """log10 of how much more often the report uses ``word`` (or, for English, its glossary counterparts) than
        everyday Dutch or English does; None when the report never uses it."""
        count = max(self.dutch.get(stem(fold(word)), 0), self.english.get(word, 0))
        if not count:
            return None
        everyday = max(zipf_frequency(word, "nl"), zipf_frequency(word, "en"))  # log10 of uses per 10^9 words
        return math.log10(count / self.total * 1e9) - everyday

    def anchors(self, question: Question | str) -> list[str]:
        """The question's words that tie it to the report, e.g. ["handhaving"]; [] for "Hoe bak ik brood?"."""
        found = []
        for word in dict.fromkeys(question.words if isinstance(question, Question) else words(question)):
            if len(word) < 3 or fold(word) in self.stopwords:
                continue
            specificity = self.specificity(word)
            if word in self.report_words or (specificity is not None and specificity >= self.min_specificity):
                found.append(word)
        return found
