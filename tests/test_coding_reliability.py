"""Reliability statistics against oracles (krippendorff package, Krippendorff's worked
examples, scikit-learn, statsmodels) and the bootstrap by its properties."""

from __future__ import annotations

import math

import krippendorff
import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import cohen_kappa_score
from statsmodels.stats.inter_rater import aggregate_raters, fleiss_kappa

from nrel_research import coding
from nrel_research.coding.reliability import _alpha_from_counts, _reliability_matrix
from nrel_research.exceptions import DataError

nan = np.nan
CODES = ("R1", "R2", "E1", "E2", "E3", "E4", "E5", "E6", "E7", "L1")

# Krippendorff (2011), "Computing Krippendorff's alpha-reliability", example C: 4 observers,
# 12 units, nominal data with missing values. Published: alpha_nominal = 0.743.
EXAMPLE_C = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, nan, nan, nan],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, nan, 3],
    [nan, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, nan],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, nan],
]
# Same source, example A: two observers, binary data, 10 units. Published: alpha = 0.095.
EXAMPLE_A = [[0, 1, 0, 0, 0, 0, 0, 0, 1, 0], [1, 1, 1, 0, 0, 1, 0, 0, 0, 0]]


def to_long(matrix, codes=CODES):
    """coders x units matrix of category indices (nan = missing) -> long codings."""
    rows = []
    for j, coder_row in enumerate(matrix):
        for u, v in enumerate(coder_row):
            if not (isinstance(v, float) and math.isnan(v)):
                rows.append({"post_id": f"u{u}", "coder": f"c{j}", "code": codes[int(v)]})
    return pd.DataFrame(rows)


def random_codings(seed, n_units=80, n_coders=3, missing=0.2, r=0.8, k=10):
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, k, n_units)
    m = np.where(
        rng.random((n_coders, n_units)) < r, truth, rng.integers(0, k, (n_coders, n_units))
    )
    m = m.astype(float)
    m[rng.random(m.shape) < missing] = nan
    return m


def test_published_worked_examples():
    assert coding.krippendorff_alpha(EXAMPLE_C)["alpha"] == pytest.approx(0.743, abs=5e-4)
    assert coding.krippendorff_alpha(EXAMPLE_A)["alpha"] == pytest.approx(0.095, abs=5e-4)
    res = coding.reliability(to_long(EXAMPLE_C), n_boot=0, min_units_per_code=1)
    overall = res.query("statistic == 'krippendorff_alpha' and code == 'all'").iloc[0]
    assert overall.estimate == pytest.approx(0.743, abs=5e-4)
    # Unit 12 has a single value: not pairable, so 11 units and 40 pairable values.
    assert overall.n_units == 11 and overall.n_codings == 40 and overall.n_coders == 4


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_alpha_matches_the_krippendorff_package(seed):
    m = random_codings(seed, n_coders=2 + seed % 3)
    expected = krippendorff.alpha(reliability_data=m, level_of_measurement="nominal")
    assert coding.krippendorff_alpha(m)["alpha"] == pytest.approx(expected, rel=1e-12)
    res = coding.reliability(to_long(m), n_boot=0, min_units_per_code=1)
    got = res.query("statistic == 'krippendorff_alpha'").set_index("code")["estimate"]
    assert got["all"] == pytest.approx(expected, rel=1e-12)
    for i, code in enumerate(CODES):  # per code: present / absent
        binary = np.where(np.isnan(m), nan, (m == i).astype(float))
        if np.nansum(binary) == 0:
            assert math.isnan(got[code])
            continue
        oracle = krippendorff.alpha(reliability_data=binary, level_of_measurement="nominal")
        assert got[code] == pytest.approx(oracle, rel=1e-10, abs=1e-12), code


def test_cohen_and_fleiss_match_sklearn_and_statsmodels():
    m = random_codings(7, n_units=120, n_coders=3, missing=0.0)
    res = coding.reliability(to_long(m), n_boot=0, min_units_per_code=1)
    fleiss = res.query("statistic == 'fleiss_kappa'").iloc[0]
    table, _ = aggregate_raters(m.T.astype(int))
    assert fleiss.estimate == pytest.approx(fleiss_kappa(table, method="fleiss"), rel=1e-12)
    assert fleiss.note == ""
    pairs = res.query("statistic == 'cohen_kappa'")
    assert len(pairs) == 3
    for row in pairs.itertuples():
        a, b = int(row.coder_1[1]), int(row.coder_2[1])
        assert row.estimate == pytest.approx(cohen_kappa_score(m[a], m[b]), rel=1e-12)
        same_pair = (res.coder_1 == row.coder_1) & (res.coder_2 == row.coder_2)
        agree = res[same_pair & (res.statistic == "percent_agreement")].estimate.iloc[0]
        assert agree == pytest.approx(np.mean(m[a] == m[b]))
        assert row.n_units == 120
    overall = res.query("statistic == 'percent_agreement' and coder_1 == ''").estimate.iloc[0]
    # With complete data, pairwise agreement within units = mean of the pairwise agreements.
    assert overall == pytest.approx(
        np.mean([np.mean(m[0] == m[1]), np.mean(m[0] == m[2]), np.mean(m[1] == m[2])])
    )


def test_fleiss_is_not_computed_for_incomplete_designs():
    m = random_codings(8, n_coders=3, missing=0.2)
    res = coding.reliability(to_long(m), n_boot=0, min_units_per_code=1)
    row = res.query("statistic == 'fleiss_kappa'").iloc[0]
    assert math.isnan(row.estimate)
    assert row.note.startswith("not computed: Fleiss' kappa needs a complete design")


def test_tidy_columns_and_types():
    res = coding.reliability(to_long(random_codings(9)), n_boot=100, seed=1, min_units_per_code=1)
    assert res.columns.tolist() == coding.reliability.__globals__["COLUMNS"]
    assert set(res.statistic) == {
        "krippendorff_alpha",
        "fleiss_kappa",
        "cohen_kappa",
        "percent_agreement",
    }
    alpha = res.query("statistic == 'krippendorff_alpha' and code == 'all'").iloc[0]
    assert alpha.ci_lower < alpha.estimate < alpha.ci_upper
    assert 0 <= alpha.p_below_0_667 <= alpha.p_below_0_800 <= 1


def test_rare_codes_warn_with_the_number_of_units():
    long = to_long(random_codings(10, n_units=60, k=10))
    with pytest.warns(coding.RareCodeWarning, match=r"rare code\(s\) [A-Z]\d \(\d+ of \d+ units\)"):
        res = coding.reliability(long, n_boot=0, min_units_per_code=15)
    rare = res[res.note.str.contains("rare code", regex=False)]
    assert not rare.empty and (rare.statistic == "krippendorff_alpha").all()


def test_secondary_code_counts_as_present():
    long = pd.DataFrame(
        {
            "post_id": ["1", "1", "2", "2"],
            "coder": ["a", "b", "a", "b"],
            "code": ["R2", "R2", "E4", "E4"],
            "secondary_code": ["E4", None, None, "R2"],
        }
    )
    plain = coding.reliability(long, n_boot=0, min_units_per_code=1).set_index(
        ["statistic", "code"]
    )
    withsec = coding.reliability(long, secondary="secondary_code", n_boot=0, min_units_per_code=1)
    withsec = withsec.set_index(["statistic", "code"])
    assert plain.loc[("krippendorff_alpha", "E4"), "estimate"] == pytest.approx(1.0)
    assert withsec.loc[("krippendorff_alpha", "E4"), "estimate"] < 1.0
    assert withsec.loc[("krippendorff_alpha", "all"), "estimate"] == pytest.approx(1.0)


def test_bootstrap_is_reproducible_with_a_seed():
    long = to_long(random_codings(11))
    a = coding.reliability(long, n_boot=300, seed=5, min_units_per_code=1)
    b = coding.reliability(long, n_boot=300, seed=5, min_units_per_code=1)
    c = coding.reliability(long, n_boot=300, seed=6, min_units_per_code=1)
    pd.testing.assert_frame_equal(a, b)
    assert not a["ci_lower"].equals(c["ci_lower"])
    assert coding.krippendorff_alpha(EXAMPLE_C, n_boot=200, seed=3) == coding.krippendorff_alpha(
        EXAMPLE_C, n_boot=200, seed=3
    )


def simulate(rng, n, r, p, coders):
    """Each coder gives the true category with probability r, else a draw from p: alpha = r^2."""
    k = len(p)
    truth = rng.choice(k, size=n, p=p)
    keep = rng.random((n, coders)) < r
    return np.where(keep, truth[:, None], rng.choice(k, size=(n, coders), p=p))


@pytest.mark.parametrize(
    ("bootstrap", "coders", "lower"),
    [("pairs", 2, 0.90), ("units", 2, 0.90), ("units", 3, 0.90)],
)
def test_bootstrap_interval_covers_the_known_alpha(bootstrap, coders, lower):
    # Known truth: alpha = r^2 in the population. 300 replications: the Monte Carlo
    # standard error of a 95% coverage is about 1.3 points.
    rng = np.random.default_rng(2007)
    p = np.array([0.3, 0.25, 0.15, 0.1, 0.1, 0.05, 0.05])
    true_alpha = 0.7
    hits, estimates = 0, []
    for _ in range(300):
        counts = _reliability_matrix(simulate(rng, 100, math.sqrt(true_alpha), p, coders))
        res = _alpha_from_counts(counts, 500, 0.95, rng, bootstrap)
        hits += res.ci_lower <= true_alpha <= res.ci_upper
        estimates.append(res.estimate)
    assert lower <= hits / 300 <= 0.985
    assert np.mean(estimates) == pytest.approx(true_alpha, abs=0.01)


def test_pair_bootstrap_is_too_narrow_with_three_coders():
    # Documented limitation of the pair bootstrap (pairs within units are dependent).
    rng = np.random.default_rng(11)
    p = np.array([0.3, 0.25, 0.15, 0.1, 0.1, 0.05, 0.05])
    hits = 0
    for _ in range(300):
        counts = _reliability_matrix(simulate(rng, 60, math.sqrt(0.6), p, 3))
        res = _alpha_from_counts(counts, 500, 0.95, rng, "pairs")
        hits += res.ci_lower <= 0.6 <= res.ci_upper
    assert hits / 300 < 0.9


def test_confusion_table():
    m = random_codings(12, n_coders=2, missing=0.1)
    long = to_long(m)
    table = coding.confusion_table(long)
    both = ~np.isnan(m).any(axis=0)
    assert table.loc["total", "total"] == both.sum()
    assert np.trace(table.iloc[:-1, :-1].to_numpy()) == (m[0][both] == m[1][both]).sum()
    assert table.index.name == "c0" and table.columns.name == "c1"
    three = to_long(random_codings(13, n_coders=3))
    with pytest.raises(DataError, match="there are 3 coders"):
        coding.confusion_table(three)
    assert coding.confusion_table(three, "c0", "c2").shape == (11, 11)


def test_disagreements_for_adjudication():
    long = pd.DataFrame(
        {
            "post_id": ["1", "1", "1", "2", "2", "3", "3"],
            "coder": ["a", "b", "c", "a", "b", "a", "c"],
            "code": ["R1", "R2", "R2", "E4", "E4", "E3", "L1"],
        }
    )
    posts = pd.DataFrame({"post_id": ["1", "2", "3"], "text": ["x", "y", "z"]})
    out = coding.disagreements(long, posts=posts)
    assert out.columns.tolist() == ["post_id", "a", "b", "c", "codes", "majority", "text"]
    assert out.post_id.tolist() == ["1", "3"]
    assert out.majority.tolist() == ["R2", ""]
    assert out.codes.tolist() == ["R1 R2", "E3 L1"] and out.text.tolist() == ["x", "z"]


def test_sample_size_lacy_riffe():
    # Hand computation: N = 1000, P = .85, minimum .80, 95% one-sided (z = 1.6449):
    # SE^2 = (.05 / 1.6449)^2 = 0.00092399; n = (999 SE^2 + .1275 * 1000) / (999 SE^2 + .1275)
    se2 = (0.05 / 1.6448536269514722) ** 2
    by_hand = (999 * se2 + 0.1275 * 1000) / (999 * se2 + 0.1275)
    assert by_hand == pytest.approx(122.24, abs=0.005)
    got = coding.reliability_sample_size(1000, assumed_agreement=0.85, minimum_agreement=0.80)
    assert got == math.ceil(by_hand) == 123
    # Infinite-population limit: 1 + P Q / SE^2; never more units than the population.
    big = coding.reliability_sample_size(10**9, assumed_agreement=0.85, minimum_agreement=0.80)
    assert big == math.ceil(1 + 0.1275 / se2)
    assert coding.reliability_sample_size(40) <= 40
    sizes = [coding.reliability_sample_size(n) for n in (100, 500, 1000, 5000)]
    assert sizes == sorted(sizes)
    with pytest.raises(DataError, match="must exceed minimum_agreement"):
        coding.reliability_sample_size(100, assumed_agreement=0.8, minimum_agreement=0.8)


def test_bad_input():
    long = pd.DataFrame({"post_id": ["1", "2"], "coder": ["a", "a"], "code": ["R1", "R2"]})
    with pytest.raises(DataError, match="at least two coders"):
        coding.reliability(long)
    long = pd.DataFrame({"post_id": ["1", "2"], "coder": ["a", "b"], "code": ["R1", "R2"]})
    with pytest.raises(DataError, match="no unit is coded by two or more coders"):
        coding.reliability(long)
    with pytest.raises(DataError, match="bootstrap='jackknife'"):
        coding.reliability(to_long(EXAMPLE_C), bootstrap="jackknife")
    with pytest.raises(DataError, match="lacks column"):
        coding.reliability(long, coder="rater")
