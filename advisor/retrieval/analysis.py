"""A lexical analyser built for this Dutch report: folding, stop words, snowball stems, compound parts,
and query expansion from the report's own abbreviations and synonyms (``corpus/glossary.yaml``).

    >>> analyser = DutchAnalyser.from_corpus(settings.corpus_dir, vocabulary_text=report)
    >>> analyser.terms("Uitkeringsfraude bij het OM")
    ['uitkeringsfraud', 'uitkering', 'fraud', '#om']

Abbreviations are matched case-sensitively before lower-casing, so the ``OM`` (Openbaar Ministerie) does
not vanish as the stop word "om"; they become ``#om``-style terms on both the document and the query side.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import snowballstemmer
import yaml

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
_MIN_PART = 4
_LINKS = ("s", "e", "en", "")


def fold(text: str) -> str:
    """Lower case without accents: 'Coördinatie' -> 'coordinatie'."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def read_word_list(path: Path) -> frozenset[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return frozenset(fold(line.strip()) for line in lines if line.strip() and not line.startswith("#"))


@dataclass(frozen=True)
class Expansion:
    """Terms added to a query: from an abbreviation's expansion or a synonym group it touched."""

    source: str
    terms: tuple[str, ...]
    kind: str = "synonym"  # "abbreviation", "synonym" (a Dutch term touched it) or "translation" (an English one)


@dataclass
class DutchAnalyser:
    stopwords: frozenset[str]
    abbreviations: dict[str, list[str]] = field(default_factory=dict)  # "OM" -> ["Openbaar Ministerie", ...]
    synonym_groups: list[dict[str, list[str]]] = field(default_factory=list)
    compound_parts: frozenset[str] = frozenset()
    dutch_stopwords: frozenset[str] = frozenset()  # the Dutch list alone (some words, like "in", are on both)

    def __post_init__(self) -> None:
        self._abbr_lower = {fold(key): key for key in self.abbreviations}

    @classmethod
    def from_corpus(cls, corpus_dir: Path, vocabulary_text: str = "") -> DutchAnalyser:
        """Stop words and glossary from ``corpus/``; compound parts learned from the report's own words."""
        glossary = yaml.safe_load((corpus_dir / "glossary.yaml").read_text(encoding="utf-8")) or {}
        dutch = read_word_list(corpus_dir / "stopwords_nl.txt")
        stopwords = dutch | read_word_list(corpus_dir / "stopwords_en.txt")
        abbreviations = {key: list((value or {}).get("nl", [])) + list((value or {}).get("en", []))
                         for key, value in (glossary.get("abbreviations") or {}).items()}
        analyser = cls(stopwords, abbreviations, list(glossary.get("synonyms") or []), dutch_stopwords=dutch)
        words = {fold(w) for w in _WORD.findall(vocabulary_text)}
        for group in analyser.synonym_groups:
            words |= {fold(w) for term in group.get("nl", []) for w in _WORD.findall(term)}
        parts = frozenset(w for w in words if len(w) >= _MIN_PART and w not in stopwords)
        analyser.compound_parts = parts
        return analyser

    def split_compound(self, word: str) -> tuple[str, str] | None:
        """Split a compound into two known words, the head (right part) as long as possible.

        'uitkeringsfraude' -> ('uitkering', 'fraude'); 'handhavingsteam' -> ('handhaving', 'team').
        """
        if len(word) < 2 * _MIN_PART + 1:
            return None
        for cut in range(_MIN_PART, len(word) - _MIN_PART + 1):
            head = word[cut:]
            if head not in self.compound_parts:
                continue
            left = word[:cut]
            for link in _LINKS:
                if link and not left.endswith(link):
                    continue
                modifier = left[: len(left) - len(link)] if link else left
                if len(modifier) >= _MIN_PART and modifier in self.compound_parts:
                    return modifier, head
        return None

    def terms(self, text: str) -> list[str]:
        """Index terms of a text: abbreviations as '#abbr', other words folded, stop words out, stemmed,
        compounds also as their two parts."""
        out: list[str] = []
        for raw in _WORD.findall(text):
            if raw in self.abbreviations or (raw.isupper() and len(raw) >= 2 and fold(raw) in self._abbr_lower):
                out.append("#" + fold(raw))
                continue
            word = fold(raw)
            if word in self.stopwords or len(word) < 2:
                continue
            out.append(stem(word))
            parts = self.split_compound(word)
            if parts:
                out.extend(stem(p) for p in parts)
        return out

    def expansions(self, text: str) -> list[Expansion]:
        """Glossary expansions a query triggers: each abbreviation it names, each synonym group it touches
        (by a Dutch or English term as a whole phrase)."""
        found: list[Expansion] = []
        for raw in set(_WORD.findall(text)):
            key = raw if raw in self.abbreviations else self._abbr_lower.get(fold(raw)) if raw.isupper() else None
            if key:
                found.append(Expansion(key, tuple(self._expansion_terms(self.abbreviations[key])), "abbreviation"))
        folded = " " + " ".join(_WORD.findall(fold(text))) + " "
        for group in self.synonym_groups:
            for kind, phrases in (("synonym", group.get("nl", [])), ("translation", group.get("en", []))):
                hit = next((p for p in phrases if f" {' '.join(_WORD.findall(fold(p)))} " in folded), None)
                if hit:
                    found.append(Expansion(hit, tuple(self._expansion_terms(group.get("nl", []))), kind))
                    break
        return found

    def _expansion_terms(self, phrases: list[str]) -> list[str]:
        terms: list[str] = []
        for phrase in phrases:
            for term in self.terms(phrase):
                if term not in terms:
                    terms.append(term)
        return terms


# The classic Snowball Dutch stemmer (as in NLTK). snowballstemmer 3's newer "dutch" strips the ge- prefix
# ("gemeente" -> "meen", but "gemeentelijke" -> "meentelijk"), which merges less and collides more here.
_DUTCH_STEMMER = snowballstemmer.stemmer("dutch_porter")


@lru_cache(maxsize=50_000)
def stem(word: str) -> str:
    """Dutch snowball stem of a folded word (cached: the same words recur)."""
    return _DUTCH_STEMMER.stemWord(word)
