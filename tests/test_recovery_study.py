"""The Monte Carlo validity checks of issue 8 (benchmarks/recovery_study.py).

Oracle: simulation with known truth (the population model of ``nrel_research.data``).

* Fast tests run the script's functions on single replications: the fitted model
  contains every path of the generating structure, estimates land within
  ``4.5 se + 0.002`` of the truth at a large n (about 100 paths; under correct
  specification ``P(|z| > 4.5) = 7e-6`` each), the two-group comparison model is exactly
  correct under the null (population noncentrality 0 to 1e-6) and the planted difference
  is 0.15 in std.all units, and a misspecified draw is flagged. They also check the
  committed full-run results (``benchmarks/results/recovery_study_*.json``) against the
  issue's criteria, so the criteria are checked without re-running 200 replications.
* ``slow`` tests (deselected by ``make test``; run them with ``pytest -m slow``)
  recompute replications of the committed run from its seed and compare them with the
  stored per-replication values (``atol=1e-6``: same seed, same numbers up to the
  optimizer's convergence tolerance), and run a reduced Monte Carlo of the power study.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from threadpoolctl import threadpool_limits

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"


@pytest.fixture(scope="module")
def rs():
    spec = importlib.util.spec_from_file_location(
        "recovery_study", ROOT / "benchmarks" / "recovery_study.py"
    )
    mod = importlib.util.module_from_spec(spec)
    sys.modules["recovery_study"] = mod
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(autouse=True)
def _one_thread():
    with threadpool_limits(1):
        yield


def _load(part):
    return json.loads((RESULTS / f"recovery_study_{part}.json").read_text(encoding="utf-8"))


# ---------------------------------------------------------------------------------------
# plumbing (seconds)
# ---------------------------------------------------------------------------------------
def test_model_contains_the_generating_structure(rs):
    from nrel_research.data import simulate_study

    sector, mt = rs.CELL
    study = simulate_study(20, sectors=[sector], market_types=[mt], seed=1, **rs.SIM)
    truth = study.truth.query("part == 'sem' and group == @mt")
    spec = rs.recovery_spec(mt)
    reg = spec.paths[spec.paths["op"] == "~"]
    fitted = set(zip(reg["lhs"], reg["rhs"], strict=True))
    true = rs.true_paths(truth)
    generating = set(zip(true["lhs"], true["rhs"], strict=True))
    assert generating <= fitted
    assert len(generating) == 47 and len(fitted) == 100
    syntax = rs.recovery_syntax(spec, truth)
    assert "method =~ m*cmp_t1" in syntax and "method ~~ 0*stp" in syntax
    assert "marketing_performance ~~ 0.6*marketing_performance" in syntax


def test_recovery_replication_at_large_n(rs):
    paths, fits = rs.recovery_replication(0, seed=7, n_firms=5000, mlr=False)
    assert fits["converged"].all() and fits["warnings"].eq("").all()
    assert set(paths["estimator"]) == {"ML"}
    assert paths["in_truth"].sum() == 47 and len(paths) == 100
    tol = 4.5 * paths["se"] + 0.002
    bad = paths[(paths["est"] - paths["true"]).abs() > tol]
    assert bad.empty, bad
    # the correct model fits: no rejection at n = 5000
    assert fits["pvalue"].iloc[0] > 0.001
    # summary arithmetic on two fake replications
    two = pd.concat([paths, paths.assign(rep=1, est=paths["est"] + 0.01, covered=False)])
    summ = rs.summarize_paths(two)
    row = summ.iloc[0]
    first = paths.iloc[0]
    assert row["reps"] == 2
    assert row["mean_est"] == pytest.approx(first["est"] + 0.005, abs=1e-12)
    assert row["bias"] == pytest.approx(first["est"] + 0.005 - first["true"], abs=1e-12)
    assert row["coverage"] == pytest.approx(0.5 * float(first["covered"]))
    crit = rs.criteria(summ)
    assert set(crit) == {"ML/all_paths", "ML/true_nonzero_paths"}
    assert crit["ML/all_paths"]["paths"] == 100


def test_power_design_null_is_exact_and_difference_is_standardized(rs):
    # both comparison models fit the population moments of the null exactly
    null = rs.population_lambda(370, 230, diff=0.0)
    assert null["chisq_free"] == pytest.approx(0.0, abs=1e-6)
    assert null["lambda"] == pytest.approx(0.0, abs=1e-6)
    st = rs.standardized_planted()
    assert st["B2B"]["std_all"] - st["B2C"]["std_all"] == pytest.approx(0.15, abs=1e-5)
    planted = rs.population_lambda(370, 230)
    assert planted["chisq_free"] == pytest.approx(0.0, abs=1e-6)
    assert planted["lambda"] > 1.0
    row = rs.power_replication(0, seed=3, planted=True)
    assert row["converged"] and row["warnings"] == ""
    assert row["n_b2b"] + row["n_b2c"] == rs.N_DEFAULT
    assert row["lrt_df"] == 1
    # LRT and Wald test agree closely for a 1-df hypothesis at this n
    assert row["lrt_chisq"] == pytest.approx(row["wald_chisq"], rel=0.1)


def test_misspecified_replication_is_flagged(rs):
    _, fits = rs.recovery_replication(0, seed=7, n_firms=2000, mlr=False, misspecified=True)
    row = fits.iloc[0]
    assert row["pvalue"] < 0.001
    assert row["top_mi_is_omitted"]
    assert row["rank_cross_loading"] <= 5 and row["rank_error_cov"] <= 5


# ---------------------------------------------------------------------------------------
# the committed full run against the criteria
# ---------------------------------------------------------------------------------------
def test_committed_recovery_meets_the_criteria(rs):
    res = _load("recovery")
    assert res["meta"]["reps"] >= 200
    assert res["meta"]["n_firms"] == rs.N_DEFAULT
    ml = res["criteria"]["ML/all_paths"]
    assert ml["paths"] == 100 and ml["reps"] >= 200
    paths = pd.read_csv(RESULTS / "recovery_study_paths.csv")
    ml_paths = paths[paths["estimator"] == "ML"]
    assert len(ml_paths) == 100
    # recompute the criteria from the per-path table (not only the stored booleans)
    tol = np.maximum(0.05 * ml_paths["true"].abs(), 0.02)
    assert (ml_paths["bias"].abs() < tol).all(), ml_paths[ml_paths["bias"].abs() >= tol]
    assert 0.93 <= ml_paths["coverage"].mean() <= 0.97
    assert ml_paths["coverage"].min() >= 0.88
    assert ml["pass"]
    gen = res["criteria"]["ML/true_nonzero_paths"]
    assert gen["paths"] == 47 and gen["pass"]


def test_committed_power_agrees_with_prediction(rs):
    res = _load("power")
    for key in ("planted", "null"):
        r = res[key]
        assert r["reps"] >= 200 and r["converged"] == 1.0
        lo, hi = r["lrt_rejection_ci95"]
        assert lo <= res["predicted"][key]["power"] <= hi, (key, r)
    assert res["predicted"]["null"]["power"] == pytest.approx(0.05)
    assert res["planted_path"]["std_all_difference"] == pytest.approx(0.15)


def test_committed_misspecification_is_flagged(rs):
    mis = _load("misspec")["fit_misspecified"]["ML"]
    ok = _load("recovery")["fit_correct_model"]["ML"]
    assert mis["reps"] >= 50
    assert mis["chisq_p_below_05"] >= 0.8
    assert mis["chisq_p_below_05"] > ok["chisq_p_below_05"] + 0.3
    assert mis["mean_rmsea"] > ok["mean_rmsea"] + 0.005
    assert mis["mean_cfi"] < ok["mean_cfi"] - 0.005
    assert mis["mean_srmr"] > ok["mean_srmr"]
    assert mis["top_mi_is_omitted"] >= 0.9


# ---------------------------------------------------------------------------------------
# reproducibility and a reduced Monte Carlo (slow)
# ---------------------------------------------------------------------------------------
@pytest.mark.slow
def test_recovery_reproducible_from_seed(rs):
    res = _load("recovery")
    stored = pd.read_csv(RESULTS / "recovery_study_first_reps.csv")
    fits = pd.read_csv(RESULTS / "recovery_study_fits.csv")
    for rep in range(2):
        paths, fit = rs.recovery_replication(
            rep, seed=res["meta"]["seed"], n_firms=res["meta"]["n_firms"], mlr=False
        )
        want = stored[(stored["rep"] == rep) & (stored["estimator"] == "ML")]
        got = paths.merge(want, on=["lhs", "rhs"], suffixes=("", "_stored"))
        assert len(got) == len(want) == 100
        np.testing.assert_allclose(got["est"], got["est_stored"], atol=1e-6)
        np.testing.assert_allclose(got["se"], got["se_stored"], atol=1e-6)
        chisq = fits.query("rep == @rep and estimator == 'ML'")["chisq"].iloc[0]
        assert fit["chisq"].iloc[0] == pytest.approx(chisq, abs=1e-4)


@pytest.mark.slow
def test_power_reduced_monte_carlo(rs):
    res = _load("power")
    reps = pd.read_csv(RESULTS / "recovery_study_power_reps.csv")
    rows = []
    for planted in (True, False):
        for rep in range(10):
            rows.append(rs.power_replication(rep, seed=res["meta"]["seed"], planted=planted))
    got = pd.DataFrame(rows)
    want = reps[reps["rep"] < 10].sort_values(["planted", "rep"], ascending=[False, True])
    np.testing.assert_allclose(got["lrt_chisq"], want["lrt_chisq"], atol=1e-5)
    np.testing.assert_allclose(got["wald_chisq"], want["wald_chisq"], atol=1e-5)


# ---------------------------------------------------------------------------------------
# the ordinal variant (issue 9): WLSMV on the ordinal answers
# ---------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def cell_truth(rs):
    from nrel_research.data import simulate_study

    sector, mt = rs.CELL
    study = simulate_study(20, sectors=[sector], market_types=[mt], seed=1, **rs.SIM)
    return study.truth.query("part == 'sem' and group == @mt")


def test_population_moments_match_the_simulator(rs, cell_truth):
    from nrel_research.data.simulate import implied_moments

    m = rs.population_moments(cell_truth)
    mu, sigma = implied_moments(rs.CELL[1], rs.CELL[0])
    items = list(m["ov_sd"].index)
    np.testing.assert_allclose(m["ov_mean"], mu[items], atol=1e-12)
    np.testing.assert_allclose(m["ov_sd"] ** 2, np.diag(sigma.loc[items, items]), atol=1e-12)
    S = rs.population_covariance(cell_truth)
    np.testing.assert_allclose(S.loc[items, items], sigma.loc[items, items], atol=1e-12)
    assert S.loc["log_employees", "log_employees"] == pytest.approx(1.3**2)


def test_true_standardized_values_and_the_delta_metric(rs, cell_truth):
    """The std.all truth equals the engine's std.all of an exact population fit.

    Oracle: the engine's standardization (lavaan-checked) applied to a fit of the
    correct model to data with exactly the population moments (chi-square ~ 0). Then
    the same model in the metric of y* (indicators scaled to variance 1, where the
    common method loading is only approximately right): its population error is below
    0.002 for every path and loading, a tenth of the recovery criterion's 0.02.
    """
    truth = rs.true_standardized(cell_truth).set_index(["lhs", "op", "rhs"])["true"]
    for standardize_items, atol in ((False, 2e-4), (True, 2e-3)):
        res = rs.population_fit(cell_truth, standardize_items=standardize_items)
        assert res.converged
        e = res.estimates()
        e = e[e["op"].isin(["~", "=~"]) & (e["lhs"] != "method")]
        want = truth.reindex(pd.MultiIndex.from_frame(e[["lhs", "op", "rhs"]])).fillna(0.0)
        assert len(e) == 175  # 100 paths + 75 loadings
        np.testing.assert_allclose(e["std_all"], want.to_numpy(), atol=atol)
        lat = rs.true_paths(cell_truth).set_index(["lhs", "rhs"])["true"]
        reg = e[e["op"] == "~"]
        want = lat.reindex(pd.MultiIndex.from_frame(reg[["lhs", "rhs"]])).fillna(0.0)
        np.testing.assert_allclose(reg["est"], want.to_numpy(), atol=atol)


def test_ordinal_draw_and_threshold_truth(rs, cell_truth):
    """Scored-back answers are the categorised indicators; marginal thresholds recovered."""
    from scipy import stats

    sector, mt = rs.CELL
    n = 20_000
    study, data = rs.draw_ordinal(n, [sector], [mt], np.random.default_rng(5))
    m = rs.population_moments(cell_truth)
    tau = cell_truth[cell_truth["op"] == "|"]
    raw = study.responses.loc[study.responses["second_informant"] == 0]
    for item in rs.reversed_items():
        k = int((tau["lhs"] == item).sum()) + 1
        np.testing.assert_array_equal(data[item].astype(int), k + 1 - raw[item].astype(int))
    # every item, every boundary: the sample probit of P(Y <= k) within 4.5 SE of
    # (tau_k - mu) / sd (marginal threshold; reverse-keyed mo_6 and saa_4 included)
    for item in ("mo_6", "saa_4", "l1_1", "crp_1", "e5_1", "cmp_t1"):
        t = tau[tau["lhs"] == item]
        y = data[item].to_numpy(dtype=float)
        k = np.arange(1, len(t) + 1)
        p = (y[:, None] <= k).mean(axis=0)
        want = (t["est"].to_numpy() - m["ov_mean"][item]) / m["ov_sd"][item]
        se = np.sqrt(p * (1 - p) / n) / stats.norm.pdf(stats.norm.ppf(p))
        assert np.all(np.abs(stats.norm.ppf(p) - want) < 4.5 * se + 1e-3), item
    # reverse-keyed items are scored back: positively related to their factor's items
    assert np.corrcoef(data["mo_6"].astype(float), data["mo_1"].astype(float))[0, 1] > 0.2
    assert np.corrcoef(data["saa_4"].astype(float), data["saa_1"].astype(float))[0, 1] > 0.2
    # the threshold parameters add the model's latent-mean convention: 0 for items of
    # factors that log_employees does not reach, lambda*/sd * E(eta) for the others
    ts = rs.true_standardized(cell_truth).query("kind == 'threshold'").set_index(["lhs", "rhs"])

    def marg(i):
        return (tau.query("lhs == @i")["est"].to_numpy() - m["ov_mean"][i]) / m["ov_sd"][i]

    np.testing.assert_allclose(ts.loc["cmp_t1", "true"].to_numpy(), marg("cmp_t1"), atol=1e-12)
    lam = cell_truth.query("op == '=~' and rhs == 'l1_1' and lhs == 'L1'")["est"].iloc[0]
    shift = lam / m["ov_sd"]["l1_1"] * m["lv_mean_fit"]["L1"]
    assert shift > 0.1
    np.testing.assert_allclose(ts.loc["l1_1", "true"].to_numpy(), marg("l1_1") + shift, atol=1e-12)


def test_threshold_names_skip_empty_categories(rs):
    d = pd.DataFrame({"a": [1.0, 2, 4, 5, 2], "b": [1.0, 2, 3, 4, 5]})
    names = rs._threshold_names(d, ["a", "b"])
    assert names["a"] == {"t1": "t1", "t2": "t2", "t3": "t4"}
    assert names["b"] == {f"t{k}": f"t{k}" for k in range(1, 5)}


@pytest.mark.slow
def test_ordinal_recovery_reproducible_from_seed(rs):
    res = _load("ordinal")
    stored = pd.read_csv(RESULTS / "recovery_study_ordinal_first_reps.csv")
    fits = pd.read_csv(RESULTS / "recovery_study_ordinal_fits.csv")
    key = ["kind", "metric", "lhs", "op", "rhs"]
    for rep in range(2):
        rows, fit = rs.ordinal_replication(
            rep, seed=res["meta"]["seed"], n_firms=res["meta"]["n_firms"]
        )
        want = stored[stored["rep"] == rep]
        got = rows.merge(want, on=key, suffixes=("", "_stored"))
        assert len(got) == len(want) == len(rows)
        np.testing.assert_allclose(got["est"], got["est_stored"], atol=1e-6)
        np.testing.assert_allclose(got["se"], got["se_stored"], atol=1e-6)
        np.testing.assert_allclose(got["true"], got["true_stored"], atol=1e-12)
        f = fits[fits["rep"] == rep].iloc[0]
        assert fit["chisq_scaled"].iloc[0] == pytest.approx(f["chisq_scaled"], abs=1e-4)
        assert fit["pvalue_scaled"].iloc[0] == pytest.approx(f["pvalue_scaled"], abs=1e-6)


def test_committed_ordinal_recovery_against_the_criteria(rs):
    """The committed WLSMV run, recomputed from its per-path table, and where it stands.

    39 replications (the time budget; 3 stopped at the 240 s limit and count as not
    converged), so 36 enter the summaries. What holds: mean 95 % CI coverage of the 100
    std.all paths (and of the unstandardized ones) lies in [0.93, 0.97]; the scaled
    chi-square test does not over-reject. What does not: the bias criterion (13 std.all
    paths beyond 5 % / 0.02, largest |bias| 0.041; the generating paths are
    overestimated by 2 % on average) and the lowest-coverage criterion (8 paths below
    0.88, lowest 0.81) -- with 36 replications a path's coverage has a Monte Carlo SE of
    about 0.036, so the per-path criteria cannot be judged yet; stored ``pass`` is False
    and this test keeps it honest rather than loosening the criteria.
    """
    res = _load("ordinal")
    assert res["meta"]["seed"] == 20160808 and res["meta"]["n_firms"] == rs.N_DEFAULT
    assert res["estimator"] == "WLSMV" and res["parameterization"] == "delta"
    fits = pd.read_csv(RESULTS / "recovery_study_ordinal_fits.csv")
    assert res["meta"]["reps"] == len(fits) >= 39
    assert res["reps_not_converged"] == int((~fits["converged"]).sum()) <= 3
    paths = pd.read_csv(RESULTS / "recovery_study_ordinal_paths.csv")
    for metric in ("std_all", "latent"):
        p = paths[(paths["kind"] == "path") & (paths["metric"] == metric)]
        assert len(p) == 100 and p["in_truth"].sum() == 47
        assert (p["reps"] == int(fits["converged"].sum())).all()
        crit = res["criteria"][f"WLSMV/path/{metric}/~/all_paths"]
        tol = np.maximum(0.05 * p["true"].abs(), 0.02)
        assert crit["paths_failing_bias"] == int((p["bias"].abs() >= tol).sum())
        assert crit["max_abs_bias"] == pytest.approx(p["bias"].abs().max(), abs=1e-12)
        assert crit["mean_coverage"] == pytest.approx(p["coverage"].mean(), abs=1e-12)
        # the criteria that hold
        assert 0.93 <= p["coverage"].mean() <= 0.97
        # the ones that do not (recorded, not hidden)
        assert not crit["pass"]
        assert p["bias"].abs().max() < 0.045
        assert p["coverage"].min() >= 0.80
    loads = paths[paths["kind"] == "loading"]
    assert len(loads) == 75 and (loads["bias"].abs() < np.maximum(0.05 * loads["true"], 0.02)).all()
    fit = res["fit_correct_model"]
    assert fit["reps"] == int(fits["converged"].sum())
    assert fit["scaled_chisq_p_below_05"] <= 0.10
    assert fit["mean_cfi_scaled"] > 0.99 and fit["mean_rmsea_scaled"] < 0.01
