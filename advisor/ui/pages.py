"""The other pages: Casus zoeken (instant case search, no LLM), Adviseur (the intake form), Over / status."""

from __future__ import annotations

import time

import gradio as gr

from advisor.advice.advise import EXPERIENCE, GOALS, LEVELS, SIZES, Situation
from advisor.corpus.sections import THEMES
from advisor.llm.local import LocalModelNotInstalled
from advisor.messages import labels, say
from advisor.retrieval.hits import Filters
from advisor.retrieval.question import MAX_QUERY_CHARS
from advisor.service import Advisor
from advisor.ui.context import Context, Page, named, open_source, worded
from advisor.ui.render import cards_html, sources_html


def cases_page(ctx: Context, language: gr.Radio) -> Page:
    advisor, words = ctx.advisor, labels("nl", "ui")
    knowledge = advisor.knowledge
    with gr.Tab(words["cases"], id="cases") as tab:
        with gr.Row():
            text = gr.Textbox(label=words["free_text"], elem_id="case-text")
            theme = gr.Dropdown(named(THEMES, "nl", "choice_any"), value="", label=words["theme"],
                                elem_id="case-theme")
            form = gr.Dropdown(named(ctx.forms, "nl", "choice_any"), value="", label=words["form"],
                               elem_id="case-form")
            partner = gr.Dropdown(named(ctx.partners, "nl", "choice_any"), value="", label=words["partner"],
                                  elem_id="case-partner")
            place = gr.Textbox(label=words["place"], elem_id="case-place")
        search = gr.Button(words["search"], variant="primary", elem_id="case-search")
        shown = gr.State(([c.id for c in knowledge.cases], 0.0))  # the cards on show and how long finding took
        results = gr.HTML(cards_html(list(knowledge.cases), 0.0), elem_id="case-results")
        pick = gr.Dropdown([(c.title, c.id) for c in knowledge.cases], label=words["open_case"], elem_id="case-pick")
        full = gr.Markdown("", elem_id="case-full")

    def find_cases(text: str, theme: str, form: str, partner: str, place: str):
        started = time.perf_counter()
        filters = Filters(theme=theme or None, form=form or None, partner=partner or None, place=place or None,
                          cases_only=True)
        if (text or "").strip():
            ids = list(dict.fromkeys(h.case_id for h in advisor.search(text, k=30, filters=filters)))
            cards = [knowledge.case(i) for i in ids]
        else:
            cards = advisor.cases(theme=filters.theme, form=filters.form, partner=filters.partner,
                                  place=filters.place)
        elapsed = (time.perf_counter() - started) * 1000
        return (cards_html(cards, elapsed), gr.update(choices=[(c.title, c.id) for c in cards], value=None),
                ([c.id for c in cards], elapsed))

    def cards_in(found: tuple, lang: str) -> str:
        """The cards on show in the page's language (the API's /find_cases answers in Dutch, as it always did)."""
        ids, elapsed = found
        return cards_html([knowledge.case(i) for i in ids], elapsed, lang)

    inputs, outputs = [text, theme, form, partner, place], [results, pick, shown]
    for found in (search.click(find_cases, inputs, outputs, api_name="find_cases"),
                  text.submit(find_cases, inputs, outputs, api_name=False)):
        found.then(cards_in, [shown, language], results, api_name=False)
    language.change(cards_in, [shown, language], results, api_name=False)
    pick.change(lambda i: open_source(advisor, f"case:{i}") if i else "", pick, full, api_name=False)
    return Page({tab: "cases", text: "free_text", theme: "theme", form: "form", partner: "partner", place: "place",
                 pick: "open_case"}, {search: "search"},
                choices={theme: lambda lang: named(THEMES, lang, "choice_any"),
                         form: lambda lang: named(ctx.forms, lang, "choice_any"),
                         partner: lambda lang: named(ctx.partners, lang, "choice_any")})


def advise_page(ctx: Context, language: gr.Radio) -> Page:
    advisor, words = ctx.advisor, labels("nl", "ui")
    defaults = Situation()

    def goals(lang: str) -> list[tuple[str, str]]:  # no goal given: the advice derives it from the partners
        return [(labels(lang, "ui")["choice_auto"], ""), *worded(GOALS, lang)]

    with gr.Tab(words["advise"], id="advise") as tab:
        with gr.Row():
            theme = gr.Dropdown(named(THEMES, "nl", "choice_none"), value="", label=words["theme"],
                                elem_id="advise-theme")
            size = gr.Radio(worded(SIZES, "nl"), value=defaults.size, label=words["size"], elem_id="advise-size")
            goal = gr.Radio(goals("nl"), value="", label=words["goal"], elem_id="advise-goal")
        with gr.Row():
            partners = gr.CheckboxGroup(named(ctx.partners, "nl"), label=words["partners"], elem_id="advise-partners")
        with gr.Row():
            urgency = gr.Radio(worded(LEVELS, "nl"), value=defaults.urgency, label=words["urgency"],
                               elem_id="advise-urgency")
            experience = gr.Radio(worded(EXPERIENCE, "nl"), value=defaults.experience, label=words["experience"],
                                  elem_id="advise-experience")
            generator = gr.Dropdown(ctx.generator_choices, value=ctx.default_generator, label=words["generator"],
                                    elem_id="advise-generator",
                                    info=words["local_missing"] if ctx.local_missing else None)
        description = gr.Textbox(label=words["description"], elem_id="advise-description")
        go = gr.Button(words["get_advice"], variant="primary", elem_id="advise-go")
        result = gr.Markdown("", elem_id="advise-result")
        sources = gr.HTML("", elem_id="advise-sources")

    def give_advice(theme, size, goal, partners_value, urgency, experience, gen, description, lang):
        situation = Situation(theme=theme or None, size=size, partners=tuple(partners_value or ()), goal=goal or None,
                              urgency=urgency, experience=experience,
                              description=(description or "")[:MAX_QUERY_CHARS], language=lang)
        try:
            advice = advisor.advise(situation, gen)
        except LocalModelNotInstalled as error:  # an API caller asked for a model that is not here
            raise gr.Error(str(error), print_exception=False) from None
        notices = "".join(f"> ℹ️ {n}\n\n" for n in advice.notices)
        return notices + advice.text, sources_html(advice, lang)

    go.click(give_advice, [theme, size, goal, partners, urgency, experience, generator, description, language],
             [result, sources], api_name="advise")
    return Page({tab: "advise", theme: "theme", size: "size", goal: "goal", partners: "partners", urgency: "urgency",
                 experience: "experience", generator: "generator", description: "description"}, {go: "get_advice"},
                {generator: "local_missing"} if ctx.local_missing else {},
                choices={theme: lambda lang: named(THEMES, lang, "choice_none"), size: lambda lang: worded(SIZES, lang),
                         goal: goals, partners: lambda lang: named(ctx.partners, lang),
                         urgency: lambda lang: worded(LEVELS, lang), experience: lambda lang: worded(EXPERIENCE, lang)})


def about_page(ctx: Context, generators: dict[str, str]) -> Page:
    with gr.Tab(labels("nl", "ui")["about"], id="about") as tab:
        about = gr.Markdown(_about(ctx.advisor, generators, "nl"), elem_id="about")
    return Page({tab: "about"}, texts={about: lambda lang: _about(ctx.advisor, generators, lang)})


def _about(advisor: Advisor, generators: dict[str, str], language: str = "nl") -> str:
    manifest = advisor.index.manifest
    counts = " / ".join(str(manifest.counts.get(key)) for key in ("sections", "cases", "chunks"))
    status = "\n".join(f"| `{g}` | {s} |" for g, s in generators.items())
    return say("ui.about_page", language, built=manifest.built_at, model=manifest.embedding_model,
               fingerprint=manifest.fingerprint, counts=counts, status=status)
