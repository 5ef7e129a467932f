"""Analyses that link N-REL action types to marketing performance.

This layer sits on top of the data layer (scored responses, coded posts) and the generic SEM
engine (:mod:`nrel_research.sem`); the report and the CLI build on it.

- :func:`build_model` generates the lavaan model of a study from the item bank and the
  framework's propositions (:class:`ModelSpec`).
- Survey-validity checks (:mod:`nrel_research.analysis.validity`): :func:`marker_technique`
  (CFA marker technique), :func:`method_factor` (unmeasured latent method construct),
  :func:`harman_single_factor` (legacy), :func:`nonresponse_bias` (early vs late
  respondents) and :func:`copula_endogeneity` (Gaussian copula sensitivity analysis).
"""

from .specification import DEFAULT_ANTECEDENTS, DEFAULT_OUTCOMES, ModelSpec, build_model
from .validity import (
    CopulaResult,
    MarkerTechniqueResult,
    MethodFactorResult,
    copula_endogeneity,
    harman_single_factor,
    marker_technique,
    method_factor,
    nonresponse_bias,
)

__all__: list[str] = [
    "DEFAULT_ANTECEDENTS",
    "DEFAULT_OUTCOMES",
    "CopulaResult",
    "MarkerTechniqueResult",
    "MethodFactorResult",
    "ModelSpec",
    "build_model",
    "copula_endogeneity",
    "harman_single_factor",
    "marker_technique",
    "method_factor",
    "nonresponse_bias",
]
