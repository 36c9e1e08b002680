"""Every prompt file renders with exactly the variables its code passes; anything else is an error."""

from __future__ import annotations

import pytest

from advisor.prompts import PromptError, load_prompt, render, variables
from advisor.settings import Settings

PROMPTS = Settings().prompts_dir
EXPECTED = {
    "answer_system": {"language_name", "canary"},
    "answer_user": {"sources", "question", "language_name"},
    "answer_statements": {"sources", "question", "language_name"},
    "rewrite_followup": {"history", "question"},
    "rerank_relevance": {"question", "passage"},
    "answerable_system": set(),
    "answerable_user": {"sources", "question"},
}


def test_every_prompt_file_is_known_and_renders() -> None:
    names = {path.stem for path in PROMPTS.glob("*.txt")}
    assert names == set(EXPECTED) | (names - set(EXPECTED)) and set(EXPECTED) <= names
    for name in names:
        needed = variables(load_prompt(PROMPTS, name))
        if name in EXPECTED:
            assert needed == EXPECTED[name], name
        text = render(PROMPTS, name, **{key: f"<{key}>" for key in needed})
        for key in needed:
            assert f"<{key}>" in text


def test_missing_unknown_and_absent_prompts_are_errors() -> None:
    with pytest.raises(PromptError, match="missing"):
        render(PROMPTS, "rewrite_followup", question="x")
    with pytest.raises(PromptError, match="unknown"):
        render(PROMPTS, "rewrite_followup", question="x", history="y", extra="z")
    with pytest.raises(PromptError, match="no prompt"):
        load_prompt(PROMPTS, "does-not-exist")
