"""run_study / write_report / `nrel report`: the whole pipeline on the bundled study.

Oracles: the pipeline must give exactly what its parts give when run by hand (clean ->
key informants -> build_model -> sem.fit -> path_evidence -> propositions_table); the parts
themselves are checked against lavaan/R elsewhere. The simulated study's population model
(nrel_research/data/population_model.yaml) has R2 ~ transactional_orientation = 0.50 (0.30
in B2B firms) and marketing_performance ~ R2 = 0.20-0.30, so both small propositions tested
here must come out supported.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from nrel_research import cli, sem
from nrel_research.analysis import (
    STUDY_STEPS,
    build_model,
    path_evidence,
    run_study,
)
from nrel_research.data import clean, load_bundled_study
from nrel_research.exceptions import NrelError
from nrel_research.report import coefficient_plot, study_tables, write_report

SMALL = {
    "outcomes": ["marketing_performance"],
    "controls": ("log_employees",),
    "model_options": {"actions": ["R2", "E6"], "antecedents": ["transactional_orientation"]},
}


@pytest.fixture(scope="module")
def study():
    messages = []
    res = run_study(estimator="ML", progress=messages.append, n_boot=100, **SMALL)
    res.settings["_messages"] = messages
    return res


def test_steps_are_reported_in_order(study):
    msgs = study.settings["_messages"]
    assert [m.split("] ")[1] for m in msgs] == list(STUDY_STEPS)
    assert msgs[0].startswith(f"[1/{len(STUDY_STEPS)}]")
    assert set(study.timings) == set(STUDY_STEPS)


def test_pipeline_equals_its_parts_run_by_hand(study):
    raw = load_bundled_study().responses
    before = raw.copy()
    cleaned = clean(raw).data
    pd.testing.assert_frame_equal(raw, before)  # the raw data are not modified
    key = cleaned[cleaned["second_informant"] != 1].copy()
    assert len(study.data) == len(key) and study.cleaning.rows_out == len(cleaned)
    np.testing.assert_allclose(
        study.data["log_employees"], np.log(key["employees"].astype(float)), equal_nan=True
    )
    spec = build_model(
        outcomes=["marketing_performance"],
        controls=["log_employees"],
        fixed_x=False,
        actions=["R2", "E6"],
        antecedents=["transactional_orientation"],
    )
    assert spec.syntax == study.spec.syntax
    prepared = spec.prepare(key.assign(log_employees=np.log(key["employees"].astype(float))))
    with pytest.warns(Warning, match="treated as random"):  # as lavaan announces it
        res = sem.fit(spec.syntax, prepared, missing="fiml")
    np.testing.assert_allclose(res.theta, study.structural.theta, atol=1e-8)
    ev = path_evidence(res, spec.paths.query("source == 'P3'"), "P3")
    row = study.propositions().set_index("proposition").loc["P3"]
    assert row["statistic"] == pytest.approx(ev.statistic, rel=1e-8)
    assert any("second-informant" in n for n in study.notes)
    assert any("associations" in n for n in study.notes)


def test_group_post_and_check_steps(study):
    t = study.propositions().set_index("proposition")
    assert {"P4", "P5", "P6", "P8"} <= set(t.index)
    assert "p6_indirect" in study.tables and "bootstrap" in t.loc["P6", "test"]
    # P8: the simulator gives the action types different engagement (true IRRs differ)
    assert t.loc["P8", "verdict"] == "supported"
    for name in (
        "p8_irr",
        "p8_triangulation",
        "regression_main",
        "regression_vif",
        "copula_endogeneity",
        "cmv_harman",
        "cmv_marker_models",
    ):
        assert name in study.tables and len(study.tables[name]), name
    assert any(n.startswith("P4:") for n in study.notes)
    assert t.loc["P4", "kind"] == "difference" and t.loc["P5", "kind"] == "difference"


def test_planted_effects_are_supported(study):
    t = study.propositions().set_index("proposition")
    assert t.loc["P1", "verdict"] == "supported"  # R2 ~ transactional orientation
    assert t.loc["P3", "verdict"] == "supported"
    assert 0.3 < t.loc["P1", "estimate"] < 0.8
    assert "StudyResult" in repr(study) and "P1: supported" in study.summary()


def test_report_files(study, tmp_path):
    lines = []
    path = write_report(study, tmp_path / "out", progress=lines.append)
    text = path.read_text(encoding="utf-8")
    for heading in (
        "1. Propositions",
        "2. Data quality",
        "3. Measurement model",
        "4. Structural model",
        "5. Network mediation (P6)",
        "6. Group comparisons (P4 market type, P5 sector)",
        "7. Post-level engagement (P8)",
        "8. Regressions on scale scores",
        "9. Common-method variance",
        "10. Notes",
        "11. Model syntax",
    ):
        assert heading in text
    assert "data:image/png;base64," in text and "<script" not in text
    tables = study_tables(study)
    for name, df in tables.items():
        csv = tmp_path / "out" / "tables" / f"{name}.csv"
        assert csv.exists(), name
        back = pd.read_csv(csv, index_col=0 if name == "htmt" else None)
        assert len(back) == len(df), name
    props = pd.read_csv(tmp_path / "out" / "tables" / "propositions.csv")
    assert props["verdict"].tolist() == study.propositions()["verdict"].tolist()
    for fig in ("proposition_paths", "path_diagram", "p8_irr", "p4_paths"):
        for ext in ("png", "svg"):
            assert (tmp_path / "out" / "figures" / f"{fig}.{ext}").stat().st_size > 1000
    assert any("report written" in m for m in lines)
    draft = (tmp_path / "out" / "manuscript" / "manuscript.md").read_text(encoding="utf-8")
    assert (tmp_path / "out" / "manuscript" / "manuscript.tex").exists()
    for verdict in study.propositions()["verdict"]:
        assert verdict in draft


def test_coefficient_plot_bad_input(study):
    paths = study_tables(study)["proposition_paths"]
    fig = coefficient_plot(paths, hue="proposition")
    labels = {f"{a} <- {b}" for a, b in zip(paths["lhs"], paths["rhs"], strict=True)}
    assert {t.get_text() for t in fig.axes[0].get_yticklabels()} == labels
    with pytest.raises(NrelError, match="no column"):
        coefficient_plot(paths.drop(columns="beta"))
    with pytest.raises(NrelError, match="empty"):
        coefficient_plot(paths.iloc[:0])


def test_bad_arguments():
    with pytest.raises(NrelError, match="estimator"):
        run_study(estimator="WLS", **SMALL)
    raw = load_bundled_study().responses
    with pytest.raises(NrelError, match="no key-informant response"):
        run_study(raw.assign(consent=0), **SMALL)


def test_cli_report_runs_on_a_survey_export(tmp_path, capsys):
    raw = load_bundled_study().responses
    src = tmp_path / "export.csv"
    raw.to_csv(src, index=False)
    code = cli.main(
        [
            "report",
            "--responses",
            str(src),
            "--out",
            str(tmp_path / "rep"),
            "--estimator",
            "ML",
            "--missing",
            "listwise",
            "--quiet",
        ]
    )
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "report:" in out and "propositions:" in out
    assert (tmp_path / "rep" / "report.html").exists()
    assert (tmp_path / "rep" / "tables" / "propositions.csv").exists()
    # a missing file is a clear error, exit status 2
    code = cli.main(["report", "--responses", str(tmp_path / "nope.csv"), "--quiet"])
    assert code == 2 and "nope.csv" in capsys.readouterr().err


def test_fit_assessment_and_e7(study):
    fa = study.tables["fit_assessment"]
    assert set(fa["model"]) == {
        "measurement model",
        "structural model",
        "measurement model (ML, complete cases)",  # the local check under FIML
    }
    assert set(fa.loc[fa["model"].str.contains("complete"), "measure"]) == {"max_mi"}
    fm = study.structural.fit_measures()
    row = fa.set_index(["model", "measure"]).loc[("structural model", "srmr")]
    assert row["value"] == pytest.approx(fm["srmr"]) and bool(row["met"]) == (fm["srmr"] <= 0.08)
    e7 = study.tables["e7_paths"]
    assert ((e7["lhs"] == "E7") | (e7["rhs"] == "E7")).all() and len(e7)
    assert any("E7 applies to B2B and mixed firms" in n for n in study.notes)


def test_misfit_is_flagged_on_the_misspecified_variant():
    from nrel_research.analysis import fit_assessment
    from nrel_research.data import simulate_study

    spec = build_model(
        actions=["E2"],
        antecedents=[],
        outcomes=["customer_relationship_performance", "marketing_performance"],
    )
    good = simulate_study(
        3000,
        sectors=["G"],
        market_types=["B2C"],
        seed=5,
        discretize=False,
        careless=False,
        missing=False,
        posts=False,
    )
    bad = simulate_study(
        3000,
        sectors=["G"],
        market_types=["B2C"],
        seed=5,
        discretize=False,
        careless=False,
        missing=False,
        posts=False,
        misspecified=True,
    )
    fits = {
        name: sem.fit(spec.cfa_syntax, spec.prepare(s.responses))
        for name, s in (("correct", good), ("misspecified", bad))
    }
    fa = fit_assessment(fits).set_index(["model", "measure"])
    assert fa.loc[("misspecified", "cfi"), "value"] < fa.loc[("correct", "cfi"), "value"]
    assert fa.xs("correct")["met"].all()
    assert not fa.xs("misspecified")["met"].all()
    # the local check points at one of the two omissions of the misspecified population
    # (crp_1 cross-loading on marketing performance, mp_5 ~~ mp_6)
    top = fa.loc[("misspecified", "max_mi")]
    assert not top["met"]
    assert (
        top["detail"]
        in (
            "marketing_performance =~ crp_1",
            "mp_5 ~~ mp_6",
            "customer_relationship_performance =~ mp_5",
            "customer_relationship_performance =~ mp_6",
        )
        or "mp_5" in top["detail"]
        or "crp_1" in top["detail"]
    )


def test_report_flags_the_misspecified_variant():
    from nrel_research.data import simulate_study

    opts = {
        "outcomes": ["customer_relationship_performance", "marketing_performance"],
        "controls": (),
        "model_options": {"actions": ["E2", "E6"], "antecedents": []},
        "n_boot": 50,
    }
    flagged = {}
    for misspecified in (False, True):
        sim = simulate_study(600, seed=7, misspecified=misspecified, posts=False)
        study = run_study(sim.responses, **opts)
        fa = study.tables["fit_assessment"]
        local = fa[fa["measure"] == "max_mi"].iloc[0]
        flagged[misspecified] = (bool(local["met"]), local["detail"])
        assert any(n.startswith("Misfit flagged") for n in study.notes) == (not local["met"]) or (
            not fa["met"].all()
        )
    assert flagged[False][0], flagged  # the correct model passes the local check
    assert not flagged[True][0], flagged  # the misspecified one is flagged ...
    assert "mp_5" in flagged[True][1] or "crp_1" in flagged[True][1]  # ... at an omission


def test_continuous_default_records_no_ordered_items(study):
    """Issue 9 left ML/MLR untouched: no ordered items, FIML by default."""
    assert study.settings["ordered"] is None and study.settings["missing"] == "fiml"
    assert not getattr(study.structural.model, "ordered", None)
