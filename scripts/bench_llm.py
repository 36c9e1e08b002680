"""Timings of the local LLM: model load, time to first token and total, on three typical questions.

    .venv/bin/python scripts/bench_llm.py

Prints what it measured (run it on an otherwise idle machine); asserts nothing.
"""

from __future__ import annotations

import time

from advisor.llm.generators import chat_model_for
from advisor.service import Advisor
from advisor.settings import Settings

QUESTIONS = [
    "Welke regio's kozen voor een centrumgemeente bij de sociale recherche?",
    "What does the report say about the success factors of collaboration?",
    "Wat doet het Veiligheidshuis in Helmond voor de horeca?",
]


def main() -> None:
    advisor = Advisor(Settings.from_env())
    advisor.answer("warm-up van de retrieval")  # embedding model and index, not the LLM
    started = time.perf_counter()
    model = chat_model_for("local", advisor.settings)
    model._llama()
    print(f"local model load (assemble if needed + llama.cpp load): {time.perf_counter() - started:.1f} s")
    for question in QUESTIONS:
        started = time.perf_counter()
        first = None
        answer = None
        for event, value in advisor.stream_answer(question, generator="local"):
            if event == "token" and first is None:
                first = time.perf_counter() - started
            if event == "answer":
                answer = value
        total = time.perf_counter() - started
        print(f"{question[:60]!r}: first token {first if first is None else round(first, 1)} s, total {total:.1f} s, "
              f"generator {answer.generator}, citations {len(answer.citations)}, unsupported {len(answer.unsupported)}")


if __name__ == "__main__":
    main()
