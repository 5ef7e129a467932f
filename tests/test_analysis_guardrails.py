"""Guardrails: sample size per group, sector design choice, multiplicity adjustment.

Oracles: lavaan's parameter count of the configural HS model (npar = 60 for two groups,
tests/reference/sem_groups.json), R's p.adjust (tests/reference/guardrails.R), and
constructed data sets whose group sizes are known by construction.
"""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest

from nrel_research.analysis import (
    SampleSizeWarning,
    adjust_pvalues,
    free_parameters_per_group,
    group_sizes,
    sector_design,
)
from nrel_research.datasets import load_dataset
from nrel_research.exceptions import DataQualityWarning, NrelError

HS_MODEL = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"
SMALL = "f =~ y1 + y2 + y3"  # 9 free parameters per group


@pytest.fixture(scope="module")
def reference(root):
    return json.loads((root / "tests" / "reference" / "guardrails.json").read_text())


def _data(sizes, seed=0):
    rng = np.random.default_rng(seed)
    rows = []
    for lab, n in sizes.items():
        f = rng.normal(size=n)
        block = pd.DataFrame({f"y{k}": f + rng.normal(size=n) for k in (1, 2, 3)})
        rows.append(block.assign(sector=lab))
    return pd.concat(rows, ignore_index=True)


def test_parameter_count_matches_lavaan(root):
    ref = json.loads((root / "tests" / "reference" / "sem_groups.json").read_text())
    npar_two_groups = ref["models"]["configural"]["fit"]["npar"]
    assert free_parameters_per_group(HS_MODEL) * 2 == npar_two_groups == 60
    assert free_parameters_per_group(SMALL) == 9
    # fixed-x covariates' moments are not free parameters
    assert free_parameters_per_group("y1 ~ x1 + x2") == 4  # 2 slopes, residual, intercept


def test_group_sizes_table_and_warning():
    hs = load_dataset("holzinger_swineford_1939")
    with pytest.warns(SampleSizeWarning, match=r"'Grant-White' has 145 \(needs 150\)"):
        tab = group_sizes(HS_MODEL, hs, "school")
    assert tab["group"].tolist() == ["Pasteur", "Grant-White"]  # first appearance, as lavaan
    assert tab["n"].tolist() == [156, 145]
    assert tab["needed"].tolist() == [150, 150] and tab["shortfall"].tolist() == [0, 5]
    assert "rule of thumb" in tab.attrs["rule"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ok = group_sizes(HS_MODEL, hs, "school", ratio=4, minimum=100)
    assert ok["ok"].all() and ok["needed"].tolist() == [120, 120]
    assert issubclass(SampleSizeWarning, DataQualityWarning)


def test_group_sizes_counts_rows_with_any_observed_value():
    d = _data({"A": 120, "B": 120})
    d.loc[:9, ["y1", "y2", "y3"]] = np.nan  # 10 rows of A entirely empty
    d.loc[10:19, "y1"] = np.nan  # partly observed rows still count (FIML uses them)
    d.loc[200, "sector"] = np.nan
    tab = group_sizes(SMALL, d, "sector", warn=False)
    assert tab.set_index("group")["n"].to_dict() == {"A": 110, "B": 119}


@pytest.mark.parametrize(
    ("sizes", "design", "groups"),
    [
        ({"C": 150, "G": 150, "I": 120}, "multigroup", ["C", "G", "I"]),
        ({"C": 60, "F": 50, "G": 150, "I": 60}, "pooled", ["goods", "services"]),
        ({"C": 40, "G": 90, "I": 90, "J": 60}, "mimic", ["C", "G", "I", "J"]),
        ({"C": 20, "G": 30}, "insufficient", ["C", "G"]),
    ],
)
def test_sector_design_choice(sizes, design, groups):
    got = sector_design(SMALL, _data(sizes), "sector")
    assert got["design"] == design, got["reason"]
    assert list(got["groups"]["group"]) == groups
    assert got["reason"]


def test_sector_design_pooling_must_cover_every_sector():
    with pytest.raises(NrelError, match=r"sector\(s\) X have no pooled group"):
        sector_design(SMALL, _data({"C": 20, "X": 20}), "sector", pooling={"C": "goods"})


@pytest.mark.parametrize("case", ["propositions", "ties", "with_na"])
@pytest.mark.parametrize("method", ["holm", "fdr_bh", "bonferroni"])
def test_adjust_pvalues_matches_r_p_adjust(reference, case, method):
    p = np.array([np.nan if v is None else v for v in reference[case]["p"]])
    want = np.array([np.nan if v is None else v for v in reference[case][method]])
    np.testing.assert_allclose(adjust_pvalues(p, method), want, rtol=1e-12, equal_nan=True)
    s = pd.Series(p, index=[f"P{k}" for k in range(len(p))], name="pvalue")
    got = adjust_pvalues(s, method)
    assert isinstance(got, pd.Series) and list(got.index) == list(s.index)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"pvalues": [0.1, 1.2]}, r"pvalues\[1\] = 1.2 is not a probability"),
        ({"pvalues": [[0.1]]}, "one-dimensional"),
        ({"pvalues": [0.1], "method": "sidak"}, "method"),
    ],
)
def test_adjust_pvalues_bad_input(kwargs, match):
    with pytest.raises(NrelError, match=match):
        adjust_pvalues(**kwargs)


def test_group_sizes_bad_input():
    hs = load_dataset("holzinger_swineford_1939")
    with pytest.raises(NrelError, match="'region'"):
        group_sizes(HS_MODEL, hs, "region")
    with pytest.raises(NrelError, match="ratio"):
        group_sizes(HS_MODEL, hs, "school", ratio=0)
    with pytest.raises(NrelError, match="no non-missing group label"):
        group_sizes(HS_MODEL, hs.assign(school=np.nan), "school")


def test_mimic_model_is_the_hand_written_mimic():
    from nrel_research import sem
    from nrel_research.analysis import mimic_model

    hs = load_dataset("holzinger_swineford_1939").copy()
    hs["grade_text"] = hs["grade"].map({7.0: "g7", 8.0: "g8"})
    hs.loc[:20, "grade_text"] = "g9"  # a third (small) group
    m = mimic_model(HS_MODEL, hs, "grade_text", estimator="ML", missing="listwise")
    assert m["reference"] == hs["grade_text"].value_counts().index[0]
    hand = (
        HS_MODEL
        + "\n"
        + "\n".join(
            f"{lv} ~ a{lv}*grade_text_g8 + b{lv}*grade_text_g9"
            if m["reference"] == "g7"
            else f"{lv} ~ a{lv}*grade_text_g7 + b{lv}*grade_text_g9"
            for lv in ("visual", "textual", "speed")
        )
    )
    others = [g for g in ("g7", "g8", "g9") if g != m["reference"]]
    d1, d2 = (f"grade_text_{g}" for g in others)
    hand += f"\n{d1} ~~ {d1} + {d2}\n{d2} ~~ {d2}\n"
    data = hs[hs["grade_text"].notna()].copy()
    for g in others:
        data[f"grade_text_{g}"] = (data["grade_text"] == g).astype(float)
    with pytest.warns(Warning, match="treated as random"):
        ref = sem.fit(hand, data)
    assert m["result"].fit_measures()["chisq"] == pytest.approx(
        ref.fit_measures()["chisq"], abs=1e-8
    )
    cons = "; ".join(f"{p}{lv} == 0" for lv in ("visual", "textual", "speed") for p in "ab")
    w = sem.wald_test(ref, cons)
    assert m["wald"]["stat"] == pytest.approx(float(w["stat"].iloc[0]), rel=1e-8)
    assert m["wald"]["df"] == 6
    assert set(m["effects"]["group"]) == set(others)


def test_mimic_model_detects_planted_latent_mean_differences():
    from nrel_research.analysis import build_model, mimic_model
    from nrel_research.data import simulate_study

    # population_model.yaml: sector M has relational_orientation shifted +0.30 and sector G
    # -0.10 (both relative to a market-type mix); a large continuous draw must show M > G
    study = simulate_study(
        4000,
        sectors=["G", "M"],
        market_types=["B2C"],
        seed=3,
        discretize=False,
        careless=False,
        missing=False,
        posts=False,
    )
    spec = build_model(
        actions=["E2"], antecedents=["relational_orientation"], outcomes=["marketing_performance"]
    )
    data = study.responses.assign(sector=study.firms["sector"].to_numpy())
    m = mimic_model(
        spec.cfa_syntax, data, "sector", reference="G", estimator="ML", missing="listwise"
    )
    eff = m["effects"].set_index("lhs").loc["relational_orientation"]
    assert eff["group"] == "M" and eff["est"] > 0 and eff["pvalue"] < 1e-6
    assert m["wald"]["pvalue"] < 1e-6


def test_mimic_model_bad_input():
    from nrel_research.analysis import mimic_model

    hs = load_dataset("holzinger_swineford_1939")
    with pytest.raises(NrelError, match="at least two"):
        mimic_model(HS_MODEL, hs.assign(one="a"), "one")
    with pytest.raises(NrelError, match="reference='Nowhere' does not occur"):
        mimic_model(HS_MODEL, hs, "school", reference="Nowhere")
    with pytest.raises(NrelError, match="latent variables"):
        mimic_model("x1 ~ x2", hs, "school")
