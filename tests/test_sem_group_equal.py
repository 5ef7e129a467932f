"""Cross-group equality constraints (``group_equal=``, ``group_partial=``) against lavaan 0.6.14.

Oracle: tests/reference/sem_group_equal.json, written by tests/reference/sem_group_equal.R (R
and lavaan versions recorded there): ``sem(model, data = hs, group = ..., group.equal = ...,
group.partial = ..., std.lv = ...)`` on the bundled Holzinger-Swineford CSV, by school (156 and
145 rows) and by three age bands (109, 110 and 82 rows). Every keyword appears at least once:
configural / metric / scalar / strict, partial scalar (``x3~1``, ``x7~1``) and partial metric
(``visual=~x3``), ``means``, ``lv.variances`` + ``lv.covariances``, ``residual.covariances`` (a
model with ``x7 ~~ x8``), ``regressions`` (an SEM with two structural paths and one with a
fixed.x covariate), ``std.lv = TRUE`` with equal loadings (latent variances freed in group 2)
and with equal latent variances, user labels overriding ``group.equal``, and a parameter fixed
in group 2 only. Compared: the whole ``parTable()`` (which rows are free, fixed, labelled, and
the ``==`` rows), every row of ``parameterEstimates(standardized = TRUE)`` (est, se, std.all,
label) and ``fitMeasures()``, at ``atol=1e-4`` (the issue's tolerance).
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
from nrel_research.exceptions import DataError, NrelError, NrelWarning, SpecificationError
from nrel_research.sem.syntax import GROUP_EQUAL_KEYWORDS, parse_model

REF = json.loads((Path(__file__).parent / "reference" / "sem_group_equal.json").read_text())
CASES = REF["cases"]
ATOL = 1e-4
HS_MODEL = "visual =~ x1 + x2 + x3; textual =~ x4 + x5 + x6; speed =~ x7 + x8 + x9"


def add_ageband(data: pd.DataFrame) -> pd.DataFrame:
    """The R script's three-group column: ageyr <= 12, == 13, >= 14."""
    out = data.copy()
    out["ageband"] = np.where(
        out["ageyr"] <= 12, "le12", np.where(out["ageyr"] == 13, "13", "ge14")
    )
    return out


@pytest.fixture(scope="module")
def hs():
    return add_ageband(load_dataset("holzinger_swineford_1939"))


def _fit(hs, case, **extra):
    return sem.fit(
        case["syntax"],
        hs,
        group=case["group"],
        group_equal=case["group_equal"],
        group_partial=case["group_partial"],
        std_lv=case["std_lv"],
        **extra,
    )


@pytest.fixture(scope="module")
def fits(hs):
    out = {}
    for name, case in CASES.items():
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            out[name] = _fit(hs, case)
    return out


def _ref_estimates(name):
    ref = pd.DataFrame(CASES[name]["estimates"])
    labels = CASES[name]["group_labels"]
    ref["group"] = [labels[g - 1] for g in ref["group"]]
    return ref


def test_every_keyword_is_covered():
    used = {kw for case in CASES.values() for kw in case["group_equal"]}
    # "thresholds" (ordered indicators) is covered by tests/test_sem_ordinal_groups.py
    assert used == set(GROUP_EQUAL_KEYWORDS) - {"thresholds"}
    assert any(case["group_partial"] for case in CASES.values())
    assert {len(case["group_labels"]) for case in CASES.values()} == {2, 3}


@pytest.mark.parametrize("name", sorted(CASES))
def test_parameter_table_matches_lavaan(name):
    case = CASES[name]
    pt = parse_model(
        case["syntax"],
        ngroups=len(case["group_labels"]),
        meanstructure=True,
        std_lv=case["std_lv"],
        group_equal=case["group_equal"],
        group_partial=case["group_partial"],
    )
    ours = pt.table
    ref = pd.DataFrame(case["partable"])
    assert len(ours) == len(ref)
    cols = ["id", "lhs", "op", "rhs", "user", "block", "group", "free", "exo", "label", "plabel"]
    for col in cols:
        assert ours[col].tolist() == ref[col].tolist(), col
    ustart = ref["ustart"].astype(float).to_numpy()
    np.testing.assert_array_equal(ours["ustart"].to_numpy(dtype=float), ustart)


@pytest.mark.parametrize("name", sorted(CASES))
def test_estimates_match_lavaan(fits, name):
    est = fits[name].estimates()
    ref = _ref_estimates(name)
    keys = ["lhs", "op", "rhs", "group"]
    assert est[keys].values.tolist() == ref[keys].values.tolist()
    assert est["label"].tolist() == ref["label"].tolist()
    np.testing.assert_allclose(est["est"], ref["est"], atol=ATOL, rtol=0)
    np.testing.assert_allclose(est["se"], ref["se"], atol=ATOL, rtol=0)
    np.testing.assert_allclose(est["std_all"], ref["std.all"], atol=ATOL, rtol=0)


@pytest.mark.parametrize("name", sorted(CASES))
def test_fit_measures_match_lavaan(fits, name):
    res = fits[name]
    fm = res.fit_measures()
    for key, value in CASES[name]["fit"].items():
        assert fm[key] == pytest.approx(value, abs=ATOL), key
    assert res.group_labels == CASES[name]["group_labels"]
    assert res.group_nobs == CASES[name]["group_n"]
    assert res.converged and not res.warnings


def test_constrained_estimates_are_equal(fits):
    est = fits["scalar"].estimates()
    for op in ("=~", "~1"):
        rows = est[(est["op"] == op) & (est["label"] != "")]
        for _, pair in rows.groupby("label"):
            assert len(pair) == 2
            assert pair["est"].iloc[0] == pytest.approx(pair["est"].iloc[1], abs=1e-10)
    # the latent means are fixed at 0 in group 1 and free in group 2
    means = est[(est["op"] == "~1") & est["lhs"].isin(["visual", "textual", "speed"])]
    assert (means.loc[means["group"] == "Pasteur", "se"] == 0).all()
    assert (means.loc[means["group"] == "Grant-White", "se"] > 0).all()


def test_partial_frees_named_parameters_in_every_group(fits):
    est = fits["partial_scalar"].estimates()
    x3 = est[(est["lhs"] == "x3") & (est["op"] == "~1")]
    assert x3["label"].tolist() == ["", ""]
    assert abs(x3["est"].iloc[0] - x3["est"].iloc[1]) > 0.1
    x1 = est[(est["lhs"] == "x1") & (est["op"] == "~1")]
    assert x1["label"].tolist() == [".p25.", ".p25."]


def test_partial_is_whitespace_tolerant_and_order_free_for_covariances(hs, fits):
    spaced = dict(CASES["partial_scalar"], group_partial=[" x3 ~ 1", "x7  ~1 "])
    assert _fit(hs, spaced).fit_measures()["chisq"] == pytest.approx(
        fits["partial_scalar"].fit_measures()["chisq"], abs=1e-8
    )
    case = CASES["lv_var_cov"]
    a = _fit(hs, dict(case, group_partial=["visual ~~ textual"]))
    b = _fit(hs, dict(case, group_partial=["textual~~visual"]))
    assert a.model.table["label"].tolist() == b.model.table["label"].tolist()
    assert a.fit_measures()["df"] == CASES["lv_var_cov"]["fit"]["df"] - 1


@pytest.mark.parametrize(
    ("group_equal", "match"),
    [
        (("loadings", "intercept"), r"unknown keyword 'intercept'.*Did you mean 'intercepts'"),
        ("weights", r"unknown keyword 'weights'.*'loadings', 'intercepts', 'means'"),
        (("thresholds",), "ordinal"),
        (("composite.loadings",), "formative"),
        ((1,), "not a string"),
    ],
)
def test_bad_group_equal(hs, group_equal, match):
    with pytest.raises(SpecificationError, match=match):
        sem.fit(HS_MODEL, hs, group="school", group_equal=group_equal)


@pytest.mark.parametrize(
    ("partial", "match"),
    [
        ("visual=~x12", r"'visual=~x12' is not a parameter.*Did you mean .*'visual=~x1'"),
        ("x3~~x33", r"'x3~~x33' is not a parameter.*Did you mean .*'x3~~x3'"),
        ("zz~1", r"'zz~1' is not a parameter"),
        ("visual =~", "cannot read"),
        ("x1 ~ 2", "cannot read"),
        ("visual=~x1+x2", "cannot read"),
        ("a*x1", "cannot read"),
    ],
)
def test_bad_group_partial(hs, partial, match):
    with pytest.raises(SpecificationError, match=match):
        sem.fit(HS_MODEL, hs, group="school", group_equal="loadings", group_partial=partial)


def test_group_equal_needs_group(hs):
    for kw in ({"group_equal": "loadings"}, {"group_partial": ["x1~1"]}):
        with pytest.raises(NrelError, match="need group="):
            sem.fit(HS_MODEL, hs, **kw)


@pytest.mark.parametrize(
    ("partial", "match"),
    [
        ("x1~1", "not constrained by group_equal"),
        ("visual=~x1", "fixed in every group"),
    ],
)
def test_partial_without_effect_is_warned(hs, partial, match):
    with pytest.warns(NrelWarning, match=match):
        res = sem.fit(HS_MODEL, hs, group="school", group_equal="loadings", group_partial=partial)
    assert any(match in w for w in res.warnings)
    ref = CASES["metric"]["fit"]
    assert res.fit_measures()["chisq"] == pytest.approx(ref["chisq"], abs=ATOL)


def test_partial_on_user_labelled_parameter_is_warned(hs):
    model = "visual =~ x1 + c(a,b)*x2 + x3; textual =~ x4 + x5 + x6; speed =~ x7 + x8 + x9"
    with pytest.warns(NrelWarning, match="has a label in the model syntax"):
        sem.fit(model, hs, group="school", group_equal="loadings", group_partial="visual=~x2")


def test_single_group_column_ignores_group_equal_with_a_warning(hs):
    one = hs[hs["school"] == "Pasteur"]
    with pytest.warns(NrelWarning, match="single group"):
        res = sem.fit(HS_MODEL, one, group="school", group_equal="loadings")
    assert res.fit_measures()["df"] == 24


def test_group_too_small_with_constraints(hs):
    small = pd.concat([hs[hs["school"] == "Pasteur"], hs[hs["school"] == "Grant-White"].head(25)])
    with pytest.raises(DataError, match=r"group 'Grant-White' has 25 complete row\(s\)"):
        sem.fit(HS_MODEL, small, group="school", group_equal=("loadings", "intercepts"))


# --------------------------------------------------------------------------------------
# invariance(): the level sequence and lavTestLRT
# --------------------------------------------------------------------------------------
LRT = REF["lrt"]


def _check_against_lrt(tab, seq):
    ref = LRT[seq]
    assert tab["df"].tolist() == ref["df"]
    for col in ("chisq", "aic", "bic"):
        np.testing.assert_allclose(tab[col], ref[col], atol=ATOL, rtol=0)
    for col in ("chisq_diff", "df_diff", "pvalue_diff"):
        got = tab[col].to_numpy(dtype=float)
        want = np.array([np.nan if v is None else v for v in ref[col]], dtype=float)
        np.testing.assert_allclose(got, want, atol=ATOL, rtol=0)
    for name, (_, row) in zip(ref["models"], tab.iterrows(), strict=True):
        fm = CASES[name]["fit"]
        for key in ("npar", "chisq", "df", "pvalue", "cfi", "tli", "rmsea", "srmr", "aic", "bic"):
            assert row[key] == pytest.approx(fm[key], abs=ATOL), (name, key)


@pytest.fixture(scope="module")
def school_table(hs):
    return sem.invariance(HS_MODEL, hs, group="school")


def test_invariance_matches_lavaan_lrt_by_school(school_table):
    tab = school_table
    assert tab["level"].tolist() == ["configural", "metric", "scalar", "strict"]
    assert tab["group_equal"].tolist() == [
        "",
        "loadings",
        "loadings, intercepts",
        "loadings, intercepts, residuals",
    ]
    _check_against_lrt(tab, "school")


def test_invariance_three_groups_matches_lavaan(hs):
    tab = sem.invariance(HS_MODEL, hs, group="ageband")
    _check_against_lrt(tab, "ageband")
    assert tab.attrs["fits"]["metric"].group_labels == ["13", "le12", "ge14"]


def test_invariance_partial_matches_lavaan(hs):
    tab = sem.invariance(
        HS_MODEL, hs, group="school", levels=("metric", "scalar"), partial=["x3 ~ 1", "x7~1"]
    )
    _check_against_lrt(tab, "partial")
    assert tab["group_partial"].tolist() == ["", "x3~1, x7~1"]


def test_invariance_deltas_and_verdicts(school_table):
    tab = school_table
    fits = tab.attrs["fits"]
    for k in (1, 2, 3):
        cur, prev = tab.loc[k, "level"], tab.loc[k - 1, "level"]
        for m in ("cfi", "rmsea", "srmr"):
            want = fits[cur].fit_measures()[m] - fits[prev].fit_measures()[m]
            assert tab.loc[k, f"delta_{m}"] == pytest.approx(want, abs=1e-12)
    # metric: dCFI -.002 -> supported; scalar: dCFI -.038 with dRMSEA +.0145 but dSRMR
    # +.0108 >= .010 -> not supported; strict: dCFI -.0095 > -.010 -> supported, flagged as
    # following a failed level
    assert tab["verdict"].tolist() == [
        "baseline",
        "supported",
        "not supported",
        "supported (after 'scalar' was not)",
    ]
    assert "Chen" in tab.attrs["basis"] and "guidance" in tab.attrs["basis"]
    assert "N > 300" in tab.attrs["basis"]
    assert tab.attrs["cutoffs"]["metric"] == {"cfi": 0.010, "rmsea": 0.015, "srmr": 0.030}


def test_invariance_small_sample_uses_chen_stricter_cutoffs(hs):
    small = hs.iloc[:250]
    tab = sem.invariance(HS_MODEL, small, group="school", levels=("configural", "metric"))
    assert "N <= 300" in tab.attrs["basis"]
    assert tab.attrs["cutoffs"]["scalar"]["srmr"] == 0.005


def test_verdict_rule_boundaries():
    from nrel_research.sem.invariance import _verdict

    d = {"cfi": -0.010, "rmsea": 0.0, "srmr": 0.030}
    assert _verdict("metric", d, "large") == "not supported"
    assert _verdict("metric", dict(d, cfi=-0.009), "large") == "supported"
    assert _verdict("metric", dict(d, srmr=0.029), "large") == "supported"
    assert _verdict("scalar", dict(d, srmr=0.010), "large") == "not supported"
    assert _verdict("scalar", dict(d, srmr=0.0, rmsea=0.015), "large") == "not supported"
    assert _verdict("scalar", dict(d, srmr=0.0, rmsea=0.014), "large") == "supported"
    assert _verdict("lv_variances", d, "large") == "no cut-off"


def test_invariance_table_survives_pandas_operations(school_table):
    sub = school_table[["level", "cfi"]].copy()
    assert sub.attrs["fits"] is school_table.attrs["fits"]


def test_invariance_custom_level_and_fit_kwargs(hs):
    tab = sem.invariance(
        HS_MODEL,
        hs,
        group="school",
        levels=("metric", ("equal_lv_var", ("loadings", "lv.variances"))),
        std_lv=True,
    )
    assert tab["verdict"].iloc[1] == "no cut-off"
    ref = CASES["std_lv_lv_variances"]["fit"]
    assert tab["chisq"].iloc[1] == pytest.approx(ref["chisq"], abs=ATOL)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"levels": ("configural", "weak")}, "unknown level 'weak'"),
        ({"levels": ("scalar", "metric")}, "does not contain the constraints"),
        ({"levels": ("metric", "metric")}, "repeat a name"),
        ({"levels": ()}, "at least one level"),
        ({"levels": ("metric",), "partial": ["x3~1"]}, "not constrained at any of the levels"),
        ({"partial": ["x3~~x33"]}, "not a parameter of the model"),
        ({"group_equal": "loadings"}, "set by invariance"),
    ],
)
def test_invariance_bad_input(hs, kwargs, match):
    with pytest.raises(NrelError, match=match):
        sem.invariance(HS_MODEL, hs, group="school", **kwargs)


def test_difference_test_refuses_other_data(hs, fits):
    from nrel_research.sem.invariance import difference_test

    other = sem.fit(HS_MODEL, hs.iloc[:250], group="school")
    with pytest.raises(NrelError, match="different numbers of rows"):
        difference_test(other, fits["configural"])
    out = difference_test(fits["metric"], fits["configural"])
    assert out["df_diff"] == 6
    assert out["chisq_diff"] == pytest.approx(LRT["school"]["chisq_diff"][1], abs=ATOL)


# --------------------------------------------------------------------------------------
# group_label= (lavaan group.label)
# --------------------------------------------------------------------------------------
def test_group_label_orders_and_selects_groups(hs, fits):
    res = sem.fit(HS_MODEL, hs, group="school", group_label=["Grant-White", "Pasteur"])
    assert res.group_labels == ["Grant-White", "Pasteur"]
    ref = CASES["configural"]["fit"]
    assert res.fit_measures()["chisq"] == pytest.approx(ref["chisq"], abs=ATOL)
    # a subset of the three age bands: the other rows are left out
    two = sem.fit(HS_MODEL, hs, group="ageband", group_label=("le12", "ge14"))
    assert two.group_labels == ["le12", "ge14"]
    assert two.nobs == 109 + 82 and two.n_dropped == 110
    # numeric group columns match by value or by text
    g = sem.fit(HS_MODEL, hs, group="grade", group_label=["8", 7])
    assert g.group_labels == [8.0, 7.0]


def test_group_label_errors(hs):
    with pytest.raises(DataError, match=r"group label 'Grant White' .* does not occur"):
        sem.fit(HS_MODEL, hs, group="school", group_label=["Pasteur", "Grant White"])
    with pytest.raises(NrelError, match="give group= too"):
        sem.fit(HS_MODEL, hs, group_label=["Pasteur"])
    with pytest.raises(DataError, match="empty"):
        sem.fit(HS_MODEL, hs, group="school", group_label=[])


def test_invariance_passes_group_label(hs):
    tab = sem.invariance(
        HS_MODEL, hs, group="school", levels=("configural", "metric"),
        group_label=["Grant-White", "Pasteur"],
    )  # fmt: skip
    assert tab.attrs["fits"]["metric"].group_labels == ["Grant-White", "Pasteur"]
    assert tab["chisq"].iloc[1] == pytest.approx(CASES["metric"]["fit"]["chisq"], abs=ATOL)


def test_invariance_warns_when_partial_names_a_marker_loading(hs):
    with pytest.warns(NrelWarning) as rec:
        tab = sem.invariance(
            HS_MODEL, hs, group="school", levels=("configural", "metric"), partial=["speed=~x7"]
        )
    texts = [str(w.message) for w in rec]
    assert any("'x7', the marker (reference) indicator of 'speed'" in t for t in texts)
    assert any("fixed in every group" in t for t in texts)  # from fit()
    assert tab["df_diff"].iloc[1] == 6  # nothing freed: the marker loading is fixed
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sem.invariance(HS_MODEL, hs, group="school", levels=("metric", "scalar"),
                       partial=["x7 ~ 1"])  # fmt: skip
