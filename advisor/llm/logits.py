"""Yes/no scores read from the local model's logits, after a fixed prefix that is evaluated once.

    >>> scorer = PrefixScorer(llama, prefix="<|im_start|>system\\n…", yes=("ja", "Ja"), no=("nee", "Nee"))
    >>> scorer.score("<|im_start|>user\\n…<|im_end|>\\n<|im_start|>assistant\\n")   # log P(yes) - log P(no)
    2.7

The score is the log-sum-exp of the logits of the yes words' first tokens minus that of the no words': how sure
the model is, which the word it would sample throws away. The prefix (instructions, worked examples) is the same
for every call, so its tokens stay in llama.cpp's cache and a call costs only its own tokens: ``Llama.eval`` drops
the cache past ``n_tokens``, so setting ``n_tokens`` back to the prefix's length replaces the previous suffix.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from advisor.llm.local import model_lock


def chat_turn(role: str, text: str) -> str:
    return f"<|im_start|>{role}\n{text}<|im_end|>\n"  # Qwen2.5's chat template, written out so a prefix can be cached


ASSISTANT = "<|im_start|>assistant\n"


class PrefixScorer:
    """Holds the model's lock (``advisor.llm.local.model_lock``) while it uses the cache: the generator shares the
    model and may leave other tokens in it."""

    def __init__(self, llama: Any, prefix: str, yes: tuple[str, ...], no: tuple[str, ...]) -> None:
        self.llama = llama
        self.prefix = self.tokens(prefix)
        self._yes, self._no = self._first_tokens(yes), self._first_tokens(no)
        if self._yes & self._no:
            raise ValueError(f"yes and no words share a first token: {sorted(self._yes & self._no)}")

    def tokens(self, text: str) -> list[int]:
        return self.llama.tokenize(text.encode("utf-8"), add_bos=False, special=True)

    def _first_tokens(self, words: tuple[str, ...]) -> set[int]:
        return {self.tokens(word)[0] for word in words}

    def _last_logits(self) -> np.ndarray:
        import llama_cpp

        pointer = llama_cpp.llama_get_logits_ith(self.llama.ctx, -1)  # the public C API: the last position's row
        return np.ctypeslib.as_array(pointer, shape=(self.llama.n_vocab(),)).astype(np.float64)

    def score(self, suffix: str) -> float:
        tokens = self.tokens(suffix)
        with model_lock(self.llama):
            held = self.llama.n_tokens >= len(self.prefix)
            if not held or list(self.llama.input_ids[: len(self.prefix)]) != self.prefix:
                self.llama.reset()  # the cache holds something else (the generator ran): evaluate the prefix again
                self.llama.eval(self.prefix)
            self.llama.n_tokens = len(self.prefix)
            self.llama.eval(tokens)
            logits = self._last_logits()
        return _logsumexp(logits[sorted(self._yes)]) - _logsumexp(logits[sorted(self._no)])


def _logsumexp(values: np.ndarray) -> float:
    top = float(values.max())
    return top + float(np.log(np.exp(values - top).sum()))
