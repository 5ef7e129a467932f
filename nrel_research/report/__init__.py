"""Reporting: publication tables and figures built from the analyses.

- :mod:`.tables`: the measurement model, structural paths and fit statistics as tidy
  DataFrames, and :func:`apa` to format any table for publication (Markdown, HTML and LaTeX
  through pandas' ``to_markdown``, ``to_html`` and ``to_latex``).
- :mod:`.bibliography`: every work the package cites (framework, item bank and methods
  references) as a table (:func:`references`) and as BibTeX (:func:`to_bibtex`).
- :mod:`.manuscript`: a manuscript skeleton (Markdown and standalone LaTeX) whose Results
  are filled from the tables of a run (:func:`manuscript`).
"""

from .bibliography import references, to_bibtex, write_bibtex
from .manuscript import MISSING_TABLE, Manuscript, manuscript, render_manuscript
from .tables import BOUNDED, ApaTable, apa, fit_table, measurement_table, structural_table

__all__ = [
    "BOUNDED",
    "MISSING_TABLE",
    "ApaTable",
    "Manuscript",
    "apa",
    "fit_table",
    "manuscript",
    "measurement_table",
    "references",
    "render_manuscript",
    "structural_table",
    "to_bibtex",
    "write_bibtex",
]
