"""Polychoric / polyserial correlations, thresholds and their asymptotic covariance vs lavaan.

Oracle: tests/reference/sem_ordinal_stats.R -> sem_ordinal_stats.json (lavaan 0.6.14 lavCor and
the saturated WLSMV fit's wls.obs, gamma, wls.v, sampstat, nobs, parameterEstimates). lavaan's
own estimates stop at nlminb's tolerance (differences of ~1e-8 seen), hence atol=1e-6 for
thresholds and correlations and 1e-5 relative for gamma.
"""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import integrate
from scipy.special import ndtr

from nrel_research import sem
from nrel_research.datasets import load_dataset
from nrel_research.exceptions import DataError, DataQualityWarning, NrelError
from nrel_research.sem._catstats import MAX_CATEGORIES, bvn_cdf, categorical_stats

ATOL_EST = 1e-6  # thresholds, correlations, wls.obs, SEs
RTOL_GAMMA = 1e-5  # gamma and the DWLS weights, relative (to the largest entry for gamma)
XS = [f"x{i}" for i in range(1, 10)]
YS = [f"y{i}" for i in range(1, 9)]


@pytest.fixture(scope="module")
def ref(root):
    return json.loads((root / "tests" / "reference" / "sem_ordinal_stats.json").read_text())


@pytest.fixture(scope="module")
def case_data(root, ref):
    """The data of each R case, built exactly as sem_ordinal_stats.R builds them."""
    hs_ord = load_dataset("holzinger_swineford_1939_ordinal")
    hs = load_dataset("holzinger_swineford_1939")
    data_dir = root / "tests" / "reference" / "data"
    sk = pd.read_csv(data_dir / "ordinal_skewed.csv")
    skm = pd.read_csv(data_dir / "ordinal_skewed_missing.csv")
    mixed = hs_ord[XS].copy()
    mixed["x9"] = hs["x9"].to_numpy()
    gap = sk.loc[sk["group"] == "A", YS].copy()
    gap.loc[gap["y1"] == 3, "y1"] = 4
    binary = (hs_ord[[f"x{i}" for i in range(1, 7)]] > 2).astype(int) + 1
    binary["z"] = np.where((binary["x1"] == 1) & (binary["x2"] == 1) & (binary["x3"] == 1), 1, 2)
    split_half = pd.DataFrame(ref["cases"]["split_half"]["data"])
    hs_na = load_dataset("holzinger_swineford_1939_missing")
    mixed_pw = hs_ord[XS].astype(float).where(hs_na[XS].notna())
    mixed_pw[["x7", "x8", "x9"]] = hs_na[["x7", "x8", "x9"]].to_numpy()
    return {
        "hs_ordinal": hs_ord[XS],
        "hs_mixed": mixed,
        "skewed_A": sk.loc[sk["group"] == "A", YS],
        "skewed_all": sk[YS],
        "skewed_pairwise": skm[YS],
        "gap": gap,
        "binary": binary,
        "split_half": split_half,
        "mixed_pairwise": mixed_pw,
    }


CASES = [
    "hs_ordinal",
    "hs_mixed",
    "skewed_A",
    "skewed_all",
    "skewed_pairwise",
    "gap",
    "binary",
    "split_half",
    "mixed_pairwise",
]


def _stats(case, ref, case_data):
    c = ref["cases"][case]
    df = case_data[case][c["columns"]]
    flags = np.array([v in c["ordered"] for v in c["columns"]])
    return c, categorical_stats(df.to_numpy(float), c["columns"], flags, missing=c["missing"])


def test_reference_versions(ref):
    assert ref["lavaan_version"] == "0.6.14"
    assert set(ref["cases"]) == set(CASES)


@pytest.mark.parametrize("case", CASES)
def test_categorical_stats_match_lavaan(case, ref, case_data):
    c, st = _stats(case, ref, case_data)
    assert st.n == c["nobs"]
    assert st.wls_names == c["wls_names"]
    np.testing.assert_allclose(st.wls_obs, c["wls_obs"], rtol=0, atol=ATOL_EST)
    np.testing.assert_allclose(st.cor, np.array(c["cor"]), rtol=0, atol=ATOL_EST)
    np.testing.assert_allclose(st.cov, np.array(c["sampstat_cov"]), rtol=0, atol=ATOL_EST)
    ordered_th = st.th[st.th_idx > 0]
    np.testing.assert_allclose(ordered_th, c["th"], rtol=0, atol=ATOL_EST)
    np.testing.assert_allclose(ordered_th, c["sampstat_th"], rtol=0, atol=ATOL_EST)
    num = ~st.ordered
    np.testing.assert_allclose(st.mean[num], np.array(c["sampstat_mean"])[num], atol=ATOL_EST)
    gamma = np.array(c["gamma"])
    np.testing.assert_allclose(
        st.gamma, gamma, rtol=RTOL_GAMMA, atol=RTOL_GAMMA * np.abs(gamma).max()
    )
    np.testing.assert_allclose(st.wls_v_diag, c["wls_v_diag"], rtol=RTOL_GAMMA)
    assert st.th_names == [n for n in c["wls_names"] if "|" in n or n.endswith("~1")]


@pytest.mark.parametrize("case", CASES)
def test_polychoric_api_matches_lavcor(case, ref, case_data):
    c = ref["cases"][case]
    ordered = True if c["ordered"] == c["columns"] else c["ordered"]
    res = sem.polychoric(case_data[case], c["columns"], ordered=ordered, missing=c["missing"])
    assert list(res.cor.columns) == c["columns"] and list(res.cor.index) == c["columns"]
    np.testing.assert_allclose(res.cor.to_numpy(), np.array(c["cor"]), rtol=0, atol=ATOL_EST)
    th = res.thresholds()
    assert list(th.columns) == ["variable", "threshold", "est", "se"]
    assert [f"{v}|{t}" for v, t in zip(th["variable"], th["threshold"], strict=True)] == c[
        "th_names"
    ]
    np.testing.assert_allclose(th["est"], c["th"], rtol=0, atol=ATOL_EST)
    pe = pd.DataFrame(c["estimates"])
    pe_th = pe[pe["op"] == "|"]
    np.testing.assert_allclose(th["se"], pe_th["se"], rtol=0, atol=ATOL_EST)
    est = res.estimates()
    assert list(est.columns) == ["lhs", "op", "rhs", "est", "se", "type"]
    p = len(c["columns"])
    assert len(est) == p * (p - 1) // 2
    if all(v in c["ordered"] for v in c["columns"]):
        assert set(est["type"]) == {"polychoric"}
        pe_cor = pe[(pe["op"] == "~~") & (pe["lhs"] != pe["rhs"])]
        merged = est.merge(pe_cor, on=["lhs", "op", "rhs"], suffixes=("", "_lav"))
        assert len(merged) == len(est)
        np.testing.assert_allclose(merged["est"], merged["est_lav"], rtol=0, atol=ATOL_EST)
        np.testing.assert_allclose(merged["se"], merged["se_lav"], rtol=0, atol=ATOL_EST)


def test_polyserial_standard_errors_are_those_of_lavaans_gamma_on_the_correlation_scale(
    ref, case_data
):
    """lavaan's gamma holds covariances for pairs with a numeric variable; undo its rescaling
    (cov = r * sd, Muthén 1984's H matrix) and compare with our correlation-scale SEs."""
    c = ref["cases"]["hs_mixed"]
    res = sem.polychoric(case_data["hs_mixed"], c["columns"], ordered=c["ordered"])
    names = c["wls_names"]
    gamma = np.array(c["gamma"])
    var9 = c["wls_obs"][names.index("x9~~x9")]
    sd9 = np.sqrt(var9)
    cor = np.array(c["cor"])
    H = np.eye(len(names))
    iv = names.index("x9~~x9")
    for i in range(8):
        k = names.index(f"x{i + 1}~~x9")
        H[k, k] = sd9
        H[k, iv] = cor[i, 8] / (2 * sd9)
    Hi = np.linalg.inv(H)
    w_cor = Hi @ gamma @ Hi.T
    est = res.estimates().set_index(["lhs", "rhs"])
    assert est.loc[("x1", "x9"), "type"] == "polyserial"
    assert est.loc[("x1", "x2"), "type"] == "polychoric"
    for i in range(8):
        k = names.index(f"x{i + 1}~~x9")
        np.testing.assert_allclose(
            est.loc[(f"x{i + 1}", "x9"), "se"], np.sqrt(w_cor[k, k] / (c["nobs"] - 1)), rtol=1e-5
        )
    np.testing.assert_allclose(res.stats.gamma_cor, w_cor, rtol=0, atol=1e-5 * np.abs(w_cor).max())


def test_gap_in_categories_follows_lavaan(ref, case_data):
    """Values 1, 2, 4, 5, 6: five categories (the unused 3 is skipped), four thresholds."""
    _, st = _stats("gap", ref, case_data)
    np.testing.assert_array_equal(st.levels[0], [1, 2, 4, 5, 6])
    assert st.ncat[0] == 5
    assert [n for n in st.th_names if n.startswith("y1|")] == [f"y1|t{k}" for k in range(1, 5)]


def test_pairwise_counts_every_row_with_an_observed_value(ref, case_data):
    df = case_data["skewed_pairwise"]
    res = sem.polychoric(df, missing="pairwise")
    assert res.nobs == 800 == ref["cases"]["skewed_pairwise"]["nobs"]
    both = df.notna().to_numpy()
    np.testing.assert_array_equal(res.stats.n_pairs, both.T.astype(int) @ both.astype(int))
    listwise = sem.polychoric(df)
    assert listwise.nobs == int(df.notna().all(axis=1).sum()) < 800
    # an all-missing row is dropped under pairwise deletion
    extra = pd.concat([df, pd.DataFrame([[np.nan] * 8], columns=YS)], ignore_index=True)
    assert sem.polychoric(extra, missing="pairwise").nobs == 800


def test_results_are_deterministic(case_data):
    a = sem.polychoric(case_data["hs_mixed"], ordered=XS[:8]).stats
    b = sem.polychoric(case_data["hs_mixed"], ordered=XS[:8]).stats
    np.testing.assert_array_equal(a.gamma, b.gamma)
    np.testing.assert_array_equal(a.wls_obs, b.wls_obs)


def test_ordered_categorical_columns_equal_integer_codes(case_data):
    df = case_data["hs_ordinal"]
    cat = df.apply(lambda s: pd.Categorical(s, categories=[1, 2, 3, 4, 5], ordered=True))
    a, b = sem.polychoric(df), sem.polychoric(cat)
    np.testing.assert_array_equal(a.stats.wls_obs, b.stats.wls_obs)


def test_summary_and_repr(case_data):
    res = sem.polychoric(case_data["hs_mixed"], ordered=XS[:8])
    text = str(res.summary())
    assert "N = 301" in text and "28 polychoric" in text and "8 polyserial" in text
    assert "x9" in text.split("Numeric:")[1].splitlines()[0]
    assert "PolychoricResult" in repr(res)
    assert "<pre>" in res.summary()._repr_html_()


def test_pearson_pairs_and_ordered_false(case_data):
    hs = load_dataset("holzinger_swineford_1939")
    res = sem.polychoric(hs, ["x1", "x2", "x3"], ordered=False)
    np.testing.assert_allclose(res.cor.to_numpy(), hs[["x1", "x2", "x3"]].corr(), atol=1e-12)
    assert set(res.estimates()["type"]) == {"pearson"}
    assert res.thresholds().empty


# -- bivariate normal CDF -------------------------------------------------------------------


def _bvn_quad(h, k, r):
    s = np.sqrt(1 - r * r)
    val, _ = integrate.quad(
        lambda x: np.exp(-x * x / 2) / np.sqrt(2 * np.pi) * ndtr((k - r * x) / s),
        -np.inf,
        h,
        epsabs=1e-15,
        epsrel=1e-13,
        limit=200,
    )
    return val


def test_bvn_cdf_is_accurate_to_double_precision():
    rng = np.random.default_rng(7)
    h = rng.uniform(-4, 4, 60)
    k = rng.uniform(-4, 4, 60)
    r = np.concatenate(
        [rng.uniform(-0.9, 0.9, 20), rng.uniform(0.92, 0.9999, 20), -rng.uniform(0.92, 0.9999, 20)]
    )
    got = bvn_cdf(h, k, r)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want = np.array([_bvn_quad(a, b, c) for a, b, c in zip(h, k, r, strict=True)])
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-12)
    # limits and special values
    assert bvn_cdf(np.inf, 0.3, 0.5) == pytest.approx(ndtr(0.3), abs=1e-15)
    assert bvn_cdf(-np.inf, 0.3, 0.5) == 0.0
    assert bvn_cdf(np.inf, np.inf, -0.2) == 1.0
    assert bvn_cdf(0.2, -0.1, 0.0) == pytest.approx(ndtr(0.2) * ndtr(-0.1), abs=1e-16)
    assert bvn_cdf(0.0, 0.0, 0.5) == pytest.approx(1 / 3, abs=1e-15)
    assert bvn_cdf(0.4, 0.1, 1.0) == pytest.approx(ndtr(0.1), abs=1e-15)
    assert bvn_cdf(0.4, 0.1, -1.0) == pytest.approx(ndtr(0.4) - ndtr(-0.1), abs=1e-15)


# -- bad input -------------------------------------------------------------------------------


def test_single_category_is_refused(case_data):
    df = case_data["hs_ordinal"].copy()
    df["x3"] = 2
    with pytest.raises(DataError, match=r"'x3'.*single value 2.*at least two"):
        sem.polychoric(df, data_name="survey.csv")


def test_non_integer_ordered_value_is_refused(case_data):
    df = case_data["hs_ordinal"].astype(float)
    df.loc[17, "x2"] = 2.5
    with pytest.raises(DataError, match=r"survey.csv.*'x2'.*non-integer value 2\.5.*row 17"):
        sem.polychoric(df, data_name="survey.csv")


def test_too_many_categories_are_refused():
    hs = load_dataset("holzinger_swineford_1939")
    df = pd.DataFrame({"a": np.arange(301) % (MAX_CATEGORIES + 1), "b": np.arange(301) % 3})
    with pytest.raises(DataError, match=r"'a' has 21 distinct values.*treat it as continuous"):
        sem.polychoric(df)
    with pytest.raises(DataError, match="non-integer"):
        sem.polychoric(hs, ["x1", "x2"])  # continuous scores declared ordered


def test_text_values_are_refused(case_data):
    df = case_data["hs_ordinal"].astype(object)
    df.loc[5, "x4"] = "agree"
    with pytest.raises(DataError, match=r"'x4'.*text value 'agree'.*row 5"):
        sem.polychoric(df)
    arr = df.to_numpy()
    with pytest.raises(DataError, match=r"'x4'.*text value 'agree' in row 5"):
        categorical_stats(arr, XS, [True] * 9)


def test_other_bad_arguments(case_data):
    df = case_data["hs_ordinal"]
    with pytest.raises(DataError, match="lacks column"):
        sem.polychoric(df, ["x1", "nope"])
    with pytest.raises(DataError, match="not among the columns"):
        sem.polychoric(df, ["x1", "x2"], ordered=["x3"])
    with pytest.raises(NrelError, match="missing="):
        sem.polychoric(df, missing="fiml")
    with pytest.raises(DataError, match="at least two columns"):
        sem.polychoric(df, ["x1"])
    with pytest.raises(DataError, match="unordered categorical"):
        sem.polychoric(df.assign(x1=pd.Categorical(df["x1"])), ["x1", "x2"])
    with pytest.raises(DataError, match="no rows left"):
        sem.polychoric(pd.DataFrame({"a": [1, np.nan], "b": [np.nan, 2]}))


def test_category_empty_in_a_group_is_refused_like_lavaan(root):
    """lavaan: 'some categories of variable `y1' are empty in group 2' (an error)."""
    sk = pd.read_csv(root / "tests" / "reference" / "data" / "ordinal_skewed.csv")
    grp_b = sk.loc[sk["group"] == "B", YS].copy()
    grp_b.loc[grp_b["y1"] == 6, "y1"] = 5
    levels = [np.unique(sk[v]) for v in YS]
    with pytest.raises(DataError, match=r"'y1'.*value\(s\) 6 have no observations.*merge"):
        categorical_stats(grp_b.to_numpy(float), YS, [True] * 8, levels=levels, where="group B")
    ok = categorical_stats(grp_b.to_numpy(float), YS, [True] * 8)  # without levels: 4 thresholds
    assert ok.ncat[0] == 5


def test_near_perfect_correlation_warns(case_data):
    df = case_data["hs_ordinal"][["x1", "x2"]].assign(x1b=case_data["hs_ordinal"]["x1"])
    with pytest.warns(DataQualityWarning, match="'x1b'.*nearly"):
        res = sem.polychoric(df)
    assert res.cor.loc["x1", "x1b"] == pytest.approx(0.999)
