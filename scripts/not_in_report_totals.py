"""Totals per group of what the advisor does with an eval file: refused, answered with "the report does not give
…" (``not_in_report``), or answered plainly. Prints totals only, never an item, so it may be run on a held-out file.

    .venv/bin/python scripts/not_in_report_totals.py eval/dev.jsonl eval/dev2.jsonl [--generator extractive]

Groups: near misses (type ``unanswerable``, not an everyday question), everyday questions (an id with ``-off-``),
answerable. A near miss counts as met when it is refused or flagged; an answerable item when it is answered and not
flagged; an everyday question when it is refused.
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

from advisor.evaluation.evalset import load_items
from advisor.service import Advisor
from advisor.settings import Settings


def group_of(item) -> str:
    if "-off-" in item.id:
        return "everyday"
    return "near miss" if item.type == "unanswerable" else "answerable"


def outcome_of(answer) -> str:
    if answer.refused:
        return "refused"
    return "flagged" if getattr(answer, "not_in_report", False) else "answered"


def met(group: str, counts: Counter) -> int:
    if group == "near miss":
        return counts["refused"] + counts["flagged"]
    if group == "everyday":
        return counts["refused"]
    return counts["answered"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("datasets", nargs="+")
    parser.add_argument("--generator", default="extractive")
    args = parser.parse_args()
    advisor = Advisor(Settings.from_env())
    advisor.answer("warm-up: wat is een centrumgemeente?")
    for dataset in args.datasets:
        totals: dict[str, Counter] = {}
        for item in load_items(Path(dataset)):
            answer = advisor.answer(item.question, list(item.history), args.generator)
            totals.setdefault(group_of(item), Counter())[outcome_of(answer)] += 1
        for group in ("near miss", "answerable", "everyday"):
            if group in totals:
                counts = totals[group]
                n = sum(counts.values())
                print(f"{dataset}  {group:<10}  met {met(group, counts):>3}/{n:<3}  refused {counts['refused']:>3}"
                      f"  flagged {counts['flagged']:>3}  answered {counts['answered']:>3}")


if __name__ == "__main__":
    main()
