"""The committed surveys/ files are exactly what the item bank generates (no drift)."""

from __future__ import annotations

import warnings

from openpyxl import load_workbook

from nrel_research import cli
from nrel_research.exceptions import TranslationWarning

COMMAND = ["survey", "build", "--lang", "en,es,fa,el", "--out"]


def cells(path):
    wb = load_workbook(path, read_only=True)
    out = {ws.title: [tuple(r) for r in ws.iter_rows(values_only=True)] for ws in wb}
    wb.close()
    return out


def test_surveys_folder_matches_a_fresh_build(root, tmp_path, capsys):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TranslationWarning)
        assert cli.main([*COMMAND, str(tmp_path)]) == 0
    capsys.readouterr()
    committed = {p.name for p in (root / "surveys").iterdir() if p.name != "README.md"}
    fresh = {p.name for p in tmp_path.iterdir()}
    assert committed == fresh, (
        f"surveys/ is stale: missing {sorted(fresh - committed)}, extra "
        f"{sorted(committed - fresh)}; run: nrel survey build --lang en,es,fa,el --out surveys"
    )
    stale = []
    for name in sorted(fresh):
        new, old = tmp_path / name, root / "surveys" / name
        if name.endswith(".xlsx"):
            if cells(new) != cells(old):
                stale.append(name)
        elif new.read_bytes() != old.read_bytes():
            stale.append(name)
    assert not stale, (
        f"surveys/ files drifted from the item bank: {stale}; regenerate with "
        "`nrel survey build --lang en,es,fa,el --out surveys` and commit"
    )
    # the committed XLSForm is byte-deterministic too
    assert (tmp_path / "nrel_survey.xlsx").read_bytes() == (
        root / "surveys" / "nrel_survey.xlsx"
    ).read_bytes()
