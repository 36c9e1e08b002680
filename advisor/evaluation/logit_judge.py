"""The local model as a pointwise judge: one claim against its passage per call, read from its logits.

    >>> judge = LogitJudge.local(settings, threshold=0.0)
    >>> judge.score("De SRT zit in Almelo.", passage)      # log P(ja) - log P(nee) at the answer position
    2.7
    >>> judge.verdicts([(claim, passage)])                 # [score >= threshold]

The prompt (``prompts/judge_logit_system.txt`` and the worked examples in ``prompts/judge_logit_examples.jsonl``)
is the same for every pair, so it is evaluated once and kept in the model's cache (``advisor.llm.logits``). The
threshold is chosen on the calibration split of ``eval/judge_pairs.jsonl`` (``advisor eval judge --calibrate``,
stored in ``judge_fit.json``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from advisor.llm.logits import ASSISTANT, PrefixScorer, chat_turn
from advisor.prompts import load_prompt

YES_WORDS = ("ja", "Ja", "JA", "yes", "Yes")
NO_WORDS = ("nee", "Nee", "NEE", "no", "No")
PASSAGE_CHARS = 1200  # the longest passage of the pair files is 561 characters; a cited chunk is about 900


def user_turn(claim: str, passage: str) -> str:
    return chat_turn("user", f"Brontekst: {passage[:PASSAGE_CHARS]}\nBewering: {claim}\n"
                             "Zegt de brontekst wat de bewering zegt?")


def load_examples(prompts_dir: Path) -> list[dict]:
    path = prompts_dir / "judge_logit_examples.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def prefix_text(prompts_dir: Path) -> str:
    """The system prompt and the worked examples as earlier turns of the conversation."""
    turns = [chat_turn("system", load_prompt(prompts_dir, "judge_logit_system").strip())]
    for example in load_examples(prompts_dir):
        turns += [user_turn(example["claim"], example["passage"]), chat_turn("assistant", example["answer"])]
    return "".join(turns)


class LogitJudge:
    """``llm:local`` as a judge."""

    method = "pointwise logits: one claim per call, log P(ja) - log P(nee) after a cached few-shot prefix"

    def __init__(self, llama: Any, prompts_dir: Path, threshold: float, name: str = "llm:local") -> None:
        self.scorer = PrefixScorer(llama, prefix_text(prompts_dir), YES_WORDS, NO_WORDS)
        self.llama, self.threshold, self.name = llama, threshold, name

    @classmethod
    def local(cls, settings: Any, threshold: float) -> LogitJudge:
        from advisor.llm.local import assemble_model, check_installed, load_llama

        check_installed()
        llama = load_llama(str(assemble_model(settings.cache_dir)), n_ctx=4096, n_threads=settings.llm_threads)
        return cls(llama, settings.prompts_dir, threshold)

    def score(self, claim: str, passage: str) -> float:
        return self.scorer.score(user_turn(claim, passage) + ASSISTANT)

    def scores(self, pairs: list[tuple[str, str]]) -> list[float]:
        return [self.score(claim, passage) for claim, passage in pairs]

    def verdicts(self, pairs: list[tuple[str, str]], strict: bool = False) -> list[bool]:
        return [score >= self.threshold for score in self.scores(pairs)]
