"""Read exported posts and coding files (CSV or Excel), checking them strictly.

Files are only read, never rewritten. Every problem is reported as a
:class:`~nrel_research.exceptions.DataError` naming the file, the row (counted as in a
spreadsheet: the header is row 1, the first post row 2), the column and the value.
Column names are configurable, so exports from any platform or tool can be read as they
are.
"""

from __future__ import annotations

import io
from os import PathLike
from pathlib import Path

import pandas as pd

from .._validation import check_columns, locate
from ..exceptions import DataError

__all__ = ["read_codings", "read_posts", "read_table"]

Source = str | PathLike[str] | pd.DataFrame


def read_table(path: str | PathLike[str], *, sheet: str | int | None = None) -> pd.DataFrame:
    """Read a CSV (UTF-8) or Excel (``.xlsx``) file into a DataFrame of strings.

    Parameters
    ----------
    path : str or path-like
        The file. ``.xlsx``/``.xlsm`` files are read with openpyxl; anything else as
        CSV, which must be UTF-8 (a byte-order mark is allowed).
    sheet : str or int, optional
        The Excel sheet (default: the first).

    Returns
    -------
    pandas.DataFrame
        Every column as text; empty cells are missing (``NaN``).

    Raises
    ------
    DataError
        If the file is missing, is not UTF-8 (the message gives the row and the bytes),
        or cannot be parsed.
    """
    p = Path(path)
    if not p.is_file():
        raise DataError(f"file '{p}' does not exist; check the path.")
    if p.suffix.lower() in (".xlsx", ".xlsm"):
        try:
            frame = pd.read_excel(p, sheet_name=sheet or 0, dtype=str, engine="openpyxl")
        except (ValueError, KeyError, OSError) as exc:
            raise DataError(f"file '{p}' cannot be read as an Excel workbook: {exc}.") from exc
        return frame.dropna(how="all")
    raw = p.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        row = raw[: exc.start].count(b"\n") + 1
        bad = raw[exc.start : exc.start + 4]
        raise DataError(
            f"file '{p}' is not UTF-8: {locate(row=row)} has the byte(s) {bad!r} at offset "
            f"{exc.start}. Re-save the file as UTF-8 (in Excel: Save As > CSV UTF-8; or "
            "iconv -f WINDOWS-1252 -t UTF-8)."
        ) from exc
    try:
        return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, na_values=[""])
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise DataError(f"file '{p}' cannot be parsed as CSV: {exc}.") from exc


def _frame(source: Source, name: str | None) -> tuple[pd.DataFrame, str, bool]:
    if isinstance(source, pd.DataFrame):
        return source.copy(), name or "data", False
    return read_table(source), name or str(source), True


def _row(frame: pd.DataFrame, i: int, from_file: bool) -> str:
    """Spreadsheet row number of positional row ``i`` (header = row 1) or the index label."""
    return str(i + 2) if from_file else f"{i + 2} (index {frame.index[i]!r})"


def read_posts(
    source: Source,
    *,
    id: str = "post_id",
    text: str = "text",
    name: str | None = None,
    allow_empty_text: bool = False,
) -> pd.DataFrame:
    """Read and check a file of posts (one row per post, a text column).

    Parameters
    ----------
    source : path or DataFrame
        A CSV/XLSX export or a DataFrame (left unchanged).
    id, text : str
        Names of the post-identifier and text columns in the file.
    name : str, optional
        How to call the data in messages (default: the file path).
    allow_empty_text : bool, default False
        Accept posts with empty text (e.g. image-only posts coded from the image).

    Returns
    -------
    pandas.DataFrame
        The posts, with the columns as in the file and ``id`` as text.

    Raises
    ------
    DataError
        A named column is missing; a post id is empty or repeated; a text is empty.

    Examples
    --------
    >>> import pandas as pd
    >>> from nrel_research.coding import read_posts
    >>> read_posts(pd.DataFrame({"post_id": [1, 2], "text": ["Sale!", "Vote now"]})).shape
    (2, 2)
    """
    frame, label, from_file = _frame(source, name)
    check_columns(frame, [id, text], data_name=f"file '{label}'" if from_file else label)
    frame[id] = frame[id].map(lambda v: v if pd.isna(v) else str(v).strip())
    for i, value in enumerate(frame[id]):
        if pd.isna(value) or value == "":
            raise DataError(
                f"{_where(label, from_file)}, row {_row(frame, i, from_file)}, column '{id}': "
                "the post id is empty; give every post a unique id."
            )
    dup = frame[id].duplicated(keep="first")
    if dup.any():
        i = int(dup.to_numpy().nonzero()[0][0])
        first = int((frame[id] == frame[id].iloc[i]).to_numpy().nonzero()[0][0])
        raise DataError(
            f"{_where(label, from_file)}, row {_row(frame, i, from_file)}, column '{id}', value "
            f"{frame[id].iloc[i]!r}: the post id repeats row {_row(frame, first, from_file)}; "
            "post ids must be unique (one row per post)."
        )
    if not allow_empty_text:
        for i, value in enumerate(frame[text]):
            if pd.isna(value) or not str(value).strip():
                raise DataError(
                    f"{_where(label, from_file)}, row {_row(frame, i, from_file)}, column "
                    f"'{text}' (post {frame[id].iloc[i]!r}): the text is empty; fill it in, "
                    "drop the post, or pass allow_empty_text=True."
                )
    return frame


def _where(label: str, from_file: bool) -> str:
    return f"file '{label}'" if from_file else label


def read_codings(
    source: Source,
    *,
    unit: str = "post_id",
    coder: str = "coder",
    code: str = "code",
    secondary: str | None = None,
    codes: tuple[str, ...] | None = None,
    name: str | None = None,
) -> pd.DataFrame:
    """Read and check a long-format coding file (one row per unit and coder).

    Parameters
    ----------
    source : path or DataFrame
        A CSV/XLSX file or a DataFrame (left unchanged).
    unit, coder, code : str
        Column names of the unit (post) id, the coder and the primary code.
    secondary : str, optional
        Column of the secondary code, if any (may be empty in any row).
    codes : tuple of str, optional
        The valid codes (default: the codebook's). Codes are matched after stripping
        white space and upper-casing.
    name : str, optional
        How to call the data in messages (default: the file path).

    Returns
    -------
    pandas.DataFrame
        The codings with normalised codes; an empty primary code stays missing (the
        coder did not code that unit).

    Raises
    ------
    DataError
        A named column is missing, a code is unknown, or a unit is coded twice by the
        same coder; the message names the file, the row(s) and the value.

    Examples
    --------
    >>> import pandas as pd
    >>> from nrel_research.coding import read_codings
    >>> long = pd.DataFrame({"post_id": [1, 1], "coder": ["a", "b"], "code": ["r2", "E4 "]})
    >>> read_codings(long)["code"].tolist()
    ['R2', 'E4']
    """
    if codes is None:
        from .codebook import load_codebook

        codes = load_codebook().codes
    frame, label, from_file = _frame(source, name)
    columns = [unit, coder, code] + ([secondary] if secondary else [])
    check_columns(frame, columns, data_name=f"file '{label}'" if from_file else label)
    where = _where(label, from_file)
    valid = tuple(codes)
    for col in [code] + ([secondary] if secondary else []):
        normalised = frame[col].map(lambda v: v if pd.isna(v) else str(v).strip().upper() or None)
        for i, value in enumerate(normalised):
            if value is not None and not pd.isna(value) and value not in valid:
                raise DataError(
                    f"{where}, row {_row(frame, i, from_file)}, column '{col}', value "
                    f"{frame[col].iloc[i]!r}: unknown code; use one of {', '.join(valid)} "
                    "(or leave the cell empty if the unit was not coded)."
                )
        frame[col] = normalised
    for col in (unit, coder):
        frame[col] = frame[col].map(lambda v: v if pd.isna(v) else str(v).strip())
        for i, value in enumerate(frame[col]):
            if pd.isna(value) or value == "":
                raise DataError(
                    f"{where}, row {_row(frame, i, from_file)}, column '{col}': empty value; "
                    f"every row needs a {col}."
                )
    dup = frame.duplicated([unit, coder], keep=False)
    if dup.any():
        rows = dup.to_numpy().nonzero()[0]
        first = frame.iloc[rows[0]]
        same = [
            _row(frame, int(r), from_file)
            for r in rows
            if frame[unit].iloc[r] == first[unit] and frame[coder].iloc[r] == first[coder]
        ]
        raise DataError(
            f"{where}, rows {', '.join(same)}: unit {first[unit]!r} is coded more than once by "
            f"coder {first[coder]!r}; keep one coding per unit and coder (put a second action "
            "in the secondary code column)."
        )
    if secondary:
        same = frame[secondary].notna() & (frame[secondary] == frame[code])
        if same.any():
            i = int(same.to_numpy().nonzero()[0][0])
            raise DataError(
                f"{where}, row {_row(frame, i, from_file)}, column '{secondary}', value "
                f"{frame[secondary].iloc[i]!r}: the secondary code repeats the primary code; "
                "leave it empty instead."
            )
    return frame
