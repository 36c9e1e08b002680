"""An optional second check before an answer is written: do the best passages give what the question asks for?

The rule gate (``advisor.gate``) catches the kinds of question it names; on near misses nobody tuned it on it
refuses about half (docs/answers.md). This check asks the local model one yes/no question over the three best
passages and reads the probability it gives to YES against NO (its first token), instead of the word it happens
to sample: that probability separates answerable from unanswerable questions, the sampled word does not (on dev
and holdouts 1-2 it said NO to 14 of 84 answerable questions).

    >>> judge = LocalAnswerabilityJudge(model_path, prompts_dir)
    >>> judge.yes_probability("Wie doet de fraudeopsporing voor Heemstede?", [hit.text for hit in hits])
    0.61
"""

from __future__ import annotations

import math
import threading
from pathlib import Path
from typing import Any, Protocol

from advisor.prompts import render

JUDGE_SOURCES = 3
JUDGE_CHARS = 500
# Below this probability of YES the question is refused. Chosen on eval/dev.jsonl and holdouts 1-2 together with the
# rule gate (docs/answers.md): it raised refused near misses from 37 to 44 of 50 and refused 2 of 84 answerable
# questions (advice questions, which describe the asker's own situation, are not checked). On questions it was not
# chosen on it does less (blind holdout 3: 9 -> 12 of 20 refused; test: 110 of 122 answered), so it is off by default.
MIN_YES = 0.46


class AnswerabilityJudge(Protocol):
    def yes_probability(self, question: str, passages: list[str]) -> float: ...


def judge_messages(prompts_dir: Path, question: str, passages: list[str]) -> list[dict[str, str]]:
    sources = "\n\n".join(f"[{n}] {text[:JUDGE_CHARS]}" for n, text in enumerate(passages[:JUDGE_SOURCES], start=1))
    return [{"role": "system", "content": render(prompts_dir, "answerable_system")},
            {"role": "user", "content": render(prompts_dir, "answerable_user", sources=sources, question=question)}]


def yes_share(top_logprobs: list[dict[str, Any]]) -> float:
    """P(YES) / (P(YES) + P(NO)) over the first token's alternatives ('YES', 'Yes', ' yes', 'NO', ...)."""
    yes = no = 0.0
    for alternative in top_logprobs:
        word = alternative["token"].strip().upper()
        if word.startswith("Y"):
            yes += math.exp(alternative["logprob"])
        elif word.startswith("N"):
            no += math.exp(alternative["logprob"])
    return yes / (yes + no) if yes + no else 0.5


class LocalAnswerabilityJudge:
    """The local model (llama.cpp) as judge. Its own small context keeps the logits of every position (needed for
    log-probabilities) without the memory that would cost at the generator's context size."""

    def __init__(self, model_path: str, prompts_dir: Path, n_threads: int = 2, n_ctx: int = 1024) -> None:
        self.model_path, self.prompts_dir, self.n_threads, self.n_ctx = model_path, prompts_dir, n_threads, n_ctx
        self._llama: Any = None
        self._lock = threading.Lock()

    def yes_probability(self, question: str, passages: list[str]) -> float:
        with self._lock:
            if self._llama is None:
                from llama_cpp import Llama

                self._llama = Llama(model_path=self.model_path, n_ctx=self.n_ctx, n_threads=self.n_threads,
                                    logits_all=True, verbose=False)
            reply = self._llama.create_chat_completion(
                messages=judge_messages(self.prompts_dir, question, passages), max_tokens=1, temperature=0,
                logprobs=True, top_logprobs=10)
        return yes_share(reply["choices"][0]["logprobs"]["content"][0]["top_logprobs"])
