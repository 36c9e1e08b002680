"""Seconds per pair of the logit judge (``llm:local``), with its few-shot prefix cached: prints the time of the
prefix (once), then the mean and median time per pair over N pairs of the validation split, and their prompt
tokens. Run it on an idle machine; no cache of earlier scores is used.

    .venv/bin/python scripts/bench_judge.py [--pairs 30]
"""

from __future__ import annotations

import argparse
import statistics
import time

from advisor.evaluation.calibration import split_pairs
from advisor.evaluation.logit_judge import LogitJudge, user_turn
from advisor.llm.logits import ASSISTANT
from advisor.settings import Settings


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pairs", type=int, default=30)
    args = parser.parse_args()
    settings = Settings.from_env()
    judge = LogitJudge.local(settings, threshold=0.0)
    pairs = split_pairs(settings.eval_dir / "judge_pairs.jsonl")["validation"][: args.pairs]
    started = time.perf_counter()
    judge.score(pairs[0]["claim"], pairs[0]["passage"])  # evaluates the prefix, then the first pair
    print(f"prefix of {len(judge.scorer.prefix)} tokens and the first pair: {time.perf_counter() - started:.2f} s")
    seconds, tokens = [], []
    for pair in pairs:
        started = time.perf_counter()
        judge.score(pair["claim"], pair["passage"])
        seconds.append(time.perf_counter() - started)
        tokens.append(len(judge.scorer.tokens(user_turn(pair["claim"], pair["passage"]) + ASSISTANT)))
    print(f"{len(pairs)} pairs: mean {statistics.mean(seconds):.2f} s, median {statistics.median(seconds):.2f} s, "
          f"max {max(seconds):.2f} s per pair; {statistics.mean(tokens):.0f} prompt tokens per pair on average "
          f"(threads {settings.llm_threads})")


if __name__ == "__main__":
    main()
