"""Notebooks are stored clean, take the standard parameters, and run from a clean kernel."""

from __future__ import annotations

import json

import nbformat
import pytest

from nrel_research.exceptions import NrelError
from nrel_research.reproduce import discover_notebooks, run_notebooks


@pytest.fixture(scope="module")
def notebooks(root):
    found = discover_notebooks(root / "notebooks")
    assert found, "no notebooks found"
    return found


def test_notebooks_have_no_stored_outputs(notebooks):
    dirty = []
    for path in notebooks:
        nb = json.loads(path.read_text(encoding="utf-8"))
        for i, cell in enumerate(nb["cells"]):
            if cell["cell_type"] == "code" and (cell.get("outputs") or cell.get("execution_count")):
                dirty.append(f"{path.name} cell {i}")
    assert not dirty, f"strip outputs (jupyter nbconvert --clear-output --inplace): {dirty}"


def test_notebooks_take_fast_and_seed_parameters(notebooks):
    for path in notebooks:
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
        tagged = [c for c in nb.cells if "parameters" in c.get("metadata", {}).get("tags", [])]
        assert len(tagged) == 1, f"{path.name}: exactly one cell must be tagged 'parameters'"
        source = tagged[0].source
        assert "fast = False" in source and "seed = " in source, path.name


def test_notebooks_import_the_package_and_define_no_functions(notebooks):
    # Notebooks never re-implement package logic: no def/class in code cells.
    for path in notebooks:
        nb = nbformat.read(path, as_version=4)
        code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
        assert "import nrel_research" in code, path.name
        assert "\ndef " not in "\n" + code and "\nclass " not in "\n" + code, path.name


@pytest.mark.notebooks
def test_every_notebook_runs_from_a_clean_kernel(root, tmp_path, notebooks):
    lines = []
    table = run_notebooks(root / "notebooks", tmp_path, fast=True, progress=lines.append)
    failed = table[table["status"] != "ok"]
    assert failed.empty, "\n\n".join(f"{r.notebook}:\n{r.error}" for r in failed.itertuples())
    assert table["notebook"].tolist() == [p.name for p in notebooks]
    index = (tmp_path / "index.html").read_text(encoding="utf-8")
    for path in notebooks:
        assert (tmp_path / path.name).exists()
        assert (tmp_path / f"{path.stem}.html").exists()
        assert path.name in index
        executed = nbformat.read(tmp_path / path.name, as_version=4)
        injected = [
            c for c in executed.cells if "injected-parameters" in c.metadata.get("tags", [])
        ]
        assert injected and "fast = True" in injected[0].source
    assert lines[-1].startswith(f"nrel reproduce: {len(notebooks)} of {len(notebooks)}")
    # The source notebooks are untouched (still without outputs).
    test_notebooks_have_no_stored_outputs(notebooks)


def test_failing_notebook_is_reported_not_fatal(tmp_path):
    src = tmp_path / "nbs"
    src.mkdir()
    for name, code in (("01_ok.ipynb", "x = 1"), ("02_bad.ipynb", "raise ValueError('boom')")):
        nb = nbformat.v4.new_notebook()
        nb.cells = [
            nbformat.v4.new_code_cell("fast = False\nseed = 1", metadata={"tags": ["parameters"]}),
            nbformat.v4.new_code_cell(code),
        ]
        nb.metadata["kernelspec"] = {
            "name": "python3",
            "display_name": "Python 3",
            "language": "python",
        }
        nbformat.write(nb, src / name)
    table = run_notebooks(src, tmp_path / "out", fast=True, progress=None)
    assert table["status"].tolist() == ["ok", "failed"]
    assert "boom" in table.loc[1, "error"]
    assert "failed" in (tmp_path / "out" / "index.html").read_text(encoding="utf-8")


def test_discover_notebooks_errors(tmp_path):
    with pytest.raises(NrelError, match="does not exist"):
        discover_notebooks(tmp_path / "missing")
    with pytest.raises(NrelError, match=r"holds no \.ipynb file"):
        discover_notebooks(tmp_path)
