"""The independent double-codings of the illustrative corpus and the held-out set are complete."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import nrel_research as nr

DATA = Path(nr.__file__).parent / "coding" / "data"


SETS = {
    "illustrative": ("illustrative_posts.csv", "illustrative_codings.csv", ["coder_a", "coder_b"]),
    "heldout": ("heldout_posts.csv", "heldout_codings.csv", ["coder_c", "coder_d"]),
}


@pytest.fixture(scope="module", params=list(SETS))
def coding_set(request):
    posts_file, codings_file, coders = SETS[request.param]
    read = lambda f: pd.read_csv(DATA / f, dtype=str, keep_default_na=False)  # noqa: E731
    return read(posts_file), read(codings_file), coders


@pytest.fixture(scope="module")
def codings(coding_set):
    return coding_set[1]


@pytest.fixture(scope="module")
def posts(coding_set):
    return coding_set[0]


def test_columns_and_coders(coding_set):
    _, codings, coders = coding_set
    assert list(codings.columns) == ["post_id", "coder", "code", "secondary_code"]
    assert sorted(codings["coder"].unique()) == coders
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
