"""handhaving-advisor: a retrieval-backed advisor over *Samenwerken, daar zit muziek in* (Handhaven met Effect, 2008).

What a library user imports::

    from advisor import Advisor, Settings
    advisor = Advisor(Settings.from_env())
    answer = advisor.answer("Welke samenwerkingsvorm past bij een kleine gemeente?")
    answer.text, answer.citations          # an Answer with Citations
    advisor.advise(Situation(theme="sociale_zekerheid", size="klein"))
    advisor.search("centrumgemeente", k=3, filters=Filters(theme="milieu"))   # Hits

The stages live in subpackages, in the order a question passes them: ``corpus`` < ``index`` < ``retrieval`` <
``answer`` (with ``llm``) < ``advice`` < ``service`` < ``evaluation`` < the shells ``cli`` and ``ui``
(docs/architecture.md). Names are imported on first use, so ``import advisor`` stays light.
"""

from __future__ import annotations

import importlib
from typing import Any

_PUBLIC = {
    "Advisor": "advisor.service",
    "Settings": "advisor.settings",
    "Answer": "advisor.answer.answers",
    "Citation": "advisor.answer.citations",
    "Advice": "advisor.advice.advise",
    "Situation": "advisor.advice.advise",
    "Hit": "advisor.retrieval.hits",
    "Filters": "advisor.retrieval.hits",
    "Question": "advisor.retrieval.question",
    "CaseCard": "advisor.corpus.cases",
    "Section": "advisor.corpus.sections",
    "AdvisorError": "advisor.errors",
    "NotFoundError": "advisor.errors",
    "InputError": "advisor.errors",
}
__all__ = sorted(_PUBLIC)


def __getattr__(name: str) -> Any:
    if name in _PUBLIC:
        return getattr(importlib.import_module(_PUBLIC[name]), name)
    raise AttributeError(f"module 'advisor' has no attribute {name!r}")


def __dir__() -> list[str]:
    return __all__
