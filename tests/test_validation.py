"""The shared input-validation helpers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from nrel_research import exceptions as ex
from nrel_research._validation import (
    check_choice,
    check_columns,
    check_positive_int,
    check_rng,
    locate,
)


def test_exception_and_warning_hierarchy():
    for cls in (ex.FrameworkError, ex.SpecificationError, ex.DataError):
        assert issubclass(cls, ex.NrelError)
    assert issubclass(ex.NrelError, ValueError)
    for cls in (ex.ConvergenceWarning, ex.ImproperSolutionWarning, ex.DataQualityWarning):
        assert issubclass(cls, ex.NrelWarning)
    assert issubclass(ex.NrelWarning, UserWarning)


def test_locate():
    assert locate(file="a.csv", row=3, column="age", value=-1, has_value=True) == (
        "file 'a.csv', row 3, column 'age', value -1"
    )
    assert locate(column="x", value=None, has_value=True) == "column 'x', value None"
    assert locate() == ""


def test_check_choice():
    assert check_choice("ML", "estimator", ["ML", "MLR"]) == "ML"
    assert check_choice(" mlr ", "estimator", ["ML", "MLR"], normalize=True) == "MLR"
    with pytest.raises(
        ex.NrelError, match=r"estimator='GLS' is not valid; use one of: 'ML', 'MLR'"
    ):
        check_choice("GLS", "estimator", ["ML", "MLR"])
    with pytest.raises(ex.SpecificationError):
        check_choice("x", "missing", ["fiml"], error=ex.SpecificationError)


def test_check_columns():
    df = pd.DataFrame({"a": [1], "b": [2]})
    check_columns(df, ["a", "b"])
    with pytest.raises(ex.DataError, match=r"responses.csv lacks column\(s\) 'c'; available: a, b"):
        check_columns(df, ["a", "c"], data_name="responses.csv")
    with pytest.raises(ex.DataError, match="must be a pandas DataFrame, got list"):
        check_columns([1, 2], ["a"])


def test_check_positive_int():
    assert check_positive_int(np.int64(5), "n") == 5
    for bad in (0, -1, 2.5, True, "10"):
        with pytest.raises(ex.NrelError, match="use a whole number >= 1"):
            check_positive_int(bad, "bootstrap")


def test_check_rng_is_local_and_reproducible():
    state = np.random.get_state()[1].copy()  # noqa: NPY002 - checks the legacy global state
    a = check_rng(7).normal(size=5)
    b = check_rng(7).normal(size=5)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, check_rng(8).normal(size=5))
    np.testing.assert_array_equal(np.random.get_state()[1], state)  # noqa: NPY002
    g = np.random.default_rng(1)
    assert check_rng(g) is g
    assert isinstance(check_rng(None), np.random.Generator)
    for bad in (-1, 1.5, "42", True):
        with pytest.raises(ex.NrelError, match="pass a non-negative integer"):
            check_rng(bad)
