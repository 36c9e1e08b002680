"""The calibrated judges: the split of the judge pairs, the regression, the stored fit, the logit judge."""

from __future__ import annotations

import collections
import json

import numpy as np
import pytest

from advisor.evaluation.calibration import (
    FEATURES,
    FIT_FILE,
    CombinedJudge,
    best_threshold,
    fit_logistic,
    load_fit,
    pairs_hash,
    prompt_hash,
    report_table,
    split_pairs,
)
from advisor.evaluation.judges import OverlapJudge, Signals, load_pairs
from advisor.settings import Settings

PAIRS = Settings().eval_dir / "judge_pairs.jsonl"


def test_the_judge_pairs_are_split_by_kind_and_language() -> None:
    pairs = load_pairs(PAIRS)
    assert {p.get("split") for p in pairs} == {"calibration", "validation"}
    strata = collections.defaultdict(collections.Counter)
    for p in pairs:
        strata[(p["kind"], p["lang"])][p["split"]] += 1
    for stratum, counts in strata.items():
        if sum(counts.values()) >= 3:
            assert counts["calibration"] >= 1 and counts["validation"] >= 1, stratum
            assert counts["calibration"] >= counts["validation"], stratum


def test_the_stored_fit_matches_the_calibration_split_and_the_prompt() -> None:
    """A changed pair or prompt makes judge_fit.json stale: `advisor eval judge --calibrate` fits it again."""
    fitted = load_fit()
    calibration = split_pairs(PAIRS)["calibration"]
    assert fitted["fitted_on"]["sha256"] == pairs_hash(calibration), "run `advisor eval judge --calibrate`"
    assert fitted["fitted_on"]["pairs"] == len(calibration)
    assert fitted["prompt_sha256"] == prompt_hash(Settings().prompts_dir), "run `advisor eval judge --calibrate`"
    model = fitted["combined"]
    assert model["features"] == list(FEATURES)
    assert len(model["coefficients"]) == len(model["mean"]) == len(model["scale"]) == len(FEATURES)
    assert set(fitted["validation"]) == {"overlap", "llm:local", "combined"}
    assert json.loads(FIT_FILE.read_text(encoding="utf-8")) == fitted


def test_the_regression_finds_the_signal_and_the_threshold_splits_best() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 2))
    y = (x[:, 0] - 0.5 * x[:, 1] + rng.normal(scale=0.3, size=200) > 0).astype(float)
    coefficients, _ = fit_logistic(x, y)
    assert coefficients[0] > 1.0 and coefficients[1] < -0.3
    assert 1.0 < best_threshold([0.1, 0.9, 1.2, 2.0], [False, False, True, True]) < 1.2
    assert best_threshold([3.0, 1.0], [False, True]) > 3.0 or best_threshold([3.0, 1.0], [False, True]) < 1.0


class _Logit:
    def __init__(self, value: float) -> None:
        self.value = value

    def score(self, claim: str, passage: str) -> float:
        return self.value


class _Overlap:
    def __init__(self, signals: Signals) -> None:
        self._signals = signals

    def signals(self, claim: str, passage: str) -> Signals:
        return self._signals

    def verdicts(self, pairs, strict: bool = False) -> list[bool]:
        return [False] * len(pairs)


def test_the_combined_judge_follows_its_coefficients() -> None:
    model = {"features": list(FEATURES), "mean": [0.0] * 6, "scale": [1.0] * 6,
             "coefficients": [1.0, 2.0, -3.0, -3.0, -2.0, 0.0], "intercept": -1.0, "threshold": 0.5}
    clean = Signals(coverage=0.9, missing_numbers=0, missing_names=0, negation_mismatch=False, similarity=0.9)
    wrong_number = Signals(coverage=0.9, missing_numbers=1, missing_names=0, negation_mismatch=False, similarity=0.9)
    assert CombinedJudge(_Overlap(clean), _Logit(2.0), model).verdicts([("c", "p")]) == [True]
    assert CombinedJudge(_Overlap(wrong_number), _Logit(2.0), model).verdicts([("c", "p")]) == [False]
    assert CombinedJudge(_Overlap(clean), _Logit(-3.0), model).verdicts([("c", "p")]) == [False]
    # a must_not claim against a whole answer keeps the overlap judge's strict rule
    assert CombinedJudge(_Overlap(clean), _Logit(9.0), model).verdicts([("c", "p")], strict=True) == [False]


def test_the_report_table_names_every_split_judge_and_kind() -> None:
    figures = {"pairs": 2, "balanced_accuracy": 0.75, "precision_unsupported": 1.0, "recall_unsupported": 0.5,
               "accuracy_by_kind": {"supported": 1.0, "negation": 0.5}, "seconds_per_pair": 1.5}
    table = report_table({"splits": {"validation": {"combined": figures}, "holdout": {"overlap": figures}}})
    assert "validation   combined" in table and "holdout      overlap" in table
    assert "negation 0.50" in table and "negation" in table.splitlines()[4]


FIXED_PAIRS = [  # a supported claim and a hard negative of it, on passages of the report
    ("De SRT Twente is een samenwerking van de sociale diensten van Almelo, Borne, Hengelo, Oldenzaal en Enschede.",
     "De SRT Twente is een samenwerking van de sociale diensten van Enschede en Hengelo.",
     "Het Sociaal Rechercheteam (SRT) Twente is een samenwerkingsverband van de sociale diensten van Almelo, Borne, "
     "Hengelo, Oldenzaal en Enschede."),
    ("In Venlo begon het programma Hektor in 2001 om de drugsoverlast aan te pakken.",
     "In Venlo begon het programma Hektor in 1995 om de drugsoverlast aan te pakken.",
     "Als grensgemeente heeft Venlo eind 2000 veel last van drugsoverlast en drugstoerisme. Om de groeiende "
     "overlast effectief aan te pakken is in 2001 gestart met het programma Hektor."),
    ("Samenwerken leidt volgens het rapport niet altijd vanzelf tot verbetering.",
     "Samenwerken leidt volgens het rapport altijd vanzelf tot verbetering.",
     "Ervaring leert dat samenwerken niet altijd automatisch leidt tot een verbetering."),
    ("The housing corporation may terminate the tenancy agreement.",
     "The energy company may terminate the tenancy agreement.",
     "De woningcorporatie is bevoegd de huurovereenkomst te verbreken. Het energiebedrijf geeft informatie over "
     "overmatig energieverbruik."),
]


@pytest.fixture(scope="module")
def logit_judge(real_settings):
    from advisor.evaluation.logit_judge import LogitJudge
    from advisor.llm.local import LocalModelUnavailable

    try:
        return LogitJudge.local(real_settings, threshold=0.0)
    except LocalModelUnavailable as error:
        pytest.fail(f"the local LLM is not installed ({error}); `make llm` installs it")


@pytest.mark.real_llm
def test_the_logit_judge_ranks_a_supported_claim_above_its_hard_negative(logit_judge) -> None:
    for supported, negative, passage in FIXED_PAIRS:
        good, bad = logit_judge.score(supported, passage), logit_judge.score(negative, passage)
        assert good > bad, (supported, good, negative, bad)


@pytest.mark.real_llm
@pytest.mark.real_model
def test_the_planted_unfaithful_answer_scores_low_under_the_calibrated_judges(logit_judge, real_embeddings,
                                                                              knowledge) -> None:
    """The test of test_evaluation.py, under ``llm:local`` (with the fitted threshold) and ``combined``."""
    from advisor.corpus.rules import load_rules
    from advisor.evaluation.logit_judge import LogitJudge
    from advisor.evaluation.runs import score_answer
    from advisor.retrieval.analysis import DutchAnalyser
    from tests.test_evaluation import ITEM, _answer, _Retriever

    settings, fitted = Settings(), load_fit()
    analyser = DutchAnalyser.from_corpus(settings.corpus_dir, knowledge.report)
    overlap = OverlapJudge.from_rules(analyser, load_rules(settings.corpus_dir), real_embeddings)
    logit = LogitJudge(logit_judge.llama, settings.prompts_dir, fitted["llm:local"]["threshold"])
    # the passage does not say "sociale recherche" (only the case title does): combined rejects the claim of
    # test_evaluation.py's good answer (P 0.31), so the faithful answer here keeps to the passage's words
    good = _answer("Almelo is de uitvoeringsgemeente in Twente [1].", "Almelo is de uitvoeringsgemeente.")
    planted = _answer("In Twente werken sinds 1985 zeventien gemeenten samen in de sociale recherche [1].",
                      "Almelo is de uitvoeringsgemeente.")
    for judge in (logit, CombinedJudge(overlap, logit, fitted["combined"])):
        scored = {name: score_answer(ITEM, answer, [], judge, knowledge, _Retriever(analyser))["scores"]
                  for name, answer in (("good", good), ("planted", planted))}
        assert scored["good"]["faithfulness"] == 1.0, (judge.name, scored["good"])
        assert scored["planted"]["faithfulness"] == 0.0 and scored["planted"]["citation_precision"] == 0.0, (
            judge.name, scored["planted"])


@pytest.mark.real_llm
def test_the_cached_prefix_gives_the_score_of_a_fresh_evaluation(logit_judge) -> None:
    supported, _, passage = FIXED_PAIRS[0]
    cached = logit_judge.score(supported, passage)
    logit_judge.llama.reset()  # the prefix is evaluated again on the next call
    assert logit_judge.score(supported, passage) == pytest.approx(cached, abs=1e-3)


class _FakeLlama:
    """Tokens are characters; eval() records what it is given, like llama.cpp's cache past n_tokens."""

    def __init__(self) -> None:
        self.input_ids = np.zeros(4096, dtype=np.intc)
        self.n_tokens = 0
        self.evaluated: list[int] = []

    def tokenize(self, text: bytes, add_bos: bool = False, special: bool = True) -> list[int]:
        return list(text)

    def reset(self) -> None:
        self.n_tokens = 0

    def eval(self, tokens: list[int]) -> None:
        self.input_ids[self.n_tokens : self.n_tokens + len(tokens)] = tokens
        self.n_tokens += len(tokens)
        self.evaluated.append(len(tokens))


class _Scorer:
    """PrefixScorer with logits set by the test (the real ones come from llama.cpp's context)."""

    def __new__(cls, llama, logits):
        from advisor.llm.logits import PrefixScorer

        class Scorer(PrefixScorer):
            def _last_logits(self):
                return logits

        return Scorer(llama, prefix="SYSTEM+EXAMPLES", yes=("ja", "Ja"), no=("nee", "Nee"))


def test_the_prefix_is_evaluated_once_and_again_after_the_model_ran_something_else() -> None:
    logits = np.full(256, -10.0)
    logits[ord("j")], logits[ord("J")], logits[ord("n")], logits[ord("N")] = 2.0, 1.0, 0.0, -1.0
    llama = _FakeLlama()
    scorer = _Scorer(llama, logits)
    prefix = len("SYSTEM+EXAMPLES")
    expected = np.log(np.exp(2.0) + np.exp(1.0)) - np.log(np.exp(0.0) + np.exp(-1.0))
    assert scorer.score("pair one") == pytest.approx(expected)
    scorer.score("the second pair")
    assert llama.evaluated == [prefix, len("pair one"), len("the second pair")]
    assert llama.n_tokens == prefix + len("the second pair")
    llama.input_ids[2] = 0  # the generator used the model: its cache no longer starts with the prefix
    scorer.score("pair three")
    assert llama.evaluated[-2:] == [prefix, len("pair three")]
    with pytest.raises(ValueError, match="share a first token"):
        from advisor.llm.logits import PrefixScorer

        PrefixScorer(llama, prefix="x", yes=("no",), no=("nee",))
