"""The chat page (Vraag het rapport): streaming answers, the sources panel, the searched query of a follow-up,
feedback per answer, and export of the conversation with provenance."""

from __future__ import annotations

import html
import logging
import re
import time
from datetime import UTC, datetime

import gradio as gr

from advisor.answer.answers import Answer
from advisor.index.base import IndexProblem
from advisor.logs import describe_error, loggable
from advisor.messages import labels
from advisor.retrieval.question import MAX_QUERY_CHARS, QueryError, check_query
from advisor.ui.context import Context, Page, open_source, query_error_text, worded
from advisor.ui.render import FEEDBACK_CHOICES, export_markdown, feedback_record, hits_html, sources_html

log = logging.getLogger(__name__)


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


def _shown_text(answer: Answer, words: dict) -> str:
    notices = "".join(f"> ℹ️ {n}\n\n" for n in answer.notices)
    if answer.refused:
        return f"{notices}🚫 **{words['refused']}**\n\n{answer.text}"
    return notices + answer.text


_ACTIVE = re.compile(r"`([^`]*)`")


def _active_text(generator_id: str, language: str) -> str:
    """The line that names the generator in use: "Actief: `extractive`"."""
    return f"{labels(language, 'ui')['active']}: `{generator_id}`"


def _active_renamed(shown: str, language: str):
    """The same line in another language, for the generator it names (the one that answered last, a fallback too)."""
    found = _ACTIVE.search(shown or "")
    return _active_text(found.group(1), language) if found else gr.update()


def _history_of(turns: list) -> list[dict]:
    """The last three turns as the conversation an answer may lean on."""
    history = []
    for turn in turns[-3:]:
        history += [{"role": "user", "content": turn["question"]}, {"role": "assistant", "content": turn["answer"]}]
    return history


def _failure_text(error: Exception, words: dict) -> str:
    """What the page says when answering fails: a question it cannot take, an index that needs attention (its
    message says what to do), or anything else (logged, without the question)."""
    if isinstance(error, QueryError):
        return query_error_text(error, words)
    log.error("answering failed: %s", describe_error(error))
    return str(error) if isinstance(error, IndexProblem) else words["failed"].format(kind=type(error).__name__)


def chat_page(ctx: Context, language: gr.Radio) -> Page:
    advisor, words = ctx.advisor, labels("nl", "ui")
    turns = gr.State([])
    with gr.Tab(words["chat"], id="chat") as tab:
        with gr.Row():
            with gr.Column(scale=3):
                chat = gr.Chatbot(label=words["chat"], elem_id="chat", height=460, autoscroll=False)  # app.JS
                question = gr.Textbox(label=words["question"], elem_id="question", lines=2,
                                      max_length=MAX_QUERY_CHARS + 1000)
                with gr.Row():
                    send = gr.Button(words["send"], variant="primary", elem_id="send")
                    clear = gr.Button(words["clear"], elem_id="clear")
                with gr.Row():
                    generator = gr.Dropdown(ctx.generator_choices, value=ctx.default_generator,
                                            label=words["generator"], elem_id="generator",
                                            info=words["local_missing"] if ctx.local_missing else None)
                    active = gr.Markdown(_active_text(ctx.default_generator, "nl"), elem_id="active-generator")
                searched = gr.Markdown("", elem_id="searched")
            with gr.Column(scale=2):
                sources = gr.HTML("", elem_id="sources")
                open_choice = gr.Dropdown([], label=words["open_source"], elem_id="open-source")
                opened = gr.Markdown("", elem_id="opened")
        with gr.Accordion(words["feedback"], open=False, elem_id="feedback") as feedback:
            verdict = gr.Radio(worded(FEEDBACK_CHOICES, "nl"), value="correct", label=words["feedback"],
                               elem_id="verdict")
            comment = gr.Textbox(label=words["comment"], elem_id="comment")
            save_feedback = gr.Button(words["save_feedback"], elem_id="save-feedback")
            feedback_status = gr.Markdown("", elem_id="feedback-status")
        export = gr.Button(words["export"], elem_id="export")
        export_file = gr.File(label=words["export"], interactive=False, elem_id="export-file")

    def ask(text: str, messages: list, history_turns: list, generator_id: str, lang: str):
        words = labels(lang, "ui")
        messages, unchanged = list(messages or []), gr.update()
        try:
            text = check_query(text or "")
        except QueryError as error:
            reply = {"role": "assistant", "content": query_error_text(error, words)}
            yield messages + [reply], unchanged, "", history_turns, unchanged, text or "", unchanged
            return
        messages += [{"role": "user", "content": html.escape(text, quote=False)},  # the user's words, never markup
                     {"role": "assistant", "content": "…"}]
        yield messages, "", "", history_turns, unchanged, "", unchanged
        streamed, answer = "", None
        try:
            for event, value in advisor.stream_answer(text, _history_of(history_turns), generator_id):
                if event == "sources":
                    yield messages, hits_html(value, lang), "", history_turns, unchanged, "", unchanged
                elif event == "token":
                    streamed += value
                    messages[-1] = {"role": "assistant", "content": streamed}
                    yield messages, unchanged, "", history_turns, unchanged, "", unchanged
                else:
                    answer = value
        except Exception as error:  # never a traceback in the page; the log has the type, not the question
            messages[-1] = {"role": "assistant", "content": _failure_text(error, words)}
            yield messages, "", "", history_turns, unchanged, "", unchanged
            return
        log.info("ask %s: %s by %s in %.0f ms", loggable(text), answer.kind, answer.generator,
                 answer.timings_ms.get("total", 0.0))
        messages[-1] = {"role": "assistant", "content": _shown_text(answer, words)}
        rewritten = answer.rewritten_query and answer.rewritten_query != answer.question
        query_md = f"_{words['searched']}: {answer.rewritten_query}_" if rewritten else ""
        choices = [(f"[{c.n}] {c.section} {c.case_title or c.section_title}",
                    f"case:{c.case_id}" if c.case_id else f"section:{c.section_id}") for c in answer.citations]
        yield (messages, sources_html(answer, lang), query_md, [*history_turns, _turn(answer)],
               _active_text(answer.generator, lang), "", gr.update(choices=choices, value=None))

    outputs = [chat, sources, searched, turns, active, question, open_choice]
    send.click(ask, [question, chat, turns, generator, language], outputs, api_name=False)
    question.submit(ask, [question, chat, turns, generator, language], outputs, api_name=False)
    clear.click(lambda: ([], "", "", [], gr.update(choices=[], value=None), ""), None,
                [chat, sources, searched, turns, open_choice, opened], api_name=False)
    generator.change(_active_text, [generator, language], active, api_name=False)
    language.change(_active_renamed, [active, language], active, api_name=False)
    open_choice.change(lambda choice: open_source(advisor, choice), open_choice, opened, api_name=False)

    def give_feedback(history_turns: list, verdict_value: str, comment_value: str, lang: str) -> str:
        if not history_turns:
            return labels(lang, "ui")["no_answer"]
        path = advisor.settings.feedback_path
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as handle:
            handle.write(feedback_record(history_turns[-1], verdict_value, comment_value or "") + "\n")
        return labels(lang, "ui")["thanks"]

    save_feedback.click(give_feedback, [turns, verdict, comment, language], feedback_status, api_name=False)

    def export_conversation(history_turns: list, lang: str) -> str | None:
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
        path = ctx.export_dir / f"gesprek-{int(time.time() * 1000)}.md"
        path.write_text(export_markdown(history_turns, provenance, lang), encoding="utf-8")
        return str(path)

    export.click(export_conversation, [turns, language], export_file, api_name=False)
    return Page({tab: "chat", chat: "chat", question: "question", generator: "generator", open_choice: "open_source",
                 feedback: "feedback", verdict: "feedback", comment: "comment", export_file: "export"},
                {send: "send", clear: "clear", export: "export", save_feedback: "save_feedback"},
                {generator: "local_missing"} if ctx.local_missing else {},
                choices={verdict: lambda lang: worded(FEEDBACK_CHOICES, lang)})
