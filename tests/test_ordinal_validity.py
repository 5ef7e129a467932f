"""Reliability and validity for ordinal items against semTools 0.5-6, psych 2.2.9, lavaan 0.6-14.

Oracle: tests/reference/ordinal_validity.R -> ordinal_validity.json (WLSMV fits with every
item ordered: HS cut at quintiles in the delta and theta parameterizations, skewed 6-point
items, the bundled simulated study's R1/E6 items).

The moment-level functions (categorical omega, ordinal alpha, AVE, HTMT from a correlation
matrix) are checked on lavaan's own estimates, independently of our estimator.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from nrel_research.exceptions import DataError
from nrel_research.sem.validity import (
    alpha_from_cov,
    ave,
    bivariate_normal_cdf,
    composite_reliability,
    htmt_from_cor,
    reliability_table,
)

CASES = ("hs", "hs_theta", "skewed", "study")


@pytest.fixture(scope="module")
def ref(root):
    return json.loads((root / "tests/reference/ordinal_validity.json").read_text())


def lavaan_inputs(case: dict) -> dict:
    ind, fac = case["lambda_rownames"], case["lambda_colnames"]
    names = case["threshold_names"]
    tau = {}
    for name, value in zip(names, case["thresholds"].values(), strict=True):
        tau.setdefault(name.split("|")[0], []).append(value)
    return {
        "loadings": pd.DataFrame(case["lambda"], index=ind, columns=fac),
        "factor_cov": pd.DataFrame(case["cov_lv"], index=fac, columns=fac),
        "obs_cov": pd.DataFrame(case["sampstat_cov"], index=ind, columns=ind),
        "thresholds": tau,
        "scales": pd.Series(case["scales"], index=ind),
    }


def test_versions(ref):
    assert ref["versions"]["lavaan"] == "0.6.14"
    assert ref["versions"]["semTools"] == "0.5.6"
    assert ref["versions"]["psych"] == "2.2.9"
    assert all(ref["cases"][c]["converged"] for c in CASES)


# -- the bivariate normal distribution function ----------------------------------------------
def test_bivariate_normal_cdf_matches_scipy():
    grid = [-np.inf, -2.5, -0.7, 0.0, 0.3, 1.9, np.inf]
    rhos = [-1.0, -0.95, -0.4, 0.0, 0.35, 0.9, 0.999, 1.0]
    h, k, r = (a.ravel() for a in np.meshgrid(grid, grid, rhos, indexing="ij"))
    got = bivariate_normal_cdf(h, k, r)
    want = []
    for hi, ki, ri in zip(h, k, r, strict=True):
        if abs(ri) == 1 or not (np.isfinite(hi) and np.isfinite(ki)):
            p_h, p_k = stats.norm.cdf(hi), stats.norm.cdf(ki)
            if not np.isfinite(hi) or not np.isfinite(ki):
                want.append(0.0 if -np.inf in (hi, ki) else (p_k if hi == np.inf else p_h))
            elif ri == 1:
                want.append(min(p_h, p_k))
            else:
                want.append(max(p_h + p_k - 1, 0.0))
            continue
        cov = [[1, ri], [ri, 1]]
        want.append(stats.multivariate_normal.cdf([hi, ki], [0, 0], cov, abseps=1e-12, releps=0))
    np.testing.assert_allclose(got, want, atol=1e-10, rtol=0)
    assert got.shape == h.shape


def test_bivariate_normal_cdf_known_values():
    # orthant probability 1/4 + arcsin(rho)/(2 pi); independence; |rho| > 1 is undefined
    assert bivariate_normal_cdf(0, 0, -0.5) == pytest.approx(1 / 6, abs=1e-15)
    assert bivariate_normal_cdf(0.4, -1.2, 0.0) == pytest.approx(
        stats.norm.cdf(0.4) * stats.norm.cdf(-1.2), abs=1e-15
    )
    assert np.isnan(bivariate_normal_cdf(0.1, 0.2, 1.2))


# -- categorical omega, ordinal alpha, AVE from lavaan's estimates --------------------------
@pytest.mark.parametrize("case", CASES)
def test_categorical_omega_matches_comprelsem(ref, case):
    c = ref["cases"][case]
    m = lavaan_inputs(c)
    out = composite_reliability(**m)
    assert out["factor"].tolist() == list(c["omega"])
    np.testing.assert_allclose(out["omega"], list(c["omega"].values()), atol=1e-8, rtol=0)
    lat = composite_reliability(**m, ord_scale=False)
    np.testing.assert_allclose(lat["omega"], list(c["omega_latent"].values()), atol=1e-10)


@pytest.mark.parametrize("case", CASES)
def test_ordinal_alpha_matches_semtools_and_psych(ref, case):
    c = ref["cases"][case]
    m = lavaan_inputs(c)
    out = alpha_from_cov(m["obs_cov"], c["blocks"], scales=m["scales"])
    np.testing.assert_allclose(out["alpha"], list(c["alpha_ordinal"].values()), atol=1e-10)
    # psych::alpha on lavCor's polychoric matrix (no scales): ordinal alpha of Zumbo et al.
    lc = pd.DataFrame(c["lavcor"], index=c["items"], columns=c["items"])
    plain = alpha_from_cov(lc, c["blocks"])
    np.testing.assert_allclose(plain["alpha"], list(c["psych_alpha"].values()), atol=1e-10)


@pytest.mark.parametrize("case", CASES)
def test_ordinal_ave_matches_semtools(ref, case):
    c = ref["cases"][case]
    m = lavaan_inputs(c)
    out = ave(m["loadings"], m["factor_cov"], m["obs_cov"], scales=m["scales"])
    np.testing.assert_allclose(out["ave"], list(c["ave"].values()), atol=1e-10)


@pytest.mark.parametrize("case", CASES)
def test_htmt_from_polychoric_matrix_matches_semtools(ref, case):
    c = ref["cases"][case]
    lc = pd.DataFrame(c["lavcor"], index=c["items"], columns=c["items"])
    for key, h2 in (("htmt", False), ("htmt2", True)):
        out = htmt_from_cor(lc, c["blocks"], htmt2=h2)
        np.testing.assert_allclose(out.to_numpy(), np.array(c[key]), atol=1e-10)


def test_categorical_omega_is_invariant_to_the_parameterization(ref):
    """Delta and theta fits give the same categorical omega (not the latent-scale numbers)."""
    d = composite_reliability(**lavaan_inputs(ref["cases"]["hs"]))
    t = composite_reliability(**lavaan_inputs(ref["cases"]["hs_theta"]))
    np.testing.assert_allclose(d["omega"], t["omega"], atol=1e-6)


def test_reliability_table_with_thresholds(ref):
    c = ref["cases"]["skewed"]
    m = lavaan_inputs(c)
    items = c["items"]
    rng = np.random.default_rng(0)
    raw = pd.DataFrame(rng.integers(1, 7, size=(50, len(items))), columns=items)
    out = reliability_table(raw, c["blocks"], **m)
    assert list(out.columns) == [
        "factor",
        "n_items",
        "alpha",
        "alpha_std",
        "alpha_ordinal",
        "omega",
        "omega_latent",
        "ave",
    ]
    np.testing.assert_allclose(out["omega"], list(c["omega"].values()), atol=1e-8)
    np.testing.assert_allclose(out["alpha_ordinal"], list(c["alpha_ordinal"].values()), atol=1e-10)
    np.testing.assert_allclose(out["omega_latent"], list(c["omega_latent"].values()), atol=1e-10)


def test_mixed_ordinal_and_numeric_factor_gets_nan(ref):
    """semTools refuses omega for a factor mixing ordered and numeric indicators."""
    m = lavaan_inputs(ref["cases"]["skewed"])
    tau = {k: v for k, v in m["thresholds"].items() if k != "y1"}
    out = composite_reliability(m["loadings"], m["factor_cov"], m["obs_cov"], thresholds=tau)
    assert np.isnan(out.loc[0, "omega"]) and np.isfinite(out.loc[1, "omega"])


def test_bad_thresholds_are_refused(ref):
    m = lavaan_inputs(ref["cases"]["skewed"])
    with pytest.raises(DataError, match="increasing"):
        composite_reliability(
            m["loadings"], m["factor_cov"], m["obs_cov"], thresholds={"y1": [0.5, 0.1]}
        )
    with pytest.raises(DataError, match="map each ordered indicator"):
        composite_reliability(m["loadings"], m["factor_cov"], m["obs_cov"], thresholds=[0.1])
