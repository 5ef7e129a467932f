"""Analyses that link N-REL action types to marketing performance.

This layer sits on top of the data layer (scored responses, coded posts) and the generic SEM
engine (:mod:`nrel_research.sem`); the report and the CLI build on it.

- :func:`build_model` generates the lavaan model of a study from the item bank and the
  framework's propositions (:class:`ModelSpec`);
- :func:`group_sizes`, :func:`sector_design` and :func:`adjust_pvalues` are the guardrails:
  enough cases per group before a multiple-group model, an identifiable design for sector
  comparisons, multiplicity control across the propositions;
- :func:`path_evidence` and :func:`propositions_table` judge the evidence on P1-P8 by the
  pre-registered rules of ``verdict_rules.yaml`` (:func:`load_rules`), which
  :func:`preregistration_markdown` prints in the pre-registration template;
- :mod:`~nrel_research.analysis.regression`: :func:`regress` (OLS from a formula with HC3,
  HC1, classical, cluster-robust CR1 or wild-cluster-bootstrap inference, standardized
  coefficients, VIF/GVIF), :func:`simple_slopes`, :func:`johnson_neyman`,
  :func:`interaction_plot` and :func:`mediation`;
- :mod:`~nrel_research.analysis.posts`: the post-level engagement model (negative binomial,
  incidence-rate ratios, firm-clustered SEs) and the triangulation of observed and
  self-reported action emphasis;
- :mod:`~nrel_research.analysis.validity`: survey-validity checks (CFA marker technique,
  Harman's single factor, unmeasured method factor, nonresponse bias, Gaussian copula);
- :func:`network_mediation` tests P6: bootstrapped total indirect effects of the
  action types on performance through the network dimensions;
- :func:`group_comparison` tests the multiple-group propositions (P4 market type, P5
  sector) with the design the sample size allows, after the invariance step;
- :func:`run_study` runs the whole test (import -> validation -> cleaning -> measurement ->
  structural -> propositions) and returns a :class:`StudyResult`.
"""

from .groups import (
    group_comparison,
)
from .guardrails import (
    ISIC_BROAD_GROUPS,
    SampleSizeWarning,
    adjust_pvalues,
    free_parameters_per_group,
    group_sizes,
    mimic_model,
    sector_design,
)
from .network import (
    NETWORK_MEDIATORS,
    network_mediation,
)
from .posts import (
    NB_MIN_CLUSTERS,
    EngagementModelResult,
    engagement_model,
    triangulate,
)
from .propositions import (
    Evidence,
    Rules,
    load_rules,
    path_evidence,
    preregistration_markdown,
    propositions_table,
)
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
from .specification import (
    CATEGORICAL_ESTIMATORS,
    DEFAULT_ANTECEDENTS,
    DEFAULT_OUTCOMES,
    ModelSpec,
    build_model,
)
from .study import (
    FIT_CRITERIA,
    STUDY_STEPS,
    StudyResult,
    fit_assessment,
    run_study,
)
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
    "CATEGORICAL_ESTIMATORS",
    "DEFAULT_ANTECEDENTS",
    "DEFAULT_OUTCOMES",
    "FIT_CRITERIA",
    "ISIC_BROAD_GROUPS",
    "MIN_CLUSTERS",
    "NB_MIN_CLUSTERS",
    "NETWORK_MEDIATORS",
    "SE_TYPES",
    "STUDY_STEPS",
    "CopulaResult",
    "EngagementModelResult",
    "Evidence",
    "JohnsonNeymanResult",
    "MarkerTechniqueResult",
    "MethodFactorResult",
    "ModelSpec",
    "RegressionResult",
    "Rules",
    "SampleSizeWarning",
    "StudyResult",
    "adjust_pvalues",
    "build_model",
    "copula_endogeneity",
    "engagement_model",
    "fit_assessment",
    "free_parameters_per_group",
    "group_comparison",
    "group_sizes",
    "harman_single_factor",
    "interaction_plot",
    "johnson_neyman",
    "load_rules",
    "marker_technique",
    "mediation",
    "method_factor",
    "mimic_model",
    "network_mediation",
    "nonresponse_bias",
    "path_evidence",
    "preregistration_markdown",
    "propositions_table",
    "regress",
    "run_study",
    "sector_design",
    "simple_slopes",
    "triangulate",
]
