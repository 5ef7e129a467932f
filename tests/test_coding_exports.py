"""Coder manual and Excel coding sheet: generated from the codebook, reproducible."""

from __future__ import annotations

import hashlib

import openpyxl
import pandas as pd
import pytest

from nrel_research import coding
from nrel_research.exceptions import DataError


def test_manual_is_generated_from_the_codebook():
    cb = coding.load_codebook()
    md = coding.coder_manual(cb)
    html = coding.coder_manual(cb, format="html")
    for c in cb.codes_:
        assert f"### {c.code} - {c.name}" in md
        assert c.definition in md
        for e in c.positive_examples + c.negative_examples:
            assert e.text in md
        assert c.when_not_to_use[0] in md
    for r in cb.decision_rules:
        assert r.rule in md
    for v in cb.variables:
        assert f"| {v.name} |" in md
    assert "Listening (L1) is coded only from visible traces" in md
    assert html.startswith("<!DOCTYPE html>") and "<table>" in html and "&lt;" not in cb.title
    assert "ONLY from its visible traces" in html
    with pytest.raises(DataError, match="format='pdf'"):
        coding.coder_manual(cb, format="pdf")


def test_manual_regenerates_identically(tmp_path):
    a = coding.write_manual(tmp_path / "a")
    b = coding.write_manual(tmp_path / "b")
    assert [p.name for p in a] == ["coder_manual.md", "coder_manual.html"]
    for x, y in zip(a, b, strict=True):
        assert x.read_bytes() == y.read_bytes()


def test_manual_follows_an_edited_codebook(tmp_path):
    import yaml

    doc = yaml.safe_load(coding.default_codebook_path().read_text(encoding="utf-8"))
    doc["codes"][0]["when_to_use"].append("A brand-new inclusion rule.")
    path = tmp_path / "cb.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    md = coding.coder_manual(coding.load_codebook(path))
    assert "- A brand-new inclusion rule." in md


@pytest.fixture
def posts():
    return pd.DataFrame(
        {
            "post_id": ["p1", "p2", "p3"],
            "platform": ["x", "instagram", "linkedin"],
            "language": ["en", "fa", "el"],
            "text": ["Vote for the next flavour!", "مسابقه بزرگ", "Νέα συλλογή"],
            "likes": ["1", "2", "3"],
        }
    )


def test_coding_sheet_has_dropdowns_for_the_code_columns(tmp_path, posts):
    path = coding.coding_sheet(tmp_path / "sheet.xlsx", posts, coder="AB")
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["coding", "codes", "decision_rules", "instructions"]
    ws = wb["coding"]
    header = [c.value for c in ws[1]]
    assert header == [
        "post_id",
        "platform",
        "language",
        "text",
        "primary_code",
        "secondary_code",
        "coder",
        "notes",
    ]
    assert [ws.cell(row=i, column=4).value for i in (2, 3, 4)] == posts["text"].tolist()
    assert ws.cell(row=2, column=7).value == "AB"
    codes = [wb["codes"].cell(row=i, column=1).value for i in range(2, 12)]
    assert codes == list(coding.load_codebook().codes)
    validations = {str(dv.sqref): dv for dv in ws.data_validations.dataValidation}
    assert set(validations) == {"E2:E4", "F2:F4"}
    for dv in validations.values():
        assert dv.type == "list" and dv.formula1 == "=codes!$A$2:$A$11" and dv.showErrorMessage
    assert not validations["E2:E4"].allow_blank and validations["F2:F4"].allow_blank


def test_coding_sheet_regenerates_byte_for_byte(tmp_path, posts):
    a = coding.coding_sheet(tmp_path / "a.xlsx", posts)
    b = coding.coding_sheet(tmp_path / "b.xlsx", posts)
    assert hashlib.sha256(a.read_bytes()).digest() == hashlib.sha256(b.read_bytes()).digest()
    empty = coding.coding_sheet(tmp_path / "empty.xlsx")
    ws = openpyxl.load_workbook(empty)["coding"]
    assert {str(dv.sqref) for dv in ws.data_validations.dataValidation} == {"C2:C501", "D2:D501"}


def test_coding_sheet_can_be_read_back_as_codings(tmp_path, posts):
    path = coding.coding_sheet(tmp_path / "sheet.xlsx", posts, coder="AB")
    wb = openpyxl.load_workbook(path)
    ws = wb["coding"]
    for row, code in zip((2, 3, 4), ("E3", "E4", "R2"), strict=True):
        ws.cell(row=row, column=5).value = code
    wb.save(tmp_path / "filled.xlsx")
    codings = coding.read_codings(
        tmp_path / "filled.xlsx", code="primary_code", secondary="secondary_code"
    )
    assert codings["primary_code"].tolist() == ["E3", "E4", "R2"]
