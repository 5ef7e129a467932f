"""Reliability and validity (nrel_research.sem.validity) against semTools 0.5-6 and psych 2.2.9.

Oracle: tests/reference/validity.R -> validity.json (HS 3-factor CFA fitted by lavaan 0.6-14).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from nrel_research.exceptions import DataError, SpecificationError
from nrel_research.sem.validity import (
    ave,
    composite_reliability,
    cronbach_alpha,
    fornell_larcker,
    htmt,
    reliability_table,
)


@pytest.fixture(scope="module")
def ref(root):
    return json.loads((root / "tests/reference/validity.json").read_text())


@pytest.fixture(scope="module")
def hs(root):
    return pd.read_csv(root / "nrel_research/datasets/holzinger_swineford_1939.csv")


@pytest.fixture(scope="module")
def mats(ref):
    ind, fac = ref["lambda_rownames"], ref["lambda_colnames"]
    return {
        "loadings": pd.DataFrame(ref["lambda"], index=ind, columns=fac),
        "factor_cov": pd.DataFrame(ref["psi"], index=fac, columns=fac),
        "sample": pd.DataFrame(ref["sampstat_cov"], index=ind, columns=ind),
        "implied": pd.DataFrame(ref["implied_cov"], index=ind, columns=ind),
    }


def test_versions(ref):
    assert ref["versions"]["semTools"] == "0.5.6"
    assert ref["versions"]["psych"] == "2.2.9"
    assert ref["versions"]["lavaan"] == "0.6.14"


def test_cronbach_alpha_matches_psych_and_semtools(ref, hs):
    out = cronbach_alpha(hs, ref["blocks"])
    assert list(out.columns) == [
        "factor",
        "n_items",
        "n_obs",
        "alpha",
        "alpha_std",
        "ci_lower",
        "ci_upper",
    ]
    for _, row in out.iterrows():
        ps = ref["psych_alpha"][row["factor"]]
        assert row["alpha"] == pytest.approx(ps["raw_alpha"], abs=1e-10)
        assert row["alpha_std"] == pytest.approx(ps["std_alpha"], abs=1e-10)
        assert row["alpha"] == pytest.approx(ref["alpha_tau_eq"][row["factor"]], abs=1e-10)
        assert row["ci_lower"] < row["alpha"] < row["ci_upper"]
        assert row["n_obs"] == 301


@pytest.mark.parametrize(("cov", "key"), [("sample", "omega"), ("implied", "omega_fitted")])
def test_omega_matches_comprelsem(ref, mats, cov, key):
    out = composite_reliability(mats["loadings"], mats["factor_cov"], mats[cov])
    assert out["factor"].tolist() == list(ref[key])
    np.testing.assert_allclose(out["omega"], list(ref[key].values()), atol=1e-10, rtol=0)


def test_omega_fitted_is_raykov(ref, mats):
    """With the implied Σ and no residual covariances, omega = (Σλ)²φ/((Σλ)²φ + Σθ) (raw metric)."""
    lam = np.array(ref["lambda"])
    th = np.diag(np.array(ref["theta"]))
    phi = np.diag(np.array(ref["psi"]))
    for j, f in enumerate(ref["lambda_colnames"]):
        idx = lam[:, j] != 0
        common = lam[idx, j].sum() ** 2 * phi[j]
        raykov = common / (common + th[idx].sum())
        assert raykov == pytest.approx(ref["omega_fitted"][f], abs=1e-8)


@pytest.mark.parametrize(("cov", "key"), [("sample", "ave"), ("implied", "ave_fitted")])
def test_ave_matches_semtools(ref, mats, cov, key):
    out = ave(mats["loadings"], mats["factor_cov"], mats[cov])
    assert out["factor"].tolist() == list(ref[key])
    np.testing.assert_allclose(out["ave"], list(ref[key].values()), atol=1e-10, rtol=0)


def test_ave_is_nan_for_cross_loading_factor(mats):
    lam = mats["loadings"].copy()
    lam.loc["x9", "visual"] = 0.3
    out = ave(lam, mats["factor_cov"], mats["sample"]).set_index("factor")["ave"]
    assert np.isnan(out["visual"]) and np.isnan(out["speed"]) and np.isfinite(out["textual"])


@pytest.mark.parametrize(("htmt2", "key"), [(False, "htmt_classic"), (True, "htmt2")])
def test_htmt_matches_semtools(ref, hs, htmt2, key):
    out = htmt(hs, ref["blocks"], htmt2=htmt2)
    assert out.index.tolist() == list(ref["blocks"])
    np.testing.assert_allclose(out.to_numpy(), ref[key], atol=1e-10, rtol=0)


def test_htmt_with_missing_values(ref, root):
    hs_miss = pd.read_csv(root / "tests/reference/data/hs_missing.csv")
    out = htmt(hs_miss, ref["blocks"])
    np.testing.assert_allclose(out.to_numpy(), ref["htmt_classic_missing_listwise"], atol=1e-10)
    # lavCor(missing="ml") fits the saturated model with lavaan's optimiser; ours is EM
    out = htmt(hs_miss, ref["blocks"], missing="ml")
    np.testing.assert_allclose(out.to_numpy(), ref["htmt_classic_missing_ml"], atol=1e-4)


def test_fornell_larcker(ref, mats):
    a = ave(mats["loadings"], mats["factor_cov"], mats["sample"])
    fl = fornell_larcker(a, mats["factor_cov"])
    cor = np.array(ref["cor_lv"])
    sq = np.sqrt(list(ref["ave"].values()))
    table = fl.drop(columns="criterion_met").to_numpy()
    np.testing.assert_allclose(np.diag(table), sq, atol=1e-10)
    off = ~np.eye(3, dtype=bool)
    np.testing.assert_allclose(table[off], cor[off], atol=1e-10)
    expected = sq > np.where(off, np.abs(cor), -np.inf).max(axis=1)
    assert fl["criterion_met"].tolist() == expected.tolist()


def test_bad_input(hs):
    with pytest.raises(SpecificationError, match="non-empty mapping"):
        htmt(hs, {})
    with pytest.raises(SpecificationError, match="no indicators"):
        cronbach_alpha(hs, {"f": []})
    with pytest.raises(DataError, match="lacks column"):
        htmt(hs, {"f": ["x1", "nope"]})
    with pytest.raises(DataError, match="not numeric"):
        cronbach_alpha(hs, {"f": ["x1", "school"]})
    with pytest.raises(ValueError, match="missing="):
        htmt(hs, {"f": ["x1", "x2"], "g": ["x3", "x4"]}, missing="pairwise")
    with pytest.raises(DataError, match="lacks factor"):
        fornell_larcker(pd.Series({"zzz": 0.5}), pd.DataFrame([[1.0]], index=["a"], columns=["a"]))
    single = cronbach_alpha(hs, {"f": ["x1"]})
    assert np.isnan(single["alpha"].item())


def test_reliability_table_combines_alpha_omega_ave(ref, hs, mats):
    out = reliability_table(hs, ref["blocks"], mats["loadings"], mats["factor_cov"], mats["sample"])
    assert list(out.columns) == ["factor", "n_items", "alpha", "alpha_std", "omega", "ave"]
    assert out["factor"].tolist() == list(ref["blocks"])
    np.testing.assert_allclose(out["omega"], list(ref["omega"].values()), atol=1e-10)
    np.testing.assert_allclose(out["ave"], list(ref["ave"].values()), atol=1e-10)
    np.testing.assert_allclose(out["alpha"], list(ref["alpha_tau_eq"].values()), atol=1e-10)


def test_cronbach_alpha_with_missing_values_matches_psych_pairwise(ref, root):
    hs_miss = pd.read_csv(root / "tests/reference/data/hs_missing.csv")
    out = cronbach_alpha(hs_miss, ref["blocks"]).set_index("factor")
    for f, ps in ref["psych_alpha_missing"].items():
        assert out.loc[f, "alpha"] == pytest.approx(ps["raw_alpha"], abs=1e-10)
        assert out.loc[f, "alpha_std"] == pytest.approx(ps["std_alpha"], abs=1e-10)
