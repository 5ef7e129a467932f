"""Post-level analysis (P8): NB2 engagement model and survey/post triangulation.

Oracles
-------
- R: ``tests/reference/posts_nb.R`` -> ``posts_nb.json`` (MASS::glm.nb, sandwich::vcovCL
  with type = "HC1"; versions recorded in the file), on the bundled simulated posts and the
  coding layer's illustrative posts (the committed CSV files, read by both sides).
- Simulation with known truth: the simulator's NB2 coefficients (estimand (c) of
  ``nrel_research.data.simulate``), recovered in a seeded Monte Carlo.
- scipy / pingouin for the triangulation correlations.
"""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pingouin as pg
import pytest
from scipy import stats

from nrel_research import coding, data, instruments
from nrel_research.analysis import EngagementModelResult, engagement_model, triangulate
from nrel_research.exceptions import ConvergenceWarning, DataError, DataQualityWarning

ROOT = Path(__file__).resolve().parents[1]
REF = json.loads((ROOT / "tests" / "reference" / "posts_nb.json").read_text(encoding="utf-8"))

# MASS::glm.nb was run to epsilon = 1e-12; both sides agree to ~1e-11 in practice.
COEF_TOL = {"rtol": 1e-7, "atol": 1e-8}
SE_TOL = {"rtol": 1e-6, "atol": 1e-9}
# MASS reports SE(theta) from the information at the iterate *before* theta.ml's last
# Newton step (its step tolerance is .Machine$double.eps^0.25), we at the final theta:
# the two differ by ~1e-5 relative.
THETA_SE_TOL = {"rtol": 1e-4, "atol": 0}
LL_TOL = {"rtol": 1e-10, "atol": 1e-6}


def _load(case: dict) -> pd.DataFrame:
    return pd.read_csv(ROOT / case["data"])


def _fit(case: dict) -> EngagementModelResult:
    covs = tuple(case["covariates"])
    return engagement_model(
        _load(case),
        outcome=case["outcome"],
        action=case["action"],
        reference=case["reference"],
        covariates=covs,
        references=case["references"],
        cluster="firm_id",
    )


@pytest.fixture(scope="module")
def fits() -> dict[str, EngagementModelResult]:
    return {name: _fit(case) for name, case in REF["cases"].items()}


def _small_posts(n=400, n_firms=30, seed=0):
    rng = np.random.default_rng(seed)
    df = pd.DataFrame(
        {
            "firm_id": [f"F{i:02d}" for i in rng.integers(0, n_firms, n)],
            "platform": rng.choice(["fb", "ig", "li"], n),
            "action": rng.choice(["R1", "R2", "E4", "L1"], n),
            "followers": rng.integers(200, 20000, n),
        }
    )
    mu = np.exp(-3 + 0.7 * np.log(df["followers"]) + 0.5 * (df["action"] == "E4"))
    df["likes"] = rng.poisson(rng.gamma(1 / 0.8, 0.8 * mu))
    return df


# ---------------------------------------------------------------------------------------
# R oracle
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", list(REF["cases"]))
def test_matches_mass_glm_nb_and_sandwich(fits, name):
    case = REF["cases"][name]
    fit = fits[name]
    terms = case["terms"]
    assert sorted(terms) == sorted(fit.terms)
    np.testing.assert_allclose(fit.params[terms], case["estimate"], **COEF_TOL)
    model_se = np.sqrt(np.diag(fit.vcov_model.loc[terms, terms]))
    np.testing.assert_allclose(model_se, case["se"], **SE_TOL)
    assert fit.cov_type == "cluster"
    np.testing.assert_allclose(fit.bse[terms], case["se_cluster"], **SE_TOL)
    np.testing.assert_allclose(
        fit.vcov_cluster.loc[terms, terms].to_numpy(), np.array(case["vcov_cluster"]), **SE_TOL
    )
    np.testing.assert_allclose(fit.theta, case["theta"], **COEF_TOL)
    np.testing.assert_allclose(fit.theta_se, case["theta_se"], **THETA_SE_TOL)
    np.testing.assert_allclose(fit.loglik, case["loglik"], **LL_TOL)
    np.testing.assert_allclose(fit.loglik_poisson, case["loglik_poisson"], **LL_TOL)
    assert fit.df_model == case["df_loglik"]
    np.testing.assert_allclose(fit.aic, case["aic"], **LL_TOL)
    np.testing.assert_allclose(fit.bic, case["bic"], **LL_TOL)
    od = fit.overdispersion_test().iloc[0]
    np.testing.assert_allclose(od["statistic"], case["lr_overdispersion"], rtol=1e-9)
    np.testing.assert_allclose(od["pvalue"], case["p_overdispersion"], rtol=1e-6, atol=1e-300)
    assert (fit.n_posts, fit.n_firms, fit.n_clusters) == (
        case["n_posts"],
        case["n_firms"],
        case["n_firms"],
    )
    assert fit.converged and case["converged"]


@pytest.mark.parametrize("name", list(REF["cases"]))
def test_action_wald_test_matches_r(fits, name):
    case = REF["cases"][name]
    fit = fits[name]
    for cov_type, key in (("cluster", "wald_action_cluster"), ("model", "wald_action_model")):
        if cov_type == "model":
            fit = engagement_model(
                _load(case),
                outcome=case["outcome"],
                action=case["action"],
                covariates=tuple(case["covariates"]),
                references=case["references"],
                cluster=None,
            )
            assert fit.cov_type == "model"
        got = fit.action_test().iloc[0]
        ref = case[key]
        assert got["df"] == ref["df"]
        np.testing.assert_allclose(got["statistic"], ref["statistic"], rtol=1e-6)
        np.testing.assert_allclose(got["pvalue"], ref["pvalue"], rtol=1e-4, atol=1e-300)


def test_irr_table_is_tidy_and_consistent(fits):
    fit = fits["simulated_likes"]
    t = fit.irr(level=0.9)
    assert list(t.columns) == [
        "term",
        "kind",
        "level",
        "estimate",
        "se",
        "z",
        "pvalue",
        "irr",
        "ci_lower",
        "ci_upper",
    ]
    assert "intercept" not in set(t["term"])
    assert set(t.loc[t["kind"] == "action", "level"]) == {
        "R2",
        "E1",
        "E2",
        "E3",
        "E4",
        "E5",
        "E6",
        "E7",
        "L1",
    }
    z = stats.norm.ppf(0.95)
    np.testing.assert_allclose(t["irr"], np.exp(t["estimate"]), rtol=1e-12)
    np.testing.assert_allclose(t["ci_lower"], np.exp(t["estimate"] - z * t["se"]), rtol=1e-12)
    np.testing.assert_allclose(
        t["pvalue"], 2 * stats.norm.sf(np.abs(t["estimate"] / t["se"])), rtol=1e-12
    )
    full = fit.irr(intercept=True)
    assert full["term"].iloc[0] == "intercept"
    d = fit.dispersion().set_index("parameter")
    np.testing.assert_allclose(d.loc["alpha", "estimate"], 1 / fit.theta, rtol=1e-12)
    np.testing.assert_allclose(d.loc["alpha", "se"], fit.theta_se / fit.theta**2, rtol=1e-12)
    assert d.loc["theta", "ci_lower"] < fit.theta < d.loc["theta", "ci_upper"]
    text = str(fit.summary())
    assert "NB2" in text and "action_E4" in text and "CR1" in text
    assert "<pre>" in fit.summary()._repr_html_()
    fm = fit.fit_measures()
    assert fm["n_posts"] == 5298 and fm["npar"] == len(fit.terms) + 1


# ---------------------------------------------------------------------------------------
# recovery of the simulator's truth
# ---------------------------------------------------------------------------------------
def _truth(study_truth: pd.DataFrame, outcome: str) -> dict[str, float]:
    t = study_truth[(study_truth["part"] == "count") & (study_truth["lhs"] == outcome)]
    out = {}
    for r in t.itertuples():
        key = "intercept" if r.op == "~1" else ("alpha" if r.op == "alpha" else r.rhs)
        out[key] = float(r.est)
    return out


def test_bundled_study_estimates_are_near_the_true_coefficients(fits):
    """Each true coefficient lies within 4 (cluster-robust) SEs of the bundled estimate.

    One data set: a coefficient outside 4 SEs has probability < 1e-4 under a correct
    estimator (about 0.3% for any of the 48 coefficients), so this catches a wrong model
    (e.g. a wrong reference level or a lost platform term), not sampling noise.
    """
    truth_table = pd.read_csv(ROOT / "data" / "simulated" / "truth.csv")
    for outcome in ("likes", "comments", "shares"):
        fit = fits[f"simulated_{outcome}"]
        truth = _truth(truth_table, outcome)
        for term in fit.terms:
            z = (fit.params[term] - truth[term]) / fit.bse[term]
            assert abs(z) < 4, (outcome, term, fit.params[term], truth[term])
        assert abs(fit.alpha - truth["alpha"]) < 4 * fit.alpha_se


def test_monte_carlo_recovery_and_coverage():
    """Seeded Monte Carlo on the simulator: unbiased coefficients, ~95% CI coverage.

    12 studies of 200 firms (~1,800 posts each), all three counts. Bias of each
    coefficient and of alpha is below 4 Monte Carlo standard errors (mean SE / sqrt(12));
    pooled coverage of the 95% cluster-robust intervals (612 intervals) is in
    [0.90, 0.985] (binomial sd ~0.009 around 0.95, widened for the correlation of
    intervals within a study).
    """
    reps = 12
    rows = []
    for rep in range(reps):
        study = data.simulate_study(n_firms=200, seed=5000 + rep, careless=False, missing=False)
        for outcome in ("likes", "comments", "shares"):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DataQualityWarning)  # rare types in small draws
                fit = engagement_model(study.posts, outcome=outcome)
            assert fit.converged
            truth = _truth(study.truth, outcome)
            for term in fit.terms:
                rows.append((outcome, term, fit.params[term], fit.bse[term], truth[term]))
            rows.append((outcome, "alpha", fit.alpha, fit.alpha_se, truth["alpha"]))
    mc = pd.DataFrame(rows, columns=["outcome", "term", "est", "se", "true"])
    mc["covered"] = (mc["est"] - mc["true"]).abs() <= 1.959964 * mc["se"]
    g = mc.groupby(["outcome", "term"]).agg(
        est=("est", "mean"), se=("se", "mean"), true=("true", "first"), n=("est", "size")
    )
    assert (g["n"] == reps).all()
    z = (g["est"] - g["true"]) / (g["se"] / math.sqrt(reps))
    assert z.abs().max() < 4, z.abs().sort_values().tail()
    assert 0.90 <= mc["covered"].mean() <= 0.985


# ---------------------------------------------------------------------------------------
# behaviour and errors
# ---------------------------------------------------------------------------------------
def test_log_covariate_and_platform_options():
    df = _small_posts()
    a = engagement_model(df)
    df2 = df.assign(log_followers=np.log(df["followers"]))
    b = engagement_model(df2)
    np.testing.assert_allclose(a.params, b.params, rtol=1e-10)
    c = engagement_model(df, platform=False, reference="E4", cluster=None)
    assert not any(t.startswith("platform_") for t in c.terms)
    assert c.reference == "E4" and "action_R1" in c.terms and c.cov_type == "model"
    d = engagement_model(df, references={"platform": "li"})
    assert "platform_fb" in d.terms and d.references == {"platform": "li"}
    np.testing.assert_allclose(d.loglik, a.loglik, rtol=1e-9)  # reparametrisation


def test_missing_values_are_dropped_with_a_warning():
    df = _small_posts()
    df.loc[[3, 7], "likes"] = np.nan
    with pytest.warns(DataQualityWarning, match="2 of 400 posts"):
        fit = engagement_model(df)
    assert fit.n_posts == 398 and fit.n_dropped == 2
    assert any("listwise" in w for w in fit.warnings)
    # rows are named as in the table passed (CSV line = position + 2), after deletion too
    df.loc[9, "likes"] = -4
    with pytest.raises(DataError, match="row 11 \\(index 9\\)"):
        engagement_model(df)


def test_clusters_other_than_firms_and_too_few_clusters():
    df = _small_posts()
    with pytest.warns(DataQualityWarning, match="only 3 clusters in 'platform'"):
        fit = engagement_model(df, cluster="platform")
    assert fit.cov_type == "model" and fit.n_clusters == 3 and fit.n_firms == 30


@pytest.mark.parametrize(
    ("change", "match"),
    [
        (lambda d: d.drop(columns="likes"), "lacks column"),
        (lambda d: d.drop(columns="followers"), "lacks column"),
        (lambda d: d.assign(likes=d["likes"].astype(float).where(d.index != 5, -1.0)), "row 7"),
        (lambda d: d.assign(likes=d["likes"].astype(float).where(d.index != 5, 2.5)), "whole"),
        (lambda d: d.assign(likes=d["likes"].astype(object).where(d.index != 5, "x")), "number"),
        (lambda d: d.assign(action=d["action"].where(d.index != 0, "Z9")), "not an N-REL"),
        (lambda d: d.assign(action="E4"), "nothing to compare"),
        (lambda d: d.assign(followers=d["followers"].where(d.index != 2, 0)), "needs values > 0"),
        (lambda d: d.assign(likes=d["likes"].where(d["action"] != "L1", 0)), "minus infinity"),
        (lambda d: d.assign(extra=1.0), "collinear"),
    ],
)
def test_bad_input_raises_a_clear_error(change, match):
    df = change(_small_posts())
    covs = ("log_followers", "extra") if "extra" in df.columns else ("log_followers",)
    with pytest.raises(DataError, match=match):
        engagement_model(df, covariates=covs)


def test_reference_and_category_errors():
    df = _small_posts()
    with pytest.raises(DataError, match="reference action type 'E1' has no post"):
        engagement_model(df, reference="E1")
    cat = df.assign(action=pd.Categorical(df["action"], categories=["R1", "R2", "E4", "L1", "E1"]))
    with pytest.raises(DataError, match="'E1' have no post"):
        engagement_model(cat)
    with pytest.raises(DataError, match="reference level 'yt'"):
        engagement_model(df, references={"platform": "yt"})
    with pytest.raises(DataError, match="reference="):
        engagement_model(df, references={"action": "E4"})
    lower = engagement_model(df.assign(action=df["action"].str.lower()))
    np.testing.assert_allclose(lower.params, engagement_model(df).params, rtol=1e-12)
    with pytest.raises(DataError, match="not categorical terms"):
        engagement_model(df, references={"format": "text"})
    with pytest.raises(DataError, match="DataFrame"):
        engagement_model(df.to_dict())


def test_few_posts_and_few_clusters_warn():
    df = _small_posts()
    df.loc[df.index[:3], "action"] = "E6"
    with pytest.warns(DataQualityWarning, match="fewer than 10 posts: E6 \\(3\\)"):
        engagement_model(df)
    few = _small_posts(n_firms=8)
    with pytest.warns(DataQualityWarning, match="only 8 clusters"):
        fit = engagement_model(few)
    assert fit.cov_type == "model" and fit.vcov_cluster is None and fit.n_clusters == 8
    # the threshold is a documented keyword
    fit = engagement_model(few, min_clusters=5)
    assert fit.cov_type == "cluster"


def test_non_convergence_and_boundary_are_warned_not_silent():
    df = _small_posts()
    with pytest.warns(ConvergenceWarning, match="did not converge"):
        fit = engagement_model(df, maxiter=1)
    assert not fit.converged and fit.warnings
    rng = np.random.default_rng(3)
    under = df.assign(likes=rng.binomial(20, 0.5, len(df)))  # underdispersed counts
    with pytest.warns(ConvergenceWarning, match="no overdispersion"):
        fit = engagement_model(under)
    assert fit.alpha < 1e-6


# ---------------------------------------------------------------------------------------
# triangulation
# ---------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def tri_inputs():
    study = data.load_bundled_study()
    mix = coding.action_mix(study.posts, code="action")
    scores = data.score(study.responses)
    return mix, scores


def _pairs(mix, scores, code, survey_col, min_posts=5, informants="mean"):
    m = mix[(mix["n_posts"] - mix["n_uncoded"]) >= min_posts][["firm_id", f"share_{code}"]]
    s = scores[["firm_id", survey_col]].copy()
    s[survey_col] = s[survey_col].astype(float)
    s = (
        s.groupby("firm_id", as_index=False).mean()
        if informants == "mean"
        else s.drop_duplicates("firm_id")
    )
    j = m.merge(s, on="firm_id").dropna()
    return j[f"share_{code}"].to_numpy(), j[survey_col].to_numpy()


def test_triangulation_pearson_matches_scipy_and_pingouin(tri_inputs):
    mix, scores = tri_inputs
    tri = triangulate(mix, scores)
    bank = instruments.load_item_bank()
    assert list(tri["action"]) == ["R1", "R2", "E1", "E2", "E3", "E4", "E5", "E6", "E7", "L1"]
    for row in tri.itertuples():
        assert row.construct_name == bank.construct(row.construct).name
        x, y = _pairs(mix, scores, row.action, row.survey)
        assert row.n == len(x)
        ref = stats.pearsonr(x, y)
        ci = ref.confidence_interval(0.95)
        np.testing.assert_allclose(row.r, ref.statistic, rtol=1e-12)
        np.testing.assert_allclose(row.pvalue, ref.pvalue, rtol=1e-9, atol=1e-300)
        np.testing.assert_allclose([row.ci_lower, row.ci_upper], [ci.low, ci.high], rtol=1e-9)
        pgr = pg.corr(x, y)
        np.testing.assert_allclose(row.r, pgr["r"].iloc[0], rtol=1e-12)
        np.testing.assert_allclose(row.pvalue, pgr["p_val"].iloc[0], rtol=1e-9, atol=1e-300)
        # pingouin (0.7) rounds its interval to 2 decimals
        np.testing.assert_allclose(
            [row.ci_lower, row.ci_upper], pgr["CI95"].iloc[0], atol=0.005 + 1e-12
        )
    # Holm, by hand
    p = tri["pvalue"].to_numpy()
    order = np.argsort(p)
    adj = np.maximum.accumulate((len(p) - np.arange(len(p))) * p[order]).clip(max=1)
    expected = np.empty_like(adj)
    expected[order] = adj
    np.testing.assert_allclose(tri["pvalue_adj"], expected, rtol=1e-12)
    # E7 is asked of B2B and mixed firms only
    assert tri.set_index("action").loc["E7", "n"] < tri.set_index("action").loc["E4", "n"]
    assert (tri["r"] > 0).all()  # the simulator ties post choice to the same latent emphasis


def test_triangulation_spearman_mix_and_options(tri_inputs):
    mix, scores = tri_inputs
    tri = triangulate(mix, scores, measure="mix", method="spearman", informants="first")
    row = tri.set_index("action").loc["E4"]
    assert row["survey"] == "mix_E4"
    x, y = _pairs(mix, scores, "E4", "mix_E4", informants="first")
    ref = stats.spearmanr(x, y)
    np.testing.assert_allclose(row["r"], ref.statistic, rtol=1e-12)
    np.testing.assert_allclose(row["pvalue"], ref.pvalue, rtol=1e-9, atol=1e-300)
    pgr = pg.corr(x, y, method="spearman")
    np.testing.assert_allclose(row["r"], pgr["r"].iloc[0], rtol=1e-12)
    # Bonett & Wright (2000) interval for Spearman's rho
    n, r = len(x), ref.statistic
    se = math.sqrt((1 + r**2 / 2) / (n - 3))
    lo, hi = np.tanh(np.arctanh(r) + np.array([-1, 1]) * stats.norm.ppf(0.975) * se)
    np.testing.assert_allclose([row["ci_lower"], row["ci_upper"]], [lo, hi], rtol=1e-12)
    strict = triangulate(mix, scores, min_posts=10)
    assert strict.attrs["n_firms_few_posts"] > triangulate(mix, scores).attrs["n_firms_few_posts"]
    assert (strict["n"] < triangulate(mix, scores)["n"]).all()


def test_triangulation_errors(tri_inputs):
    mix, scores = tri_inputs
    with pytest.raises(DataError, match="long format"):
        triangulate(
            coding.action_mix(pd.DataFrame({"firm_id": ["a"], "code": ["R1"]}), format="long"),
            scores,
        )
    with pytest.raises(DataError, match="no firm id"):
        triangulate(mix.assign(firm_id="X" + mix["firm_id"]), scores)
    with pytest.raises(DataError, match="lacks column"):
        triangulate(mix.drop(columns="firm_id"), scores)
    with pytest.raises(DataError, match="no action type"):
        triangulate(
            mix, scores.drop(columns=["R1", "R2", "E1", "E2", "E3", "E4", "E5", "E6", "E7", "L1"])
        )
    with pytest.raises(DataError, match="p_adjust"):
        triangulate(mix, scores, p_adjust="nope")
    with pytest.raises(DataError, match="method"):
        triangulate(mix, scores, method="kendall")
    few = mix.head(3)
    with pytest.warns(DataQualityWarning, match="no correlation computed"):
        out = triangulate(few, scores, min_posts=1)
    assert out["r"].isna().all()
