"""Read survey-platform exports of the N-REL instrument, and write them.

Supported sources (``source=``):

=============== ============================================================================
``csv``         plain CSV keyed by data-dictionary names (``,`` ``;`` or tab separated)
``xlsx``        an Excel workbook keyed by data-dictionary names (first sheet)
``spss``        SPSS ``.sav`` (read and written with pyreadstat; value labels kept)
``qualtrics``   Qualtrics CSV export: the column-name row, the question-text row and the
                ``{"ImportId": ...}`` row, then one row per response; multi-select
                answers split into ``<item>_<n>`` columns (written so) or as one
                comma-separated column
``limesurvey``  LimeSurvey response export (CSV, "question code" headings, answer codes):
                question codes without underscores (the data dictionary's
                ``limesurvey_name``), subquestions as ``code[SQ]`` or ``code_SQ``, ``Y``
                for a selected option, ``N`` for an option left unticked
``kobo``        KoboToolbox / ODK Central export of the XLSForm (CSV or XLSX): group-path
                headers (``group/field``; ``-``, ``.`` and ``:`` separators too),
                multi-select answers as space-separated codes plus one-hot
                ``group/field/option`` columns
=============== ============================================================================

Multi-select questions: "shown, nothing ticked" (every option 0) differs from "not shown"
(missing). The writers keep the difference the way the platforms' own exports can:

* Qualtrics, Data & Analysis > Export & Import > Export data > More options: "Split
  multi-value fields into columns" and "Recode seen but unanswered multi-value fields as 0"
  (export API ``breakoutSets=true``, ``multiselectSeenUnansweredRecode=0``): ``1`` selected,
  ``0`` seen but not selected, blank not shown. Without the multi-value recode, seen-but-
  unselected choices take the "Recode seen but unanswered questions as -99" value (API
  documentation of ``multiselectSeenUnansweredRecode``), read as 0 too.
* LimeSurvey, Export results > Responses: "Convert N to:" ``N``. LimeSurvey stores an
  option left unticked on a shown multiple-choice question as an empty string and the
  options of a question not shown as NULL; its export writer
  (``application/helpers/admin/export/Writer.php``, ``transformResponseValue``) converts the
  empty string, not NULL, of multiple-choice fields to the "Convert N to" value.

Exports made without these options are read too: an empty option next to a ticked one is
"not selected", and a question with no option ticked cannot be told from one not shown; it
is read as missing and listed in the import report (status ``ambiguous``) with the export
option to tick.

Every reader returns the item-level DataFrame keyed by data-dictionary names (plus
``response_id``, the platform's response identifier) with pandas nullable dtypes
(``Int64``, ``Float64``, ``string``, ``datetime64[ns]``) and an import report of every
column of the file and of the dictionary: how it was mapped, which columns were not, and
which variables are missing. Input files are opened read-only and never modified.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections.abc import Mapping
from os import PathLike
from pathlib import Path

import numpy as np
import pandas as pd

from .._validation import check_choice, check_columns, locate
from .._version import __version__
from ..exceptions import DataError
from ..instruments import Instrument
from ._schema import RESPONSE_ID, Schema, is_missing, schema_of

__all__ = [
    "SOURCES",
    "blank_responses",
    "detect_source",
    "file_sha256",
    "read_responses",
    "write_responses",
]

SOURCES = ("csv", "xlsx", "spss", "qualtrics", "limesurvey", "kobo")
REPORT_COLUMNS = ["column", "name", "status", "detail"]

# Columns the platforms add to every export (metadata, paradata, personal data).
QUALTRICS_META = {
    "StartDate": ("startDate", "start_time"),
    "EndDate": ("endDate", "end_time"),
    "Status": ("status", None),
    "IPAddress": ("ipAddress", None),
    "Progress": ("progress", None),
    "Duration (in seconds)": ("duration", None),
    "Finished": ("finished", None),
    "RecordedDate": ("recordedDate", None),
    "ResponseId": ("_recordId", RESPONSE_ID),
    "RecipientLastName": ("recipientLastName", None),
    "RecipientFirstName": ("recipientFirstName", None),
    "RecipientEmail": ("recipientEmail", None),
    "ExternalReference": ("externalDataReference", None),
    "LocationLatitude": ("locationLatitude", None),
    "LocationLongitude": ("locationLongitude", None),
    "DistributionChannel": ("distributionChannel", None),
    "UserLanguage": ("userLanguage", None),
}
LIMESURVEY_META = {
    "id": RESPONSE_ID,
    "submitdate": "end_time",
    "startdate": "start_time",
    "lastpage": None,
    "startlanguage": None,
    "seed": None,
    "datestamp": None,
    "ipaddr": None,
    "refurl": None,
    "token": None,
}
KOBO_META = {
    "_uuid": RESPONSE_ID,
    "meta/instanceID": None,
    "meta-instanceID": None,
    "KEY": None,
    "_id": None,
    "_submission_time": None,
    "_validation_status": None,
    "_notes": None,
    "_status": None,
    "_submitted_by": None,
    "__version__": None,
    "_version_": None,
    "_tags": None,
    "_index": None,
    "_parent_index": None,
    "_attachments": None,
    "_geolocation": None,
    "SubmissionDate": None,
    "SubmitterID": None,
    "SubmitterName": None,
    "AttachmentsPresent": None,
    "AttachmentsExpected": None,
    "Status": None,
    "ReviewState": None,
    "DeviceID": None,
    "Edits": None,
    "FormVersion": None,
    "instanceID": None,
    "deviceid": None,
    "today": None,
}
KOBO_SEPARATORS = ("/", "-", ".", ":")
# Qualtrics' "Recode seen but unanswered questions as -99"; without a separate multi-value
# recode, seen-but-unselected choices of multi-value fields get this value too.
QUALTRICS_SEEN_UNANSWERED = "-99"
_LS_SUBQ = re.compile(r"^([A-Za-z0-9]+)\[([A-Za-z0-9_]+)\]$")
SUFFIXES = {
    ".csv": "text",
    ".tsv": "text",
    ".txt": "text",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".sav": "spss",
    ".zsav": "spss",
}


# -- helpers ---------------------------------------------------------------------------------
def file_sha256(path: str | PathLike[str]) -> str:
    """Return the SHA-256 hex digest of a file (read in chunks; the file is not modified).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "x.txt"
    >>> _ = p.write_bytes(b"abc")
    >>> file_sha256(p)[:16]
    'ba7816bf8f01cfea'
    """
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _check_path(path) -> Path:
    if not isinstance(path, str | PathLike):
        raise DataError(
            f"path must be a file path (str or pathlib.Path), got {type(path).__name__}."
        )
    p = Path(path)
    if not p.exists():
        raise DataError(f"file '{p}' does not exist; check the path.")
    if p.is_dir():
        raise DataError(f"'{p}' is a folder; give the path of one export file.")
    return p


def _read_text(path: Path, encoding: str | None) -> str:
    data = path.read_bytes()
    if not data.strip():
        raise DataError(
            f"file '{path.name}' is empty; export the responses again from the survey platform."
        )
    if encoding is not None:
        try:
            return data.decode(encoding)
        except (UnicodeDecodeError, LookupError) as exc:
            raise DataError(
                f"file '{path.name}' cannot be decoded as {encoding!r}: {exc}; check the "
                "encoding the platform used for the export."
            ) from None
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        bad = data[exc.start : exc.start + 4]
        raise DataError(
            f"file '{path.name}' is not UTF-8: undecodable byte(s) {bad!r} at byte "
            f"{exc.start} ({locate(row=line)} of the file). Export it again as UTF-8, or "
            "pass the encoding it was written in, e.g. encoding='cp1252' (Excel on Windows) "
            "or encoding='latin-1'."
        ) from None


def _looks_binary(path: Path) -> bool:
    head = path.read_bytes()[:4096]
    return b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff"))


def _sniff_delimiter(text: str) -> str:
    first = text.split("\n", 1)[0]
    counts = {d: first.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def _parse_text_table(text: str, path: Path) -> list[list[str]]:
    delim = _sniff_delimiter(text)
    try:
        rows = list(csv.reader(io.StringIO(text), delimiter=delim))
    except csv.Error as exc:
        raise DataError(f"file '{path.name}' is not a readable CSV file: {exc}.") from None
    rows = [r for r in rows if any(cell.strip() for cell in r)]
    if not rows:
        raise DataError(f"file '{path.name}' is empty; export the responses again.")
    width = len(rows[0])
    for n, r in enumerate(rows[1:], start=2):
        if len(r) != width:
            raise DataError(
                f"{locate(file=path.name, row=n)}: {len(r)} fields where the header has "
                f"{width}; the file is cut or its separator ({delim!r}) also occurs unquoted "
                "in a value. Export it again."
            )
    return rows


def _table(rows: list[list[str]], header_rows: int, path: Path) -> pd.DataFrame:
    header = [h.strip() for h in rows[0]]
    seen = set()
    for h in header:
        if h in seen:
            raise DataError(
                f"{locate(file=path.name, row=1, column=h)}: the column name occurs twice; "
                "every column of an export must have a unique name."
            )
        seen.add(h)
    body = rows[header_rows:]
    if not body:
        raise DataError(
            f"file '{path.name}' has only the header row(s) and no responses; check that "
            "the export includes the recorded responses (and is not a template)."
        )
    return pd.DataFrame(body, columns=header, dtype=object)


def _read_xlsx_rows(path: Path) -> list[list[str]]:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types on bad files
        raise DataError(
            f"file '{path.name}' is not a readable Excel workbook ({type(exc).__name__}: "
            f"{exc}); save it again as .xlsx."
        ) from None
    try:
        ws = wb.worksheets[0]
        rows = []
        for r in ws.iter_rows(values_only=True):
            cells = ["" if v is None else v for v in r]
            if any(str(c).strip() for c in cells):
                rows.append(cells)
    finally:
        wb.close()
    if not rows:
        raise DataError(f"file '{path.name}' is empty (its first sheet has no cells).")
    width = max(len(r) for r in rows)
    rows = [list(r) + [""] * (width - len(r)) for r in rows]
    rows[0] = [str(h) for h in rows[0]]
    while rows[0] and not rows[0][-1].strip():
        rows = [r[:-1] for r in rows]
    return rows


# -- detection -------------------------------------------------------------------------------
def _kobo_groups(schema: Schema) -> set[str]:
    return {f"{b.id}_block" for b in schema.instrument.blocks}


def _is_kobo_header(header: list[str], schema: Schema) -> bool:
    if {"_uuid", "_submission_time"} & set(header) or {"KEY", "meta-instanceID"} <= set(header):
        return True
    groups = _kobo_groups(schema)
    return any(h.split(sep, 1)[0] in groups for h in header for sep in KOBO_SEPARATORS if sep in h)


def _detect_from_rows(rows: list[list], schema: Schema) -> str:
    header = [str(h).strip() for h in rows[0]]
    if len(rows) > 2 and str(rows[2][0]).strip().startswith('{"ImportId"'):
        return "qualtrics"
    if {"StartDate", "ResponseId"} <= set(header) or "ResponseID" in header:
        return "qualtrics"
    if _is_kobo_header(header, schema):
        return "kobo"
    ls_names = set(schema.dictionary["limesurvey_name"])
    ls_meta = {"submitdate", "lastpage", "startlanguage"}
    names = set(schema.names)
    ls_hits = sum(
        1
        for h in header
        if h in ls_meta
        or (h in ls_names and h not in names)
        or ((m := _LS_SUBQ.match(h)) is not None and f"{m[1]}_{m[2]}" in ls_names)
    )
    dd_hits = sum(1 for h in header if h in names)
    if ls_hits > dd_hits:
        return "limesurvey"
    return "csv"


def detect_source(
    path: str | PathLike[str],
    instrument: Instrument | None = None,
    *,
    encoding: str | None = None,
) -> str:
    """Detect which platform produced a response export.

    The file suffix separates SPSS, Excel and text files; the header then tells the
    platforms apart: the ``{"ImportId": ...}`` third row (Qualtrics), group-path headers
    or ``_uuid`` (KoboToolbox/ODK), LimeSurvey question codes and ``submitdate``; anything
    else keyed by data-dictionary names is plain ``csv`` (or ``xlsx``).

    Returns
    -------
    str
        One of :data:`SOURCES`.

    Raises
    ------
    DataError
        If the file is missing, empty, binary of an unsupported kind, or not text in
        the given (or UTF-8) encoding.
    """
    p = _check_path(path)
    schema = schema_of(instrument)
    kind = SUFFIXES.get(p.suffix.lower())
    if kind is None:
        raise DataError(
            f"file '{p.name}' has the unsupported type {p.suffix or '(no suffix)'!r}; "
            "read_responses accepts .csv/.tsv/.txt (CSV, Qualtrics, LimeSurvey, "
            "KoboToolbox/ODK), .xlsx (Excel, KoboToolbox) and .sav (SPSS)."
        )
    if kind == "spss":
        return "spss"
    if kind == "xlsx":
        rows = _read_xlsx_rows(p)
        return "kobo" if _is_kobo_header([str(h) for h in rows[0]], schema) else "xlsx"
    if _looks_binary(p):
        raise DataError(
            f"file '{p.name}' is binary, not a text export; if it is an Excel or SPSS "
            "file, give it its real suffix (.xlsx or .sav)."
        )
    rows = _parse_text_table(_read_text(p, encoding), p)
    return _detect_from_rows(rows, schema)


# -- value conversion ------------------------------------------------------------------------
def _to_text(v) -> str | None:
    if is_missing(v):
        return None
    if isinstance(v, float) and float(v).is_integer():
        return str(int(v))
    if isinstance(v, pd.Timestamp):
        return v.isoformat(sep=" ")
    return str(v).strip()


def _convert(
    values: pd.Series,
    name: str,
    schema: Schema,
    *,
    positions: bool = False,
) -> tuple[pd.Series, list[tuple[int, object]], bool]:
    """Convert raw cells of one variable to its canonical dtype.

    Returns the converted series, the ``(position, raw value)`` of cells that could not
    be converted, and whether any choice label or position was translated to its code.
    """
    dtype = schema.dtype(name)
    bad: list[tuple[int, object]] = []
    translated = False
    out: list[object] = []
    codes = schema.codes(name)
    labels = schema.label_codes(name) if codes else {}
    for pos, raw in enumerate(values.tolist()):
        text = _to_text(raw)
        if text is None:
            out.append(pd.NA)
            continue
        if codes and text not in codes:
            if (
                positions
                and schema.numeric_codes(name) is None
                and text.isdigit()
                and 1 <= int(text) <= len(codes)
            ):
                text = codes[int(text) - 1]
                translated = True
            elif text.casefold() in labels:
                text = labels[text.casefold()]
                translated = True
        if dtype == "Int64":
            try:
                f = float(text)
            except ValueError:
                bad.append((pos, raw))
                out.append(pd.NA)
                continue
            if not f.is_integer():
                bad.append((pos, raw))
                out.append(pd.NA)
                continue
            out.append(int(f))
        elif dtype == "Float64":
            try:
                out.append(float(text))
            except ValueError:
                bad.append((pos, raw))
                out.append(pd.NA)
        elif dtype == "string":
            out.append(text)
        else:  # datetime
            try:
                ts = pd.Timestamp(raw) if isinstance(raw, pd.Timestamp) else pd.Timestamp(text)
            except (ValueError, TypeError):
                bad.append((pos, raw))
                out.append(pd.NaT)
                continue
            if ts.tzinfo is not None:
                ts = ts.tz_convert("UTC").tz_localize(None)
            out.append(ts)
    if dtype == "datetime64[ns]":
        series = pd.Series(pd.to_datetime(pd.Series(out, dtype=object)), index=values.index)
        series = series.astype("datetime64[ns]")
    else:
        series = pd.Series(out, index=values.index, dtype=dtype)
    return series, bad, translated


# -- column mapping per source ----------------------------------------------------------------
def _map_plain(header: list[str], schema: Schema) -> dict[str, str]:
    names = set(schema.columns)
    return {h: h for h in header if h in names}


def _map_limesurvey(header: list[str], schema: Schema) -> dict[str, str]:
    ls = {}
    for r in schema.dictionary.itertuples(index=False):
        if r.limesurvey_name:
            ls[r.limesurvey_name] = r.name
    out = {}
    for h in header:
        m = _LS_SUBQ.match(h)
        key = f"{m[1]}_{m[2]}" if m else h
        if key in ls:
            out[h] = ls[key]
        elif LIMESURVEY_META.get(h) in schema.columns:
            out[h] = LIMESURVEY_META[h]
    return out


def _kobo_strip(h: str, groups: set[str]) -> tuple[str, str]:
    """Strip group prefixes; return ``(path without groups, separator used)``."""
    for sep in KOBO_SEPARATORS:
        parts = h.split(sep)
        if len(parts) > 1 and parts[0] in groups:
            while len(parts) > 1 and parts[0] in groups:
                parts = parts[1:]
            return sep.join(parts), sep
    return h, "/"


# -- the reader ------------------------------------------------------------------------------
def read_responses(
    path: str | PathLike[str],
    instrument: Instrument | None = None,
    source: str = "auto",
    *,
    encoding: str | None = None,
    errors: str = "raise",
    strict_columns: bool = True,
    keep_platform_columns: bool = False,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    r"""Read a survey export and map its columns to the instrument's data dictionary.

    Parameters
    ----------
    path : str or path-like
        The export, exactly as downloaded (it is only read, never modified).
    instrument : Instrument, optional
        The instrument that was fielded (:func:`nrel_research.instruments.build`); by
        default the full bundled instrument.
    source : {"auto", "csv", "xlsx", "spss", "qualtrics", "limesurvey", "kobo"}
        The platform that wrote the file; ``"auto"`` detects it (:func:`detect_source`).
    encoding : str, optional
        The text encoding of a CSV export; by default UTF-8 (with or without BOM, or
        UTF-16 with BOM). A file in another encoding raises :class:`DataError` naming the
        byte and line, so that the encoding is always chosen explicitly.
    errors : {"raise", "keep"}, default "raise"
        A value that cannot be read as its variable's type (text in a numeric item, a
        malformed date) raises :class:`DataError` naming the file, row, column and value.
        ``"keep"`` keeps such a column as text (object dtype) with the original values and
        lists it in the report, so that :func:`~nrel_research.data.validate` can report
        every bad cell; nothing is converted silently.
    strict_columns : bool, default True
        Raise when the file has columns the dictionary lacks **and** lacks variables of
        the dictionary: the signature of an export of another instrument version. With
        ``False`` the matching columns are imported and the rest reported.
    keep_platform_columns : bool, default False
        Also keep the platform's own columns (e.g. Qualtrics ``Progress``, ``IPAddress``)
        after the canonical columns, under their original names. They can hold personal
        data; :func:`~nrel_research.data.clean` removes them.

    Returns
    -------
    data : pandas.DataFrame
        One row per response; columns ``response_id`` then every data-dictionary
        variable in instrument order (variables the file lacks are all-missing), with
        dtypes ``Int64`` (integer and coded variables), ``Float64``, ``string`` and
        ``datetime64[ns]`` (UTC for exports with a time zone). ``data.attrs["source"]``
        records the file name, SHA-256, detected format and row count; ``data.attrs
        ["value_labels"]`` the SPSS value labels of a ``.sav`` file.
    report : pandas.DataFrame
        The import report, columns ``column, name, status, detail``; ``status`` is
        ``mapped``, ``translated`` (choice labels or positions turned into codes),
        ``platform`` (a platform column, not kept), ``unmapped`` (not in the dictionary),
        ``missing`` (a dictionary variable the file lacks), ``type_error`` (with
        ``errors="keep"``), ``labels_differ`` (SPSS value labels that differ from the
        dictionary's) or ``ambiguous`` (multi-select answers with no option ticked in a
        Qualtrics or LimeSurvey export made without the options that mark "shown, not
        selected": read as missing; the detail names the export option to tick).

    Raises
    ------
    DataError
        For a missing, empty or header-only file, an unsupported file type, a non-UTF-8
        file without ``encoding=``, a duplicated column name, rows of the wrong length,
        missing required variables, an export of a different instrument version, or a
        value of the wrong type (``errors="raise"``). Messages name file, row, column and
        value.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from nrel_research import data, instruments
    >>> inst = instruments.build(["R1"], randomize_within_blocks=False)
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> (folder / "r.csv").write_text(
    ...     "response_id,consent,r1_1,r1_2\nA,1,7,6\nB,1,2,8\n", encoding="utf-8"
    ... ) and None
    >>> df, report = data.read_responses(folder / "r.csv", inst)
    >>> df[["response_id", "r1_1", "r1_2"]].to_numpy().tolist()
    [['A', 7, 6], ['B', 2, 8]]
    >>> report.loc[report["status"] == "missing", "name"].tolist()
    ['r1_3']
    """
    p = _check_path(path)
    schema = schema_of(instrument)
    source = check_choice(source, "source", ("auto", *SOURCES), error=DataError, normalize=True)
    errors = check_choice(errors, "errors", ("raise", "keep"), error=DataError)
    if source == "auto":
        source = detect_source(p, instrument, encoding=encoding)
    value_labels: dict = {}
    header_rows = 1
    if source == "spss":
        raw, value_labels = _read_spss_raw(p)
    else:
        if source in ("xlsx",) or (source == "kobo" and p.suffix.lower() in (".xlsx", ".xlsm")):
            if SUFFIXES.get(p.suffix.lower()) != "xlsx":
                raise DataError(
                    f"file '{p.name}' is not an Excel workbook but source={source!r}; "
                    "pass the matching source or save the file as .xlsx."
                )
            rows = _read_xlsx_rows(p)
        else:
            if SUFFIXES.get(p.suffix.lower()) != "text" or _looks_binary(p):
                raise DataError(
                    f"file '{p.name}' is not a text (CSV) export but source={source!r}; "
                    "pass the matching source (or source='auto')."
                )
            rows = _parse_text_table(_read_text(p, encoding), p)
        if source == "qualtrics":
            header_rows = 3 if len(rows) > 2 and str(rows[2][0]).startswith("{") else 1
            if header_rows == 1 and len(rows) > 1 and rows[1][0] == "Start Date":
                header_rows = 2
        raw = _table(rows, header_rows, p)
    data, report = _canonical(raw, schema, source, p, header_rows, errors, strict_columns)
    if value_labels:
        data.attrs["value_labels"] = value_labels
        extra = _compare_value_labels(value_labels, schema)
        report = pd.concat([report, extra], ignore_index=True)
    if keep_platform_columns:
        plat = report.loc[report["status"] == "platform", "column"].tolist()
        for c in plat:
            data[c] = raw[c].to_numpy()
    data.attrs["source"] = {
        "file": p.name,
        "sha256": file_sha256(p),
        "format": source,
        "rows": len(data),
        "package_version": __version__,
    }
    return data, report


def _read_spss_raw(p: Path) -> tuple[pd.DataFrame, dict]:
    import pyreadstat

    try:
        df, meta = pyreadstat.read_sav(str(p), apply_value_formats=False, user_missing=False)
    except Exception as exc:  # pyreadstat raises its own error types
        raise DataError(
            f"file '{p.name}' is not a readable SPSS .sav file ({type(exc).__name__}: {exc}); "
            "save it again from SPSS or export as CSV."
        ) from None
    if df.shape[1] == 0:
        raise DataError(f"file '{p.name}' is empty (no variables).")
    if df.shape[0] == 0:
        raise DataError(
            f"file '{p.name}' has only the variable definitions and no responses (0 cases)."
        )
    return df.astype(object), dict(meta.variable_value_labels)


def _compare_value_labels(labels: Mapping, schema: Schema) -> pd.DataFrame:
    rows = []
    for name, mapping in labels.items():
        if name not in schema.rows or not schema.codes(name):
            continue
        expected = {}
        for part in schema.rows[name]["value_labels"].split("; "):
            code, _, label = part.partition("=")
            expected[code] = label
        got = {_to_text(k): v for k, v in mapping.items()}
        if got != expected:
            rows.append(
                {
                    "column": name,
                    "name": name,
                    "status": "labels_differ",
                    "detail": f"value labels in the file {got} differ from the dictionary's "
                    f"{expected}; the export may come from another instrument version",
                }
            )
    return pd.DataFrame(rows, columns=REPORT_COLUMNS)


def _canonical(raw, schema, source, p, header_rows, errors, strict_columns):
    header = list(raw.columns)
    report: list[dict] = []
    data = schema.blank(len(raw))
    mapping: dict[str, str] = {}
    platform: list[str] = []
    multi_text: dict[str, str] = {}  # raw column -> item (space/comma separated answers)
    positions = source == "qualtrics"
    seen_unanswered: set[str] = set()  # Qualtrics split columns: -99 is "seen, not selected"
    if source in ("csv", "xlsx", "spss"):
        mapping = _map_plain(header, schema)
    elif source == "limesurvey":
        mapping = _map_limesurvey(header, schema)
        platform = [h for h in header if h in LIMESURVEY_META and h not in mapping]
    elif source == "qualtrics":
        names = set(schema.columns)
        for h in header:
            if h in QUALTRICS_META:
                target = QUALTRICS_META[h][1]
                if target and target in names:
                    mapping[h] = target
                else:
                    platform.append(h)
            elif h in names:
                mapping[h] = h
            elif h in schema.multiple:
                multi_text[h] = h
            else:
                m = re.match(r"^(.+)_(\d+)$", h)
                if m and m[1] in schema.multiple and 1 <= int(m[2]) <= len(schema.multiple[m[1]]):
                    mapping[h] = schema.multiple[m[1]][int(m[2]) - 1][1]
                    seen_unanswered.add(h)
    else:  # kobo
        groups = _kobo_groups(schema)
        names = set(schema.columns)
        notes = {f"{b.id}_intro" for b in schema.instrument.blocks} | {
            f"{b.id}_stem{run}" for b in schema.instrument.blocks for run, _ in b.runs() if run
        }
        for h in header:
            if h in KOBO_META:
                if KOBO_META[h] in names:
                    mapping[h] = KOBO_META[h]
                else:
                    platform.append(h)
                continue
            rest, sep = _kobo_strip(h, groups)
            parts = rest.split(sep)
            if rest in names:
                mapping[h] = rest
            elif rest in schema.multiple:
                multi_text[h] = rest
            elif len(parts) == 2 and parts[0] in schema.multiple:
                options = dict(schema.multiple[parts[0]])
                if parts[1] in options:
                    mapping[h] = options[parts[1]]
            elif rest in notes:
                platform.append(h)
    mapped_names = set(mapping.values()) | {
        n for item in multi_text.values() for _, n in schema.multiple[item]
    }
    unmapped = [h for h in header if h not in mapping and h not in multi_text and h not in platform]
    missing = [n for n in schema.names if n not in mapped_names]
    if not mapped_names - {RESPONSE_ID}:
        raise DataError(
            f"file '{p.name}' (read as {source}): none of its columns matches the instrument's "
            f"data dictionary (first columns: {', '.join(map(repr, header[:8]))}); is it an "
            "export of this survey? Pass the instrument that was fielded, or the right source="
            + ("" if source != "csv" else " (e.g. 'qualtrics', 'limesurvey', 'kobo')")
            + "."
        )
    if strict_columns and unmapped and missing:
        raise DataError(
            f"file '{p.name}' does not match this instrument version: {len(unmapped)} column(s) "
            f"of the file are not in the data dictionary ({', '.join(map(repr, unmapped[:10]))}"
            f"{' ...' if len(unmapped) > 10 else ''}) and {len(missing)} variable(s) of the "
            f"dictionary are not in the file ({', '.join(map(repr, missing[:10]))}"
            f"{' ...' if len(missing) > 10 else ''}). Build the instrument that was fielded "
            "(same constructs and item bank version), or pass strict_columns=False to import "
            "the matching columns and report the rest."
        )
    required = [n for n in missing if bool(schema.rows[n]["required"]) and n in schema.rows]
    if required:
        raise DataError(
            f"file '{p.name}' lacks the required variable(s) {', '.join(map(repr, required))} "
            "of the data dictionary; export every question (check the platform's export "
            "options) or rename the column to the dictionary name."
        )
    first_row = header_rows + 1  # file line (or sheet row) of the first response

    def fail(col, name, bad):
        rows_txt = "; ".join(
            f"{locate(row=first_row + pos, value=v, has_value=True)}" for pos, v in bad[:5]
        )
        more = f" (and {len(bad) - 5} more)" if len(bad) > 5 else ""
        what = {
            "Int64": "a whole number"
            + (f" code ({'|'.join(schema.codes(name))})" if schema.codes(name) else ""),
            "Float64": "a number",
            "datetime64[ns]": "a date-time (e.g. 2024-03-01 10:22:31)",
            "string": "text",
        }[schema.dtype(name)]
        raise DataError(
            f"{locate(file=p.name, column=col)} (variable {name!r}) expects {what}: {rows_txt}"
            f"{more}. Correct the values in a copy of the export, or read with errors='keep' "
            "and list every problem with nrel_research.data.validate()."
        )

    for col, name in mapping.items():
        values = raw[col]
        if (
            source in ("limesurvey", "kobo")
            and schema.rows.get(name) is not None
            and (schema.item_of(name) in schema.multiple and name != schema.item_of(name))
            and source == "limesurvey"
        ):
            values = values.map(lambda v: _ls_option(v))
        elif col in seen_unanswered:
            values = values.map(lambda v: "0" if _to_text(v) == QUALTRICS_SEEN_UNANSWERED else v)
        series, bad, translated = _convert(values, name, schema, positions=positions)
        if bad:
            if errors == "raise":
                fail(col, name, bad)
            data[name] = values.map(lambda v: pd.NA if is_missing(v) else v).astype(object)
            report.append(
                {
                    "column": col,
                    "name": name,
                    "status": "type_error",
                    "detail": f"{len(bad)} value(s) are not of type {schema.dtype(name)}; kept "
                    "as text for validate()",
                }
            )
            continue
        data[name] = series.to_numpy()
        data[name] = data[name].astype(series.dtype)
        status = "translated" if translated else "mapped"
        detail = "choice labels/positions converted to the dictionary codes" if translated else ""
        report.append({"column": col, "name": name, "status": status, "detail": detail})
    for col, item in multi_text.items():
        options = schema.multiple[item]
        codes = [c for c, _ in options]
        split_on = "," if source == "qualtrics" else None
        for n_row, raw_v in enumerate(raw[col].tolist()):
            text = _to_text(raw_v)
            if text is None:
                continue
            if source == "qualtrics" and text == QUALTRICS_SEEN_UNANSWERED:
                text = ""  # seen, nothing selected
            chosen = [t.strip() for t in (text.split(split_on) if split_on else text.split())]
            chosen = [t for t in chosen if t]
            if positions:
                chosen = [
                    codes[int(t) - 1] if t.isdigit() and 1 <= int(t) <= len(codes) else t
                    for t in chosen
                ]
            unknown = [t for t in chosen if t not in codes]
            if unknown:
                where = locate(
                    file=p.name, row=first_row + n_row, column=col, value=text, has_value=True
                )
                raise DataError(
                    f"{where}: option(s) {unknown} are not codes of {item!r} "
                    f"({'|'.join(codes)}); the export may come from another instrument version."
                )
            for code, name in options:
                one_hot = data.at[n_row, name]
                value = int(code in chosen)
                if not pd.isna(one_hot) and int(one_hot) != value:
                    where = locate(
                        file=p.name, row=first_row + n_row, column=col, value=text, has_value=True
                    )
                    raise DataError(
                        f"{where}: disagrees with the one-hot column for option {code!r} "
                        f"({one_hot}); the export is inconsistent."
                    )
                data.at[n_row, name] = value
        report.append(
            {
                "column": col,
                "name": " ".join(n for _, n in options),
                "status": "mapped",
                "detail": "multi-select answers split into one 0/1 variable per option",
            }
        )
    if source in ("qualtrics", "limesurvey"):
        report.extend(_unticked_options(raw, data, schema, mapping, multi_text, source))
    for h in platform:
        detail = "not kept"
        if source == "qualtrics" and h in ("Status", "Finished"):
            values = raw[h].map(_to_text)
            if h == "Status":
                # 1 preview, 2 test, 8 spam, 9 preview spam, 17 offline preview
                odd = values.isin(["1", "2", "8", "9", "17", "Survey Preview", "Survey Test",
                                   "Spam", "Preview Spam"])  # fmt: skip
                what = "preview, test or spam responses"
            else:
                odd = values.isin(["0", "False", "FALSE"])
                what = "unfinished responses"
            if odd.any():
                rows_txt = ", ".join(str(first_row + int(k)) for k in np.flatnonzero(odd)[:10])
                detail = (
                    f"not kept; {int(odd.sum())} {what} (file rows {rows_txt}"
                    f"{' ...' if odd.sum() > 10 else ''}): drop them before analysis"
                )
        report.append({"column": h, "name": "", "status": "platform", "detail": detail})
    for h in unmapped:
        report.append(
            {
                "column": h,
                "name": "",
                "status": "unmapped",
                "detail": "not in the data dictionary; not imported",
            }
        )
    for n in missing:
        report.append(
            {
                "column": "",
                "name": n,
                "status": "missing",
                "detail": "not in the file; imported as all-missing",
            }
        )
    return data, pd.DataFrame(report, columns=REPORT_COLUMNS)


def _ls_option(v):
    text = _to_text(v)
    if text is None:
        return None
    key = text.casefold()
    if key in ("y", "yes", "1"):
        return "1"
    if key in ("n", "no", "0"):
        return "0"
    return text


SEEN_NOT_SELECTED_HELP = {
    "qualtrics": (
        "Qualtrics leaves a multi-value field blank both when the question was not shown and "
        "when it was shown and nothing was selected, so such responses are read as missing. "
        "To keep 'shown, none selected', download the data again (Data & Analysis > Export "
        "& Import > Export data > More options) with 'Split multi-value fields into columns' "
        "and 'Recode seen but unanswered multi-value fields as 0' ticked (export API: "
        "breakoutSets=true, multiselectSeenUnansweredRecode=0)"
    ),
    "limesurvey": (
        "LimeSurvey stores an option left unticked on a shown question as an empty string "
        "and a question that was not shown as NULL, and a default export writes both as an "
        "empty cell, so such responses are read as missing. To keep 'shown, none ticked', "
        "export the responses again with the option 'Convert N to:' set to N (Export "
        "results > Responses), which writes the unticked options of a shown question as N "
        "and leaves the options of a question not shown empty"
    ),
}


def _unticked_options(raw, data, schema, mapping, multi_text, source) -> list[dict]:
    """Resolve "not selected" (0) versus missing for multi-select options.

    Qualtrics (split columns) and LimeSurvey mark a ticked option with ``1`` / ``Y``. With
    the export options documented in :data:`SEEN_NOT_SELECTED_HELP` an option of a shown
    question that was left unticked is written explicitly (``0`` or ``-99`` in Qualtrics,
    ``N`` in LimeSurvey) and an empty cell means "not shown": the file is then read exactly
    as written. Without them (no explicit "not selected" anywhere in the file), an empty
    option next to a ticked one is "not selected" (0), and a question with no option
    ticked is missing and reported as ``ambiguous``: the export cannot tell "shown,
    nothing ticked" from "not shown".
    """
    groups: dict[str, list[str]] = {}
    for _col, name in mapping.items():
        item = schema.item_of(name) if name in schema.rows else None
        if item in schema.multiple and name != item:
            groups.setdefault(item, []).append(name)
    numeric = {
        item: [n for n in names if str(data[n].dtype) == "Int64"] for item, names in groups.items()
    }
    explicit = any((data[n] == 0).any() for names in numeric.values() for n in names)
    report = []
    for item, names in numeric.items():
        if not names or explicit:
            continue
        block = data[names]
        any_selected = (block.fillna(0) == 1).any(axis=1)
        for n in names:
            data.loc[any_selected & data[n].isna(), n] = 0
        n_amb = int(block.isna().all(axis=1).sum())
        if n_amb:
            report.append(_ambiguous_entry(item, names, n_amb, source))
    for col, item in multi_text.items():
        texts = raw[col].map(_to_text)
        if source != "qualtrics" or (texts == QUALTRICS_SEEN_UNANSWERED).any():
            continue
        n_amb = int(texts.isna().sum())
        if n_amb:
            report.append(
                _ambiguous_entry(item, [n for _, n in schema.multiple[item]], n_amb, source, col)
            )
    return report


def _ambiguous_entry(item, names, n_amb, source, column=None) -> dict:
    return {
        "column": column or item,
        "name": " ".join(names),
        "status": "ambiguous",
        "detail": f"{n_amb} response(s) have no option of {item!r} selected: "
        + SEEN_NOT_SELECTED_HELP[source],
    }


# -- writers ---------------------------------------------------------------------------------
def _fmt_dt(v, fmt: str = "%Y-%m-%d %H:%M:%S") -> str:
    return "" if pd.isna(v) else pd.Timestamp(v).strftime(fmt)


def _cell(v) -> str:
    if v is None or v is pd.NA or (not isinstance(v, str) and pd.isna(v)):
        return ""
    if isinstance(v, float | np.floating) and float(v).is_integer():
        return str(int(v))
    if isinstance(v, pd.Timestamp):
        return _fmt_dt(v)
    return str(v)


def _write_csv_rows(path: Path, rows: list[list[str]], delimiter: str = ",", bom: bool = False):
    buf = io.StringIO()
    csv.writer(buf, delimiter=delimiter, lineterminator="\r\n" if bom else "\n").writerows(rows)
    path.write_text(("\ufeff" if bom else "") + buf.getvalue(), encoding="utf-8")


def _canonical_input(df: pd.DataFrame, schema: Schema) -> pd.DataFrame:
    check_columns(df, schema.names, data_name="the response data")
    out = df.copy()
    if RESPONSE_ID not in out.columns:
        out.insert(0, RESPONSE_ID, [f"R{i + 1}" for i in range(len(out))])
    return out[schema.columns].reset_index(drop=True)


def write_responses(
    df: pd.DataFrame,
    path: str | PathLike[str],
    source: str,
    instrument: Instrument | None = None,
    *,
    language: str | None = None,
) -> Path:
    """Write item-level response data as a platform would export it.

    The files have the layout each platform exports for this instrument (see the module
    docstring), so that :func:`read_responses` can be tested on every format and users
    can see what their export should look like. Platform metadata that a real export
    carries is filled with neutral values (IP addresses and names left empty).

    Parameters
    ----------
    df : pandas.DataFrame
        Canonical response data (:func:`read_responses` output): every data-dictionary
        variable, optionally ``response_id``.
    path : str or path-like
        The file to write (an existing file is replaced; never pass a raw input file).
    source : {"csv", "xlsx", "spss", "qualtrics", "limesurvey", "kobo"}
        The export format.
    instrument : Instrument, optional
        The instrument; by default the full bundled instrument.
    language : str, optional
        Language of the question texts in headers (Qualtrics second row, SPSS variable
        labels); by default the instrument's first language.

    Returns
    -------
    pathlib.Path

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from nrel_research import data, instruments
    >>> inst = instruments.build(["R1"], randomize_within_blocks=False)
    >>> df = data.blank_responses(2, inst)
    >>> df["consent"] = [1, 1]
    >>> df["r1_1"] = [5, 7]
    >>> p = data.write_responses(df, pathlib.Path(tempfile.mkdtemp()) / "q.csv", "qualtrics", inst)
    >>> back, _ = data.read_responses(p, inst)
    >>> back["r1_1"].tolist(), data.detect_source(p, inst)
    ([5, 7], 'qualtrics')
    """
    schema = schema_of(instrument)
    source = check_choice(source, "source", SOURCES, error=DataError, normalize=True)
    df = _canonical_input(df, schema)
    language = language or schema.instrument.language_codes[0]
    path = Path(path)
    writer = {
        "csv": _write_plain_csv,
        "xlsx": _write_xlsx,
        "spss": _write_spss,
        "qualtrics": _write_qualtrics,
        "limesurvey": _write_limesurvey,
        "kobo": _write_kobo,
    }[source]
    writer(df, path, schema, language)
    return path


def _write_plain_csv(df, path, schema, language):
    rows = [schema.columns]
    for rec in df.itertuples(index=False):
        rows.append([_cell(v) for v in rec])
    _write_csv_rows(path, rows)


def _write_xlsx(df, path, schema, language):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "responses"
    ws.append(schema.columns)
    for rec in df.itertuples(index=False):
        ws.append(
            [
                None
                if (v is pd.NA or v is None or (not isinstance(v, str) and pd.isna(v)))
                else (
                    pd.Timestamp(v).to_pydatetime()
                    if isinstance(v, pd.Timestamp)
                    else (v.item() if hasattr(v, "item") else v)
                )
                for v in rec
            ]
        )
    wb.save(path)


def _write_spss(df, path, schema, language):
    import pyreadstat

    cols: dict[str, pd.Series] = {}
    labels, value_labels = {}, {}
    for c in schema.columns:
        dt = schema.dtype(c)
        if dt in ("Int64", "Float64"):
            cols[c] = df[c].astype("Float64").astype(float)
        elif dt == "string":
            cols[c] = df[c].astype(object).where(df[c].notna(), "")
        else:
            cols[c] = pd.to_datetime(df[c])
        if c != RESPONSE_ID:
            it = schema.instrument.bank.item(schema.item_of(c))
            labels[c] = (
                schema.rows[c]["label"]
                if language == schema.instrument.language_codes[0]
                else it.label(language)
            )
            vl = schema.rows[c]["value_labels"]
            if vl and dt in ("Int64", "string"):
                cast = float if dt == "Int64" else str
                value_labels[c] = {
                    cast(code): label
                    for code, _, label in (p.partition("=") for p in vl.split("; "))
                }
    out = pd.DataFrame(cols, index=df.index)
    pyreadstat.write_sav(
        out,
        str(path),
        column_labels=[labels.get(c, "Response ID") for c in out.columns],
        variable_value_labels=value_labels,
    )


def _qualtrics_value(v, name, schema) -> str:
    if v is pd.NA or v is None or (not isinstance(v, str) and pd.isna(v)):
        return ""
    codes = schema.codes(name)
    if codes and schema.numeric_codes(name) is None:
        return str(codes.index(str(v)) + 1)  # Qualtrics recodes are numeric: positions
    return _cell(v)


def _write_qualtrics(df, path, schema, language):
    bank = schema.instrument.bank
    meta = list(QUALTRICS_META)
    header, texts, imports = [], [], []
    for m in meta:
        header.append(m)
        texts.append(m if m != "Duration (in seconds)" else "Duration (in seconds)")
        imp = {"ImportId": QUALTRICS_META[m][0]}
        if m in ("StartDate", "EndDate", "RecordedDate"):
            imp["timeZone"] = "UTC"
        imports.append(imp)
    qid = 0
    embedded = []
    for q in schema.instrument.questions:
        it = q.item
        if it.type in ("start", "end"):
            continue
        if it.audience == "research_team":
            embedded.append(it.id)
            continue
        qid += 1
        if it.id in schema.multiple:
            # "Split multi-value fields into columns": one column per choice, <tag>_<n>
            labels = {ch.code: ch.label(language) for ch in bank.scale(it.scale).choices}
            for k, (code, _name) in enumerate(schema.multiple[it.id], start=1):
                header.append(f"{it.id}_{k}")
                texts.append(f"{it.label(language)} - {labels.get(code, code)}")
                imports.append({"ImportId": f"QID{qid}", "choiceId": str(k)})
            continue
        header.append(it.id)
        texts.append(it.label(language))
        imports.append({"ImportId": f"QID{qid}"})
    for e in embedded:
        header.append(e)
        texts.append(e)
        imports.append({"ImportId": e})
    rows = [header, texts, [json.dumps(i, separators=(",", ":")) for i in imports]]
    split = {
        f"{item}_{k}": name
        for item, options in schema.multiple.items()
        for k, (_code, name) in enumerate(options, start=1)
    }
    for rec in df.to_dict("records"):
        start, end = rec.get("start_time", pd.NaT), rec.get("end_time", pd.NaT)
        duration = "" if pd.isna(start) or pd.isna(end) else str(int((end - start).total_seconds()))
        row = []
        for h in header:
            if h in QUALTRICS_META:
                row.append(
                    {
                        "StartDate": _fmt_dt(start),
                        "EndDate": _fmt_dt(end),
                        "Status": "0",
                        "Progress": "100" if not pd.isna(end) else "",
                        "Duration (in seconds)": duration,
                        "Finished": "1" if not pd.isna(end) else "0",
                        "RecordedDate": _fmt_dt(end),
                        "ResponseId": _cell(rec[RESPONSE_ID]),
                        "DistributionChannel": "anonymous",
                        "UserLanguage": language.upper(),
                    }.get(h, "")
                )
            elif h in split:
                # 1 selected, 0 seen but not selected ("Recode seen but unanswered
                # multi-value fields as 0"), blank not seen / missing
                row.append(_cell(rec[split[h]]))
            else:
                row.append(_qualtrics_value(rec[h], h, schema))
        rows.append(row)
    _write_csv_rows(path, rows, bom=True)


def _write_limesurvey(df, path, schema, language):
    header = ["id", "submitdate", "lastpage", "startlanguage", "seed", "startdate", "datestamp"]
    cols = []
    for r in schema.dictionary.itertuples(index=False):
        if r.name in ("start_time", "end_time"):
            continue
        ls = r.limesurvey_name
        if r.item in schema.multiple and r.name != r.item:
            base, _, opt = ls.rpartition("_")
            ls = f"{base}[{opt}]"
        cols.append((ls, r.name))
    header += [c for c, _ in cols]
    rows = [header]
    for n, rec in enumerate(df.to_dict("records")):
        row = [
            _cell(rec[RESPONSE_ID]),
            _fmt_dt(rec.get("end_time", pd.NaT)),
            str(len(schema.instrument.blocks)),
            language,
            str(1000 + n),
            _fmt_dt(rec.get("start_time", pd.NaT)),
            _fmt_dt(rec.get("end_time", pd.NaT)),
        ]
        for _ls, name in cols:
            v = rec[name]
            if schema.item_of(name) in schema.multiple and name != schema.item_of(name):
                # Y ticked, N shown but not ticked (export option "Convert N to: N"),
                # empty not shown (NULL)
                row.append("" if pd.isna(v) else ("Y" if v == 1 else "N"))
            else:
                row.append(_cell(v))
        rows.append(row)
    _write_csv_rows(path, rows)


def _write_kobo(df, path, schema, language):
    header, getters = [], []
    for b in schema.instrument.blocks:
        g = f"{b.id}_block"
        for q in b.questions:
            it = q.item
            if it.type == "select_multiple":
                opts = schema.multiple[it.id]
                header.append(f"{g}/{it.id}")
                getters.append(("multi", opts))
                for code, name in opts:
                    header.append(f"{g}/{it.id}/{code}")
                    getters.append(("value", name))
            else:
                header.append(f"{g}/{it.id}")
                getters.append(("dt" if it.type in ("start", "end") else "value", it.id))
    meta = ["_id", "_uuid", "_submission_time", "_validation_status", "_notes", "_status",
            "_submitted_by", "__version__", "_tags", "_index"]  # fmt: skip
    header += meta
    rows = [header]
    for n, rec in enumerate(df.to_dict("records")):
        row = []
        for kind, what in getters:
            if kind == "multi":
                vals = [(c, rec[name]) for c, name in what]
                if all(pd.isna(v) for _, v in vals):
                    row.append("")
                else:
                    row.append(" ".join(c for c, v in vals if not pd.isna(v) and v == 1))
            elif kind == "dt":
                row.append(_fmt_dt(rec[what], "%Y-%m-%dT%H:%M:%S.000+00:00"))
            else:
                row.append(_cell(rec[what]))
        row += [
            str(100000 + n),
            _cell(rec[RESPONSE_ID]),
            _fmt_dt(rec.get("end_time", pd.NaT), "%Y-%m-%dT%H:%M:%S"),
            "",
            "",
            "submitted_via_web",
            "",
            __version__,
            "",
            str(n + 1),
        ]
        rows.append(row)
    _write_csv_rows(path, rows, delimiter=";")


def blank_responses(n: int = 0, instrument: Instrument | None = None) -> pd.DataFrame:
    """Return an all-missing canonical response DataFrame with ``n`` rows.

    Useful for building test data by hand: the columns and dtypes are those
    :func:`read_responses` returns.

    Examples
    --------
    >>> from nrel_research import data, instruments
    >>> df = data.blank_responses(3, instruments.build(["R1"], randomize_within_blocks=False))
    >>> df.shape, str(df["r1_1"].dtype)
    ((3, 5), 'Int64')
    """
    return schema_of(instrument).blank(n)
