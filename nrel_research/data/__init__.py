"""Response data: import, validate, clean, score and record provenance.

- :func:`read_responses` reads a survey export (CSV, Excel, SPSS, Qualtrics,
  LimeSurvey, KoboToolbox/ODK) and maps it to the instrument's data dictionary;
  :func:`write_responses` writes the same data in each platform's export layout.
- :func:`validate` checks every value against the data dictionary and returns a tidy
  report (row, respondent id, column, value, problem).

Examples
--------
>>> from nrel_research import data
>>> data.SOURCES
('csv', 'xlsx', 'spss', 'qualtrics', 'limesurvey', 'kobo')
"""

from __future__ import annotations

from ._demo import demo_responses
from ._schema import RESPONSE_ID
from .io import (
    SOURCES,
    blank_responses,
    detect_source,
    file_sha256,
    read_responses,
    write_responses,
)
from .validate import validate

__all__ = [
    "RESPONSE_ID",
    "SOURCES",
    "blank_responses",
    "demo_responses",
    "detect_source",
    "file_sha256",
    "read_responses",
    "validate",
    "write_responses",
]
