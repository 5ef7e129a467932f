"""Propositions table: joint tests checked against lavaan, verdicts by the registered rules.

Oracles: lavaan 0.6.14 lavTestWald() and standardizedSolution() on the political democracy
SEM (tests/reference/sem_standardized.R; ML and MLR), R's p.adjust via adjust_pvalues
(test_analysis_guardrails.py), and the rules file itself: every verdict is derived by hand
from constructed evidence.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from nrel_research import sem
from nrel_research.analysis import (
    Evidence,
    adjust_pvalues,
    load_rules,
    path_evidence,
    preregistration_markdown,
    propositions_table,
)
from nrel_research.datasets import load_dataset
from nrel_research.exceptions import FrameworkError, NrelError


@pytest.fixture(scope="module")
def ref(root):
    return json.loads((root / "tests" / "reference" / "sem_standardized.json").read_text())


@pytest.mark.parametrize(("case", "kw"), [("poldem", {}), ("poldem_mlr", {"estimator": "MLR"})])
def test_joint_wald_test_matches_lavtestwald(ref, case, kw):
    entry = ref[case]
    res = sem.fit(entry["model"], load_dataset("political_democracy"), **kw)
    ev = path_evidence(res, [("dem65", "ind60"), ("dem65", "dem60")], "P3")
    assert ev.statistic == pytest.approx(entry["wald_c_b"]["stat"], abs=1e-3, rel=1e-5)
    assert ev.df == entry["wald_c_b"]["df"] == 2
    one = path_evidence(res, [("dem60", "ind60")], "P1")
    assert one.statistic == pytest.approx(entry["wald_a"]["stat"], abs=1e-4, rel=1e-5)
    # the standardized path and its delta-method SE are lavaan's standardizedSolution
    ss = pd.DataFrame(entry["std_all"]).query("op == '~' and lhs == 'dem60'").iloc[0]
    assert one.estimate == pytest.approx(ss["est.std"], abs=1e-4)
    assert one.paths["beta_se"].iloc[0] == pytest.approx(ss["se"], abs=1e-4)
    assert one.ci_lower == pytest.approx(ss["ci.lower"], abs=1e-4)
    # the mean standardized path is the mean of the paths, its SE from the joint vcov
    assert ev.estimate == pytest.approx(ev.paths["beta"].mean(), abs=1e-12)
    assert ev.ci_lower < ev.estimate < ev.ci_upper
    assert "MLR" in ev.test if kw else "ML" in ev.test


def _paths(estimates, pvalues):
    return pd.DataFrame(
        {
            "lhs": "y",
            "rhs": [f"x{k}" for k in range(len(estimates))],
            "estimate": estimates,
            "pvalue": pvalues,
        }
    )


def test_directional_verdicts_follow_the_rules():
    rules = load_rules()
    ev = [
        # joint significant, 2 of 3 paths significant and positive after Holm -> supported
        Evidence(
            "P1", "joint", 30.0, 3.0, 1e-6, paths=_paths([0.3, 0.2, 0.01], [1e-5, 0.004, 0.8])
        ),
        # joint significant, 1 of 4 significant positive -> partially supported
        Evidence(
            "P2",
            "joint",
            20.0,
            4.0,
            1e-4,
            paths=_paths([0.3, 0.05, 0.02, -0.01], [1e-5, 0.3, 0.6, 0.9]),
        ),
        # one significant negative path, none positive -> contrary
        Evidence("P3", "joint", 9.0, 2.0, 0.011, paths=_paths([-0.3, 0.05], [0.001, 0.5])),
        # nothing significant -> not supported
        Evidence("P7", "joint", 1.0, 1.0, 0.32, paths=_paths([0.05], [0.32])),
    ]
    t = propositions_table(ev, rules=rules).set_index("proposition")
    assert t["verdict"].to_dict() == {
        "P1": "supported",
        "P2": "partially supported",
        "P3": "contrary",
        "P7": "not supported",
    }
    np.testing.assert_allclose(
        t["pvalue_adjusted"], adjust_pvalues([1e-6, 1e-4, 0.011, 0.32], "holm"), rtol=1e-12
    )
    assert t.loc["P1", "n_expected"] == 2 and t.loc["P3", "n_opposite"] == 1
    assert t.loc["P1", "rule"] == rules.rule_text("directional", "supported")
    paths = t.attrs["paths"]
    p1 = paths.query("proposition == 'P1'")["pvalue_adjusted"].to_numpy()
    np.testing.assert_allclose(p1, adjust_pvalues([1e-5, 0.004, 0.8], "holm"))


def test_holm_across_propositions_can_overturn_a_single_test():
    # P4 alone would be significant (p = .03), but after Holm over three propositions not
    ev = [
        Evidence("P4", "chi-square difference", 10.0, 4.0, 0.03),
        Evidence("P5", "MIMIC", 25.0, 6.0, 0.0003),
        Evidence("P8", "Wald, firm-clustered", 8.0, 9.0, 0.53),
    ]
    t = propositions_table(ev).set_index("proposition")
    assert t.loc["P4", "pvalue_adjusted"] == pytest.approx(0.06)
    assert t["verdict"].to_dict() == {
        "P4": "not supported",
        "P5": "supported",
        "P8": "not supported",
    }


def test_untestable_and_exploratory_evidence():
    ev = [
        Evidence(
            "P4", "chi-square difference", testable=False, note="no partial metric invariance"
        ),
        Evidence("P5", "MIMIC", 25.0, 6.0, 0.0003, exploratory=True),
    ]
    t = propositions_table(ev).set_index("proposition")
    assert t.loc["P4", "verdict"] == "not testable" and np.isnan(t.loc["P4", "pvalue_adjusted"])
    # the untestable proposition is not part of the multiplicity family
    assert t.loc["P5", "pvalue_adjusted"] == pytest.approx(0.0003)
    assert bool(t.loc["P5", "exploratory"]) and t.loc["P4", "note"]


def test_propositions_table_bad_input():
    with pytest.raises(FrameworkError, match="P9"):
        propositions_table([Evidence("P9", "x", 1.0, 1.0, 0.3)])
    with pytest.raises(NrelError, match="two evidence records for P4"):
        propositions_table([Evidence("P4", "a", 1, 1, 0.3), Evidence("P4", "b", 1, 1, 0.3)])
    with pytest.raises(NrelError, match="needs its paths"):
        propositions_table([Evidence("P1", "joint", 1.0, 1.0, 0.3)])
    with pytest.raises(NrelError, match="Evidence records"):
        propositions_table([{"proposition": "P1"}])


def test_path_evidence_bad_input(ref):
    res = sem.fit(ref["poldem"]["model"], load_dataset("political_democracy"))
    with pytest.raises(NrelError, match="dem65 ~ y1 is not a regression"):
        path_evidence(res, [("dem65", "y1")], "P3")
    with pytest.raises(NrelError, match="no paths"):
        path_evidence(res, [], "P3")
    hs = load_dataset("holzinger_swineford_1939")
    mg = sem.fit(
        "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\ntextual ~ visual", hs, group="school"
    )
    with pytest.raises(NrelError, match="single-group"):
        path_evidence(mg, [("textual", "visual")], "P3")
    fixed = sem.fit(
        "ind60 =~ x1 + x2 + x3\ndem60 =~ y1 + y2 + y3 + y4\ndem60 ~ 0.5*ind60",
        load_dataset("political_democracy"),
    )
    with pytest.raises(NrelError, match="fixed"):
        path_evidence(fixed, [("dem60", "ind60")], "P1")


def _write_rules(tmp_path, text):
    p = tmp_path / "rules.yaml"
    p.write_text(text, encoding="utf-8")
    return p


@pytest.mark.parametrize(
    ("old", "new", "match"),
    [
        ("alpha: 0.05", "alpha: 5", "alpha: 5 is not a probability"),
        ("  propositions: holm", "  propositions: sidak", "adjustment.propositions"),
        ("supported_share: 0.5", "supported_share: 0", "supported_share"),
        ("schema_version: 1", "schema_version: 2", "schema_version"),
        ("      - verdict: contrary", "      - verdict: refuted", "kinds.directional.verdicts"),
        ("alpha: 0.05", "alpha: 0.05\nalpha_level: 0.05", "'alpha_level'"),
    ],
)
def test_rules_file_errors_name_the_field(tmp_path, old, new, match):
    from nrel_research.analysis.propositions import _rules_path

    text = _rules_path().read_text(encoding="utf-8")
    assert old in text
    with pytest.raises(FrameworkError, match=match) as info:
        load_rules(_write_rules(tmp_path, text.replace(old, new, 1)))
    assert "rules.yaml" in str(info.value)


def test_preregistration_is_generated_from_the_rules(root):
    rules = load_rules()
    text = preregistration_markdown()
    for kind in ("directional", "difference"):
        for verdict, rule in rules.verdicts[kind]:
            assert f"- **{verdict}**: {rule}" in text
    for pid in ("P1", "P2", "P3", "P4", "P5", "P6", "P7", "P8"):
        assert f"### {pid} (" in text
    committed = (root / "papers" / "preregistration.md").read_text(encoding="utf-8")
    assert committed == text, (
        "papers/preregistration.md is out of date: regenerate it with "
        "nrel_research.analysis.preregistration_markdown()"
    )
