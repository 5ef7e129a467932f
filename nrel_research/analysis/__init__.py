"""Analyses that link N-REL action types to marketing performance.

This layer sits on top of the data layer (scored responses, coded posts) and the generic SEM
engine (:mod:`nrel_research.sem`); the report and the CLI build on it. Its modules are added
one analysis at a time (see the CHANGELOG).

- :mod:`~nrel_research.analysis.regression`: :func:`regress` (OLS from a formula with HC3,
  HC1, classical, cluster-robust CR1 or wild-cluster-bootstrap inference, standardized
  coefficients, VIF/GVIF), :func:`simple_slopes`, :func:`johnson_neyman`,
  :func:`interaction_plot` and :func:`mediation`.
"""

from .regression import (
    MIN_CLUSTERS,
    SE_TYPES,
    JohnsonNeymanResult,
    RegressionResult,
    interaction_plot,
    johnson_neyman,
    mediation,
    regress,
    simple_slopes,
)

__all__: list[str] = [
    "MIN_CLUSTERS",
    "SE_TYPES",
    "JohnsonNeymanResult",
    "RegressionResult",
    "interaction_plot",
    "johnson_neyman",
    "mediation",
    "regress",
    "simple_slopes",
]
