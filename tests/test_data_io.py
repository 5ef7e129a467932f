"""Reading and writing survey exports: every format, round trips, and every bad input."""

from __future__ import annotations

import csv
import io
import json
import re

import pandas as pd
import pytest

from nrel_research import data, instruments
from nrel_research.exceptions import DataError

FORMATS = [
    ("csv", "csv"),
    ("xlsx", "xlsx"),
    ("spss", "sav"),
    ("qualtrics", "csv"),
    ("limesurvey", "csv"),
    ("kobo", "csv"),
]


@pytest.fixture(scope="module")
def demo():
    return data.demo_responses(24, seed=7)


@pytest.fixture(scope="module")
def small_inst():
    return instruments.build(["E7", "social_media_mix", "paradata"], randomize_within_blocks=False)


@pytest.mark.parametrize(("source", "ext"), FORMATS)
def test_round_trip_every_format(tmp_path, demo, source, ext):
    path = data.write_responses(demo, tmp_path / f"export.{ext}", source)
    before = data.file_sha256(path)
    assert data.detect_source(path) == source
    back, report = data.read_responses(path)
    pd.testing.assert_frame_equal(back, demo)
    assert back.attrs["source"]["format"] == source
    assert back.attrs["source"]["sha256"] == before
    assert not (report["status"] == "unmapped").any()
    assert data.file_sha256(path) == before  # the input file is never modified


def test_qualtrics_layout(tmp_path, demo):
    path = data.write_responses(demo, tmp_path / "q.csv", "qualtrics")
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    header = lines[0].split(",")
    assert header[:3] == ["StartDate", "EndDate", "Status"]
    assert json.loads(pd.read_csv(path, header=None, nrows=3).iloc[2, 0]) == {
        "ImportId": "startDate",
        "timeZone": "UTC",
    }
    # string-coded choices are exported as positions (Qualtrics recodes are numeric)
    raw = pd.read_csv(path, skiprows=[1, 2], dtype=str)
    assert set(raw["sector"].dropna()) <= {str(k) for k in range(1, 23)}
    back, report = data.read_responses(path)
    assert (back["sector"] == demo["sector"]).all()
    assert report.set_index("column").loc["sector", "status"] == "translated"


def test_qualtrics_split_multiselect_columns(tmp_path, small_inst):
    rows = [
        ["StartDate", "EndDate", "ResponseId", "consent", "market_type", "smx_platforms_1",
         "smx_platforms_3", "e7_1"],
        ["Start Date", "End Date", "Response ID", "Consent", "Market", "Platforms - Facebook",
         "Platforms - LinkedIn", "E7"],
        [json.dumps(d) for d in (
            {"ImportId": "startDate"}, {"ImportId": "endDate"}, {"ImportId": "_recordId"},
            {"ImportId": "QID1"}, {"ImportId": "QID2"}, {"ImportId": "QID3", "choiceId": "1"},
            {"ImportId": "QID3", "choiceId": "3"}, {"ImportId": "QID4"},
        )],
        ["2026-01-01 10:00:00", "2026-01-01 10:20:00", "R_1", "1", "1", "1", "", "5"],
    ]  # fmt: skip
    buf = io.StringIO()
    csv.writer(buf).writerows(rows)
    text = buf.getvalue()
    p = tmp_path / "split.csv"
    p.write_text(text, encoding="utf-8")
    df, _report = data.read_responses(p, small_inst, strict_columns=False)
    # an export without the 0 recode: blank next to a selected choice is "not selected"
    assert df.loc[0, "smx_platforms_fb"] == 1 and df.loc[0, "smx_platforms_li"] == 0
    assert df.loc[0, "e7_1"] == 5
    assert df.loc[0, "start_time"] == pd.Timestamp("2026-01-01 10:00:00")


def test_limesurvey_bracket_and_underscore_codes(tmp_path, small_inst):
    p = tmp_path / "ls.csv"
    p.write_text(
        "id,submitdate,startdate,consent,markettype,smxplatforms[fb],smxplatforms_ig,e71\n"
        "7,2026-01-01 10:20:00,2026-01-01 10:00:00,1,3,Y,,6\n",
        encoding="utf-8",
    )
    df, _ = data.read_responses(p, small_inst, strict_columns=False)
    assert data.detect_source(p, small_inst) == "limesurvey"
    assert (df.loc[0, "smx_platforms_fb"], df.loc[0, "smx_platforms_ig"]) == (1, 0)
    assert df.loc[0, "response_id"] == "7" and df.loc[0, "e7_1"] == 6


def _qualtrics_split_export(tmp_path, cells):
    """A Qualtrics export (split columns) of smx_platforms; one response per row of cells."""
    n = 7
    header = ["StartDate", "ResponseId", "consent", "market_type"]
    header += [f"smx_platforms_{k}" for k in range(1, n + 1)]
    imports = [{"ImportId": "startDate"}, {"ImportId": "_recordId"}, {"ImportId": "QID1"},
               {"ImportId": "QID2"}]  # fmt: skip
    imports += [{"ImportId": "QID3", "choiceId": str(k)} for k in range(1, n + 1)]
    rows = [header, header, [json.dumps(d) for d in imports]]
    for i, opts in enumerate(cells):
        rows.append(["2026-01-01 10:00:00", f"R_{i}", "1", "1", *opts])
    buf = io.StringIO()
    csv.writer(buf).writerows(rows)
    p = tmp_path / "split.csv"
    p.write_text(buf.getvalue(), encoding="utf-8")
    return p


PLATFORMS = ["smx_platforms_fb", "smx_platforms_ig", "smx_platforms_li", "smx_platforms_x",
             "smx_platforms_yt", "smx_platforms_tt", "smx_platforms_oth"]  # fmt: skip


@pytest.mark.parametrize("unselected", ["0", "-99"])
def test_qualtrics_seen_but_unanswered_recode(tmp_path, small_inst, unselected):
    """With "Recode seen but unanswered multi-value fields as 0" (or only the -99 recode,
    which multi-value fields then inherit), blank means not shown: read exactly."""
    u = unselected
    p = _qualtrics_split_export(tmp_path, [["1", u, u, u, u, u, "1"], [u] * 7, [""] * 7])
    df, report = data.read_responses(p, small_inst, strict_columns=False)
    assert df.loc[0, PLATFORMS].tolist() == [1, 0, 0, 0, 0, 0, 1]
    assert df.loc[1, PLATFORMS].tolist() == [0] * 7  # shown, none selected
    assert df.loc[2, PLATFORMS].isna().all()  # not shown
    assert not (report["status"] == "ambiguous").any()


def test_qualtrics_export_without_the_recode_reports_the_ambiguity(tmp_path, small_inst):
    p = _qualtrics_split_export(tmp_path, [["1", "", "", "", "", "", ""], [""] * 7, [""] * 7])
    df, report = data.read_responses(p, small_inst, strict_columns=False)
    assert df.loc[0, PLATFORMS].tolist() == [1, 0, 0, 0, 0, 0, 0]
    assert df.loc[1:, PLATFORMS].isna().all().all()
    amb = report[report["status"] == "ambiguous"]
    assert amb["column"].tolist() == ["smx_platforms"]
    detail = amb["detail"].iloc[0]
    assert detail.startswith("2 response(s) have no option of 'smx_platforms' selected")
    assert "'Recode seen but unanswered multi-value fields as 0'" in detail


def test_qualtrics_one_column_multivalue_field(tmp_path, demo):
    """The one-column layout ("Split multi-value fields into columns" unticked): selected
    choices comma-separated; -99 is seen with nothing selected; blank is ambiguous."""
    path = data.write_responses(demo.head(3), tmp_path / "q.csv", "qualtrics")
    with path.open(encoding="utf-8-sig") as fh:
        rows = list(csv.reader(fh))
    cols = [k for k, h in enumerate(rows[0]) if re.fullmatch(r"smx_platforms_\d+", h)]
    keep = [k for k in range(len(rows[0])) if k not in cols[1:]]
    one = [[r[k] for k in keep] for r in rows]
    pos = keep.index(cols[0])
    one[0][pos], one[2][pos] = "smx_platforms", '{"ImportId":"QID99"}'
    one[3][pos], one[4][pos], one[5][pos] = "1,3", "", ""
    p = tmp_path / "one.csv"
    with p.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(one)
    df, report = data.read_responses(p)
    assert df.loc[0, PLATFORMS].tolist() == [1, 0, 1, 0, 0, 0, 0]
    assert df.loc[1:, PLATFORMS].isna().all().all()
    assert report.loc[report["status"] == "ambiguous", "column"].tolist() == ["smx_platforms"]
    one[4][pos] = "-99"
    with p.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(one)
    df, report = data.read_responses(p)
    assert df.loc[1, PLATFORMS].tolist() == [0] * 7 and df.loc[2, PLATFORMS].isna().all()
    assert not (report["status"] == "ambiguous").any()


def _limesurvey_export(tmp_path, cells):
    header = "id,submitdate,startdate,consent,markettype," + ",".join(
        f"smxplatforms[{c}]" for c in ("fb", "ig", "li", "x", "yt", "tt", "oth")
    )
    lines = [header] + [
        f"{i},2026-01-01 10:20:00,2026-01-01 10:00:00,1,3," + ",".join(opts)
        for i, opts in enumerate(cells, start=1)
    ]
    p = tmp_path / "ls.csv"
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return p


def test_limesurvey_convert_n_export_is_read_exactly(tmp_path, small_inst):
    """'Convert N to: N': unticked options of a shown question are N, not shown is empty."""
    p = _limesurvey_export(tmp_path, [["Y", "N", "N", "N", "N", "N", "Y"], ["N"] * 7, [""] * 7])
    df, report = data.read_responses(p, small_inst, strict_columns=False)
    assert df.loc[0, PLATFORMS].tolist() == [1, 0, 0, 0, 0, 0, 1]
    assert df.loc[1, PLATFORMS].tolist() == [0] * 7
    assert df.loc[2, PLATFORMS].isna().all()
    assert not (report["status"] == "ambiguous").any()


def test_limesurvey_plain_export_reports_the_ambiguity(tmp_path, small_inst):
    p = _limesurvey_export(tmp_path, [["Y", "", "", "", "", "", ""], [""] * 7])
    df, report = data.read_responses(p, small_inst, strict_columns=False)
    assert df.loc[0, PLATFORMS].tolist() == [1, 0, 0, 0, 0, 0, 0]
    assert df.loc[1, PLATFORMS].isna().all()
    detail = report.loc[report["status"] == "ambiguous", "detail"].tolist()
    assert len(detail) == 1 and "'Convert N to:' set to N" in detail[0]


def test_kobo_odk_central_separator(tmp_path, small_inst):
    p = tmp_path / "odk.csv"
    p.write_text(
        "SubmissionDate,consent_block-consent,firm_profile_block-market_type,"
        "social_media_mix_block-smx_platforms,engagement_block-e7_1,meta-instanceID,KEY\n"
        "2026-01-01,1,1,fb yt,4,uuid:1,uuid:1\n",
        encoding="utf-8",
    )
    df, _report = data.read_responses(p, small_inst, strict_columns=False)
    assert data.detect_source(p, small_inst) == "kobo"
    assert df.loc[0, "smx_platforms_yt"] == 1 and df.loc[0, "smx_platforms_ig"] == 0
    assert df.loc[0, "e7_1"] == 4


def test_spss_keeps_value_labels(tmp_path, demo):
    path = data.write_responses(demo, tmp_path / "x.sav", "spss")
    df, report = data.read_responses(path)
    assert df.attrs["value_labels"]["market_type"][2.0].startswith("Mainly to consumers")
    assert df.attrs["value_labels"]["sector"]["C"].endswith("Manufacturing")
    assert not (report["status"] == "labels_differ").any()


def test_choice_labels_are_translated_and_reported(tmp_path, small_inst):
    p = tmp_path / "labels.csv"
    p.write_text(
        "response_id,consent,market_type,e7_1\nA,Yes,Mainly to other businesses (B2B),7\n",
        encoding="utf-8",
    )
    df, report = data.read_responses(p, small_inst)
    assert (df.loc[0, "consent"], df.loc[0, "market_type"]) == (1, 1)
    assert set(report.loc[report["status"] == "translated", "name"]) == {"consent", "market_type"}


# -- bad input ---------------------------------------------------------------------------------
def test_input_files_are_never_modified(tmp_path, demo):
    hashes = {}
    for source, ext in FORMATS:
        p = data.write_responses(demo, tmp_path / f"{source}.{ext}", source)
        hashes[p] = data.file_sha256(p)
    for p, h in hashes.items():
        data.read_responses(p)
        data.validate(data.read_responses(p)[0])
        assert data.file_sha256(p) == h


def test_non_utf8_file_needs_an_explicit_encoding(tmp_path, small_inst):
    p = tmp_path / "latin.csv"
    p.write_bytes("response_id,consent,market_type,e7_1\nÁ1,1,1,5\n".encode("cp1252"))
    with pytest.raises(DataError, match=r"not UTF-8.*row 2.*encoding='cp1252'"):
        data.read_responses(p, small_inst)
    df, _ = data.read_responses(p, small_inst, encoding="cp1252")
    assert df.loc[0, "response_id"] == "Á1"


def test_empty_file(tmp_path):
    p = tmp_path / "empty.csv"
    p.write_text("", encoding="utf-8")
    with pytest.raises(DataError, match=r"empty\.csv' is empty"):
        data.read_responses(p)


def test_header_only_file(tmp_path, small_inst):
    p = tmp_path / "header.csv"
    p.write_text("response_id,consent,market_type,e7_1\n", encoding="utf-8")
    with pytest.raises(DataError, match="only the header"):
        data.read_responses(p, small_inst)


def test_header_only_qualtrics(tmp_path, demo):
    full = data.write_responses(demo, tmp_path / "q.csv", "qualtrics")
    lines = full.read_text(encoding="utf-8-sig").splitlines()[:3]
    p = tmp_path / "q_header.csv"
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(DataError, match="only the header"):
        data.read_responses(p)


@pytest.mark.parametrize("name", ["responses.json", "responses.pdf", "responses"])
def test_wrong_file_type(tmp_path, name):
    p = tmp_path / name
    p.write_text("{}", encoding="utf-8")
    with pytest.raises(DataError, match="unsupported type"):
        data.read_responses(p)


def test_binary_file_with_csv_suffix(tmp_path):
    p = tmp_path / "fake.csv"
    p.write_bytes(b"PK\x03\x04\x00\x00binary")
    with pytest.raises(DataError, match="binary"):
        data.read_responses(p)


def test_corrupt_sav(tmp_path):
    p = tmp_path / "bad.sav"
    p.write_bytes(b"not spss at all")
    with pytest.raises(DataError, match="not a readable SPSS"):
        data.read_responses(p)


def test_text_in_numeric_item_names_file_row_column_value(tmp_path, small_inst):
    p = tmp_path / "text.csv"
    p.write_text(
        "response_id,consent,market_type,e7_1\nA,1,1,5\nB,1,1,very much\n", encoding="utf-8"
    )
    with pytest.raises(
        DataError, match=r"file 'text.csv', column 'e7_1'.*row 3, value 'very much'"
    ):
        data.read_responses(p, small_inst)
    df, report = data.read_responses(p, small_inst, errors="keep")
    assert report.set_index("name").loc["e7_1", "status"] == "type_error"
    problems = data.validate(df, small_inst)
    row = problems[problems["check"] == "type"].iloc[0]
    assert (row["row"], row["respondent_id"], row["column"], row["value"]) == (
        1,
        "B",
        "e7_1",
        "very much",
    )


def test_missing_required_columns(tmp_path, small_inst):
    p = tmp_path / "noreq.csv"
    p.write_text("response_id,consent,e7_1\nA,1,5\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"lacks the required variable.*'market_type'"):
        data.read_responses(p, small_inst)


def test_export_of_another_instrument_version(tmp_path, small_inst):
    p = tmp_path / "old.csv"
    p.write_text(
        "response_id,consent,market_type,e7_1,e7_2_old,e7_9\nA,1,1,5,3,4\n", encoding="utf-8"
    )
    with pytest.raises(DataError, match=r"does not match this instrument version.*'e7_2_old'"):
        data.read_responses(p, small_inst)
    _df, report = data.read_responses(p, small_inst, strict_columns=False)
    assert set(report.loc[report["status"] == "unmapped", "column"]) == {"e7_2_old", "e7_9"}
    assert "e7_2" in set(report.loc[report["status"] == "missing", "name"])


def test_file_of_another_survey(tmp_path):
    p = tmp_path / "other.csv"
    p.write_text("a,b,c\n1,2,3\n", encoding="utf-8")
    with pytest.raises(DataError, match="none of its columns matches"):
        data.read_responses(p)


def test_duplicate_column_and_ragged_rows(tmp_path, small_inst):
    p = tmp_path / "dup.csv"
    p.write_text("response_id,consent,consent\nA,1,1\n", encoding="utf-8")
    with pytest.raises(DataError, match="occurs twice"):
        data.read_responses(p, small_inst)
    p.write_text("response_id,consent,market_type\nA,1,1,9\n", encoding="utf-8")
    with pytest.raises(DataError, match="row 2: 4 fields where the header has 3"):
        data.read_responses(p, small_inst)


def test_unknown_multiselect_option_is_an_error(tmp_path, small_inst):
    p = tmp_path / "kobo.csv"
    p.write_text(
        "consent_block/consent;firm_profile_block/market_type;"
        "social_media_mix_block/smx_platforms;_uuid\n1;1;fb myspace;u1\n",
        encoding="utf-8",
    )
    with pytest.raises(DataError, match=r"row 2.*\['myspace'\] are not codes"):
        data.read_responses(p, small_inst, strict_columns=False)


def test_bad_arguments(tmp_path, demo):
    with pytest.raises(DataError, match="does not exist"):
        data.read_responses(tmp_path / "nope.csv")
    p = data.write_responses(demo, tmp_path / "x.csv", "csv")
    with pytest.raises(DataError, match="source='sas' is not valid"):
        data.read_responses(p, source="sas")
    with pytest.raises(DataError, match="not an Excel workbook"):
        data.read_responses(p, source="xlsx")


def test_kobo_xlsx_export(tmp_path, demo):
    from openpyxl import Workbook

    csv_path = data.write_responses(demo, tmp_path / "kobo.csv", "kobo")
    with csv_path.open(encoding="utf-8") as fh:
        rows = list(csv.reader(fh, delimiter=";"))
    wb = Workbook()
    for r in rows:
        wb.active.append(r)
    xlsx = tmp_path / "kobo.xlsx"
    wb.save(xlsx)
    assert data.detect_source(xlsx) == "kobo"
    back, _ = data.read_responses(xlsx)
    pd.testing.assert_frame_equal(back, demo)


def test_demo_responses_are_seeded():
    a = data.demo_responses(12, seed=3)
    pd.testing.assert_frame_equal(a, data.demo_responses(12, seed=3))
    assert not a.equals(data.demo_responses(12, seed=4))


def test_qualtrics_preview_and_unfinished_responses_are_reported(tmp_path, demo):
    path = data.write_responses(demo.head(4), tmp_path / "q.csv", "qualtrics")
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    status, finished = rows[0].index("Status"), rows[0].index("Finished")
    rows[4][status] = "1"  # the second response is a survey preview
    rows[6][finished] = "0"
    buf = io.StringIO()
    csv.writer(buf).writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")
    _, report = data.read_responses(path)
    detail = report.set_index("column")["detail"]
    assert "1 preview, test or spam responses (file rows 5)" in detail["Status"]
    assert "1 unfinished responses (file rows 7)" in detail["Finished"]


BAD_FILES = {
    # name: (bytes, what read_responses does: a DataError matching the pattern, or None)
    "latin.csv": ("response_id,consent,market_type,e7_1\nÁ1,1,1,5\n".encode("cp1252"), "not UTF-8"),
    "empty.csv": (b"", "is empty"),
    "header.csv": (b"response_id,consent,market_type,e7_1\n", "only the header"),
    "responses.json": (b"{}", "unsupported type"),
    "text.csv": (b"response_id,consent,market_type,e7_1\nA,1,1,very much\n", "'very much'"),
    "noreq.csv": (b"response_id,consent,e7_1\nA,1,5\n", "required variable"),
    "old.csv": (b"response_id,consent,market_type,e7_1,e7_9\nA,1,1,5,4\n", "instrument version"),
    "range.csv": (b"response_id,consent,market_type,e7_1\nA,1,1,8\nB,1,1,7\n", None),
    "dup.csv": (b"response_id,consent,market_type,e7_1\nA,1,1,5\nA,1,3,6\n", None),
}


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_bad_input_files_are_reported_and_never_modified(tmp_path, small_inst, name):
    content, error = BAD_FILES[name]
    p = tmp_path / name
    p.write_bytes(content)
    before = data.file_sha256(p)
    if error is not None:
        with pytest.raises(DataError, match=re.escape(error)):
            data.read_responses(p, small_inst)
    else:  # readable: validate() reports the problem with row, respondent id, column, value
        df, _ = data.read_responses(p, small_inst)
        report = data.validate(df, small_inst)
        got = report[["row", "respondent_id", "column", "value", "check"]].to_numpy().tolist()
        expected = {
            "range.csv": [[0, "A", "e7_1", 8, "range"]],
            "dup.csv": [[1, "A", "response_id", "A", "duplicate_id"]],
        }[name]
        assert got == expected
    assert data.file_sha256(p) == before
