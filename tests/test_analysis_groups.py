"""group_comparison (P4, P5): the design follows the sample-size rule; the test is compare_paths.

Oracle: the same comparison assembled by hand from build_model, sem.fit(group=,
group_equal=("loadings",)) and sem.compare_paths (each checked against lavaan elsewhere).
"""

from __future__ import annotations

import warnings

import pytest

from nrel_research import sem
from nrel_research.analysis import build_model, group_comparison
from nrel_research.data import clean, load_bundled_study, score


@pytest.fixture(scope="module")
def firms():
    cleaned = clean(load_bundled_study().responses).data
    lab = score(cleaned)[["market_type", "sector"]].astype("string")
    return cleaned.assign(market=lab["market_type"], sector_label=lab["sector"]).query(
        "second_informant != 1"
    )


def _hand(firms, measurement, estimator, missing, group_equal):
    spec = build_model(
        actions=["R2", "E6"],
        antecedents=[],
        outcomes=["marketing_performance"],
        propositions=["P3"],
        measurement=measurement,
    )
    d = spec.prepare(
        firms[firms["market"].isin(["B2B", "B2C"])].assign(market=lambda x: x["market"].astype(str))
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        free = sem.fit(
            spec.syntax,
            d,
            group="market",
            group_equal=group_equal,
            estimator=estimator,
            missing=missing,
        )
    return sem.compare_paths(free, ["marketing_performance ~ R2", "marketing_performance ~ E6"])


def test_latent_design_when_groups_are_large_enough(firms):
    ev, tables = group_comparison(
        firms, "market", "P4", actions=["R2", "E6"], groups=["B2B", "B2C"], ratio=2
    )
    assert ev.testable and "latent multiple-group SEM" in ev.note
    want = _hand(firms, "latent", "MLR", "fiml", ("loadings",)).iloc[0]
    assert ev.statistic == pytest.approx(want["chisq_diff"], rel=1e-8)
    assert ev.df == 2 and ev.pvalue == pytest.approx(want["pvalue_diff"], rel=1e-8)
    assert {"sizes", "invariance", "paths", "test"} <= set(tables)


def test_scale_score_design_when_groups_are_small(firms):
    ev, tables = group_comparison(
        firms, "market", "P4", actions=["R2", "E6"], groups=["B2B", "B2C"], ratio=20
    )
    assert ev.testable and "scale-score path model" in ev.note
    want = _hand(firms, "composite", "ML", "listwise", ()).iloc[0]
    assert ev.statistic == pytest.approx(want["chisq_diff"], rel=1e-8)
    assert not tables["sizes"]["ok"].all() and tables["sizes_composite"]["ok"].all()


def test_not_testable_when_even_scale_scores_are_too_few(firms):
    ev, _ = group_comparison(firms, "sector_label", "P5", actions=["R2", "E6"], minimum=150)
    assert not ev.testable and "too few firms" in ev.note
