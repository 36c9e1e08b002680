"""Every label of the app follows the language switch: what a Dutch reader sees on a control (its label, info line,
button text, the names of its choices) is English after the switch to "en", and Dutch again after "nl". Built on
a small index with fake embeddings, no browser (tests/test_ui.py looks at the real page)."""

from __future__ import annotations

import gradio as gr
import pytest
import yaml

from advisor.corpus.sections import THEMES
from advisor.index import build_index
from advisor.messages import labels
from advisor.service import Advisor


@pytest.fixture
def blocks(settings, knowledge, fake_embeddings, monkeypatch) -> gr.Blocks:
    from advisor.ui.app import build_ui

    build_index(settings, knowledge, fake_embeddings)
    monkeypatch.setattr("advisor.service.get_embeddings", lambda settings: fake_embeddings)
    return build_ui(Advisor(settings, embeddings=fake_embeddings))


def dutch_only(settings) -> set[str]:
    """Every Dutch text of the app's controls whose English differs: ui messages, themes, forms and partners."""
    nl, en = labels("nl", "ui"), labels("en", "ui")
    texts = {(nl[k], en[k]) for k in nl}
    texts |= {(names["nl"], names["en"]) for names in THEMES.values()}
    vocabulary = yaml.safe_load(settings.vocabulary_path.read_text(encoding="utf-8"))
    texts |= {(e["label_nl"], e["label_en"]) for kind in ("forms", "partners") for e in vocabulary[kind].values()}
    return {dutch for dutch, english in texts if dutch != english}


def shown(block) -> list[str]:
    """What a reader sees on a control: label, info line, a button's text, the names of its choices."""
    texts = [getattr(block, name, None) for name in ("label", "info")]
    if isinstance(block, gr.Button):
        texts.append(block.value)
    texts += [choice[0] for choice in getattr(block, "choices", None) or () if isinstance(choice, tuple)]
    return [t for t in texts if isinstance(t, str) and t]


def switched(blocks: gr.Blocks, lang: str) -> None:
    """Apply what the language switch sends to the page onto the controls themselves."""
    switch = next(d for d in blocks.fns.values() if d.name == "relabel")
    updates = switch.fn(lang)
    assert len(updates) == len(switch.outputs)
    for block, update in zip(switch.outputs, updates, strict=True):
        for name, value in update.items():
            if name == "choices":
                value = [tuple(c) for c in value]
            if name != "__type__":
                setattr(block, name, value)


def test_every_dutch_label_becomes_english_and_back(blocks, settings) -> None:
    dutch = dutch_only(settings)
    controls = [b for b in blocks.blocks.values() if isinstance(b, gr.components.Component | gr.Tab | gr.Accordion)]
    before = {b._id: shown(b) for b in controls}
    assert sum(t in dutch for texts in before.values() for t in texts) > 100  # the test sees the page's labels
    switched(blocks, "en")
    left = {(b.elem_id or type(b).__name__, t) for b in controls for t in shown(b) if t in dutch}
    assert not left, f"still Dutch after the switch to English: {sorted(left)}"
    english = {t for b in controls for t in shown(b)}
    assert {"Ask the report", "Feedback on the last answer", "Public space", "Centre municipality", "Police",
            "medium-sized", "(from the partners)", "wrong citation", "Send"} <= english
    switched(blocks, "nl")
    assert {b._id: shown(b) for b in controls} == before


def test_the_about_page_and_the_title_are_rewritten(blocks) -> None:
    about = next(b for b in blocks.blocks.values() if getattr(b, "elem_id", None) == "about")
    assert "Waarop dit advies gebaseerd is" in about.value and "vingerafdruk" in about.value
    switched(blocks, "en")
    assert "What this advice is based on" in about.value and "fingerprint" in about.value
    assert "vingerafdruk" not in about.value and "`extractive`" in about.value


def test_choices_keep_their_values_for_the_api_and_the_cli(blocks) -> None:
    menus = {b.elem_id: b for b in blocks.blocks.values() if getattr(b, "choices", None) and b.elem_id}
    values = {elem_id: [c[1] for c in menu.choices] for elem_id, menu in menus.items()}
    switched(blocks, "en")
    for elem_id, menu in menus.items():  # the names change (and with them their order), the values do not
        assert sorted(c[1] for c in menu.choices) == sorted(values[elem_id]), elem_id
    assert values["advise-size"] == ["klein", "middelgroot", "groot"] and values["advise-goal"] == ["", "schaal",
                                                                                                   "keten"]
    assert values["verdict"] == ["correct", "wrong citation", "not in the report", "other"]
    assert "centrumgemeente" in values["case-form"] and "" in values["case-theme"]
