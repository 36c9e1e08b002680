"""The key statements (corpus/statements/): every rule of corpus/statements/README.md, on the real data; loading
errors on bad files; indexing beside the chunks (rebuilt when a statement changes); search and the CLI."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from advisor.cli import main
from advisor.corpus import statements as st
from advisor.corpus.knowledge import load_knowledge
from advisor.index.builds import build_index, is_up_to_date, open_index
from advisor.retrieval.question import detect_language
from advisor.retrieval.statements import holding_passages, next_sentence_statements, paragraph_at
from advisor.service import Advisor
from advisor.settings import Settings

CORPUS = Settings().corpus_dir
STATEMENTS = CORPUS / "statements"


@pytest.fixture(scope="module")
def vocabulary() -> dict:
    return yaml.safe_load((CORPUS / "vocabulary.yaml").read_text(encoding="utf-8"))


def test_the_report_is_rewritten_into_statements_in_every_file(knowledge):
    files = st.statement_files(STATEMENTS)
    assert len(knowledge.statements) >= 1000
    assert {p.name for p in files} >= {"ch01.yaml", "ch12-3.yaml", "ch14-8.yaml", "bijlage.yaml"}
    covered_sections = {s.section_id for s in knowledge.statements}
    content_sections = {u.section_id for u in st.content_units(knowledge.sections, knowledge.cases)}
    assert content_sections <= covered_sections, sorted(content_sections - covered_sections)


def test_every_statement_passes_the_rules(knowledge, vocabulary):
    """Quote verbatim at its offsets, in its section (and case), unique ids, kinds and subjects from their lists,
    6-50 words, no pronoun-led text."""
    problems = st.check_statements(knowledge.statements, knowledge.report, knowledge.sections, knowledge.cases,
                                   st.vocabulary_subjects(vocabulary))
    assert problems == []


def test_statements_lie_in_the_file_of_their_chapter(knowledge):
    for path in st.statement_files(STATEMENTS):
        allowed = {s.section_id for s in st.file_sections(path.name, knowledge.sections)}
        wrong = [s.id for s in knowledge.statements if s.file == path.name and s.section_id not in allowed]
        assert wrong == [], f"{path.name} holds statements of other sections: {wrong[:5]}"


def test_coverage_of_content_sentences_is_at_least_95_percent(knowledge):
    units = st.content_units(knowledge.sections, knowledge.cases)
    missing = st.uncovered(units, knowledge.statements, knowledge.report)
    assert len(units) > 1000
    assert 1 - len(missing) / len(units) >= 0.95, [u.text[:80] for u in missing[:10]]


def test_nl_is_dutch_and_en_is_english(settings):
    reader = Advisor(settings).reader
    kb = load_knowledge(settings)
    not_dutch = [s.id for s in kb.statements if detect_language(s.nl, reader.analyser, reader.english) != "nl"]
    not_english = [s.id for s in kb.statements if detect_language(s.en, reader.analyser, reader.english) != "en"]
    assert not_dutch == [] and not_english == []


def test_reviewed_entries_name_existing_statements_with_a_reason(knowledge):
    from advisor.evaluation.statement_judge import load_reviewed

    reviewed = load_reviewed(STATEMENTS / "reviewed.yaml")
    assert reviewed, "the reviewed list is missing"
    ids = {s.id for s in knowledge.statements}
    assert sorted(set(reviewed) - ids) == []
    assert all(len(reason) >= 15 for reason in reviewed.values())


@pytest.mark.real_model
def test_every_statement_is_supported_by_its_quote_or_reviewed(real_advisor):
    """The overlap judge confirms nl against the quote in its context and en against nl; what it cannot confirm
    a reviewer has read (reviewed.yaml). A statement edited after review is judged again."""
    from advisor.evaluation.statement_judge import judge_statements, load_reviewed

    reviewed = load_reviewed(STATEMENTS / "reviewed.yaml")
    judged = judge_statements(real_advisor)
    unconfirmed = [j for j in judged if not j.confirmed and j.id not in reviewed]
    assert unconfirmed == []
    assert sum(j.confirmed for j in judged) / len(judged) >= 0.75  # the share that needs no review stays high


# -- bad input -----------------------------------------------------------------------------------------------


def _statement(**changes) -> dict:
    item = {"id": "4.3-001", "section_id": "4.3", "case_id": None, "kind": "finding", "subjects": [],
            "nl": "In de handhaving van achterstandswijken werken gemeente en politie nauw samen.",
            "en": "In the enforcement of deprived neighbourhoods the municipality and the police work closely.",
            "quote": "x", "start": -1, "end": -1}
    return item | changes


def test_a_broken_file_is_a_clear_error_naming_it(tmp_path):
    (tmp_path / "ch04.yaml").write_text("statements: [unclosed", encoding="utf-8")
    with pytest.raises(st.StatementDataError, match="ch04.yaml"):
        st.load_statements(tmp_path)
    (tmp_path / "ch04.yaml").write_text(yaml.safe_dump({"statements": [_statement(nl="")]}), encoding="utf-8")
    with pytest.raises(st.StatementDataError, match="4.3-001: missing nl"):
        st.load_statements(tmp_path)


def test_rule_breaks_are_reported_with_the_statement_id(knowledge, vocabulary):
    section = knowledge.section("4.3")
    quote = section.text.split(".")[0]
    at = knowledge.report.find(quote, section.start)
    good = st._statement(_statement(quote=quote, start=at, end=at + len(quote)), "ch04.yaml")
    subjects = st.vocabulary_subjects(vocabulary)
    assert st.check_statements([good], knowledge.report, knowledge.sections, knowledge.cases, subjects) == []
    bad = [
        st._statement(_statement(id="4.3-002", quote=quote, start=at + 1, end=at + 1 + len(quote)), "ch04.yaml"),
        st._statement(_statement(id="4.3-003", quote=quote, start=at, end=at + len(quote), kind="opinion"), "x"),
        st._statement(_statement(id="4.3-004", quote=quote, start=at, end=at + len(quote),
                                 nl="Dit is een voorbeeld van samenwerking tussen de gemeente en de politie."), "x"),
        st._statement(_statement(id="4.3-005", quote=quote, start=at, end=at + len(quote), subjects=["nope"]), "x"),
    ]
    problems = st.check_statements(bad, knowledge.report, knowledge.sections, knowledge.cases, subjects)
    for statement_id in ("4.3-002", "4.3-003", "4.3-004", "4.3-005"):
        assert any(p.startswith(statement_id) for p in problems), (statement_id, problems)


def test_file_names_say_which_sections_they_hold(knowledge):
    assert [s.section_id for s in st.file_sections("ch12-3.yaml", knowledge.sections)] == ["12.3", "12.3-b"]
    assert [s.section_id for s in st.file_sections("ch12-0.yaml", knowledge.sections)] == ["12"]
    with pytest.raises(st.StatementDataError, match="chNN"):
        st.file_sections("notes.yaml", knowledge.sections)


# -- the index -----------------------------------------------------------------------------------------------


@pytest.fixture
def corpus_copy(tmp_path) -> Path:
    target = tmp_path / "corpus"
    shutil.copytree(CORPUS, target, ignore=shutil.ignore_patterns("*.raw.txt"))
    return target


def test_statements_are_indexed_beside_the_chunks_and_a_change_rebuilds(corpus_copy, fake_embeddings, tmp_path):
    settings = Settings(corpus_dir=corpus_copy, index_dir=tmp_path / "index", cache_dir=tmp_path / "cache")
    kb = load_knowledge(settings)
    manifest, built = build_index(settings, kb, fake_embeddings)
    assert built and manifest.counts["statements"] == len(kb.statements) > 1000
    handle = open_index(settings, fake_embeddings)
    assert handle.collection.count() == len(kb.chunks) + len(kb.statements)
    assert len(handle.collection.get(where={"unit": "statement"}, include=[])["ids"]) == len(kb.statements)
    handle.close()
    assert is_up_to_date(settings, kb, fake_embeddings)

    path = corpus_copy / "statements" / "ch04.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("politie", "Politie", 1), encoding="utf-8")
    changed = load_knowledge(settings)
    assert changed.corpus_digest != kb.corpus_digest
    assert not is_up_to_date(settings, changed, fake_embeddings)
    assert build_index(settings, changed, fake_embeddings)[1]


def test_statement_search_honours_filters(settings, fake_embeddings):
    advisor = Advisor(settings, embeddings=fake_embeddings)
    advisor.build_index()
    from advisor.retrieval.hits import Filters

    hits = advisor.search_statements("centrumgemeente nadeel", k=8)
    assert len(hits) == 8 and [h.rank for h in hits] == list(range(1, 9))
    only = advisor.search_statements("samenwerking", k=5, kind="disadvantage")
    assert only and all(h.statement.kind == "disadvantage" for h in only)
    case = advisor.search_statements("samenwerking", k=5, filters=Filters(case_id="twente-sociale-recherche"))
    assert case and all(h.statement.case_id == "twente-sociale-recherche" for h in case)
    # the chunk side is not disturbed by the statements in the same collection
    assert all(not h.chunk_id.startswith(st.STATEMENT_ID_PREFIX) for h in advisor.search("centrumgemeente", k=10))


def test_cli_lists_and_searches_statements(settings, fake_embeddings, capsys, monkeypatch):
    monkeypatch.setattr("advisor.service.get_embeddings", lambda settings: fake_embeddings)
    assert main(["statements", "--section", "12.3", "--kind", "disadvantage", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert listed and {s["section_id"] for s in listed} <= {"12.3", "12.3-b"}
    assert all(s["kind"] == "disadvantage" for s in listed)
    assert main(["statements", "--subject", "no-such-subject"]) == 2
    assert "no subject" in capsys.readouterr().err
    assert main(["statements", "--uncovered"]) == 0
    assert "coverage" in capsys.readouterr().out
    assert main(["index"]) == 0
    capsys.readouterr()
    assert main(["search", "--unit", "statements", "--json", "nadelen", "centrumgemeente"]) == 0
    hit = json.loads(capsys.readouterr().out)[0]
    assert {"statement_id", "kind", "nl", "en", "quote", "start", "end", "section", "section_id", "case_id"} <= set(hit)
    assert main(["show", "twente-sociale-recherche", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["statements"] and all(s["case_id"] == "twente-sociale-recherche" for s in shown["statements"])


def test_the_statement_of_the_next_sentence_is_linked_within_its_section_and_case(knowledge):
    by_id = {st.STATEMENT_ID_PREFIX + s.id: s for s in knowledge.statements}
    units = st.content_units(knowledge.sections, knowledge.cases)
    following = next_sentence_statements(by_id, units)
    assert following["st:12.3-b-032"] == "st:12.3-b-033"  # "... verkleint de kwetsbaarheid." -> "Nadeel is dat ..."
    assert following["st:venlo-drugsoverlast-hektor-15"] == "st:venlo-drugsoverlast-hektor-16"
    assert len(following) > len(by_id) * 0.8
    for sid, follow in following.items():
        s, t = by_id[sid], by_id[follow]
        assert (s.section_id, s.case_id) == (t.section_id, t.case_id) and s.end <= t.start
        between = [u for u in units if s.end <= u.start and u.end <= t.start]
        assert not between, (sid, follow, between)  # no whole sentence lies between the two quotes


def test_each_statement_has_the_passage_and_paragraph_its_quote_lies_in(knowledge):
    spans = [(c.start, c.end) for c in knowledge.chunks]
    statements = list(knowledge.statements)
    sections = {s.section_id: s for s in knowledge.sections}
    for s, n in zip(statements, holding_passages(spans, statements)):
        start, end = spans[n]
        assert start < s.end and s.start < end, s.id
        if any(a <= s.start and s.end <= b for a, b in spans):
            assert start <= s.start and s.end <= end, s.id
        paragraph = paragraph_at(sections[s.section_id], s.start)
        assert s.quote.splitlines()[0] in paragraph, s.id  # where the quote begins (some run over paragraphs)


def test_statement_search_lifts_the_sentence_after_the_best_one(settings, fake_embeddings):
    advisor = Advisor(settings, embeddings=fake_embeddings)
    advisor.build_index()
    finder = advisor.statement_retriever
    assert finder.lexical.ids == finder.context.ids and len(finder.context.ids) == len(finder)
    for query in ("nadelen van een centrumgemeente", "Hoe ondersteunt het OM de Hektor-aanpak in Venlo?"):
        hits = finder.retrieve(query, k=6)
        scores = [h.score for h in hits]
        assert scores == sorted(scores, reverse=True)
        follow = finder.next_of.get(st.STATEMENT_ID_PREFIX + hits[0].statement.id, "")
        lifted = {follow.removeprefix(st.STATEMENT_ID_PREFIX)} - {""}
        assert not lifted or {hits[1].statement.id} == lifted
        plain = replace(finder, config=replace(finder.config, next_sentence=False)).retrieve(query, k=6)
        assert plain[0].statement == hits[0].statement
        assert {h.statement.id for h in hits} - {h.statement.id for h in plain} <= lifted
    one = finder.retrieve("samenwerking", k=5, kind="disadvantage")
    assert one and all(h.statement.kind == "disadvantage" for h in one)  # the lifted statement obeys the filters


@pytest.mark.real_model
def test_real_search_finds_the_statement_in_either_language(real_advisor):
    for query in ("Wat is een nadeel van een centrumgemeente?",
                  "What is a drawback of a centre municipality doing the work for others?"):
        found = [h.statement.id for h in real_advisor.search_statements(query, k=10)]
        assert "12.3-b-033" in found, (query, found)
