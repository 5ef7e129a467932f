"""Documents generated from the codebook data: the coder manual and the coding sheet.

Both are built only from :func:`~nrel_research.coding.load_codebook` (and so from the
framework), carry no time stamps, and regenerate byte for byte: edit the data file, never
the outputs.
"""

from __future__ import annotations

import html
import io
import re
import zipfile
from os import PathLike
from pathlib import Path

import pandas as pd

from .._validation import check_columns
from ..exceptions import DataError
from .codebook import Codebook, load_codebook

__all__ = ["coder_manual", "coding_sheet", "write_manual"]

# A block is (kind, payload): ("h", (level, text)), ("p", text), ("ul", [items]),
# ("table", (header, rows)), ("note", text).
_Block = tuple[str, object]


def _blocks(cb: Codebook) -> list[_Block]:
    b: list[_Block] = [
        ("h", (1, cb.title)),
        (
            "p",
            f"Codebook version {cb.version}. Generated from the codebook data file and the "
            "N-REL framework data of nrel_research (Ananda, Hernández-García & Lamberti, 2016, "
            "https://doi.org/10.1016/j.jik.2016.01.003); do not edit this document, edit the "
            "data files and regenerate it with `nrel code manual`.",
        ),
        ("h", (2, "1. Unit of analysis")),
        ("p", cb.unit_of_analysis),
        ("h", (2, "2. How to code")),
        ("ul", list(cb.instructions)),
        ("h", (2, "3. Listening (L1) is coded only from visible traces")),
        ("note", cb.listening_note),
        ("h", (2, "4. The codes")),
        (
            "table",
            (
                ["code", "category", "name", "B2B only"],
                [
                    [c.code, c.category_name, c.name, "yes" if c.b2b_only else "no"]
                    for c in cb.codes_
                ],
            ),
        ),
    ]
    for c in cb.codes_:
        b += [
            ("h", (3, f"{c.code} - {c.name} ({c.category_name})")),
            ("p", f"Definition (from the framework): {c.definition}"),
            ("h", (4, "When to use")),
            ("ul", list(c.when_to_use)),
            ("h", (4, "When not to use")),
            ("ul", list(c.when_not_to_use)),
            ("h", (4, f"Examples coded {c.code}")),
            ("ul", [f"“{e.text}”" for e in c.positive_examples]),
            ("h", (4, f"Examples that are not {c.code}")),
            ("ul", [f"“{e.text}” - code {e.code}: {e.why}" for e in c.negative_examples]),
        ]
    b += [
        ("h", (2, "5. Decision rules for confusable codes")),
        (
            "table",
            (
                ["codes", "ask", "decide"],
                [[" vs ".join(r.codes), r.question, r.rule] for r in cb.decision_rules],
            ),
        ),
        ("h", (2, "6. Post-level variables")),
        (
            "table",
            (
                ["variable", "label", "type", "values", "required", "description"],
                [
                    [
                        v.name,
                        v.label,
                        v.kind,
                        ", ".join(v.values),
                        "yes" if v.required else "no",
                        v.description,
                    ]
                    for v in cb.variables
                ],
            ),
        ),
        ("h", (2, "7. Coding variables")),
        (
            "table",
            (
                ["variable", "description"],
                [
                    ["primary_code", f"Required: one of {', '.join(cb.codes)}."],
                    [
                        "secondary_code",
                        "Optional: a second action clearly present; never the primary code.",
                    ],
                    ["coder", "The coder's identifier (initials)."],
                    ["notes", "Free text: doubts to raise at adjudication."],
                ],
            ),
        ),
        ("h", (2, "8. Reliability")),
        (
            "p",
            "At least two trained coders code a probability sample of the posts independently "
            "(size: `nrel_research.coding.reliability_sample_size`, after Lacy & Riffe, 1996). "
            "Report Krippendorff's alpha for the primary code and per code (present/absent) "
            "with its bootstrap interval (Hayes & Krippendorff, 2007): rely on alpha >= .800, "
            "draw only tentative conclusions for .667 <= alpha < .800, and revise the codebook "
            "and retrain below .667. Report percent agreement only alongside alpha (Lombard, "
            "Snyder-Duch & Bracken, 2002).",
        ),
        ("h", (2, "9. Automatic coding dictionary")),
        (
            "p",
            "The dictionary coder (`nrel code auto --model dictionary`) uses "
            + ", ".join(f"{len(cb.rules_for(lang))} patterns in {lang}" for lang in cb.languages)
            + ", matched on text with accents and Persian script variants normalised. "
            "Ties between codes are broken in this order: " + ", ".join(cb.priority) + ".",
        ),
    ]
    return b


def _markdown(blocks: list[_Block]) -> str:
    out: list[str] = []
    for kind, payload in blocks:
        if kind == "h":
            level, text = payload  # type: ignore[misc]
            out.append(f"{'#' * level} {text}")
        elif kind == "p":
            out.append(str(payload))
        elif kind == "note":
            out.append(f"> **Important.** {payload}")
        elif kind == "ul":
            out.append("\n".join(f"- {item}" for item in payload))  # type: ignore[union-attr]
        elif kind == "table":
            header, rows = payload  # type: ignore[misc]

            def cell(v: object) -> str:
                return str(v).replace("|", "\\|")

            lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
            lines += ["| " + " | ".join(cell(v) for v in r) + " |" for r in rows]
            out.append("\n".join(lines))
    return "\n\n".join(out) + "\n"


def _inline(text: str) -> str:
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", html.escape(text, quote=False))


def _html(blocks: list[_Block], title: str) -> str:
    body: list[str] = []
    for kind, payload in blocks:
        if kind == "h":
            level, text = payload  # type: ignore[misc]
            body.append(f"<h{level}>{_inline(text)}</h{level}>")
        elif kind == "p":
            body.append(f"<p>{_inline(str(payload))}</p>")
        elif kind == "note":
            body.append(f'<p class="note"><strong>Important.</strong> {_inline(str(payload))}</p>')
        elif kind == "ul":
            items = "".join(f"<li>{_inline(str(i))}</li>" for i in payload)  # type: ignore[union-attr]
            body.append(f"<ul>{items}</ul>")
        elif kind == "table":
            header, rows = payload  # type: ignore[misc]
            head = "".join(f"<th>{_inline(str(h))}</th>" for h in header)
            trs = "".join(
                "<tr>" + "".join(f"<td>{_inline(str(v))}</td>" for v in r) + "</tr>" for r in rows
            )
            body.append(f"<table><thead><tr>{head}</tr></thead><tbody>{trs}</tbody></table>")
    style = (
        "body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;"
        "line-height:1.45;padding:0 1rem}table{border-collapse:collapse;margin:1rem 0}"
        "td,th{border:1px solid #bbb;padding:.3rem .5rem;vertical-align:top;text-align:left}"
        "th{background:#eee}.note{border-left:4px solid #c60;background:#fff6ee;padding:.6rem}"
        "h3{margin-top:2rem;border-top:1px solid #ddd;padding-top:1rem}"
    )
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{html.escape(title)}</title>\n<style>{style}</style>\n</head>\n<body>\n"
        + "\n".join(body)
        + "\n</body>\n</html>\n"
    )


def coder_manual(codebook: Codebook | None = None, *, format: str = "markdown") -> str:
    """Return the coder manual generated from the codebook.

    Parameters
    ----------
    codebook : Codebook, optional
        Default: :func:`load_codebook`.
    format : {"markdown", "html"}
        Output format.

    Returns
    -------
    str
        The manual: unit of analysis, instructions, the listening note, every code with
        its framework definition, when (not) to use it and examples, the decision rules,
        the post-level and coding variables, and the reliability procedure.

    Examples
    --------
    >>> from nrel_research.coding import coder_manual
    >>> md = coder_manual()
    >>> md.splitlines()[0]
    '# N-REL content-analysis codebook for brand social media posts'
    >>> "ONLY from its visible traces" in md
    True
    """
    cb = codebook or load_codebook()
    blocks = _blocks(cb)
    if format == "markdown":
        return _markdown(blocks)
    if format == "html":
        return _html(blocks, cb.title)
    raise DataError(f"format={format!r} is not valid; use 'markdown' or 'html'.")


def write_manual(out_dir: str | PathLike[str], codebook: Codebook | None = None) -> list[Path]:
    """Write ``coder_manual.md`` and ``coder_manual.html`` to ``out_dir``; return the paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for fmt, name in (("markdown", "coder_manual.md"), ("html", "coder_manual.html")):
        path = out / name
        path.write_text(coder_manual(codebook, format=fmt), encoding="utf-8", newline="\n")
        paths.append(path)
    return paths


_SHEET_POST_COLUMNS = ("platform", "format", "language", "date", "market", "sector", "paid")


def coding_sheet(
    path: str | PathLike[str],
    posts: pd.DataFrame | None = None,
    *,
    codebook: Codebook | None = None,
    id: str = "post_id",
    text: str = "text",
    coder: str = "",
    extra_columns: tuple[str, ...] = _SHEET_POST_COLUMNS,
) -> Path:
    """Write an Excel coding sheet with drop-down lists for the code columns.

    Parameters
    ----------
    path : str or path-like
        The ``.xlsx`` file to write.
    posts : pandas.DataFrame, optional
        Posts to code (e.g. from :func:`read_posts`); without them the sheet has 500 empty
        rows to fill in.
    codebook : Codebook, optional
        Default: :func:`load_codebook`.
    id, text : str
        Names of the post-id and text columns in ``posts``.
    coder : str
        Pre-filled coder identifier (optional).
    extra_columns : tuple of str
        Post-level variables copied into the sheet when ``posts`` has them.

    Returns
    -------
    pathlib.Path
        The file written. It holds the sheets ``coding`` (one row per post, with
        ``primary_code`` and ``secondary_code`` restricted to the codebook's codes by
        data validation), ``codes``, ``decision_rules`` and ``instructions``. The file has
        no time stamps, so the same input gives the same bytes.

    Examples
    --------
    >>> import tempfile, pathlib, pandas as pd
    >>> from nrel_research.coding import coding_sheet
    >>> posts = pd.DataFrame({"post_id": ["p1"], "text": ["Vote for our next flavour!"]})
    >>> with tempfile.TemporaryDirectory() as d:
    ...     coding_sheet(pathlib.Path(d) / "sheet.xlsx", posts).suffix
    '.xlsx'
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    cb = codebook or load_codebook()
    wb = Workbook()
    ws = wb.active
    ws.title = "coding"
    if posts is not None:
        check_columns(posts, [id, text], data_name="posts")
        extras = [c for c in extra_columns if c in posts.columns and c not in (id, text)]
        header = [id, *extras, text]
    else:
        extras, header = [], ["post_id", "text"]
    header += ["primary_code", "secondary_code", "coder", "notes"]
    ws.append(header)
    n_rows = 500 if posts is None else len(posts)
    if posts is not None:
        for _, row in posts.iterrows():
            values = [row[id], *(row[c] for c in extras), row[text]]
            values = [None if pd.isna(v) else str(v) for v in values]
            ws.append([*values, None, None, coder or None, None])
    else:
        for _ in range(n_rows):
            ws.append([None, None, None, None, coder or None, None])
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DDEBF7")
    for cell in ws[1]:
        cell.font = bold
        cell.fill = fill
    ws.freeze_panes = "B2"
    letters = {name: ws.cell(row=1, column=i + 1).column_letter for i, name in enumerate(header)}
    ws.column_dimensions[letters[header[0]]].width = 14
    ws.column_dimensions[letters["text" if posts is None else text]].width = 80
    for name in ("primary_code", "secondary_code"):
        ws.column_dimensions[letters[name]].width = 16
    ws.column_dimensions[letters["notes"]].width = 40
    wrap = Alignment(wrap_text=True, vertical="top")
    text_letter = letters["text" if posts is None else text]
    for cell in ws[text_letter][1:]:
        cell.alignment = wrap

    # The drop-down lists refer to the codes sheet, so they show every code.
    codes_ws = wb.create_sheet("codes")
    codes_ws.append(["code", "category", "name", "definition", "when_to_use", "when_not_to_use"])
    for c in cb.codes_:
        codes_ws.append(
            [
                c.code,
                c.category_name,
                c.name,
                c.definition,
                "\n".join(c.when_to_use),
                "\n".join(c.when_not_to_use),
            ]
        )
    last = len(cb.codes_) + 1
    for cell in codes_ws[1]:
        cell.font = bold
    for col, width in zip("ABCDEF", (8, 16, 30, 60, 60, 60), strict=True):
        codes_ws.column_dimensions[col].width = width
    source = f"=codes!$A$2:$A${last}"
    for name, required in (("primary_code", True), ("secondary_code", False)):
        dv = DataValidation(
            type="list",
            formula1=source,
            allow_blank=not required,
            showErrorMessage=True,
            errorTitle="Unknown code",
            error=f"Choose one of {', '.join(cb.codes)} (see the codes sheet).",
            promptTitle=name,
            prompt=("Required: the main N-REL action." if required else "Optional second action."),
            showInputMessage=True,
        )
        ws.add_data_validation(dv)
        dv.add(f"{letters[name]}2:{letters[name]}{n_rows + 1}")

    rules_ws = wb.create_sheet("decision_rules")
    rules_ws.append(["codes", "ask", "decide"])
    for r in cb.decision_rules:
        rules_ws.append([" vs ".join(r.codes), r.question, r.rule])
    for col, width in zip("ABC", (12, 60, 100), strict=True):
        rules_ws.column_dimensions[col].width = width
    info = wb.create_sheet("instructions")
    info.append([cb.title, f"version {cb.version}"])
    info.append(["unit of analysis", cb.unit_of_analysis])
    for i, line in enumerate(cb.instructions, start=1):
        info.append([f"rule {i}", line])
    info.append(["listening (L1)", cb.listening_note])
    info.column_dimensions["A"].width = 18
    info.column_dimensions["B"].width = 120
    return _save_reproducibly(wb, Path(path))


def _save_reproducibly(wb, path: Path) -> Path:
    """Save without time stamps (fixed document dates and zip entry dates)."""
    import datetime

    fixed = datetime.datetime(2016, 1, 1)
    wb.properties.creator = "nrel_research"
    wb.properties.created = fixed
    wb.properties.modified = fixed
    wb.properties.lastModifiedBy = "nrel_research"
    buffer = io.BytesIO()
    wb.save(buffer)
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as src,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst,
    ):
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "docProps/core.xml":
                data = re.sub(
                    rb"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:\2>)",
                    rb"\g<1>2016-01-01T00:00:00Z\3",
                    data,
                )
            info = zipfile.ZipInfo(item.filename, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            dst.writestr(info, data)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(out.getvalue())
    return path
