"""Advice rewritten as prose by an LLM, its citations checked against the advice's own sources; on any failure
the extractive advice stands, with a notice.

    >>> polish_advice(advice, "local", settings)
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from advisor.answer.citations import check_citations
from advisor.answer.generation import LANGUAGE_NAMES, fallback_notice, stream_with_deadline
from advisor.llm.generators import chat_model_for
from advisor.llm.local import LocalModelNotInstalled
from advisor.logs import describe_error
from advisor.messages import say
from advisor.prompts import render
from advisor.retrieval.hits import Hit
from advisor.settings import Settings

log = logging.getLogger(__name__)


def polish_advice(advice: Any, generator: str, settings: Settings) -> Any:
    """Let an LLM rewrite extractive advice as readable prose; its citations are checked against the advice's own
    sources, and on any failure the extractive advice stands (with a notice)."""
    language = advice.situation.language
    sources = [Hit(c.n, c.chunk_id, 1.0, c.section, c.section_id, c.section_title, None, c.case_id, c.case_title,
                   c.start, c.end, c.quote) for c in advice.citations]
    try:
        model = chat_model_for(generator, settings)
        prompt = render(settings.prompts_dir, "advise_polish", language_name=LANGUAGE_NAMES[language],
                        advice=advice.text)
        text = "".join(stream_with_deadline(model, [("human", prompt)], settings.llm_timeout_s))
    except LocalModelNotInstalled:  # asked for by name and not installed: say so
        raise
    except Exception as error:  # a dead or slow model: the extractive advice is always a correct answer
        log.warning("generator %s could not polish the advice: %s", generator, describe_error(error))
        return replace(advice, notices=(*advice.notices, fallback_notice(language, generator, error)))
    checked = check_citations(text, sources, drop_unsupported=True)
    if len(checked.citations) < max(3, len(advice.citations) // 3):
        log.info("generator %s kept %d of %d citations; the extractive advice stands", generator,
                 len(checked.citations), len(advice.citations))
        return replace(advice, notices=(*advice.notices, fallback_notice(
            language, generator, ValueError("the rewrite kept too few citations"))))
    dated = say("answer.dated", language)
    return replace(advice, text=f"{checked.text}\n\n_{dated}_", citations=checked.citations, generator=generator)
