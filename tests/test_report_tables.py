"""Publication tables: assembled from lavaan-checked numbers, formatted by APA rules.

Oracles: lavaan 0.6.14 ``std.all`` loadings and paths and ``fitMeasures()``
(tests/reference/sem_ml.json: the HS three-factor CFA and the political democracy SEM), the
engine's own ``reliability()`` (itself checked against semTools in test_sem_validity.py),
and the APA Publication Manual's formatting rules (7th ed., 6.36: no leading zero for values
that cannot exceed 1; exact p to three decimals, "< .001" below).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sem_reference import frame, reference

from nrel_research import sem
from nrel_research.analysis import build_model
from nrel_research.datasets import load_dataset
from nrel_research.exceptions import NrelError
from nrel_research.report import ApaTable, apa, fit_table, measurement_table, structural_table


@pytest.fixture(scope="module")
def hs_fit():
    ref = reference()["fits"]["hs_cfa"]
    return sem.fit(ref["model"], load_dataset("holzinger_swineford_1939")), ref


def test_measurement_table_is_lavaans_std_all_with_reliability(hs_fit):
    res, ref = hs_fit
    t = measurement_table(res)
    want = frame(ref["estimates"]).query("op == '=~'")
    assert t["construct"].tolist() == want["lhs"].tolist()
    assert t["indicator"].tolist() == want["rhs"].tolist()
    np.testing.assert_allclose(t["loading"], want["std.all"], atol=1e-4)
    np.testing.assert_allclose(t["estimate"], want["est"], atol=1e-4)
    # the marker loading is fixed: no standard error or p-value
    first = t.groupby("construct", sort=False).head(1)
    assert first["se"].isna().all() and first["pvalue"].isna().all()
    assert t.drop(first.index)["se"].notna().all()
    rel = sem.reliability(res).set_index("factor")
    for _, row in t.iterrows():
        assert row["cr"] == pytest.approx(rel.loc[row["construct"], "omega"], abs=1e-12)
        assert row["ave"] == pytest.approx(rel.loc[row["construct"], "ave"], abs=1e-12)
        assert row["alpha"] == pytest.approx(rel.loc[row["construct"], "alpha"], abs=1e-12)


def test_structural_table_is_lavaans_paths_with_sources():
    ref = reference()["fits"]["poldem"]
    res = sem.fit(ref["model"], load_dataset("political_democracy"))
    t = structural_table(res, sources={("dem60", "ind60"): "H1"})
    want = frame(ref["estimates"]).query("op == '~'")
    assert list(zip(t["outcome"], t["predictor"], strict=True)) == list(
        zip(want["lhs"], want["rhs"], strict=True)
    )
    np.testing.assert_allclose(t["estimate"], want["est"], atol=1e-4)
    np.testing.assert_allclose(t["beta"], want["std.all"], atol=1e-4)
    np.testing.assert_allclose(t["se"], want["se"], atol=1e-4)
    src = dict(zip(zip(t["outcome"], t["predictor"], strict=True), t["source"], strict=True))
    assert src[("dem60", "ind60")] == "H1" and src[("dem65", "dem60")] == ""


def test_structural_table_takes_model_spec_paths():
    spec = build_model(
        actions=["E2"], antecedents=["market_orientation"], outcomes=["marketing_performance"]
    )
    # a small simulated data set with the model's columns (values irrelevant to the mapping)
    rng = np.random.default_rng(1)
    f = rng.normal(size=(400, 3))
    cols = {}
    for k, (_construct, g) in enumerate(spec.measurement.groupby("construct", sort=False)):
        for item in g["indicator"]:
            cols[item] = f[:, k] + 0.3 * f[:, max(k - 1, 0)] + rng.normal(size=400)
    res = sem.fit(spec.syntax, pd.DataFrame(cols))
    t = structural_table(res, sources=spec.paths)
    assert set(t["source"]) == {"P2", "P3"}
    with pytest.raises(NrelError, match="sources lacks column"):
        structural_table(res, sources=spec.paths.drop(columns="source"))


def test_fit_table_rows_are_the_fit_measures(hs_fit):
    res, ref = hs_fit
    mlr = sem.fit(ref["model"], load_dataset("holzinger_swineford_1939"), estimator="MLR")
    t = fit_table({"ML": res, "MLR": mlr})
    assert t.index.tolist() == ["ML", "MLR"]
    for key in ("chisq", "df", "cfi", "tli", "rmsea", "rmsea_ci_lower", "srmr", "aic", "bic"):
        assert t.loc["ML", key] == pytest.approx(
            ref["fit_measures"][key.replace("_", ".")], abs=1e-4
        )
    assert np.isnan(t.loc["ML", "chisq_scaled"]) and np.isfinite(t.loc["MLR", "chisq_scaled"])
    assert fit_table([res]).index.tolist() == ["model 1"]
    with pytest.raises(NrelError, match="fitted model"):
        fit_table({"bad": "not a fit"})
    with pytest.raises(NrelError, match="no fitted models"):
        fit_table({})


def test_apa_formatting_rules():
    t = pd.DataFrame(
        {
            "construct": ["a", "b", "c", "d"],
            "loading": [0.7849, -0.0004, 1.0, np.nan],
            "estimate": [0.123, 12.3456, -0.004, 2.0],
            "pvalue": [0.0004, 0.0449, 0.99996, np.nan],
            "df": [24.0, 3.0, 1.0, np.nan],
            "cfi": [0.95, 0.9, 1.0, 0.0],
        }
    )
    out = apa(t)
    assert isinstance(out, ApaTable)
    assert out["loading"].tolist() == [".78", ".00", "1.00", ""]
    assert out["estimate"].tolist() == ["0.12", "12.35", "0.00", "2.00"]  # unbounded: keep 0
    assert out["pvalue"].tolist() == ["< .001", ".045", "1.000", ""]
    assert out["df"].tolist() == ["24", "3", "1", ""]
    assert out["cfi"].tolist() == [".95", ".90", "1.00", ".00"]
    assert out["construct"].tolist() == ["a", "b", "c", "d"]
    assert apa(t, digits=3, p_digits=4)["pvalue"].tolist()[0] == ".0004"
    md = out.to_markdown(index=False)
    assert "| .78 " in md and "< .001" in md
    assert ".78" in out.to_html() and "< .001" in out.to_latex()
    assert isinstance(out.head(2), ApaTable)
    with pytest.raises(NrelError, match="DataFrame"):
        apa([1, 2])


def test_tables_refuse_non_results():
    with pytest.raises(NrelError, match=r"sem\.fit"):
        measurement_table("model")
    res = sem.fit("y1 ~ x1", load_dataset("political_democracy"))
    with pytest.raises(NrelError, match="no latent variables"):
        measurement_table(res)
    cfa = sem.fit("ind60 =~ x1 + x2 + x3", load_dataset("political_democracy"))
    with pytest.raises(NrelError, match="no regressions"):
        structural_table(cfa)


def test_coefficient_plot_of_ratios_on_a_log_axis():
    # Incidence-rate ratios: the line of no effect is at 1 and the axis is logarithmic.
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from nrel_research.report import coefficient_plot

    irr = pd.DataFrame(
        {"term": ["a", "b"], "irr": [0.8, 1.5], "ci_lower": [0.6, 1.2], "ci_upper": [1.1, 1.9]}
    )
    fig = coefficient_plot(
        irr, estimate="irr", lower="ci_lower", upper="ci_upper", label="term", null=1, logx=True
    )
    ax = fig.axes[0]
    assert ax.get_xscale() == "log"
    assert [line.get_xdata()[0] for line in ax.get_lines() if line.get_linestyle() == "--"] == [1]
    plt.close(fig)
    fig = coefficient_plot(
        irr, estimate="irr", lower="ci_lower", upper="ci_upper", label="term", null=None
    )
    assert fig.axes[0].get_xscale() == "linear"
    assert not [line for line in fig.axes[0].get_lines() if line.get_linestyle() == "--"]
    plt.close(fig)
    with pytest.raises(NrelError, match="logx=True needs"):
        coefficient_plot(
            irr.assign(ci_lower=[-0.1, 1.2]),
            estimate="irr",
            lower="ci_lower",
            upper="ci_upper",
            label="term",
            null=1,
            logx=True,
        )
