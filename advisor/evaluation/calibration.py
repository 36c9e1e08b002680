"""Judges fitted on the calibration split of the judge pairs, and the report of every judge on every split.

    >>> judge = get_judge("combined", advisor)  # or overlap, llm:local, llm:<remote generator>
    >>> fit = calibrate(advisor)                 # scores the calibration split, writes judge_fit.json
    >>> judge = CombinedJudge(overlap, logit, fit["combined"])
    >>> report = judge_report(advisor)          # overlap, llm:local and combined on every split

``eval/judge_pairs.jsonl`` has a ``split`` field: ``calibration`` (164 pairs; thresholds and the regression are
fitted on it) and ``validation`` (96), stratified by kind and language. ``eval/judge_pairs_holdout.jsonl`` (257
pairs written blind) is never fitted on. ``combined`` is a logistic regression over the logit judge's score and the
overlap judge's signals (``judges.Signals``); its coefficients, and the hash of the pairs and of the prompt it was
fitted with, are in ``judge_fit.json`` beside this file, so a review sees what decides a verdict.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from advisor.errors import InputError
from advisor.evaluation.judges import LLMJudge, OverlapJudge, Signals, load_pairs, verdict_accuracy

FIT_FILE = Path(__file__).with_name("judge_fit.json")
FEATURES = ("logit", "coverage", "missing_numbers", "missing_names", "negation_mismatch", "similarity")
L2 = 1.0  # ridge penalty on the standardised coefficients: 164 pairs, 6 features


def feature_row(logit: float, signals: Signals) -> list[float]:
    return [logit, signals.coverage, float(signals.missing_numbers > 0), float(signals.missing_names > 0),
            float(signals.negation_mismatch), signals.similarity or 0.0]


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = L2, steps: int = 50) -> tuple[np.ndarray, float]:
    """Newton's method on the L2-penalised log-likelihood (the intercept unpenalised)."""
    design = np.hstack([np.ones((len(x), 1)), x])
    weights = np.zeros(design.shape[1])
    penalty = np.eye(design.shape[1]) * l2
    penalty[0, 0] = 0.0
    for _ in range(steps):
        p = 1 / (1 + np.exp(-design @ weights))
        gradient = design.T @ (p - y) + penalty @ weights
        hessian = design.T @ (design * (p * (1 - p))[:, None]) + penalty
        step = np.linalg.solve(hessian, gradient)
        weights -= step
        if np.abs(step).max() < 1e-8:
            break
    return weights[1:], float(weights[0])


def best_threshold(scores: list[float], truth: list[bool]) -> float:
    """The cut between two neighbouring scores with the highest balanced accuracy."""
    values, labels = np.array(scores), np.array(truth)
    ordered = np.unique(values)
    cuts = np.concatenate([[ordered[0] - 1], (ordered[:-1] + ordered[1:]) / 2, [ordered[-1] + 1]])

    def balanced(cut: float) -> float:
        return ((values[labels] >= cut).mean() + (values[~labels] < cut).mean()) / 2

    return float(max(cuts, key=balanced))


def pairs_hash(pairs: list[dict]) -> str:
    text = "\n".join(json.dumps([p["id"], p["claim"], p["passage"], p["supported"]], ensure_ascii=False)
                     for p in pairs)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def prompt_hash(prompts_dir: Path) -> str:
    from advisor.evaluation.logit_judge import prefix_text

    return hashlib.sha256(prefix_text(prompts_dir).encode("utf-8")).hexdigest()


def load_fit(path: Path = FIT_FILE) -> dict:
    if not path.exists():
        raise InputError(f"{path.name} is missing: run `advisor eval judge --calibrate` first")
    return json.loads(path.read_text(encoding="utf-8"))


@dataclass
class CombinedJudge:
    """P(supported) from the logit score and the overlap signals, by the fitted regression."""

    overlap: OverlapJudge
    logit: Any  # LogitJudge
    model: dict  # judge_fit.json's "combined"
    name: str = "combined"
    method = "logistic regression over the logit score and the overlap signals (judge_fit.json)"

    def probability(self, logit: float, signals: Signals) -> float:
        row = (np.array(feature_row(logit, signals)) - self.model["mean"]) / np.array(self.model["scale"])
        return float(1 / (1 + np.exp(-(row @ np.array(self.model["coefficients"]) + self.model["intercept"]))))

    def verdicts(self, pairs: list[tuple[str, str]], strict: bool = False) -> list[bool]:
        if strict:  # a must_not claim against a whole answer: the overlap judge's strict rule (see judges.py)
            return self.overlap.verdicts(pairs, strict=True)
        return [self.probability(self.logit.score(claim, passage), self.overlap.signals(claim, passage))
                >= self.model["threshold"] for claim, passage in pairs]


@dataclass
class Scored:
    """One pair with what every judge needs, computed once, and how long each part took (the logit score's
    seconds are those of its first computation, when it comes from the cache)."""

    pair: dict
    logit: float
    signals: Signals
    logit_seconds: float
    overlap_seconds: float


class ScoreCache:
    """The logit judge's scores of pairs, with the seconds each took, kept per prompt in the cache folder: the
    report after a calibration, or a run that was interrupted, does not ask the model again."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.entries: dict[str, list[float]] = {}
        if path is not None and path.exists():
            self.entries = json.loads(path.read_text(encoding="utf-8"))

    @classmethod
    def for_prompt(cls, settings: Any) -> ScoreCache:
        return cls(settings.cache_dir / f"judge-scores-{prompt_hash(settings.prompts_dir)[:16]}.json")

    @staticmethod
    def key(claim: str, passage: str) -> str:
        return hashlib.sha256(f"{claim}\x00{passage}".encode()).hexdigest()

    def save(self) -> None:
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(".tmp")
            tmp.write_text(json.dumps(self.entries), encoding="utf-8")
            tmp.replace(self.path)


def score_pairs(overlap: OverlapJudge, logit: Any, pairs: list[dict], progress: Any = None,
                cache: ScoreCache | None = None) -> list[Scored]:
    cache = cache or ScoreCache(None)
    scored = []
    for number, pair in enumerate(pairs, start=1):
        started = time.perf_counter()
        signals = overlap.signals(pair["claim"], pair["passage"])
        signal_seconds = time.perf_counter() - started
        key = ScoreCache.key(pair["claim"], pair["passage"])
        if key not in cache.entries:
            started = time.perf_counter()
            cache.entries[key] = [logit.score(pair["claim"], pair["passage"]), time.perf_counter() - started]
            if number % 10 == 0:
                cache.save()
        value, seconds = cache.entries[key]
        scored.append(Scored(pair, value, signals, seconds, signal_seconds))
        if progress:
            progress(number, len(pairs), pair["id"])
    cache.save()
    return scored


def fit(scored: list[Scored], prompts_dir: Path, source: str) -> dict:
    truth = [bool(s.pair["supported"]) for s in scored]
    x = np.array([feature_row(s.logit, s.signals) for s in scored])
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale == 0] = 1.0
    coefficients, intercept = fit_logistic((x - mean) / scale, np.array(truth, dtype=float))
    model = {"features": list(FEATURES), "mean": mean.round(6).tolist(), "scale": scale.round(6).tolist(),
             "coefficients": coefficients.round(6).tolist(), "intercept": round(intercept, 6)}
    probabilities = 1 / (1 + np.exp(-(((x - mean) / scale) @ coefficients + intercept)))
    model["threshold"] = round(best_threshold(probabilities.tolist(), truth), 6)
    return {
        "fitted_on": {"file": source, "split": "calibration", "pairs": len(scored),
                      "sha256": pairs_hash([s.pair for s in scored])},
        "prompt_sha256": prompt_hash(prompts_dir),
        "llm:local": {"threshold": round(best_threshold([s.logit for s in scored], truth), 6)},
        "combined": model,
    }


def accuracies(scored: list[Scored], overlap: OverlapJudge, combined: CombinedJudge, fitted: dict) -> dict:
    """Every judge on these pairs, from the scores and signals computed once, with the seconds per pair each took
    (overlap: its signals; llm:local: the logit score; combined: both)."""
    pairs = [s.pair for s in scored]
    logit_seconds = sum(s.logit_seconds for s in scored) / max(len(pairs), 1)
    signal_seconds = sum(s.overlap_seconds for s in scored) / max(len(pairs), 1)
    verdicts = {
        "overlap": ([overlap.supported(s.pair["claim"], s.pair["passage"], found=s.signals) for s in scored],
                    signal_seconds),
        "llm:local": ([s.logit >= fitted["llm:local"]["threshold"] for s in scored], logit_seconds),
        "combined": ([combined.probability(s.logit, s.signals) >= fitted["combined"]["threshold"] for s in scored],
                     logit_seconds + signal_seconds),
    }
    return {name: verdict_accuracy(name, pairs, found) | {"seconds_per_pair": round(seconds, 3)}
            for name, (found, seconds) in verdicts.items()}


def split_pairs(path: Path) -> dict[str, list[dict]]:
    pairs = load_pairs(path)
    return {split: [p for p in pairs if p.get("split") == split] for split in ("calibration", "validation")}


def judges_for(advisor: Any, fitted: dict | None) -> tuple[OverlapJudge, Any, CombinedJudge | None]:
    from advisor.evaluation.logit_judge import LogitJudge

    overlap = OverlapJudge.from_rules(advisor.retriever.analyser, advisor.rules, advisor.embeddings)
    threshold = fitted["llm:local"]["threshold"] if fitted else 0.0
    logit = LogitJudge.local(advisor.settings, threshold)
    combined = CombinedJudge(overlap, logit, fitted["combined"]) if fitted else None
    return overlap, logit, combined


def get_judge(judge_id: str, advisor: Any) -> Any:
    """``overlap``; ``llm:local``, the pointwise logit judge with the threshold of judge_fit.json; ``combined``,
    the regression over both; ``llm:<other generator>``, the batched text judge (remote models give no logits)."""
    if judge_id == "overlap":
        return OverlapJudge.from_rules(advisor.retriever.analyser, advisor.rules, advisor.embeddings)
    if judge_id in ("combined", "llm:local"):
        _, logit, combined = judges_for(advisor, load_fit())
        return combined if judge_id == "combined" else logit
    if judge_id.startswith("llm:"):
        from advisor.llm.generators import chat_model_for

        judge = LLMJudge(chat_model_for(judge_id[4:], advisor.settings), advisor.settings.prompts_dir)
        judge.name = judge_id
        return judge
    raise InputError(f"unknown judge {judge_id!r}; use overlap, combined, llm:local or llm:<generator id>")


def calibrate(advisor: Any, progress: Any = None, path: Path = FIT_FILE) -> dict:
    """Fit the threshold and the regression on the calibration split, measure them on the validation split,
    write both to judge_fit.json (``eval run`` names the validation figure of its judge in summary.json)."""
    splits = split_pairs(advisor.settings.eval_dir / "judge_pairs.jsonl")
    overlap, logit, _ = judges_for(advisor, None)
    cache = ScoreCache.for_prompt(advisor.settings)
    scored = score_pairs(overlap, logit, splits["calibration"], progress, cache)
    fitted = fit(scored, advisor.settings.prompts_dir, "eval/judge_pairs.jsonl")
    combined = CombinedJudge(overlap, logit, fitted["combined"])
    checked = accuracies(score_pairs(overlap, logit, splits["validation"], progress, cache), overlap, combined, fitted)
    fitted["validation"] = {name: {"pairs": figures["pairs"], "balanced_accuracy": figures["balanced_accuracy"]}
                            for name, figures in checked.items()}
    path.write_text(json.dumps(fitted, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return fitted


def judge_report(advisor: Any, progress: Any = None) -> dict:
    """Every judge on calibration, validation and the blind holdout (docs/evaluation.md)."""
    fitted = load_fit()
    if fitted["prompt_sha256"] != prompt_hash(advisor.settings.prompts_dir):
        raise InputError("the judge prompt changed since judge_fit.json was fitted: run `advisor eval judge "
                         "--calibrate` again")
    overlap, logit, combined = judges_for(advisor, fitted)
    eval_dir = advisor.settings.eval_dir
    holdout = load_pairs(eval_dir / "judge_pairs_holdout.jsonl")
    splits = split_pairs(eval_dir / "judge_pairs.jsonl") | {"holdout": holdout}
    report: dict = {"fitted_on": fitted["fitted_on"], "splits": {}}
    cache = ScoreCache.for_prompt(advisor.settings)
    for split, pairs in splits.items():
        scored = score_pairs(overlap, logit, pairs, progress, cache)
        report["splits"][split] = accuracies(scored, overlap, combined, fitted)
    return report


def report_table(report: dict) -> str:
    """The report as text: one line per judge and split, then accuracy per kind."""
    lines = [f"{'split':12} {'judge':10} {'pairs':>5} {'bal.acc':>8} {'prec.uns':>8} {'rec.uns':>8} "
             f"{'worst kind':>22} {'s/pair':>7}"]
    for split, judges in report["splits"].items():
        for name, r in judges.items():
            worst = min((v, k) for k, v in r["accuracy_by_kind"].items())
            lines.append(f"{split:12} {name:10} {r['pairs']:>5} {r['balanced_accuracy']:>8.3f} "
                         f"{r['precision_unsupported']:>8.3f} {r['recall_unsupported']:>8.3f} "
                         f"{worst[1] + ' ' + format(worst[0], '.2f'):>22} {r['seconds_per_pair']:>7.3f}")
    kinds = sorted({k for judges in report["splits"].values() for r in judges.values() for k in r["accuracy_by_kind"]})
    lines += ["", f"{'split':12} {'judge':10} " + " ".join(f"{k[:9]:>9}" for k in kinds)]
    for split, judges in report["splits"].items():
        for name, r in judges.items():
            lines.append(f"{split:12} {name:10} " + " ".join(
                f"{r['accuracy_by_kind'][k]:>9.2f}" if k in r["accuracy_by_kind"] else f"{'':>9}" for k in kinds))
    return "\n".join(lines)
