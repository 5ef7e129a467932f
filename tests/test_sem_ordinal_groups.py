"""Multiple-group models with ordered indicators against lavaan 0.6.14 / semTools 0.5.6.

Oracle: ``tests/reference/sem_ordinal_groups.R`` -> ``sem_ordinal_groups.json``. Tolerances:
``atol=1e-4`` for estimates, thresholds, SEs, scaled fit measures and LRT statistics (the
issue's); the Satorra (2000) difference test on lavaan's own ingredients to ``1e-8``.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from nrel_research import sem
from nrel_research.exceptions import DataError, NrelError, SpecificationError
from nrel_research.sem._ordgroups import (
    expand_group_equal,
    satorra2000_difference,
    wu_estabrook_syntax,
)
from nrel_research.sem.syntax import _parse_partial, parse_model

REF = Path(__file__).parent / "reference"
ORACLE = json.loads((REF / "sem_ordinal_groups.json").read_text())
SKEWED = REF / "data" / "ordinal_skewed.csv"
M2 = "f1 =~ y1 + y2 + y3 + y4\nf2 =~ y5 + y6 + y7 + y8"
Y = [f"y{k}" for k in range(1, 9)]


def test_oracle_versions():
    assert ORACLE["versions"]["lavaan"] == "0.6.14"
    assert ORACLE["versions"]["semTools"] == "0.5.6"


@pytest.mark.parametrize("name", sorted(ORACLE["satorra2000_ingredients"]))
def test_satorra2000_difference_matches_lavaan(name):
    """lav_test_diff_Satorra2000 (A.method = "delta", scaled.shifted) on lavaan's inputs."""
    d = ORACLE["satorra2000_ingredients"][name]

    def arr(x):
        return [np.asarray(m, dtype=float) for m in x]

    out = satorra2000_difference(
        t0=d["t0"],
        t1=d["t1"],
        df0=d["df0"],
        df1=d["df1"],
        delta1=arr(d["delta1"]),
        delta0=arr(d["delta0"]),
        k1=np.asarray(d["k1"], dtype=float),
        k0=np.asarray(d["k0"], dtype=float),
        weights=arr(d["weights"]),
        gammas=arr(d["gammas"]),
        nobs=d["nobs"],
    )
    assert out["chisq_diff"] == pytest.approx(d["lrt"]["Chisq diff"], abs=1e-8)
    assert out["df_diff"] == d["lrt"]["Df diff"]


def test_satorra2000_without_shift_and_mean_adjusted():
    """The Satterthwaite and mean-adjusted variants follow from the same traces."""
    d = ORACLE["satorra2000_ingredients"]["configural_scalar"]
    kw = dict(
        t0=d["t0"],
        t1=d["t1"],
        df0=d["df0"],
        df1=d["df1"],
        delta1=[np.asarray(m, float) for m in d["delta1"]],
        delta0=[np.asarray(m, float) for m in d["delta0"]],
        k1=np.asarray(d["k1"], float),
        k0=np.asarray(d["k0"], float),
        weights=[np.asarray(m, float) for m in d["weights"]],
        gammas=[np.asarray(m, float) for m in d["gammas"]],
        nobs=d["nobs"],
    )
    shifted = satorra2000_difference(**kw)
    satt = satorra2000_difference(**kw, scaled_shifted=False)
    mean = satorra2000_difference(**kw, satterthwaite=False)
    tr1, tr2 = shifted["trace_ugamma"], shifted["trace_ugamma2"]
    diff = d["t0"] - d["t1"]
    m = d["df0"] - d["df1"]
    assert shifted["scale"] == pytest.approx(np.sqrt(m / tr2))
    assert satt["chisq_diff"] == pytest.approx(diff * tr1 / tr2)
    assert satt["df_diff"] == pytest.approx(tr1**2 / tr2)
    assert mean["chisq_diff"] == pytest.approx(diff / (tr1 / m))
    # a scaled-shifted statistic has the mean and variance of a chi-square on m df
    assert shifted["scale"] * tr1 + shifted["shift"] == pytest.approx(m)


def test_same_df_gives_plain_difference():
    d = ORACLE["satorra2000_ingredients"]["configural_scalar"]
    out = satorra2000_difference(
        t0=5.0,
        t1=3.0,
        df0=10,
        df1=10,
        delta1=[],
        delta0=[],
        k1=np.eye(1),
        k0=np.eye(1),
        weights=[],
        gammas=[],
        nobs=d["nobs"],
    )
    assert out["chisq_diff"] == 2.0
    assert out["df_diff"] == 0.0
    assert np.isnan(out["scale"])


# --------------------------------------------------------------------------------------
# lavaan's group.equal semantics and Wu & Estabrook's levels
# --------------------------------------------------------------------------------------
def test_thresholds_and_intercepts_imply_each_other():
    """lav_options_set: categorical models add 'intercepts' to 'thresholds' and back."""
    assert expand_group_equal(("thresholds",), categorical=True) == ("thresholds", "intercepts")
    assert expand_group_equal(("loadings", "intercepts"), categorical=True) == (
        "loadings",
        "intercepts",
        "thresholds",
    )
    assert expand_group_equal(("loadings",), categorical=True) == ("loadings",)
    assert expand_group_equal(("loadings", "intercepts"), categorical=False) == (
        "loadings",
        "intercepts",
    )
    # lavaan's thresholds + loadings model is its scalar model (same df and chi-square)
    tl, sc = ORACLE["cases"]["thresholds_loadings"], ORACLE["cases"]["scalar"]
    assert tl["fit"]["df"] == sc["fit"]["df"]
    assert tl["fit"]["chisq"] == pytest.approx(sc["fit"]["chisq"], abs=1e-8)


def test_wu_estabrook_levels_equal_semtools():
    """The syntax form of Wu & Estabrook's levels has semTools' chi-square and df."""
    for name, chk in ORACLE["we_check"].items():
        assert chk["lavaan_df"] == chk["semtools_df"], name
        assert chk["lavaan_chisq"] == pytest.approx(chk["semtools_chisq"], abs=1e-6), name
    # and it differs from lavaan's group.equal = "thresholds" (more restricted: df 68 vs 62)
    assert ORACLE["cases"]["thresholds"]["fit"]["df"] == 68
    assert ORACLE["cases"]["we_thresholds"]["fit"]["df"] == 62


def test_wu_estabrook_syntax_is_the_oracles():
    for name, lv, ov in (
        ("we_thresholds", ["f1", "f2"], Y),
        ("hs_we_thresholds", ["visual", "textual", "speed"], [f"x{k}" for k in range(1, 10)]),
    ):
        case = ORACLE["cases"][name]
        base = case["syntax"].split("\n")
        model = "\n".join(line for line in base if "~ c(" not in line)
        assert wu_estabrook_syntax(model, ov, lv, 2) == case["syntax"]


def test_wu_estabrook_syntax_refuses_user_intercepts():
    with pytest.raises(SpecificationError, match="intercept or mean of 'y1'"):
        wu_estabrook_syntax(M2 + "\ny1 ~ 1", Y, ["f1", "f2"], 2)
    with pytest.raises(SpecificationError, match="'f1'"):
        wu_estabrook_syntax(M2 + "\nf1 ~ 0*1", Y, ["f1", "f2"], 2)
    with pytest.raises(SpecificationError, match="label"):
        wu_estabrook_syntax(M2 + "\nf1 ~~ nu.y1.g1*f2", Y, ["f1", "f2"], 2)


def test_group_partial_threshold_is_read():
    assert _parse_partial("y3 | t1") == "y3|t1"
    assert _parse_partial("y3|t1") == "y3|t1"


def test_thresholds_refused_without_ordered_indicators():
    with pytest.raises(SpecificationError, match="'thresholds' needs ordered"):
        parse_model(M2, ngroups=2, group_equal="thresholds")
    data = pd.read_csv(SKEWED)
    with pytest.raises(SpecificationError, match=r"ordered=\[\.\.\.\]"):
        sem.fit(M2, data, group="group", group_equal=("thresholds", "loadings"))


# --------------------------------------------------------------------------------------
# a category unobserved in one group
# --------------------------------------------------------------------------------------
def test_unobserved_category_in_one_group_is_refused_like_lavaan():
    """lavaan stops ("some categories of variable `y6' are empty in group 2"); so do we."""
    ref = ORACLE["errors"]["unobserved_category"]
    assert "some categories of variable `y6' are empty in group 2" in ref["message"]
    data = pd.read_csv(SKEWED)
    collapsed = data.copy()  # y6's top category collapsed into 5 in group B only
    collapsed.loc[(collapsed["group"] == "B") & (collapsed["y6"] == 6), "y6"] = 5
    freq = ", ".join(str(k) for k in ref["frequencies"]["B"])
    with pytest.raises(DataError, match=rf"'y6'.*empty in group 'B'.*\[{freq}\]"):
        sem.fit(M2, collapsed, group="group", ordered=Y, group_equal="thresholds")
    # collapsing in every group is fine: lavaan fits it ("collapsed_everywhere")
    everywhere = data.copy()
    everywhere.loc[everywhere["y6"] == 6, "y6"] = 5
    ref2 = ORACLE["errors"]["collapsed_everywhere"]
    res = sem.fit(M2, everywhere, group="group", ordered=Y, group_equal="thresholds")
    assert float(res.fit_measures()["chisq_scaled"]) == pytest.approx(
        ref2["fit"]["chisq_scaled"], abs=1e-4
    )


# --------------------------------------------------------------------------------------
# whole fits: parameter tables, estimates, SEs and fit measures against lavaan
# --------------------------------------------------------------------------------------
_FITS: dict[str, sem.SEMResult] = {}


def _data(case):
    if case["data"] == "hs":
        from nrel_research.datasets import load_dataset

        return load_dataset("holzinger_swineford_1939_ordinal")
    return pd.read_csv(SKEWED)


def _fit(name):
    if name not in _FITS:
        c = ORACLE["cases"][name]
        _FITS[name] = sem.fit(
            c["syntax"],
            _data(c),
            group=c["group"],
            ordered=list(c["ordered"]),
            estimator=c["estimator"],
            parameterization=c["parameterization"],
            group_equal=tuple(c["group_equal"]),
            group_partial=tuple(c["group_partial"]),
        )
    return _FITS[name]


TABLE_COLUMNS = ["id", "lhs", "op", "rhs", "user", "block", "group", "free", "exo", "label"]


@pytest.mark.parametrize("name", sorted(ORACLE["cases"]))
def test_parameter_table_matches_partable(name):
    """Row by row as lavaan's parTable(): ops, free numbering, labels, fixed values."""
    ref = pd.DataFrame(ORACLE["cases"][name]["partable"])
    mine = _fit(name).model.table
    assert len(mine) == len(ref)
    for col in TABLE_COLUMNS:
        a = mine[col].fillna("").astype(str).tolist()
        b = ref[col].fillna("").astype(str).tolist()
        assert a == b, (name, col)
    np.testing.assert_allclose(
        mine["ustart"].to_numpy(float), ref["ustart"].to_numpy(float), atol=1e-12
    )
    eq = ref["op"] == "=="
    assert mine.loc[eq.to_numpy(), "plabel"].tolist() == [""] * int(eq.sum())


@pytest.mark.parametrize("name", sorted(ORACLE["cases"]))
def test_estimates_and_fit_measures_match_lavaan(name):
    case = ORACLE["cases"][name]
    res = _fit(name)
    ref = pd.DataFrame(case["estimates"])
    labels = case["group_labels"]
    ref["group"] = [labels[g - 1] for g in ref["group"]]
    got = ref.merge(res.estimates(), on=["lhs", "op", "rhs", "group"], suffixes=("_r", ""))
    assert len(got) == len(ref)
    np.testing.assert_allclose(got["est"], got["est_r"], atol=1e-4)
    se_r = got["se_r"].astype(float).fillna(0.0)
    np.testing.assert_allclose(got["se"].astype(float).fillna(0.0), se_r, atol=1e-4)
    fm = res.fit_measures()
    keys = [
        "npar",
        "chisq",
        "df",
        "pvalue",
        "chisq_scaled",
        "df_scaled",
        "pvalue_scaled",
        "chisq_scaling_factor",
        "baseline_chisq",
        "baseline_df",
        "cfi",
        "tli",
        "rmsea",
        "cfi_scaled",
        "tli_scaled",
        "rmsea_scaled",
        "rmsea_ci_lower_scaled",
        "rmsea_ci_upper_scaled",
        "srmr",
    ]
    for key in keys:
        if key in case["fit"]:
            assert float(fm[key]) == pytest.approx(case["fit"][key], abs=1e-4), (name, key)


def test_planted_threshold_shift_is_found():
    """Freeing y3|t1 (shifted +0.35 in group B) improves the scalar model by far."""
    free = _fit("partial_y3t1").estimates()
    t1 = free[(free["lhs"] == "y3") & (free["op"] == "|") & (free["rhs"] == "t1")]
    assert t1["est"].iloc[1] - t1["est"].iloc[0] > 0.2
    ref = ORACLE["lrt"]["partial"]
    assert ref["chisq_diff"][1] > 20  # lavaan's scaled difference, 1 df


def test_repeated_term_merges_modifiers_as_lavaan():
    """lav_syntax_parse_rhs: 'y ~ c(0, NA)*1 + c(a, b)*1' is one row, fixed and labelled."""
    t = parse_model("f =~ y1 + y2 + y3\ny1 ~ c(0, NA)*1 + c(a1, a2)*1", ngroups=2).table
    rows = t[(t["lhs"] == "y1") & (t["op"] == "~1")]
    assert rows["label"].tolist() == ["a1", "a2"]
    assert rows["free"].tolist()[0] == 0 and rows["free"].tolist()[1] > 0
    with pytest.raises(SpecificationError, match="specified twice"):
        parse_model("f =~ y1 + y2 + y3\ny1 ~ a*1 + b*1")
    with pytest.raises(SpecificationError, match="specified twice"):
        parse_model("f =~ y1 + y2 + y2")


# --------------------------------------------------------------------------------------
# lavTestLRT of WLSMV / WLSM / ULSMV fits
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize("sname", sorted(ORACLE["lrt"]))
def test_lrt_matches_lavtestlrt(sname, recwarn):
    ref = ORACLE["lrt"][sname]
    fits = [_fit(n) for n in ref["models"]]
    tab = sem.lrt(*fits, model_names=ref["models"])
    assert tab.index.tolist() == ref["rows"]
    assert tab.attrs["method"] == ref["method"]
    assert tab["df"].tolist() == ref["df"]
    for col, key in (("chisq", "chisq"), ("chisq_diff", "chisq_diff")):
        exp = np.array([np.nan if v is None else v for v in ref[key]], dtype=float)
        np.testing.assert_allclose(tab[col].to_numpy(float), exp, atol=1e-4, equal_nan=True)
    for col, key in (("df_diff", "df_diff"), ("pvalue_diff", "pvalue_diff")):
        exp = np.array([np.nan if v is None else v for v in ref[key]], dtype=float)
        np.testing.assert_allclose(tab[col].to_numpy(float), exp, atol=1e-6, equal_nan=True)
    if ref.get("scale") is not None and ref["method"] == "satorra.2000":
        exp = np.array([np.nan if v is None else v for v in ref["scale"]], dtype=float)
        np.testing.assert_allclose(tab.attrs["scale"], exp, atol=1e-6, equal_nan=True)
    assert tab["aic"].isna().all()  # lavaan: no AIC/BIC for (D)WLS


def _single_group_fits():
    data = pd.read_csv(SKEWED)
    a = data[data["group"] == "A"]
    free = sem.fit(M2, a, ordered=Y)
    orth = sem.fit(M2 + "\nf1 ~~ 0*f2", a, ordered=Y)
    return free, orth


def test_lrt_one_group_wlsmv():
    ref = ORACLE["single_group"]
    free, orth = _single_group_fits()
    for res, key in ((free, "free"), (orth, "orthogonal")):
        assert float(res.fit_measures()["chisq_scaled"]) == pytest.approx(
            ref[key]["fit"]["chisq_scaled"], abs=1e-4
        )
    tab = sem.lrt(free, orth, model_names=["free", "orthogonal"])
    assert tab["chisq_diff"].iloc[1] == pytest.approx(ref["lrt"]["chisq_diff"][1], abs=1e-4)
    assert tab["pvalue_diff"].iloc[1] == pytest.approx(ref["lrt"]["pvalue_diff"][1], abs=1e-8)
    assert tab.attrs["scale"][1] == pytest.approx(ref["lrt"]["scale"][1], abs=1e-6)
    one = sem.lrt(free)
    exp = ref["lrt_one_model"]
    assert one["chisq"].iloc[1] == pytest.approx(exp["chisq"][1], abs=1e-4)
    assert one["pvalue_diff"].iloc[1] == pytest.approx(exp["pvalue_diff"][1], abs=1e-6)


def test_lrt_variants_and_refusals():
    free, orth = _single_group_fits()
    satt = sem.lrt(free, orth, scaled_shifted=False)
    shifted = sem.lrt(free, orth)
    assert satt["df_diff"].iloc[1] != shifted["df_diff"].iloc[1]  # Satterthwaite df
    with pytest.raises(NrelError, match=r"satorra\.2000"):
        sem.lrt(free, orth, method="satorra.bentler.2001")
    c = ORACLE["cases"]
    wlsm = [_fit("wlsm_configural"), _fit("wlsm_scalar")]
    mean_adj = sem.lrt(*wlsm, method="satorra.2000")
    assert mean_adj.attrs["method"] == "satorra.2000"
    assert np.isfinite(mean_adj["chisq_diff"].iloc[1])
    assert c["wlsm_scalar"]["fit"]["df"] - c["wlsm_configural"]["fit"]["df"] == 36
    with pytest.raises(NrelError, match="different estimators"):
        sem.lrt(_fit("configural"), _fit("wlsm_scalar"))


# --------------------------------------------------------------------------------------
# sem.invariance(..., ordered=...): Wu & Estabrook's sequence
# --------------------------------------------------------------------------------------
def _check_sequence(tab, sname):
    ref = ORACLE["lrt"][sname]
    assert tab["df"].tolist() == ref["df"]
    for k, case in enumerate(ref["models"]):
        fit = ORACLE["cases"][case]["fit"]
        row = tab.iloc[k]
        for col, key in (
            ("chisq", "chisq_scaled"),
            ("pvalue", "pvalue_scaled"),
            ("cfi", "cfi_scaled"),
            ("tli", "tli_scaled"),
            ("rmsea", "rmsea_scaled"),
            ("srmr", "srmr"),
            ("npar", "npar"),
        ):
            assert float(row[col]) == pytest.approx(fit[key], abs=1e-4), (case, col)
    exp = np.array([np.nan if v is None else v for v in ref["chisq_diff"]], dtype=float)
    np.testing.assert_allclose(tab["chisq_diff"].to_numpy(float), exp, atol=1e-4, equal_nan=True)
    exp = np.array([np.nan if v is None else v for v in ref["pvalue_diff"]], dtype=float)
    np.testing.assert_allclose(tab["pvalue_diff"].to_numpy(float), exp, atol=1e-6, equal_nan=True)


def test_invariance_ordinal_follows_wu_estabrook():
    data = pd.read_csv(SKEWED)
    tab = sem.invariance(M2, data, group="group", ordered=Y)
    assert tab["level"].tolist() == ["configural", "thresholds", "metric", "scalar"]
    _check_sequence(tab, "we_delta")
    assert tab.attrs["identification"] == {
        "configural": "lavaan group.equal",
        "thresholds": "Wu & Estabrook (2016)",
        "metric": "Wu & Estabrook (2016)",
        "scalar": "lavaan group.equal",
    }
    assert tab["verdict"].tolist()[:2] == ["baseline", "no cut-off"]
    assert "guidance only" in tab.attrs["basis"]
    assert "Wu & Estabrook (2016)" in tab.attrs["basis"]
    assert set(tab["method"].iloc[1:]) == {"satorra.2000"}


def test_invariance_ordinal_theta_with_strict():
    data = pd.read_csv(SKEWED)
    tab = sem.invariance(M2, data, group="group", ordered=True, parameterization="theta")
    assert tab["level"].tolist() == ["configural", "thresholds", "metric", "scalar", "strict"]
    _check_sequence(tab, "we_theta")


def test_invariance_ordinal_hs_by_school():
    from nrel_research.datasets import load_dataset

    hs = load_dataset("holzinger_swineford_1939_ordinal")
    model = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"
    tab = sem.invariance(model, hs, group="school", ordered=[f"x{k}" for k in range(1, 10)])
    _check_sequence(tab, "hs_we")


def test_invariance_ordinal_bad_input():
    data = pd.read_csv(SKEWED)
    with pytest.raises(SpecificationError, match="parameterization='theta'"):
        sem.invariance(M2, data, group="group", ordered=Y, levels=("configural", "strict"))
    with pytest.raises(SpecificationError, match="every observed variable"):
        sem.invariance(M2, data, group="group", ordered=Y[:4])
    binary = data.copy()
    binary["y1"] = (binary["y1"] > 2).astype(float)
    with pytest.raises(SpecificationError, match="only 2 categories"):
        sem.invariance(M2, binary, group="group", ordered=Y)
    with pytest.raises(SpecificationError, match="ordered"):
        sem.invariance(M2, data, group="group", levels=("configural", "thresholds"))
