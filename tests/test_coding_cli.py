"""`nrel code ...` commands."""

from __future__ import annotations

import io

import openpyxl
import pandas as pd

from nrel_research import cli

POSTS = """post_id,language,text,code
p1,en,GIVEAWAY: tag two friends to win a weekend away,E4
p2,en,Summer sale: 30% off everything this weekend,R2
p3,es,Encuesta: ¿con qué frecuencia compras online?,L1
p4,el,Μεγάλες εκπτώσεις έως 50%,R2
p5,fa,مسابقه! دوستان‌تان را تگ کنید و برنده شوید,E4
p6,en,Quick poll: where do you read the news?,L1
"""
CODINGS = "post_id,coder,code\np1,a,E4\np1,b,E4\np2,a,R2\np2,b,R1\np3,a,L1\np3,b,L1\n"


def test_manual_and_sheet(tmp_path, capsys):
    assert cli.main(["code", "manual", "--out", str(tmp_path / "m")]) == 0
    assert (tmp_path / "m" / "coder_manual.md").read_text(encoding="utf-8").startswith("# N-REL")
    posts = tmp_path / "posts.csv"
    posts.write_text(POSTS, encoding="utf-8")
    assert cli.main(["code", "sheet", str(posts), "--out", str(tmp_path / "s.xlsx")]) == 0
    ws = openpyxl.load_workbook(tmp_path / "s.xlsx")["coding"]
    assert ws.max_row == 7 and ws.cell(row=2, column=1).value == "p1"
    assert "wrote" in capsys.readouterr().out


def test_reliability(tmp_path, capsys):
    path = tmp_path / "codings.csv"
    path.write_text(CODINGS, encoding="utf-8")
    dis = tmp_path / "dis.csv"
    args = ["code", "reliability", str(path), "--n-boot", "100", "--format", "csv"]
    assert cli.main([*args, "--disagreements", str(dis)]) == 0
    captured = capsys.readouterr()
    table = pd.read_csv(io.StringIO(captured.out))
    assert "warning: per-code alpha rests on few units" in captured.err
    assert {"krippendorff_alpha", "cohen_kappa"} <= set(table.statistic)
    assert pd.read_csv(dis).post_id.tolist() == ["p2"]
    assert path.read_text(encoding="utf-8") == CODINGS  # read, never rewritten


def test_reliability_bad_file_is_a_clean_error(tmp_path, capsys):
    path = tmp_path / "codings.csv"
    path.write_text(CODINGS.replace("L1\np3,b", "X9\np3,b"), encoding="utf-8")
    assert cli.main(["code", "reliability", str(path)]) == 2
    err = capsys.readouterr().err
    assert "row 6, column 'code', value 'X9': unknown code" in err


def test_auto_dictionary_and_supervised(tmp_path, capsys):
    posts = tmp_path / "posts.csv"
    posts.write_text(POSTS, encoding="utf-8")
    out = tmp_path / "coded.csv"
    assert cli.main(["code", "auto", str(posts), "--out", str(out)]) == 0
    coded = pd.read_csv(out)
    assert coded.code.tolist() == ["E4", "R2", "L1", "R2", "E4", "L1"]
    assert coded.rules.str.len().gt(0).all()
    model = tmp_path / "m.skops"
    args = ["code", "auto", str(posts), "--model", "supervised", "--train", str(posts)]
    assert cli.main([*args, "--save-model", str(model), "--out", str(tmp_path / "s.csv")]) == 0
    again = ["code", "auto", str(posts), "--model", "supervised", "--model-file", str(model)]
    assert cli.main([*again, "--out", str(tmp_path / "s2.csv")]) == 0
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "s.csv"), pd.read_csv(tmp_path / "s2.csv"))
    assert posts.read_text(encoding="utf-8") == POSTS


def test_auto_errors(tmp_path, capsys):
    posts = tmp_path / "posts.csv"
    posts.write_text(POSTS, encoding="utf-8")
    assert cli.main(["code", "auto", str(posts), "--out", str(posts)]) == 2
    assert "is the input file" in capsys.readouterr().err
    assert cli.main(["code", "auto", str(posts), "--model", "supervised", "--out", "x.csv"]) == 2
    assert "needs --train FILE" in capsys.readouterr().err
    assert posts.read_text(encoding="utf-8") == POSTS


def test_auto_shows_a_progress_bar_on_large_files(tmp_path, capsys):
    n = 10_500
    posts = tmp_path / "big.csv"
    pd.DataFrame(
        {"post_id": [f"p{i}" for i in range(n)], "text": ["Summer sale: 30% off"] * n}
    ).to_csv(posts, index=False)
    assert cli.main(["code", "auto", str(posts), "--out", str(tmp_path / "o.csv")]) == 0
    err = capsys.readouterr().err
    assert "coding: 100%" in err and f"{n}/{n}" in err
    assert (
        cli.main(["code", "auto", str(posts), "--out", str(tmp_path / "o.csv"), "--no-progress"])
        == 0
    )
    assert "coding:" not in capsys.readouterr().err
