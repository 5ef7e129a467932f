"""``sem.standardized_solution`` on WLSMV fits (delta-method SEs of std.all values).

Oracle: lavaan 0.6.14 ``standardizedSolution(type = "std.all")``, produced by the committed
``tests/reference/sem_ordinal_standardized.R`` on the bundled ordinal Holzinger-Swineford
data (an SEM with a random numeric covariate, delta and theta parameterization).
Tolerance ``atol=1e-4`` (the issue's tolerance for estimates and SEs). These SEs give the
confidence intervals of the ordinal Monte Carlo recovery check
(``benchmarks/recovery_study.py --part ordinal``).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from nrel_research import sem
from nrel_research.datasets import load_dataset

REF = json.loads(
    (Path(__file__).parent / "reference" / "sem_ordinal_standardized.json").read_text("utf-8")
)
ATOL = 1e-4


@pytest.mark.parametrize("case", ["hs_sem_delta", "hs_sem_theta"])
def test_standardized_solution_matches_lavaan(case):
    ref = REF[case]
    # lavaan's fixed.x = FALSE: the numeric covariate's variance is a free parameter
    model = ref["model"] + "  ageyr ~~ ageyr\n"
    res = sem.fit(
        model,
        load_dataset(ref["data"]),
        ordered=ref["ordered"],
        estimator="WLSMV",
        parameterization=ref["parameterization"],
    )
    want = pd.DataFrame(ref["std_all"])
    got = sem.standardized_solution(res)
    m = want.merge(got, on=["lhs", "op", "rhs"], suffixes=("_r", ""))
    assert len(m) == len(want)
    # every path, loading, threshold, (residual) variance and covariance
    assert {"~", "=~", "|", "~~"} <= set(m["op"])
    np.testing.assert_allclose(m["est_std"], m["est.std"], atol=ATOL)
    np.testing.assert_allclose(m["se"], m["se_r"].fillna(0.0), atol=ATOL)
    np.testing.assert_allclose(m["ci_lower"], m["ci.lower"], atol=ATOL)
    np.testing.assert_allclose(m["ci_upper"], m["ci.upper"], atol=ATOL)
