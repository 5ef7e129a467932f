"""Reporting: publication tables and figures built from the analyses.

- :mod:`.tables`: the measurement model, structural paths and fit statistics as tidy
  DataFrames, and :func:`apa` to format any table for publication (Markdown, HTML and LaTeX
  through pandas' ``to_markdown``, ``to_html`` and ``to_latex``);
- :mod:`.study`: :func:`write_report` writes the self-contained HTML report of a study
  (:func:`nrel_research.analysis.run_study`) with every table as CSV and every figure as PNG
  and SVG; :func:`coefficient_plot` draws estimates with confidence intervals.
"""

from .study import coefficient_plot, study_tables, write_report
from .tables import BOUNDED, ApaTable, apa, fit_table, measurement_table, structural_table

__all__ = [
    "BOUNDED",
    "ApaTable",
    "apa",
    "coefficient_plot",
    "fit_table",
    "measurement_table",
    "structural_table",
    "study_tables",
    "write_report",
]
