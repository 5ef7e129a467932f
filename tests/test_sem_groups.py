"""Multiple-group ML (``sem.fit(..., group=)``) against lavaan 0.6.14.

Oracle: tests/reference/sem_groups.json, written by tests/reference/sem_groups.R (R and lavaan
versions recorded there): ``cfa(model, data = hs, group = "school")`` on the bundled
Holzinger-Swineford CSV for the three-factor configural CFA, the same model with a
user-labelled loading held equal across schools (``c(a,a)*x2``), and a four-group case of
unequal sizes (school x grade, one row dropped for a missing grade) with group-specific labels
(``c(a1,a1,a2,a2)*x2``: equal within school). Compared: every row of
``parameterEstimates(fit, standardized = TRUE)`` (est, se, std.all) and the fit measures, at
``atol=1e-4`` (the issue's tolerance).
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
from nrel_research.exceptions import DataError, NrelError

REF = json.loads((Path(__file__).parent / "reference" / "sem_groups.json").read_text())
ATOL = 1e-4
HS_MODEL = "visual =~ x1 + x2 + x3; textual =~ x4 + x5 + x6; speed =~ x7 + x8 + x9"


@pytest.fixture(scope="module")
def hs():
    data = load_dataset("holzinger_swineford_1939")
    # the R script's four-group column; a missing grade gives a missing group
    combo = data["school"] + "_" + data["grade"].astype("Int64").astype(str)
    data["school_grade"] = combo.where(data["grade"].notna())
    return data


@pytest.fixture(scope="module")
def fits(hs):
    out = {}
    for name, ref in REF["models"].items():
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            out[name] = sem.fit(ref["syntax"], hs, group=ref["group"])
    return out


@pytest.mark.parametrize("name", sorted(REF["models"]))
def test_estimates_match_lavaan(fits, name):
    res = fits[name]
    ref = pd.DataFrame(REF["models"][name]["estimates"])
    labels = REF["models"][name]["group_labels"]
    ref["group"] = [labels[g - 1] for g in ref["group"]]
    est = res.estimates()
    assert list(est.columns[:4]) == ["lhs", "op", "rhs", "group"]
    assert len(est) == len(ref)
    # same rows in the same order as lavaan's parameterEstimates()
    keys = ["lhs", "op", "rhs", "group"]
    assert est[keys].values.tolist() == ref[keys].values.tolist()
    assert est["label"].tolist() == ref["label"].tolist()
    np.testing.assert_allclose(est["est"], ref["est"], atol=ATOL, rtol=0)
    np.testing.assert_allclose(est["se"], ref["se"], atol=ATOL, rtol=0)
    np.testing.assert_allclose(est["std_all"], ref["std.all"], atol=ATOL, rtol=0)


@pytest.mark.parametrize("name", sorted(REF["models"]))
def test_fit_measures_match_lavaan(fits, name):
    fm = fits[name].fit_measures()
    for key, value in REF["models"][name]["fit"].items():
        assert fm[key] == pytest.approx(value, abs=ATOL), key


@pytest.mark.parametrize(
    ("name", "nobs", "dropped"), [("configural", 301, 0), ("four_groups", 300, 1)]
)
def test_group_order_and_sizes(fits, name, nobs, dropped):
    res = fits[name]
    assert res.group_labels == REF["models"][name]["group_labels"]
    assert res.group_nobs == REF["models"][name]["group_n"]
    assert res.nobs == nobs
    assert res.n_dropped == dropped  # a missing group label drops the row, as lavaan
    assert res.converged and not res.warnings


def test_labelled_loading_is_equal_across_groups(fits):
    est = fits["labelled"].estimates()
    x2 = est[(est["op"] == "=~") & (est["rhs"] == "x2")]
    assert x2["label"].tolist() == ["a", "a"]
    assert x2["est"].iloc[0] == x2["est"].iloc[1]


def test_implied_moments_per_group(fits, hs):
    res = fits["configural"]
    for lab in res.group_labels:
        mu = res.implied_mean(group=lab)
        # intercepts free per group: the implied means reproduce the sample means
        obs = hs.loc[hs["school"] == lab, mu.index].mean()
        np.testing.assert_allclose(mu, obs, atol=1e-6)
        assert res.implied_cov(group=lab).shape == (9, 9)
    with pytest.raises(NrelError, match="group labels"):
        res.implied_cov()


def test_group_order_is_first_appearance(hs):
    flipped = hs.iloc[::-1].reset_index(drop=True)
    res = sem.fit(HS_MODEL, flipped, group="school")
    assert res.group_labels == ["Grant-White", "Pasteur"]
    ref = REF["models"]["configural"]["fit"]
    assert res.fit_measures()["chisq"] == pytest.approx(ref["chisq"], abs=ATOL)


def test_missing_group_column(hs):
    with pytest.raises(DataError, match="schol"):
        sem.fit(HS_MODEL, hs, group="schol", data_name="hs.csv")


def test_group_too_small(hs):
    small = pd.concat([hs[hs["school"] == "Pasteur"], hs[hs["school"] == "Grant-White"].head(25)])
    with pytest.raises(DataError, match=r"group 'Grant-White' has 25 complete row\(s\).*30 free"):
        sem.fit(HS_MODEL, small, group="school", data_name="hs.csv")


def test_group_refuses_unsupported_options(hs, fits):
    with pytest.raises(NrelError, match="not available yet"):
        sem.fit(HS_MODEL, hs, group="school", se="bootstrap")
    with pytest.raises(NrelError, match="not available yet"):
        fits["configural"].modification_indices()


def test_single_group_tools_refuse_multigroup_results(fits):
    with pytest.raises(NrelError, match="multiple-group"):
        sem.reliability(fits["configural"])


def test_path_diagram_per_group(fits):
    import matplotlib

    matplotlib.use("Agg")
    res = fits["configural"]
    est = res.estimates()
    for lab in res.group_labels:
        ax = sem.plot_path_diagram(res, group=lab, digits=3)
        shown = {t.get_text() for t in ax.texts}
        x2 = est[(est["group"] == lab) & (est["op"] == "=~") & (est["rhs"] == "x2")]
        assert f"{x2['std_all'].iloc[0]:.3f}" in shown
    with pytest.raises(NrelError, match="one group at a time"):
        sem.plot_path_diagram(res)
