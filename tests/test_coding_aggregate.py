"""Firm-level action mix from coded posts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from nrel_research import coding
from nrel_research.exceptions import DataError


@pytest.fixture
def coded():
    return pd.DataFrame(
        {
            "firm_id": ["F1", "F1", "F1", "F1", "F2", "F2"],
            "platform": ["x", "x", "linkedin", "x", "instagram", "instagram"],
            "date": [
                "2024-01-05",
                "2024-02-01",
                "2024-04-10",
                "2024-05-01",
                "2024-01-01",
                "2024-12-31",
            ],
            "code": ["R2", "r2", "E7", None, "L1", "E4"],
        }
    )


def test_counts_and_shares_by_hand(coded):
    mix = coding.action_mix(coded).set_index("firm_id")
    assert mix.loc["F1", "n_posts"] == 4 and mix.loc["F1", "n_uncoded"] == 1
    assert mix.loc["F1", "n_R2"] == 2 and mix.loc["F1", "n_E7"] == 1 and mix.loc["F1", "n_L1"] == 0
    assert mix.loc["F1", "share_R2"] == pytest.approx(2 / 3)
    assert mix.loc["F1", "share_R"] == pytest.approx(2 / 3)
    assert mix.loc["F1", "share_E"] == pytest.approx(1 / 3) and mix.loc["F1", "share_L"] == 0
    assert mix.loc["F2", "share_L1"] == 0.5 and mix.loc["F2", "share_E4"] == 0.5
    shares = mix[[f"share_{c}" for c in coding.load_codebook().codes]]
    np.testing.assert_allclose(shares.sum(axis=1), 1.0)


def test_by_platform_and_period(coded):
    mix = coding.action_mix(coded, platform="platform", period="Q")
    f1x = mix[(mix.firm_id == "F1") & (mix.platform == "x")].set_index("period")
    assert f1x.index.tolist() == ["2024Q1", "2024Q2"]
    assert f1x.loc["2024Q1", "n_R2"] == 2 and f1x.loc["2024Q2", "n_uncoded"] == 1
    assert np.isnan(f1x.loc["2024Q2", "share_R2"])  # no coded post in that cell
    assert mix.n_posts.sum() == len(coded)


def test_long_format_agrees_with_wide(coded):
    long = coding.action_mix(coded, format="long")
    wide = coding.action_mix(coded).set_index("firm_id")
    assert len(long) == 2 * 10
    for row in long.itertuples():
        assert row.count == wide.loc[row.firm_id, f"n_{row.code}"]


def test_joins_with_survey_data_by_firm_id(coded):
    survey = pd.DataFrame({"firm_id": ["F1", "F2", "F3"], "performance": [4.0, 3.5, 5.0]})
    joined = survey.merge(coding.action_mix(coded), on="firm_id", how="left")
    assert joined.loc[joined.firm_id == "F1", "share_R2"].item() == pytest.approx(2 / 3)
    assert joined.loc[joined.firm_id == "F3", "n_posts"].isna().item()


def test_bad_input(coded):
    with pytest.raises(DataError, match=r"row 3 \(index 1\), column 'date', value '2024-13-01'"):
        coding.action_mix(
            coded.assign(date=["2024-01-01", "2024-13-01", *coded.date[2:]]), period="M"
        )
    with pytest.raises(DataError, match=r"unknown code\(s\) 'X1'"):
        coding.action_mix(coded.assign(code=["X1", *coded.code[1:]]))
    with pytest.raises(DataError, match="lacks column"):
        coding.action_mix(coded, firm="company")
