"""Compare with a golden JSON file; ``UPDATE_GOLDEN=1 pytest`` rewrites it (review the diff before committing)."""

from __future__ import annotations

import json
import os
from pathlib import Path

GOLDEN = Path(__file__).parent / "golden"


def assert_golden(name: str, data: object) -> None:
    path = GOLDEN / name
    text = json.dumps(data, indent=1, ensure_ascii=False) + "\n"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"golden file {path} is missing; create it with UPDATE_GOLDEN=1"
    assert json.loads(path.read_text(encoding="utf-8")) == data, f"differs from {path} (UPDATE_GOLDEN=1 rewrites it)"
