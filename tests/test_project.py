"""Project-level promises: layout, environment files in step, README current, CI, layering."""

from __future__ import annotations

import ast
import os
import re
import tomllib

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

import nrel_research as nr
from nrel_research import cli


@pytest.fixture(scope="module")
def pyproject(root):
    return tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))


def test_layout(root):
    for d in (
        "nrel_research",
        "notebooks",
        "data",
        "surveys",
        "papers",
        "tests",
        "tests/reference",
    ):
        assert (root / d).is_dir(), d
    for f in (
        "environment.yml",
        "README.md",
        "pyproject.toml",
        "Makefile",
        ".ci/run",
        "CHANGELOG.md",
        "CITATION.cff",
        "LICENSE",
        "constraints.txt",
    ):
        assert (root / f).is_file(), f


def test_environment_yml_matches_pyproject(root, pyproject):
    env = yaml.safe_load((root / "environment.yml").read_text(encoding="utf-8"))
    conda = [d for d in env["dependencies"] if isinstance(d, str)]
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    python = next(d for d in conda if d.startswith("python"))
    assert python.removeprefix("python") == pyproject["project"]["requires-python"]
    assert "pip" in conda
    assert "-e .[dev]" in pip and "-c constraints.txt" in pip
    listed = {str(Requirement(r)) for r in pip if not r.startswith("-")}
    declared = {str(Requirement(r)) for r in pyproject["project"]["dependencies"]}
    assert listed == declared, (
        f"environment.yml and pyproject.toml disagree: only in environment.yml "
        f"{sorted(listed - declared)}, only in pyproject.toml {sorted(declared - listed)}"
    )


def test_constraints_pin_every_dependency_within_its_range(root, pyproject):
    pins = {}
    for line in (root / "constraints.txt").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            req = Requirement(line)
            (spec,) = req.specifier
            assert spec.operator == "==", f"constraints.txt must pin with ==: {line}"
            pins[canonicalize_name(req.name)] = spec.version
    declared = (
        pyproject["project"]["dependencies"] + pyproject["project"]["optional-dependencies"]["dev"]
    )
    for r in map(Requirement, declared):
        name = canonicalize_name(r.name)
        assert name in pins, f"{r.name} is not pinned in constraints.txt (run make lock)"
        assert r.specifier.contains(pins[name], prereleases=True), (r, pins[name])


def test_version_is_single_sourced(root):
    cff = yaml.safe_load((root / "CITATION.cff").read_text(encoding="utf-8"))
    assert cff["version"] == nr.__version__
    assert cff["license"] == "GPL-3.0-or-later"
    assert f"## [{nr.__version__}]" in (root / "CHANGELOG.md").read_text(encoding="utf-8")


def test_licence_is_gpl3_or_later(root, pyproject):
    assert pyproject["project"]["license"] == "GPL-3.0-or-later"
    assert "GNU GENERAL PUBLIC LICENSE" in (root / "LICENSE").read_text(encoding="utf-8")[:200]


def test_ci_runs_make_test(root):
    run = root / ".ci" / "run"
    text = run.read_text(encoding="utf-8")
    assert re.search(r"^make test", text, re.M)
    assert "set -euo pipefail" in text
    assert os.access(run, os.X_OK)
    readme = (root / "README.md").read_text(encoding="utf-8")
    assert "make reproduce" in readme and "make test" in readme
    assert re.search(r"^reproduce:", (root / "Makefile").read_text(encoding="utf-8"), re.M)


def test_readme_taxonomy_table_is_generated_from_the_framework(root, capsys):
    readme = (root / "README.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- taxonomy:start.*?-->\n(.*?)<!-- taxonomy:end -->", readme, re.S)
    assert block, "README.md lost its taxonomy markers"
    assert cli.main(["framework", "--format", "markdown"]) == 0
    expected = capsys.readouterr().out
    assert block.group(1) == expected, (
        "README taxonomy table is stale: paste the output of `nrel framework --format markdown`"
    )


def test_readme_lists_every_notebook(root):
    readme = (root / "README.md").read_text(encoding="utf-8")
    for nb in sorted((root / "notebooks").glob("*.ipynb")):
        assert f"`{nb.name}`" in readme, f"README notebook table lacks {nb.name}"


# Dependencies run one way: framework data -> instruments and coding -> data -> analysis ->
# report/CLI. The SEM engine is generic and knows nothing of N-REL. Nothing imports the CLI.
LAYERS = {
    "_version": 0,
    "exceptions": 0,
    "_validation": 1,
    "_yaml": 1,
    "datasets": 2,
    "framework": 2,
    "sem": 2,
    "instruments": 3,
    "coding": 3,
    "data": 4,
    "analysis": 5,
    "report": 6,
    "reproduce": 6,
    "cli": 7,
}


def _imports(path, package_parts):
    """Top-level nrel_research submodules imported by one module file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == "nrel_research" and len(parts) > 1:
                    found.add(parts[1])
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package_parts[: len(package_parts) - node.level + 1]
                mod = base + (node.module.split(".") if node.module else [])
                if len(mod) > 1:
                    found.add(mod[1])
                else:  # from . import x
                    found.update(a.name for a in node.names)
            elif node.module and node.module.startswith("nrel_research."):
                found.add(node.module.split(".")[1])
            elif node.module == "nrel_research":
                found.update(a.name for a in node.names)
    return found


def test_dependency_direction(root):
    pkg = root / "nrel_research"
    problems = []
    for path in pkg.rglob("*.py"):
        rel = path.relative_to(root).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
            package_parts = parts
        else:
            package_parts = parts[:-1]
        if len(parts) == 1:  # nrel_research/__init__.py re-exports the public modules
            continue
        top = parts[1]
        assert top in LAYERS, f"assign a layer to nrel_research.{top} in tests/test_project.py"
        for target in _imports(path, package_parts):
            if target == top or target not in LAYERS:
                continue
            if target == "cli" or LAYERS[target] >= LAYERS[top]:
                problems.append(f"{path.relative_to(root)} imports nrel_research.{target}")
    assert not problems, "imports against the dependency order:\n" + "\n".join(problems)


def test_import_scanner_sees_relative_and_absolute_imports(tmp_path):
    mod = tmp_path / "model.py"
    mod.write_text(
        "from ..framework import load\nfrom . import fit\nimport nrel_research.cli\n"
        "from nrel_research.data import read\nfrom nrel_research import coding\n"
    )
    found = _imports(mod, ["nrel_research", "sem"])
    assert found == {"framework", "sem", "cli", "data", "coding"}


def test_every_package_data_file_is_shipped(root, pyproject):
    """Non-Python files inside the package must match a package-data pattern, or wheels lack them.

    Package discovery in pyproject.toml includes namespace packages, so every folder under
    nrel_research/ is a package and the patterns apply to file names in each folder.
    """
    import fnmatch

    assert pyproject["tool"]["setuptools"]["packages"]["find"].get("namespaces", True)
    patterns = pyproject["tool"]["setuptools"]["package-data"]["*"]
    missing = [
        path.relative_to(root).as_posix()
        for path in (root / "nrel_research").rglob("*")
        if path.is_file()
        and path.suffix not in {".py", ".pyc"}
        and "__pycache__" not in path.parts
        and not any(fnmatch.fnmatch(path.name, p) for p in patterns)
    ]
    assert not missing, f"add package-data patterns in pyproject.toml for: {missing}"
