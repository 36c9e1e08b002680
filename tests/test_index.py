"""The persistent index with fake embeddings: builds, no-ops, atomic rebuilds, refusals, damage, and an app and
rebuilds at the same time (readers keep their build; a running advisor picks up a newer one)."""

from __future__ import annotations

import gc
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from advisor.index import (
    CURRENT,
    IndexCorruptError,
    IndexMismatchError,
    IndexMissingError,
    build_index,
    current_build,
    model_dir,
    open_index,
)
from advisor.search import QueryError, search
from advisor.service import Advisor
from tests.conftest import FakeEmbeddings


def test_build_open_and_search(settings, knowledge, fake_embeddings) -> None:
    manifest, built = build_index(settings, knowledge, fake_embeddings)
    assert built
    assert manifest.counts == {"sections": len(knowledge.sections), "cases": 35, "chunks": len(knowledge.chunks)}
    assert manifest.fingerprint == "fake-model-a"
    handle = open_index(settings, fake_embeddings)
    hits = search(handle, "centrumgemeente", k=4)
    assert [h.rank for h in hits] == [1, 2, 3, 4]
    for hit in hits:
        assert knowledge.report[hit.start : hit.end] == hit.text


def test_second_build_is_a_no_op_until_something_changes(settings, knowledge, fake_embeddings) -> None:
    build_index(settings, knowledge, fake_embeddings)
    first = current_build(model_dir(settings, fake_embeddings))
    _, built = build_index(settings, knowledge, fake_embeddings)
    assert not built and current_build(model_dir(settings, fake_embeddings)) == first
    _, built = build_index(settings, knowledge, fake_embeddings, rebuild=True)
    second = current_build(model_dir(settings, fake_embeddings))
    assert built and second != first and first.exists()  # the previous build stays for readers
    build_index(settings, knowledge, fake_embeddings, rebuild=True)
    assert not first.exists() and second.exists()


def test_an_index_from_an_older_chunker_serves_but_is_not_current(settings, knowledge, fake_embeddings,
                                                                     monkeypatch, capsys) -> None:
    from advisor.cli import cmd_serve

    build_index(settings, knowledge, fake_embeddings)
    advisor = Advisor(settings, embeddings=fake_embeddings)
    assert advisor.index_is_current()
    monkeypatch.setattr("advisor.index.CHUNKER_VERSION", 99)
    assert not advisor.index_is_current()
    assert advisor.search("centrumgemeente", k=1)  # it still serves
    monkeypatch.setattr("advisor.ui.serve.launch", lambda *args, **kwargs: None)
    args = type("Args", (), {"host": "127.0.0.1", "port": 0})()
    assert cmd_serve(advisor, args) == 0
    assert "Run `advisor index`" in capsys.readouterr().err
    _, built = build_index(settings, knowledge, fake_embeddings)  # `advisor index` (first step of `make run`)
    assert built and advisor.index_is_current()


def test_filters_restrict_hits(settings, knowledge, fake_embeddings) -> None:
    build_index(settings, knowledge, fake_embeddings)
    handle = open_index(settings, fake_embeddings)
    assert {h.theme for h in search(handle, "samenwerking", k=10, theme="milieu")} == {"milieu"}
    case = knowledge.cases[5]
    hits = search(handle, "samenwerking", k=50, case_id=case.id)
    assert hits and {h.case_id for h in hits} == {case.id}
    assert len(hits) == sum(1 for c in knowledge.chunks if c.case_id == case.id)


def test_missing_index_says_how_to_build_it(settings, fake_embeddings) -> None:
    with pytest.raises(IndexMissingError, match="advisor index"):
        open_index(settings, fake_embeddings)


def test_another_models_index_is_refused_with_the_fix(settings, knowledge, fake_embeddings) -> None:
    build_index(settings, knowledge, fake_embeddings)
    other = FakeEmbeddings(size=32, fingerprint="fake-model-b", model_id="fake-b")
    with pytest.raises(IndexMismatchError) as error:
        open_index(settings, other)
    message = str(error.value)
    assert "fake-model-a" in message and "fake-model-b" in message
    assert "advisor index" in message and "ADVISOR_EMBEDDING_MODEL=fake-a" in message


def test_tampered_manifest_fingerprint_is_refused(settings, knowledge, fake_embeddings) -> None:
    build_index(settings, knowledge, fake_embeddings)
    manifest = current_build(model_dir(settings, fake_embeddings)) / "manifest.json"
    manifest.write_text(manifest.read_text().replace("fake-model-a", "another-model"))
    with pytest.raises(IndexMismatchError, match="another-model"):
        open_index(settings, fake_embeddings)


def test_corrupted_store_is_detected(settings, knowledge, fake_embeddings) -> None:
    build_index(settings, knowledge, fake_embeddings)
    store = current_build(model_dir(settings, fake_embeddings)) / "chroma" / "chroma.sqlite3"
    store.write_bytes(store.read_bytes()[:4096])
    with pytest.raises(IndexCorruptError, match="--rebuild"):
        open_index(settings, fake_embeddings)
    _, built = build_index(settings, knowledge, fake_embeddings, rebuild=True)
    assert built and open_index(settings, fake_embeddings).collection.count() == len(knowledge.chunks)


def test_unreadable_manifest_is_detected(settings, knowledge, fake_embeddings) -> None:
    build_index(settings, knowledge, fake_embeddings)
    (current_build(model_dir(settings, fake_embeddings)) / "manifest.json").write_text("{not json")
    with pytest.raises(IndexCorruptError, match="manifest"):
        open_index(settings, fake_embeddings)
    _, built = build_index(settings, knowledge, fake_embeddings)
    assert built  # a damaged manifest is not "up to date"


def test_bad_queries_are_refused(settings, knowledge, fake_embeddings) -> None:
    build_index(settings, knowledge, fake_embeddings)
    handle = open_index(settings, fake_embeddings)
    for query in ["", "   \n\t", "x" * 5000]:
        with pytest.raises(QueryError):
            search(handle, query)


def test_rebuild_killed_half_way_leaves_the_old_index_serving(settings, knowledge, fake_embeddings) -> None:
    build_index(settings, knowledge, fake_embeddings)
    folder = model_dir(settings, fake_embeddings)
    before = (folder / CURRENT).read_text()
    expected = [h.chunk_id for h in search(open_index(settings, fake_embeddings), "regie", k=5)]
    repo = Path(__file__).resolve().parent.parent
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.slow_rebuild"],
        cwd=repo, stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(repo)},
    )
    try:
        assert process.stdout.readline().strip() == "embedding"
        assert len(list(folder.glob("build-*"))) == 2  # the half-built one sits beside the current one
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        process.stdout.close()
    assert (folder / CURRENT).read_text() == before
    assert [h.chunk_id for h in search(open_index(settings, fake_embeddings), "regie", k=5)] == expected
    _, built = build_index(settings, knowledge, fake_embeddings, rebuild=True)
    assert built and len(list(folder.glob("build-*"))) == 2  # the unfinished build was cleaned up


_TWO_REBUILDS = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from advisor.index import build_index
    from advisor.knowledge import load_knowledge
    from advisor.settings import Settings
    from tests.conftest import FakeEmbeddings

    settings = Settings(index_dir=Path(sys.argv[1]), cache_dir=Path(sys.argv[1]) / "cache")
    for _ in range(2):
        build_index(settings, load_knowledge(settings), FakeEmbeddings(size=32), rebuild=True)
    """
)


def test_rebuilds_in_another_process_keep_the_build_a_reader_holds(settings, knowledge, fake_embeddings) -> None:
    build_index(settings, knowledge, fake_embeddings)
    folder = model_dir(settings, fake_embeddings)
    reader = open_index(settings, fake_embeddings)
    held = folder / reader.build
    expected = [h.chunk_id for h in search(reader, "regie", k=5)]
    repo = Path(__file__).resolve().parent.parent
    subprocess.run([sys.executable, "-c", _TWO_REBUILDS, str(settings.index_dir)], cwd=repo, check=True,
                   env={**os.environ, "PYTHONPATH": str(repo)}, timeout=120)
    # two builds later the reader's build is neither current nor previous, yet it stays while it is read
    assert current_build(folder).name != reader.build and held.exists()
    assert len(list(folder.glob("build-*"))) == 3
    assert reader.collection.count() == len(knowledge.chunks)
    assert [h.chunk_id for h in search(reader, "regie", k=5)] == expected
    reader.close()
    build_index(settings, knowledge, fake_embeddings, rebuild=True)
    assert not held.exists() and len(list(folder.glob("build-*"))) == 2  # let go of, it is cleaned up


def test_a_running_advisor_picks_up_a_newer_build(settings, knowledge, fake_embeddings) -> None:
    Advisor(settings, embeddings=fake_embeddings).build_index()
    app = Advisor(settings, embeddings=fake_embeddings)
    app.index_check_seconds = 3600.0
    first = app.index.build
    in_flight = app.retriever  # what a question being answered holds
    expected = [h.chunk_id for h in app.search("regie", k=5)]

    _, built = Advisor(settings, embeddings=fake_embeddings).build_index(rebuild=True)  # another advisor
    assert built
    assert app.index.build == first  # not looked at again within index_check_seconds
    app.index_check_seconds = 0.0
    second = app.index.build
    assert second != first and second == current_build(model_dir(settings, fake_embeddings)).name
    assert app.retriever is not in_flight and app.retriever.handle.build == second
    assert [h.chunk_id for h in app.search("regie", k=5)] == expected  # the same chunks, from the new build
    assert [h.chunk_id for h in in_flight.retrieve("regie", k=5)] == expected  # the question in flight finishes

    del in_flight
    gc.collect()
    build_index(settings, knowledge, fake_embeddings, rebuild=True)
    assert not (model_dir(settings, fake_embeddings) / first).exists()  # released once nothing held it
