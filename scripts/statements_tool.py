"""Writers' tool for corpus/statements/*.yaml (runs with any Python that has PyYAML, no model needed).

    python3 scripts/statements_tool.py fill corpus/statements/ch04.yaml    # set start/end from each quote
    python3 scripts/statements_tool.py check corpus/statements/ch04.yaml   # rule breaks + uncovered sentences
    python3 scripts/statements_tool.py context 4.3                        # the section's text with offsets

``fill`` rewrites the file in one layout (comments above the list are kept). A quote is looked up in its
case's text, else its section's; one that is not found there is reported and left without offsets.
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from advisor.corpus import statements as st  # noqa: E402
from advisor.corpus.knowledge import load_knowledge  # noqa: E402
from advisor.settings import Settings  # noqa: E402


def _knowledge():
    return load_knowledge(Settings())


def fill(path: Path) -> int:
    k = _knowledge()
    sections = {s.section_id: s for s in k.sections}
    cards = {c.id: c for c in k.cases}
    text = path.read_text(encoding="utf-8")
    header = "".join(line + "\n" for line in text.splitlines() if line.startswith("#"))
    items = st.read_file(path)
    failures = 0
    for item in items:
        section = sections.get(str(item.get("section_id")))
        if section is None:
            print(f"{item.get('id')}: unknown section_id {item.get('section_id')!r}")
            failures += 1
            continue
        card = cards.get(item.get("case_id") or "")
        low, high = st.scope(section, card)
        found = st.locate(str(item.get("quote", "")), k.report, low, high)
        if found is None:
            print(f"{item.get('id')}: quote not found verbatim in its {'case' if card else 'section'}")
            failures += 1
            item["start"], item["end"] = -1, -1
        else:
            item["start"], item["end"] = found
    body = yaml.safe_dump({"statements": items}, allow_unicode=True, sort_keys=False, width=110)
    path.write_text(header + body, encoding="utf-8")
    print(f"{path.name}: {len(items)} statements, {failures} quotes not found")
    return 1 if failures else 0


def check(paths: list[Path]) -> int:
    k = _knowledge()
    vocabulary = yaml.safe_load((ROOT / "corpus" / "vocabulary.yaml").read_text(encoding="utf-8"))
    status = 0
    for path in paths:
        statements = [st._statement(item, path.name) for item in st.read_file(path)]
        problems = st.check_statements(statements, k.report, k.sections, k.cases, st.vocabulary_subjects(vocabulary))
        units = st.content_units(st.file_sections(path.name, k.sections), k.cases)
        missing = st.uncovered(units, statements, k.report)
        for problem in problems:
            print(problem)
        for unit in missing:
            print(f"UNCOVERED {unit.section_id} [{unit.start}-{unit.end}]: {unit.text[:160]}")
        share = 1 - len(missing) / len(units) if units else 1.0
        print(f"{path.name}: {len(statements)} statements, {len(problems)} problems, "
              f"coverage {share:.3f} ({len(units) - len(missing)}/{len(units)} content sentences)")
        status |= bool(problems)
    return status


def context(section_id: str) -> int:
    k = _knowledge()
    section = k.section(section_id)
    print(f"== {section.section_id} {section.title} [{section.start}-{section.end}]")
    cards = [c for c in k.cases if c.section == section.section_id]
    for c in cards:
        print(f"   case {c.id}: {c.title} [{c.start}-{c.end}]")
    print(section.text)
    return 0


def main(argv: list[str]) -> int:
    if len(argv) < 2 or argv[0] not in {"fill", "check", "context"}:
        print(__doc__)
        return 2
    if argv[0] == "fill":
        return max(fill(Path(p)) for p in argv[1:])
    if argv[0] == "check":
        return check([Path(p) for p in argv[1:]])
    return context(argv[1])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
