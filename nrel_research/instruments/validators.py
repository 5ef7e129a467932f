"""Structural validators for the survey files the exporters write.

Each validator reads a file, checks the rules its platform's importer relies on
(required columns, unique names, valid names, valid skip-logic references, choice lists)
and raises :class:`~nrel_research.exceptions.SurveyFormatError` listing every problem
with the file and row. They work on any file of the format, not only ours. The
authoritative validators of LimeSurvey, Qualtrics and REDCap run on their servers; for
XLSForm, :func:`validate_xlsform` also converts the form with pyxform (offline, no Java).
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from ..exceptions import SurveyFormatError
from .exporters import LIMESURVEY_COLUMNS, REDCAP_COLUMNS

__all__ = [
    "validate_limesurvey",
    "validate_qualtrics",
    "validate_redcap",
    "validate_xlsform",
]

_XLS_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")
_REDCAP_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_REDCAP_TYPES = (
    "text",
    "notes",
    "dropdown",
    "radio",
    "checkbox",
    "yesno",
    "truefalse",
    "calc",
    "file",
    "slider",
    "descriptive",
    "sql",
)


def _raise(path: Path, problems: list[str], what: str) -> None:
    if problems:
        shown = "; ".join(problems[:20])
        more = f" (and {len(problems) - 20} more)" if len(problems) > 20 else ""
        raise SurveyFormatError(
            f"{what} file '{path}' is not valid: {shown}{more}. Regenerate it with "
            "nrel_research.instruments or fix the rows named."
        )


# -- XLSForm ---------------------------------------------------------------------------------
def validate_xlsform(path, *, convert: bool = True) -> list[str]:
    """Check an XLSForm workbook's structure and convert it with pyxform.

    Checks: sheets ``survey`` and ``choices`` exist; required columns (``type``,
    ``name``, a ``label`` column); names are valid and unique; every ``select_one`` /
    ``select_multiple`` list exists in ``choices``; every ``${name}`` in ``relevant``
    and ``constraint`` names a question defined earlier; choice names are unique within
    their list; every ``label::Language (code)`` column has a matching column in
    ``choices``. Then (``convert=True``) pyxform converts the form without ODK Validate.

    Returns
    -------
    list of str
        pyxform's warnings (empty if none).

    Raises
    ------
    SurveyFormatError
        Listing every structural problem, or pyxform's error.
    """
    from openpyxl import load_workbook

    path = Path(path)
    wb = load_workbook(path, read_only=True)
    problems: list[str] = []
    sheets = {ws.title: [list(r) for r in ws.iter_rows(values_only=True)] for ws in wb}
    wb.close()
    for needed in ("survey", "choices"):
        if needed not in sheets:
            problems.append(f"sheet '{needed}' is missing (sheet names are case-sensitive)")
    _raise(path, problems, "XLSForm")
    survey, choices = sheets["survey"], sheets["choices"]
    head = [str(h) if h is not None else "" for h in survey[0]]
    chead = [str(h) if h is not None else "" for h in choices[0]]
    for col in ("type", "name"):
        if col not in head:
            problems.append(f"sheet 'survey' lacks column '{col}'")
    labels = [h for h in head if h == "label" or h.startswith("label::")]
    if not labels:
        problems.append("sheet 'survey' has no label column")
    for col in ("list_name", "name"):
        if col not in chead:
            problems.append(f"sheet 'choices' lacks column '{col}'")
    for lab in labels:
        if lab not in chead:
            problems.append(f"sheet 'choices' lacks column '{lab}'")
    _raise(path, problems, "XLSForm")
    col = {h: i for i, h in enumerate(head)}
    lists: dict[str, set[str]] = {}
    for n, r in enumerate(choices[1:], start=2):
        ln, name = r[chead.index("list_name")], r[chead.index("name")]
        if ln is None and name is None:
            continue
        names = lists.setdefault(str(ln), set())
        if str(name) in names:
            problems.append(f"choices row {n}: duplicate choice {name!r} in list {ln!r}")
        names.add(str(name))
    seen: set[str] = set()
    for n, r in enumerate(survey[1:], start=2):
        type_ = str(r[col["type"]] or "").strip()
        name = str(r[col["name"]] or "").strip()
        if not type_:
            continue
        if type_ == "end group":
            continue
        if not _XLS_NAME.match(name):
            problems.append(f"survey row {n}: name {name!r} is not a valid XLSForm name")
        if name in seen:
            problems.append(f"survey row {n}: duplicate name {name!r}")
        parts = type_.split()
        if parts[0] in ("select_one", "select_multiple") and (
            len(parts) != 2 or parts[1] not in lists
        ):
            problems.append(f"survey row {n} ({name}): choice list of {type_!r} not found")
        for logic in ("relevant", "constraint"):
            if logic in col and r[col[logic]]:
                for ref in re.findall(r"\$\{([^}]+)\}", str(r[col[logic]])):
                    if ref not in seen:
                        problems.append(
                            f"survey row {n} ({name}): {logic} refers to {ref!r}, which is not "
                            "a question defined earlier"
                        )
        seen.add(name)
    _raise(path, problems, "XLSForm")
    if not convert:
        return []
    from pyxform.xls2xform import convert as pyxform_convert

    try:
        result = pyxform_convert(str(path), validate=False, warnings=[])
    except Exception as exc:  # pyxform raises its own PyXFormError and others
        raise SurveyFormatError(
            f"XLSForm file '{path}' does not convert with pyxform: {exc}"
        ) from exc
    return list(result._warnings) if hasattr(result, "_warnings") else list(result.warnings)


# -- REDCap ----------------------------------------------------------------------------------
def validate_redcap(path) -> None:
    """Check a REDCap data dictionary CSV.

    Checks: exactly the 18 standard columns in order; field names valid (lower-case
    letters, digits, ``_``, starting with a letter) and unique; known field types;
    choices given as ``code, label | ...`` for radio/dropdown/checkbox with unique
    codes; branching logic refers only to fields (and checkbox codes) defined earlier;
    matrix groups are consecutive and share one choice list.

    Raises
    ------
    SurveyFormatError
        Listing every problem with its row.
    """
    path = Path(path)
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    problems: list[str] = []
    if not rows or tuple(rows[0]) != REDCAP_COLUMNS:
        got = rows[0] if rows else []
        problems.append(
            f"the header must be exactly the 18 standard columns {list(REDCAP_COLUMNS)}; got {got}"
        )
        _raise(path, problems, "REDCap data dictionary")
    fields: dict[str, set[str] | None] = {}
    matrix_seen: dict[str, tuple[int, str]] = {}
    last_matrix = ""
    for n, r in enumerate(rows[1:], start=2):
        if len(r) != 18:
            problems.append(f"row {n}: has {len(r)} cells, not 18")
            continue
        name, ftype, choices, logic, matrix = r[0], r[3], r[5], r[11], r[15]
        if not _REDCAP_NAME.match(name) or name.endswith("_"):
            problems.append(f"row {n}: field name {name!r} is not valid")
        if name in fields:
            problems.append(f"row {n}: duplicate field name {name!r}")
        if not _REDCAP_NAME.match(r[1]):
            problems.append(f"row {n}: form name {r[1]!r} is not valid")
        if ftype not in _REDCAP_TYPES:
            problems.append(f"row {n}: unknown field type {ftype!r}")
        codes: set[str] | None = None
        if ftype in ("radio", "dropdown", "checkbox"):
            codes = set()
            for part in choices.split("|"):
                code, sep, label = part.strip().partition(",")
                if not sep or not code.strip() or not label.strip():
                    problems.append(
                        f"row {n} ({name}): choice {part.strip()!r} is not 'code, label'"
                    )
                elif code.strip() in codes:
                    problems.append(f"row {n} ({name}): duplicate choice code {code.strip()!r}")
                codes.add(code.strip())
        if r[16] and not matrix:
            problems.append(f"row {n} ({name}): Matrix Ranking? set outside a matrix group")
        for ref, sub in re.findall(r"\[([a-z][a-z0-9_]*)(?:\(([^)]*)\))?\]", logic):
            if ref not in fields:
                problems.append(
                    f"row {n} ({name}): branching logic refers to {ref!r}, not an earlier field"
                )
            elif sub and (fields[ref] is None or sub not in fields[ref]):
                problems.append(f"row {n} ({name}): branching logic uses unknown code {ref}({sub})")
        if logic.count("[") != logic.count("]") or logic.count("(") != logic.count(")"):
            problems.append(f"row {n} ({name}): unbalanced brackets in branching logic")
        if matrix:
            if matrix in matrix_seen and last_matrix != matrix:
                problems.append(f"row {n} ({name}): matrix group {matrix!r} is not consecutive")
            if matrix in matrix_seen and matrix_seen[matrix][1] != choices:
                problems.append(f"row {n} ({name}): matrix group {matrix!r} mixes choice lists")
            matrix_seen.setdefault(matrix, (n, choices))
        last_matrix = matrix
        fields[name] = codes
    _raise(path, problems, "REDCap data dictionary")


# -- LimeSurvey ------------------------------------------------------------------------------
def validate_limesurvey(path) -> None:
    """Check a LimeSurvey tab-separated survey structure (``.txt``).

    Checks: the base columns (``id, related_id, class, type/scale, name, relevance, text,
    help, language, validation, mandatory, other, default, same_default``; newer LimeSurvey
    versions add ``encrypted``, ``same_script`` and attribute columns); known row classes; settings
    (``S``/``SL``) before the first group; every question after a group, every
    subquestion/answer after a question; question codes of letters and digits (at most
    20), unique within a language; answer codes of at most 5 letters or digits, unique
    within their question; the same question codes in every language block; relevance
    equations refer only to questions defined earlier.

    Raises
    ------
    SurveyFormatError
        Listing every problem with its row.
    """
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    text = text.removeprefix("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text), delimiter="\t"))
    header = text.split("\n", 1)[0].split("\t")
    problems: list[str] = []
    base = list(LIMESURVEY_COLUMNS[:14])
    missing = [c for c in base if c not in header]
    if missing:
        problems.append(f"the header lacks the base column(s) {missing} (needed: {base})")
        _raise(path, problems, "LimeSurvey TSV")
    state = "settings"
    codes: dict[str, list[str]] = {}
    known: dict[str, set[str]] = {}
    current_q = ""
    answers: set[str] = set()
    for n, r in enumerate(rows, start=2):
        cls, lang, name = r["class"], r["language"], r["name"]
        if cls in ("S", "SL"):
            if state != "settings":
                problems.append(f"row {n}: survey setting after the first group")
            continue
        if cls == "G":
            state = "group"
            current_q = ""
            continue
        if cls == "Q":
            if state == "settings":
                problems.append(f"row {n}: question {name!r} before any group")
            state = "question"
            current_q = name
            answers = set()
            if not re.match(r"^[A-Za-z][A-Za-z0-9]{0,19}$", name):
                problems.append(f"row {n}: question code {name!r} is not 1-20 letters/digits")
            lang_codes = codes.setdefault(lang, [])
            if name in lang_codes:
                problems.append(f"row {n}: duplicate question code {name!r} ({lang})")
            lang_codes.append(name)
            defined = known.setdefault(lang, set())
            rel = r["relevance"] or "1"
            for ref in re.findall(r"\b([A-Za-z][A-Za-z0-9]*)(?:_[A-Za-z0-9]+)?\.NAOK\b", rel):
                if ref not in defined:
                    problems.append(
                        f"row {n} ({name}): relevance refers to {ref!r}, not an earlier question"
                    )
            if rel.count("(") != rel.count(")"):
                problems.append(f"row {n} ({name}): unbalanced parentheses in relevance")
            defined.add(name)
            continue
        if cls in ("SQ", "A"):
            if not current_q:
                problems.append(f"row {n}: {cls} row {name!r} outside a question")
            if not re.match(r"^[A-Za-z0-9]{1,5}$" if cls == "A" else r"^[A-Za-z0-9]{1,20}$", name):
                problems.append(f"row {n}: {cls} code {name!r} is not valid")
            if (cls, name) in answers:
                problems.append(f"row {n}: duplicate {cls} code {name!r} in {current_q!r}")
            answers.add((cls, name))
            continue
        if cls not in ("C", "AS", "QTA", "QTAM", "QTALS"):
            problems.append(f"row {n}: unknown class {cls!r}")
    langs = list(codes)
    for lg in langs[1:]:
        if codes[lg] != codes[langs[0]]:
            problems.append(f"language {lg!r} does not have the same questions as {langs[0]!r}")
    _raise(path, problems, "LimeSurvey TSV")


# -- Qualtrics -------------------------------------------------------------------------------
_QUALTRICS_TAGS = re.compile(
    r"^\[\[(AdvancedFormat|Block(:.*)?|PageBreak|Question:(MC(:(SingleAnswer|MultipleAnswer|"
    r"Dropdown)(:(Vertical|Horizontal|Column))?)?|Matrix(:SingleAnswer|:MultipleAnswer)?|"
    r"TE(:(SingleLine|Essay|Form))?|Text|DB)|ID:.+|Choices|AdvancedChoices|Choice(:\d+)?|"
    r"Answers|AdvancedAnswers|Answer(:\d+)?|ED:.+)\]\]$"
)


def validate_qualtrics(path) -> None:
    """Check a Qualtrics Advanced Format TXT.

    Checks: the first line is ``[[AdvancedFormat]]``; every ``[[...]]`` tag is a known
    Advanced Format tag without inner spaces; every question has an ``[[ID:...]]``, a
    question text, and (multiple choice) at least two choices with unique choice numbers;
    IDs are unique; questions sit inside a ``[[Block:...]]``.

    Raises
    ------
    SurveyFormatError
        Listing every problem with its line.
    """
    path = Path(path)
    lines = path.read_text(encoding="utf-8").splitlines()
    problems: list[str] = []
    if not lines or lines[0] != "[[AdvancedFormat]]":
        problems.append("line 1 must be [[AdvancedFormat]]")
        _raise(path, problems, "Qualtrics Advanced Format")
    ids: set[str] = set()
    in_block = False
    q: dict | None = None

    def close(q):
        if q is None:
            return
        where = f"question at line {q['line']}"
        if not q["id"]:
            problems.append(f"{where}: no [[ID:...]] tag")
        if not q["text"]:
            problems.append(f"{where} ({q['id']}): no question text")
        if q["type"].startswith("MC") and len(q["choices"]) < 2:
            problems.append(f"{where} ({q['id']}): fewer than 2 choices")

    for n, line in enumerate(lines, start=1):
        if line.startswith("[["):
            if not _QUALTRICS_TAGS.match(line) or " " in line.split(":", 1)[0]:
                problems.append(f"line {n}: unknown or malformed tag {line!r}")
                continue
            tag = line[2:-2]
            if tag.startswith("Block"):
                close(q)
                q = None
                in_block = True
            elif tag.startswith("Question:"):
                close(q)
                if not in_block:
                    problems.append(f"line {n}: question outside a [[Block:...]]")
                q = {
                    "line": n,
                    "type": tag[9:],
                    "id": "",
                    "text": [],
                    "choices": [],
                    "mode": "text",
                }
            elif tag.startswith("ID:") and q is not None:
                qid = tag[3:]
                if qid in ids:
                    problems.append(f"line {n}: duplicate question ID {qid!r}")
                ids.add(qid)
                q["id"] = qid
            elif tag in ("Choices", "AdvancedChoices") and q is not None:
                q["mode"] = tag
            elif tag.startswith("Choice:") and q is not None:
                number = tag[7:]
                if number in q["choices"]:
                    problems.append(f"line {n}: duplicate choice number {number} in {q['id']!r}")
                q["choices"].append(number)
        elif q is not None and line.strip():
            if q["mode"] == "text":
                q["text"].append(line)
            elif q["mode"] == "Choices":
                q["choices"].append(line)
    close(q)
    _raise(path, problems, "Qualtrics Advanced Format")
