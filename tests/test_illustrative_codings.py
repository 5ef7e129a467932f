"""The independent double-coding of the illustrative corpus is complete and well-formed."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import nrel_research as nr

DATA = Path(nr.__file__).parent / "coding" / "data"


@pytest.fixture(scope="module")
def codings():
    return pd.read_csv(DATA / "illustrative_codings.csv", dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def posts():
    return pd.read_csv(DATA / "illustrative_posts.csv", dtype=str, keep_default_na=False)


def test_columns_and_coders(codings):
    assert list(codings.columns) == ["post_id", "coder", "code", "secondary_code"]
    assert sorted(codings["coder"].unique()) == ["coder_a", "coder_b"]
    assert not codings.duplicated(["post_id", "coder"]).any()


def test_every_post_coded_by_both_coders(codings, posts):
    per_post = codings.groupby("post_id")["coder"].nunique()
    assert set(per_post.index) == set(posts["post_id"])
    assert (per_post == 2).all()


def test_codes_are_framework_codes_and_rules_hold(codings, posts):
    valid = set(nr.framework.load().codes)
    assert set(codings["code"]) <= valid
    secondary = codings["secondary_code"]
    assert set(secondary[secondary != ""]) <= valid
    assert not (codings["code"] == secondary).any()
    market = codings.merge(posts[["post_id", "market"]], on="post_id")["market"]
    assert not ((codings["code"] == "E7").to_numpy() & (market == "B2C").to_numpy()).any()
