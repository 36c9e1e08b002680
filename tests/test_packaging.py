"""The project as a wheel: every stage subpackage is in it, so `advisor serve` works from a regular install too."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_the_wheel_holds_every_module_of_the_package(tmp_path) -> None:
    source = tmp_path / "source"  # a copy, so that building leaves no build/ or egg-info in the checkout
    files = [p.relative_to(REPO).as_posix() for p in (REPO / "advisor").rglob("*.py")]
    for name in [*files, "pyproject.toml", "README.md"]:
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        (source / name).write_bytes((REPO / name).read_bytes())
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--quiet",
                    "-w", str(tmp_path / "dist"), str(source)], check=True, cwd=tmp_path)
    wheel = next((tmp_path / "dist").glob("handhaving_advisor-*.whl"))
    inside = set(zipfile.ZipFile(wheel).namelist())
    assert set(files) - inside == set()
    assert "advisor/ui/app.py" in inside and "advisor/answer/engine.py" in inside
