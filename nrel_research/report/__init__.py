"""Reporting: publication tables and figures built from the analyses.

- :mod:`.tables`: the measurement model, structural paths and fit statistics as tidy
  DataFrames, and :func:`apa` to format any table for publication (Markdown, HTML and LaTeX
  through pandas' ``to_markdown``, ``to_html`` and ``to_latex``);
- :mod:`.study`: :func:`write_report` writes the self-contained HTML report of a study
  (:func:`nrel_research.analysis.run_study`) with every table as CSV and every figure as PNG
  and SVG; :func:`coefficient_plot` draws estimates with confidence intervals;
- :mod:`.bibliography`: every work the package cites (framework, item bank and methods
  references) as a table (:func:`references`) and as BibTeX (:func:`to_bibtex`).
- :mod:`.manuscript`: a manuscript skeleton (Markdown and standalone LaTeX) whose Results
  are filled from the tables of a run (:func:`manuscript`).
"""

from .bibliography import references, to_bibtex, write_bibtex
from .manuscript import MISSING_TABLE, Manuscript, manuscript, render_manuscript
from .study import coefficient_plot, study_tables, write_report
from .tables import BOUNDED, ApaTable, apa, fit_table, measurement_table, structural_table

__all__ = [
    "BOUNDED",
    "MISSING_TABLE",
    "ApaTable",
    "Manuscript",
    "apa",
    "coefficient_plot",
    "fit_table",
    "manuscript",
    "measurement_table",
    "references",
    "render_manuscript",
    "structural_table",
    "study_tables",
    "to_bibtex",
    "write_bibtex",
    "write_report",
]
