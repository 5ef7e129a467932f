"""Score cleaned response data: construct scores, the action mix, orientation indices."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .. import framework
from .._validation import check_columns
from ..exceptions import DataError
from ..instruments import Instrument
from ._schema import RESPONSE_ID, Schema, schema_of

__all__ = ["SCORED_STEP", "construct_items", "reverse_key", "score"]

#: Name of the step recorded in ``DataFrame.attrs["nrel_steps"]`` by :func:`reverse_key`.
SCORED_STEP = "reverse_keyed"
NON_SCALE = {"attention_1", "attention_2", "marker"}


def construct_items(schema: Schema) -> dict[str, list[str]]:
    """Rating items per multi-item construct (attention checks and the marker left out)."""
    out: dict[str, list[str]] = {}
    for name in schema.rating_items:
        k = schema.rows[name]["construct"]
        if k in NON_SCALE:
            continue
        out.setdefault(k, []).append(name)
    return out


def reverse_key(df: pd.DataFrame, instrument: Instrument | None = None) -> pd.DataFrame:
    """Return a copy with the reverse-keyed items recoded (x -> min + max - x).

    The reverse-keyed items are those flagged ``reverse: true`` in the item bank
    (``reverse_keyed`` in the data dictionary); the scale's lowest and highest codes give
    the recode. The step is recorded in ``attrs["nrel_steps"]`` so that :func:`score`
    does not reverse the items twice. Raises :class:`DataError` if the data were already
    reverse-keyed.

    Examples
    --------
    >>> from nrel_research import data, instruments
    >>> inst = instruments.build(["market_orientation"], randomize_within_blocks=False)
    >>> df = data.blank_responses(2, inst)
    >>> df["mo_6"] = [1, 6]
    >>> data.reverse_key(df, inst)["mo_6"].tolist()
    [7, 2]
    """
    schema = schema_of(instrument)
    steps = list(df.attrs.get("nrel_steps", []))
    if SCORED_STEP in steps:
        raise DataError("the data are already reverse-keyed (attrs['nrel_steps']); not again.")
    out = df.copy()
    for name in schema.dictionary.loc[schema.dictionary["reverse_keyed"].astype(bool), "name"]:
        if name not in out.columns:
            continue
        codes = schema.numeric_codes(name)
        if not codes:
            continue
        lo, hi = min(codes), max(codes)
        out[name] = (lo + hi) - pd.to_numeric(out[name], errors="raise").astype("Int64")
    out.attrs["nrel_steps"] = [*steps, SCORED_STEP]
    return out


def _min_count(min_items: float | int, k: int) -> int:
    if isinstance(min_items, bool) or not isinstance(min_items, int | float) or min_items <= 0:
        raise DataError(
            f"min_items={min_items!r} is not valid; use a share in (0, 1] (e.g. 0.5) or a "
            "whole number of items >= 1."
        )
    if isinstance(min_items, float) and min_items <= 1:
        return max(1, math.ceil(min_items * k))
    return min(int(min_items), k)


def score(
    df: pd.DataFrame,
    instrument: Instrument | None = None,
    min_items: float | int = 0.5,
    *,
    reverse: bool | None = None,
) -> pd.DataFrame:
    """Score response data for analysis, one row per response.

    - **Construct scores**: the mean of a construct's rating items, when at least
      ``min_items`` of them are answered (else missing); reverse-keyed items are recoded
      first. For formative and composite constructs the mean is an unweighted index.
    - **Action mix** (``mix_R1`` ... ``mix_L1``): each action type's intensity above the
      scale floor, ``score - 1`` (1 = "not at all"), as a share of the firm's total over
      the action types that apply to it (E7 only for B2B and mixed firms). Missing when
      every applicable action type is at the floor or a score is missing.
    - **Category scores** (``cat_representation``, ``cat_engagement``,
      ``cat_listening``): the mean of the category's action-type scores.
    - **Orientation indices**: ``transactional_orientation``, ``relational_orientation``,
      ``market_orientation`` construct scores and ``relational_minus_transactional``.
    - **Grouping variables**: ``market_type`` (categorical ``B2B``/``B2C``/``both``) and
      ``sector`` (ISIC Rev.4 section letter, categorical).

    Parameters
    ----------
    df : pandas.DataFrame
        Response data keyed by data-dictionary names (cleaned with
        :func:`~nrel_research.data.clean` or as read).
    instrument : Instrument, optional
    min_items : float or int, default 0.5
        Minimum answered items per construct: a share of the construct's items (a float
        up to 1, rounded up) or a count (an int).
    reverse : bool, optional
        Whether to reverse-key; by default yes unless ``df.attrs["nrel_steps"]`` records
        that it was done (by :func:`clean` or :func:`reverse_key`).

    Returns
    -------
    pandas.DataFrame
        ``response_id``, ``firm_id`` (when present), grouping variables, construct
        scores, category scores, ``mix_*`` shares and the orientation difference.

    Examples
    --------
    >>> from nrel_research import data
    >>> s = data.score(data.demo_responses(30, seed=2))
    >>> bool(s.filter(regex="^mix_").sum(axis=1).round(10).eq(1).all())
    True
    """
    schema = schema_of(instrument)
    items = construct_items(schema)
    check_columns(df, [i for its in items.values() for i in its], data_name="the response data")
    if reverse is None:
        reverse = SCORED_STEP not in df.attrs.get("nrel_steps", [])
    work = reverse_key(df, instrument) if reverse else df
    out = pd.DataFrame(index=df.index)
    if RESPONSE_ID in df.columns:
        out[RESPONSE_ID] = df[RESPONSE_ID]
    if "firm_id" in df.columns:
        out["firm_id"] = df["firm_id"]
    fw = framework.load()
    if "market_type" in df.columns:
        keys = {
            ch.code: ch.key
            for ch in schema.instrument.bank.scale(
                schema.instrument.bank.item("market_type").scale
            ).choices
        }
        mt = df["market_type"].map(lambda v: None if pd.isna(v) else keys.get(str(int(v))))
        out["market_type"] = pd.Categorical(mt, categories=["B2B", "B2C", "both"])
    if "sector" in df.columns:
        out["sector"] = pd.Categorical(
            df["sector"].astype(object).where(df["sector"].notna(), None),
            categories=schema.codes("sector"),
        )
    cols = {}
    for k, names in items.items():
        block = work[names].apply(pd.to_numeric, errors="raise").astype(float)
        need = _min_count(min_items, len(names))
        mean = block.mean(axis=1, skipna=True)
        cols[k] = mean.where(block.notna().sum(axis=1) >= need)
    scores = pd.DataFrame(cols, index=df.index)
    out = pd.concat([out, scores], axis=1)
    codes = [a.code for a in fw.actions if a.code in scores.columns]
    for cat in fw.categories:
        members = [a.code for a in fw.actions if a.category == cat.code and a.code in codes]
        if members:
            out[f"cat_{cat.name.lower()}"] = (
                scores[members].mean(axis=1, skipna=True).where(scores[members].notna().any(axis=1))
            )
    if codes:
        intens = (scores[codes] - 1.0).clip(lower=0)
        applies = pd.DataFrame(True, index=df.index, columns=codes)
        if "market_type" in out.columns:
            for a in fw.actions:
                if a.code in codes and a.b2b_only:
                    applies[a.code] = out["market_type"].isin(["B2B", "both"]).to_numpy()
        intens = intens.where(applies, 0.0)
        complete = (scores[codes].notna() | ~applies).all(axis=1)
        total = intens.sum(axis=1)
        mix = intens.div(total.where(total > 0), axis=0).where(complete, np.nan)
        mix = mix.where(applies)
        for c in codes:
            out[f"mix_{c}"] = mix[c]
    if {"relational_orientation", "transactional_orientation"} <= set(scores.columns):
        out["relational_minus_transactional"] = (
            scores["relational_orientation"] - scores["transactional_orientation"]
        )
    return out
