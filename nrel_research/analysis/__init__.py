"""Analyses that link N-REL action types to marketing performance.

This layer sits on top of the data layer (scored responses, coded posts) and the generic SEM
engine (:mod:`nrel_research.sem`); the report and the CLI build on it.

- :func:`build_model` generates the lavaan model of a study from the item bank and the
  framework's propositions (:class:`ModelSpec`).
"""

from .specification import DEFAULT_ANTECEDENTS, DEFAULT_OUTCOMES, ModelSpec, build_model

__all__: list[str] = ["DEFAULT_ANTECEDENTS", "DEFAULT_OUTCOMES", "ModelSpec", "build_model"]
