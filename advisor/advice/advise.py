"""Advisor mode: a structured intake leads to advice that walks the report's own reasoning, every element cited.

    >>> advice = advise(knowledge, Situation(theme="sociale_zekerheid", size="klein", goal="schaal"))
    >>> print(advice.text)

The order follows the report (2.1: first content and circumstances, then the form, then success and failure
factors): the motive (12.2), fitting forms from the two tables of 12.3 with their pros and cons, what the theme
chapter says, matching case cards, success factors and bottlenecks to watch (12.5), the steps (12.7's five
questions and actions, 4.6's five-step scan; the "5-stappenplan" figure of 13.2 is missing from the text, so it
is named, not invented) and the "vitale coalities" check (Bijlage). Which forms fit which intake is our reading
of 12.3, written down in ``SCALE_FORMS`` and ``CHAIN_FORMS``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from advisor.answer.citations import Citation, sentences
from advisor.corpus.knowledge import Knowledge
from advisor.corpus.sections import THEMES
from advisor.errors import InputError
from advisor.messages import labels, say

SIZES = ("klein", "middelgroot", "groot")
GOALS = ("schaal", "keten")
LEVELS = ("laag", "hoog")
EXPERIENCE = ("geen", "enige", "veel")

# Rows of the two tables in 12.3 ("Samenwerkingsvormen"), by intake; the vocabulary slug finds matching cases.
SCALE_FORMS = {
    "klein": ["Centrumoverheid", "Inter-overheid"],
    "middelgroot": ["Inter-overheid", "Gemandateerde organisatie"],
    "groot": ["Centrumoverheid", "Gemandateerde organisatie"],
}
CHAIN_FORMS = {
    "laag": ["Gelegenheids-samenwerking", "Regie"],
    "hoog": ["Coördinator", "Gemandateerde aparte organisatie"],
}
LIGHT_START = {"schaal": "Gelegenheids-samenwerken", "keten": "Gelegenheids-samenwerking"}
FORM_SLUGS = {
    "Centrumoverheid": "centrumgemeente",
    "Inter-overheid": "inter-overheidssamenwerking",
    "Gemandateerde organisatie": "gemandateerde-organisatie",
    "Gelegenheids-samenwerken": "gelegenheidssamenwerking",
    "Gelegenheids-samenwerking": "gelegenheidssamenwerking",
    "Regie": "regie",
    "Coördinator": "coordinator",
    "Gemandateerde aparte organisatie": "veiligheidshuis",
}
CHAIN_PARTNERS = {"belastingdienst", "politie", "om", "uwv", "siod", "fiod", "vwa", "brandweer", "ggz"}

class AdviceInputError(InputError):
    """An intake value outside its choices; the message lists them."""


@dataclass(frozen=True)
class Situation:
    theme: str | None = None
    size: str = "klein"
    partners: tuple[str, ...] = ()
    goal: str | None = None  # None: derived from the partners (chain partners -> keten), else schaal
    urgency: str = "hoog"
    experience: str = "enige"
    description: str = ""
    language: str = "nl"

    def checked(self) -> Situation:
        for name, value, choices in [
            ("theme", self.theme, (None, *THEMES)),
            ("size", self.size, SIZES),
            ("goal", self.goal, (None, *GOALS)),
            ("urgency", self.urgency, LEVELS),
            ("experience", self.experience, EXPERIENCE),
            ("language", self.language, ("nl", "en")),
        ]:
            if value not in choices:
                raise AdviceInputError(f"{name} must be one of {[c for c in choices if c]}, not {value!r}")
        return self

    @property
    def motive(self) -> str:
        if self.goal:
            return self.goal
        return "keten" if set(self.partners) & CHAIN_PARTNERS else "schaal"


@dataclass(frozen=True)
class Advice:
    situation: Situation
    text: str
    citations: tuple[Citation, ...]
    case_ids: tuple[str, ...]
    forms: tuple[str, ...]
    generator: str = "extractive"
    notices: tuple[str, ...] = ()


@dataclass
class _Citer:
    knowledge: Knowledge
    citations: list[Citation] = field(default_factory=list)

    def cite(self, quote: str) -> str:
        """A marker for a verbatim quote of the report, linked to the chunk that holds it."""
        for chunk in self.knowledge.chunks:
            if quote in chunk.text:
                existing = next((c for c in self.citations if c.quote == quote and c.chunk_id == chunk.chunk_id), None)
                if existing:
                    return f"[{existing.n}]"
                start = chunk.start + chunk.text.index(quote)
                self.citations.append(
                    Citation(
                        len(self.citations) + 1,
                        chunk.chunk_id,
                        chunk.section,
                        chunk.section_id,
                        chunk.section_title,
                        chunk.case_id,
                        chunk.case_title,
                        quote,
                        start,
                        start + len(quote),
                    )
                )
                return f"[{len(self.citations)}]"
        raise KeyError(f"not a quote of any chunk: {quote[:60]!r}")


def _paragraphs(knowledge: Knowledge, section_id: str) -> list[str]:
    return [p.strip() for p in knowledge.section(section_id).text.split("\n\n") if p.strip()]


def _after(paragraphs: list[str], heading: str, occurrence: int = 1) -> str:
    """The first sentence of the paragraph that follows a heading paragraph ('- Ervaren urgentie')."""
    seen = 0
    for i, paragraph in enumerate(paragraphs[:-1]):
        if paragraph.lstrip("- ").strip() == heading:
            seen += 1
            if seen == occurrence:
                return _first_sentence(paragraphs[i + 1])
    raise KeyError(heading)


def _table_row(knowledge: Knowledge, form: str) -> tuple[str, list[str]]:
    for paragraph in _paragraphs(knowledge, "12.3-b"):
        cells = [c.strip() for c in paragraph.split(" | ")]
        if cells[0] == form:
            return paragraph, cells
    raise KeyError(form)


def _quote(text: str) -> str:
    return f"“{text}”"


def english(knowledge: Knowledge, text: str, most: int = 2) -> str | None:
    """The report's words in English, from the key statements that render them: the statements inside the span
    (at most ``most``, in reading order), or the one whose quote holds the span; None when none covers it."""
    start = knowledge.report.find(text)
    if start < 0:
        return None
    end = start + len(text)
    inside = sorted((st for st in knowledge.statements if start <= st.start and st.end <= end), key=lambda st: st.start)
    if inside:
        return " ".join(st.en for st in inside[:most])
    around = [st for st in knowledge.statements if st.start <= start and end <= st.end]
    return min(around, key=lambda st: st.end - st.start).en if around else None


def _said(knowledge: Knowledge, text: str, language: str) -> str:
    """A passage as the advice shows it: quoted in Dutch, or for an English asker in the key statements' English
    (the citation still holds the Dutch words)."""
    if language == "en" and (rendered := english(knowledge, text)):
        return rendered
    return _quote(text)


def _first_sentence(text: str) -> str:
    """The first real sentence (a list number such as "1." is not one)."""
    return next((s for s in sentences(text) if len(s.split()) >= 5), text.split("\n\n")[0])


def advise(knowledge: Knowledge, situation: Situation) -> Advice:
    """Extractive advice for an intake; every line quotes the report and carries its citation."""
    situation = situation.checked()
    words = labels(situation.language, "advice")
    citer = _Citer(knowledge)
    lines = [f"## {words['title']}", ""]
    if situation.description:
        lines += [f"> {situation.description}", ""]

    motive = situation.motive
    developments = _paragraphs(knowledge, "12.2")
    motive_heading = (
        "Schaal gericht op effectiviteit langs de lijn van efficiency en vermindering van kwetsbaarheid"
        if motive == "schaal"
        else "Ketenafstemming gericht op effectiviteit van de handhaving"
    )
    motive_text = _first_sentence(developments[developments.index(motive_heading) + 1])
    lines += [
        f"**{words['motive'].format(goal=words[motive])}**",
        f"- {_said(knowledge, motive_text, situation.language)} {citer.cite(motive_text)}",
        "",
    ]

    forms = list(SCALE_FORMS[situation.size] if motive == "schaal" else CHAIN_FORMS[situation.urgency])
    if situation.experience == "geen" or situation.urgency == "laag":
        forms = [LIGHT_START[motive], *[f for f in forms if f != LIGHT_START[motive]]]
    lines.append(f"**{words['forms']}**")
    header = ("Vorm", "Kenmerk", "Voordeel", "Nadeel")
    for form in forms:
        row, cells = _table_row(knowledge, form)
        described = "; ".join(
            f"{name.lower()}: {cell.lstrip('- ')}" for name, cell in zip(header[1:], cells[1:]) if cell
        )
        if situation.language == "en" and (rendered := english(knowledge, row, most=8)):
            described = rendered  # the table row's statements: characteristic, advantages, disadvantages
        lines.append(f"- **{form}** — {described} {citer.cite(row)}")
    lines.append("")

    if situation.theme:
        number = next(s.number for s in knowledge.sections if s.theme == situation.theme and s.number.endswith(".4"))
        recommendations = number[:-1] + "6"
        lines.append(f"**{words['theme']}: {THEMES[situation.theme][situation.language]}**")
        for section_id in (number, recommendations):
            first = _first_sentence(knowledge.section(section_id).text)
            lines.append(f"- {section_id}: {_said(knowledge, first, situation.language)} {citer.cite(first)}")
        lines.append("")

    slugs = {FORM_SLUGS[f] for f in forms}
    scored = []
    for card in knowledge.cases:
        score = 2 * len(slugs & set(card.forms)) + len(set(situation.partners) & set(card.partners))
        score += 2 if situation.theme and card.theme == situation.theme else 0
        score += 1 if card.motive in (motive, "both") else 0
        scored.append((score, card))
    scored.sort(key=lambda pair: -pair[0])
    cases = [card for score, card in scored[:3] if score > 0]
    lines.append(f"**{words['cases']}**")
    if cases and not slugs & set(cases[0].forms):
        lines.append(words["no_cases"])
    for card in cases:
        lines.append(
            f"- **{card.title}** ({card.section}): {_said(knowledge, card.key_quotes[0], situation.language)} "
            f"{citer.cite(card.key_quotes[0])}"
        )
    lines.append("")

    success = _paragraphs(knowledge, "12.5")
    factors = ["Ervaren urgentie", "Trekker met mandaat", "Profijt en draagvlak"]
    if situation.experience == "geen":
        factors.append("Ervaring in de samenwerking")
    if situation.size == "klein":
        factors.append("Capaciteit/inzet/middelen")
    lines.append(f"**{words['factors']}**")
    for factor in factors:
        first = _after(success, factor)
        lines.append(f"- {factor}: {_said(knowledge, first, situation.language)} {citer.cite(first)}")
    lines.append("")

    bottlenecks = ["Cultuur"]
    if set(situation.partners) & CHAIN_PARTNERS or motive == "keten":
        bottlenecks.append("Informatie-uitwisseling")
    if situation.size in ("klein", "middelgroot"):
        bottlenecks.append("Schaal")
    if situation.experience == "geen":
        bottlenecks.append("Inefficiëntie in de startfase")
    lines.append(f"**{words['bottlenecks']}**")
    for bottleneck in bottlenecks:
        first = _after(success, bottleneck, occurrence=2 if bottleneck == "Cultuur" else 1)
        lines.append(f"- {bottleneck}: {_said(knowledge, first, situation.language)} {citer.cite(first)}")
    lines.append("")

    lines += [f"**{words['steps']}**", words["questions"]]
    for paragraph in _paragraphs(knowledge, "12.7"):
        if paragraph[:2] in {"1.", "2.", "3.", "4.", "5."}:
            lines.append(f"- {_said(knowledge, paragraph, situation.language)} {citer.cite(paragraph)}")
    if motive == "keten" or situation.theme in ("openbare_ruimte", "achterstandsgebieden", "integrale_handhaving"):
        scan = _paragraphs(knowledge, "4.6")
        lines.append(words["scan"])
        for i, paragraph in enumerate(scan[:-1]):
            if paragraph.startswith("Stap "):
                step = _first_sentence(scan[i + 1])
                lines.append(f"- {paragraph}: {_said(knowledge, step, situation.language)} {citer.cite(step)}")
    lines += [f"- {words['missing_plan']}", ""]

    appendix = _paragraphs(knowledge, "bijlage")
    lines += [f"**{words['coalition']}**", words["coalition_hint"]]
    for paragraph in appendix:
        if paragraph.startswith(("- ", "Geen gedeelde urgentie", "Geen bestuurlijke prioriteit", "Geen capaciteit")):
            text = paragraph.removeprefix("- ")
            lines.append(f"- {_said(knowledge, text, situation.language)} {citer.cite(text)}")
    lines += ["", f"_{say('answer.dated', situation.language)}_"]
    return Advice(situation, "\n".join(lines), tuple(citer.citations), tuple(c.id for c in cases), tuple(forms))
