"""LLM generators answer from the key statements the extractive answer would say: the prompt, its size, and a cited
[n] checked against the statement's quote; passages only when the index holds no statements. Fake embeddings and a
fake chat model that keeps what it was asked."""

from __future__ import annotations

import json
import re

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel
from pydantic import Field

from advisor.answer.generation import SOURCE_CHARS
from advisor.llm.local import chat_prompt, count_prompt_tokens, estimate_prompt_tokens
from advisor.settings import PROJECT_ROOT

PROMPT_TOKENS = 600  # the target for a typical question (system and user together)
DUTCH = "Sociale Recherche Twente uitvoeringsgemeente Almelo"
ENGLISH = "Which cases use a covenant with the tax office Belastingdienst?"
DEV_IDS = ("d-fact-01", "d-fact-02", "d-fact-05", "d-fw-02", "d-cmp-03", "d-mh-01")  # direct questions, nl and en


class RecordingChat(FakeListChatModel):
    """A fake chat model that keeps the messages of every call, as (role, text)."""

    seen: list[list[tuple[str, str]]] = Field(default_factory=list)

    def _stream(self, messages, *args, **kwargs):
        self.seen.append([(m.type, str(m.content)) for m in messages])
        yield from super()._stream(messages, *args, **kwargs)


@pytest.fixture
def with_model(monkeypatch):
    def install(*responses: str) -> RecordingChat:
        model = RecordingChat(responses=list(responses) or ["x"])
        monkeypatch.setattr("advisor.answer.engine.chat_model_for", lambda generator_id, settings: model)
        return model
    return install


def _statements_of(answer, knowledge) -> list:
    """The key statements an extractive answer says, in its order."""
    by_place = {(s.quote, s.start): s for s in knowledge.statements}
    return [by_place[(c.quote, c.start)] for c in answer.citations]


def _numbered(user: str) -> list[tuple[int, str, str]]:
    """The prompt's numbered lines: (n, label, text)."""
    return [(int(n), label, text) for n, label, text in re.findall(r"^\[(\d+)\] \((.+?)\) (.+)$", user, re.M)]


@pytest.mark.parametrize(("question", "language"), [(DUTCH, "nl"), (ENGLISH, "en")])
def test_the_prompt_holds_the_extractive_answers_statements_in_the_askers_language(advisor, knowledge, with_model,
                                                                                   question, language) -> None:
    said = _statements_of(advisor.answer(question), knowledge)
    model = with_model()
    advisor.answer(question, generator="fake")
    [(system, _), (human, user)] = model.seen[0]
    numbered = _numbered(user)
    assert said and [n for n, _, _ in numbered] == list(range(1, len(said) + 1))
    assert [text for _, _, text in numbered] == [s.en if language == "en" else s.nl for s in said]
    other = [s.nl if language == "en" else s.en for s in said]
    assert not any(text in user for text in other)  # the asker's language only
    for (_, label, _), s in zip(numbered, said):  # each labelled with its case, else its section
        card = knowledge.case(s.case_id) if s.case_id else None
        section = next(x for x in knowledge.sections if x.section_id == s.section_id)
        assert label.removesuffix(" …") in (card.title if card else f"{section.number} {section.title}")
    hits = advisor.retriever.retrieve(question, k=6)
    assert not any(h.text[:SOURCE_CHARS] in user for h in hits)  # no passages
    assert ("English" if language == "en" else "Dutch") in user and question in user


def _dev_prompts(advisor, with_model) -> list[list[tuple[str, str]]]:
    """The prompts of a few real questions of eval/dev.jsonl."""
    rows = map(json.loads, (PROJECT_ROOT / "eval" / "dev.jsonl").read_text(encoding="utf-8").splitlines())
    questions = {row["id"]: row["question"] for row in rows}
    model = with_model()
    for item_id in DEV_IDS:
        advisor.answer(questions[item_id], generator="fake")
    assert len(model.seen) == len(DEV_IDS) and all(_numbered(messages[1][1]) for messages in model.seen)
    return model.seen


def test_the_prompt_of_a_typical_question_is_at_most_600_tokens(advisor, with_model) -> None:
    assert all(estimate_prompt_tokens(messages) <= PROMPT_TOKENS for messages in _dev_prompts(advisor, with_model))


@pytest.mark.real_llm
def test_the_local_models_tokenizer_counts_about_what_the_estimate_says(advisor, with_model, real_settings) -> None:
    from advisor.llm.local import assemble_model, load_tokenizer

    tokenizer = load_tokenizer(str(assemble_model(real_settings.cache_dir)))
    for messages in _dev_prompts(advisor, with_model):
        counted, estimated = count_prompt_tokens(tokenizer, messages), estimate_prompt_tokens(messages)
        assert counted <= PROMPT_TOKENS and abs(estimated - counted) <= 0.1 * counted, (counted, estimated)


def test_the_token_count_reads_the_chat_template_and_the_estimate_needs_no_model() -> None:
    class Tokenizer:  # one token per word or sign
        def tokenize(self, text: bytes, add_bos: bool, special: bool) -> list[int]:
            assert not add_bos and special
            return [0] * len(re.findall(r"<\|im_\w+\|>|\w+|[^\w\s]", text.decode()))

    messages = [("system", "Antwoord kort."), ("human", "Wat is een centrumgemeente?")]
    assert chat_prompt(messages) == ("<|im_start|>system\nAntwoord kort.<|im_end|>\n<|im_start|>user\n"
                                     "Wat is een centrumgemeente?<|im_end|>\n<|im_start|>assistant\n")
    assert count_prompt_tokens(Tokenizer(), messages) == 16
    dutch = estimate_prompt_tokens([("human", "De centrumgemeente voert de handhaving uit voor de regio.")])
    english = estimate_prompt_tokens([("human", "The central municipality carries out enforcement for the region.")])
    assert dutch > english  # Dutch words split into more tokens
    assert estimate_prompt_tokens([("human", "x " * 50)]) < estimate_prompt_tokens([("human", "x " * 100)])


def test_a_cited_statement_is_checked_against_its_quote_and_cited_with_it(advisor, knowledge, with_model) -> None:
    model = with_model("x")  # no citation: the extractive answer stands in, which the prompt's numbers follow
    advisor.answer(DUTCH, generator="fake")
    first, second = (text for _, _, text in _numbered(model.seen[0][1][1])[:2])
    reply = f"{first.rstrip('.')} [1]. {second.rstrip('.')} [2]. De provincie Overijssel betaalt alle kosten [9]."
    model = with_model(reply)
    answer = advisor.answer(DUTCH, generator="fake")
    assert answer.generator == "fake" and not answer.refused
    said = _statements_of(advisor.answer(DUTCH), knowledge)[:2]
    assert [(c.n, c.quote, c.start, c.end) for c in answer.citations] == [
        (n, s.quote, s.start, s.end) for n, s in enumerate(said, start=1)]
    for citation in answer.citations:  # the quote at its place in the report, inside a passage of the sources
        assert knowledge.report[citation.start:citation.end] == citation.quote
        assert any(h.chunk_id == citation.chunk_id and citation.quote in h.text for h in answer.sources)
    assert answer.unsupported == ("De provincie Overijssel betaalt alle kosten.",) and "⚠" in answer.text
    assert answer.text.startswith(f"{first.rstrip('.')} [1].")


def test_a_claim_its_statement_does_not_support_is_marked(advisor, with_model) -> None:
    model = with_model("x")
    advisor.answer(DUTCH, generator="fake")
    count = len(_numbered(model.seen[0][1][1]))
    with_model(f"De Belastingdienst neemt vanaf volgend jaar alle handhaving over in Nederland [{count}].")
    answer = advisor.answer(DUTCH, generator="fake")
    assert answer.generator == "extractive" and answer.notices  # no valid citation left: the extractive answer


def test_without_key_statements_the_prompt_holds_the_passages(advisor, with_model) -> None:
    advisor.engine.statements = None  # an index built before the key statements
    model = with_model("x")
    advisor.answer(DUTCH, generator="fake")
    user = model.seen[0][1][1]
    hits = advisor.retriever.retrieve(DUTCH, k=6)[:4]
    assert [f"[{n}] ({h.label})\n{h.text[:SOURCE_CHARS]}" in user for n, h in enumerate(hits, start=1)] == [True] * 4
    sentence = next(s for s in re.split(r"(?<=\.)\s+", hits[0].text) if len(s.split()) >= 6)
    with_model(f"{sentence.rstrip('.')} [1].")
    answer = advisor.answer(DUTCH, generator="fake")
    assert answer.generator == "fake" and [c.quote for c in answer.citations] == [sentence]
    assert answer.citations[0].chunk_id == hits[0].chunk_id
