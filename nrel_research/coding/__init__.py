"""Content analysis of brand posts with the N-REL codebook.

- :func:`load_codebook` - the codebook (codes from the framework, rules, examples, variables,
  dictionary patterns), typed and validated.
- :func:`coder_manual`, :func:`write_manual`, :func:`coding_sheet` - the coder manual
  (Markdown, HTML) and the Excel coding sheet, generated from the codebook.
- :func:`read_posts`, :func:`read_codings` - strict readers for exported posts and
  long-format coding files (CSV or Excel).
- :func:`reliability` (Krippendorff's alpha with bootstrap intervals, Fleiss' and Cohen's
  kappa, percent agreement), :func:`confusion_table`, :func:`disagreements`,
  :func:`reliability_sample_size`.
- :class:`DictionaryCoder` (transparent rules from the codebook) and
  :class:`SupervisedCoder` (TF-IDF + logistic regression), :func:`evaluate`,
  :func:`cross_validate`.
- :func:`action_mix` - firm-level action mix (counts and shares per code, per platform,
  per period) keyed by firm id, to join with survey data.
- :func:`example_posts`, :func:`example_codings` - the bundled illustrative corpus and the
  held-out set (invented posts; see data/README.md), :func:`consensus_codes`.

Examples
--------
>>> from nrel_research import coding
>>> cb = coding.load_codebook()
>>> cb.code("E4").name
'Collaborative promotion (calls to action)'
"""

from __future__ import annotations

from .aggregate import action_mix
from .auto import (
    DictionaryCoder,
    Evaluation,
    SupervisedCoder,
    cross_validate,
    evaluate,
    prepare_text,
)
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
from .examples import consensus_codes, example_codings, example_path, example_posts
from .exports import coder_manual, coding_sheet, write_manual
from .io import read_codings, read_posts, read_table
from .reliability import (
    RareCodeWarning,
    confusion_table,
    disagreements,
    krippendorff_alpha,
    reliability,
    reliability_sample_size,
)

__all__ = [
    "Code",
    "Codebook",
    "DecisionRule",
    "DictionaryCoder",
    "DictionaryRule",
    "Evaluation",
    "Example",
    "RareCodeWarning",
    "SupervisedCoder",
    "Variable",
    "action_mix",
    "coder_manual",
    "coding_sheet",
    "confusion_table",
    "consensus_codes",
    "cross_validate",
    "default_codebook_path",
    "disagreements",
    "evaluate",
    "example_codings",
    "example_path",
    "example_posts",
    "krippendorff_alpha",
    "load_codebook",
    "prepare_text",
    "read_codings",
    "read_posts",
    "read_table",
    "reliability",
    "reliability_sample_size",
    "write_manual",
]
