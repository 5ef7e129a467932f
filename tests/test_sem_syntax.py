"""nrel_research.sem.syntax: lavaan syntax -> parameter table, checked against lavaanify()."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sem_reference import frame, reference

from nrel_research.exceptions import SpecificationError
from nrel_research.sem import parse_model

COLS = ["lhs", "op", "rhs", "user", "block", "group", "free", "ustart", "exo", "label", "plabel"]


def _compare(ref_records, pt):
    ref = frame(ref_records)[COLS].reset_index(drop=True)
    ours = pt.table[COLS].reset_index(drop=True)
    assert len(ref) == len(ours)
    for c in COLS:
        if c == "ustart":
            np.testing.assert_array_equal(ref[c].to_numpy(float), ours[c].to_numpy(float))
        else:
            assert [str(v) for v in ref[c]] == [str(v) for v in ours[c]], c


@pytest.mark.parametrize("case", sorted(reference()["syntax"]))
def test_partable_matches_lavaanify(case):
    sc = reference()["syntax"][case]
    pt = parse_model(sc["model"], ngroups=sc["ngroups"], meanstructure=sc["meanstructure"])
    _compare(sc["partable"], pt)


@pytest.mark.parametrize("case", sorted(reference()["fits"]))
def test_partable_matches_lavaan_partable_of_fits(case):
    f = reference()["fits"][case]
    std_lv = bool((f.get("args") or {}).get("std.lv", False))
    _compare(f["partable"], parse_model(f["model"], std_lv=std_lv))


def test_variable_sets_and_meanstructure():
    pt = parse_model("f =~ y1 + y2 + y3\nf ~ x1 + x2\ny1 ~ 1")
    assert pt.ov_names == ["y1", "y2", "y3", "x1", "x2"]
    assert pt.lv_names == ["f"]
    assert pt.ov_x == ["x1", "x2"]
    assert pt.meanstructure
    assert not parse_model("f =~ y1 + y2 + y3").meanstructure


def test_modifiers_start_na_label_and_question_mark():
    pt = parse_model("f =~ NA*y1 + start(0.7)*y2 + 0.5?y3 + lab*y4\nf ~~ 1*f")
    t = pt.table[pt.table["op"] == "=~"].set_index("rhs")
    assert t.loc["y1", "free"] > 0 and np.isnan(t.loc["y1", "ustart"])
    assert t.loc["y2", "ustart"] == 0.7 and t.loc["y2", "free"] > 0
    assert t.loc["y3", "ustart"] == 0.5
    assert t.loc["y4", "label"] == "lab"


def test_group_vector_needs_one_value_per_group():
    with pytest.raises(SpecificationError, match="one per group"):
        parse_model("f =~ y1 + c(a, b)*y2 + y3")


def test_defined_parameter_rows_keep_the_expression():
    pt = parse_model("m ~ a*x\ny ~ b*m\nab := a * b")
    row = pt.table[pt.table["op"] == ":="].iloc[0]
    assert (row["lhs"], row["rhs"], row["label"], row["user"]) == ("ab", "a*b", "ab", 1)


@pytest.mark.parametrize(
    ("model", "line", "match"),
    [
        ("f =~ y1 + y2\n\n  f =~~ y3", 3, "line 3"),
        ("f =~ y1 + y2\ny3 + y4", 2, "no operator"),
        ("f =~ y1 y2 + y3", 1, "white space"),
        ("f =~ y1 + \n y2 + y3\nf <~ z1 + z2", 3, "formative"),
        ("f =~ y1 + y2 + y3\na < b", 2, "inequality"),
        ("f =~ y1 + y2 + y3\ny1 | t1", 2, "thresholds"),
        ("group: 1\nf =~ y1 + y2", 1, "block syntax"),
        ("f =~ y1 + y2 + y1:y3", 1, "interaction"),
        ("f =~ y1 + foo(2)*y2", 1, "modifier"),
        ("f =~ y1 + y2 + y3\nf =~ y2", 2, "twice"),
        ("f =~ y1 + y2 + y3\ny1 ~~ y2\ny2 ~~ y1", 3, "twice"),
        ("f =~ y1 + a*y2 + b*y3\na == 2*b", 2, "only equality of two labels"),
        ("f =~ y1 + + y2", 1, "empty term"),
        ("2f =~ y1 + y2", 1, "not a valid variable name"),
    ],
)
def test_syntax_errors_name_the_line(model, line, match):
    with pytest.raises(SpecificationError, match=match) as err:
        parse_model(model)
    assert f"line {line}" in str(err.value) or line == 0


def test_covariances_are_reordered_as_lavaan():
    pt = parse_model("f =~ y1 + y2 + y3\ng =~ y4 + y5\ny4 ~~ y1\ng ~~ f")
    user = pt.table[(pt.table["user"] == 1) & (pt.table["op"] == "~~")]
    assert user[["lhs", "rhs"]].values.tolist() == [["y1", "y4"], ["f", "g"]]


def test_comments_and_semicolons_are_ignored():
    a = parse_model("f =~ y1 + y2 + y3 # comment\n! another\ng =~ y4 + y5 + y6")
    b = parse_model("f =~ y1 + y2 + y3; g =~ y4 + y5 + y6")
    pd.testing.assert_frame_equal(a.table.drop(columns="line"), b.table.drop(columns="line"))


def test_model_must_be_a_string():
    with pytest.raises(SpecificationError, match="string"):
        parse_model(None)  # type: ignore[arg-type]
