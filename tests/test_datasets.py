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
