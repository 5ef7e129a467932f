"""Readers for posts and coding files: clear errors naming file, row and value; no writes."""

from __future__ import annotations

import os
import re

import pandas as pd
import pytest

from nrel_research import coding
from nrel_research.exceptions import DataError


def write_csv(path, text, encoding="utf-8"):
    path.write_bytes(text.encode(encoding))
    return path


def test_reads_utf8_csv_with_bom_and_custom_columns(tmp_path):
    path = write_csv(tmp_path / "p.csv", "\ufeffid,message\n1,¡Oferta!\n2,نظرسنجی\n")
    posts = coding.read_posts(path, id="id", text="message")
    assert posts["message"].tolist() == ["¡Oferta!", "نظرسنجی"]
    assert posts["id"].tolist() == ["1", "2"]


def test_missing_named_column(tmp_path):
    path = write_csv(tmp_path / "p.csv", "post_id,body\n1,hi\n")
    with pytest.raises(
        DataError, match=r"file '.*p\.csv' lacks column\(s\) 'text'; available: post_id, body"
    ):
        coding.read_posts(path)


def test_empty_text_names_row_and_post(tmp_path):
    path = write_csv(tmp_path / "p.csv", "post_id,text\na,hello\nb,   \nc,x\n")
    with pytest.raises(
        DataError, match=r"p\.csv', row 3, column 'text' \(post 'b'\): the text is empty"
    ):
        coding.read_posts(path)
    assert len(coding.read_posts(path, allow_empty_text=True)) == 3


def test_duplicate_post_id(tmp_path):
    path = write_csv(tmp_path / "p.csv", "post_id,text\na,1\nb,2\na,3\n")
    with pytest.raises(
        DataError, match=r"row 4, column 'post_id', value 'a': the post id repeats row 2"
    ):
        coding.read_posts(path)


def test_non_utf8_file_names_row_and_bytes(tmp_path):
    path = write_csv(tmp_path / "p.csv", "post_id,text\na,ok\nb,Promoción\n", encoding="latin-1")
    with pytest.raises(
        DataError, match=re.escape("is not UTF-8: row 3 has the byte(s) b'\\xf3n\\n'")
    ):
        coding.read_posts(path)


def test_unknown_code_names_file_row_and_value(tmp_path):
    path = write_csv(tmp_path / "c.csv", "post_id,coder,code\n1,a,R1\n1,b,R3\n")
    with pytest.raises(DataError, match=r"c\.csv', row 3, column 'code', value 'R3': unknown code"):
        coding.read_codings(path)


def test_unit_coded_twice_by_same_coder(tmp_path):
    path = write_csv(tmp_path / "c.csv", "post_id,coder,code\n1,a,R1\n2,a,R2\n1,a,E4\n1,b,R1\n")
    with pytest.raises(
        DataError, match=r"rows 2, 4: unit '1' is coded more than once by coder 'a'"
    ):
        coding.read_codings(path)


def test_secondary_equal_to_primary(tmp_path):
    path = write_csv(tmp_path / "c.csv", "post_id,coder,code,secondary_code\n1,a,R1,R1\n")
    with pytest.raises(DataError, match="secondary code repeats the primary"):
        coding.read_codings(path, secondary="secondary_code")


def test_empty_code_is_missing_not_an_error(tmp_path):
    path = write_csv(tmp_path / "c.csv", "post_id,coder,code\n1,a,r1\n1,b,\n")
    got = coding.read_codings(path)
    assert got["code"].iloc[0] == "R1" and pd.isna(got["code"].iloc[1])


def test_dataframe_input_is_not_modified():
    frame = pd.DataFrame({"post_id": [1, 1], "coder": ["a", "b"], "code": ["r1", "R2"]})
    before = frame.copy()
    coding.read_codings(frame)
    pd.testing.assert_frame_equal(frame, before)
    with pytest.raises(DataError, match=r"data, row 3 \(index 1\), column 'code', value 'X'"):
        coding.read_codings(frame.assign(code=["R1", "X"]))


def test_files_are_read_never_rewritten(tmp_path):
    path = write_csv(tmp_path / "c.csv", "post_id,coder,code\n1,a,r1\n1,b,R2\n2,a,E4\n2,b,E4\n")
    posts = write_csv(tmp_path / "p.csv", "post_id,text\n1,Vote now\n2,Win a prize\n")
    stamp = {p: (p.read_bytes(), os.stat(p).st_mtime_ns) for p in (path, posts)}
    coding.read_codings(path)
    coding.reliability(path, n_boot=50, seed=1, min_units_per_code=1)
    coding.read_posts(posts)
    coding.DictionaryCoder().predict(coding.read_posts(posts))
    for p, (content, mtime) in stamp.items():
        assert p.read_bytes() == content and os.stat(p).st_mtime_ns == mtime


def test_missing_file():
    with pytest.raises(DataError, match="does not exist"):
        coding.read_posts("no/such/file.csv")
