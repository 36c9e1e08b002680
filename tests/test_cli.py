"""The command line: help for every command, documented in the README, JSON shapes, clear errors."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from advisor.cli import build_parser, main
from advisor.index import build_index
from advisor.settings import PROJECT_ROOT

COMMANDS = ["index", "search", "ask", "advise", "serve", "cases", "statements", "show", "bench", "eval", "corpus"]


def _subcommands() -> dict:
    parser = build_parser()
    action = next(a for a in parser._actions if a.dest == "command")
    return action.choices


def test_every_command_has_help_and_is_in_the_readme() -> None:
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    commands = _subcommands()
    assert sorted(commands) == sorted(COMMANDS)
    for name, parser in commands.items():
        assert parser.description or any(a.help for a in parser._actions)
        assert re.search(rf"advisor {name}\b", readme), f"`advisor {name}` is not in the README"
    helps = {a.dest: a.help for a in build_parser()._subparsers._group_actions[0]._choices_actions}
    assert all(helps[name] for name in COMMANDS)


def test_readme_opens_with_the_two_commands() -> None:
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    first_block = readme.split("```", 2)[1]
    assert [line.strip() for line in first_block.strip().splitlines()[1:]] == ["make run", "make test"]


def test_cases_json_lists_all_cards_with_their_fields(capsys) -> None:
    assert main(["cases", "--json"]) == 0
    cards = json.loads(capsys.readouterr().out)
    assert len(cards) == 35
    for key in ["id", "title", "theme", "forms", "places", "partners", "key_quotes", "section"]:
        assert all(key in card for card in cards)


def test_cases_filters(capsys) -> None:
    assert main(["cases", "--json", "--theme", "sociale_zekerheid"]) == 0
    cards = json.loads(capsys.readouterr().out)
    assert len(cards) == 4 and {c["section"] for c in cards} == {"14.2"}
    assert main(["cases", "--json", "--form", "no-such-form"]) == 0
    assert json.loads(capsys.readouterr().out) == []


def test_show_a_section_printed_twice_points_at_its_twin(capsys) -> None:
    assert main(["show", "12.3"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("12.3 Hoe komt samenwerking tot stand?") and "advisor show 12.3-b" in out


def test_show_a_case_and_unknown_ids(capsys, knowledge) -> None:
    card = knowledge.cases[0]
    assert main(["show", card.id, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["title"] == card.title and data["text"] == card.text
    assert main(["show", "no-such-thing"]) == 2
    err = capsys.readouterr().err
    assert "no section or case 'no-such-thing'" in err and "advisor cases" in err
    assert main(["search", "regie", "--case", "no-such-case"]) == 2
    assert "no case 'no-such-case'" in capsys.readouterr().err


@pytest.mark.parametrize("bug", [KeyError("section_id"), ValueError("a bug, not bad input")])
def test_a_bug_is_not_reported_as_bad_input(monkeypatch, bug) -> None:
    """Only the project's own errors become a one-line message; a KeyError or ValueError from a bug stays a bug."""
    def broken(self, **filters):
        raise bug

    monkeypatch.setattr("advisor.service.Advisor.cases", broken)
    with pytest.raises(type(bug)):
        main(["cases"])


def test_search_without_index_explains_how_to_build_it(capsys) -> None:
    assert main(["--embedding-model", "/nonexistent-model", "search", "regie"]) == 2
    assert "advisor index" in capsys.readouterr().err


def test_search_json_has_the_documented_keys(monkeypatch, capsys, settings, knowledge, fake_embeddings) -> None:
    build_index(settings, knowledge, fake_embeddings)
    monkeypatch.setattr("advisor.service.get_embeddings", lambda settings: fake_embeddings)
    assert main(["search", "--json", "--k", "3", "centrumgemeente"]) == 0
    hits = json.loads(capsys.readouterr().out)
    keys = {"rank", "chunk_id", "score", "section", "section_id", "section_title", "theme", "case_id",
            "case_title", "start", "end", "text"}
    assert len(hits) == 3 and all(keys <= set(hit) for hit in hits)
    assert main(["search", "   "]) == 2
    assert "empty" in capsys.readouterr().err


@pytest.mark.parametrize("args", [["search"], ["cases", "--theme", "nope"], ["frobnicate"]])
def test_bad_arguments_exit_with_usage(args, capsys) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    assert exit_info.value.code == 2
    assert "usage:" in capsys.readouterr().err


def test_a_reader_that_stops_early_gets_no_traceback() -> None:
    """`advisor show 5.4 | head -1`: the pipe closes before the section is printed."""
    with subprocess.Popen([sys.executable, "-m", "advisor", "show", "5.4"], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, cwd=PROJECT_ROOT) as process:
        process.stdout.close()
        errors = process.stderr.read()
        assert process.wait(timeout=120) == 1 and errors == ""
