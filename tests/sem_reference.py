"""Shared loader of the lavaan reference values (tests/reference/sem_ml.json)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from nrel_research.datasets import load_dataset

REF_DIR = Path(__file__).parent / "reference"


@cache
def reference() -> dict:
    return json.loads((REF_DIR / "sem_ml.json").read_text(encoding="utf-8"))


@cache
def _data(name: str) -> pd.DataFrame:
    if name in ("holzinger_swineford_1939", "political_democracy"):
        return load_dataset(name)
    return pd.read_csv(REF_DIR / "data" / f"{name}.csv")


def data(name: str) -> pd.DataFrame:
    return _data(name).copy()


def frame(records) -> pd.DataFrame:
    df = pd.DataFrame(records)
    for c in df.columns:
        if df[c].dtype == object and c not in ("lhs", "op", "rhs", "label", "plabel"):
            df[c] = pd.to_numeric(df[c])
    return df


def as_float(x) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in x], dtype=float)
