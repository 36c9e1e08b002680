"""The Gradio app: ``build_ui(advisor) -> gr.Blocks``. Only wiring lives here; the core does the work.

Pages, one function each: ``chat_page`` (``ui/chat.py``: Vraag het rapport, chat with streaming, sources panel,
feedback, export), ``cases_page``, ``advise_page`` and ``about_page`` (``ui/pages.py``: Casus zoeken, Adviseur, Over /
status); then ``_language_switch`` relabels them all and ``_api`` adds the endpoint for scripts. Each page returns
the controls it wants relabelled (``ui/context.py``). Nothing launches at import time.
"""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
import weakref
from pathlib import Path

import gradio as gr
import yaml

from advisor.answer.conversation import check_history
from advisor.errors import InputError
from advisor.index.base import IndexProblem
from advisor.llm.generators import available_generators
from advisor.llm.local import LocalModelNotInstalled
from advisor.logs import describe_error, loggable
from advisor.messages import labels, say
from advisor.service import Advisor
from advisor.ui.chat import chat_page
from advisor.ui.context import Context, Page
from advisor.ui.pages import about_page, advise_page, cases_page

log = logging.getLogger(__name__)

CSS = """
.sources mark { background: #ffe58a; padding: 0 2px; }
.source { border-left: 3px solid #3b6ea5; padding-left: 8px; margin-bottom: 10px; }
.case-card { border: 1px solid #ccc; border-radius: 6px; padding: 8px 12px; margin-bottom: 8px; }
.case-card blockquote { font-style: italic; margin: 4px 0 4px 8px; }
#active-generator { font-weight: bold; }
.sources .unmarked { font-style: italic; }
"""

# A new answer is shown from its start. Gradio's own autoscroll (off: gr.Chatbot(autoscroll=False)) would follow
# the end of a long answer. This keeps the newest bot message's first line at the top of the chat's scroll box
# while it streams in and when it is complete, until the user scrolls the box themselves.
JS = """
() => {
  let count = 0, pinned = false, ours = null;
  const box = () => document.querySelector('#chat [role="log"]');
  const align = () => {
    const log = box();
    if (!log) return;
    const answers = log.querySelectorAll('[data-testid="bot"]');
    if (answers.length !== count) { count = answers.length; pinned = count > 0; }
    if (!pinned) return;
    const top = answers[count - 1].getBoundingClientRect().top - log.getBoundingClientRect().top + log.scrollTop;
    const wanted = Math.max(0, Math.round(top) - 4);
    if (Math.abs(log.scrollTop - wanted) > 1) log.scrollTop = wanted;
    ours = log.scrollTop;
  };
  new MutationObserver(align).observe(document.body, {childList: true, subtree: true, characterData: true});
  document.addEventListener('scroll', (event) => {
    const log = box();
    if (event.target === log && ours !== null && Math.abs(log.scrollTop - ours) > 2) pinned = false;
  }, true);
}
"""


def parse_history(history_json: str | None) -> list[dict]:
    """The API's history argument: a JSON list of {"role", "content"} turns; anything else is a ValueError."""
    try:
        turns = json.loads(history_json or "[]")
    except ValueError:
        raise InputError('the history must be a JSON list of {"role": "user"|"assistant", "content": "…"}') from None
    return check_history(turns)


def build_ui(advisor: Advisor) -> gr.Blocks:
    settings = advisor.settings
    vocabulary = yaml.safe_load(settings.vocabulary_path.read_text(encoding="utf-8"))
    generators = available_generators(settings)
    choices = [g for g, status in generators.items() if not status.startswith("unavailable")]
    default = settings.generator if settings.generator in choices else "extractive"
    ctx = Context(advisor, _names(vocabulary.get("forms", {})), _names(vocabulary.get("partners", {})), choices,
                  default, Path(tempfile.mkdtemp(prefix="advisor-export-")),
                  local_missing=generators.get("local", "").startswith("unavailable"))
    with gr.Blocks(title="Handhaving-advisor", analytics_enabled=False) as blocks:
        blocks.export_dir = ctx.export_dir  # where export files are written (the only files the app serves)
        # removed with the app, or when the process exits
        blocks.remove_exports = weakref.finalize(blocks, shutil.rmtree, ctx.export_dir, ignore_errors=True)
        title = gr.Markdown(say("ui.title", "nl"))
        language = gr.Radio(["nl", "en"], value="nl", label="Taal / Language", elem_id="language")
        pages = [chat_page(ctx, language), cases_page(ctx, language), advise_page(ctx, language),
                 about_page(ctx, generators)]
        _language_switch(language, title, pages)
        _api(advisor)
    return blocks


def _names(entries: dict) -> dict[str, dict[str, str]]:
    """The vocabulary's slugs, sorted, with their shown names: {"centrumgemeente": {"nl": …, "en": …}, …}."""
    return {slug: {"nl": entries[slug]["label_nl"], "en": entries[slug]["label_en"]} for slug in sorted(entries)}


def _language_switch(language: gr.Radio, title: gr.Markdown, pages: list[Page]) -> None:
    """The language switch relabels every control (labels, buttons, info lines, the names of menu choices, whole
    texts such as the about page), one update per control; answers follow the language of the question."""

    def updates(lang: str) -> dict:
        words = labels(lang, "ui")
        out: dict = {title: {"value": say("ui.title", lang)}}
        for page in pages:
            for control, key in page.labelled.items():
                out.setdefault(control, {})["label"] = words[key]
            for control, key in page.buttons.items():
                out.setdefault(control, {})["value"] = words[key]
            for control, key in page.infos.items():
                out.setdefault(control, {})["info"] = words[key]
            for control, choices in page.choices.items():
                out.setdefault(control, {})["choices"] = choices(lang)
            for control, text in page.texts.items():
                out.setdefault(control, {})["value"] = text(lang)
        return out

    def relabel(lang: str) -> list:
        return [gr.update(**update) for update in updates(lang).values()]

    language.change(relabel, language, list(updates("nl")), api_name=False)


def _api(advisor: Advisor) -> None:
    """The endpoint for scripts and tests (gradio_client): the same answer as `advisor ask --json`."""

    def api_ask(text: str, history_json: str = "[]", generator_id: str = "extractive") -> dict:
        """The same answer as `advisor ask --json`; bad input is a gr.Error with a clear message."""
        try:
            history = parse_history(history_json)
            answer = advisor.answer(text, history, generator_id or None)
        except (InputError, IndexProblem, LocalModelNotInstalled) as error:  # bad input; no index; no local model
            raise gr.Error(str(error), print_exception=False) from None
        except Exception as error:
            log.error("api ask failed: %s", describe_error(error))
            raise gr.Error(labels("en", "ui")["failed"].format(kind=type(error).__name__),
                           print_exception=False) from None
        log.info("api ask %s: %s, %.0f ms", loggable(answer.question), answer.kind, answer.timings_ms["total"])
        return answer.to_json()

    gr.api(api_ask, api_name="ask")
