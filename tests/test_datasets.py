"""Bundled example data sets."""

from __future__ import annotations

import pytest

from nrel_research import datasets
from nrel_research.exceptions import NrelError


def test_manifest_matches_files():
    manifest = datasets.list_datasets()
    assert list(manifest.columns) == [
        "name",
        "file",
        "description",
        "n_rows",
        "n_cols",
        "source",
        "used_for",
    ]
    for row in manifest.itertuples():
        df = datasets.load_dataset(row.name)
        assert df.shape == (row.n_rows, row.n_cols), row.name


def test_holzinger_swineford_content():
    hs = datasets.load_dataset("holzinger_swineford_1939")
    assert set(hs["school"]) == {"Pasteur", "Grant-White"}
    assert (hs["school"] == "Pasteur").sum() == 156
    # Known summary values of the classic data (lavaan's copy).
    assert hs["x1"].mean() == pytest.approx(4.935770, abs=1e-6)
    assert hs["grade"].isna().sum() == 1


def test_unknown_dataset():
    with pytest.raises(NrelError, match="name='iris' is not valid; use one of"):
        datasets.load_dataset("iris")


def test_holzinger_swineford_ordinal_follows_the_documented_quintile_rule():
    # tests/reference/ordinal_data.R: breaks = quantile(x, 0:5/5) (type 7 = numpy "linear"),
    # cut(include.lowest = TRUE, right = TRUE): re-derived here from the continuous data.
    import numpy as np
    import pandas as pd

    hs = datasets.load_dataset("holzinger_swineford_1939")
    cat = datasets.load_dataset("holzinger_swineford_1939_ordinal")
    for v in [f"x{i}" for i in range(1, 10)]:
        breaks = np.quantile(hs[v], np.linspace(0, 1, 6), method="linear")
        want = pd.cut(hs[v], breaks, include_lowest=True, right=True, labels=False) + 1
        assert (cat[v].to_numpy() == want.to_numpy()).all(), v
        assert sorted(cat[v].unique()) == [1, 2, 3, 4, 5]
    others = [c for c in hs.columns if not c.startswith("x")]
    pd.testing.assert_frame_equal(cat[others], hs[others])
