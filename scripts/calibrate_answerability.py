"""The answerability check's threshold: the local model's P(yes) that the passages give what a question asks for,
recorded for every question that passes the rule gate, then the refusal threshold that serves near misses and
answerable questions best on the tuning files. On a held-out file, ``--threshold`` measures one threshold and prints
totals only (never an item).

    .venv/bin/python scripts/calibrate_answerability.py eval/dev.jsonl eval/dev2.jsonl eval/holdout*.jsonl
    .venv/bin/python scripts/calibrate_answerability.py --threshold 0.46 eval/holdout6.jsonl

A near miss is met when it is refused or answered with "the report does not give …"; an answerable question when
it is answered plainly (scripts/not_in_report_totals.py counts the same way). The threshold chosen maximises the
mean of the two rates; ties go to the lower threshold (fewer refusals of answerable questions).
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from not_in_report_totals import group_of, met, outcome_of  # noqa: E402

from advisor.evaluation.evalset import load_items  # noqa: E402
from advisor.service import Advisor  # noqa: E402
from advisor.settings import Settings  # noqa: E402


class Recorder:
    """Wraps the engine's answerability judge and keeps the last probability it gave."""

    def __init__(self, judge) -> None:
        self.judge, self.last = judge, None

    def yes_probability(self, question: str, passages: list[str]) -> float:
        self.last = self.judge.yes_probability(question, passages)
        return self.last


def record(advisor: Advisor, paths: list[Path]) -> list[tuple[str, str, float | None]]:
    """(group, outcome without the check, P(yes) or None when the check was not asked) per item."""
    engine = advisor.engine
    engine.rules.thresholds["answer"]["min_yes"] = 0.0  # record only: the check refuses nothing here
    engine.judge = recorder = Recorder(engine._answerability_judge("extractive"))
    rows = []
    for path in paths:
        for item in load_items(path):
            recorder.last = None
            answer = advisor.answer(item.question, list(item.history), "extractive")
            rows.append((group_of(item), outcome_of(answer), recorder.last))
    return rows


def totals(rows: list[tuple[str, str, float | None]], threshold: float) -> dict[str, Counter]:
    counts: dict[str, Counter] = {}
    for group, outcome, p_yes in rows:
        if p_yes is not None and p_yes < threshold and outcome != "refused":
            outcome = "refused"
        counts.setdefault(group, Counter())[outcome] += 1
    return counts


def rate(counts: dict[str, Counter], group: str) -> float:
    return met(group, counts[group]) / max(sum(counts[group].values()), 1) if group in counts else 1.0


def score(counts: dict[str, Counter]) -> float:
    return (rate(counts, "near miss") + rate(counts, "answerable")) / 2


def line(counts: dict[str, Counter]) -> str:
    return "  ".join(f"{group} met {met(group, c)}/{sum(c.values())}" for group, c in counts.items())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("datasets", nargs="+", type=Path)
    parser.add_argument("--threshold", type=float, help="measure this threshold only (totals; for a held-out file)")
    args = parser.parse_args()
    advisor = Advisor(Settings.from_env().replace(answer_check="always"))
    advisor.answer("warm-up: wat is een centrumgemeente?")
    rows = record(advisor, args.datasets)
    print(f"{len(rows)} questions, {sum(p is not None for *_, p in rows)} asked of the check")
    print(f"without the check:  {line(totals(rows, 0.0))}")
    if args.threshold is not None:
        print(f"threshold {args.threshold}:  {line(totals(rows, args.threshold))}")
        return
    candidates = sorted({round(p, 3) for *_, p in rows if p is not None} | {0.0})
    best = max(candidates, key=lambda t: (round(score(totals(rows, t)), 6), -t))
    for t in sorted({0.2, 0.3, 0.4, 0.46, 0.5, 0.6, best}):
        print(f"threshold {t:.3f}:  {line(totals(rows, t))}  mean rate {score(totals(rows, t)):.3f}")
    print(f"best threshold {best:.3f}")


if __name__ == "__main__":
    main()
