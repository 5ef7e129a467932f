"""Analyses that link N-REL action types to marketing performance.

This layer sits on top of the data layer (scored responses, coded posts) and the generic SEM
engine (:mod:`nrel_research.sem`); the report and the CLI build on it. Its modules are added
one analysis at a time (see the CHANGELOG).
"""

__all__: list[str] = []
