"""Exporters write files their platforms accept; skip logic survives in every format."""

from __future__ import annotations

import csv
import io
import warnings

import pytest
from openpyxl import Workbook, load_workbook
from pyxform.xls2xform import convert

from nrel_research import instruments
from nrel_research.exceptions import NrelError, SurveyFormatError, TranslationWarning
from nrel_research.instruments import exporters, validators

LANGS = ("en", "es", "fa", "el")


@pytest.fixture(scope="module")
def full():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TranslationWarning)
        return instruments.build(languages=LANGS)


@pytest.fixture(scope="module")
def written(full, tmp_path_factory):
    out = tmp_path_factory.mktemp("survey")
    return {p.name: p for p in instruments.export(full, out)}


def test_export_writes_every_format_and_language(written):
    names = set(written)
    assert {"nrel_survey.xlsx", "nrel_survey_limesurvey.txt"} <= names
    assert {"nrel_survey_data_dictionary.csv", "nrel_survey_schema.json"} <= names
    for lg in LANGS:
        for pattern in (
            "qualtrics_{}.txt",
            "qualtrics_{}_setup.csv",
            "redcap_{}.csv",
            "{}.html",
            "{}.md",
        ):
            assert f"nrel_survey_{pattern.format(lg)}" in names


# -- XLSForm ---------------------------------------------------------------------------------
def test_xlsform_converts_with_pyxform_in_four_languages(written):
    result = convert(str(written["nrel_survey.xlsx"]), validate=False, warnings=[])
    xform = result.xform
    for lang in ("English (en)", "Spanish (es)", "Persian (fa)", "Greek (el)"):
        assert f'<translation lang="{lang}"' in xform
    assert 'appearance="likert"' in xform
    assert result.warnings == []


def test_xlsform_columns_and_skip_logic(written):
    wb = load_workbook(written["nrel_survey.xlsx"], read_only=True)
    assert wb.sheetnames == ["survey", "choices", "settings"]
    rows = list(wb["survey"].iter_rows(values_only=True))
    head = list(rows[0])
    for col in ("type", "name", "required", "relevant", "constraint", "appearance"):
        assert col in head
    for lang in ("English (en)", "Spanish (es)", "Persian (fa)", "Greek (el)"):
        assert f"label::{lang}" in head
    by_name = {r[1]: dict(zip(head, r, strict=True)) for r in rows[1:] if r[1]}
    e7 = by_name["e7_2"]
    assert e7["type"] == "select_one extent7" and e7["appearance"] == "likert"
    assert "(${market_type} = '1' or ${market_type} = '3')" in e7["relevant"]
    assert "market_type" not in (by_name["e6_1"]["relevant"] or "")
    assert by_name["smx_feat_fb"]["relevant"].endswith("selected(${smx_platforms}, 'fb')")
    assert by_name["net_reply_share"]["constraint"] == ". >= 0 and . <= 100"
    assert by_name["consent"]["required"] == "yes"
    assert by_name["start_time"]["type"] == "start"
    settings = list(wb["settings"].iter_rows(values_only=True))
    assert settings[1][1] == "nrel_survey" and settings[1][3] == "English (en)"
    wb.close()


def xlsform(tmp_path, survey, choices):
    wb = Workbook()
    wb.remove(wb.active)
    for name, rows in (("survey", survey), ("choices", choices)):
        ws = wb.create_sheet(name)
        for r in rows:
            ws.append(r)
    path = tmp_path / "form.xlsx"
    wb.save(path)
    return path


def test_xlsform_validator_accepts_a_small_handwritten_form(tmp_path):
    path = xlsform(
        tmp_path,
        [
            ["type", "name", "label", "relevant"],
            ["select_one yn", "likes_blue", "Do you like blue?", ""],
            ["text", "why", "Why?", "${likes_blue} = 'yes'"],
        ],
        [["list_name", "name", "label"], ["yn", "yes", "Yes"], ["yn", "no", "No"]],
    )
    assert validators.validate_xlsform(path) == []


def test_xlsform_validator_rejects_bad_forms(tmp_path):
    path = xlsform(
        tmp_path,
        [
            ["type", "name", "label", "relevant"],
            ["select_one yn", "q1", "Q1", "${q9} = 'yes'"],
            ["select_one nolist", "q1", "Q1 again", ""],
        ],
        [["list_name", "name", "label"], ["yn", "yes", "Yes"], ["yn", "yes", "No"]],
    )
    with pytest.raises(SurveyFormatError) as info:
        validators.validate_xlsform(path)
    msg = str(info.value)
    assert str(path) in msg
    assert "duplicate choice 'yes'" in msg and "duplicate name 'q1'" in msg
    assert "refers to 'q9'" in msg and "'select_one nolist'" in msg


# -- REDCap ----------------------------------------------------------------------------------
def redcap_rows(path):
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


def test_redcap_has_exactly_the_standard_columns_and_branching(written):
    for lg in LANGS:
        path = written[f"nrel_survey_redcap_{lg}.csv"]
        header = next(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
        assert tuple(header) == exporters.REDCAP_COLUMNS and len(header) == 18
        validators.validate_redcap(path)
    rows = {
        r["Variable / Field Name"]: r for r in redcap_rows(written["nrel_survey_redcap_en.csv"])
    }
    logic = "Branching Logic (Show field only if...)"
    assert rows["e7_1"][logic] == "[consent] = '1' and ([market_type] = '1' or [market_type] = '3')"
    assert rows["e1_1"][logic] == "[consent] = '1'"
    assert rows["handle_li"][logic] == "[consent] = '1' and [smx_platforms(li)] = '1'"
    assert rows["smx_platforms"]["Field Type"] == "checkbox"
    assert rows["sector"]["Field Type"] == "dropdown"
    assert rows["mo_1"]["Choices, Calculations, OR Slider Labels"].startswith(
        "1, Strongly disagree | 2, Disagree"
    )
    assert rows["firm_id"]["Identifier?"] == "y"
    assert rows["firm_id"]["Field Annotation"] == "@HIDDEN-SURVEY"
    assert rows["net_followers_fb"]["Text Validation Type OR Show Slider Number"] == "integer"
    assert rows["e7_1"]["Matrix Group Name"] == rows["e1_1"]["Matrix Group Name"] != ""
    fa = {r["Variable / Field Name"]: r for r in redcap_rows(written["nrel_survey_redcap_fa.csv"])}
    assert fa["consent"]["Field Label"].startswith("اطلاعات بالا")


def test_redcap_validator(tmp_path):
    good = tmp_path / "dd.csv"
    cols = exporters.REDCAP_COLUMNS
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(cols)
    w.writerow(["record_id", "demo", "", "text", "Record ID", *[""] * 13])
    w.writerow(["likes_blue", "demo", "", "yesno", "Likes blue?", *[""] * 13])
    w.writerow(["why", "demo", "", "notes", "Why?", *[""] * 6, "[likes_blue] = '1'", *[""] * 6])
    good.write_text(buf.getvalue(), encoding="utf-8")
    validators.validate_redcap(good)
    bad = tmp_path / "bad.csv"
    bad.write_text(
        buf.getvalue().replace("[likes_blue]", "[likes_red]").replace("why,", "Why,"),
        encoding="utf-8",
    )
    with pytest.raises(SurveyFormatError, match="refers to 'likes_red'") as info:
        validators.validate_redcap(bad)
    assert "field name 'Why' is not valid" in str(info.value)
    short = tmp_path / "short.csv"
    short.write_text(",".join(cols[:17]) + "\n", encoding="utf-8")
    with pytest.raises(SurveyFormatError, match="exactly the 18 standard columns"):
        validators.validate_redcap(short)


# -- LimeSurvey ------------------------------------------------------------------------------
def test_limesurvey_structure_and_relevance(written):
    path = written["nrel_survey_limesurvey.txt"]
    raw = path.read_bytes()
    assert raw.startswith("\ufeff".encode())
    validators.validate_limesurvey(path)
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig")), delimiter="\t"))
    assert rows[0]["class"] == "S" and rows[0]["name"] == "language" and rows[0]["text"] == "en"
    extra = next(r for r in rows if r["name"] == "additional_languages")
    assert extra["text"] == "es fa el"
    q = {(r["name"], r["language"]): r for r in rows if r["class"] == "Q"}
    e7 = q[("e71", "fa")]
    assert (
        e7["relevance"]
        == "consent.NAOK == '1' and (markettype.NAOK == '1' or markettype.NAOK == '3')"
    )
    assert q[("smxfeatfb", "en")]["relevance"].endswith("smxplatforms_fb.NAOK == 'Y'")
    assert q[("smxplatforms", "en")]["type/scale"] == "M"
    assert q[("firmid", "en")]["hidden"] == "1"
    # answers follow their question
    i = rows.index(q[("mo1", "en")])
    assert [r["class"] for r in rows[i + 1 : i + 8]] == ["A"] * 7


def test_limesurvey_validator_accepts_a_newer_export_layout(tmp_path):
    # LimeSurvey 5/6 exports add `encrypted` and `same_script` plus attribute columns.
    cols = ["id", "related_id", "class", "type/scale", "name", "relevance", "text", "help",
            "language", "validation", "mandatory", "encrypted", "other", "default",
            "same_default", "same_script", "hidden"]  # fmt: skip

    def line(**kw):
        return "\t".join(kw.get(c.replace("/", "_"), "") for c in cols)

    en = {"language": "en"}
    rows = [
        "\t".join(cols),
        line(**{"class": "S", "name": "language", "text": "en"}),
        line(**{"class": "SL", "name": "surveyls_title", "text": '"Sample survey"', **en}),
        line(id="1", **{"class": "G", "type_scale": "1", "name": "Group", "relevance": "1", **en}),
        line(id="1", **{"class": "Q", "type_scale": "L", "name": "blue", "relevance": "1",
                        "text": "Like blue?", "mandatory": "N", **en}),
        line(related_id="1", **{"class": "A", "type_scale": "0", "name": "Y", "text": "Yes", **en}),
        line(related_id="1", **{"class": "A", "type_scale": "0", "name": "N", "text": "No", **en}),
        line(id="2", **{"class": "Q", "type_scale": "T", "name": "why",
                        "relevance": "blue.NAOK == 'Y'", "text": "Why?", **en}),
    ]  # fmt: skip
    path = tmp_path / "ls6.txt"
    path.write_text("\ufeff" + "\n".join(rows) + "\n", encoding="utf-8")
    validators.validate_limesurvey(path)


def test_limesurvey_validator_rejects_bad_structure(tmp_path):
    head = "\t".join(exporters.LIMESURVEY_COLUMNS)
    body = [
        "\t\tQ\tL\tq1\t1\tOrphan question\t\ten\t\tN\tN\t\t\t\t\t\t",
        "1\t\tG\t1\tGroup\t1\t\t\ten\t\t\t\t\t\t\t\t\t",
        "2\t\tQ\tL\tbad_code\tnope.NAOK == '1'\tQ\t\ten\t\tN\tN\t\t\t\t\t\t",
    ]
    path = tmp_path / "ls.txt"
    path.write_text("\n".join([head, *body]) + "\n", encoding="utf-8")
    with pytest.raises(SurveyFormatError) as info:
        validators.validate_limesurvey(path)
    msg = str(info.value)
    assert "question 'q1' before any group" in msg
    assert "'bad_code' is not 1-20 letters/digits" in msg
    assert "relevance refers to 'nope'" in msg


# -- Qualtrics -------------------------------------------------------------------------------
def test_qualtrics_files(written):
    for lg in LANGS:
        path = written[f"nrel_survey_qualtrics_{lg}.txt"]
        text = path.read_text(encoding="utf-8")
        assert text.startswith("[[AdvancedFormat]]\n")
        validators.validate_qualtrics(path)
    text = written["nrel_survey_qualtrics_en.txt"].read_text(encoding="utf-8")
    assert "[[Question:MC:SingleAnswer:Horizontal]]\n[[ID:e7_1]]" in text
    assert "[[Question:MC:MultipleAnswer:Vertical]]\n[[ID:smx_platforms]]" in text
    assert "[[Question:TE:SingleLine]]\n[[ID:net_followers_fb]]" in text
    setup = list(csv.DictReader(io.StringIO(
        written["nrel_survey_qualtrics_en_setup.csv"].read_text(encoding="utf-8"))))  # fmt: skip
    logic = {r["question"]: r["detail"] for r in setup if r["kind"] == "display_logic"}
    assert logic["e7_1"] == (
        "display if: consent choice 1 is selected and market_type choice 1 or 3 is selected"
    )
    assert {"kind": "recode", "question": "consent", "detail": "choice 2 -> 0"} in setup
    assert any(r["kind"] == "embedded_data" and r["question"] == "firm_id" for r in setup)


def test_qualtrics_validator(tmp_path):
    path = tmp_path / "q.txt"
    path.write_text(
        "[[AdvancedFormat]]\n\n[[Block:b]]\n\n[[Question:MC:SingleAnswer:Vertical]]\n"
        "[[ID:q1]]\nLike blue?\n[[Choices]]\nYes\nNo\n",
        encoding="utf-8",
    )
    validators.validate_qualtrics(path)
    path.write_text("[[AdvancedFormat]]\n[[Question:MC]]\n[[ID:q1]]\nText\n[[Choices]]\nA\n"
                    "[[Question:Bogus Tag]]\n", encoding="utf-8")  # fmt: skip
    with pytest.raises(SurveyFormatError) as info:
        validators.validate_qualtrics(path)
    msg = str(info.value)
    assert "question outside a [[Block:...]]" in msg and "fewer than 2 choices" in msg
    assert "malformed tag '[[Question:Bogus Tag]]'" in msg
    path.write_text("Q1. Like blue?\n", encoding="utf-8")
    with pytest.raises(SurveyFormatError, match=r"line 1 must be \[\[AdvancedFormat\]\]"):
        validators.validate_qualtrics(path)


# -- printable -------------------------------------------------------------------------------
def test_html_and_markdown(written):
    fa = written["nrel_survey_fa.html"].read_text(encoding="utf-8")
    assert '<html lang="fa" dir="rtl">' in fa
    en = written["nrel_survey_en.html"].read_text(encoding="utf-8")
    assert '<html lang="en" dir="ltr">' in en
    assert "Answer only if the answer to Q" in en and "Mainly to other businesses (B2B)" in en
    md = written["nrel_survey_es.md"].read_text(encoding="utf-8")
    assert md.startswith("# El marketing en redes sociales")
    assert "Responda solo si la respuesta a Q" in md
    e7_line = next(line for line in en.splitlines() if 'id="q-e7_1"' in line)
    assert "Answer only if" in e7_line
    e1_line = next(line for line in en.splitlines() if 'id="q-e1_1"' in line)
    assert "Answer only if" not in e1_line


def test_export_arguments(full, tmp_path):
    paths = instruments.export(full, tmp_path, "redcap,markdown", stem="b2b")
    assert [p.name for p in paths][:3] == [
        "b2b_data_dictionary.csv",
        "b2b_schema.json",
        "b2b_redcap_en.csv",
    ]
    with pytest.raises(NrelError, match="format='spss' is not valid"):
        instruments.export(full, tmp_path, ["spss"])
    with pytest.raises(NrelError, match="stem='Bad Name'"):
        instruments.export(full, tmp_path, "html", stem="Bad Name")


def test_data_dictionary_names_match_the_platform_exports(full, written):
    dd = full.data_dictionary()
    redcap = redcap_rows(written["nrel_survey_redcap_en.csv"])
    fields = set()
    for r in redcap:
        if r["Field Type"] == "checkbox":
            for part in r["Choices, Calculations, OR Slider Labels"].split("|"):
                fields.add(f"{r['Variable / Field Name']}___{part.split(',')[0].strip()}")
        elif r["Field Type"] != "descriptive":
            fields.add(r["Variable / Field Name"])
    assert fields == set(dd["redcap_name"])
    text = written["nrel_survey_limesurvey.txt"].read_text(encoding="utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text), delimiter="\t"))
    codes = set()
    parent = ""
    for r in rows:
        if r["language"] != "en":
            continue
        if r["class"] == "Q":
            parent = r["name"]
            if r["type/scale"] == "M":
                continue
            if r["type/scale"] != "X":
                codes.add(parent)
        elif r["class"] == "SQ":
            codes.add(f"{parent}_{r['name']}")
    expected = set(dd["limesurvey_name"]) - {"startdate", "submitdate"}
    assert codes == expected
