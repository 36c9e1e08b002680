"""An optional second check before an answer is written: do the best passages give what the question asks for?

The rule gate (``advisor.gate``) catches the kinds of question it names; on near misses nobody tuned it on it
refuses about half (docs/answers.md). This check asks the local model one yes/no question over the three best
passages and reads the probability it gives to YES against NO (its first token), instead of the word it happens
to sample: that probability separates answerable from unanswerable questions, the sampled word does not (on dev
and holdouts 1-2 it said NO to 14 of 84 answerable questions).

    >>> judge = LocalAnswerabilityJudge(model_path, prompts_dir)
    >>> judge.yes_probability("Wie doet de fraudeopsporing voor Heemstede?", [hit.text for hit in hits])
    0.61

The engine refuses below ``answer.min_yes`` of ``corpus/thresholds.yaml`` (0.349, chosen on the tuning files by
``scripts/calibrate_answerability.py``; measured once on blind holdout 6 in docs/answers.md).
"""

from __future__ import annotations

import math
import threading
from pathlib import Path
from typing import Protocol

from advisor.llm.logits import ASSISTANT, PrefixScorer, chat_turn
from advisor.prompts import render

JUDGE_SOURCES = 3
JUDGE_CHARS = 500
YES_WORDS = ("YES", "Yes", "yes")
NO_WORDS = ("NO", "No", "no")


class AnswerabilityJudge(Protocol):
    def yes_probability(self, question: str, passages: list[str]) -> float: ...


def judge_messages(prompts_dir: Path, question: str, passages: list[str]) -> list[dict[str, str]]:
    sources = "\n\n".join(f"[{n}] {text[:JUDGE_CHARS]}" for n, text in enumerate(passages[:JUDGE_SOURCES], start=1))
    return [{"role": "system", "content": render(prompts_dir, "answerable_system")},
            {"role": "user", "content": render(prompts_dir, "answerable_user", sources=sources, question=question)}]


class LocalAnswerabilityJudge:
    """The local model (llama.cpp) as judge, sharing the generator's model: the logits of YES and NO at the answer
    position after the system prompt, which stays in the model's cache (``advisor.llm.logits``)."""

    def __init__(self, model_path: str, prompts_dir: Path, n_threads: int = 2, n_ctx: int = 4096) -> None:
        self.model_path, self.prompts_dir, self.n_threads, self.n_ctx = model_path, prompts_dir, n_threads, n_ctx
        self._scorer: PrefixScorer | None = None
        self._lock = threading.Lock()

    def scorer(self) -> PrefixScorer:
        with self._lock:
            if self._scorer is None:
                from advisor.llm.local import load_llama

                llama = load_llama(self.model_path, self.n_ctx, self.n_threads)
                self._scorer = PrefixScorer(llama, chat_turn("system", render(self.prompts_dir, "answerable_system")),
                                            YES_WORDS, NO_WORDS)
            return self._scorer

    def yes_probability(self, question: str, passages: list[str]) -> float:
        user = judge_messages(self.prompts_dir, question, passages)[1]["content"]
        return 1 / (1 + math.exp(-self.scorer().score(chat_turn("user", user) + ASSISTANT)))
