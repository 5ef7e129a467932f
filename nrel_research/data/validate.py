"""Check response data against the instrument's data dictionary."""

from __future__ import annotations

import pandas as pd

from .._validation import locate
from ..exceptions import DataError
from ..instruments import Instrument
from ._schema import RESPONSE_ID, Schema, is_missing, schema_of

__all__ = ["VALIDATION_COLUMNS", "validate"]

VALIDATION_COLUMNS = ["row", "respondent_id", "column", "value", "check", "problem"]


def _condition_mask(df: pd.DataFrame, cond, schema: Schema) -> tuple[pd.Series, pd.Series]:
    """Return ``(holds, known)`` for one skip-logic condition, row by row."""
    if cond.op == "selected":
        col = f"{cond.item}_{cond.values[0]}"
        if col not in df.columns:
            return pd.Series(False, index=df.index), pd.Series(False, index=df.index)
        v = pd.to_numeric(df[col], errors="coerce")
        return (v == 1).fillna(False).astype(bool), v.notna()
    if cond.item not in df.columns:
        return pd.Series(False, index=df.index), pd.Series(False, index=df.index)
    raw = df[cond.item]
    # object dtype: a nullable string column would turn None back into <NA>, whose truth
    # value is ambiguous (missing skip-logic answers, e.g. after a consent refusal).
    text = raw.astype(object).map(lambda v: None if is_missing(v) else str(v).strip())
    text = text.map(lambda t: str(int(float(t))) if isinstance(t, str) and _is_int_like(t) else t)
    return text.isin(cond.values), text.notna()


def _is_int_like(t: str) -> bool:
    try:
        return float(t).is_integer()
    except ValueError:
        return False


def relevance(df: pd.DataFrame, name: str, schema: Schema) -> tuple[pd.Series, pd.Series]:
    """Whether variable ``name`` was shown to each respondent: ``(shown, known)``."""
    q = schema.question(name)
    shown = pd.Series(True, index=df.index)
    known = pd.Series(True, index=df.index)
    for c in q.relevant:
        holds, k = _condition_mask(df, c, schema)
        shown &= holds
        known &= k
    # a condition known to fail makes the answer irrelevant even if another is unknown
    fails = pd.Series(False, index=df.index)
    for c in q.relevant:
        holds, k = _condition_mask(df, c, schema)
        fails |= k & ~holds
    return shown & known, known | fails


def validate(
    df: pd.DataFrame,
    instrument: Instrument | None = None,
    strict: bool = False,
    *,
    max_listed: int = 10,
) -> pd.DataFrame:
    """Check every value of response data against the data dictionary.

    Checks, in this order: missing variables; type (text in a numeric item, malformed
    dates); allowed codes (e.g. 8 on a 1-7 scale, a code not in the choice list); numeric
    ranges; required answers; skip-logic consistency (an answer to a question its
    respondent should not have seen, e.g. E7 answered by a B2C firm or features of a
    platform that was not selected); end time before start time; duplicate respondent
    ids (``response_id``) and duplicate firm/informant pairs (``firm_id`` with
    ``second_informant``). Nothing is changed or coerced: the data are only read.

    Parameters
    ----------
    df : pandas.DataFrame
        Response data keyed by data-dictionary names (e.g. from
        :func:`~nrel_research.data.read_responses`, also with ``errors="keep"``).
    instrument : Instrument, optional
        By default the full bundled instrument.
    strict : bool, default False
        Raise :class:`~nrel_research.exceptions.DataError` listing the first problems
        instead of returning the report, when there is any problem.
    max_listed : int, default 10
        How many problems the strict-mode message lists.

    Returns
    -------
    pandas.DataFrame
        One row per problem: ``row`` (index label of ``df``), ``respondent_id``,
        ``column``, ``value`` (as found), ``check`` (``missing_column``, ``type``,
        ``code``, ``range`` (also a rating outside its scale, e.g. 8 on 1-7),
        ``required``, ``skip_logic``, ``timing``, ``duplicate_id``,
        ``duplicate_informant``) and ``problem`` (a sentence). Empty when the data are
        clean.

    Raises
    ------
    DataError
        In strict mode, if any problem is found; or if ``df`` is not a DataFrame.

    Examples
    --------
    >>> from nrel_research import data, instruments
    >>> inst = instruments.build(["E7"], randomize_within_blocks=False)
    >>> df = data.blank_responses(2, inst)
    >>> df["response_id"] = ["a", "b"]
    >>> df["consent"] = [1, 1]
    >>> df["market_type"] = [2, 1]  # a B2C firm, then a B2B firm
    >>> df["e7_1"] = [5, 8]
    >>> data.validate(df, inst)[["row", "column", "value", "check"]].to_numpy().tolist()
    [[1, 'e7_1', 8, 'range'], [0, 'e7_1', 5, 'skip_logic']]
    """
    schema = schema_of(instrument)
    if not isinstance(df, pd.DataFrame):
        raise DataError(f"df must be a pandas DataFrame, got {type(df).__name__}.")
    rows: list[dict] = []
    ids = (
        df[RESPONSE_ID].astype(object).where(df[RESPONSE_ID].notna(), None)
        if RESPONSE_ID in df.columns
        else pd.Series([None] * len(df), index=df.index)
    )

    def add(idx, column, value, check, problem):
        rows.append(
            {
                "row": idx,
                "respondent_id": None if idx is None else ids.get(idx),
                "column": column,
                "value": value,
                "check": check,
                "problem": problem,
            }
        )

    present = [n for n in schema.names if n in df.columns]
    for n in schema.names:
        if n not in df.columns:
            add(None, n, None, "missing_column", f"variable {n!r} of the data dictionary is absent")
    for name in present:
        r = schema.rows[name]
        typ = r["type"]
        col = df[name]
        codes = schema.codes(name)
        lo, hi = schema.bounds(name)
        for idx, v in col.items():
            if is_missing(v):
                continue
            if hasattr(v, "item") and not isinstance(v, str):
                v = v.item()  # numpy scalar -> Python scalar (clean messages)
            if typ in ("integer", "number"):
                if isinstance(v, bool | str):
                    try:
                        f = float(v)
                    except (TypeError, ValueError):
                        add(idx, name, v, "type", f"text in the numeric item {name!r}")
                        continue
                else:
                    try:
                        f = float(v)
                    except (TypeError, ValueError):
                        add(idx, name, v, "type", f"a non-numeric value in {name!r}")
                        continue
                if typ == "integer" and not f.is_integer():
                    add(idx, name, v, "type", f"{name!r} takes whole numbers")
                    continue
                ints = schema.numeric_codes(name)
                if (
                    ints
                    and schema.instrument.bank.item(r["item"]).is_rating
                    and not (min(ints) <= f <= max(ints))
                ):
                    add(
                        idx,
                        name,
                        v,
                        "range",
                        f"{v!r} is outside the {min(ints)}-{max(ints)} scale of {name!r}",
                    )
                elif codes:
                    if str(int(f)) not in codes:
                        add(
                            idx,
                            name,
                            v,
                            "code",
                            f"{v!r} is not an allowed code of {name!r} ({'|'.join(codes)})",
                        )
                elif (lo is not None and f < lo) or (hi is not None and f > hi):
                    add(
                        idx,
                        name,
                        v,
                        "range",
                        f"{v!r} is outside the range {lo:g} to {hi:g} of {name!r}",
                    )
            elif typ == "string":
                if codes and str(v).strip() not in codes:
                    add(
                        idx,
                        name,
                        v,
                        "code",
                        f"{v!r} is not an allowed code of {name!r} ({'|'.join(codes)})",
                    )
            elif typ == "datetime":
                try:
                    pd.Timestamp(v)
                except (TypeError, ValueError):
                    add(idx, name, v, "type", f"{v!r} in {name!r} is not a date-time")
    # required answers and skip logic
    for name in present:
        r = schema.rows[name]
        shown, known = relevance(df, name, schema)
        answered = ~df[name].map(is_missing).astype(bool)
        if bool(r["required"]):
            for idx in df.index[shown & ~answered]:
                add(idx, name, None, "required", f"the required item {name!r} is not answered")
        q = schema.question(name)
        if q.relevant:
            irrelevant = known & ~shown & answered
            conds = " and ".join(
                f"{c.item} includes {c.values[0]!r}"
                if c.op == "selected"
                else f"{c.item} in {list(c.values)}"
                for c in q.relevant
            )
            for idx in df.index[irrelevant]:
                add(
                    idx,
                    name,
                    df.at[idx, name],
                    "skip_logic",
                    f"{name!r} is answered although its condition ({conds}) does not hold",
                )
    if {"start_time", "end_time"} <= set(df.columns):
        start = pd.to_datetime(df["start_time"], errors="coerce")
        end = pd.to_datetime(df["end_time"], errors="coerce")
        for idx in df.index[(end < start).fillna(False)]:
            add(idx, "end_time", df.at[idx, "end_time"], "timing", "end time before start time")
    if RESPONSE_ID in df.columns:
        dup = ids.notna() & ids.duplicated(keep="first")
        for idx in df.index[dup]:
            add(
                idx,
                RESPONSE_ID,
                ids[idx],
                "duplicate_id",
                f"respondent id {ids[idx]!r} occurs more than once",
            )
    if {"firm_id", "second_informant"} <= set(df.columns):
        key = df[["firm_id", "second_informant"]].astype(object)
        has = key["firm_id"].notna()
        dup = has & key.duplicated(keep="first")
        for idx in df.index[dup]:
            add(
                idx,
                "firm_id",
                df.at[idx, "firm_id"],
                "duplicate_informant",
                f"firm {df.at[idx, 'firm_id']!r} has more than one response from the same "
                "informant (second_informant is equal)",
            )
    report = pd.DataFrame(rows, columns=VALIDATION_COLUMNS)
    if strict and not report.empty:
        listed = "; ".join(
            f"{locate(row=r.row, column=r.column, value=r.value, has_value=r.value is not None)}"
            f" ({r.respondent_id}): {r.problem}"
            for r in report.head(max_listed).itertuples()
        )
        more = f" (and {len(report) - max_listed} more)" if len(report) > max_listed else ""
        raise DataError(
            f"the response data have {len(report)} problem(s): {listed}{more}. Fix them in a "
            "copy of the export, or inspect them all with validate(df, instrument)."
        )
    return report
