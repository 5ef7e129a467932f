"""Response data: import, validate, clean, score and record provenance.

- :func:`read_responses` reads a survey export (CSV, Excel, SPSS, Qualtrics,
  LimeSurvey, KoboToolbox/ODK) and maps it to the instrument's data dictionary;
  :func:`write_responses` writes the same data in each platform's export layout.
- :func:`validate` checks every value against the data dictionary and returns a tidy
  report (row, respondent id, column, value, problem).
- :func:`clean` flags and (optionally) excludes careless, speeding, duplicate and
  non-competent responses, reverse-keys items, summarises missing data (Little's MCAR
  test), compares early and late respondents and removes personal data; every decision
  is logged in the :class:`CleaningResult`.
- :func:`score` computes construct scores, the firm-level action mix, category scores,
  orientation indices and the grouping variables.
- :func:`write_processed` writes the results with a provenance manifest (source
  SHA-256, package version, steps, rows in/out); the linkage table goes elsewhere.
- :func:`load_bundled_study` loads the bundled simulated study (``data/simulated/`` of
  the repository; not part of an installed wheel).
- :func:`demo_responses` draws a small seeded demonstration data set with planted
  problems (not the simulated study with known truth).

Examples
--------
>>> from nrel_research import data
>>> data.SOURCES
('csv', 'xlsx', 'spss', 'qualtrics', 'limesurvey', 'kobo')
"""

from __future__ import annotations

from ._demo import demo_responses
from ._schema import RESPONSE_ID
from .bundled import BundledStudy, bundled_study_dir, load_bundled_study
from .clean import (
    CleaningResult,
    clean,
    deidentify,
    early_late_comparison,
    even_odd_consistency,
    longstring,
    mahalanobis_distance,
    missing_summary,
)
from .io import (
    SOURCES,
    blank_responses,
    detect_source,
    file_sha256,
    read_responses,
    write_responses,
)
from .missing import LittleMCARResult, em_moments, little_mcar_test
from .provenance import write_processed
from .score import reverse_key, score
from .simulate import (
    SimulatedStudy,
    compute_population_values,
    implied_moments,
    load_population_model,
    mean_scores,
    model_syntax,
    simulate_study,
    write_bundled_study,
)
from .validate import validate

__all__ = [
    "RESPONSE_ID",
    "SOURCES",
    "BundledStudy",
    "CleaningResult",
    "LittleMCARResult",
    "SimulatedStudy",
    "blank_responses",
    "bundled_study_dir",
    "clean",
    "compute_population_values",
    "deidentify",
    "demo_responses",
    "detect_source",
    "early_late_comparison",
    "em_moments",
    "even_odd_consistency",
    "file_sha256",
    "implied_moments",
    "little_mcar_test",
    "load_bundled_study",
    "load_population_model",
    "longstring",
    "mahalanobis_distance",
    "mean_scores",
    "missing_summary",
    "model_syntax",
    "read_responses",
    "reverse_key",
    "score",
    "simulate_study",
    "validate",
    "write_bundled_study",
    "write_processed",
    "write_responses",
]
