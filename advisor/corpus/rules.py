"""The advisor's cue words and thresholds, read from ``corpus/cues.yaml`` and ``corpus/thresholds.yaml``.

    >>> rules = load_rules(settings.corpus_dir)
    >>> rules.cues.quantity.search("Hoeveel gemeenten doen mee?") is not None
    True
    >>> rules.thresholds["gate"]["min_similarity"]
    0.8

The word lists live in the YAML files; how a list becomes a pattern (word boundaries, a year after a preposition,
a number before a unit) is written here, once. Both files are read once per corpus folder.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from advisor.errors import InputError


def _alternatives(words: list[str]) -> str:
    if not isinstance(words, list) or not all(isinstance(w, str) and w for w in words):
        raise InputError(f"a cue list must be a list of words or patterns, not {words!r}")
    return "|".join(words)


def _words(words: list[str]) -> re.Pattern:
    """The list as whole words (or phrases): ``\\b(?:a|b)\\b``, case ignored."""
    return re.compile(rf"\b(?:{_alternatives(words)})\b", re.IGNORECASE)


@dataclass(frozen=True)
class Cues:
    """Compiled cue patterns. Question cues: own_situation, examples, intents, smalltalk, thanks, farewell, dependent.
    Gate cues: the figure rule's question and passage patterns and the kinds of information a 2008 study lacks.
    Answer cues: generator_refused, recommend, attention. Judge: negation, number_words. Topic: report_words."""

    own_situation: re.Pattern
    examples: re.Pattern
    intents: dict[str, re.Pattern]  # statement kind -> the question asks for it
    smalltalk: re.Pattern
    thanks: re.Pattern
    farewell: re.Pattern
    dependent: re.Pattern
    quantity: re.Pattern
    money_question: re.Pattern
    duration_question: re.Pattern
    percent_question: re.Pattern
    year_question: re.Pattern
    counted: re.Pattern
    asking_words: str
    percent: re.Pattern
    money: re.Pattern
    duration: re.Pattern
    count: re.Pattern
    not_in_a_2008_study: dict[str, re.Pattern]
    offices: re.Pattern  # the office words alone ("burgemeester"), to name what a question asks the holder of
    after_report_soft: re.Pattern  # words of rule 4 that the report's own present ("nu", "inmiddels") may answer
    present: re.Pattern
    frequency_question: re.Pattern
    frequency: re.Pattern
    when_question: re.Pattern
    year: re.Pattern  # a year or a decade
    details: dict[str, re.Pattern]  # a kind of detail the report seldom gives -> its words
    article: re.Pattern  # a legal article cited in a passage ("art. 18")
    outcome_question: re.Pattern
    outcome: re.Pattern
    opinion_question: re.Pattern
    opinion: re.Pattern
    chair_question: re.Pattern
    payer_question: re.Pattern
    payer: re.Pattern
    chair: re.Pattern
    method_question: re.Pattern  # "hoe wordt bepaald hoeveel …": no figure is asked for
    eventually: re.Pattern  # in a yes/no question: what became of something after the report
    generator_refused: re.Pattern
    recommend: re.Pattern
    attention: re.Pattern
    negation: re.Pattern
    number_words: dict[str, str]
    report_words: frozenset[str]


def compile_cues(data: dict[str, Any]) -> Cues:
    q, g, a = data["question"], data["gate"], data["answer"]
    offices = (rf"\b(?:(?:wie (?:was|is|waren)\b[^?]{{0,60}}?\b(?:de )?|welke )(?:{_alternatives(g['offices_nl'])})|"
               rf"(?:who (?:was|is|were) (?:the )?|which )(?:{_alternatives(g['offices_en'])}))\b")
    numbers = g["count_words"] + g["count_words_en"]  # Dutch, and English for the key statements' English
    after = (rf"\b(?:{_alternatives(g['after_report_prepositions'])}) 20(?:0[89]|[1-9]\d)\b|\bin 20(?:09|[1-9]\d)\b|"
             rf"\b(?:{_alternatives(g['after_report'])})\b")
    return Cues(
        own_situation=_words(q["own_situation"]),
        examples=re.compile(rf"\b(?:{_alternatives(q['examples'])})", re.IGNORECASE),
        intents={kind: _words(words) for kind, words in q["intents"].items()},
        smalltalk=re.compile(rf"^\s*(?:{_alternatives(q['smalltalk'])})[\s!.,]*(\w+[\s!.]*)?$", re.IGNORECASE),
        thanks=re.compile(_alternatives(q["thanks"]), re.IGNORECASE),
        farewell=re.compile(_alternatives(q["farewell"]), re.IGNORECASE),
        dependent=re.compile(rf"\b(?:{_alternatives(q['dependent'])})\b|^(?:{_alternatives(q['dependent_openers'])})\b",
                             re.IGNORECASE),
        quantity=_words(g["quantity"]),
        money_question=_words(g["money_question"]),
        duration_question=_words(g["duration_question"]),
        percent_question=_words(g["percent_question"]),
        year_question=_words(g["year_question"]),
        counted=re.compile(rf"\b(?:{_alternatives(g['counting'])})\s+(\w+(?:\s+\w+)?)", re.IGNORECASE),
        asking_words=" ".join(g["asking_words"]),
        percent=re.compile(rf"%|\b(?:{_alternatives(g['percent_words'])})\b", re.IGNORECASE),
        money=re.compile(_alternatives(g["money_in_text"]), re.IGNORECASE),
        duration=re.compile(rf"\b(?:\d+|{_alternatives(g['duration_amounts'])})\s+(?:{_alternatives(g['duration_units'])})\b",
                            re.IGNORECASE),
        count=re.compile(rf"\b(?!(?:1[89]|20)\d\d\b)\d+|\b(?:{_alternatives(numbers)})\b", re.IGNORECASE),
        not_in_a_2008_study={"after_report": re.compile(after, re.IGNORECASE),
                             "contact_details": _words(g["contact_details"]),
                             "survey": _words(g["survey"]),
                             "office_holder": re.compile(offices, re.IGNORECASE)},
        offices=_words(g["offices_nl"] + g["offices_en"]),
        after_report_soft=_words(g["after_report_soft"]),
        present=_words(g["present_in_text"]),
        frequency_question=_words(g["frequency_question"]),
        frequency=_words(g["frequency_in_text"]),
        when_question=_words(g["when_question"]),
        year=re.compile(rf"\b(?:1[89]\d\d|20\d\d)\b|\b(?:{_alternatives(g['decades'])})\b", re.IGNORECASE),
        details={group: _words(words) for group, words in g["details"].items()},
        article=_words(g["article_in_text"]),
        outcome_question=_words(g["outcome_question"]),
        outcome=_words(g["outcome_in_text"]),
        opinion_question=_words(g["opinion_question"]),
        opinion=_words(g["opinion_in_text"]),
        chair_question=_words(g["chair_question"]),
        chair=_words(g["chair_in_text"]),
        payer_question=_words(g["payer_question"]),
        payer=_words(g["payer_in_text"]),
        method_question=_words(g["method_question"]),
        eventually=re.compile(rf"^(?:{_alternatives(g['yes_no_openers'])})\b.*\b(?:{_alternatives(g['eventually'])})\b",
                              re.IGNORECASE),
        generator_refused=re.compile(_alternatives(a["generator_refused"]), re.IGNORECASE),
        recommend=_words(a["recommend"]),
        attention=_words(a["attention"]),
        negation=_words(data["judge"]["negation"]),
        number_words={str(k): str(v) for k, v in data["judge"]["number_words"].items()},
        report_words=frozenset(data["topic"]["report_words"]),
    )


@dataclass(frozen=True)
class Rules:
    cues: Cues
    thresholds: dict[str, dict[str, float]]


@lru_cache(maxsize=8)
def _load(cues_path: Path, thresholds_path: Path, stamp: tuple[float, float]) -> Rules:
    try:
        cues = yaml.safe_load(cues_path.read_text(encoding="utf-8"))
        thresholds = yaml.safe_load(thresholds_path.read_text(encoding="utf-8"))
        return Rules(compile_cues(cues), thresholds)
    except (KeyError, TypeError, re.error, yaml.YAMLError) as error:
        raise InputError(f"{cues_path} or {thresholds_path} is not as expected ({type(error).__name__}: {error})") \
            from None


def load_rules(corpus_dir: Path) -> Rules:
    """The cues and thresholds of a corpus folder (read again only when a file changed)."""
    cues, thresholds = corpus_dir / "cues.yaml", corpus_dir / "thresholds.yaml"
    return _load(cues, thresholds, (cues.stat().st_mtime, thresholds.stat().st_mtime))
