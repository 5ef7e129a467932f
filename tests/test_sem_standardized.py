"""standardized_solution: delta-method SEs of the standardized solution, as lavaan.

Oracle: lavaan 0.6.14 standardizedSolution() (tests/reference/sem_standardized.R) for an SEM
with a residual covariance and a defined indirect effect (ML and MLR) and a FIML CFA.
Tolerance atol=1e-4 as the other SEM references (lavaan's own optimizer tolerance); the
Jacobian here is by central differences, lavaan's by complex steps: both are far more
accurate than that.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from nrel_research import sem
from nrel_research.datasets import load_dataset
from nrel_research.exceptions import NrelError


@pytest.fixture(scope="module")
def ref(root):
    return json.loads((root / "tests" / "reference" / "sem_standardized.json").read_text())


def _fit(entry):
    kw = {}
    if entry["estimator"] != "ML":
        kw["estimator"] = entry["estimator"]
    if entry["missing"] == "fiml":
        kw["missing"] = "fiml"
    return sem.fit(entry["model"], load_dataset(entry["data"]), **kw)


def _num(x):
    return pd.to_numeric(pd.Series(x), errors="coerce").to_numpy(dtype=float)


@pytest.mark.parametrize("case", ["poldem", "poldem_mlr", "hs_fiml"])
@pytest.mark.parametrize("kind", ["std_all", "std_lv"])
def test_matches_lavaan_standardized_solution(ref, case, kind):
    entry = ref[case]
    res = _fit(entry)
    got = sem.standardized_solution(res, kind=kind.replace("_", "."))
    want = pd.DataFrame(entry[kind])
    key = ["lhs", "op", "rhs"]
    merged = want.merge(got, on=key, suffixes=("_r", ""), how="left", validate="one_to_one")
    assert merged["est_std"].notna().all(), merged[merged["est_std"].isna()][key]
    np.testing.assert_allclose(merged["est_std"], _num(merged["est.std"]), atol=1e-4)
    se_r = _num(merged["se_r"])
    # lavaan reports NA or 0 for fixed standardized values; both are "no SE" here
    fixed = np.isnan(se_r) | (se_r == 0)
    np.testing.assert_allclose(merged.loc[~fixed, "se"], se_r[~fixed], atol=1e-4)
    assert (merged.loc[fixed, "se"].fillna(0) < 1e-6).all()
    if kind == "std_all":
        p_r = _num(merged["pvalue_r"])
        ok = ~np.isnan(p_r)
        np.testing.assert_allclose(merged.loc[ok, "pvalue"], p_r[ok], atol=1e-4)
        np.testing.assert_allclose(
            merged.loc[ok, "ci_lower"], _num(merged["ci.lower"])[ok], atol=1e-4
        )


def test_order_and_columns_follow_estimates(ref):
    res = _fit(ref["poldem"])
    ss = sem.standardized_solution(res)
    est = res.estimates()
    assert ss[["lhs", "op", "rhs"]].equals(est[["lhs", "op", "rhs"]])
    assert list(ss.columns) == [
        "lhs",
        "op",
        "rhs",
        "label",
        "est_std",
        "se",
        "z",
        "pvalue",
        "ci_lower",
        "ci_upper",
    ]
    np.testing.assert_allclose(ss["est_std"], est["std_all"], atol=1e-12, equal_nan=True)


def test_bad_input(ref):
    res = _fit(ref["poldem"])
    with pytest.raises(NrelError, match="kind"):
        sem.standardized_solution(res, kind="std.nox")
    with pytest.raises(NrelError, match="level"):
        sem.standardized_solution(res, level=95)
    none = sem.fit(ref["poldem"]["model"], load_dataset("political_democracy"), se="none")
    with pytest.raises(NrelError, match="se='none'"):
        sem.standardized_solution(none)
