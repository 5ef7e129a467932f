"""validate(): every check on small hand-built data."""

from __future__ import annotations

import pandas as pd
import pytest

from nrel_research import data, instruments
from nrel_research.exceptions import DataError


@pytest.fixture(scope="module")
def inst():
    return instruments.build(
        ["R1", "E7", "social_media_mix", "size", "paradata"], randomize_within_blocks=False
    )


def frame(inst, **cols):
    df = data.blank_responses(3, inst)
    df["response_id"] = pd.array(["a", "b", "c"], dtype="string")
    df["consent"] = pd.array([1, 1, 1], dtype="Int64")
    df["market_type"] = pd.array([1, 2, 3], dtype="Int64")
    for k, v in cols.items():
        df[k] = pd.array(v, dtype=df[k].dtype) if df[k].dtype != object else v
    return df


def test_clean_data_give_an_empty_report(inst):
    rep = data.validate(frame(inst, r1_1=[1, 4, 7]), inst)
    assert rep.empty
    assert list(rep.columns) == ["row", "respondent_id", "column", "value", "check", "problem"]


def test_likert_value_out_of_range(inst):
    rep = data.validate(frame(inst, r1_1=[1, 8, 7]), inst)
    assert rep[["row", "respondent_id", "column", "value", "check"]].to_numpy().tolist() == [
        [1, "b", "r1_1", 8, "range"]
    ]
    assert "outside the 1-7 scale" in data.validate(frame(inst, r1_1=[1, 8, 7]), inst)["problem"][0]
    rep = data.validate(frame(inst, consent=[1, 1, 2]), inst)
    assert rep[["row", "column", "check"]].to_numpy().tolist()[0] == [2, "consent", "code"]


def test_text_in_numeric_item(inst):
    df = frame(inst)
    df["r1_2"] = pd.Series([5, "five", None], dtype=object)
    rep = data.validate(df, inst)
    assert rep[["row", "value", "check"]].to_numpy().tolist() == [[1, "five", "type"]]
    assert "text in the numeric item" in rep["problem"].iloc[0]


def test_numeric_range(inst):
    df = frame(inst, smx_platforms_fb=[1, 1, 0], net_followers_fb=[10, -5, pd.NA])
    rep = data.validate(df, inst)
    assert rep[["row", "column", "check"]].to_numpy().tolist() == [[1, "net_followers_fb", "range"]]


def test_required_items(inst):
    df = frame(inst)
    df["market_type"] = pd.array([1, pd.NA, 3], dtype="Int64")
    rep = data.validate(df, inst)
    assert rep[["row", "column", "check"]].to_numpy().tolist() == [[1, "market_type", "required"]]


def test_skip_logic_b2c_firm_answers_e7(inst):
    rep = data.validate(frame(inst, e7_1=[5, 5, 5]), inst)
    assert rep[["row", "respondent_id", "column", "check"]].to_numpy().tolist() == [
        [1, "b", "e7_1", "skip_logic"]
    ]


def test_skip_logic_platform_item_without_platform(inst):
    df = frame(inst, smx_platforms_fb=[1, 0, 0], net_followers_fb=[100, 200, pd.NA])
    rep = data.validate(df, inst)
    assert rep[["row", "column", "check"]].to_numpy().tolist() == [
        [1, "net_followers_fb", "skip_logic"]
    ]


def test_duplicate_respondent_ids_and_timing(inst):
    df = frame(inst)
    df["response_id"] = pd.array(["a", "a", "c"], dtype="string")
    df["start_time"] = pd.to_datetime(["2026-01-01 10:00", "2026-01-01 10:00", "2026-01-01 11:00"])
    df["end_time"] = pd.to_datetime(["2026-01-01 10:20", "2026-01-01 10:30", "2026-01-01 10:00"])
    rep = data.validate(df, inst)
    assert rep[["row", "check"]].to_numpy().tolist() == [[2, "timing"], [1, "duplicate_id"]]


def test_strict_mode_raises_with_the_first_problems(inst):
    with pytest.raises(DataError, match=r"2 problem\(s\): row 1, column 'r1_1', value 8"):
        data.validate(frame(inst, r1_1=[1, 8, 9]), inst, strict=True)


def test_validate_changes_nothing(inst):
    df = frame(inst, r1_1=[1, 8, 7])
    copy = df.copy()
    data.validate(df, inst)
    pd.testing.assert_frame_equal(df, copy)


def test_demo_data_are_valid():
    assert data.validate(data.demo_responses(30, seed=1)).empty


def test_bundled_simulated_study_validates_cleanly_including_missing_skip_answers(root):
    """Regression: a skip-logic column holding <NA> (consent refused, MCAR-missing answers)
    must not crash validate(); the bundled simulated study has no structural problems."""
    from nrel_research import data, instruments

    df, _ = data.read_responses(root / "data" / "simulated" / "responses.csv")
    assert df["market_type"].isna().any()  # the case that used to crash
    report = data.validate(df, instruments.build())
    assert report.empty, report.head(10).to_string()
