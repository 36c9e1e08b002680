"""The evaluation files: schema, existing sections and cases, verbatim evidence, no copied wording, coverage."""

from __future__ import annotations

from collections import Counter

import pytest

from advisor.evaluation.evalset import (
    EvalItem,
    case_ids_for,
    copied_run,
    load_items,
    pair_problems,
    pairs,
    report_ngrams,
    validate_items,
)
from advisor.settings import Settings

EVAL = Settings().eval_dir


@pytest.fixture(scope="module")
def ngrams(knowledge):
    return report_ngrams(knowledge.report)


@pytest.fixture(scope="module")
def test_items() -> list[EvalItem]:
    return load_items(EVAL / "test.jsonl")


@pytest.fixture(scope="module")
def dev_items() -> list[EvalItem]:
    return load_items(EVAL / "dev.jsonl")


@pytest.mark.parametrize("name", ["dev.jsonl", "dev2.jsonl", "test.jsonl", "holdout_unanswerable.jsonl",
                                  "holdout2_unanswerable.jsonl", "holdout3.jsonl", "holdout4.jsonl",
                                  "holdout5.jsonl"])
def test_file_is_valid(name, knowledge, ngrams) -> None:
    items = load_items(EVAL / name)
    assert validate_items(items, knowledge, ngrams) == []
    assert pair_problems(items) == []


def test_ids_and_questions_are_unique_across_all_files(test_items, dev_items) -> None:
    unanswerable = load_items(EVAL / "holdout_unanswerable.jsonl") + load_items(EVAL / "holdout2_unanswerable.jsonl")
    blind = [i for name in ("holdout3.jsonl", "holdout4.jsonl", "holdout5.jsonl") for i in load_items(EVAL / name)]
    items = test_items + dev_items + load_items(EVAL / "dev2.jsonl") + unanswerable + blind
    assert len({i.id for i in items}) == len(items) and len({i.question for i in items}) == len(items)
    assert {i.type for i in unanswerable} == {"unanswerable"}


def test_sizes_and_types(test_items, dev_items) -> None:
    assert len(test_items) >= 100 and len(dev_items) >= 60
    types = Counter(i.type for i in test_items)
    for kind in ["fact", "case_lookup", "advice", "framework", "compare", "multi_hop", "unanswerable", "followup"]:
        assert types[kind] > 0, kind
    assert types["unanswerable"] >= 15
    assert len(pairs(test_items)) >= 25


def test_test_set_covers_all_themes_and_cases(test_items, knowledge) -> None:
    cases = set().union(*(case_ids_for(i.gold_cases, knowledge) for i in test_items))
    assert cases == {c.id for c in knowledge.cases}
    themes = {s.theme for i in test_items for n in i.gold_sections for s in knowledge.sections_numbered(n)}
    assert {s.theme for s in knowledge.sections if s.theme} <= themes


def test_the_copy_check_catches_copying(knowledge, ngrams) -> None:
    sentence = "Veel gemeenten zijn te klein om een professioneel rechteam op te richten en op de been te houden."
    assert sentence[:40] in knowledge.report
    assert copied_run(f"Klopt het dat {sentence.lower()}", ngrams)
    assert copied_run("Is onze gemeente groot genoeg om zelf fraude op te sporen?", ngrams) is None
    bad = EvalItem("x-1", "nl", "fact", sentence, (), ("5.3",), (), ("feit",), ("niet in het rapport",), ())
    problems = validate_items([bad], knowledge, ngrams)
    assert any("copies the report" in p for p in problems) and any("evidence" in p for p in problems)


def test_an_evaluators_own_file_needs_only_the_required_fields(tmp_path) -> None:
    from advisor.errors import InputError

    path = tmp_path / "mine.jsonl"
    path.write_text('{"id": "m-1", "lang": "nl", "type": "fact", "question": "Wat is een centrumgemeente?"}\n'
                    '{"id": "m-2", "lang": "en", "type": "fact", "question": "What is a centrumgemeente?", '
                    '"history": null, "evidence": ["Een gemeente voert de taken uit voor meerdere gemeenten."]}\n',
                    encoding="utf-8")
    first, second = load_items(path)
    assert first.history == () and first.gold_sections == () and first.evidence == () and first.must_not == ()
    assert second.history == () and second.evidence == ("Een gemeente voert de taken uit voor meerdere gemeenten.",)
    path.write_text('{"id": "m-3", "lang": "nl", "type": "fact"}\n', encoding="utf-8")
    with pytest.raises(InputError, match=r"mine.jsonl:1: item 'm-3' lacks the required field 'question'"):
        load_items(path)
    path.write_text('{"question": "Wat?"}\n', encoding="utf-8")
    with pytest.raises(InputError, match=r"the item lacks the required fields 'id', 'lang', 'type'"):
        load_items(path)
    path.write_text('["not", "an", "object"]\n', encoding="utf-8")
    with pytest.raises(InputError, match="must be a JSON object"):
        load_items(path)
