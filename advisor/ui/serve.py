"""Start the app: warm the core up, then launch Gradio on loopback unless told otherwise.

Hardening: analytics off, 127.0.0.1 by default, optional login from ADVISOR_UI_USER / ADVISOR_UI_PASSWORD,
a queue with a concurrency limit and a maximum size, a bounded number of kept sessions, no uploads, and no files
served beyond the export folder.
"""

from __future__ import annotations

import os
import sys

QUEUE_CONCURRENCY = 2
QUEUE_MAX_SIZE = 32
SESSION_CAPACITY = 1000  # sessions whose state is kept (about 116 KiB each); Gradio's default, 10,000, is ~1.1 GB


def auth_from_env(env: dict[str, str] | None = None) -> tuple[str, str] | None:
    env = os.environ if env is None else env
    user, password = env.get("ADVISOR_UI_USER"), env.get("ADVISOR_UI_PASSWORD")
    return (user, password) if user and password else None


def launch(advisor, host: str = "127.0.0.1", port: int = 7860, block: bool = True, ready=None):
    """Build and launch the app; returns the Blocks (already serving when ``block`` is False)."""
    os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    from advisor.ui.app import CSS, JS, build_ui

    print("Loading the search index and the embedding model…", file=sys.stderr, flush=True)
    advisor.answer("Wat is een centrumgemeente?", generator="extractive")  # model, index and the gate's word lists
    blocks = build_ui(advisor)
    blocks.queue(default_concurrency_limit=QUEUE_CONCURRENCY, max_size=QUEUE_MAX_SIZE)
    blocks.launch(server_name=host, server_port=port, auth=auth_from_env(), prevent_thread_lock=True,
                  show_error=False, quiet=True, max_file_size=0, allowed_paths=[str(blocks.export_dir)],
                  footer_links=["api"], css=CSS, js=JS, ssr_mode=False, state_session_capacity=SESSION_CAPACITY)
    try:
        if ready:
            ready()
        if block:
            blocks.block_thread()  # returns on Ctrl+C (or SIGTERM, which `advisor serve` turns into one)
    except KeyboardInterrupt:  # a stop that came before Gradio's own loop took over
        blocks.close()
    return blocks
