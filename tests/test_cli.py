"""The `nrel` command line."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import nrel_research as nr
from nrel_research import cli


def run(capsys, *argv):
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_version(capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out.strip() == f"nrel_research {nr.__version__}"


def test_help_lists_every_subcommand(capsys):
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    out = capsys.readouterr().out
    for cmd in cli.COMMANDS:
        assert cmd.name in out


def test_no_subcommand_prints_help_and_fails(capsys):
    code, out, _ = run(capsys)
    assert code == 2 and "usage: nrel" in out


def test_framework_table(capsys):
    code, out, _ = run(capsys, "framework")
    assert code == 0
    for c in nr.framework.load().codes:
        assert f"\n  {c} " in out or f"\n{c} " in out
    assert "Suppliers & business partners" in out and "10.1016/j.jik.2016.01.003" in out


def test_framework_csv_and_json_have_every_column(capsys):
    code, out, _ = run(capsys, "framework", "--format", "csv")
    assert code == 0
    df = pd.read_csv(io.StringIO(out))
    pd.testing.assert_frame_equal(df, nr.framework.load().to_frame(), check_dtype=False)
    code, out, _ = run(capsys, "framework", "propositions", "--format", "json")
    assert code == 0
    records = json.loads(out)
    assert [r["id"] for r in records] == [f"P{i}" for i in range(1, 9)]


def test_framework_markdown(capsys):
    code, out, _ = run(capsys, "framework", "network", "--format", "markdown")
    assert code == 0
    lines = out.strip().splitlines()
    assert lines[0] == "| dimension_name | measure_name | source |"
    assert len(lines) == 2 + 14


def test_framework_bad_file_is_a_clear_error(capsys, tmp_path):
    bad = tmp_path / "fw.yaml"
    bad.write_text(
        nr.framework.default_path().read_text(encoding="utf-8").replace("code: L1", "code: R1"),
        encoding="utf-8",
    )
    code, out, err = run(capsys, "framework", "--file", str(bad))
    assert code == 2 and out == ""
    assert err.startswith("nrel framework: error: framework file")
    assert "code 'R1' does not fit its category 'L'" in err


def test_reproduce_missing_folder_is_a_clear_error(capsys, tmp_path):
    code, _, err = run(capsys, "reproduce", "--notebooks", str(tmp_path / "none"))
    assert code == 2 and "notebook folder" in err and "does not exist" in err


def test_installed_console_script():
    script = Path(sys.executable).parent / "nrel"
    assert script.exists(), "the `nrel` entry point is not installed; run `make install`"
    res = subprocess.run([str(script), "framework", "categories"], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    assert "Representation" in res.stdout and "Listening" in res.stdout


def test_survey_items_and_build(tmp_path, capsys):
    assert cli.main(["survey", "items"]) == 0
    out = capsys.readouterr().out
    assert "marketing_performance" in out and "E7" in out
    assert cli.main(["survey", "build", "--format", "xlsform,redcap", "--lang", "en,es",
                     "--constructs", "E7,outcomes", "--out", str(tmp_path)]) == 0  # fmt: skip
    captured = capsys.readouterr()
    assert "Spanish (es) translation is a draft" in captured.err
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == [
        "nrel_survey.xlsx",
        "nrel_survey_data_dictionary.csv",
        "nrel_survey_redcap_en.csv",
        "nrel_survey_redcap_es.csv",
        "nrel_survey_schema.json",
    ]
    assert cli.main(["survey", "build", "--lang", "de", "--out", str(tmp_path)]) == 2
    assert "unknown language 'de'" in capsys.readouterr().err
    assert cli.main(["survey", "build", "--constructs", "R9", "--out", str(tmp_path)]) == 2
    assert "unknown construct 'R9'" in capsys.readouterr().err
