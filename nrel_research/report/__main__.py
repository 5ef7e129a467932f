"""Regenerate the repository's ``papers/`` files: ``python -m nrel_research.report papers``.

Writes ``references.bib`` (:func:`~nrel_research.report.bibliography.write_bibtex`) and the
manuscript skeleton without results, ``manuscript_template.md`` and ``manuscript_template.tex``
(:func:`~nrel_research.report.manuscript.render_manuscript`); tests check the committed files
equal what this writes.
"""

from __future__ import annotations

import sys
from pathlib import Path

from .bibliography import write_bibtex
from .manuscript import render_manuscript


def write_papers(out_dir: str | Path) -> list[Path]:
    """Write references.bib and the manuscript template into ``out_dir``; return the paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    m = render_manuscript()
    md = out / "manuscript_template.md"
    tex = out / "manuscript_template.tex"
    md.write_text(m.markdown, encoding="utf-8")
    tex.write_text(m.latex, encoding="utf-8")
    return [write_bibtex(out / "references.bib"), md, tex]


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python -m nrel_research.report OUT_DIR   (e.g. papers)")
    for path in write_papers(sys.argv[1]):
        print(path)
