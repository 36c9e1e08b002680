"""Every text a user reads, Dutch and English side by side. Code asks for a text by key and language.

    >>> say("answer.dated", "en")
    'Note: the report dates from March 2008; names of bodies and laws may have changed since.'
    >>> say("refusal.reason.unknown_name", "nl", detail="Woo")
    ' Het noemt Woo niet.'
    >>> labels("en", "ui")["send"]
    'Send'

A key names its page or stage first (``answer.``, ``refusal.``, ``notice.``, ``smalltalk.``, ``advice.``, ``ui.``,
``cli.``). A text with ``{name}`` fields is formatted by ``say``; a missing field is an error, not a blank.
"""

from __future__ import annotations

LANGUAGES = ("nl", "en")

MESSAGES: dict[str, dict[str, str]] = {
    # -- the answer's framing (extractive answers, LLM answers, advice) --------------------------------------------
    "answer.intro": {
        "nl": "Wat het rapport *Samenwerken, daar zit muziek in* (maart 2008) hierover zegt:",
        "en": "What the report *Samenwerken, daar zit muziek in* (March 2008) says about this "
              "(quotes in Dutch, as printed):",
    },
    "answer.says": {"nl": "Wat het rapport zegt", "en": "What the report says"},
    "answer.recommends": {"nl": "Wat het rapport aanbeveelt", "en": "What the report recommends"},
    "answer.examples": {"nl": "Voorbeelden uit de praktijk", "en": "Examples from practice"},
    "answer.more": {"nl": "Verder", "en": "Further"},
    "answer.attention": {"nl": "Aandachtspunten", "en": "Points of attention"},
    "answer.dated": {
        "nl": "Let op: het rapport dateert van maart 2008; namen van instanties en wetten kunnen sindsdien zijn "
              "veranderd.",
        "en": "Note: the report dates from March 2008; names of bodies and laws may have changed since.",
    },
    # -- refusals --------------------------------------------------------------------------------------------------
    "refusal.intro": {
        "nl": "Het rapport *Samenwerken, daar zit muziek in* (maart 2008) behandelt deze vraag niet.",
        "en": "The report *Samenwerken, daar zit muziek in* (March 2008) does not cover this question.",
    },
    "refusal.near": {
        "nl": "Wat het rapport wel behandelt en hier het dichtst bij ligt:",
        "en": "Nearest topics the report does cover:",
    },
    "refusal.themes": {
        "nl": "Het rapport gaat over samenwerking in de handhaving, in acht thema's:",
        "en": "The report is about collaboration in enforcement, in eight themes:",
    },
    "refusal.reason.figure_not_given": {"nl": " Het noemt zulke cijfers niet.", "en": " It gives no such figures."},
    "refusal.reason.unknown_name": {"nl": " Het noemt {detail} niet.", "en": " It does not mention {detail}."},
    "refusal.reason.after_report": {
        "nl": " Het dateert van maart 2008 en kan niet zeggen wat er sindsdien gebeurde.",
        "en": " It dates from March 2008 and cannot say what happened since.",
    },
    "refusal.reason.contact_details": {"nl": " Het geeft geen contactgegevens.", "en": " It gives no contact details."},
    "refusal.reason.survey": {
        "nl": " Het bevat geen enquêtes of tevredenheidscijfers.",
        "en": " It reports no surveys or satisfaction figures.",
    },
    "refusal.reason.office_holder": {
        "nl": " Het zegt niet wie welk ambt bekleedde.",
        "en": " It does not say who held which office.",
    },
    "refusal.reason.not_in_sources": {
        "nl": " De passages die er het dichtst bij liggen, geven deze informatie niet.",
        "en": " The passages closest to it do not give this information.",
    },
    "refusal.reason.detail_not_given": {
        "nl": " Het noemt niet wat de vraag precies wil weten.",
        "en": " It does not give what the question asks for.",
    },
    # -- what the report does not give: the first sentence of an answer that then says what it does give ----------
    # (advisor/answer/needs.py; {what} is the question's own words for what it asks)
    "absent.count": {
        "nl": "Het rapport noemt geen aantal {what}.",
        "en": "The report does not give the number of {what}.",
    },
    "absent.figure": {
        "nl": "Het rapport noemt geen aantallen hierover.",
        "en": "The report does not give figures on this.",
    },
    "absent.money": {
        "nl": "Het rapport noemt geen bedragen in geld.",
        "en": "The report does not give amounts of money.",
    },
    "absent.percent": {
        "nl": "Het rapport noemt geen percentage of ander cijfer hiervoor.",
        "en": "The report does not give a percentage or another figure for this.",
    },
    "absent.duration": {
        "nl": "Het rapport noemt geen duur of termijn.",
        "en": "The report does not give how long.",
    },
    "absent.year": {
        "nl": "Het rapport noemt geen jaartal of datum.",
        "en": "The report does not give a year or date.",
    },
    "absent.frequency": {
        "nl": "Het rapport noemt geen frequentie.",
        "en": "The report does not give how often.",
    },
    "absent.outcome": {
        "nl": "Het rapport noemt geen uitkomsten of resultaten.",
        "en": "The report does not give outcomes or results.",
    },
    "absent.opinion": {
        "nl": "Het rapport noemt geen oordeel van betrokkenen hierover.",
        "en": "The report does not give the opinion of those involved on this.",
    },
    "absent.chair": {
        "nl": "Het rapport noemt geen voorzitter of leider hiervan.",
        "en": "The report does not give who chairs or leads this.",
    },
    "absent.payer": {
        "nl": "Het rapport noemt geen partij die dit betaalt.",
        "en": "The report does not give who pays for this.",
    },
    "absent.names": {
        "nl": "Het rapport noemt geen namen van de {what}.",
        "en": "The report does not give the names of the {what}.",
    },
    "absent.name": {
        "nl": "Het rapport noemt geen naam.",
        "en": "The report does not give the name.",
    },
    "absent.detail": {
        "nl": "Het rapport noemt geen bijzonderheden hierover.",
        "en": "The report does not give this detail.",
    },
    "absent.detail.software": {
        "nl": "Het rapport noemt geen software of systemen.",
        "en": "The report does not give the software or systems used.",
    },
    "absent.detail.training": {
        "nl": "Het rapport noemt geen opleiding of cursus.",
        "en": "The report does not give a training or course.",
    },
    "absent.detail.tariff": {
        "nl": "Het rapport noemt geen tarief.",
        "en": "The report does not give a rate or tariff.",
    },
    "absent.detail.union": {
        "nl": "Het rapport noemt geen vakbonden of ondernemingsraad.",
        "en": "The report does not give anything on trade unions or a works council.",
    },
    "absent.detail.procedure": {
        "nl": "Het rapport noemt geen procedure hiervoor.",
        "en": "The report does not give a procedure for this.",
    },
    "absent.detail.legal_article": {
        "nl": "Het rapport noemt geen wetsartikel.",
        "en": "The report does not give the article of law.",
    },
    "absent.after_report": {
        "nl": "Het rapport noemt geen ontwikkelingen na maart 2008, toen het verscheen.",
        "en": "The report does not give anything that happened after March 2008, when it appeared.",
    },
    "absent.contact_details": {
        "nl": "Het rapport noemt geen contactgegevens.",
        "en": "The report does not give contact details.",
    },
    "absent.survey": {
        "nl": "Het rapport noemt geen enquêtes of tevredenheidscijfers.",
        "en": "The report does not give surveys or satisfaction figures.",
    },
    "absent.office_holder": {
        "nl": "Het rapport noemt geen naam van de {what}.",
        "en": "The report does not give the name of the {what}.",
    },
    "absent.then": {"nl": "Wat het rapport er wel over zegt:", "en": "What the report does say on this:"},
    "refusal.instructions": {
        "nl": "Ik beantwoord vragen over samenwerken in de handhaving, alleen uit het rapport *Samenwerken, daar zit "
              "muziek in* (maart 2008), en altijd met de plaatsen in het rapport waarop ik steun. Mijn instructies "
              "kan ik niet wijzigen of delen. Vraag bijvoorbeeld welke samenwerkingsvorm bij uw situatie past, of "
              "zoek casussen op thema.",
        "en": "I answer questions about collaboration in enforcement, only from the report *Samenwerken, daar zit "
              "muziek in* (March 2008), and always with the places in the report I rely on. I cannot change or "
              "share my instructions. Ask me, for example, which form of collaboration fits your situation, or "
              "look up cases by theme.",
    },
    # -- notices shown above an answer -----------------------------------------------------------------------------
    "notice.injection": {
        "nl": "Uw bericht vroeg om mijn instructies te negeren, te tonen of te omzeilen; dat deel is genegeerd. "
              "Ik antwoord alleen uit het rapport.",
        "en": "Your message asked me to ignore, reveal or bypass my instructions; that part was ignored. "
              "I answer only from the report.",
    },
    "notice.withheld": {
        "nl": "Het antwoord van '{generator}' is achtergehouden (het herhaalde zijn instructies); dit antwoord is "
              "extractief samengesteld.",
        "en": "The answer of '{generator}' was withheld (it repeated its instructions); this answer was "
              "composed extractively.",
    },
    "notice.fallback": {
        "nl": "Het taalmodel '{generator}' kon niet antwoorden ({reason}); dit antwoord is extractief samengesteld.",
        "en": "The language model '{generator}' could not answer ({reason}); this answer was composed extractively.",
    },
    "notice.no_citations": {
        "nl": "Het antwoord van het taalmodel had geen geldige bronvermeldingen; dit antwoord is extractief "
              "samengesteld.",
        "en": "The language model's answer carried no valid citations; this answer was composed extractively.",
    },
    # -- small talk ------------------------------------------------------------------------------------------------
    "smalltalk.thanks": {
        "nl": "Graag gedaan. Stel gerust een volgende vraag over samenwerken in de handhaving.",
        "en": "You're welcome. Feel free to ask another question about collaboration in enforcement.",
    },
    "smalltalk.bye": {
        "nl": "Tot ziens, en succes met de samenwerking.",
        "en": "Goodbye, and good luck with the collaboration.",
    },
    "smalltalk.hello": {
        "nl": "Hallo! Stel een vraag over samenwerken in de handhaving; ik antwoord met bronnen uit het rapport "
              "*Samenwerken, daar zit muziek in* (2008).",
        "en": "Hello! Ask a question about collaboration in enforcement; I answer with sources from the report "
              "*Samenwerken, daar zit muziek in* (2008).",
    },
    # -- advice (advisor mode) -------------------------------------------------------------------------------------
    "advice.title": {
        "nl": "Advies op basis van *Samenwerken, daar zit muziek in* (maart 2008)",
        "en": "Advice based on *Samenwerken, daar zit muziek in* (March 2008); the report's Dutch words are in "
              "the sources",
    },
    "advice.motive": {"nl": "1. Motief: {goal}", "en": "1. Motive: {goal}"},
    "advice.forms": {
        "nl": "2. Passende samenwerkingsvormen (tabellen in 12.3)",
        "en": "2. Fitting forms of collaboration (tables in 12.3)",
    },
    "advice.theme": {"nl": "3. Wat het rapport over dit thema zegt", "en": "3. What the report says about this theme"},
    "advice.cases": {"nl": "4. Vergelijkbare praktijkvoorbeelden", "en": "4. Comparable cases"},
    "advice.factors": {"nl": "5. Succesfactoren om op te letten", "en": "5. Success factors to watch"},
    "advice.bottlenecks": {"nl": "6. Knelpunten om voor te zijn", "en": "6. Bottlenecks to prevent"},
    "advice.steps": {"nl": "7. Stappen", "en": "7. Steps"},
    "advice.coalition": {"nl": "8. Check: hoe vitaal is de coalitie?", "en": "8. Check: how vital is the coalition?"},
    "advice.schaal": {
        "nl": "schaal (samenwerken met gelijke partners om groot genoeg te zijn)",
        "en": "scale (joining equal partners to be large enough)",
    },
    "advice.keten": {
        "nl": "ketenafstemming (samenwerken met partners die andere verantwoordelijkheden hebben)",
        "en": "chain coordination (working with partners that hold other responsibilities)",
    },
    "advice.pros": {"nl": "voordeel", "en": "advantage"},
    "advice.cons": {"nl": "nadeel", "en": "drawback"},
    "advice.start_light": {
        "nl": "Begin licht, bij weinig urgentie of ervaring:",
        "en": "Start light, with little urgency or experience:",
    },
    "advice.missing_plan": {
        "nl": 'Hoofdstuk 13.2 verwijst naar een "5-stappenplan", maar die figuur ontbreekt in de tekst.',
        "en": 'Section 13.2 refers to a "5-stappenplan" (five-step plan), but that figure is missing from the text.',
    },
    "advice.scan": {"nl": "De scan van 4.6:", "en": "The scan of 4.6:"},
    "advice.questions": {"nl": "De vragen en acties van 12.7:", "en": "The questions and actions of 12.7:"},
    "advice.no_cases": {
        "nl": "Geen praktijkvoorbeeld met precies deze vorm; het dichtst bij:",
        "en": "No case with exactly these forms; the nearest:",
    },
    "advice.coalition_hint": {
        "nl": "Zet uw situatie naast de condities uit de bijlage:",
        "en": "Compare your situation with the conditions in the appendix:",
    },
    # -- the command line ------------------------------------------------------------------------------------------
    "cli.sources": {"nl": "Bronnen:", "en": "Sources:"},
    "cli.searched": {"nl": "(gezocht op: {query})", "en": "(searched for: {query})"},
    # -- the web app -----------------------------------------------------------------------------------------------
    "ui.title": {
        "nl": "# Handhaving-advisor\nSamenwerken in de handhaving — antwoorden met bronnen uit het rapport "
              "*Samenwerken, daar zit muziek in* (maart 2008).",
        "en": "# Handhaving-advisor\nCollaboration in enforcement — answers with sources from the report "
              "*Samenwerken, daar zit muziek in* (March 2008).",
    },
    "ui.chat": {"nl": "Vraag het rapport", "en": "Ask the report"},
    "ui.cases": {"nl": "Casus zoeken", "en": "Find cases"},
    "ui.advise": {"nl": "Adviseur", "en": "Advisor"},
    "ui.about": {"nl": "Over / status", "en": "About / status"},
    "ui.question": {"nl": "Uw vraag", "en": "Your question"},
    "ui.send": {"nl": "Verstuur", "en": "Send"},
    "ui.generator": {"nl": "Generator", "en": "Generator"},
    "ui.local_missing": {
        "nl": "Het lokale taalmodel ('local') is niet geïnstalleerd: `make llm` installeert het (de eerste keer "
              "ongeveer 4 minuten); start daarna de app opnieuw.",
        "en": "The local language model ('local') is not installed: `make llm` installs it (about 4 minutes the "
              "first time); then restart the app.",
    },
    "ui.sources": {"nl": "Bronnen", "en": "Sources"},
    "ui.searched": {"nl": "Gezocht op", "en": "Searched for"},
    "ui.refused": {"nl": "Niet in het rapport", "en": "Not in the report"},
    "ui.active": {"nl": "Actief", "en": "Active"},
    "ui.export": {"nl": "Exporteer gesprek", "en": "Export conversation"},
    "ui.feedback": {"nl": "Feedback op het laatste antwoord", "en": "Feedback on the last answer"},
    "ui.save_feedback": {"nl": "Feedback opslaan", "en": "Save feedback"},
    "ui.comment": {"nl": "Toelichting", "en": "Comment"},
    "ui.open_source": {"nl": "Open de hele sectie of casus", "en": "Open the whole section or case"},
    "ui.search": {"nl": "Zoeken", "en": "Search"},
    "ui.theme": {"nl": "Thema", "en": "Theme"},
    "ui.form": {"nl": "Samenwerkingsvorm", "en": "Form of collaboration"},
    "ui.partner": {"nl": "Partner", "en": "Partner"},
    "ui.place": {"nl": "Plaats", "en": "Place"},
    "ui.free_text": {"nl": "Zoektekst", "en": "Search text"},
    "ui.results": {"nl": "Casussen", "en": "Cases"},
    "ui.open_case": {"nl": "Open casus", "en": "Open case"},
    "ui.size": {"nl": "Omvang organisatie", "en": "Size of organisation"},
    "ui.partners": {"nl": "Betrokken partners", "en": "Partners involved"},
    "ui.goal": {"nl": "Doel", "en": "Goal"},
    "ui.urgency": {"nl": "Urgentie", "en": "Urgency"},
    "ui.experience": {"nl": "Ervaring met samenwerken", "en": "Experience with collaborating"},
    "ui.description": {"nl": "Uw situatie (optioneel)", "en": "Your situation (optional)"},
    "ui.get_advice": {"nl": "Geef advies", "en": "Get advice"},
    "ui.clear": {"nl": "Nieuw gesprek", "en": "New conversation"},
    "ui.too_long": {
        "nl": "Uw vraag is te lang ({n} tekens); het maximum is {max}. Maak hem korter.",
        "en": "Your question is too long ({n} characters); the maximum is {max}. Please shorten it.",
    },
    "ui.empty": {"nl": "Typ eerst een vraag.", "en": "Please type a question first."},
    "ui.binary": {
        "nl": "Uw vraag bevat binaire gegevens of stuurtekens. Typ of plak hem als gewone tekst.",
        "en": "Your question contains binary data or control characters. Please type or paste it as plain text.",
    },
    "ui.failed": {
        "nl": "Er ging iets mis bij het beantwoorden ({kind}). Probeer het opnieuw; blijft het misgaan, meld het "
              "dan aan de beheerder.",
        "en": "Something went wrong while answering ({kind}). Please try again; if it keeps failing, tell the "
              "administrator.",
    },
    "ui.thanks": {"nl": "Dank u, uw feedback is opgeslagen.", "en": "Thank you, your feedback has been saved."},
    "ui.no_answer": {
        "nl": "Er is nog geen antwoord om feedback op te geven.",
        "en": "There is no answer yet to give feedback on.",
    },
    "ui.no_cases": {"nl": "Geen casussen gevonden.", "en": "No cases found."},
    "ui.case_count": {"nl": "{n} casus(sen) · {ms} ms", "en": "{n} case(s) · {ms} ms"},
    "ui.card_place": {"nl": "Plaats", "en": "Place"},
    "ui.card_forms": {"nl": "Vorm", "en": "Forms"},
    "ui.card_partners": {"nl": "Partners", "en": "Partners"},
    # the shown names of menu choices whose values are slugs (the values stay as they are: the API and the CLI use them)
    "ui.choice_any": {"nl": "(alle)", "en": "(all)"},
    "ui.choice_none": {"nl": "(geen)", "en": "(none)"},
    "ui.choice_auto": {"nl": "(uit de partners)", "en": "(from the partners)"},
    "ui.choice_klein": {"nl": "klein", "en": "small"},
    "ui.choice_middelgroot": {"nl": "middelgroot", "en": "medium-sized"},
    "ui.choice_groot": {"nl": "groot", "en": "large"},
    "ui.choice_schaal": {"nl": "schaal", "en": "scale"},
    "ui.choice_keten": {"nl": "keten", "en": "chain"},
    "ui.choice_laag": {"nl": "laag", "en": "low"},
    "ui.choice_hoog": {"nl": "hoog", "en": "high"},
    "ui.choice_geen": {"nl": "geen", "en": "none"},
    "ui.choice_enige": {"nl": "enige", "en": "some"},
    "ui.choice_veel": {"nl": "veel", "en": "a lot"},
    "ui.choice_correct": {"nl": "klopt", "en": "correct"},
    "ui.choice_wrong_citation": {"nl": "verkeerde bron", "en": "wrong citation"},
    "ui.choice_not_in_the_report": {"nl": "staat niet in het rapport", "en": "not in the report"},
    "ui.choice_other": {"nl": "anders", "en": "other"},
    "ui.about_page": {
        "nl": """## Waarop dit advies gebaseerd is
*Samenwerken, daar zit muziek in — Succesvol samenwerken in de handhaving*, Ministerie van Justitie, programma
Handhaven met Effect, **maart 2008** (onderzoek: Andersson Elffers Felix). Citeren mag met bronvermelding.
Namen van instanties en wetten kunnen sinds 2008 veranderd zijn.

## Index
| | |
|---|---|
| gebouwd | {built} |
| embeddingmodel | {model} |
| vingerafdruk | `{fingerprint}` |
| secties / casussen / fragmenten | {counts} |

## Generatoren
| generator | status |
|---|---|
{status}
""",
        "en": """## What this advice is based on
*Samenwerken, daar zit muziek in — Succesvol samenwerken in de handhaving* (Working together: there is music in
it — successful collaboration in enforcement), Dutch Ministry of Justice, programme Handhaven met Effect,
**March 2008** (research: Andersson Elffers Felix). It may be quoted with acknowledgement of the source.
Names of bodies and laws may have changed since 2008.

## Index
| | |
|---|---|
| built | {built} |
| embedding model | {model} |
| fingerprint | `{fingerprint}` |
| sections / cases / chunks | {counts} |

## Generators
| generator | status |
|---|---|
{status}
""",
    },
    # -- an exported conversation (Markdown) -----------------------------------------------------------------------
    "export.title": {"nl": "Gesprek met de handhaving-advisor", "en": "Conversation with the handhaving-advisor"},
    "export.question": {"nl": "Vraag", "en": "Question"},
    "export.searched": {"nl": "Gezocht op", "en": "Searched for"},
    "export.generator": {"nl": "Generator", "en": "Generator"},
    "export.sources": {"nl": "Bronnen", "en": "Sources"},
}


def say(key: str, language: str, **values: object) -> str:
    """The text for ``key`` in ``language`` ("nl" for anything else), formatted with ``values``."""
    entry = MESSAGES[key]
    text = entry["en"] if language == "en" else entry["nl"]
    return text.format(**values) if values else text


def labels(language: str, namespace: str) -> dict[str, str]:
    """All texts of a namespace in one language, by their short key, unformatted: ``labels("en", "ui")["send"]``."""
    prefix, side = namespace + ".", "en" if language == "en" else "nl"
    return {key[len(prefix):]: entry[side] for key, entry in MESSAGES.items() if key.startswith(prefix)}
