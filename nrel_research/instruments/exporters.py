"""Write an :class:`~.builder.Instrument` to the files survey platforms import.

One instrument, six formats:

========== =========================================== ============================
format     file(s)                                      skip logic
========== =========================================== ============================
xlsform    ``<stem>.xlsx`` (all languages)              ``relevant`` column
redcap     ``<stem>_redcap_<lang>.csv`` (one per lang)  Branching Logic column
limesurvey ``<stem>_limesurvey.txt`` (all languages)    ``relevance`` equations
qualtrics  ``<stem>_qualtrics_<lang>.txt`` + ``_setup``  written to the setup CSV: the
           CSV (display logic, recodes, embedded data)  TXT format cannot carry logic
html       ``<stem>_<lang>.html`` (printable)           printed "answer only if" notes
markdown   ``<stem>_<lang>.md``                         printed "answer only if" notes
========== =========================================== ============================

Every file is deterministic: same instrument, same bytes (the XLSForm workbook is
written with fixed document properties and zip member times).

Format references: xlsform.org (XLSForm); the REDCap data dictionary's 18 standard
columns; LimeSurvey's tab-separated survey structure (``TSVImportSurvey`` in
LimeSurvey's ``import_helper.php``); Qualtrics' Advanced Format TXT import.
"""

from __future__ import annotations

import csv
import html
import io
import json
import re
from collections.abc import Iterable
from pathlib import Path

from .._validation import check_choice
from .._version import __version__
from ..exceptions import NrelError
from .builder import Instrument, InstrumentBlock, Question
from .model import Condition

__all__ = [
    "FORMATS",
    "REDCAP_COLUMNS",
    "export",
    "limesurvey_name",
    "to_html",
    "to_limesurvey",
    "to_markdown",
    "to_qualtrics",
    "to_redcap",
    "to_xlsform",
]

FORMATS = ("xlsform", "limesurvey", "qualtrics", "redcap", "html", "markdown")
REDCAP_COLUMNS = (
    "Variable / Field Name",
    "Form Name",
    "Section Header",
    "Field Type",
    "Field Label",
    "Choices, Calculations, OR Slider Labels",
    "Field Note",
    "Text Validation Type OR Show Slider Number",
    "Text Validation Min",
    "Text Validation Max",
    "Identifier?",
    "Branching Logic (Show field only if...)",
    "Required Field?",
    "Custom Alignment",
    "Question Number (surveys only)",
    "Matrix Group Name",
    "Matrix Ranking?",
    "Field Annotation",
)
LIMESURVEY_COLUMNS = (
    "id",
    "related_id",
    "class",
    "type/scale",
    "name",
    "relevance",
    "text",
    "help",
    "language",
    "validation",
    "mandatory",
    "other",
    "default",
    "same_default",
    "hidden",
    "max_num_value_n",
    "min_num_value_n",
    "num_value_int_only",
)
FORM_ID = "nrel_survey"


def _num(v) -> str:
    v = float(v)
    return str(int(v)) if v.is_integer() else repr(v)


def _stem_note_name(block: InstrumentBlock, run: int) -> str:
    return f"{block.id}_stem{run}"


# -- XLSForm ---------------------------------------------------------------------------------
def _xls_relevant(conditions: Iterable[Condition]) -> str:
    parts = []
    for c in conditions:
        if c.op == "selected":
            parts.append(f"selected(${{{c.item}}}, '{c.values[0]}')")
        elif len(c.values) == 1:
            parts.append(f"${{{c.item}}} = '{c.values[0]}'")
        else:
            parts.append("(" + " or ".join(f"${{{c.item}}} = '{v}'" for v in c.values) + ")")
    return " and ".join(parts)


def xlsform_sheets(inst: Instrument) -> dict[str, list[list[str]]]:
    """Return the XLSForm as ``{sheet: rows}`` (first row = header), before writing.

    Examples
    --------
    >>> from nrel_research import instruments
    >>> inst = instruments.build(["E7"], randomize_within_blocks=False)
    >>> sheets = xlsform_sheets(inst)
    >>> header = sheets["survey"][0]
    >>> row = next(r for r in sheets["survey"] if r[1] == "e7_1")
    >>> row[0], row[header.index("relevant")]
    ('select_one extent7', "${consent} = '1' and (${market_type} = '1' or ${market_type} = '3')")
    """
    bank = inst.bank
    langs = inst.languages
    label_cols = [f"label::{lg.xlsform}" for lg in langs]
    hint_cols = [f"hint::{lg.xlsform}" for lg in langs]
    cmsg_cols = [f"constraint_message::{lg.xlsform}" for lg in langs]
    header = [
        "type",
        "name",
        *label_cols,
        *hint_cols,
        "required",
        "relevant",
        "constraint",
        *cmsg_cols,
        "appearance",
    ]

    def row(type_, name, labels=None, hints=None, required="", relevant="", constraint="",
            cmsgs=None, appearance=""):  # fmt: skip
        return [
            type_,
            name,
            *(labels or [""] * len(langs)),
            *(hints or [""] * len(langs)),
            required,
            relevant,
            constraint,
            *(cmsgs or [""] * len(langs)),
            appearance,
        ]

    survey = [header]
    used_scales: list[str] = []
    for b in inst.blocks:
        survey.append(
            row("begin group", f"{b.id}_block", [b.title.get(lg.code, "") for lg in langs])
        )
        if b.intro:
            survey.append(row("note", f"{b.id}_intro", [b.intro.get(lg.code, "") for lg in langs]))
        for run, questions in b.runs():
            stem = [inst.stem(b, questions, lg.code) for lg in langs]
            if run is not None and any(stem):
                survey.append(
                    row(
                        "note", _stem_note_name(b, run), stem, relevant=_common_relevance(questions)
                    )
                )
            for q in questions:
                it = q.item
                labels = [it.label(lg.code) for lg in langs]
                hints = None
                if it.audience == "research_team":
                    hints = [bank.message("research_team", lg.code) for lg in langs]
                if it.type in ("start", "end"):
                    survey.append(row(it.type, it.id))
                    continue
                if it.type.startswith("select"):
                    type_ = f"{it.type} {it.scale}"
                    if it.scale not in used_scales:
                        used_scales.append(it.scale)
                else:
                    type_ = it.type
                constraint, cmsgs = "", None
                if it.minimum is not None:
                    constraint = f". >= {_num(it.minimum)} and . <= {_num(it.maximum)}"
                    cmsgs = [
                        bank.message("range", lg.code).format(
                            min=_num(it.minimum), max=_num(it.maximum)
                        )
                        for lg in langs
                    ]
                survey.append(
                    row(
                        type_,
                        it.id,
                        labels,
                        hints,
                        "yes" if it.required else "",
                        _xls_relevant(q.relevant),
                        constraint,
                        cmsgs,
                        "likert" if it.is_rating else "",
                    )
                )
        survey.append(row("end group", ""))
    choices = [["list_name", "name", *label_cols]]
    for s in used_scales:
        for ch in bank.scale(s).choices:
            choices.append([s, ch.code, *[ch.label(lg.code) for lg in langs]])
    settings = [
        ["form_title", "form_id", "version", "default_language"],
        [bank.message("title", langs[0].code), FORM_ID, __version__, langs[0].xlsform],
    ]
    return {"survey": survey, "choices": choices, "settings": settings}


def _common_relevance(questions: list[Question]) -> str:
    """Relevance of a battery's stem: the conditions every question of the run shares."""
    shared = set(questions[0].relevant)
    for q in questions[1:]:
        shared &= set(q.relevant)
    return _xls_relevant([c for c in questions[0].relevant if c in shared])


def to_xlsform(inst: Instrument, path) -> Path:
    """Write the instrument as an XLSForm workbook (ODK, KoboToolbox, SurveyCTO, Enketo).

    Sheets ``survey`` (one row per question; groups per block; ``select_one`` rating
    items with ``likert`` appearance; ``required``, ``relevant`` skip logic,
    ``constraint`` ranges and ``label::Language (code)`` columns per language),
    ``choices`` and ``settings``. Validate with :func:`~.validators.validate_xlsform`.
    """
    from openpyxl import Workbook

    path = Path(path)
    wb = Workbook()
    wb.remove(wb.active)
    for name, rows in xlsform_sheets(inst).items():
        ws = wb.create_sheet(name)
        for r in rows:
            ws.append(r)
    # fixed document properties, so regenerated workbooks differ only in zip times
    import datetime as _dt

    fixed = _dt.datetime(2016, 1, 1)
    wb.properties.created = fixed
    wb.properties.modified = fixed
    wb.properties.creator = "nrel_research"
    buf = io.BytesIO()
    wb.save(buf)
    _deterministic_zip(buf.getvalue(), path)
    return path


def _deterministic_zip(data: bytes, path: Path) -> None:
    """Rewrite a zip archive with fixed member times, so the same content gives the same bytes."""
    import zipfile

    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(path, "w") as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = info.external_attr
            content = src.read(info.filename)
            if info.filename == "docProps/core.xml":  # openpyxl stamps the save time here
                content = re.sub(
                    rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                    rb"\g<1>2016-01-01T00:00:00Z\g<2>",
                    content,
                )
            dst.writestr(fixed, content)


# -- REDCap ----------------------------------------------------------------------------------
def _redcap_logic(conditions: Iterable[Condition]) -> str:
    parts = []
    for c in conditions:
        if c.op == "selected":
            parts.append(f"[{c.item}({c.values[0]})] = '1'")
        elif len(c.values) == 1:
            parts.append(f"[{c.item}] = '{c.values[0]}'")
        else:
            parts.append("(" + " or ".join(f"[{c.item}] = '{v}'" for v in c.values) + ")")
    return " and ".join(parts)


def redcap_rows(inst: Instrument, language: str) -> list[dict[str, str]]:
    """Return the REDCap data dictionary rows (dicts keyed by the 18 standard columns)."""
    bank = inst.bank
    rows = []

    def add(**kw):
        r = dict.fromkeys(REDCAP_COLUMNS, "")
        r["Form Name"] = FORM_ID
        for k, v in kw.items():
            r[k] = v
        rows.append(r)

    for b in inst.blocks:
        header = b.title.get(language, "")
        if b.intro:
            add(
                **{
                    "Variable / Field Name": f"{b.id}_intro",
                    "Section Header": header,
                    "Field Type": "descriptive",
                    "Field Label": b.intro.get(language, ""),
                }
            )
            header = ""
        for run, questions in b.runs():
            stem = inst.stem(b, questions, language) if run is not None else ""
            matrix = f"{b.id}_m{run}" if run is not None and len(questions) > 1 else ""
            if stem:
                header = f"{header}: {stem}" if header else stem
            for q in questions:
                it = q.item
                r = {
                    "Variable / Field Name": it.id,
                    "Section Header": header,
                    "Field Label": it.label(language),
                    "Branching Logic (Show field only if...)": _redcap_logic(q.relevant),
                    "Required Field?": "y" if it.required else "",
                    "Identifier?": "y" if it.identifier else "",
                    "Matrix Group Name": matrix if it.is_rating else "",
                }
                header = ""
                if it.type.startswith("select"):
                    scale = bank.scale(it.scale)
                    r["Choices, Calculations, OR Slider Labels"] = " | ".join(
                        f"{ch.code}, {ch.label(language)}" for ch in scale.choices
                    )
                    if it.type == "select_multiple":
                        r["Field Type"] = "checkbox"
                    elif it.is_rating or len(scale.choices) <= 10:
                        r["Field Type"] = "radio"
                    else:
                        r["Field Type"] = "dropdown"
                elif it.type in ("start", "end"):
                    r["Field Type"] = "text"
                    r["Text Validation Type OR Show Slider Number"] = "datetime_seconds_ymd"
                    r["Field Annotation"] = "@HIDDEN @NOW"
                    r["Field Note"] = bank.message("automatic", language)
                else:
                    r["Field Type"] = "text"
                    r["Text Validation Type OR Show Slider Number"] = {
                        "integer": "integer",
                        "decimal": "number",
                        "text": "",
                    }[it.type]
                    if it.minimum is not None:
                        r["Text Validation Min"] = _num(it.minimum)
                        r["Text Validation Max"] = _num(it.maximum)
                if it.audience == "research_team":
                    r["Field Annotation"] = "@HIDDEN-SURVEY"
                    r["Field Note"] = bank.message("research_team", language)
                add(**r)
    return rows


def to_redcap(inst: Instrument, path, language: str | None = None) -> Path:
    """Write a REDCap data dictionary CSV (the 18 standard columns) for one language.

    REDCap keeps translations outside the data dictionary (Multi-Language Management),
    so one dictionary is written per language. Rating batteries become matrix groups;
    research-team fields carry ``@HIDDEN-SURVEY``; start/end times ``@HIDDEN @NOW``.
    """
    language = language or inst.language_codes[0]
    check_choice(language, "language", inst.language_codes)
    path = Path(path)
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(REDCAP_COLUMNS), lineterminator="\n")
    w.writeheader()
    w.writerows(redcap_rows(inst, language))
    path.write_text(buf.getvalue(), encoding="utf-8")
    return path


# -- LimeSurvey ------------------------------------------------------------------------------
def limesurvey_name(name: str) -> str:
    """Return the LimeSurvey question code of a variable (letters and digits only).

    Examples
    --------
    >>> limesurvey_name("net_followers_fb")
    'netfollowersfb'
    """
    return name.replace("_", "")


def _ls_relevance(conditions: Iterable[Condition]) -> str:
    parts = []
    for c in conditions:
        code = limesurvey_name(c.item)
        if c.op == "selected":
            parts.append(f"{code}_{c.values[0]}.NAOK == 'Y'")
        elif len(c.values) == 1:
            parts.append(f"{code}.NAOK == '{c.values[0]}'")
        else:
            parts.append("(" + " or ".join(f"{code}.NAOK == '{v}'" for v in c.values) + ")")
    return " and ".join(parts) or "1"


def limesurvey_rows(inst: Instrument) -> list[dict[str, str]]:
    """Return the LimeSurvey TSV rows (dicts keyed by :data:`LIMESURVEY_COLUMNS`)."""
    bank = inst.bank
    rows: list[dict[str, str]] = []

    def add(**kw):
        r = dict.fromkeys(LIMESURVEY_COLUMNS, "")
        r.update(kw)
        rows.append(r)

    codes = inst.language_codes
    add(**{"class": "S", "name": "language", "text": codes[0]})
    if len(codes) > 1:
        add(**{"class": "S", "name": "additional_languages", "text": " ".join(codes[1:])})
    for name, value in (("format", "G"), ("datestamp", "Y"), ("anonymized", "N")):
        add(**{"class": "S", "name": name, "text": value})
    for lang in codes:
        add(
            **{
                "class": "SL",
                "name": "surveyls_title",
                "text": bank.message("title", lang),
                "language": lang,
            }
        )
    for lang in codes:
        qid = 0
        for gid, b in enumerate(inst.blocks, start=1):
            add(
                **{
                    "id": str(gid),
                    "class": "G",
                    "type/scale": str(gid),
                    "name": b.title.get(lang, ""),
                    "relevance": "1",
                    "text": b.intro.get(lang, ""),
                    "language": lang,
                }
            )
            for run, questions in b.runs():
                stem = inst.stem(b, questions, lang) if run is not None else ""
                if stem:
                    qid += 1
                    add(
                        **{
                            "id": str(qid),
                            "class": "Q",
                            "type/scale": "X",
                            "name": limesurvey_name(_stem_note_name(b, run)),
                            "relevance": _ls_relevance(
                                c
                                for c in questions[0].relevant
                                if all(c in q.relevant for q in questions)
                            ),
                            "text": stem,
                            "language": lang,
                            "mandatory": "N",
                        }
                    )
                for q in questions:
                    it = q.item
                    if it.type in ("start", "end"):
                        continue  # LimeSurvey records startdate/submitdate (datestamp=Y)
                    qid += 1
                    parent = qid
                    r = {
                        "id": str(qid),
                        "class": "Q",
                        "name": limesurvey_name(it.id),
                        "relevance": _ls_relevance(q.relevant),
                        "text": it.label(lang),
                        "language": lang,
                        "mandatory": "Y" if it.required else "N",
                        "other": "N",
                    }
                    if it.audience == "research_team":
                        r["hidden"] = "1"
                        r["help"] = bank.message("research_team", lang)
                    if it.type == "select_one":
                        r["type/scale"] = "!" if len(bank.scale(it.scale).choices) > 10 else "L"
                    elif it.type == "select_multiple":
                        r["type/scale"] = "M"
                    elif it.type in ("integer", "decimal"):
                        r["type/scale"] = "N"
                        if it.minimum is not None:
                            r["min_num_value_n"] = _num(it.minimum)
                            r["max_num_value_n"] = _num(it.maximum)
                        if it.type == "integer":
                            r["num_value_int_only"] = "1"
                    else:
                        r["type/scale"] = "S"
                    add(**r)
                    if it.type == "select_one":
                        for ch in bank.scale(it.scale).choices:
                            add(
                                **{
                                    "related_id": str(parent),
                                    "class": "A",
                                    "type/scale": "0",
                                    "name": ch.code,
                                    "relevance": "0",
                                    "text": ch.label(lang),
                                    "language": lang,
                                }
                            )
                    elif it.type == "select_multiple":
                        for ch in bank.scale(it.scale).choices:
                            qid += 1
                            add(
                                **{
                                    "id": str(qid),
                                    "related_id": str(parent),
                                    "class": "SQ",
                                    "type/scale": "0",
                                    "name": ch.code,
                                    "relevance": "1",
                                    "text": ch.label(lang),
                                    "language": lang,
                                }
                            )
    return rows


def to_limesurvey(inst: Instrument, path) -> Path:
    """Write LimeSurvey's tab-separated survey structure (``.txt``, UTF-8 with BOM).

    Rows: survey settings (``S``, ``SL``), then per language an identically ordered
    block of groups (``G``), questions (``Q``), subquestions (``SQ``) and answers
    (``A``); relationships follow from the order, as LimeSurvey's importer expects.
    Question codes are the variable names without underscores
    (:func:`limesurvey_name`); multi-select answers are ``<code>_<option>``.
    Research-team fields are hidden (prefill them from the participant table or URL).
    Start and submit times are recorded by LimeSurvey itself (``datestamp``).
    """
    path = Path(path)
    buf = io.StringIO()
    w = csv.DictWriter(
        buf,
        fieldnames=list(LIMESURVEY_COLUMNS),
        delimiter="\t",
        lineterminator="\n",
        quoting=csv.QUOTE_MINIMAL,
    )
    w.writeheader()
    w.writerows(limesurvey_rows(inst))
    path.write_text("\ufeff" + buf.getvalue(), encoding="utf-8")
    return path


# -- Qualtrics -------------------------------------------------------------------------------
def qualtrics_text(inst: Instrument, language: str) -> tuple[str, list[dict[str, str]]]:
    """Return the Qualtrics Advanced Format TXT and its setup rows for one language.

    The setup rows (``kind, question, detail``) list what the TXT format cannot carry
    and must be added after import: display logic, recodes where a stored code differs
    from the choice position, and embedded-data fields for research-team variables.
    """
    bank = inst.bank
    lines = ["[[AdvancedFormat]]", ""]
    setup: list[dict[str, str]] = []
    for b in inst.blocks:
        block_lines = [f"[[Block:{b.id}]]", ""]
        n_questions = 0
        if b.intro:
            block_lines += ["[[Question:DB]]", f"[[ID:{b.id}_intro]]", b.intro[language], ""]
        for run, questions in b.runs():
            stem = inst.stem(b, questions, language) if run is not None else ""
            if stem:
                block_lines += [
                    "[[Question:DB]]",
                    f"[[ID:{_stem_note_name(b, run)}]]",
                    stem,
                    "",
                ]
            for q in questions:
                it = q.item
                if it.type in ("start", "end"):
                    continue  # Qualtrics records StartDate and EndDate itself
                if it.audience == "research_team":
                    setup.append(
                        {
                            "kind": "embedded_data",
                            "question": it.id,
                            "detail": f"set in the survey flow from the contact list or URL: "
                            f"{it.label(language)}",
                        }
                    )
                    continue
                n_questions += 1
                if it.type == "select_one":
                    layout = "Horizontal" if it.is_rating else "Vertical"
                    tag = f"[[Question:MC:SingleAnswer:{layout}]]"
                elif it.type == "select_multiple":
                    tag = "[[Question:MC:MultipleAnswer:Vertical]]"
                else:
                    tag = "[[Question:TE:SingleLine]]"
                block_lines += [tag, f"[[ID:{it.id}]]", it.label(language)]
                if it.type.startswith("select"):
                    block_lines.append("[[AdvancedChoices]]")
                    for pos, ch in enumerate(bank.scale(it.scale).choices, start=1):
                        block_lines += [f"[[Choice:{pos}]]", ch.label(language)]
                        if ch.code != str(pos):
                            setup.append(
                                {
                                    "kind": "recode",
                                    "question": it.id,
                                    "detail": f"choice {pos} -> {ch.code}",
                                }
                            )
                if it.minimum is not None:
                    setup.append(
                        {
                            "kind": "validation",
                            "question": it.id,
                            "detail": f"content validation: number from {_num(it.minimum)} "
                            f"to {_num(it.maximum)}",
                        }
                    )
                if q.relevant:
                    setup.append(
                        {
                            "kind": "display_logic",
                            "question": it.id,
                            "detail": _qualtrics_logic(inst, q.relevant),
                        }
                    )
                block_lines.append("")
        if n_questions:
            lines += block_lines
    return "\n".join(lines).rstrip("\n") + "\n", setup


def _qualtrics_logic(inst: Instrument, conditions: Iterable[Condition]) -> str:
    parts = []
    for c in conditions:
        scale = inst.bank.scale(inst.bank.item(c.item).scale)
        positions = [str(scale.codes.index(v) + 1) for v in c.values]
        if c.op == "selected":
            parts.append(f"{c.item} choice {positions[0]} is selected")
        else:
            parts.append(f"{c.item} choice " + " or ".join(positions) + " is selected")
    return "display if: " + " and ".join(parts)


def to_qualtrics(inst: Instrument, path, language: str | None = None) -> tuple[Path, Path]:
    """Write a Qualtrics Advanced Format TXT for one language, plus its setup CSV.

    Returns the paths of the TXT and of ``<name>_setup.csv`` (display logic, recodes,
    validation and embedded data to add after import; Qualtrics' TXT import carries
    none of them).
    """
    language = language or inst.language_codes[0]
    check_choice(language, "language", inst.language_codes)
    path = Path(path)
    text, setup = qualtrics_text(inst, language)
    path.write_text(text, encoding="utf-8")
    setup_path = path.with_name(path.stem + "_setup.csv")
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=["kind", "question", "detail"], lineterminator="\n")
    w.writeheader()
    w.writerows(setup)
    setup_path.write_text(buf.getvalue(), encoding="utf-8")
    return path, setup_path


# -- printable HTML and Markdown ---------------------------------------------------------------
def _condition_text(inst: Instrument, conditions, language: str, numbers: dict) -> str:
    bank = inst.bank
    parts = []
    for c in conditions:
        scale = bank.scale(bank.item(c.item).scale)
        labels = [f"“{scale.choice(v).label(language)}”" for v in c.values]
        question = f"Q{numbers[c.item]}" if c.item in numbers else c.item
        if c.op == "selected":
            parts.append(
                bank.message("includes", language).format(question=question, value=labels[0])
            )
        else:
            joined = f" {bank.message('or', language)} ".join(labels)
            parts.append(
                bank.message("answer_is", language).format(question=question, values=joined)
            )
    condition = f" {bank.message('and', language)} ".join(parts)
    return bank.message("only_if", language).format(condition=condition)


def _printed(inst: Instrument, language: str):
    """Yield the printable structure shared by the HTML and Markdown writers."""
    numbers = {q.name: q.number for q in inst.questions}
    for b in inst.blocks:
        runs = []
        for run, questions in b.runs():
            stem = inst.stem(b, questions, language) if run is not None else ""
            entries = []
            for q in questions:
                it = q.item
                skip = [c for c in q.relevant if c.item != "consent"]
                note = _condition_text(inst, skip, language, numbers) if skip else ""
                if it.audience == "research_team":
                    note = (note + " " if note else "") + inst.bank.message(
                        "research_team", language
                    )
                if it.audience == "system":
                    note = inst.bank.message("automatic", language)
                rng = ""
                if it.minimum is not None:
                    rng = f"{_num(it.minimum)}\u2013{_num(it.maximum)}"
                entries.append((q, note, rng))
            runs.append((run, stem, entries))
        yield b, runs


def to_html(inst: Instrument, path, language: str | None = None) -> Path:
    """Write a printable HTML questionnaire for one language (``dir="rtl"`` for RTL)."""
    language = language or inst.language_codes[0]
    check_choice(language, "language", inst.language_codes)
    lang = inst.bank.language(language)
    bank = inst.bank
    e = html.escape
    out = [
        "<!DOCTYPE html>",
        f'<html lang="{lang.code}" dir="{lang.direction}">',
        "<head>",
        '<meta charset="utf-8">',
        f"<title>{e(bank.message('title', language))}</title>",
        "<style>",
        "body{font-family:sans-serif;max-width:52em;margin:2em auto;line-height:1.4}",
        "table{border-collapse:collapse;width:100%}td,th{border:1px solid #999;padding:.3em;"
        "font-size:.85em}th{font-weight:normal}td.box{text-align:center}",
        ".skip{font-style:italic;color:#555}.status{color:#a00}",
        "section{page-break-inside:avoid}",
        "</style>",
        "</head>",
        "<body>",
        f"<h1>{e(bank.message('title', language))}</h1>",
    ]
    if lang.status != "source":
        out.append(f'<p class="status">{e(lang.native)}: {e(lang.status)}</p>')
    for b, runs in _printed(inst, language):
        out.append(f'<section id="{b.id}">')
        out.append(f"<h2>{e(b.title.get(language, ''))}</h2>")
        if b.intro:
            out.append(f"<p>{e(b.intro.get(language, ''))}</p>")
        for run, stem, entries in runs:
            if stem:
                out.append(f'<p class="stem"><strong>{e(stem)}</strong></p>')
            first = entries[0][0].item
            if run is not None and len(entries) > 1:
                scale = bank.scale(first.scale)
                out.append("<table>")
                out.append(
                    "<tr><th></th>"
                    + "".join(f"<th>{e(ch.label(language))}</th>" for ch in scale.choices)
                    + "</tr>"
                )
                for q, note, _ in entries:
                    skip = f'<br><span class="skip">{e(note)}</span>' if note else ""
                    label = e(q.item.label(language))
                    out.append(
                        f'<tr id="q-{q.name}"><td>Q{q.number}. {label}{skip}</td>'
                        + '<td class="box">☐</td>' * len(scale.choices)
                        + "</tr>"
                    )
                out.append("</table>")
                continue
            for q, note, rng in entries:
                it = q.item
                out.append(f'<div class="q" id="q-{q.name}">')
                out.append(f"<p><strong>Q{q.number}.</strong> {e(it.label(language))}</p>")
                if note:
                    out.append(f'<p class="skip">{e(note)}</p>')
                if it.type.startswith("select"):
                    box = "☐"
                    out.append("<ul>")
                    for ch in bank.scale(it.scale).choices:
                        out.append(f"<li>{box} {e(ch.label(language))}</li>")
                    out.append("</ul>")
                elif it.type not in ("start", "end"):
                    suffix = f" ({rng})" if rng else ""
                    out.append(f"<p>______________________{suffix}</p>")
                out.append("</div>")
        out.append("</section>")
    out += ["</body>", "</html>"]
    path = Path(path)
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
    return path


def to_markdown(inst: Instrument, path, language: str | None = None) -> Path:
    """Write a Markdown questionnaire for one language (batteries as tables)."""
    language = language or inst.language_codes[0]
    check_choice(language, "language", inst.language_codes)
    lang = inst.bank.language(language)
    bank = inst.bank

    def cell(t: str) -> str:
        return t.replace("|", "\\|")

    out = [f"# {bank.message('title', language)}", ""]
    if lang.status != "source":
        out += [f"> {lang.native}: {lang.status}", ""]
    for b, runs in _printed(inst, language):
        out += [f"## {b.title.get(language, '')}", ""]
        if b.intro:
            out += [b.intro.get(language, ""), ""]
        for run, stem, entries in runs:
            if stem:
                out += [f"**{stem}**", ""]
            first = entries[0][0].item
            if run is not None and len(entries) > 1:
                scale = bank.scale(first.scale)
                out.append(
                    "| | " + " | ".join(cell(ch.label(language)) for ch in scale.choices) + " |"
                )
                out.append("|---|" + "---|" * len(scale.choices))
                for q, note, _ in entries:
                    text = cell(f"Q{q.number}. {q.item.label(language)}")
                    if note:
                        text += f" _({cell(note)})_"
                    out.append(f"| {text} |" + " ☐ |" * len(scale.choices))
                out.append("")
                continue
            for q, note, rng in entries:
                it = q.item
                out.append(f"**Q{q.number}.** {it.label(language)}")
                out.append("")
                if note:
                    out += [f"_{note}_", ""]
                if it.type.startswith("select"):
                    out += [f"- ☐ {ch.label(language)}" for ch in bank.scale(it.scale).choices]
                    out.append("")
                elif it.type not in ("start", "end"):
                    out += [f"______________________{f' ({rng})' if rng else ''}", ""]
    path = Path(path)
    path.write_text("\n".join(out).rstrip("\n") + "\n", encoding="utf-8")
    return path


# -- everything ------------------------------------------------------------------------------
def export(
    inst: Instrument,
    out_dir,
    formats: Iterable[str] | str = "all",
    *,
    stem: str = FORM_ID,
    validate: bool = True,
) -> list[Path]:
    """Write the instrument in several formats, plus its data dictionary and schema.

    Parameters
    ----------
    inst : Instrument
        From :func:`~nrel_research.instruments.build`.
    out_dir : path-like
        Folder to write to (created if missing).
    formats : str or iterable of str, default "all"
        Any of ``xlsform, limesurvey, qualtrics, redcap, html, markdown`` or ``"all"``.
    stem : str, default "nrel_survey"
        Start of every file name.
    validate : bool, default True
        Run the structural validator of each format on the written file.

    Returns
    -------
    list of pathlib.Path
        The files written, in order: data dictionary CSV, Table Schema JSON, then the
        formats in the order of :data:`FORMATS`, languages in instrument order.
    """
    from . import validators

    if isinstance(formats, str):
        formats = FORMATS if formats == "all" else [f.strip() for f in formats.split(",")]
    formats = [check_choice(f, "format", (*FORMATS, "all")) for f in formats]
    if "all" in formats:
        formats = list(FORMATS)
    if not re.match(r"^[a-z][a-z0-9_]*$", stem):
        raise NrelError(f"stem={stem!r} is not valid; use lower-case letters, digits and _.")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    dd = inst.data_dictionary()
    p = out / f"{stem}_data_dictionary.csv"
    dd.to_csv(p, index=False, lineterminator="\n")
    written.append(p)
    p = out / f"{stem}_schema.json"
    p.write_text(
        json.dumps(inst.table_schema(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    written.append(p)
    for fmt in FORMATS:
        if fmt not in formats:
            continue
        if fmt == "xlsform":
            p = to_xlsform(inst, out / f"{stem}.xlsx")
            if validate:
                validators.validate_xlsform(p)
            written.append(p)
        elif fmt == "limesurvey":
            p = to_limesurvey(inst, out / f"{stem}_limesurvey.txt")
            if validate:
                validators.validate_limesurvey(p)
            written.append(p)
        else:
            for lg in inst.language_codes:
                if fmt == "qualtrics":
                    p, s = to_qualtrics(inst, out / f"{stem}_qualtrics_{lg}.txt", lg)
                    if validate:
                        validators.validate_qualtrics(p)
                    written += [p, s]
                elif fmt == "redcap":
                    p = to_redcap(inst, out / f"{stem}_redcap_{lg}.csv", lg)
                    if validate:
                        validators.validate_redcap(p)
                    written.append(p)
                elif fmt == "html":
                    written.append(to_html(inst, out / f"{stem}_{lg}.html", lg))
                else:
                    written.append(to_markdown(inst, out / f"{stem}_{lg}.md", lg))
    return written
