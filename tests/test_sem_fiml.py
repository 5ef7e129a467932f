"""FIML building blocks (nrel_research.sem._fiml) against lavaan 0.6-14.

Oracle: tests/reference/sem_missing_robust.R -> sem_missing_robust.json (HS with ~10% missing
values under MCAR + MAR, written to tests/reference/data/hs_missing.csv by the R script, and a
2,500 x 25 Likert data set with ~8% missing values).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from _cfa_oracle import CFA

from nrel_research.exceptions import DataError, DataQualityWarning
from nrel_research.sem._fiml import (
    em_saturated,
    fiml_casewise_loglik,
    fiml_gradient,
    fiml_hessian,
    fiml_information,
    fiml_loglik,
    fiml_scores,
    missing_patterns,
    normal_information,
    vech,
    vech_indices,
)


@pytest.fixture(scope="module")
def ref(root):
    return json.loads((root / "tests/reference/sem_missing_robust.json").read_text())


@pytest.fixture(scope="module")
def hs_missing(root):
    return pd.read_csv(root / "tests/reference/data/hs_missing.csv")


@pytest.fixture(scope="module")
def pat(hs_missing):
    return missing_patterns(hs_missing)


def _moments(fit):
    return np.array(fit["implied_mean"]), np.array(fit["implied_cov"])


def _unvech(m, p):
    s = np.zeros((p, p))
    r, c = vech_indices(p)
    s[r, c] = m
    s[c, r] = m
    return s


def test_reference_versions_and_data(ref, hs_missing, pat):
    assert ref["versions"]["lavaan"] == "0.6.14"
    assert ref["hs_missing_fraction"] == pytest.approx(hs_missing.isna().to_numpy().mean())
    assert 0.08 < ref["hs_missing_fraction"] < 0.13
    assert pat.n_obs == ref["fiml"]["nobs"] == 301
    assert pat.n_patterns == ref["fiml"]["npatterns"]


def test_loglik_at_lavaan_solution(ref, pat):
    mu, sigma = _moments(ref["fiml"])
    assert fiml_loglik(pat, mu, sigma) == pytest.approx(
        ref["fiml"]["fit_measures"]["logl"], abs=1e-6
    )
    casewise = fiml_casewise_loglik(pat, mu, sigma)
    assert casewise.sum() == pytest.approx(ref["fiml"]["fit_measures"]["logl"], abs=1e-6)


def test_em_h1_matches_lavaan(ref, pat):
    h1 = em_saturated(pat)
    assert h1.converged
    fm = ref["fiml"]["fit_measures"]
    assert h1.loglik == pytest.approx(fm["unrestricted.logl"], abs=1e-4)
    assert h1.loglik == pytest.approx(ref["em_direct"]["logl"], abs=1e-4)
    np.testing.assert_allclose(h1.mu, ref["fiml"]["h1_mean"], atol=1e-4, rtol=0)
    np.testing.assert_allclose(h1.sigma, ref["fiml"]["h1_cov"], atol=1e-4, rtol=0)
    # same iteration as lavaan: identical far below the EM tolerance
    np.testing.assert_allclose(h1.sigma, ref["em_direct"]["sigma"], atol=1e-10, rtol=0)


def test_chisq_is_twice_the_loglik_difference(ref, pat):
    mu, sigma = _moments(ref["fiml"])
    h1 = em_saturated(pat)
    chisq = 2 * (h1.loglik - fiml_loglik(pat, mu, sigma))
    assert chisq == pytest.approx(ref["fiml"]["fit_measures"]["chisq"], abs=1e-4)


def test_gradient_matches_finite_differences(ref, pat):
    mu, sigma = _moments(ref["fiml"])
    p = mu.size
    m0 = np.concatenate([mu, vech(sigma)])
    _, grad = fiml_gradient(pat, mu, sigma)

    def ll(m):
        return fiml_loglik(pat, m[:p], _unvech(m[p:], p))

    eps = 1e-5
    fd = np.array([(ll(m0 + eps * e) - ll(m0 - eps * e)) / (2 * eps) for e in np.eye(m0.size)])
    np.testing.assert_allclose(grad, fd, atol=1e-5, rtol=1e-6)
    # without the mean structure only the vech block is returned
    np.testing.assert_array_equal(fiml_gradient(pat, mu, sigma, meanstructure=False)[1], grad[p:])


def test_hessian_matches_finite_differences_of_gradient(ref, pat):
    mu, sigma = _moments(ref["fiml"])
    p = mu.size
    m0 = np.concatenate([mu, vech(sigma)])

    def g(m):
        return fiml_gradient(pat, m[:p], _unvech(m[p:], p))[1]

    eps = 1e-6
    fd = np.array([(g(m0 + eps * e) - g(m0 - eps * e)) / (2 * eps) for e in np.eye(m0.size)])
    np.testing.assert_allclose(fiml_hessian(pat, mu, sigma), fd, atol=1e-5, rtol=1e-6)


def test_first_order_condition_at_lavaan_solution(ref, pat):
    fit = ref["fiml"]
    mu, sigma = _moments(fit)
    _, grad = fiml_gradient(pat, mu, sigma)
    delta = np.array(fit["delta"])
    # lavaan stops when its objective -logl/N is stationary to ~1e-6; the moments gradient is not 0
    assert np.abs(delta.T @ grad / pat.n_obs).max() < 1e-5
    assert np.abs(grad / pat.n_obs).max() > 1e-3


@pytest.mark.parametrize(
    ("kind", "key"),
    [("first.order", "information_first_order"), ("expected", "information_expected")],
)
def test_information_in_theta_matches_lavaan(ref, pat, kind, key):
    fit = ref["fiml"]
    mu, sigma = _moments(fit)
    delta = np.array(fit["delta"])
    info = delta.T @ fiml_information(pat, mu, sigma, kind) @ delta
    np.testing.assert_allclose(info, fit[key], atol=1e-8, rtol=0)


def test_scores_sum_to_gradient_and_give_first_order(ref, pat):
    mu, sigma = _moments(ref["fiml"])
    sc = fiml_scores(pat, mu, sigma)
    np.testing.assert_allclose(sc.sum(axis=0), fiml_gradient(pat, mu, sigma)[1], atol=1e-9)
    np.testing.assert_allclose(
        sc.T @ sc / pat.n_obs, fiml_information(pat, mu, sigma, "first.order"), atol=1e-12
    )


def test_observed_information_in_moments_is_minus_hessian_over_n(ref, pat):
    mu, sigma = _moments(ref["fiml"])
    np.testing.assert_allclose(
        fiml_information(pat, mu, sigma, "observed"), -fiml_hessian(pat, mu, sigma) / 301
    )


def test_complete_data_is_one_pattern_and_matches_normal_information(root):
    hs = pd.read_csv(root / "nrel_research/datasets/holzinger_swineford_1939.csv")
    y = hs[[f"x{i}" for i in range(1, 10)]]
    pat = missing_patterns(y)
    assert pat.n_patterns == 1
    mean = y.mean().to_numpy()
    cov = np.cov(y.to_numpy().T, bias=True)
    # at the saturated moments, observed = expected = normal information (lavaan h1 info)
    np.testing.assert_allclose(
        fiml_information(pat, mean, cov, "observed"), normal_information(cov), atol=1e-10
    )
    np.testing.assert_allclose(
        fiml_information(pat, mean, cov, "expected"), normal_information(cov), atol=1e-12
    )


def test_large_case_loglik_and_h1(ref, root):
    big = pd.read_csv(root / "tests/reference/data/likert_missing.csv")
    pat = missing_patterns(big)
    fit = ref["big"]
    assert big.shape[1] == 25 and pat.n_obs == fit["nobs"]
    mu, sigma = _moments(fit)
    assert fiml_loglik(pat, mu, sigma) == pytest.approx(fit["fit_measures"]["logl"], abs=1e-6)
    h1 = em_saturated(pat)
    assert h1.loglik == pytest.approx(fit["fit_measures"]["unrestricted.logl"], abs=1e-4)
    np.testing.assert_allclose(h1.sigma, fit["h1_cov"], atol=1e-4, rtol=0)


def test_cfa_oracle_reproduces_lavaan_delta(ref):
    """The test helper's Δ is lavaan's (so the θ-space checks use lavaan's parametrisation)."""
    for key in ("fiml", "mlr_complete", "big"):
        fit = ref[key]
        model = CFA(fit["partable"], fit["ov_names"])
        delta = model.delta(model.theta_hat, fit["options"]["meanstructure"])
        np.testing.assert_allclose(delta, fit["delta"], atol=1e-10)


def test_bad_input():
    with pytest.raises(DataError, match="column 'b' is not numeric"):
        missing_patterns(pd.DataFrame({"a": [1.0, 2.0], "b": ["x", "y"]}))
    with pytest.raises(DataError, match="infinite"):
        missing_patterns(np.array([[1.0, np.inf], [2.0, 3.0]]))
    with pytest.warns(DataQualityWarning, match="no observed value"):
        pat = missing_patterns(np.array([[1.0, 2.0], [np.nan, np.nan], [2.0, 1.0], [3.0, 5.0]]))
    assert pat.n_obs == 3 and pat.n_rows == 4
    with pytest.raises(DataError, match="do not match the data"):
        fiml_loglik(pat, np.zeros(3), np.eye(3))
    with pytest.raises(DataError, match="not positive definite"):
        fiml_loglik(pat, np.zeros(2), -np.eye(2))
    with pytest.raises(DataError, match="kind="):
        fiml_information(pat, np.zeros(2), np.eye(2), "hessian")


def test_em_on_complete_data_gives_sample_moments(ref, root):
    hs = pd.read_csv(root / "nrel_research/datasets/holzinger_swineford_1939.csv")
    y = hs[[f"x{i}" for i in range(1, 10)]]
    h1 = em_saturated(missing_patterns(y))
    assert h1.converged and h1.iterations <= 3
    np.testing.assert_allclose(h1.mu, y.mean(), atol=1e-12)
    np.testing.assert_allclose(h1.sigma, np.cov(y.to_numpy().T, bias=True), atol=1e-12)
    fm = ref["mlr_complete"]["fit_measures"]
    assert h1.loglik == pytest.approx(fm["unrestricted.logl"], abs=1e-6)


def test_no_observed_values_is_an_error():
    with pytest.raises(DataError, match="no observed values"):
        missing_patterns(pd.DataFrame({"a": [np.nan, np.nan]}))
    with pytest.raises(DataError, match="row 'r2'"):
        missing_patterns(pd.DataFrame({"a": [1.0, np.inf]}, index=["r1", "r2"]))


def test_em_warns_when_not_converged_and_when_near_singular(pat):
    from nrel_research.exceptions import ConvergenceWarning, ImproperSolutionWarning

    with pytest.warns(ConvergenceWarning, match="did not converge in 2 iterations"):
        h1 = em_saturated(pat, max_iter=2)
    assert not h1.converged and h1.iterations == 2
    rng = np.random.default_rng(1)
    x = rng.normal(size=(50, 2))
    y = np.column_stack([x, x[:, 0]])  # a redundant variable: singular covariance
    y[:5, 1] = np.nan
    with pytest.warns(ImproperSolutionWarning, match="smallest eigenvalue"):
        em_saturated(missing_patterns(y))
