"""Evaluation items (``eval/*.jsonl``): loading, and the checks that keep the scores honest.

    >>> items = load_items(Path("eval/test.jsonl"))
    >>> problems = validate_items(items, knowledge)       # [] when the file is sound

One JSON object per line: id, lang, type, question, history, gold_sections, gold_cases, gold_facts,
evidence, must_not. Questions must paraphrase the report: none may copy eight or more consecutive words.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from advisor.corpus.cases import title_key
from advisor.corpus.knowledge import Knowledge
from advisor.errors import InputError

TYPES = ("fact", "case_lookup", "advice", "framework", "compare", "multi_hop", "unanswerable", "followup")
FIELDS = ("id", "lang", "type", "question", "history", "gold_sections", "gold_cases", "gold_facts", "evidence",
          "must_not")
REQUIRED = ("id", "lang", "type", "question")  # the others default to empty lists (no history, no gold, ...)
COPY_NGRAM = 8


@dataclass(frozen=True)
class EvalItem:
    id: str
    lang: str
    type: str
    question: str
    history: tuple[dict, ...]
    gold_sections: tuple[str, ...]
    gold_cases: tuple[str, ...]
    gold_facts: tuple[str, ...]
    evidence: tuple[str, ...]
    must_not: tuple[str, ...]

    @property
    def answerable(self) -> bool:
        return self.type != "unanswerable"

    @property
    def pair_stem(self) -> str | None:
        """'t-pair-07' for 't-pair-07-nl' and 't-pair-07-en'; None for items without a twin."""
        match = re.fullmatch(r"(.+)-(nl|en)", self.id)
        return match.group(1) if match else None

    def search_query(self) -> str:
        """What the retrieval benchmark searches: for a follow-up, the previous user turn plus the question."""
        previous = [turn["content"] for turn in self.history if turn.get("role") == "user"]
        return f"{previous[-1]} {self.question}" if previous else self.question


def load_items(path: Path) -> list[EvalItem]:
    items = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as error:
            raise InputError(f"{path}:{number}: not JSON ({error})") from error
        if not isinstance(data, dict):
            raise InputError(f"{path}:{number}: an item must be a JSON object, not {type(data).__name__}")
        missing = [f for f in REQUIRED if f not in data]
        if missing:
            name = f"item {data['id']!r}" if "id" in data else "the item"
            raise InputError(f"{path}:{number}: {name} lacks the required field{'s' if len(missing) > 1 else ''} "
                             + ", ".join(repr(f) for f in missing))
        lists = {f: tuple(data.get(f) or ()) for f in FIELDS if f not in REQUIRED}
        items.append(EvalItem(id=data["id"], lang=data["lang"], type=data["type"], question=data["question"], **lists))
    return items


def _tokens(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


def report_ngrams(report: str, n: int = COPY_NGRAM) -> set[tuple[str, ...]]:
    tokens = _tokens(report)
    return {tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1)}


def copied_run(question: str, ngrams: set[tuple[str, ...]], n: int = COPY_NGRAM) -> str | None:
    """The first run of ``n`` consecutive words the question shares with the report, if any."""
    tokens = _tokens(question)
    for i in range(len(tokens) - n + 1):
        if tuple(tokens[i : i + n]) in ngrams:
            return " ".join(tokens[i : i + n])
    return None


def case_ids_for(titles: tuple[str, ...], knowledge: Knowledge) -> set[str]:
    """Resolve printed case titles to card ids, tolerating dash and spacing differences."""
    by_key = {title_key(c.title): c.id for c in knowledge.cases}
    return {by_key[title_key(t)] for t in titles if title_key(t) in by_key}


def validate_items(items: list[EvalItem], knowledge: Knowledge, ngrams: set | None = None) -> list[str]:
    """Every problem found: schema, ids, sections and cases that exist, verbatim evidence, no copying."""
    problems: list[str] = []
    ngrams = ngrams if ngrams is not None else report_ngrams(knowledge.report)
    numbers = {s.number.lower() for s in knowledge.sections}
    seen: set[str] = set()
    for item in items:
        where = item.id
        if item.id in seen:
            problems.append(f"{where}: duplicate id")
        seen.add(item.id)
        if item.lang not in ("nl", "en"):
            problems.append(f"{where}: lang {item.lang!r}")
        if item.type not in TYPES:
            problems.append(f"{where}: type {item.type!r}")
        if not item.question.strip():
            problems.append(f"{where}: empty question")
        if (item.type == "followup") != bool(item.history):
            problems.append(f"{where}: history must be given exactly for followups")
        if any(set(turn) != {"role", "content"} or turn["role"] not in ("user", "assistant") for turn in item.history):
            problems.append(f"{where}: malformed history")
        if item.answerable and not 1 <= len(item.gold_sections) <= 4:
            problems.append(f"{where}: needs 1-4 gold sections")
        if not item.answerable and (item.gold_sections or item.evidence):
            problems.append(f"{where}: unanswerable items have no gold sections or evidence")
        for number in item.gold_sections:
            if number.lower() not in numbers:
                problems.append(f"{where}: no section {number!r}")
        resolved = case_ids_for(item.gold_cases, knowledge)
        if len(resolved) != len(set(item.gold_cases)):
            problems.append(f"{where}: unknown case title in {list(item.gold_cases)}")
        if not 1 <= len(item.gold_facts) <= 5:
            problems.append(f"{where}: needs 1-5 gold facts")
        for quote in item.evidence:
            if quote not in knowledge.report:
                problems.append(f"{where}: evidence not verbatim in the report: {quote[:60]!r}")
        run = copied_run(item.question, ngrams)
        if run:
            problems.append(f"{where}: question copies the report: {run!r}")
    return problems


def _by_stem(items: list[EvalItem]) -> dict[str, dict[str, EvalItem]]:
    by_stem: dict[str, dict[str, EvalItem]] = {}
    for item in items:
        if item.pair_stem:
            by_stem.setdefault(item.pair_stem, {})[item.lang] = item
    return by_stem


def pairs(items: list[EvalItem]) -> dict[str, tuple[EvalItem, EvalItem]]:
    """Complete language pairs by stem: (Dutch item, English item)."""
    return {stem: (p["nl"], p["en"]) for stem, p in _by_stem(items).items() if set(p) == {"nl", "en"}}


def pair_problems(items: list[EvalItem]) -> list[str]:
    """Language pairs must be complete and share their gold."""
    problems = []
    for stem, pair in _by_stem(items).items():
        if set(pair) != {"nl", "en"}:
            problems.append(f"{stem}: pair incomplete ({sorted(pair)})")
        elif (pair["nl"].gold_sections, pair["nl"].gold_cases, pair["nl"].type) != (
            pair["en"].gold_sections, pair["en"].gold_cases, pair["en"].type
        ):
            problems.append(f"{stem}: the two languages have different gold")
    return problems
