"""The response-data schema derived from an instrument's data dictionary (internal).

One :class:`Schema` per instrument holds everything the readers, writers, validator,
cleaner and scorer need: the canonical column order and dtypes, the per-platform column
names, the choice codes of every coded variable and the skip-logic conditions.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..exceptions import DataError
from ..instruments import Instrument, build

__all__ = ["RESPONSE_ID", "Schema", "schema_of"]

#: Name of the column holding the platform's response (respondent) identifier.
RESPONSE_ID = "response_id"

DTYPES = {
    "integer": "Int64",
    "number": "Float64",
    "string": "string",
    "datetime": "datetime64[ns]",
}


@dataclass(frozen=True)
class Schema:
    """The canonical shape of response data for one instrument."""

    instrument: Instrument
    dictionary: pd.DataFrame

    @property
    def names(self) -> list[str]:
        """Data-dictionary variable names, in instrument order."""
        return self.dictionary["name"].tolist()

    @property
    def columns(self) -> list[str]:
        """Canonical columns: the response id, then every data-dictionary variable."""
        return [RESPONSE_ID, *self.names]

    @functools.cached_property
    def rows(self) -> dict[str, pd.Series]:
        """Data-dictionary row per variable name."""
        return {r["name"]: r for _, r in self.dictionary.iterrows()}

    def dtype(self, name: str) -> str:
        """Return the pandas dtype of a canonical column."""
        if name == RESPONSE_ID:
            return "string"
        return DTYPES[self.rows[name]["type"]]

    def codes(self, name: str) -> list[str]:
        """Return the allowed codes of a coded variable (``[]`` for free values)."""
        if name == RESPONSE_ID:
            return []
        values = self.rows[name]["values"]
        return values.split("|") if values else []

    def numeric_codes(self, name: str) -> list[int] | None:
        """Return the allowed codes as integers for integer-coded variables, else ``None``."""
        codes = self.codes(name)
        if codes and self.rows[name]["type"] == "integer":
            return [int(c) for c in codes]
        return None

    def bounds(self, name: str) -> tuple[float | None, float | None]:
        """``(minimum, maximum)`` of a numeric variable (``None`` when unbounded)."""
        r = self.rows[name]
        lo, hi = r["minimum"], r["maximum"]
        lo = None if lo is None or (isinstance(lo, float) and math.isnan(lo)) else float(lo)
        hi = None if hi is None or (isinstance(hi, float) and math.isnan(hi)) else float(hi)
        return lo, hi

    @functools.cached_property
    def multiple(self) -> dict[str, list[tuple[str, str]]]:
        """Multi-select items: ``{item: [(option code, variable name), ...]}``."""
        out: dict[str, list[tuple[str, str]]] = {}
        for q in self.instrument.questions:
            it = q.item
            if it.type == "select_multiple":
                scale = self.instrument.bank.scale(it.scale)
                out[it.id] = [(ch.code, f"{it.id}_{ch.code}") for ch in scale.choices]
        return out

    def item_of(self, name: str) -> str:
        """Return the item a variable belongs to (a multi-select option belongs to its item)."""
        return self.rows[name]["item"]

    def question(self, name: str):
        """Return the instrument question of a variable."""
        return self.instrument.question(self.item_of(name))

    @functools.cached_property
    def rating_items(self) -> list[str]:
        """Respondent rating (Likert-type) items, in instrument order."""
        return [
            q.name
            for q in self.instrument.questions
            if q.item.is_rating and q.item.audience == "respondent"
        ]

    @functools.cached_property
    def free_text(self) -> list[str]:
        """Free-text variables (string type without codes)."""
        d = self.dictionary
        return d.loc[(d["type"] == "string") & (d["values"] == ""), "name"].tolist()

    @functools.cached_property
    def identifiers(self) -> list[str]:
        """Variables flagged as identifiers in the item bank (firm id, handles)."""
        return self.dictionary.loc[self.dictionary["identifier"].astype(bool), "name"].tolist()

    def blank(self, n: int = 0) -> pd.DataFrame:
        """Return an all-missing canonical DataFrame with ``n`` rows."""
        return pd.DataFrame({c: pd.Series([pd.NA] * n, dtype=self.dtype(c)) for c in self.columns})

    def label_codes(self, name: str) -> dict[str, str]:
        """Map every choice label (any instrument language, case-folded) to its code."""
        if name == RESPONSE_ID:
            return {}
        it = self.instrument.bank.item(self.item_of(name))
        if not it.scale:
            return {}
        out = {}
        for ch in self.instrument.bank.scale(it.scale).choices:
            for text in ch.labels.values():
                if text:
                    out[text.strip().casefold()] = ch.code
        return out


def schema_of(instrument: Instrument | None) -> Schema:
    """Return the :class:`Schema` of ``instrument`` (default: the full bundled instrument)."""
    if instrument is None:
        return _default_schema()
    if not isinstance(instrument, Instrument):
        raise DataError(
            f"instrument must be an nrel_research.instruments.Instrument, got "
            f"{type(instrument).__name__}; build one with nrel_research.instruments.build()."
        )
    return Schema(instrument, instrument.data_dictionary())


@functools.cache
def _default_schema() -> Schema:
    inst = build(randomize_within_blocks=False)
    return Schema(inst, inst.data_dictionary())


def default_instrument() -> Instrument:
    """Return the full bundled instrument in item-bank order (what readers assume by default)."""
    return _default_schema().instrument


def is_missing(value) -> bool:
    """Whether a single cell is missing (None, NaN, NA, NaT or blank text)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, float | np.floating) and np.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()
