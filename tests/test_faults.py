"""Faults at start-up: a missing or damaged index stops `advisor serve` with the fix, and `advisor index` (what
`make run` calls first) repairs a damaged one by itself."""

from __future__ import annotations

import socket

import pytest

from advisor.cli import main
from advisor.index import IndexCorruptError, build_index, current_build, model_dir, open_index
from advisor.service import Advisor
from tests.conftest import free_port


def _truncate_store(settings, embeddings) -> None:
    store = current_build(model_dir(settings, embeddings)) / "chroma" / "chroma.sqlite3"
    store.write_bytes(store.read_bytes()[:4096])


def _nothing_listens(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


@pytest.mark.parametrize("damage", ["missing", "truncated"])
def test_serve_stops_at_start_up_with_the_fix(settings, knowledge, fake_embeddings, monkeypatch, capsys,
                                               damage) -> None:
    if damage == "truncated":
        build_index(settings, knowledge, fake_embeddings)
        _truncate_store(settings, fake_embeddings)
    monkeypatch.setattr("advisor.cli.Advisor", lambda s: Advisor(s, embeddings=fake_embeddings))
    port = free_port()
    assert main(["serve", "--port", str(port)]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert ("advisor index --rebuild" if damage == "truncated" else "Build it with `advisor index`") in err
    assert _nothing_listens(port)


def test_the_plain_index_command_repairs_a_damaged_index(settings, knowledge, fake_embeddings, monkeypatch,
                                                         capsys) -> None:
    build_index(settings, knowledge, fake_embeddings)
    _truncate_store(settings, fake_embeddings)
    with pytest.raises(IndexCorruptError):
        open_index(settings, fake_embeddings)
    monkeypatch.setattr("advisor.cli.Advisor", lambda s: Advisor(s, embeddings=fake_embeddings))
    assert main(["index"]) == 0
    assert "Index built" in capsys.readouterr().out
    assert open_index(settings, fake_embeddings).collection.count() == (
        len(knowledge.chunks) + len(knowledge.statements))
    assert main(["index"]) == 0  # and now it is healthy, so nothing is done
    assert "up to date" in capsys.readouterr().out
