"""nrel_research.sem.fit on bad input and on problem solutions: clear errors, recorded warnings."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from nrel_research import sem
from nrel_research.datasets import load_dataset
from nrel_research.exceptions import (
    ConvergenceWarning,
    DataError,
    ImproperSolutionWarning,
    NrelError,
    SpecificationError,
)

HS_MODEL = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6"


@pytest.fixture
def hs():
    return load_dataset("holzinger_swineford_1939")


def test_unparsable_syntax_names_the_line(hs):
    with pytest.raises(SpecificationError, match=r"line 3: .*x7 x8"):
        sem.fit("visual =~ x1 + x2 + x3\n# comment\nspeed =~ x7 x8 + x9", hs)


def test_variables_not_in_data(hs):
    with pytest.raises(DataError, match=r"lacks column\(s\) 'x10'"):
        sem.fit("visual =~ x1 + x2 + x10", hs, data_name="hs.csv")


def test_non_numeric_column_names_row_and_value(hs):
    bad = hs.astype({"x2": object})
    bad.loc[5, "x2"] = "n/a"
    with pytest.raises(DataError, match=r"row 5, column 'x2', value 'n/a'"):
        sem.fit(HS_MODEL, bad)
    with pytest.raises(DataError, match="column 'school'"):
        sem.fit("visual =~ x1 + x2 + school", hs.astype({"school": "category"}))


def test_numeric_strings_are_accepted(hs):
    as_text = hs.astype({"x2": str})
    a = sem.fit(HS_MODEL, as_text).estimates()
    b = sem.fit(HS_MODEL, hs).estimates()
    pd.testing.assert_frame_equal(a, b)


def test_nullable_integers_and_infinite_values(hs):
    nullable = hs.astype({"x1": "Float64"})
    nullable.loc[3, "x1"] = pd.NA
    res = sem.fit(HS_MODEL, nullable)
    assert res.n_dropped == 1 and res.nobs == len(hs) - 1
    bad = hs.copy()
    bad.loc[7, "x5"] = np.inf
    with pytest.raises(DataError, match=r"row 7, column 'x5', value inf is infinite"):
        sem.fit(HS_MODEL, bad)


def test_too_few_complete_rows(hs):
    small = hs.head(12).copy()
    small.loc[small.index[:8], "x4"] = np.nan
    with pytest.raises(DataError, match=r"4 complete row\(s\).*8 dropped.*at least 7"):
        sem.fit(HS_MODEL, small)


def test_singular_covariance(hs):
    const = hs.assign(x3=1.0)
    with pytest.raises(DataError, match="'x3' are constant"):
        sem.fit(HS_MODEL, const)
    dup = hs.assign(x6=hs["x4"] + hs["x5"])
    with pytest.raises(DataError, match=r"singular.*'x6'"):
        sem.fit(HS_MODEL, dup)


def test_data_must_be_a_dataframe(hs):
    with pytest.raises(DataError, match="DataFrame"):
        sem.fit(HS_MODEL, hs.to_numpy())


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"estimator": "MLR", "se": "bootstrap"}, "bootstrap.*MLR.*not available"),
        ({"missing": "fiml", "se": "bootstrap"}, "bootstrap.*fiml.*not available"),
        ({"missing": "pairwise"}, "missing='pairwise' applies to ordered indicators"),
        ({"group": "school", "se": "bootstrap"}, "bootstrap of multiple-group.*not available"),
        ({"group_equal": ("loadings",)}, "group_equal.*need group="),
        ({"estimator": "GLS"}, "estimator='GLS' is not valid"),
        ({"se": "boot"}, "se='boot' is not valid"),
        ({"n_jobs": 0}, "n_jobs=0"),
    ],
)
def test_options_not_available_or_invalid(hs, kwargs, match):
    with pytest.raises(NrelError, match=match):
        sem.fit(HS_MODEL, hs, **kwargs)


def test_heywood_case_is_warned_and_recorded():
    rng = np.random.default_rng(2)
    n = 80
    f = rng.normal(size=n)
    df = pd.DataFrame(
        {
            "a1": f + rng.normal(scale=0.6, size=n),
            "a2": f + rng.normal(scale=0.05, size=n),
            "a3": 0.5 * f + rng.normal(size=n),
        }
    )
    with pytest.warns(ImproperSolutionWarning, match="negative.*a2"):
        res = sem.fit("f =~ a1 + a2 + a3", df)
    assert res.converged
    assert any("Heywood" in w for w in res.warnings)
    assert "Warnings:" in res.summary().as_text()


def test_unidentified_model_warns_singular_information():
    df = pd.DataFrame(np.random.default_rng(0).normal(size=(100, 3)), columns=["a1", "a2", "a3"])
    with pytest.warns(ImproperSolutionWarning, match="not be identified"):
        res = sem.fit("f =~ NA*a1 + a2 + a3", df)
    assert any("identified" in w for w in res.warnings)


def test_non_convergence_is_warned_and_recorded():
    # a resample on which lavaan 0.6.14 does not converge either (loadings -> 0, variance -> inf)
    rng = np.random.default_rng(3)
    n = 60
    f = rng.normal(size=n)
    base = pd.DataFrame(
        {
            "a1": f + rng.normal(scale=0.5, size=n),
            "a2": 0.9 * f + rng.normal(scale=0.5, size=n),
            "a3": 0.3 * f + rng.normal(size=n),
        }
    )
    rows = np.random.default_rng(1).integers(0, n, size=(60, n))[5]
    df = base.iloc[rows].reset_index(drop=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = sem.fit("f =~ a1 + a2 + a3", df)
    assert not res.converged
    assert any(issubclass(w.category, ConvergenceWarning) for w in caught)
    assert any("did not converge" in w for w in res.warnings)
