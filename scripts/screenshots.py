"""Real screenshots of the three main pages, for the README (needs the index and Debian's chromium).

    .venv/bin/python scripts/screenshots.py [OUT_DIR]
"""

from __future__ import annotations

import socket
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

from advisor.service import Advisor
from advisor.settings import Settings
from advisor.ui.serve import launch

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]


def main() -> None:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots")
    out.mkdir(parents=True, exist_ok=True)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    blocks = launch(Advisor(Settings.from_env()), port=port, block=False)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1100})
        page.goto(f"http://127.0.0.1:{port}/")
        page.wait_for_selector("#question textarea")
        page.fill("#question textarea", "Wij zijn een kleine gemeente met twee fraudeonderzoekers. Welke "
                  "samenwerkingsvorm past bij ons?")
        page.click("#send")
        page.wait_for_selector("#sources mark", timeout=60000)
        page.screenshot(path=str(out / "chat.png"))
        page.get_by_role("tab", name="Casus zoeken").click()
        page.fill("#case-text textarea", "convenant met de Belastingdienst")
        page.click("#case-search")
        page.wait_for_function("document.querySelector('#case-results').innerText.includes('ms')")
        page.wait_for_timeout(1500)
        page.screenshot(path=str(out / "cases.png"))
        page.get_by_role("tab", name="Adviseur").click()
        page.fill("#advise-description textarea", "Kleine gemeente, twee fraudeonderzoekers, weinig ervaring")
        page.click("#advise-go")
        page.wait_for_function("document.querySelector('#advise-result').innerText.includes('Motief')")
        page.screenshot(path=str(out / "advisor.png"))
        browser.close()
    blocks.close()
    print(f"screenshots written to {out}")


if __name__ == "__main__":
    main()
