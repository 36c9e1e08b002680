"""The Gradio app: ``build_ui(advisor) -> gr.Blocks``. Only wiring lives here; the core does the work.

Pages: Vraag het rapport (chat with streaming, sources panel, feedback, export), Casus zoeken (instant case
search, no LLM), Adviseur (the intake form), Over / status. Nothing launches at import time.
"""

from __future__ import annotations

import html
import json
import logging
import shutil
import tempfile
import time
import weakref
from datetime import UTC, datetime
from pathlib import Path

import gradio as gr
import yaml

from advisor.advise import Situation
from advisor.answering import Answer
from advisor.conversation import check_history
from advisor.generators import available_generators
from advisor.index import IndexProblem
from advisor.logs import describe_error, loggable
from advisor.retrieval import Filters
from advisor.search import MAX_QUERY_CHARS, QueryError, check_query
from advisor.sections import THEMES
from advisor.service import Advisor
from advisor.ui.render import (
    FEEDBACK_CHOICES,
    LABELS,
    cards_html,
    export_markdown,
    feedback_record,
    hits_html,
    sources_html,
)

log = logging.getLogger(__name__)

CSS = """
.sources mark { background: #ffe58a; padding: 0 2px; }
.source { border-left: 3px solid #3b6ea5; padding-left: 8px; margin-bottom: 10px; }
.case-card { border: 1px solid #ccc; border-radius: 6px; padding: 8px 12px; margin-bottom: 8px; }
.case-card blockquote { font-style: italic; margin: 4px 0 4px 8px; }
#active-generator { font-weight: bold; }
"""


def query_error_text(error: QueryError, words: dict) -> str:
    """The user's-language message for a question that cannot be searched."""
    if error.code == "too_long":
        return words["too_long"].format(n=error.length, max=MAX_QUERY_CHARS)
    return words.get(error.code, str(error))  # "empty" and "binary" are translated


def parse_history(history_json: str | None) -> list[dict]:
    """The API's history argument: a JSON list of {"role", "content"} turns; anything else is a ValueError."""
    try:
        turns = json.loads(history_json or "[]")
    except ValueError:
        raise ValueError('the history must be a JSON list of {"role": "user"|"assistant", "content": "…"}') from None
    return check_history(turns)


def _turn(answer: Answer) -> dict:
    data = answer.to_json()
    return {
        "question": answer.question,
        "rewritten_query": answer.rewritten_query,
        "answer": answer.text,
        "citations": data["citations"],
        "generator": answer.generator,
        "language": answer.language,
        "refused": answer.refused,
    }


def _shown_text(answer: Answer, labels: dict) -> str:
    notices = "".join(f"> ℹ️ {n}\n\n" for n in answer.notices)
    if answer.refused:
        return f"{notices}🚫 **{labels['refused']}**\n\n{answer.text}"
    return notices + answer.text


def build_ui(advisor: Advisor) -> gr.Blocks:
    settings = advisor.settings
    knowledge = advisor.knowledge
    export_dir = Path(tempfile.mkdtemp(prefix="advisor-export-"))
    vocabulary = yaml.safe_load(settings.vocabulary_path.read_text(encoding="utf-8"))
    generators = available_generators(settings)
    generator_choices = [g for g, status in generators.items() if not status.startswith("unavailable")]
    default_generator = settings.generator if settings.generator in generator_choices else "extractive"
    labels = LABELS["nl"]

    with gr.Blocks(title="Handhaving-advisor", analytics_enabled=False) as blocks:
        blocks.export_dir = export_dir  # where export files are written (the only files the app serves)
        # removed with the app, or when the process exits
        blocks.remove_exports = weakref.finalize(blocks, shutil.rmtree, export_dir, ignore_errors=True)
        gr.Markdown(
            "# Handhaving-advisor\nSamenwerken in de handhaving — antwoorden met bronnen uit het rapport "
            "*Samenwerken, daar zit muziek in* (maart 2008)."
        )
        language = gr.Radio(["nl", "en"], value="nl", label="Taal / Language", elem_id="language")
        turns = gr.State([])

        with gr.Tab(labels["chat"], id="chat") as chat_tab:
            with gr.Row():
                with gr.Column(scale=3):
                    chat = gr.Chatbot(label=labels["chat"], elem_id="chat", height=460)
                    question = gr.Textbox(
                        label=labels["question"], elem_id="question", lines=2, max_length=MAX_QUERY_CHARS + 1000
                    )
                    with gr.Row():
                        send = gr.Button(labels["send"], variant="primary", elem_id="send")
                        clear = gr.Button(labels["clear"], elem_id="clear")
                    with gr.Row():
                        generator = gr.Dropdown(
                            generator_choices, value=default_generator, label=labels["generator"], elem_id="generator"
                        )
                        active = gr.Markdown(f"{labels['active']}: `{default_generator}`", elem_id="active-generator")
                    searched = gr.Markdown("", elem_id="searched")
                with gr.Column(scale=2):
                    sources = gr.HTML("", elem_id="sources")
                    open_choice = gr.Dropdown([], label=labels["open_source"], elem_id="open-source")
                    opened = gr.Markdown("", elem_id="opened")
            with gr.Accordion(labels["feedback"], open=False):
                verdict = gr.Radio(FEEDBACK_CHOICES, value="correct", label=labels["feedback"], elem_id="verdict")
                comment = gr.Textbox(label=labels["comment"], elem_id="comment")
                save_feedback = gr.Button(labels["save_feedback"], elem_id="save-feedback")
                feedback_status = gr.Markdown("", elem_id="feedback-status")
            export = gr.Button(labels["export"], elem_id="export")
            export_file = gr.File(label=labels["export"], interactive=False, elem_id="export-file")

        def ask(text: str, messages: list, history_turns: list, generator_id: str, lang: str):
            words = LABELS[lang]
            text = text or ""
            messages = list(messages or [])
            try:
                text = check_query(text)
            except QueryError as error:
                yield (
                    messages + [{"role": "assistant", "content": query_error_text(error, words)}],
                    gr.update(),
                    "",
                    history_turns,
                    gr.update(),
                    text,
                    gr.update(),
                )
                return
            history = []
            for turn in history_turns[-3:]:
                history += [
                    {"role": "user", "content": turn["question"]},
                    {"role": "assistant", "content": turn["answer"]},
                ]
            shown = html.escape(text, quote=False)  # the user's words as text, never as markup
            messages += [{"role": "user", "content": shown}, {"role": "assistant", "content": "…"}]
            yield messages, "", "", history_turns, gr.update(), "", gr.update()
            streamed = ""
            try:
                for event, value in advisor.stream_answer(text, history, generator_id):
                    if event == "sources":
                        yield messages, hits_html(value, lang), "", history_turns, gr.update(), "", gr.update()
                    elif event == "token":
                        streamed += value
                        messages[-1] = {"role": "assistant", "content": streamed}
                        yield messages, gr.update(), "", history_turns, gr.update(), "", gr.update()
                    else:
                        answer: Answer = value
            except Exception as error:  # never a traceback in the page; the log has the type, not the question
                if isinstance(error, QueryError):
                    failure = query_error_text(error, words)
                else:
                    log.error("answering failed: %s", describe_error(error))
                    # an index that is missing, damaged or whose server is down says what to do
                    failure = str(error) if isinstance(error, IndexProblem) else words["failed"].format(
                        kind=type(error).__name__)
                messages[-1] = {"role": "assistant", "content": failure}
                yield messages, "", "", history_turns, gr.update(), "", gr.update()
                return
            log.info("ask %s: %s by %s in %.0f ms", loggable(text), answer.kind, answer.generator,
                     answer.timings_ms.get("total", 0.0))
            messages[-1] = {"role": "assistant", "content": _shown_text(answer, words)}
            query_md = (
                f"_{words['searched']}: {answer.rewritten_query}_"
                if answer.rewritten_query and answer.rewritten_query != answer.question
                else ""
            )
            choices = [
                (
                    f"[{c.n}] {c.section} {c.case_title or c.section_title}",
                    f"case:{c.case_id}" if c.case_id else f"section:{c.section_id}",
                )
                for c in answer.citations
            ]
            yield (
                messages,
                sources_html(answer, lang),
                query_md,
                [*history_turns, _turn(answer)],
                f"{words['active']}: `{answer.generator}`",
                "",
                gr.update(choices=choices, value=None),
            )

        outputs = [chat, sources, searched, turns, active, question, open_choice]
        send.click(ask, [question, chat, turns, generator, language], outputs, api_name=False)
        question.submit(ask, [question, chat, turns, generator, language], outputs, api_name=False)
        clear.click(
            lambda: ([], "", "", [], gr.update(choices=[], value=None), ""),
            None,
            [chat, sources, searched, turns, open_choice, opened],
            api_name=False,
        )
        generator.change(
            lambda g, lang: f"{LABELS[lang]['active']}: `{g}`", [generator, language], active, api_name=False
        )

        def open_source(choice: str | None) -> str:
            if not choice:
                return ""
            kind, _, identifier = choice.partition(":")
            shown = advisor.show(identifier)
            if kind == "case" and shown.case:
                return f"### {shown.case.title}\n_{shown.section.number} {shown.section.title}_\n\n{shown.case.text}"
            return f"### {shown.section.number} {shown.section.title}\n\n{shown.section.text}"

        open_choice.change(open_source, open_choice, opened, api_name=False)

        def give_feedback(history_turns: list, verdict_value: str, comment_value: str, lang: str) -> str:
            if not history_turns:
                return LABELS[lang]["no_answer"]
            settings.feedback_path.parent.mkdir(parents=True, exist_ok=True)
            with settings.feedback_path.open("a", encoding="utf-8") as handle:
                handle.write(feedback_record(history_turns[-1], verdict_value, comment_value or "") + "\n")
            return LABELS[lang]["thanks"]

        save_feedback.click(give_feedback, [turns, verdict, comment, language], feedback_status, api_name=False)

        def export_conversation(history_turns: list) -> str | None:
            if not history_turns:
                return None
            manifest = advisor.index.manifest
            provenance = {
                "datum": datetime.now(UTC).isoformat(timespec="seconds"),
                "generatoren": ", ".join(sorted({t["generator"] for t in history_turns})),
                "embeddingmodel": f"{manifest.embedding_model} ({manifest.fingerprint})",
                "index gebouwd": manifest.built_at,
                "index": str(manifest.counts),
                "bron": "Samenwerken, daar zit muziek in (Ministerie van Justitie, maart 2008)",
            }
            path = export_dir / f"gesprek-{int(time.time() * 1000)}.md"
            path.write_text(export_markdown(history_turns, provenance), encoding="utf-8")
            return str(path)

        export.click(export_conversation, turns, export_file, api_name=False)

        with gr.Tab(labels["cases"], id="cases") as cases_tab:
            forms = sorted(vocabulary.get("forms", {}))
            partners = sorted(vocabulary.get("partners", {}))
            with gr.Row():
                case_text = gr.Textbox(label=labels["free_text"], elem_id="case-text")
                case_theme = gr.Dropdown([""] + sorted(THEMES), value="", label=labels["theme"], elem_id="case-theme")
                case_form = gr.Dropdown([""] + forms, value="", label=labels["form"], elem_id="case-form")
                case_partner = gr.Dropdown([""] + partners, value="", label=labels["partner"], elem_id="case-partner")
                case_place = gr.Textbox(label=labels["place"], elem_id="case-place")
            case_search = gr.Button(labels["search"], variant="primary", elem_id="case-search")
            case_results = gr.HTML(cards_html(list(knowledge.cases), 0.0), elem_id="case-results")
            case_pick = gr.Dropdown(
                [(c.title, c.id) for c in knowledge.cases], label=labels["open_case"], elem_id="case-pick"
            )
            case_full = gr.Markdown("", elem_id="case-full")

        def find_cases(text: str, theme: str, form: str, partner: str, place: str):
            started = time.perf_counter()
            filters = Filters(
                theme=theme or None, form=form or None, partner=partner or None, place=place or None, cases_only=True
            )
            if (text or "").strip():
                ids = list(dict.fromkeys(h.case_id for h in advisor.search(text, k=30, filters=filters)))
                cards = [knowledge.case(i) for i in ids]
            else:
                cards = advisor.cases(
                    theme=filters.theme, form=filters.form, partner=filters.partner, place=filters.place
                )
            elapsed = (time.perf_counter() - started) * 1000
            return cards_html(cards, elapsed), gr.update(choices=[(c.title, c.id) for c in cards], value=None)

        case_inputs = [case_text, case_theme, case_form, case_partner, case_place]
        case_search.click(find_cases, case_inputs, [case_results, case_pick], api_name="find_cases")
        case_text.submit(find_cases, case_inputs, [case_results, case_pick], api_name=False)
        case_pick.change(lambda i: open_source(f"case:{i}") if i else "", case_pick, case_full, api_name=False)

        with gr.Tab(labels["advise"], id="advise") as advise_tab:
            with gr.Row():
                a_theme = gr.Dropdown([""] + sorted(THEMES), value="", label=labels["theme"], elem_id="advise-theme")
                a_size = gr.Radio(
                    ["klein", "middelgroot", "groot"], value="klein", label=labels["size"], elem_id="advise-size"
                )
                a_goal = gr.Radio(["", "schaal", "keten"], value="", label=labels["goal"], elem_id="advise-goal")
            with gr.Row():
                a_partners = gr.CheckboxGroup(partners, label=labels["partners"], elem_id="advise-partners")
            with gr.Row():
                a_urgency = gr.Radio(["laag", "hoog"], value="hoog", label=labels["urgency"], elem_id="advise-urgency")
                a_experience = gr.Radio(
                    ["geen", "enige", "veel"], value="enige", label=labels["experience"], elem_id="advise-experience"
                )
                a_generator = gr.Dropdown(
                    generator_choices, value=default_generator, label=labels["generator"], elem_id="advise-generator"
                )
            a_description = gr.Textbox(label=labels["description"], elem_id="advise-description")
            a_go = gr.Button(labels["get_advice"], variant="primary", elem_id="advise-go")
            a_result = gr.Markdown("", elem_id="advise-result")
            a_sources = gr.HTML("", elem_id="advise-sources")

        def give_advice(theme, size, goal, partners_value, urgency, experience, gen, description, lang):
            situation = Situation(
                theme=theme or None,
                size=size,
                partners=tuple(partners_value or ()),
                goal=goal or None,
                urgency=urgency,
                experience=experience,
                description=(description or "")[:MAX_QUERY_CHARS],
                language=lang,
            )
            advice = advisor.advise(situation, gen)
            notices = "".join(f"> ℹ️ {n}\n\n" for n in advice.notices)
            return notices + advice.text, sources_html(advice, lang)

        a_go.click(
            give_advice,
            [a_theme, a_size, a_goal, a_partners, a_urgency, a_experience, a_generator, a_description, language],
            [a_result, a_sources],
            api_name="advise",
        )

        with gr.Tab(labels["about"], id="about") as about_tab:
            gr.Markdown(_about(advisor, generators), elem_id="about")

        # The language switch relabels every control; answers follow the language of the question.
        relabelled = {
            chat_tab: "chat", cases_tab: "cases", advise_tab: "advise", about_tab: "about",
            question: "question", generator: "generator", open_choice: "open_source", verdict: "feedback",
            comment: "comment", export_file: "export", case_text: "free_text", case_theme: "theme",
            case_form: "form", case_partner: "partner", case_place: "place", case_pick: "open_case",
            a_theme: "theme", a_size: "size", a_goal: "goal", a_partners: "partners", a_urgency: "urgency",
            a_experience: "experience", a_generator: "generator", a_description: "description",
        }
        buttons = {send: "send", clear: "clear", export: "export", save_feedback: "save_feedback",
                   case_search: "search", a_go: "get_advice"}

        def relabel(lang: str):
            words = LABELS[lang]
            return [gr.update(label=words[key]) for key in relabelled.values()] + [
                gr.update(value=words[key]) for key in buttons.values()]

        language.change(relabel, language, [*relabelled, *buttons], api_name=False)

        # API endpoints for scripts and tests (gradio_client), the same core calls as the pages.
        def api_ask(text: str, history_json: str = "[]", generator_id: str = "extractive") -> dict:
            """The same answer as `advisor ask --json`; bad input is a gr.Error with a clear message."""
            try:
                history = parse_history(history_json)
                answer = advisor.answer(text, history, generator_id or None)
            except (ValueError, IndexProblem) as error:  # a QueryError or a malformed history; no usable index
                raise gr.Error(str(error), print_exception=False) from None
            except Exception as error:
                log.error("api ask failed: %s", describe_error(error))
                message = LABELS["en"]["failed"].format(kind=type(error).__name__)
                raise gr.Error(message, print_exception=False) from None
            log.info("api ask %s: %s, %.0f ms", loggable(answer.question), answer.kind, answer.timings_ms["total"])
            return answer.to_json()

        gr.api(api_ask, api_name="ask")
    return blocks


def _about(advisor: Advisor, generators: dict[str, str]) -> str:
    manifest = advisor.index.manifest
    counts = " / ".join(str(manifest.counts.get(key)) for key in ("sections", "cases", "chunks"))
    status = "\n".join(f"| `{g}` | {s} |" for g, s in generators.items())
    return f"""## Waarop dit advies gebaseerd is
*Samenwerken, daar zit muziek in — Succesvol samenwerken in de handhaving*, Ministerie van Justitie, programma
Handhaven met Effect, **maart 2008** (onderzoek: Andersson Elffers Felix). Citeren mag met bronvermelding.
Namen van instanties en wetten kunnen sinds 2008 veranderd zijn.

## Index
| | |
|---|---|
| gebouwd | {manifest.built_at} |
| embeddingmodel | {manifest.embedding_model} |
| vingerafdruk | `{manifest.fingerprint}` |
| secties / casussen / fragmenten | {counts} |

## Generatoren
| generator | status |
|---|---|
{status}
"""
