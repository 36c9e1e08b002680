"""App figures: cold start (command to page ready, index built), time to first sources in the browser, memory.

    .venv/bin/python scripts/bench_app.py

Starts `advisor serve` as a child on a free loopback port, measures, stops it. Prints figures; asserts nothing.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
QUESTIONS = ["Welke regio's kozen voor een centrumgemeente bij de sociale recherche?",
             "Wat zijn succesfactoren voor samenwerking?", "Which cases use a covenant with the tax office?"]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def main() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    started = time.perf_counter()
    server = subprocess.Popen([sys.executable, "-m", "advisor", "serve", "--port", str(port)],
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        for line in server.stdout:
            if line.startswith("Ready"):
                break
        urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=30).read()
        print(f"cold start (command to page ready, index built): {time.perf_counter() - started:.1f} s")
        print(f"app memory after start: {rss_mb(server.pid):.0f} MB RSS")
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=ARGS)
            page = browser.new_page()
            page.goto(f"http://127.0.0.1:{port}/")
            page.wait_for_selector("#question textarea")
            for question in QUESTIONS:
                page.click("#clear")
                page.wait_for_function("document.querySelector('#sources').innerText.trim() === ''")
                page.fill("#question textarea", question)
                clicked = time.perf_counter()
                page.click("#send")
                page.wait_for_function("document.querySelector('#sources').innerText.includes('Bronnen')")
                first_sources = time.perf_counter() - clicked
                page.wait_for_selector("#sources mark, #sources em", timeout=60000)
                print(f"{question[:50]!r}: first sources {first_sources * 1000:.0f} ms, "
                      f"answer {(time.perf_counter() - clicked) * 1000:.0f} ms")
            browser.close()
        print(f"app memory after {len(QUESTIONS)} questions: {rss_mb(server.pid):.0f} MB RSS")
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
