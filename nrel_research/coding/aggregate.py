"""Post-level to firm-level: the action mix of coded posts, keyed by firm id."""

from __future__ import annotations

import pandas as pd

from .._validation import check_choice, check_columns
from ..exceptions import DataError
from .codebook import load_codebook

__all__ = ["action_mix"]


def action_mix(
    coded: pd.DataFrame,
    *,
    firm: str = "firm_id",
    code: str = "code",
    platform: str | None = None,
    period: str | None = None,
    date: str = "date",
    format: str = "wide",
) -> pd.DataFrame:
    """Aggregate coded posts to each firm's action mix: counts and shares per code.

    Parameters
    ----------
    coded : pandas.DataFrame
        One row per post with the firm id and its (primary) code; posts with an empty
        code (e.g. left uncoded by the dictionary coder) are counted in ``n_uncoded`` and
        left out of the shares.
    firm, code : str
        Column names of the firm id and the code.
    platform : str, optional
        Column to break the mix down by platform (e.g. ``"platform"``).
    period : str, optional
        A pandas period frequency (``"M"``, ``"Q"``, ``"Y"``) to break the mix down by
        time, using the ``date`` column.
    date : str, default "date"
        Date column (YYYY-MM-DD) used with ``period``.
    format : {"wide", "long"}
        ``"wide"``: one row per firm (and platform, period) with ``n_posts``,
        ``n_uncoded``, ``n_<code>`` and ``share_<code>`` for every code and
        ``share_R``/``share_E``/``share_L`` per category, ready to join survey data on
        ``firm``. ``"long"``: one row per firm, (platform, period) and code with
        ``count`` and ``share``.

    Returns
    -------
    pandas.DataFrame
        Every code of the codebook appears, with 0 where a firm never used it; shares
        are over the firm's coded posts (``NaN`` if it has none).

    Notes
    -----
    Counts and shares are checked against hand-computed values in
    ``tests/test_coding_aggregate.py``. Only primary codes are counted.

    Examples
    --------
    >>> import pandas as pd
    >>> from nrel_research.coding import action_mix
    >>> coded = pd.DataFrame({"firm_id": ["F1", "F1", "F1", "F2"],
    ...                       "code": ["R2", "R2", "E4", "L1"]})
    >>> mix = action_mix(coded)
    >>> cols = ["firm_id", "n_posts", "share_R2", "share_E4", "share_R"]
    >>> mix[cols].round(3).to_dict("records")[0]
    {'firm_id': 'F1', 'n_posts': 3, 'share_R2': 0.667, 'share_E4': 0.333, 'share_R': 0.667}
    """
    format = check_choice(format, "format", ["wide", "long"], error=DataError)
    cb = load_codebook()
    check_columns(coded, [firm, code] + ([platform] if platform else []), data_name="coded")
    data = pd.DataFrame({firm: coded[firm].astype(str)})
    keys = [firm]
    if platform:
        data[platform] = coded[platform].astype(str)
        keys.append(platform)
    if period:
        check_columns(coded, [date], data_name="coded")
        parsed = pd.to_datetime(coded[date], format="%Y-%m-%d", errors="coerce")
        if parsed.isna().any():
            i = int((parsed.isna()).to_numpy().nonzero()[0][0])
            raise DataError(
                f"coded, row {i + 2} (index {coded.index[i]!r}), column '{date}', value "
                f"{coded[date].iloc[i]!r}: not a date; write dates as YYYY-MM-DD."
            )
        try:
            data["period"] = parsed.dt.to_period(period).astype(str)
        except ValueError as exc:
            raise DataError(
                f"period={period!r} is not a pandas frequency (use M, Q or Y)."
            ) from exc
        keys.append("period")
    codes = coded[code].map(
        lambda v: None if pd.isna(v) or str(v).strip() == "" else str(v).strip().upper()
    )
    unknown = sorted({c for c in codes.dropna() if c not in cb.codes})
    if unknown:
        raise DataError(
            f"coded, column '{code}': unknown code(s) {', '.join(map(repr, unknown))}; use "
            f"{', '.join(cb.codes)}."
        )
    data["_code"] = codes
    counts = (
        data.dropna(subset=["_code"])
        .groupby(keys)["_code"]
        .value_counts()
        .unstack(fill_value=0)
        .reindex(columns=list(cb.codes), fill_value=0)
    )
    totals = data.groupby(keys).agg(
        n_posts=("_code", "size"), n_uncoded=("_code", lambda s: int(s.isna().sum()))
    )
    counts = counts.reindex(totals.index, fill_value=0)
    n_coded = counts.sum(axis=1)
    shares = counts.div(n_coded.where(n_coded > 0), axis=0)
    if format == "long":
        long = counts.stack().rename("count").to_frame()
        long["share"] = shares.stack()
        long.index = long.index.set_names([*keys, "code"])
        return long.reset_index()
    wide = totals.copy()
    for c in cb.codes:
        wide[f"n_{c}"] = counts[c].astype(int)
    for c in cb.codes:
        wide[f"share_{c}"] = shares[c]
    for category in dict.fromkeys(c.category for c in cb.codes_):
        members = [c.code for c in cb.codes_ if c.category == category]
        wide[f"share_{category}"] = shares[members].sum(axis=1, min_count=1)
    return wide.reset_index()
