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

from nrel_research import sem
from nrel_research.exceptions import DataError, SpecificationError
from nrel_research.sem.validity import (
    alpha_from_cov,
    ave,
    composite_reliability,
    htmt,
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


# -- categorical omega, ordinal alpha, AVE from lavaan's estimates --------------------------
@pytest.mark.parametrize("case", CASES)
def test_categorical_omega_matches_comprelsem(ref, case):
    c = ref["cases"][case]
    m = lavaan_inputs(c)
    out = composite_reliability(**m)
    assert out["factor"].tolist() == list(c["omega"])
    np.testing.assert_allclose(out["omega"], list(c["omega"].values()), atol=1e-10, rtol=0)
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
    np.testing.assert_allclose(out["omega"], list(c["omega"].values()), atol=1e-10)
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


# -- HTMT on polychoric correlations from data (sem.polychoric) ------------------------------
def case_data(root, case: str) -> pd.DataFrame:
    if case.startswith("hs"):
        return pd.read_csv(root / "nrel_research/datasets/holzinger_swineford_1939_ordinal.csv")
    if case == "skewed":
        return pd.read_csv(root / "tests/reference/data/ordinal_skewed.csv")
    d = pd.read_csv(root / "data/simulated/responses.csv")
    items = ["r1_1", "r1_2", "r1_3", "e6_1", "e6_2", "e6_3"]
    d = d[(d["consent"] == 1) & (d["second_informant"] == 0)]
    return d.dropna(subset=items)


@pytest.mark.parametrize("case", ["hs", "skewed", "study"])
def test_htmt_with_ordered_matches_semtools(ref, root, case):
    c = ref["cases"][case]
    data = case_data(root, case)
    for key, h2 in (("htmt", False), ("htmt2", True)):
        out = sem.htmt(c["model"], data, ordered=True, htmt2=h2)
        assert list(out.index) == list(c["blocks"])
        np.testing.assert_allclose(out.to_numpy(), np.array(c[key]), atol=1e-6, rtol=0)
    # naming the ordered items is the same; the polychoric matrix is lavCor's
    named = htmt(data, c["blocks"], ordered=c["items"])
    np.testing.assert_allclose(named.to_numpy(), np.array(c["htmt"]), atol=1e-6, rtol=0)
    pc = sem.polychoric(data, c["items"]).cor
    np.testing.assert_allclose(pc.to_numpy(), np.array(c["lavcor"]), atol=1e-6, rtol=0)


def test_htmt_missing_options(root, ref):
    c = ref["cases"]["skewed"]
    data = case_data(root, "skewed")
    with pytest.raises(SpecificationError, match="pairwise"):
        htmt(data, c["blocks"], missing="pairwise")
    with pytest.raises(SpecificationError, match="missing='ml'"):
        htmt(data, c["blocks"], missing="ml", ordered=True)
    # complete data: pairwise = listwise
    a = htmt(data, c["blocks"], ordered=True, missing="pairwise")
    np.testing.assert_allclose(a.to_numpy(), np.array(c["htmt"]), atol=1e-6)


# -- the whole chain: sem.fit(ordered=...) -> sem.reliability / fornell_larcker ---------------
@pytest.mark.parametrize("case", CASES)
def test_reliability_of_a_wlsmv_fit_matches_semtools(ref, root, case):
    c = ref["cases"][case]
    data = case_data(root, case)
    param = "theta" if case == "hs_theta" else "delta"
    res = sem.fit(c["model"], data, ordered=c["items"], parameterization=param)
    assert res.converged and res.nobs == c["n"]
    rel = sem.reliability(res)
    assert rel["factor"].tolist() == list(c["blocks"])
    for col, key in (
        ("omega", "omega"),
        ("omega_latent", "omega_latent"),
        ("alpha_ordinal", "alpha_ordinal"),
        ("ave", "ave"),
    ):
        np.testing.assert_allclose(rel[col], list(c[key].values()), atol=1e-6, rtol=0)
    # alpha of the observed category scores is psych's raw alpha, as for continuous fits
    np.testing.assert_allclose(
        rel["alpha"], reliability_table(data, c["blocks"], **lavaan_inputs(c))["alpha"]
    )
    fl = sem.fornell_larcker(res)
    np.testing.assert_allclose(
        np.diag(fl[list(c["blocks"])].to_numpy()) ** 2, list(c["ave"].values()), atol=1e-6
    )


def test_continuous_fit_keeps_its_columns(root):
    hs = pd.read_csv(root / "nrel_research/datasets/holzinger_swineford_1939_ordinal.csv")
    res = sem.fit("f =~ x1 + x2 + x3", hs)
    assert list(sem.reliability(res).columns) == [
        "factor",
        "n_items",
        "alpha",
        "alpha_std",
        "omega",
        "ave",
    ]


def test_mixed_factor_of_a_wlsmv_fit(root):
    """x3 treated as numeric beside ordered x1, x2: semTools gives no omega/alpha (NaN)."""
    hs = pd.read_csv(root / "nrel_research/datasets/holzinger_swineford_1939_ordinal.csv")
    res = sem.fit(
        "f =~ x1 + x2 + x3; g =~ x4 + x5 + x6", hs, ordered=["x1", "x2", "x4", "x5", "x6"]
    )
    rel = sem.reliability(res).set_index("factor")
    assert np.isnan(rel.loc["f", "omega"]) and np.isnan(rel.loc["f", "alpha_ordinal"])
    assert np.isfinite(rel.loc["g", "omega"]) and np.isfinite(rel.loc["g", "alpha_ordinal"])
