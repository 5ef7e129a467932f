"""Analyses that link N-REL action types to marketing performance.

This layer sits on top of the data layer (scored responses, coded posts) and the generic SEM
engine (:mod:`nrel_research.sem`); the report and the CLI build on it. Its modules are added
one analysis at a time (see the CHANGELOG).

- :func:`engagement_model` - negative binomial (NB2) regression of post engagement on the
  coded action type with firm-clustered standard errors, as incidence-rate ratios (P8);
  :func:`triangulate` - observed (coded posts) vs self-reported (survey) action emphasis.
"""

from .posts import EngagementModelResult, engagement_model, triangulate

__all__: list[str] = ["EngagementModelResult", "engagement_model", "triangulate"]
