"""What a question asks for specifically, and whether the retrieved passages and key statements give it.

A question is read part by part ("…, en wie …", "… and in what year …" are parts of their own). A part may ask for
one figure (a count, an amount of money, a percentage, a duration, a year or a moment), for how often something
happens, for the outcome of an evaluation, or for a kind of detail the report seldom gives ("welk softwarepakket",
"which training course", "op welk wetsartikel").

    >>> needs_of(reader.about("Hoeveel stadswachten heeft de gemeente, en wie betaalt ze?"), cues, stopwords)
    (Need(kind='count', what='stadswachten', part='Hoeveel stadswachten heeft de gemeente'),
     Need(kind='payer', what='', part='wie betaalt ze'))
    >>> evidence = Evidence.of(hits, statements, analyser, cues, known, idf, names, cases)
    >>> [need for need in needs if not evidence.gives(need)]       # what the report does not give

A figure (or how often, an outcome, who chairs or pays, an opinion) is given when a passage sentence or a key
statement (its Dutch or its English) holds that kind of figure or word and one of the part's rarest terms; "how many X"
needs a number within three words before X; "welke vier X" a sentence that counts four and lists them. A kind of
detail is given when a retrieved sentence names one ("software", "opleiding", "art. 18"). When the question names a
case, only sentences of that case (or of none) count. The cue words are in ``corpus/cues.yaml`` (``gate:``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from advisor.corpus.rules import Cues
from advisor.retrieval.analysis import DutchAnalyser, fold
from advisor.retrieval.hits import Hit
from advisor.retrieval.question import Question

FIGURES = ("count", "money", "percent", "duration", "year")
DETAILS = ("frequency", "outcome", "opinion", "chair", "payer", "name", "names", "detail")
_ASKING = (r"wie|wat|welke?|hoe\w*|waar\w*|wanneer|sinds wanneer|tot wanneer|in welk\w*|who|what|which|how|when|where|"
           r"since when|until when|in (?:what|which)")
_PART = re.compile(rf"\s*[,;]\s*(?:en|and|of|or|maar|but)\s+|\?\s*|\s*[,;:]\s*(?=(?:{_ASKING})\b)|"
                   rf"\s+(?:en|and)\s+(?=(?:{_ASKING}|sinds|tot|in|met|op|uit|door|since|until|by|with)\b)",
                   re.IGNORECASE)
_SENTENCE = re.compile(r"(?<=[.!?])(?<!\bart\.)(?<!\bnr\.)\s+(?=[A-Z\"“'‘(•–-])")  # not inside "art. 18"
_WORD = re.compile(r"[^\W_]+(?:[-'’][^\W_]+)*")
_NEAR = 3  # "how many X": the number stands at most this many words before X


@dataclass(frozen=True)
class Need:
    """One thing a question asks for: its kind, the question's own words for it (if any) and the part asking it."""

    kind: str  # a figure (FIGURES), a detail (DETAILS), or what a 2008 study cannot hold ("after_report", ...)
    what: str = ""  # "handhavers", "softwarepakket", "burgemeester"; "" when the kind says it all
    part: str = ""

    @property
    def reason(self) -> str:
        """The gate's reason when this is missing."""
        if self.kind in FIGURES:
            return "figure_not_given"
        return "detail_not_given" if self.kind in DETAILS else self.kind


def parts(text: str) -> list[str]:
    """The question's parts: "Hoeveel X, en wie Y?" -> ["Hoeveel X", "wie Y"]."""
    return [p.strip() for p in _PART.split(text) if p and p.strip()]


def _named(rest: str, stopwords: frozenset[str], cues: Cues) -> str:
    """The words naming what is counted, from the words after the cue: up to three, up to a stop word, up to the
    first that looks like a plural noun or is a hyphenated one ("gemeentelijke medewerkers", "buitengewoon
    opsporingsambtenaren", "handhavers", "processen-verbaal", "people": not the verb after them)."""
    named: list[str] = []
    for word in _WORD.findall(rest)[:6]:
        folded = fold(word)
        if cues.count.fullmatch(word) and not named:
            continue  # "welke 22 gemeenten", "which five municipalities"
        if folded in stopwords or len(named) == 3:
            break
        named.append(word)
        if re.search(r"(?:en|s|'s)$|-", folded) or folded in _PLURALS:
            break
    return " ".join(named)


_PLURALS = frozenset({"people", "staff", "personnel", "police", "fte", "mensen", "personeel"})


def _figure(part: str, stopwords: frozenset[str], cues: Cues) -> Need | None:
    """The one figure a part asks for, if any (the first kind that matches, in this order); none when it asks how
    a figure is decided ("hoe wordt bepaald hoeveel …")."""
    if cues.method_question.search(part):
        return None
    if cues.frequency_question.search(part):
        return Need("frequency", "", part)
    if cues.payer_question.search(part):
        return Need("payer", "", part)  # who pays, not how much
    if cues.money_question.search(part):
        return Need("money", "", part)
    if cues.duration_question.search(part):
        return Need("duration", "", part)
    if cues.percent_question.search(part):
        return Need("percent", "", part)
    if cues.quantity.search(part):
        counted = cues.counted.search(part)
        return Need("count", _named(part[counted.start(1):], stopwords, cues) if counted else "", part)
    if cues.year_question.search(part) or cues.when_question.search(part):
        return Need("year", "", part)
    return None


def needs_of(question: Question, cues: Cues, stopwords: frozenset[str]) -> tuple[Need, ...]:
    """What each part of the question asks for: at most one figure; the outcome of an evaluation, someone's opinion,
    who chairs, the names of as many as it counts; a kind of detail the report seldom gives (software, a training,
    a tariff, ...); what became of something later. A question about the asker's own situation asks for advice,
    which the report gives in general terms, so none of these is asked of it."""
    if question.own_situation:
        return ()
    needs: list[Need] = []
    for part in parts(question.text):
        figure = _figure(part, stopwords, cues)
        needs += [figure] if figure else []
        needs += [Need(kind, "", part) for kind, cue in (("outcome", cues.outcome_question),
                                                          ("opinion", cues.opinion_question),
                                                          ("chair", cues.chair_question)) if cue.search(part)]
        if (listed := _LISTED.search(part)) and _number(listed.group(2), cues):
            counted = _named(listed.group(3) + part[listed.end():], stopwords, cues)
            needs.append(Need("name", "", part) if listed.group(1) else
                         Need("names", f"{listed.group(2)} {counted}", part))
        needs += [Need("detail", group, part) for group, words in cues.details.items() if words.search(part)]
        if eventually := cues.eventually.search(part):
            needs.append(Need("after_report", eventually.group(0).split()[-1], part))
    return tuple(n for n in needs if n.kind != "opinion" or not _about_the_report(n.part, cues))


_LISTED = re.compile(r"\b(?:welke|which)\s+(of the\s+|van de\s+)?(\w+)\s+([\w'’-]+)", re.IGNORECASE)  # "welke 22 X"


def _number(word: str, cues: Cues) -> int | None:
    """2 and up, in digits or words ("22", "drie", "five")."""
    value = word if word.isdigit() else cues.number_words.get(fold(word), "")
    return int(value) if value.isdigit() and int(value) >= 2 else None


def _about_the_report(part: str, cues: Cues) -> bool:
    return any(fold(w) in cues.report_words for w in _WORD.findall(part))


@dataclass
class Evidence:
    """The sentences an answer could draw on: the passages' sentences, then each key statement in Dutch and in
    English, with the analysed terms of each; and what the report's vocabulary knows (``known``, ``idf``)."""

    texts: list[str]
    terms: list[frozenset[str]]
    analyser: DutchAnalyser
    cues: Cues
    known: Callable[[str], bool]  # the term occurs in the report or its key statements
    idf: Callable[[str], float]
    names: frozenset[str] = frozenset()  # terms of case names and places: they say nothing about a figure
    _asking: frozenset[str] = field(default=frozenset(), init=False)
    _expanded: dict[str, list[tuple[set[str], set[str]]]] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        self._asking = frozenset(self.analyser.terms(self.cues.asking_words))

    @classmethod
    def of(cls, hits: Sequence[Hit], statements: Sequence, analyser: DutchAnalyser, cues: Cues,
           known: Callable[[str], bool], idf: Callable[[str], float], names: frozenset[str] = frozenset(),
           cases: set[str] | frozenset[str] = frozenset()) -> Evidence:
        """From the passages and key statements found; when the question names cases, only what stands in those
        cases or outside any case (a year in one case does not date another case's covenant)."""
        def keep(case_id: str | None) -> bool:
            return not cases or case_id is None or case_id in cases
        texts = [s for hit in hits if keep(hit.case_id) for s in _SENTENCE.split(hit.text) if s.strip()]
        texts += [text for hit in statements if keep(hit.statement.case_id)
                  for text in (hit.statement.nl, hit.statement.en)]
        return cls(texts, [frozenset(analyser.terms(t)) for t in texts], analyser, cues, known, idf, names)

    def focus(self, part: str) -> set[str]:
        """The part's two rarest terms that the sentences hold at all, and any as rare as the second (no tie broken
        by set order), leaving out place and case names and the words that ask ("hoeveel", "welk jaar"). A word of
        the question that no sentence uses ("begon" where they say "gestart") cannot tell them apart."""
        held = frozenset().union(*self.terms) if self.terms else frozenset()
        part = self.cues.count.sub(" ", part)  # "which of the five": the number is what is asked, not what about
        known = sorted({t for t in self.analyser.terms(part) if self.known(t) and t not in self.names | self._asking
                        and (t in held or any(_akin(t, h) for h in held))}, key=lambda t: (-self.idf(t), t))
        return {t for t in known if len(known) < 2 or self.idf(t) >= self.idf(known[1])}

    def _shares(self, focus: set[str], part: str, terms: frozenset[str]) -> bool:
        """The sentence holds a focus term: the same, one that begins like it ("cooperat", "cooperated"), or a
        glossary expansion of it ("#cbp": "college bescherming persoonsgegevens")."""
        if focus & terms or any(_akin(f, t) for f in focus for t in terms):
            return True
        return any(focus & source and expanded & terms for source, expanded in self._expansions(part))

    def _expansions(self, part: str) -> list[tuple[set[str], set[str]]]:
        """The part's glossary expansions, as (terms of what triggered one, the terms it adds), once per part."""
        if part not in self._expanded:
            self._expanded[part] = [(set(self.analyser.terms(e.source)), set(e.terms))
                                    for e in self.analyser.expansions(part)]
        return self._expanded[part]

    def gives(self, need: Need) -> bool:
        cues = self.cues
        if need.kind == "detail":  # a sentence that names that kind of thing (a legal article: with its number)
            words = cues.article if need.what == "legal_article" else cues.details[need.what]
            return any(words.search(text) for text in self.texts)
        if need.kind == "after_report":
            return bool(cues.after_report_soft.search(need.what)) and self._with(cues.present, need.part)
        if need.kind in ("name", "names"):
            n = _number(need.what.split()[0], cues) or 1 if need.kind == "names" else 1
            return any(self._lists(text, n, need.part) for text in self.texts)
        if need.kind not in FIGURES + DETAILS:
            return False  # contact details, surveys, office holders: a 2008 study does not hold them
        if need.kind == "count" and need.what:
            things = {t for t in self.analyser.terms(need.what) if t not in self._asking}
            things |= {t for e in self.analyser.expansions(need.what) if e.kind == "translation" for t in e.terms}
            if things:  # "19 gemeenten", "zestien partners"
                return any(things & set(self.analyser.terms(" ".join(text[m.end():].split()[:_NEAR])))
                           for text in self.texts for m in cues.count.finditer(text))
        wanted = {"count": cues.count, "money": cues.money, "percent": cues.percent, "duration": cues.duration,
                  "year": cues.year, "frequency": cues.frequency, "outcome": cues.outcome, "opinion": cues.opinion,
                  "chair": cues.chair, "payer": cues.payer}[need.kind]
        return self._with(wanted, need.part, digits=need.kind in ("money", "percent"))

    def _lists(self, text: str, n: int, part: str) -> bool:
        """For "welke vier regio's": the text counts as many ("de vier regio's") and lists them ("A, B, C en D").
        For "which of the five": the text is about the part's focus and names one the question does not."""
        if n == 1:
            if not self._shares(self.focus(part), part, frozenset(self.analyser.terms(text))):
                return False
            asked = {_bare(w) for w in _WORD.findall(part)}
            return any(_bare(w) not in asked for w in re.findall(r"(?<=\w )[A-Z][\w'’-]+", text))
        counts = {m.group(0) for m in self.cues.count.finditer(text)}
        return any(_number(c, self.cues) == n for c in counts) and \
            1 + len(re.findall(r",\s|\s(?:en|and)\s", text)) >= n

    def _with(self, wanted: re.Pattern, part: str, digits: bool = False) -> bool:
        """A sentence that holds what is wanted (with a number in digits, for money and percentages) and shares
        the part's focus."""
        focus = self.focus(part)
        return any(wanted.search(text) and (not digits or re.search(r"\d", text))
                   and (not focus or self._shares(focus, part, terms)) for text, terms in zip(self.texts, self.terms))


def _bare(word: str) -> str:
    """Folded, letters and digits only: "K-5" and "K5" are one name."""
    return re.sub(r"[\W_]", "", fold(word))


def _akin(a: str, b: str) -> bool:
    """Two stems of one word in other forms (the Dutch stemmer leaves English endings): one begins the other."""
    return min(len(a), len(b)) >= 5 and (a.startswith(b) or b.startswith(a))


def close_to(question: Question, evidence_texts: Sequence[str], analyser: DutchAnalyser, asking: str) -> bool:
    """Whether the best statements (or passages) are about what the question is about: one of its terms other
    than the words that ask. When nothing is close, a question whose specific need is missing is refused."""
    own = set(question.naming_terms) - set(analyser.terms(asking))
    return any(own & set(analyser.terms(text)) for text in evidence_texts)
