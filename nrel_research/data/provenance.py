"""Write processed data with a provenance manifest; raw inputs stay read-only."""

from __future__ import annotations

import json
import platform
from collections.abc import Mapping, Sequence
from os import PathLike
from pathlib import Path

import pandas as pd

from .._version import __version__
from ..exceptions import DataError
from ..instruments import Instrument
from ._schema import schema_of
from .clean import EMAIL, IPV4, CleaningResult
from .io import file_sha256

__all__ = ["write_processed"]

MANIFEST = "manifest.json"


def _check_no_personal_data(name: str, frame: pd.DataFrame, schema) -> None:
    banned = [c for c in frame.columns if c in schema.identifiers and c != "firm_id"]
    banned += [c for c in frame.columns if c in schema.free_text and c not in schema.identifiers]
    if banned:
        raise DataError(
            f"table {name!r} still holds personal or identifying columns {banned}; "
            "de-identify it first (nrel_research.data.deidentify or clean()) - the linkage "
            "table is written separately."
        )
    for c in frame.columns:
        if frame[c].dtype == object or pd.api.types.is_string_dtype(frame[c]):
            if c in ("firm_id", "response_id"):
                continue
            text = frame[c].dropna().astype(str)
            hit = text[text.str.contains(EMAIL) | text.str.contains(IPV4)]
            if len(hit):
                raise DataError(
                    f"table {name!r}, column {c!r}, row {hit.index[0]}: value {hit.iloc[0]!r} "
                    "looks like an e-mail or IP address; remove personal data before writing "
                    "to the processed folder."
                )


def write_processed(
    tables: CleaningResult | Mapping[str, pd.DataFrame],
    out_dir: str | PathLike[str] = "data/processed",
    *,
    sources: Sequence[str | PathLike[str]] = (),
    instrument: Instrument | None = None,
    steps: Sequence[str] | None = None,
    rows_in: int | None = None,
    linkage_dir: str | PathLike[str] | None = None,
    extra: Mapping[str, pd.DataFrame] | None = None,
) -> Path:
    """Write processed tables as CSV with a ``manifest.json`` recording their provenance.

    Parameters
    ----------
    tables : CleaningResult or mapping of name to DataFrame
        A :class:`~nrel_research.data.CleaningResult` writes ``responses.csv`` (the
        cleaned data), ``flags.csv``, ``exclusions.csv``, ``cleaning_report.csv``,
        ``missing_items.csv`` and ``cleaning_report.html``; or any named tables.
    out_dir : path-like, default "data/processed"
        The folder (created if missing). Tables are refused if they still hold handles,
        free-text answers, e-mail or IP addresses.
    sources : sequence of path-like
        The raw input files: their SHA-256 hashes are recorded (the files are only read).
    instrument : Instrument, optional
        Used to recognise identifier and free-text columns.
    steps : sequence of str, optional
        Processing steps applied (default: those of the cleaning result).
    rows_in : int, optional
        Rows read from the raw files (default: the cleaning result's ``rows_in``).
    linkage_dir : path-like, optional
        Where the linkage table (firm id <-> handles) of a cleaning result goes; by
        default ``interim/linkage`` next to ``out_dir`` (``data/interim/linkage/`` for the
        default ``out_dir``, which git ignores). It is never written into ``out_dir``.
    extra : mapping of name to DataFrame, optional
        More tables to write next to the cleaning result (e.g. ``{"scores": ...}``).

    Returns
    -------
    pathlib.Path
        The manifest path. The manifest holds ``package_version``, ``python``,
        ``sources`` (file, sha256), ``steps``, ``rows_in``, ``rows_out`` and ``outputs``
        (file, sha256, rows, columns).

    Examples
    --------
    >>> import tempfile, pathlib, json
    >>> from nrel_research import data
    >>> res = data.clean(data.demo_responses(40, seed=3), mahalanobis=None, mcar_test=False)
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> m = json.loads(data.write_processed(res, folder / "processed").read_text())
    >>> m["rows_in"], m["rows_out"] == len(res.data)
    (40, True)
    >>> (folder / "interim" / "linkage" / "linkage.csv").exists()
    True
    """
    schema = schema_of(instrument)
    out = Path(out_dir)
    linkage = None
    if isinstance(tables, CleaningResult):
        res = tables
        named = {
            "responses": res.data,
            "flags": res.flags,
            "exclusions": res.exclusions,
            "cleaning_report": res.report,
            "missing_items": res.missing["items"],
            "missing_constructs": res.missing["constructs"],
        }
        if not res.early_late.empty:
            named["early_late"] = res.early_late
        if res.mcar is not None:
            named["little_mcar"] = res.mcar.to_frame()
        steps = list(res.steps) if steps is None else list(steps)
        rows_in = res.rows_in if rows_in is None else rows_in
        rows_out = res.rows_out
        linkage = res.linkage
        src = res.data.attrs.get("source")
    elif isinstance(tables, Mapping):
        named = dict(tables)
        steps = list(steps or [])
        rows_out = len(named["responses"]) if "responses" in named else None
        src = None
    else:
        raise DataError(
            f"tables must be a CleaningResult or a mapping of name to DataFrame, got "
            f"{type(tables).__name__}."
        )
    named.update(extra or {})
    for name, frame in named.items():
        if not isinstance(frame, pd.DataFrame):
            raise DataError(f"table {name!r} is a {type(frame).__name__}, not a DataFrame.")
        if name in ("responses", "scores"):
            _check_no_personal_data(name, frame, schema)
    source_entries = []
    for s in sources:
        p = Path(s)
        if not p.is_file():
            raise DataError(f"source file '{p}' does not exist; give the raw export's path.")
        if p.resolve().parent == out.resolve():
            raise DataError(f"source file '{p}' is inside the output folder; keep raw data apart.")
        source_entries.append({"file": p.name, "sha256": file_sha256(p)})
    if not source_entries and src:
        source_entries.append({"file": src["file"], "sha256": src["sha256"]})
    out.mkdir(parents=True, exist_ok=True)
    outputs = []
    for name, frame in named.items():
        path = out / f"{name}.csv"
        frame.to_csv(path, index=False, lineterminator="\n")
        outputs.append(
            {
                "file": path.name,
                "sha256": file_sha256(path),
                "rows": len(frame),
                "columns": len(frame.columns),
            }
        )
    if isinstance(tables, CleaningResult):
        html_path = out / "cleaning_report.html"
        tables.to_html(html_path)
        outputs.append({"file": html_path.name, "sha256": file_sha256(html_path)})
    if linkage is not None and not linkage.empty:
        ldir = Path(linkage_dir) if linkage_dir is not None else out.parent / "interim" / "linkage"
        if ldir.resolve() == out.resolve():
            raise DataError("linkage_dir must differ from out_dir: keep the linkage table apart.")
        ldir.mkdir(parents=True, exist_ok=True)
        lpath = ldir / "linkage.csv"
        linkage.to_csv(lpath, index=False, lineterminator="\n")
    manifest = {
        "package": "nrel_research",
        "package_version": __version__,
        "python": platform.python_version(),
        "pandas": pd.__version__,
        "sources": source_entries,
        "steps": steps,
        "rows_in": rows_in,
        "rows_out": rows_out,
        "outputs": outputs,
        "linkage": "written separately (not in this folder)" if linkage is not None else None,
    }
    mpath = out / MANIFEST
    mpath.write_text(json.dumps(manifest, indent=2, default=str) + "\n", encoding="utf-8")
    return mpath
