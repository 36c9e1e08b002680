"""One-way dependencies: no import-time side effects, no cycles, and every import runs down the stages."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PACKAGE = REPO / "advisor"
# The stages from the bottom up: a module may import its own stage and the stages below it, never one above.
LAYERS = [
    {"advisor.errors"},
    {"advisor.settings", "advisor.logs", "advisor.prompts", "advisor.messages"},
    {"advisor.corpus", "advisor.llm"},
    {"advisor.index"},
    {"advisor.retrieval"},
    {"advisor.answer"},
    {"advisor.advice"},
    {"advisor.service"},
    {"advisor.evaluation"},
    {"advisor.ui"},
    {"advisor.commands"},
    {"advisor.cli"},
    {"advisor.__main__"},
]


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        name = ".".join(path.relative_to(REPO).with_suffix("").parts)
        found[name.removesuffix(".__init__")] = path
    return found


def _imports(path: Path) -> set[str]:
    """Every project module a file imports, at the top or inside a function."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("advisor"):
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names if alias.name.startswith("advisor")}
    return names


def layer_of(module: str) -> int:
    for rank, stage in enumerate(LAYERS):
        if any(module == name or module.startswith(name + ".") for name in stage):
            return rank
    raise AssertionError(f"{module} belongs to no stage of LAYERS; add it where it fits")


def stage_of(module: str) -> str:
    return ".".join(module.split(".")[:2])


def test_every_import_runs_down_the_stages() -> None:
    modules = _modules()
    upward = []
    for module, path in modules.items():
        if module == "advisor":  # the package itself names the public API, imported lazily (PEP 562)
            continue
        for imported in _imports(path):
            same_stage = stage_of(imported) == stage_of(module)
            if not same_stage and layer_of(imported) >= layer_of(module):
                upward.append(f"{module} imports {imported}")
    assert upward == []


def test_there_is_no_import_cycle() -> None:
    modules = _modules()
    graph = {m: {i for i in _imports(p) if i in modules and i != m} for m, p in modules.items()}
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(module: str, path: list[str]) -> list[str] | None:
        state[module] = 1
        for nxt in sorted(graph[module]):
            if state.get(nxt) == 1:
                return [*path, module, nxt]
            if nxt not in state and (cycle := visit(nxt, [*path, module])):
                return cycle
        state[module] = 2
        return None

    for module in sorted(graph):
        if module not in state:
            cycle = visit(module, [])
            assert cycle is None, " -> ".join(cycle)


def test_the_public_api_is_what_the_package_says() -> None:
    import advisor

    assert {"Advisor", "Settings", "Answer", "Citation", "Situation", "Hit", "Filters"} <= set(advisor.__all__)
    for name in advisor.__all__:
        assert getattr(advisor, name).__name__ == name


def test_core_imports_no_ui_or_heavy_libraries_and_touches_no_disk(tmp_path) -> None:
    code = (
        "import sys, advisor, advisor.service, advisor.cli, advisor.index, advisor.corpus.knowledge\n"
        "from advisor import Advisor, Settings, Answer\n"
        "heavy = [m for m in ('gradio', 'torch', 'sentence_transformers', 'chromadb') if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "ADVISOR_INDEX_DIR": str(tmp_path / "index"),
           "ADVISOR_CACHE_DIR": str(tmp_path / "cache"), "PYTHONPATH": str(REPO)}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert result.stdout.strip() == ""
    assert list(tmp_path.iterdir()) == []
