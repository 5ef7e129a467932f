"""Reporting: publication tables and figures built from the analyses.

- :mod:`.tables`: the measurement model, structural paths and fit statistics as tidy
  DataFrames, and :func:`apa` to format any table for publication (Markdown, HTML and LaTeX
  through pandas' ``to_markdown``, ``to_html`` and ``to_latex``).
"""

from .tables import BOUNDED, ApaTable, apa, fit_table, measurement_table, structural_table

__all__ = ["BOUNDED", "ApaTable", "apa", "fit_table", "measurement_table", "structural_table"]
