"""Score and Wald tests of equality constraints against lavaan 0.6.14.

Oracle: tests/reference/sem_score_wald.json, written by tests/reference/sem_score_wald.R (R and
lavaan versions recorded there) on the bundled Holzinger-Swineford CSV:
``lavTestScore(fit, univariate = TRUE, cumulative = TRUE, epc = TRUE)`` for (a) a two-group
scalar model written with shared labels (loadings and intercepts equal, latent means free in
the second school), also with ``release = c(1, 3)``; (b) the same model through
``group.equal = c("loadings", "intercepts")`` (skipped until ``fit`` accepts ``group_equal``);
(c) a single-group model with ``a == b``, with ML and with MLR (lavaan falls back to the
ordinary score test); (d) the same model by FIML on the bundled HS data with missing values (ML
and MLR). ``lavTestWald`` on a two-group structural model (ML) and a single-group
one (ML and MLR, robust covariance; FIML + MLR), including ``b1 - b2 == 0``, ``b1 == 0.5`` and
``2*b1 - c1 == 0.3``.

Tolerances: ``atol=1e-4`` (the issue's) on statistics, df, p-values and EPCs. The Wald
statistics add ``rtol=1e-4``: they inherit the estimates' optimizer precision (about 1e-6
relative), which a 3-df statistic of size 4 turns into absolute differences up to 2e-4.
Standardized EPCs are compared where the EPC is not numerically zero (|epc| > 1e-6): lavaan
standardizes ``sign(epc) * |est|`` for variances, so the sign of an EPC of 1e-10 -- noise in
both programs -- decides the sign of the result.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from nrel_research import sem
from nrel_research.datasets import load_dataset
from nrel_research.exceptions import NrelError, NrelWarning

REF = json.loads((Path(__file__).parent / "reference" / "sem_score_wald.json").read_text())
ATOL = 1e-4
HS_MODEL = "visual =~ x1 + x2 + x3; textual =~ x4 + x5 + x6; speed =~ x7 + x8 + x9"


@pytest.fixture(scope="module")
def hs():
    return load_dataset("holzinger_swineford_1939")


def _fit_case(ref, hs):
    kw = {"estimator": ref["estimator"]}
    if ref.get("missing") == "fiml":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the bundled missing data's quality warnings
            miss = load_dataset("holzinger_swineford_1939_missing")
            return sem.fit(ref["syntax"], miss, missing="fiml", **kw)
    if ref["group"]:
        kw["group"] = ref["group"]
    if ref["group_equal"]:
        try:
            return sem.fit(ref["syntax"], hs, group_equal=tuple(ref["group_equal"]), **kw)
        except NrelError as exc:
            if "group_equal" in str(exc):
                pytest.skip(f"fit does not accept group_equal yet: {exc}")
            raise
    return sem.fit(ref["syntax"], hs, **kw)


def _score(res, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NrelWarning)
        return sem.score_test(res, **kw)


@pytest.mark.parametrize("case", list(REF["score"]))
def test_score_test_matches_lavaan(case, hs):
    ref = REF["score"][case]
    res = _fit_case(ref, hs)
    st = _score(res, cumulative=True, epc=True)
    tot = ref["test"]
    assert st.test.loc[0, "test"] == "score"
    np.testing.assert_allclose(st.test.loc[0, "x2"], tot["stat"], atol=ATOL)
    assert st.test.loc[0, "df"] == tot["df"]
    np.testing.assert_allclose(st.test.loc[0, "p_value"], tot["pvalue"], atol=ATOL)

    uni = pd.DataFrame(ref["uni"])
    assert list(st.uni["lhs"]) == list(uni["lhs"])
    assert list(st.uni["rhs"]) == list(uni["rhs"])
    assert list(st.uni["constraint"]) == list(uni["constraint"])
    np.testing.assert_allclose(st.uni["x2"], uni["X2"], atol=ATOL)
    np.testing.assert_allclose(st.uni["df"], uni["df"])
    np.testing.assert_allclose(st.uni["p_value"], uni["p_value"], atol=ATOL)

    cum = pd.DataFrame(ref["cumulative"])
    assert list(st.cumulative["constraint"]) == list(cum["constraint"])
    np.testing.assert_allclose(st.cumulative["x2"], cum["X2"], atol=ATOL)
    np.testing.assert_allclose(st.cumulative["df"], cum["df"])
    np.testing.assert_allclose(st.cumulative["p_value"], cum["p_value"], atol=ATOL)

    epc = pd.DataFrame(ref["epc"])
    got = st.epc
    assert list(got["lhs"]) == list(epc["lhs"])
    assert list(got["op"]) == list(epc["op"])
    assert list(got["rhs"]) == list(epc["rhs"])
    assert list(got["plabel"]) == list(epc["plabel"])
    for col in ("est", "epc", "epv"):
        a, b = got[col].to_numpy(float), epc[col].to_numpy(float)
        np.testing.assert_array_equal(np.isnan(a), np.isnan(b))
        np.testing.assert_allclose(a[~np.isnan(a)], b[~np.isnan(b)], atol=ATOL)
    clear = np.abs(epc["epc"].to_numpy(float)) > 1e-6
    assert clear.sum() >= 4  # the comparison below is not vacuous
    for col in ("sepc_lv", "sepc_all", "sepc_nox"):
        np.testing.assert_allclose(
            got[col].to_numpy(float)[clear], epc[col].to_numpy(float)[clear], atol=ATOL
        )


def test_score_test_release_matches_lavaan(hs):
    ref = REF["score"]["mg_labels"]
    res = _fit_case(ref, hs)
    rel = ref["release_1_3"]
    st = _score(res, release=rel["release"])
    np.testing.assert_allclose(st.test.loc[0, "x2"], rel["test"]["stat"], atol=ATOL)
    assert st.test.loc[0, "df"] == rel["test"]["df"] == 2
    uni = pd.DataFrame(rel["uni"])
    assert list(st.uni["lhs"]) == list(uni["lhs"])
    np.testing.assert_allclose(st.uni["x2"], uni["X2"], atol=ATOL)


def test_score_test_names_parameters_for_group_partial(hs):
    ref = REF["score"]["mg_labels"]
    res = _fit_case(ref, hs)
    uni = _score(res).uni
    first = uni.iloc[0]
    assert first["parameter"] == first["parameter_rhs"] == "visual=~x2"
    assert (first["group"], first["group_rhs"]) == ("Pasteur", "Grant-White")
    intercepts = uni[uni["parameter"].str.endswith("~1")]
    assert list(intercepts["parameter"]) == [f"x{i}~1" for i in range(1, 10)]
    loadings = uni[uni["parameter"].str.contains("=~")]
    assert len(loadings) == 6
    # sort=True orders by decreasing statistic and keeps lavaan's constraint numbers
    srt = _score(res, sort=True).uni
    assert list(srt["x2"]) == sorted(uni["x2"], reverse=True)
    assert set(srt["constraint"]) == set(uni["constraint"])
    # the biggest univariate statistic is lavaan's, for x3's intercept (.p12. == .p48.)
    assert srt.iloc[0]["parameter"] == "x3~1"


def test_score_test_single_group_names_both_parameters(hs):
    res = _fit_case(REF["score"]["single"], hs)
    row = _score(res).uni.iloc[0]
    assert (row["lhs"], row["rhs"]) == ("a", "b")
    assert (row["parameter"], row["parameter_rhs"]) == ("visual=~x2", "visual=~x3")
    assert row["group"] is None and row["group_rhs"] is None


def test_score_test_warns_under_mlr(hs):
    res = _fit_case(REF["score"]["single_mlr"], hs)
    with pytest.warns(NrelWarning, match="ordinary score test"):
        sem.score_test(res)


def test_score_test_errors(hs):
    plain = sem.fit(HS_MODEL, hs)
    with pytest.raises(NrelError, match="no equality constraints"):
        sem.score_test(plain)
    res = _fit_case(REF["score"]["single"], hs)
    with pytest.raises(NrelError, match="release"):
        sem.score_test(res, release=[2])
    with pytest.raises(NrelError, match="release"):
        sem.score_test(res, release=[])


# -- Wald ------------------------------------------------------------------------------------
def _wald_fit(case, hs):
    w = REF["wald"][case]
    ref = {"group_equal": [], "group": w["group"], "estimator": w["estimator"]}
    return _fit_case({**ref, "syntax": w["syntax"], "missing": w["missing"]}, hs)


@pytest.mark.parametrize("case", list(REF["wald"]))
def test_wald_test_matches_lavaan(case, hs):
    res = _wald_fit(case, hs)
    for t in REF["wald"][case]["tests"]:
        out = sem.wald_test(res, t["constraints"])
        assert list(out.columns) == ["constraints", "stat", "df", "p_value", "se"]
        np.testing.assert_allclose(out.loc[0, "stat"], t["stat"], atol=ATOL, rtol=1e-4)
        assert out.loc[0, "df"] == t["df"]
        np.testing.assert_allclose(out.loc[0, "p_value"], t["pvalue"], atol=ATOL)
        assert out.loc[0, "se"] == t["se"]


def test_wald_test_input_forms(hs):
    res = _wald_fit("mg_ml", hs)
    a = sem.wald_test(res, "b1 == b2; c1 == c2")
    b = sem.wald_test(res, ["b1 == b2", "c1 == c2"])
    c = sem.wald_test(res, "b2 == b1\nc1 - c2 == 0")
    np.testing.assert_allclose(a["stat"], b["stat"], rtol=1e-12)
    np.testing.assert_allclose(a["stat"], c["stat"], rtol=1e-12)
    assert a.loc[0, "constraints"] == "b1 == b2; c1 == c2"
    # plabels work as in lavaan: b1 is the regression's plabel in group 1
    t = res.model.table
    pl = t.loc[t["label"] == "b1", "plabel"].iloc[0]
    d = sem.wald_test(res, f"{pl} == b2")
    np.testing.assert_allclose(d["stat"], sem.wald_test(res, "b1 == b2")["stat"], rtol=1e-12)


def test_wald_test_errors(hs):
    res = _wald_fit("single_ml", hs)
    with pytest.raises(NrelError, match="'zz'"):
        sem.wald_test(res, "a == zz")
    with pytest.raises(NrelError, match="linear"):
        sem.wald_test(res, "a * b == 1")
    with pytest.raises(NrelError, match="empty"):
        sem.wald_test(res, " ; ")
    with pytest.raises(NrelError, match="one equality"):
        sem.wald_test(res, "a > b")
    with pytest.raises(NrelError, match="redundant"):
        sem.wald_test(res, "a == b; b == a")
    fixed = sem.fit("visual =~ m*x1 + a*x2 + x3; textual =~ x4 + x5 + x6", hs)
    with pytest.raises(NrelError, match="fixed parameter"):
        sem.wald_test(fixed, "m == a")
    nose = sem.fit(REF["wald"]["single_ml"]["syntax"], hs, se="none")
    with pytest.raises(NrelError, match="no covariance matrix"):
        sem.wald_test(nose, "a == b")
    boot = sem.fit(REF["wald"]["single_ml"]["syntax"], hs, se="bootstrap", bootstrap=3, seed=1)
    with pytest.raises(NrelError, match="bootstrap"):
        sem.wald_test(boot, "a == b")
