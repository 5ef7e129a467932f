"""Content analysis of brand posts with the N-REL codebook.

- :func:`load_codebook` - the codebook (codes from the framework, rules, examples, variables,
  dictionary patterns), typed and validated.

Examples
--------
>>> from nrel_research import coding
>>> cb = coding.load_codebook()
>>> cb.code("E4").name
'Collaborative promotion (calls to action)'
"""

from __future__ import annotations

from .codebook import (
    Code,
    Codebook,
    DecisionRule,
    DictionaryRule,
    Example,
    Variable,
    default_codebook_path,
    load_codebook,
)

__all__ = [
    "Code",
    "Codebook",
    "DecisionRule",
    "DictionaryRule",
    "Example",
    "Variable",
    "default_codebook_path",
    "load_codebook",
]
