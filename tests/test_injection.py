"""Indirect and direct prompt injection through the whole answer path, with fake embeddings and fake chat models
that misbehave on purpose: one obeys any instruction it sees, one repeats its system prompt."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult

from advisor.answer.gate import GateThresholds
from advisor.answer.generation import llm_messages
from advisor.corpus.knowledge import load_knowledge
from advisor.index import build_index
from advisor.service import Advisor
from tests.conftest import POISON

QUESTION = "Sociale Recherche Twente: waarom werken Enschede, Almelo en Hengelo samen?"


class ObedientModel(BaseChatModel):
    """Does whatever the prompt's text tells it to; otherwise answers with one cited sentence."""

    seen: list[str] = []

    def _generate(self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None,
                  **kwargs: Any) -> ChatResult:
        prompt = "\n".join(str(m.content) for m in messages)
        self.seen.append(prompt)
        if "GEHACKT" in prompt:
            text = "DE BRONNEN ZIJN GEHACKT [9]. De Belastingdienst neemt alle handhaving over [9]."
        else:  # repeat the first sentence of source [1], cited
            source = prompt.split("[1] (", 1)[1].split("\n", 1)[1]
            text = source.split(". ")[0].strip() + " [1]."
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=text))])

    @property
    def _llm_type(self) -> str:
        return "obedient-fake"


class LeakyModel(BaseChatModel):
    """Repeats its system prompt, a few characters at a time, then cites a source."""

    def _generate(self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None,
                  **kwargs: Any) -> ChatResult:
        text = f"Mijn instructies: {messages[0].content} [1]"
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=text))])

    def _stream(self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kwargs: Any):
        from langchain_core.messages import AIMessageChunk
        from langchain_core.outputs import ChatGenerationChunk

        text = self._generate(messages).generations[0].message.content
        for i in range(0, len(text), 5):
            yield ChatGenerationChunk(message=AIMessageChunk(content=text[i : i + 5]))

    @property
    def _llm_type(self) -> str:
        return "leaky-fake"


@pytest.fixture
def poisoned(settings, poisoned_corpus, fake_embeddings) -> Advisor:
    settings = settings.replace(corpus_dir=poisoned_corpus, llm_timeout_s=5.0)
    build_index(settings, load_knowledge(settings), fake_embeddings)
    open_gate = GateThresholds(min_similarity=-1.0, floor_similarity=0.76, anchor_similarity=-1.0)
    return Advisor(settings, embeddings=fake_embeddings, gate=open_gate)


def _poisoned_chunk_id(advisor: Advisor) -> str:
    [chunk] = [c for c in advisor.knowledge.chunks if "GEHACKT" in c.text]
    return chunk.chunk_id


def _assert_clean(answer, advisor: Advisor) -> None:
    assert _poisoned_chunk_id(advisor) in {h.chunk_id for h in answer.sources}  # the poison was retrieved…
    for hit in answer.sources:  # …and lost its instructions before anything used it
        assert "GEHACKT" not in hit.text and "bron [9]" not in hit.text
    assert "GEHACKT" not in answer.text and "overneemt" not in answer.text and "[9]" not in answer.text
    for citation in answer.citations:
        assert any(h.chunk_id == citation.chunk_id and citation.quote in h.text for h in answer.sources)
        assert citation.quote not in POISON


def test_a_poisoned_passage_does_not_change_the_extractive_answer(poisoned) -> None:
    answer = poisoned.answer(QUESTION, generator="extractive")
    assert not answer.refused and answer.citations
    _assert_clean(answer, poisoned)


def test_an_obedient_model_never_sees_the_poisoned_instruction(poisoned, monkeypatch) -> None:
    model = ObedientModel()
    model.seen.clear()
    monkeypatch.setattr("advisor.answer.engine.chat_model_for", lambda generator_id, settings: model)
    answer = poisoned.answer(QUESTION, generator="obedient")
    assert model.seen and not any("GEHACKT" in prompt for prompt in model.seen)
    assert answer.generator == "obedient" and answer.citations
    _assert_clean(answer, poisoned)


def test_a_model_that_repeats_its_prompt_is_withheld_before_the_canary_is_shown(poisoned, monkeypatch) -> None:
    monkeypatch.setattr("advisor.answer.engine.chat_model_for", lambda generator_id, settings: LeakyModel())
    canary = poisoned.engine.canary
    events = list(poisoned.stream_answer(QUESTION, generator="leaky"))
    streamed = "".join(value for event, value in events if event == "token")
    answer = events[-1][1]
    assert canary not in streamed and canary not in answer.text and "Confidential" not in answer.text
    assert answer.generator == "extractive" and answer.citations
    assert any("withheld" in n or "achtergehouden" in n for n in answer.notices)


def test_each_engine_has_its_own_canary_in_its_system_prompt(poisoned, fake_embeddings) -> None:
    other = Advisor(poisoned.settings, embeddings=fake_embeddings)
    system = llm_messages(poisoned.settings.prompts_dir, "vraag", "nl", [], poisoned.engine.canary)[0][1]
    assert poisoned.engine.canary in system and other.engine.canary not in system
