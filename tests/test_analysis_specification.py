"""build_model: the lavaan model of an N-REL study generated from the item bank and framework.

Oracles: the item bank and the framework files themselves (every indicator and every path
must trace back to them), and a fit on the bundled simulated study, whose population
model (nrel_research/data/population_model.yaml) has E6 ~ relational_orientation = 0.30.
"""

from __future__ import annotations

import re
import warnings

import pandas as pd
import pytest

from nrel_research import framework, instruments, sem
from nrel_research.analysis import ModelSpec, build_model
from nrel_research.data import load_bundled_study
from nrel_research.data.simulate import model_syntax
from nrel_research.exceptions import FrameworkError, NrelError, SpecificationError


@pytest.fixture(scope="module")
def bank():
    return instruments.load_item_bank()


@pytest.fixture(scope="module")
def fw():
    return framework.load()


@pytest.fixture(scope="module")
def responses():
    r = load_bundled_study().responses
    return r[r["consent"] == 1]


def _regressions(syntax):
    out = set()
    for line in syntax.splitlines():
        if line.startswith("#") or " ~ " not in line:
            continue
        lhs, rhs = line.split(" ~ ")
        out |= {(lhs.strip(), r.strip()) for r in rhs.split("+")}
    return out


def test_pooled_default_leaves_out_e7_and_says_why(fw):
    spec = build_model()
    assert isinstance(spec, ModelSpec)
    assert spec.roles["actions"] == tuple(a.code for a in fw.actions_for("B2C"))
    assert "E7" not in spec.constructs and "E7" not in spec.syntax
    assert any("E7" in n and "B2C" in n for n in spec.notes)
    for mt in ("B2B", "both"):
        assert "E7" in build_model(market_type=mt).constructs
    assert not any("E7" in n for n in build_model(market_type="B2B").notes)


def test_measurement_is_the_item_banks_rating_items(bank):
    spec = build_model(market_type="B2B")
    for cid in spec.constructs:
        want = [it.id for it in bank.items_of(cid) if it.rating]
        got = spec.measurement.loc[spec.measurement["construct"] == cid, "indicator"].tolist()
        assert got == want
        assert f"{cid} =~ " + " + ".join(want) in spec.syntax.splitlines()
    rev = spec.measurement.set_index("indicator")["reverse_keyed"]
    assert bool(rev["mo_6"]) and not bool(rev["mo_1"])
    declared = spec.measurement.groupby("construct")["declared"].first()
    formative = sorted(declared[declared != "reflective"].index)
    assert formative == sorted(["relational_orientation", "R1", "R2", "E1", "E4"])
    assert any(all(c in n for c in formative) for n in spec.notes)


def test_cfa_syntax_is_the_measurement_part():
    spec = build_model(actions=["E2", "E6"], controls=["log_employees"])
    cfa = spec.cfa_syntax.splitlines()
    assert cfa[0].startswith("# N-REL measurement model")
    assert cfa[1:] == [line for line in spec.syntax.splitlines() if " =~ " in line]
    assert len(cfa) == 1 + len(spec.constructs)


def test_every_path_traces_to_its_proposition(fw):
    spec = build_model(
        market_type="B2B",
        mediators=["connections", "distributions", "segmentation"],
        outcomes=[
            "social_media_performance",
            "marketing_performance",
            "customer_relationship_performance",
            "strategy_action_alignment",
        ],
    )
    cats = {c.code: [a.code for a in fw.actions_in(c.code)] for c in fw.categories}

    def expand(refs):
        return [x for r in refs for x in cats.get(r, [r])]

    for lhs, rhs, src in zip(
        spec.paths["lhs"], spec.paths["rhs"], spec.paths["source"], strict=True
    ):
        p = fw.proposition(src)
        preds, outs, meds = expand(p.predictors), expand(p.outcomes), expand(p.mediators)
        assert (rhs in preds and lhs in outs + meds) or (rhs in meds and lhs in outs), (lhs, rhs)
    got = {(a, b) for a, b in zip(spec.paths["lhs"], spec.paths["rhs"], strict=True)}
    assert got == _regressions(spec.syntax)
    # P1 / P2 / P3 / P6 / P7 are each represented
    assert set(spec.paths["source"]) == {"P1", "P2", "P3", "P6", "P7"}
    assert ("strategy_action_alignment", "L1") in got  # P7
    assert ("connections", "E6") in got and ("social_media_performance", "connections") in got


def test_dropping_constructs_keeps_the_model_consistent():
    spec = build_model(actions=["R1", "E2"], antecedents=["market_orientation"])
    assert _regressions(spec.syntax) == {
        ("E2", "market_orientation"),
        ("marketing_performance", "R1"),
        ("marketing_performance", "E2"),
        ("customer_relationship_performance", "R1"),
        ("customer_relationship_performance", "E2"),
    }
    # R1's antecedent (transactional orientation, P1) is not in the model: R1 is exogenous
    assert not any(lhs == "R1" for lhs, _ in _regressions(spec.syntax))
    only = build_model(actions=["R1"], antecedents=[], propositions=["P1"])
    assert any("predicts" in n for n in only.notes)


def test_controls_extra_paths_and_covariances():
    spec = build_model(
        actions=["E2", "E6"],
        controls=["log_employees", "log_firm_age"],
        extra_paths=["marketing_performance ~ customer_relationship_performance"],
        residual_covariances=[("E2", "E6")],
    )
    reg = _regressions(spec.syntax)
    for out in ("marketing_performance", "customer_relationship_performance"):
        assert (out, "log_employees") in reg and (out, "log_firm_age") in reg
    assert ("E2", "log_employees") not in reg
    assert ("marketing_performance", "customer_relationship_performance") in reg
    assert "E2 ~~ E6" in spec.syntax.splitlines()
    assert set(spec.paths["source"]) >= {"control", "user"}
    allc = build_model(actions=["E2"], controls=["log_employees"], control_targets="endogenous")
    assert ("E2", "log_employees") in _regressions(allc.syntax)
    assert spec.observed[-2:] == ["log_employees", "log_firm_age"]
    rnd = build_model(actions=["E2"], controls=["log_employees", "log_firm_age"], fixed_x=False)
    lines = rnd.syntax.splitlines()
    assert "log_employees ~~ log_employees + log_firm_age" in lines
    assert "log_firm_age ~~ log_firm_age" in lines


def test_reproduces_the_simulators_generating_structure():
    # the generating structure (data/population_model.yaml) as the simulator writes it
    gen = _regressions(model_syntax("B2B"))
    cons = {x for pair in gen for x in pair} - {"log_employees"}
    roles = {
        "antecedents": [c for c in cons if c.endswith("orientation") or c == "stp"],
        "mediators": ["connections", "distributions", "segmentation"],
    }
    actions = [c for c in cons if re.fullmatch(r"[REL]\d", c)]
    outcomes = sorted(cons - set(roles["antecedents"]) - set(roles["mediators"]) - set(actions))
    built = build_model(
        market_type="B2B",
        actions=actions,
        outcomes=outcomes,
        controls=["log_employees"],
        control_targets="endogenous",
        **roles,
    )
    extra = sorted(gen - _regressions(built.syntax))
    spec = build_model(
        market_type="B2B",
        actions=actions,
        outcomes=outcomes,
        controls=["log_employees"],
        control_targets="endogenous",
        extra_paths=[f"{a} ~ {b}" for a, b in extra],
        **roles,
    )
    assert gen <= _regressions(spec.syntax)
    # the propositions alone state most of the generating paths
    assert len(extra) < len(gen) / 2


def test_instrument_scope(bank):
    inst = instruments.build(["R1", "E2", "marketing_performance"], randomize_within_blocks=False)
    spec = build_model(
        inst, actions=["R1", "E2"], antecedents=[], outcomes=["marketing_performance"]
    )
    assert set(spec.measurement["indicator"]) == {
        it.id for c in ("R1", "E2", "marketing_performance") for it in bank.items_of(c) if it.rating
    }
    with pytest.raises(
        SpecificationError,
        match=r"customer_relationship_performance.*no rating items in the instrument",
    ):
        build_model(inst, actions=["R1"], antecedents=[])
    with pytest.raises(SpecificationError, match="ItemBank"):
        build_model("item_bank.yaml")


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"actions": ["E9"]}, "'E9' is not an N-REL action code"),
        ({"market_type": "B2C", "actions": ["E6", "E7"]}, "E7 apply to B2B"),
        ({"outcomes": ["sales_growth"]}, r"'sales_growth' .* not a construct of the item bank"),
        ({"outcomes": ["E2"], "actions": ["E2"]}, "'E2' is given as actions and as outcomes"),
        ({"outcomes": []}, "outcomes is empty"),
        ({"controls": ["E2"], "actions": ["E2"]}, "control 'E2' is also a construct"),
        ({"extra_paths": ["marketing_performance ~ E7"]}, r"'E7' .* is not in the model"),
        ({"extra_paths": ["marketing_performance =~ mp_1"]}, "not a regression"),
        ({"residual_covariances": [("E2", "E9")]}, "'E9' is not in the model"),
        ({"formative": "error"}, "declared formative"),
        ({"formative": "pls"}, "formative"),
        ({"market_type": "B2X"}, "market_type"),
        ({"control_targets": "all"}, "control_targets"),
        ({"actions": "E2, E6"}, "not an N-REL action code"),
    ],
)
def test_bad_specifications(kwargs, match):
    with pytest.raises(SpecificationError, match=match):
        build_model(**kwargs)


def test_unknown_proposition_is_a_framework_error():
    with pytest.raises(FrameworkError, match="P9"):
        build_model(propositions=["P9"])
    assert issubclass(SpecificationError, NrelError)


def test_composite_mode_and_prepare(responses):
    spec = build_model(
        actions=["R1", "E2"],
        antecedents=[],
        outcomes=["marketing_performance"],
        formative="composite",
    )
    assert spec.composites == {"R1": ["r1_1", "r1_2", "r1_3"]}
    assert "R1 =~" not in spec.syntax and "marketing_performance ~ R1 + E2" in spec.syntax
    before = responses.copy()
    d = spec.prepare(responses)
    pd.testing.assert_frame_equal(responses, before)  # input untouched
    want = responses[["r1_1", "r1_2", "r1_3"]].astype(float).mean(axis=1)
    pd.testing.assert_series_equal(d["R1"], want, check_names=False)
    # reverse keying: mo_6 and saa_4 are reverse-keyed 7-point items
    spec2 = build_model(
        actions=["L1"], antecedents=["market_orientation"], outcomes=["strategy_action_alignment"]
    )
    d2 = spec2.prepare(responses)
    ok = responses["mo_6"].notna()
    assert (d2.loc[ok, "mo_6"] == 8 - responses.loc[ok, "mo_6"]).all()
    assert (spec2.prepare(d2)["mo_6"] == d2["mo_6"]).fillna(True).all()  # not twice
    with pytest.raises(NrelError, match="r1_2"):
        spec.prepare(responses.drop(columns=["r1_2"]))


def test_fits_the_bundled_study(responses):
    spec = build_model(
        actions=["E2", "E3", "E6"],
        antecedents=["relational_orientation", "market_orientation"],
        outcomes=["customer_relationship_performance"],
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = sem.fit(spec.syntax, spec.prepare(responses), missing="fiml")
    assert res.converged
    est = res.estimates().set_index(["lhs", "op", "rhs"])
    row = est.loc[("E6", "~", "relational_orientation")]
    # population value 0.30 (latent metric): positive and clearly different from zero
    assert row["est"] > 0 and row["pvalue"] < 0.01
    assert len(res.estimates().query("op == '~'")) == len(spec.paths)


def test_all_composite_measurement(responses):
    spec = build_model(
        actions=["R1", "E2"],
        antecedents=[],
        outcomes=["marketing_performance"],
        measurement="composite",
    )
    assert "=~" not in spec.syntax and "marketing_performance ~ R1 + E2" in spec.syntax
    assert set(spec.composites) == {"R1", "E2", "marketing_performance"}
    assert not spec.notes  # nothing is modelled as a factor, so nothing to declare
    d = spec.prepare(responses)
    want = responses[["mp_1", "mp_2", "mp_3", "mp_4", "mp_5", "mp_6"]].astype(float).mean(axis=1)
    pd.testing.assert_series_equal(d["marketing_performance"], want, check_names=False)
    with pytest.raises(SpecificationError, match="measurement"):
        build_model(measurement="pls")
