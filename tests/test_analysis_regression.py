"""OLS, robust inference, VIFs, moderation and mediation (``nrel_research.analysis.regression``).

Oracles:
- tests/reference/regression.json, written by tests/reference/regression.R (R 4.2.2, sandwich
  3.0-2, lmtest 0.9-40, car 3.1-1; versions recorded in the file) on the committed
  data/simulated/firms.csv: ``lm`` coefficients, ``vcovHC(type = "HC3"/"HC1")``, ``vcov``,
  ``vcovCL(type = "HC1")`` (CR1), Wald F tests, ``car::vif`` GVIFs, standardized coefficients
  from a refit on z-scored variables, simple slopes and Johnson-Neyman bounds from ``coef`` and
  the vcov. Both sides compute in double precision from the same CSV, so the tolerance is
  ``atol=1e-10`` (``rtol=1e-8`` for F statistics and p-values far in the tail).
- The wild cluster bootstrap (no R package on the reference machine): a brute-force
  implementation (refit per draw) on the same draws must give identical p-values, and a
  simulation with known truth (6, 8, 10 unbalanced clusters) must reject the true slope near
  the nominal 5% and cover it near 95% while CR1 over-rejects.
- Mediation: pingouin against the SEM engine (ML of a saturated path model equals OLS:
  ``atol=1e-8``) and against statsmodels OLS fits of the three equations.
"""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from scipy import stats

from nrel_research import analysis
from nrel_research.analysis import (
    RegressionResult,
    interaction_plot,
    johnson_neyman,
    mediation,
    regress,
    simple_slopes,
)
from nrel_research.analysis.regression import _wild_weights, _WildTest
from nrel_research.exceptions import DataError, DataQualityWarning, NrelError, SpecificationError

matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parents[1]
REF = json.loads((ROOT / "tests" / "reference" / "regression.json").read_text())
ATOL = 1e-10


@pytest.fixture(scope="module")
def firms():
    return pd.read_csv(ROOT / "data" / "simulated" / "firms.csv")


@pytest.fixture(scope="module")
def first(firms):
    return firms[firms["second_informant"] == 0]


def r_name(term: str) -> str:
    """patsy column name -> R coefficient name."""
    if term == "Intercept":
        return "(Intercept)"
    return re.sub(r"\[T\.([^\]]+)\]", r"\1", term)


def fit_case(name, firms, first, se, **kw):
    case = REF["cases"][name]
    data = first if case["data"] == "first" else firms
    cluster = case["cluster"] if se in ("cluster", "wild") else None
    return regress(case["formula"], data, se=se, cluster=cluster, **kw)


CASE_SE = [
    (name, se)
    for name, case in REF["cases"].items()
    for se in case["se"]
    if not (name == "cluster_sector" and se == "cluster")
]


def test_reference_records_versions():
    assert REF["versions"]["R"].startswith("R version 4.2.2")
    assert REF["versions"]["sandwich"] == "3.0.2"
    assert REF["versions"]["car"] == "3.1.1"


@pytest.mark.parametrize(("name", "se"), CASE_SE)
def test_coefficients_and_vcov_match_r(name, se, firms, first):
    res = fit_case(name, firms, first, se)
    ref = REF["cases"][name]
    inf = ref["se"][se]
    assert res.nobs == ref["nobs"]
    assert res.df_resid == ref["df_resid"]
    tab = res.coefficients()
    names = [r_name(t) for t in tab["term"]]
    assert sorted(names) == sorted(ref["coef"])
    np.testing.assert_allclose(tab["estimate"], [ref["coef"][n] for n in names], rtol=0, atol=ATOL)
    for col in ("se", "pvalue", "ci_lower", "ci_upper"):
        np.testing.assert_allclose(tab[col], [inf[col][n] for n in names], rtol=0, atol=ATOL)
    order = [list(ref["coef"]).index(n) for n in names]
    Vr = np.asarray(inf["vcov"])[np.ix_(order, order)]
    np.testing.assert_allclose(res.vcov.to_numpy(), Vr, rtol=0, atol=ATOL)


@pytest.mark.parametrize(("name", "se"), CASE_SE)
def test_fit_measures_match_r(name, se, firms, first):
    res = fit_case(name, firms, first, se)
    ref = REF["cases"][name]
    fm = res.fit_measures()
    for key in ("r2", "adj_r2", "sigma"):
        assert fm[key] == pytest.approx(ref[key], rel=0, abs=ATOL)
    f = ref["se"][se].get("f_test")
    if not f:
        assert np.isnan(fm["f_statistic"])
        return
    assert fm["f_statistic"] == pytest.approx(f["f_statistic"], rel=1e-8)
    assert fm["f_df1"] == f["f_df1"]
    assert fm["f_df2"] == f["f_df2"]
    assert fm["f_pvalue"] == pytest.approx(f["f_pvalue"], rel=1e-8, abs=1e-300)
    if "waldtest_f" in ref["se"][se]:  # lmtest::waldtest agrees with the Wald F in R too
        assert fm["f_statistic"] == pytest.approx(ref["se"][se]["waldtest_f"], rel=1e-8)


def test_classical_f_is_the_ols_f(first):
    res = regress(REF["cases"]["controls_fe"]["formula"], first, se="classical")
    assert res.fit_measures()["f_statistic"] == pytest.approx(res.model.fvalue, rel=1e-10)


@pytest.mark.parametrize("name", list(REF["cases"]))
def test_vif_matches_car(name, firms, first):
    res = fit_case(name, firms, first, "HC3")
    ref = REF["cases"][name]["vif"]
    if any(":" in t for t in ref["term"]):
        with pytest.warns(DataQualityWarning, match="interaction"):
            v = res.vif()
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            v = res.vif()
    v = v.set_index("term").loc[ref["term"]]
    np.testing.assert_allclose(v["vif"], ref["gvif"], rtol=1e-9, atol=0)
    np.testing.assert_array_equal(v["df"], ref["df"])
    np.testing.assert_allclose(v["gvif_adj"], ref["gvif_adj"], rtol=1e-9, atol=0)


@pytest.mark.parametrize("name", list(REF["cases"]))
def test_standardized_coefficients_match_r(name, firms, first):
    res = fit_case(name, firms, first, "HC3")
    ref = REF["cases"][name]["std_coef"]
    tab = res.coefficients()
    for term, std in zip(tab["term"], tab["std_estimate"], strict=True):
        if term == "Intercept":
            assert np.isnan(std)
        else:
            assert std == pytest.approx(ref[r_name(term)], abs=ATOL)


def test_standardized_equals_b_sd_ratio_without_interactions(first):
    res = regress("marketing_performance ~ R1 + E1 + log_employees + C(sector)", first)
    tab = res.coefficients().set_index("term")
    sd_y = first["marketing_performance"].std()
    for v in ("R1", "E1", "log_employees"):
        expected = tab.loc[v, "estimate"] * first[v].std() / sd_y
        assert tab.loc[v, "std_estimate"] == pytest.approx(expected, rel=1e-10)
    # a dummy: difference in outcome SDs
    d = "C(sector)[T.G]"
    assert tab.loc[d, "std_estimate"] == pytest.approx(tab.loc[d, "estimate"] / sd_y, rel=1e-10)


def test_standardized_is_nan_for_transformed_variables(first):
    res = regress("marketing_performance ~ np.exp(E1) + R1", first)
    assert res.coefficients()["std_estimate"].isna().all()
    assert any("transforms" in n for n in res.notes)


def test_listwise_deletion_drops_empty_levels_like_r(first):
    # E7 is asked only of B2B and mixed firms: B2C rows drop out, and so does their level
    res = regress(REF["cases"]["e7_listwise"]["formula"], first)
    assert res.nobs == REF["cases"]["e7_listwise"]["nobs"] == first["E7"].notna().sum()
    assert res.dropped == len(first) - res.nobs
    assert not any("B2C" in t for t in res.params.index)


def test_statsmodels_formula_api_agrees(first):
    f = REF["cases"]["market_interaction"]["formula"]
    sm_fit = smf.ols(f, first).fit(cov_type="HC3")
    res = regress(f, first)
    np.testing.assert_allclose(res.params.to_numpy(), sm_fit.params.to_numpy(), atol=1e-12)
    np.testing.assert_allclose(
        np.sqrt(np.diag(res.vcov)), sm_fit.bse.to_numpy(), rtol=0, atol=1e-12
    )


# ---------------------------------------------------------------- moderation


def test_simple_slopes_by_market_type_match_r(first):
    res = regress(REF["cases"]["market_interaction"]["formula"], first)
    ss = simple_slopes(res, "E1", "market_type").set_index("label")
    for level, ref in REF["simple_slopes_market"].items():
        for col, key in (("slope", "slope"), ("se", "se"), ("pvalue", "pvalue")):
            assert ss.loc[level, col] == pytest.approx(ref[key], abs=ATOL)


@pytest.mark.parametrize("se", ["HC3", "classical"])
def test_simple_slopes_continuous_and_johnson_neyman_match_r(se, first):
    ref = REF["continuous_moderation_probe"][se]
    res = regress(REF["cases"]["continuous_moderation"]["formula"], first, se=se)
    ss = simple_slopes(res, "E1", "relational_orientation")
    assert list(ss["label"]) == ["mean - 1 SD", "mean", "mean + 1 SD"]
    np.testing.assert_allclose(ss["moderator_value"], ref["at"], rtol=0, atol=ATOL)
    np.testing.assert_allclose(ss["slope"], ref["slope"], rtol=0, atol=ATOL)
    np.testing.assert_allclose(ss["se"], ref["se"], rtol=0, atol=ATOL)
    np.testing.assert_allclose(ss["pvalue"], ref["pvalue"], rtol=0, atol=ATOL)
    jn = johnson_neyman(res, "E1", "relational_orientation")
    np.testing.assert_allclose(jn.bounds, ref["bounds"], rtol=1e-9, atol=0)
    # a > 0: significant outside the two roots
    assert ref["a"] > 0
    assert jn.intervals["lower"].iloc[0] == -np.inf
    assert jn.intervals["upper"].iloc[-1] == np.inf
    # at a JN bound the slope's p-value is exactly alpha
    g = res.params
    V = res.vcov
    for m in jn.bounds:
        slope = g["E1"] + m * g["E1:relational_orientation"]
        var = (
            V.loc["E1", "E1"]
            + 2 * m * V.loc["E1", "E1:relational_orientation"]
            + m * m * V.loc["E1:relational_orientation", "E1:relational_orientation"]
        )
        p = 2 * stats.t.sf(abs(slope) / np.sqrt(var), res.df_inference)
        assert p == pytest.approx(0.05, abs=1e-10)


def _jn_case(beta_x, beta_xm, noise, seed):
    rng = np.random.default_rng(seed)
    n = 300
    m = rng.normal(size=n)
    x = rng.normal(size=n)
    y = beta_x * x + beta_xm * x * m + 0.3 * m + noise * rng.normal(size=n)
    return pd.DataFrame({"y": y, "x": x, "m": m})


@pytest.mark.parametrize(
    ("beta_x", "beta_xm", "noise"),
    [(0.0, 0.5, 1.0), (0.8, 0.05, 1.0), (0.0, 0.01, 3.0), (0.5, -0.4, 1.0)],
)
def test_johnson_neyman_regions_agree_with_pointwise_tests(beta_x, beta_xm, noise):
    res = regress("y ~ x * m", _jn_case(beta_x, beta_xm, noise, seed=11))
    jn = johnson_neyman(res, "x", "m", grid=401)

    def inside(v):
        return any(lo < v < hi for lo, hi in jn.intervals.itertuples(index=False))

    for v, sig in zip(jn.data["moderator"], jn.data["significant"], strict=True):
        if np.min(np.abs(v - jn.bounds), initial=np.inf) > 1e-6:
            assert inside(v) == bool(sig)


def test_johnson_neyman_result_shapes(first):
    res = regress(REF["cases"]["continuous_moderation"]["formula"], first)
    jn = johnson_neyman(res, "E1", "relational_orientation", grid=50)
    assert list(jn.data.columns) == [
        "moderator",
        "slope",
        "se",
        "ci_lower",
        "ci_upper",
        "significant",
    ]
    assert len(jn.data) == 50
    assert jn.observed_range[0] == first["relational_orientation"].min()
    fig = jn.plot()
    assert isinstance(fig, matplotlib.figure.Figure)
    matplotlib.pyplot.close(fig)


def test_interaction_plot_returns_figure(first):
    res = regress(REF["cases"]["continuous_moderation"]["formula"], first)
    fig = interaction_plot(res, "E1", "relational_orientation")
    assert isinstance(fig, matplotlib.figure.Figure)
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert labels[0].startswith("mean - 1 SD")
    matplotlib.pyplot.close(fig)


def test_probe_errors(first):
    res = regress(REF["cases"]["market_interaction"]["formula"], first)
    with pytest.raises(SpecificationError, match="categorical"):
        johnson_neyman(res, "E1", "market_type")
    with pytest.raises(SpecificationError, match="not a variable"):
        simple_slopes(res, "E1", "relational_orientation")
    with pytest.raises(SpecificationError, match="continuous predictor"):
        simple_slopes(res, "market_type", "E1")
    res2 = regress("marketing_performance ~ E1 + relational_orientation", first)
    with pytest.raises(SpecificationError, match="no 'E1' x 'relational_orientation'"):
        johnson_neyman(res2, "E1", "relational_orientation")
    res3 = regress("marketing_performance ~ E1 * relational_orientation + I(E1**2)", first)
    with pytest.raises(SpecificationError, match="nonlinearly"):
        simple_slopes(res3, "E1", "relational_orientation")
    wild = regress(
        "marketing_performance ~ E1 * relational_orientation",
        first,
        se="wild",
        cluster="sector",
        seed=1,
        n_boot=199,
    )
    with pytest.raises(SpecificationError, match="wild"):
        simple_slopes(wild, "E1", "relational_orientation")


# ---------------------------------------------------------------- clusters


def test_cluster_refused_with_few_clusters(first):
    with pytest.raises(DataError, match=r"only 7 clusters.*se='wild'.*C\(sector\)"):
        regress(REF["cases"]["cluster_sector"]["formula"], first, se="cluster", cluster="sector")


def test_cr1_with_few_clusters_matches_r_when_forced(first):
    ref = REF["cases"]["cluster_sector"]
    res = regress(ref["formula"], first, se="cluster", cluster="sector", min_clusters=2)
    assert res.n_clusters == ref["n_clusters"] == 7
    assert res.df_inference == 6
    tab = res.coefficients()
    names = [r_name(t) for t in tab["term"]]
    np.testing.assert_allclose(
        tab["se"], [ref["se"]["cluster"]["se"][n] for n in names], rtol=0, atol=ATOL
    )
    np.testing.assert_allclose(
        tab["pvalue"], [ref["se"]["cluster"]["pvalue"][n] for n in names], rtol=0, atol=ATOL
    )


def _brute_force_wcr_pvalue(X, y, g, k, b0, V):
    """Restricted wild cluster bootstrap-t, refitting every replication (the definition)."""
    n, p = X.shape
    G = V.shape[0]
    adj = G / (G - 1) * (n - 1) / (n - p)

    def cr1(Xm, yv):
        xtxi = np.linalg.inv(Xm.T @ Xm)
        b = xtxi @ Xm.T @ yv
        e = yv - Xm @ b
        S = np.zeros((G, p))
        np.add.at(S, g, Xm * e[:, None])
        return b, np.sqrt(adj * (xtxi @ S.T @ S @ xtxi)[k, k])

    b, se = cr1(X, y)
    t = (b[k] - b0) / se
    others = [j for j in range(p) if j != k]
    yr = y - b0 * X[:, k]
    br, *_ = np.linalg.lstsq(X[:, others], yr, rcond=None)
    fitted = X[:, others] @ br + b0 * X[:, k]
    ur = y - fitted
    count = 0
    for j in range(V.shape[1]):
        ystar = fitted + V[g, j] * ur
        bs, ses = cr1(X, ystar)
        count += abs((bs[k] - b0) / ses) >= abs(t) * (1 - 1e-12)
    return count / V.shape[1], b[k], se


def _clustered_data(rng, G, beta=0.0):
    sizes = rng.integers(5, 60, G)
    g = np.repeat(np.arange(G), sizes)
    n = len(g)
    x = rng.normal(size=G)[g] + 0.3 * rng.normal(size=n)
    z = rng.normal(size=n)
    y = 1.0 + beta * x + 0.2 * z + rng.normal(size=G)[g] + rng.normal(size=n)
    return g, np.column_stack([np.ones(n), x, z]), y


def test_fast_wild_bootstrap_equals_brute_force():
    rng = np.random.default_rng(5)
    g, X, y = _clustered_data(rng, G=9, beta=0.3)
    D = np.zeros((len(g), 9))
    D[np.arange(len(g)), g] = 1
    W = _wild_weights(9, 299, "webb", rng)
    for k in (1, 2):
        for b0 in (0.0, 0.25):
            p_brute, bk, se = _brute_force_wcr_pvalue(X, y, g, k, b0, W)
            adj = 9 / 8 * (len(g) - 1) / (len(g) - 3)
            fast = _WildTest(X, y, D, k, bk, se, adj, W)
            assert fast.pvalue(b0) == pytest.approx(p_brute, abs=1e-12)


@pytest.mark.parametrize("G", [6, 8, 10])
def test_wild_bootstrap_size_coverage_and_cr1_over_rejection(G):
    """Simulation with known truth: 6-10 unbalanced clusters, a cluster-level regressor.

    Testing the true slope (0.5): the wild cluster bootstrap rejects near the nominal 5% and
    its test-inverted 95% interval covers the truth near 95% of the time, while CR1 with t on
    G - 1 df rejects about three times too often (seeded; ~1.5 s per G).
    """
    rng = np.random.default_rng(2024)
    reps, beta = 600, 0.5
    rej_wild = rej_cr1 = covered = 0
    for _ in range(reps):
        g, X, y = _clustered_data(rng, G, beta=beta)
        n = len(g)
        D = np.zeros((n, G))
        D[np.arange(n), g] = 1
        xtxi = np.linalg.inv(X.T @ X)
        b = xtxi @ X.T @ y
        e = y - X @ b
        S = D.T @ (X * e[:, None])
        adj = G / (G - 1) * (n - 1) / (n - 3)
        se = np.sqrt(adj * (xtxi @ S.T @ S @ xtxi)[1, 1])
        rej_cr1 += 2 * stats.t.sf(abs((b[1] - beta) / se), G - 1) < 0.05
        W = _wild_weights(G, 399, "webb", rng)
        test = _WildTest(X, y, D, 1, b[1], se, adj, W)
        rej_wild += test.pvalue(beta) < 0.05
        lo, hi = test.ci(0.95)
        covered += lo <= beta <= hi
    # Monte Carlo SE of a 5% rate over 600 replications is 0.009
    assert 0.025 <= rej_wild / reps <= 0.08
    assert 0.92 <= covered / reps <= 0.975
    assert rej_cr1 / reps >= 0.11
    assert rej_cr1 > rej_wild * 1.8


def test_wild_through_regress_is_seeded_and_inverts(first):
    f = "marketing_performance ~ E1 + log_employees + C(market_type)"
    a = regress(f, first, se="wild", cluster="sector", seed=3, n_boot=999)
    b = regress(f, first, se="wild", cluster="sector", seed=3, n_boot=999)
    c = regress(f, first, se="wild", cluster="sector", seed=4, n_boot=999)
    pd.testing.assert_frame_equal(a.coefficients(), b.coefficients())
    assert not a.coefficients()["pvalue"].equals(c.coefficients()["pvalue"])
    assert a.wild.attrs == {"weights": "webb", "n_boot": 999}
    # the interval is the set of nulls not rejected: p(bound) crosses alpha there
    X = np.asarray(a.model.model.exog)
    y = np.asarray(a.model.model.endog)
    codes = pd.factorize(a.data["sector"])[0]
    D = np.zeros((len(y), 7))
    D[np.arange(len(y)), codes] = 1
    rng = np.random.default_rng(3)
    W = _wild_weights(7, 999, "webb", rng)
    k = list(a.params.index).index("E1")
    se = np.sqrt(a.vcov.iloc[k, k])
    adj = 7 / 6 * (len(y) - 1) / (len(y) - X.shape[1])
    t = _WildTest(X, y, D, k, a.params.iloc[k], se, adj, W)
    row = a.coefficients().set_index("term").loc["E1"]
    assert t.pvalue(0.0) == row["pvalue"]
    eps = 1e-6 * se
    assert t.pvalue(row["ci_lower"] + eps) >= 0.05 > t.pvalue(row["ci_lower"] - eps)
    assert t.pvalue(row["ci_upper"] - eps) >= 0.05 > t.pvalue(row["ci_upper"] + eps)
    assert "wild cluster bootstrap" in str(a.summary())
    assert np.isnan(a.fit_measures()["f_statistic"])


def test_wild_rademacher_enumerates_small_g(first):
    f = "marketing_performance ~ E1"
    a = regress(f, first, se="wild", cluster="sector", weights="rademacher", seed=1)
    b = regress(f, first, se="wild", cluster="sector", weights="rademacher", seed=99)
    assert a.wild.attrs["n_boot"] == 2**7
    pd.testing.assert_frame_equal(a.coefficients(), b.coefficients())


def test_wild_marks_cluster_level_fixed_effects(first):
    res = regress(
        "marketing_performance ~ E1 + C(sector)", first, se="wild", cluster="sector", seed=1
    )
    tab = res.coefficients().set_index("term")
    assert np.isfinite(tab.loc["E1", "pvalue"])
    assert tab.loc["C(sector)[T.G]", ["se", "pvalue"]].isna().all()
    assert any("constant within the clusters" in n for n in res.notes)
    assert tab.loc["Intercept", ["se", "pvalue"]].isna().all()


def test_cluster_by_firm_with_second_informants(firms):
    res = regress("marketing_performance ~ E1", firms, se="cluster", cluster="firm_id")
    assert res.n_clusters == firms["firm_id"].nunique() == 600
    assert res.df_inference == 599


# ---------------------------------------------------------------- mediation


@pytest.fixture(scope="module")
def med(first):
    return mediation(
        first,
        x="relational_orientation",
        m=["E1", "E4"],
        y="customer_relationship_performance",
        covar="log_employees",
        n_boot=500,
        seed=11,
    )


def test_mediation_matches_sem_engine_and_ols(med, first):
    np.testing.assert_allclose(med["estimate"], med["sem_estimate"], rtol=0, atol=1e-8)
    t = med.set_index(["path", med["mediator"].fillna("")])["estimate"]
    a = smf.ols("E1 ~ relational_orientation + log_employees", first).fit().params
    full = smf.ols(
        "customer_relationship_performance ~ relational_orientation + E1 + E4 + log_employees",
        first,
    ).fit()
    total = smf.ols(
        "customer_relationship_performance ~ relational_orientation + log_employees", first
    ).fit()
    assert t[("a", "E1")] == pytest.approx(a["relational_orientation"], abs=1e-12)
    assert t[("b", "E1")] == pytest.approx(full.params["E1"], abs=1e-12)
    assert t[("direct", "")] == pytest.approx(full.params["relational_orientation"], abs=1e-12)
    assert t[("total", "")] == pytest.approx(total.params["relational_orientation"], abs=1e-12)
    assert t[("indirect", "E1")] == pytest.approx(t[("a", "E1")] * t[("b", "E1")], abs=1e-12)
    indirect = t[("indirect", "E1")] + t[("indirect", "E4")]
    assert t[("total", "")] == pytest.approx(t[("direct", "")] + indirect, abs=1e-12)
    assert list(med["ci_method"].unique()) == ["t", "bootstrap_bc"]
    assert med.attrs["nobs"] == len(first)


def test_mediation_cis_bootstrap_vs_delta_method(med):
    ind = med[med["path"] == "indirect"]
    # same target, different method: bootstrap SD close to the delta-method SE, intervals
    # overlap almost entirely; the bootstrap interval is asymmetric around the estimate
    np.testing.assert_allclose(ind["se"], ind["sem_se"], rtol=0.25)
    width = ind["ci_upper"] - ind["ci_lower"]
    sem_width = ind["sem_ci_upper"] - ind["sem_ci_lower"]
    np.testing.assert_allclose(width, sem_width, rtol=0.3)
    # paths: OLS t intervals vs ML Wald intervals differ only by N vs N - k
    paths = med[med["path"] != "indirect"]
    np.testing.assert_allclose(paths["se"], paths["sem_se"], rtol=0.02)


def test_mediation_is_seeded(first):
    args = dict(x="relational_orientation", m="E1", y="customer_relationship_performance")
    a = mediation(first, **args, n_boot=200, seed=5, check_sem=False)
    b = mediation(first, **args, n_boot=200, seed=5, check_sem=False)
    c = mediation(first, **args, n_boot=200, seed=6, check_sem=False)
    pd.testing.assert_frame_equal(a, b)
    assert not a["ci_lower"].equals(c["ci_lower"])
    assert "sem_estimate" not in a.columns


def test_mediation_errors(first):
    with pytest.raises(DataError, match="'nope'"):
        mediation(first, x="nope", m="E1", y="marketing_performance")
    with pytest.raises(DataError, match=r"'sector'.*not numeric"):
        mediation(first, x="E1", m="E4", y="marketing_performance", covar="sector")
    with pytest.raises(SpecificationError, match="distinct"):
        mediation(first, x="E1", m="E1", y="marketing_performance")
    with pytest.raises(DataError, match="too few complete rows"):
        mediation(first.head(4), x="E1", m="E4", y="marketing_performance", covar="R1")


# ---------------------------------------------------------------- bad input


def test_absent_column_is_named(first):
    with pytest.raises(DataError, match=r"names 'E99', which is not a column of firms\.csv"):
        regress("marketing_performance ~ E1 + E99", first, data_name="firms.csv")


def test_non_numeric_outcome(first):
    with pytest.raises(DataError, match=r"outcome column 'sector' .* not numeric.*'Q'"):
        regress("sector ~ E1", first)


def test_too_few_rows(first):
    with pytest.raises(DataError, match=r"too few rows: 5 complete row\(s\) .* 8 coefficients"):
        regress(
            "marketing_performance ~ E1 + C(sector) + R1 + E4 + L1", first.iloc[[0, 1, 2, 3, 4]]
        )


def test_cluster_with_missing_values(first):
    data = first.copy()
    data.loc[data.index[[3, 8]], "sector"] = np.nan
    with pytest.raises(
        DataError, match=r"cluster column 'sector' .* 2 missing value\(s\) \(rows 3, 8\)"
    ):
        regress("marketing_performance ~ E1", data, se="wild", cluster="sector")


def test_unknown_se_option(first):
    with pytest.raises(SpecificationError, match=r"se='HC9' is not valid.*'HC3'"):
        regress("marketing_performance ~ E1", first, se="HC9")
    # case-insensitive spelling is accepted
    assert regress("marketing_performance ~ E1", first, se="hc1").se_type == "HC1"


def test_cluster_argument_consistency(first):
    with pytest.raises(SpecificationError, match="needs cluster="):
        regress("marketing_performance ~ E1", first, se="cluster")
    with pytest.raises(SpecificationError, match="only with se='cluster'"):
        regress("marketing_performance ~ E1", first, cluster="sector")
    with pytest.raises(DataError, match="'nope'"):
        regress("marketing_performance ~ E1", first, se="cluster", cluster="nope")
    few = first[first["sector"].isin(["G", "C", "J", "I"])]
    with pytest.raises(DataError, match="wild cluster bootstrap needs at least 5"):
        regress("marketing_performance ~ E1", few, se="wild", cluster="sector")


def test_collinear_and_leverage_one(first):
    data = first.copy()
    data["E1_copy"] = 2 * data["E1"]
    with pytest.raises(DataError, match="perfectly collinear"):
        regress("marketing_performance ~ E1 + E1_copy", data)
    lone = first.copy()
    lone.loc[lone.index[0], "sector"] = "Z"
    with pytest.raises(DataError, match=r"leverage 1.*merge rare levels"):
        regress("marketing_performance ~ E1 + C(sector)", lone)
    # HC1 does not divide by 1 - h and is computed
    assert regress("marketing_performance ~ E1 + C(sector)", lone, se="HC1").nobs == 600


def test_bad_formula(first):
    with pytest.raises(SpecificationError, match="not a regression formula"):
        regress("marketing_performance E1", first)
    with pytest.raises(SpecificationError, match="cannot parse"):
        regress("marketing_performance ~ E1 +", first)
    with pytest.raises(SpecificationError, match="level"):
        regress("marketing_performance ~ E1", first, level=1.5)


def test_errors_are_nrel_errors():
    assert issubclass(DataError, NrelError)
    assert issubclass(SpecificationError, NrelError)


# ---------------------------------------------------------------- API


def test_public_names_and_summary(first):
    for name in ("regress", "simple_slopes", "johnson_neyman", "interaction_plot", "mediation"):
        assert name in analysis.__all__
    res = regress("marketing_performance ~ E1 * C(market_type)", first)
    assert isinstance(res, RegressionResult)
    text = str(res.summary())
    assert "HC3" in text
    assert "E1:C(market_type)[T.B2C]" in text
    assert "<table" in res.summary()._repr_html_()
    # the plain-text display (consoles, text exports of notebooks) is the summary, as SEMSummary
    assert repr(res.summary()) == text
    assert list(res.coefficients().columns) == [
        "term",
        "estimate",
        "se",
        "statistic",
        "df",
        "pvalue",
        "ci_lower",
        "ci_upper",
        "std_estimate",
    ]
    assert "N=600" in repr(res)


def test_regress_on_scored_responses():
    """The data layer's scores (nullable dtypes, categorical sector with unused ISIC codes)."""
    from nrel_research.data import load_bundled_study, score

    scores = score(load_bundled_study().responses)
    f = "marketing_performance ~ R1 + E1 + E4 + L1 + C(sector) + C(market_type)"
    res = regress(f, scores, data_name="scores")
    cols = ["marketing_performance", "R1", "E1", "E4", "L1", "sector", "market_type"]
    complete = scores[cols].dropna()
    assert res.nobs == len(complete)
    plain = complete.astype({"sector": str, "market_type": str})
    sm_fit = smf.ols(f, plain).fit(cov_type="HC3")
    np.testing.assert_allclose(res.params.to_numpy(), sm_fit.params.to_numpy(), atol=1e-12)
    # only the sectors present in the data get a dummy
    assert sum(t.startswith("C(sector)") for t in res.params.index) == plain["sector"].nunique() - 1
    with pytest.raises(NrelError, match="min_clusters"):
        regress(f, scores, se="cluster", cluster="firm_id", min_clusters=0)


def test_wild_agrees_with_cr1_when_clusters_are_many(firms):
    """With 600 firm clusters both are valid: p-values and intervals nearly coincide."""
    f = "marketing_performance ~ E1 + log_employees"
    wild = regress(f, firms, se="wild", cluster="firm_id", seed=2, n_boot=999)
    cr1 = regress(f, firms, se="cluster", cluster="firm_id")
    assert wild.wild.attrs["weights"] == "rademacher"
    assert any("also reliable" in n for n in wild.notes)
    w, c = wild.coefficients(), cr1.coefficients()
    np.testing.assert_allclose(w["se"], c["se"], rtol=1e-12)
    np.testing.assert_allclose(w["pvalue"], c["pvalue"], atol=0.03)
    width = c["ci_upper"] - c["ci_lower"]
    np.testing.assert_allclose(w["ci_lower"], c["ci_lower"], atol=0.05 * width.max())
    np.testing.assert_allclose(w["ci_upper"], c["ci_upper"], atol=0.05 * width.max())


def test_repeated_row_labels_are_handled(first):
    doubled = pd.concat([first, first])  # every index label twice
    res = regress("marketing_performance ~ E1", doubled, se="cluster", cluster="firm_id")
    assert res.nobs == 2 * len(first)
    assert res.n_clusters == len(first)
    single = regress("marketing_performance ~ E1", first)
    np.testing.assert_allclose(res.params, single.params, atol=1e-12)
    assert list(res.data.index[:3]) == list(first.index[:3])
