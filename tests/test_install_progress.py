"""The install's progress filter: a few lines a person can follow, pip's whole output in the log, errors shown."""

from __future__ import annotations

import subprocess
import sys

from advisor.settings import PROJECT_ROOT

SCRIPT = PROJECT_ROOT / "scripts" / "install_progress.py"


def _run(pip_output: str, log, tick: str = "20") -> subprocess.CompletedProcess:
    code = (f"import sys, importlib.util as u; spec = u.spec_from_file_location('p', {str(SCRIPT)!r}); "
            f"m = u.module_from_spec(spec); spec.loader.exec_module(m); m.TICK_S = {tick}; "
            f"sys.exit(m.main('the advisor', {str(log)!r}))")
    return subprocess.run([sys.executable, "-c", code], input=pip_output, capture_output=True, text=True, timeout=60)


def test_a_quiet_summary_and_the_whole_output_in_the_log(tmp_path) -> None:
    log = tmp_path / "install.log"
    pip = ("Collecting gradio>=6.31\n  Downloading gradio-6.31.0-py3-none-any.whl (50 MB)\n"
           "Collecting torch==2.13.0\nBuilding wheel for llama-cpp-python (pyproject.toml): started\n"
           "Created wheel for llama-cpp-python\nInstalling collected packages: gradio, torch\n"
           "Successfully installed gradio-6.31.0 torch-2.13.0 llama-cpp-python-0.3.36\n")
    done = _run(pip, log)
    assert done.returncode == 0
    lines = done.stdout.splitlines()
    assert any("compiling llama-cpp-python" in line for line in lines)
    assert any("downloading torch" in line for line in lines)
    assert lines[-1].startswith("    3 packages installed in ")
    assert "Downloading gradio" not in done.stdout  # pip's own lines stay in the log
    assert pip in log.read_text(encoding="utf-8")


def test_an_error_shows_the_end_of_pips_output_and_fails(tmp_path) -> None:
    log = tmp_path / "install.log"
    done = _run("Collecting nosuchpackage\nERROR: No matching distribution found for nosuchpackage\n", log)
    assert done.returncode == 1
    assert "ERROR: No matching distribution found for nosuchpackage" in done.stdout
    assert str(log) in done.stdout


def test_a_silent_pip_still_gets_a_line_now_and_then(tmp_path) -> None:
    code = ("import subprocess, sys, time; p = subprocess.Popen(sys.argv[1:], stdin=subprocess.PIPE, text=True); "
            "p.stdin.write('Building wheel for llama-cpp-python (pyproject.toml): started\\n'); p.stdin.flush(); "
            "time.sleep(1.5); p.stdin.write('Successfully installed llama-cpp-python-0.3.36\\n'); p.stdin.close(); "
            "sys.exit(p.wait())")
    runner = (f"import sys, importlib.util as u; spec = u.spec_from_file_location('p', {str(SCRIPT)!r}); "
              f"m = u.module_from_spec(spec); spec.loader.exec_module(m); m.TICK_S = 0.5; "
              f"sys.exit(m.main('the local LLM', {str(tmp_path / 'log')!r}))")
    done = subprocess.run([sys.executable, "-c", code, sys.executable, "-c", runner], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0
    assert "… building llama-cpp-python (compiling)," in done.stdout
