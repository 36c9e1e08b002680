"""One-way dependencies and no import-time side effects."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def test_core_imports_no_ui_or_heavy_libraries_and_touches_no_disk(tmp_path) -> None:
    code = (
        "import sys, advisor, advisor.service, advisor.cli, advisor.index, advisor.knowledge\n"
        "heavy = [m for m in ('gradio', 'torch', 'sentence_transformers', 'chromadb') if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "ADVISOR_INDEX_DIR": str(tmp_path / "index"),
           "ADVISOR_CACHE_DIR": str(tmp_path / "cache"), "PYTHONPATH": str(REPO)}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert result.stdout.strip() == ""
    assert list(tmp_path.iterdir()) == []
