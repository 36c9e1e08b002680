"""A self-contained HTML report of an evaluation run: tables, inline SVG bars, latency distribution,
worst items first. No scripts, no external files."""

from __future__ import annotations

import html
from pathlib import Path

from advisor.evaluation.metrics import COUNT_METRICS, METRICS


def _bar(value: float | None, width: int = 160) -> str:
    if value is None:
        return "—"
    filled = max(0, min(width, int(value * width)))
    return (f"<svg width='{width + 50}' height='14'><rect width='{width}' height='12' fill='#eee'/>"
            f"<rect width='{filled}' height='12' fill='#3b6ea5'/><text x='{width + 4}' y='11' font-size='11'>"
            f"{value:.3f}</text></svg>")


def _split_table(title: str, split: dict) -> str:
    head = "".join(f"<th>{html.escape(m)}</th>" for m in METRICS if m not in COUNT_METRICS)
    rows = []
    for name, values in split.items():
        cells = "".join(f"<td>{_bar(values.get(m))}</td>" for m in METRICS if m not in COUNT_METRICS)
        rows.append(f"<tr><th>{html.escape(name)} (n={values['n']})</th>{cells}</tr>")
    return f"<h2>{html.escape(title)}</h2><table><tr><th></th>{head}</tr>{''.join(rows)}</table>"


def _latency_svg(latencies: list[float], width: int = 600, height: int = 120) -> str:
    if not latencies:
        return ""
    top = max(latencies) or 1.0
    bins = [0] * 20
    for value in latencies:
        bins[min(19, int(value / top * 20))] += 1
    peak = max(bins) or 1
    bars = "".join(f"<rect x='{i * width / 20:.0f}' y='{height - b / peak * height:.0f}' width='{width / 20 - 2:.0f}' "
                   f"height='{b / peak * height:.0f}' fill='#7a9cc6'/>" for i, b in enumerate(bins))
    return (f"<h2>Latency distribution (0 – {top:.0f} ms)</h2><svg width='{width}' height='{height}'>{bars}</svg>")


def _badness(row: dict) -> float:
    m = row["metrics"]
    parts = [m.get(k) for k in ("faithfulness", "citation_validity", "refusal_accuracy", "fact_recall")]
    return sum(p for p in parts if p is not None) - (m.get("must_not_violations") or 0)


def write_report(path: Path, summary: dict, rows: list[dict]) -> None:
    meta = summary["metadata"]
    overall = summary["metrics"]
    metric_rows = "".join(
        f"<tr><th>{html.escape(m)}</th><td>{_bar(overall.get(m)) if m not in COUNT_METRICS else overall.get(m)}"
        f"</td><td>{overall.get(m + '_ci95')}</td></tr>" for m in METRICS)
    worst = sorted(rows, key=_badness)[:25]
    worst_rows = "".join(
        f"<tr><td>{html.escape(r['id'])}</td><td>{html.escape(r['type'])}/{r['lang']}</td>"
        f"<td>{html.escape(r['question'])}</td><td>{r['metrics'].get('faithfulness')}</td>"
        f"<td>{r['metrics'].get('refusal_accuracy')}</td><td><pre>{html.escape(r['answer'][:700])}</pre></td></tr>"
        for r in worst)
    generator, judge = html.escape(meta["generator"]), html.escape(meta["judge"])
    page = f"""<!doctype html><html><head><meta charset='utf-8'><title>Evaluation {generator}</title>
<style>body{{font-family:sans-serif;margin:24px}}table{{border-collapse:collapse;margin-bottom:18px}}
td,th{{border:1px solid #ddd;padding:3px 6px;vertical-align:top;font-size:12px}}pre{{white-space:pre-wrap;margin:0}}
</style></head><body>
<h1>Evaluation: generator <code>{generator}</code>, judge <code>{judge}</code></h1>
<p>{summary['items']} items · dataset {html.escape(meta['dataset'])} ({meta['dataset_hash']}) · embedding
{html.escape(meta['embedding_model'])} · code {html.escape(meta['code_version'])} · {html.escape(meta['date'])}</p>
<h2>Overall</h2><table><tr><th>metric</th><th>mean</th><th>bootstrap 95% CI</th></tr>{metric_rows}
<tr><th>latency p50 / p95</th><td colspan='2'>{overall['latency_p50_ms']} / {overall['latency_p95_ms']} ms</td></tr>
</table>
{_split_table('By type', summary['by_type'])}
{_split_table('By language', summary['by_lang'])}
{_latency_svg([r['latency_ms'] for r in rows])}
<h2>Worst items first</h2><table><tr><th>id</th><th>type</th><th>question</th><th>faithfulness</th>
<th>refusal</th><th>answer</th></tr>{worst_rows}</table></body></html>"""
    path.write_text(page, encoding="utf-8")
