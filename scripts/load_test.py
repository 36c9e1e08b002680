"""Load figures: N concurrent clients against `advisor serve` (extractive answers) for a bounded time.

    .venv/bin/python scripts/load_test.py --sweep 1,2,4,8,16 --duration 60
    .venv/bin/python scripts/load_test.py --clients 4 --duration 20 --json
    .venv/bin/python scripts/load_test.py --url http://127.0.0.1:7860/ --pid 12345 --clients 2

Without --url it starts `advisor serve` on a free loopback port with ADVISOR_GENERATOR=extractive, waits (bounded)
until it answers and stops it at the end, also on Ctrl+C. Only loopback URLs are accepted. Each client loops over a
fixed, mixed list of Dutch and English questions from eval/dev.jsonl (not `unanswerable`, no history) and sends them
to `/ask` through the Gradio queue, as the page does; every `--case-every`-th call of a client is a `/find_cases`
search instead, reported on its own row. An error is an exception, a non-200 status (a full queue is a 503), a
Gradio error event, a timeout or a result without `answer`/`citations` (or without case cards). Per level it prints
requests, errors, throughput, p50/p95/p99/max latency and the server's RSS at the start (after a warm-up), at the
end and the peak sampled every 0.5 s; then the largest N with zero errors and /ask p95 under 2 s.
Prints figures; asserts nothing. The load generator shares the CPU with the server.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

import httpx

ROOT = Path(__file__).resolve().parent.parent
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
MAX_DURATION, MAX_CLIENTS, MAX_REQUESTS = 600.0, 64, 100_000
P95_TARGET_MS = 2000.0
WARM_UP = 4
ERROR_PAUSE = 0.5
# Searches for the case page: free text, and filters only (the page's two ways in).
CASE_SEARCHES = [
    ["sociale recherche Twente", "", "", "", ""],
    ["", "sociale_zekerheid", "centrumgemeente", "", ""],
    ["tax office covenant", "", "", "", ""],
    ["horeca", "", "", "", "Amsterdam"],
]


class CallError(Exception):
    pass


def loopback_url(url: str) -> str:
    """The URL with a trailing slash, or SystemExit when it does not point at this machine."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or (parts.hostname or "").lower() not in LOOPBACK:
        raise SystemExit(f"refusing {url!r}: only http(s) on 127.0.0.1, localhost or ::1 (loopback only)")
    return url.rstrip("/") + "/"


def load_questions(path: Path) -> list[str]:
    """Answerable questions without history, in file order (Dutch and English mixed)."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [r["question"] for r in rows if r.get("type") != "unanswerable" and not r.get("history")]


def rss_mb(pid: int | None) -> float | None:
    if pid is None:
        return None
    try:
        import psutil

        return psutil.Process(pid).memory_info().rss / 2**20
    except ImportError:
        pass
    except Exception:
        return None
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


class HttpTransport:
    """Gradio's REST API: POST /gradio_api/call/<name> joins the queue, GET …/<event_id> streams the result.

    With ``per_request`` each call is a new Gradio session (a curl user); otherwise the client keeps one
    session for all its calls, as a browser tab does.
    """

    def __init__(self, url: str, timeout: float, per_request: bool = False):
        self.timeout = timeout
        self.session = None if per_request else secrets.token_hex(8)
        self.http = httpx.Client(base_url=url + "gradio_api", timeout=timeout, trust_env=False)

    def call(self, name: str, args: list) -> list:
        deadline = time.monotonic() + self.timeout
        body = {"data": args} if self.session is None else {"data": args, "session_hash": self.session}
        joined = self.http.post(f"/call/{name}", json=body)
        if joined.status_code != 200:
            raise CallError(f"HTTP {joined.status_code} joining the queue: {joined.text[:120]}")
        event_id = joined.json()["event_id"]
        with self.http.stream("GET", f"/call/{name}/{event_id}") as stream:
            if stream.status_code != 200:
                raise CallError(f"HTTP {stream.status_code} on the result stream")
            event = None
            for line in stream.iter_lines():
                if line.startswith("event:"):
                    event = line[6:].strip()
                elif line.startswith("data:") and event in ("complete", "error"):
                    data = json.loads(line[5:])
                    if event == "error":
                        raise CallError(f"Gradio error event: {str(data)[:120]}")
                    return data
                if time.monotonic() > deadline:
                    raise CallError(f"no result within {self.timeout:g} s")
        raise CallError("the result stream ended without a result")

    def close(self) -> None:
        self.http.close()


class ClientTransport:
    """gradio_client.Client: the queue join plus the session's SSE stream, as the browser does."""

    def __init__(self, url: str, timeout: float, per_request: bool = False):
        from gradio_client import Client

        self.timeout = timeout
        self.client = Client(url, verbose=False, ssl_verify=False)

    def call(self, name: str, args: list) -> list:
        result = self.client.submit(*args, api_name=f"/{name}").result(timeout=self.timeout)
        return list(result) if isinstance(result, tuple) else [result]

    def close(self) -> None:
        self.client.close()


TRANSPORTS = {"http": HttpTransport, "client": ClientTransport}


def make_transport(url: str, args: argparse.Namespace):
    return TRANSPORTS[args.transport](url, args.timeout, per_request=args.session == "per-request")


def check(name: str, outputs: list) -> None:
    first = outputs[0] if outputs else None
    if name == "ask" and not (isinstance(first, dict) and "answer" in first and "citations" in first):
        raise CallError(f"an /ask result without answer/citations: {str(first)[:120]}")
    if name == "find_cases" and not (isinstance(first, str) and "case-card" in first):
        raise CallError(f"a /find_cases result without case cards: {str(first)[:120]}")


def percentile(sorted_values: list[float], p: float) -> float | None:
    """Nearest rank."""
    if not sorted_values:
        return None
    return sorted_values[max(0, math.ceil(p / 100 * len(sorted_values)) - 1)]


def summarise(records: list[tuple[str, float, str | None]], name: str, elapsed: float) -> dict:
    mine = [r for r in records if r[0] == name]
    latencies = sorted(r[1] * 1000 for r in mine if r[2] is None)
    return {
        "requests": len(mine), "errors": sum(1 for r in mine if r[2] is not None),
        "throughput_rps": round(len(latencies) / elapsed, 2) if elapsed else 0.0,
        **{f"p{p}_ms": _round(percentile(latencies, p)) for p in (50, 95, 99)},
        "max_ms": _round(latencies[-1] if latencies else None),
    }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def run_level(url: str, clients: int, args, questions: list[str], pid: int | None) -> dict:
    """``clients`` threads, each with its own connection, until the duration or the request cap is reached."""
    transports = [make_transport(url, args) for _ in range(clients)]
    records: list[tuple[str, float, str | None]] = []
    tickets, ticket_lock = itertools.count(), threading.Lock()
    stop = threading.Event()
    peak = [rss_mb(pid) or 0.0]

    def sample() -> None:
        while not stop.wait(0.5):
            peak[0] = max(peak[0], rss_mb(pid) or 0.0)

    def client(index: int, transport) -> None:
        for turn in itertools.count():
            if stop.is_set() or time.monotonic() >= deadline:
                return
            with ticket_lock:
                if next(tickets) >= args.max_requests:
                    return
            if args.case_every and turn % args.case_every == args.case_every - 1:
                name, call_args = "find_cases", CASE_SEARCHES[(index + turn) % len(CASE_SEARCHES)]
            else:
                question = questions[(index * 7 + turn) % len(questions)]
                name, call_args = "ask", [question, "[]", "extractive"]
            started = time.perf_counter()
            try:
                check(name, transport.call(name, call_args))
                error = None
            except Exception as exc:  # every failure counts; the message says which
                error = f"{type(exc).__name__}: {exc}"[:160]
            records.append((name, time.perf_counter() - started, error))
            if error:
                stop.wait(ERROR_PAUSE)  # a rejected call returns at once; do not turn into a busy loop

    rss_start = rss_mb(pid)
    threads = [threading.Thread(target=client, args=(i, t), daemon=True) for i, t in enumerate(transports)]
    sampler = threading.Thread(target=sample, daemon=True)
    started = time.monotonic()
    deadline = started + args.duration
    sampler.start()
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            while thread.is_alive():
                thread.join(0.2)
    finally:
        stop.set()
    elapsed = time.monotonic() - started
    rss_end = rss_mb(pid)
    for transport in transports:
        transport.close()
    if rss_end is not None:
        peak[0] = max(peak[0], rss_end)
    return {
        "clients": clients, "seconds": round(elapsed, 1),
        "ask": summarise(records, "ask", elapsed), "find_cases": summarise(records, "find_cases", elapsed),
        "rss_mb": {"start": _round(rss_start), "end": _round(rss_end), "peak": _round(peak[0] if pid else None)},
        "error_kinds": dict(Counter(r[2] for r in records if r[2] is not None).most_common(5)),
    }


def warm_up(url: str, args, questions: list[str]) -> None:
    transport = make_transport(url, args)
    try:
        for question in questions[:WARM_UP]:
            check("ask", transport.call("ask", [question, "[]", "extractive"]))
        check("find_cases", transport.call("find_cases", CASE_SEARCHES[0]))
    finally:
        transport.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(log_path: Path, wait: float) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "ADVISOR_GENERATOR": "extractive", "GRADIO_ANALYTICS_ENABLED": "False"}
    with open(log_path, "wb") as log:  # a file, not a pipe: a chatty server never blocks on a full pipe
        server = subprocess.Popen(
            [sys.executable, "-m", "advisor", "serve", "--host", "127.0.0.1", "--port", str(port)],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + wait
    while True:
        if server.poll() is not None:
            raise SystemExit(f"advisor serve exited ({server.returncode}):\n{log_path.read_text()[-2000:]}")
        try:
            if httpx.get(url + "gradio_api/info", timeout=2, trust_env=False).status_code == 200:
                return server, url
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            stop_server(server)
            raise SystemExit(f"advisor serve was not ready within {wait:g} s:\n{log_path.read_text()[-2000:]}")
        time.sleep(0.5)


def stop_server(server: subprocess.Popen) -> None:
    if server.poll() is None:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)


def print_table(levels: list[dict]) -> None:
    header = (f"{'N':>3}  {'endpoint':<11} {'requests':>8} {'errors':>6} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} "
              f"{'p99 ms':>7} {'max ms':>7}  RSS start/end/peak MB")
    print(header)
    print("-" * len(header))
    for level in levels:
        memory = "/".join("n/a" if v is None else f"{v:.0f}" for v in level["rss_mb"].values())
        for name in ("ask", "find_cases"):
            row = level[name]
            if not row["requests"]:
                continue
            cells = [row[k] for k in ("p50_ms", "p95_ms", "p99_ms", "max_ms")]
            figures = " ".join(f"{'-' if c is None else f'{c:.0f}':>7}" for c in cells)
            print(f"{level['clients'] if name == 'ask' else '':>3}  /{name:<10} {row['requests']:>8} "
                  f"{row['errors']:>6} {row['throughput_rps']:>7.2f} {figures}  {memory if name == 'ask' else ''}")
        for kind, count in level["error_kinds"].items():
            print(f"     {count} × {kind}")


def verdict(levels: list[dict]) -> int | None:
    ok = [lv["clients"] for lv in levels if not lv["ask"]["errors"] and not lv["find_cases"]["errors"]
          and lv["ask"]["p95_ms"] is not None and lv["ask"]["p95_ms"] < P95_TARGET_MS]
    return max(ok) if ok else None


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument("--url", help="a running app on loopback (default: start `advisor serve` here)")
    parser.add_argument("--pid", type=int, help="the running app's process id, for its memory (with --url)")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--clients", type=int, default=1, help="concurrent clients (default 1)")
    group.add_argument("--sweep", help="client counts run in turn, e.g. 1,2,4,8,16")
    parser.add_argument("--duration", type=float, default=60.0,
                        help=f"seconds per level (default 60, max {MAX_DURATION:g})")
    parser.add_argument("--max-requests", type=int, default=20_000, help="cap on requests per level (default 20000)")
    parser.add_argument("--case-every", type=int, default=5,
                        help="every K-th call of a client is a /find_cases search (default 5; 0: /ask only)")
    parser.add_argument("--transport", choices=sorted(TRANSPORTS), default="http",
                        help="http: Gradio's REST queue API with httpx (default); client: gradio_client.Client")
    parser.add_argument("--session", choices=("per-client", "per-request"), default="per-client",
                        help="http transport: one Gradio session per client, like a browser tab (default), "
                             "or a new one per call, like curl")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds before a request counts as failed")
    parser.add_argument("--ready-timeout", type=float, default=180.0, help="seconds to wait for the app to start")
    parser.add_argument("--pause", type=float, default=3.0, help="seconds of rest between levels")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    try:
        levels = [int(n) for n in args.sweep.split(",")] if args.sweep else [args.clients]
    except ValueError:
        parser.error(f"--sweep takes client counts separated by commas, not {args.sweep!r}")
    if not levels or len(levels) > 12 or any(not 1 <= n <= MAX_CLIENTS for n in levels):
        parser.error(f"client counts must be 1…{MAX_CLIENTS}, at most 12 levels")
    if not 0 < args.duration <= MAX_DURATION:
        parser.error(f"--duration must be in (0, {MAX_DURATION:g}]")
    if not 0 < args.max_requests <= MAX_REQUESTS:
        parser.error(f"--max-requests must be in 1…{MAX_REQUESTS}")
    if args.pid and not args.url:
        parser.error("--pid goes with --url (a server started here is measured anyway)")
    args.levels = levels
    return args


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt  # SIGTERM stops the run like Ctrl+C: the server is stopped on the way out


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    url = loopback_url(args.url) if args.url else None
    questions = load_questions(ROOT / "eval" / "dev.jsonl")
    signal.signal(signal.SIGTERM, _interrupt)
    server, pid, levels, report = None, args.pid, [], {}
    log_dir = tempfile.TemporaryDirectory(prefix="advisor-load-")
    log_path = Path(log_dir.name) / "serve.log"
    try:
        if url is None:
            started = time.perf_counter()
            server, url = start_server(log_path, args.ready_timeout)
            pid = server.pid
            print(f"advisor serve (pid {pid}) ready at {url} in {time.perf_counter() - started:.1f} s",
                  file=sys.stderr, flush=True)
        try:
            warm_up(url, args, questions)
        except Exception as exc:
            raise SystemExit(f"the app at {url} failed the warm-up: {type(exc).__name__}: {exc}") from None
        rss_warm = rss_mb(pid)
        for i, clients in enumerate(args.levels):
            if i:
                time.sleep(args.pause)
            print(f"N={clients}: {args.duration:g} s …", file=sys.stderr, flush=True)
            levels.append(run_level(url, clients, args, questions, pid))
        report = {
            "url": url, "transport": args.transport, "session": args.session, "duration_s": args.duration,
            "case_every": args.case_every,
            "questions": len(questions), "levels": levels,
            "rss_mb": {"after_warm_up": _round(rss_warm), "after_last_level": _round(rss_mb(pid))},
            "largest_n_zero_errors_p95_under_2s": verdict(levels),
        }
    except KeyboardInterrupt:
        print("interrupted; stopping", file=sys.stderr)
        return 130
    finally:
        if server is not None:
            stop_server(server)
            tracebacks = log_path.read_text(errors="replace").count("Traceback") if log_path.exists() else 0
            report["server_log_tracebacks"] = tracebacks
        log_dir.cleanup()
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    cases = f" · every {args.case_every}th call of a client a case search" if args.case_every else ""
    print(f"{url} · transport {args.transport}, session {args.session} · {args.duration:g} s per level · "
          f"{len(questions)} questions{cases}")
    print_table(levels)
    memory = report["rss_mb"]
    if memory["after_warm_up"] is not None:
        print(f"app RSS after warm-up {memory['after_warm_up']:.0f} MB, after the last level "
              f"{memory['after_last_level']:.0f} MB ({memory['after_last_level'] - memory['after_warm_up']:+.0f} MB)")
    if "server_log_tracebacks" in report:
        print(f"tracebacks in the server's log: {report['server_log_tracebacks']}")
    best = report["largest_n_zero_errors_p95_under_2s"]
    print(f"largest N with zero errors and p95 < 2 s: {best if best is not None else 'none of the levels run'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
