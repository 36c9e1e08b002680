"""The local index folder on its own (what both stores share is in test_store_contract.py): an older chunker's
index still serves, bad queries are refused, rebuilds in other processes keep the build a reader holds, and a running
advisor picks up a newer build."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from advisor.index import build_index, current_build, model_dir, open_index
from advisor.retrieval.question import QueryError
from advisor.service import Advisor
from tests.test_store_contract import dense


def test_an_index_from_an_older_chunker_serves_but_is_not_current(settings, knowledge, fake_embeddings,
                                                                     monkeypatch, capsys) -> None:
    from advisor.commands import cmd_serve

    build_index(settings, knowledge, fake_embeddings)
    advisor = Advisor(settings, embeddings=fake_embeddings)
    assert advisor.index_is_current()
    monkeypatch.setattr("advisor.index.builds.CHUNKER_VERSION", 99)
    assert not advisor.index_is_current()
    assert advisor.search("centrumgemeente", k=1)  # it still serves
    monkeypatch.setattr("advisor.ui.serve.launch", lambda *args, **kwargs: None)
    args = type("Args", (), {"host": "127.0.0.1", "port": 0})()
    assert cmd_serve(advisor, args) == 0
    assert "Run `advisor index`" in capsys.readouterr().err
    _, built = build_index(settings, knowledge, fake_embeddings)  # `advisor index` (first step of `make run`)
    assert built and advisor.index_is_current()


def test_bad_queries_are_refused(settings, knowledge, fake_embeddings) -> None:
    build_index(settings, knowledge, fake_embeddings)
    advisor = Advisor(settings, embeddings=fake_embeddings)
    for query in ["", "   \n\t", "x" * 5000]:
        with pytest.raises(QueryError):
            advisor.search(query)


_TWO_REBUILDS = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from advisor.index.builds import build_index
    from advisor.corpus.knowledge import load_knowledge
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
    expected = [d.id for d in dense(reader, "regie")]
    repo = Path(__file__).resolve().parent.parent
    subprocess.run([sys.executable, "-c", _TWO_REBUILDS, str(settings.index_dir)], cwd=repo, check=True,
                   env={**os.environ, "PYTHONPATH": str(repo)}, timeout=120)
    # two builds later the reader's build is neither current nor previous, yet it stays while it is read
    assert current_build(folder).name != reader.build and held.exists()
    assert len(list(folder.glob("build-*"))) == 3
    assert reader.collection.count() == len(knowledge.chunks) + len(knowledge.statements)
    assert [d.id for d in dense(reader, "regie")] == expected
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
