"""The multiple-group propositions: P4 (B2B vs B2C) and P5 (sectors).

Both ask whether the action types -> marketing performance paths (P3) differ across groups.
:func:`group_comparison` answers that with the design the data support, decided by the
sample-size guardrail (:func:`~nrel_research.analysis.group_sizes`):

1. **latent**: a multiple-group SEM of the P3 paths. Measurement invariance is tested first
   (configural -> metric, :func:`nrel_research.sem.invariance`); if metric invariance is not
   supported, a partial-invariance search (:func:`nrel_research.sem.partial_invariance`)
   frees the loadings that differ (exploratory); with metric (or partial metric) invariance
   the paths are compared with :func:`nrel_research.sem.compare_paths` (chi-square
   difference, Satorra-Bentler scaled under MLR, and the Wald test).
2. **composite**: when the groups are too small for the latent model, the same comparison
   on a path model of unit-weighted scale scores (observed; ML with listwise deletion and
   fixed exogenous scores, few parameters per group). Measurement error attenuates the
   paths, and invariance cannot be tested: both are stated in the note.
3. otherwise the proposition is **not testable** with these data.

For sectors the groups are the sectors themselves or, when those are too small, the pooled
groups of :func:`~nrel_research.analysis.sector_design` (goods vs services by default).
E7 applies to B2B and mixed firms only, so cross-market comparisons use the nine shared
action types.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence

import pandas as pd

from .. import sem
from ..exceptions import NrelError
from .guardrails import ISIC_BROAD_GROUPS, group_sizes
from .propositions import Evidence
from .specification import build_model

__all__ = ["group_comparison"]


def _quiet_fit(*args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return sem.fit(*args, **kwargs)


def group_comparison(
    data: pd.DataFrame,
    column: str,
    proposition: str,
    *,
    actions: Sequence[str],
    outcome: str = "marketing_performance",
    groups: Sequence[str] | None = None,
    pooling: Mapping[str, str] | None = None,
    estimator: str = "MLR",
    missing: str = "fiml",
    ratio: int = 5,
    minimum: int = 100,
    alpha: float = 0.05,
) -> tuple[Evidence, dict[str, pd.DataFrame]]:
    """Test whether the action types -> outcome paths differ across groups (P4, P5).

    Parameters
    ----------
    data : pandas.DataFrame
        Key-informant responses (reverse-keying is done here, by the model's ``prepare``).
    column : str
        The grouping column (e.g. market type labels, sector codes).
    proposition : str
        ``"P4"`` or ``"P5"`` (for the evidence record).
    actions : sequence of str
        Action codes whose paths are compared (the nine shared types across market types).
    outcome : str, default "marketing_performance"
    groups : sequence of str, optional
        The groups to compare (e.g. ``["B2B", "B2C"]``); default every group of ``column``.
    pooling : mapping, optional
        Group -> pooled group, used when the groups themselves are too small (sectors:
        goods vs services, :data:`~nrel_research.analysis.ISIC_BROAD_GROUPS`).
    estimator, missing : str
        For the latent design (the composite design uses ML with listwise deletion).
    ratio, minimum : int
        The sample-size rule (:func:`~nrel_research.analysis.group_sizes`).
    alpha : float
        For the metric-invariance decision.

    Returns
    -------
    (Evidence, dict)
        The evidence record (kind "difference") and the tables of the analysis: ``sizes``,
        ``invariance`` (latent design), ``partial`` (if a search was run), ``paths`` (the
        compared paths' estimates per group) and ``test``.
    """
    if column not in data.columns:
        raise NrelError(f"group_comparison: the data have no column {column!r}.")
    work = data[data[column].notna()].copy()
    work[column] = work[column].astype(str)
    if groups is not None:
        work = work[work[column].isin([str(g) for g in groups])]
    tables: dict[str, pd.DataFrame] = {}
    latent = build_model(
        actions=list(actions), antecedents=[], outcomes=[outcome], propositions=["P3"]
    )
    paths = [f"{outcome} ~ {a}" for a in actions]
    prepared = latent.prepare(work)

    def design(model, frame):
        """Pick the groups (or pooled groups) that pass the size rule."""
        t = group_sizes(model, frame, column, ratio=ratio, minimum=minimum, warn=False)
        ok = bool(t["ok"].all()) and len(t) >= 2
        if not ok and pooling is not None:
            pooled = frame.assign(_pooled=frame[column].map(dict(pooling))).dropna(
                subset=["_pooled"]
            )
            pt = group_sizes(model, pooled, "_pooled", ratio=ratio, minimum=minimum, warn=False)
            if bool(pt["ok"].all()) and len(pt) >= 2:
                return pooled, "_pooled", pt, True
        return frame, column, t, ok

    prepared, col, sizes, ok = design(latent.syntax, prepared)
    tables["sizes"] = sizes
    name = "pooled groups" if col == "_pooled" else "groups"
    if ok:
        inv = sem.invariance(
            latent.cfa_syntax,
            prepared,
            col,
            levels=("configural", "metric"),
            estimator=estimator,
            missing=missing,
        )
        tables["invariance"] = inv
        metric = inv.set_index("level").loc["metric"]
        partial: list[str] = []
        exploratory = False
        if metric["verdict"] != "supported" or metric["pvalue_diff"] < alpha:
            steps = sem.partial_invariance(inv.attrs["fits"]["metric"], alpha=alpha)
            tables["partial"] = steps
            partial = list(steps.attrs["group_partial"])
            exploratory = bool(partial)
        free = _quiet_fit(
            latent.syntax,
            prepared,
            group=col,
            group_equal=("loadings",),
            group_partial=tuple(partial),
            estimator=estimator,
            missing=missing,
        )
        cmp = sem.compare_paths(free, paths)
        design = (
            f"latent multiple-group SEM across {name} "
            f"({', '.join(map(str, free.group_labels))}), metric invariance"
            + (f" with {', '.join(partial)} freed (exploratory)" if partial else "")
        )
        test = (
            f"chi-square difference test of equal paths ({cmp['method'].iloc[0]}); "
            f"Wald chi-square({int(cmp['wald_df'].iloc[0])}) = {cmp['wald_stat'].iloc[0]:.2f}"
        )
        note = design + "."
    else:
        comp = build_model(
            actions=list(actions),
            antecedents=[],
            outcomes=[outcome],
            propositions=["P3"],
            measurement="composite",
        )
        cprep, col, csizes, cok = design(comp.syntax, comp.prepare(work))
        tables["sizes_composite"] = csizes
        if not cok:
            ev = Evidence(
                proposition,
                "not run",
                testable=False,
                note=(
                    "too few firms per group for a latent or a scale-score multiple-group model "
                    f"(smallest group {int(csizes['n'].min())}, needed "
                    f"{int(csizes['needed'].iloc[0])})."
                ),
            )
            return ev, tables
        free = _quiet_fit(comp.syntax, cprep, group=col, estimator="ML", missing="listwise")
        cmp = sem.compare_paths(free, paths)
        name = "pooled groups" if col == "_pooled" else "groups"
        test = (
            "chi-square difference test of equal paths (scale scores, ML); "
            f"Wald chi-square({int(cmp['wald_df'].iloc[0])}) = {cmp['wald_stat'].iloc[0]:.2f}"
        )
        note = (
            f"scale-score path model across {name} ({', '.join(map(str, free.group_labels))}): "
            "the latent multiple-group model needs more firms per group than the data have "
            f"(smallest {int(sizes['n'].min())}, needed {int(sizes['needed'].iloc[0])}); "
            "paths between scale scores are attenuated by measurement error and measurement "
            "invariance is assumed, not tested."
        )
        exploratory = False
    est = cmp.attrs["estimates"].copy()
    tables["paths"] = est
    tables["test"] = cmp
    ev = Evidence(
        proposition,
        test,
        statistic=float(cmp["chisq_diff"].iloc[0]),
        df=float(cmp["df_diff"].iloc[0]),
        pvalue=float(cmp["pvalue_diff"].iloc[0]),
        estimate_label="",
        exploratory=exploratory,
        note=note,
    )
    return ev, tables


#: Sector pooling used by the study pipeline when sectors are too small.
DEFAULT_SECTOR_POOLING = ISIC_BROAD_GROUPS
