"""Example data sets bundled with the package (no network access needed).

The classic structural-equation test cases ship here so that the SEM engine can be checked
against lavaan on exactly the same numbers: R reference scripts under ``tests/reference/``
read these same CSV files.

Examples
--------
>>> from nrel_research import datasets
>>> datasets.list_datasets()["name"].tolist()  # doctest: +NORMALIZE_WHITESPACE
['holzinger_swineford_1939', 'political_democracy', 'holzinger_swineford_1939_missing',
 'holzinger_swineford_1939_ordinal']
>>> datasets.load_dataset("political_democracy").shape
(75, 11)
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pandas as pd

from .._validation import check_choice
from ..exceptions import NrelError

__all__ = ["dataset_path", "list_datasets", "load_dataset"]


def list_datasets() -> pd.DataFrame:
    """Return the manifest of bundled data sets.

    Returns
    -------
    pandas.DataFrame
        One row per data set with columns ``name, file, description, n_rows, n_cols,
        source, used_for``.
    """
    with resources.files(__package__).joinpath("datasets.csv").open(encoding="utf-8") as fh:
        return pd.read_csv(fh)


def dataset_path(name: str) -> Path:
    """Return the path of the CSV file of a bundled data set."""
    manifest = list_datasets()
    name = check_choice(name, "name", manifest["name"].tolist(), error=NrelError)
    file = manifest.loc[manifest["name"] == name, "file"].item()
    return Path(str(resources.files(__package__).joinpath(file)))


def load_dataset(name: str) -> pd.DataFrame:
    """Load a bundled data set as a new DataFrame (the file itself is never modified).

    Parameters
    ----------
    name : str
        A name from :func:`list_datasets`, e.g. ``"holzinger_swineford_1939"``.

    Returns
    -------
    pandas.DataFrame

    Raises
    ------
    NrelError
        If ``name`` is unknown; the message lists the available data sets.

    Examples
    --------
    >>> from nrel_research.datasets import load_dataset
    >>> hs = load_dataset("holzinger_swineford_1939")
    >>> hs[["x1", "x2", "x3"]].shape
    (301, 3)
    """
    return pd.read_csv(dataset_path(name))
