"""Proposition P6: network structure mediates the effect of action types on performance.

:func:`network_mediation` fits a path model on scale scores: every network dimension
(mediator) regressed on the action types, every outcome on the mediators and (direct
effects) on the action types, the mediators' residuals correlated. For each action type and
outcome the total indirect effect through the network dimensions (the sum over mediators of
``a * b``) is a defined parameter; its confidence interval comes from the nonparametric
bootstrap (percentile, as lavaan's ``se = "bootstrap"``; Preacher & Hayes, 2008; Shrout &
Bolger, 2002). The proposition-level test is the Wald test that every total indirect effect
is zero, with the bootstrap covariance matrix of those effects.

Scale scores (unit-weighted means of the items) are used because the bootstrap of a latent
model with full-information ML is not available in the engine and would take far longer;
indirect effects between scale scores are attenuated by measurement error (stated in the
evidence note).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from .. import sem
from .._validation import check_positive_int
from ..exceptions import NrelError
from .propositions import Evidence
from .specification import build_model

__all__ = ["NETWORK_MEDIATORS", "network_mediation"]

#: The network dimensions measured by the survey (framework: size is a composite of follower
#: counts and is left out of the mediation model by default).
NETWORK_MEDIATORS = ("connections", "distributions", "segmentation")


def network_mediation(
    data: pd.DataFrame,
    *,
    actions: Sequence[str],
    mediators: Sequence[str] = NETWORK_MEDIATORS,
    outcomes: Sequence[str] = ("social_media_performance", "marketing_performance"),
    n_boot: int = 1000,
    seed: int | np.random.Generator | None = 0,
    level: float = 0.95,
) -> tuple[Evidence, pd.DataFrame]:
    """Test P6 with bootstrapped total indirect effects of action types via network structure.

    Parameters
    ----------
    data : pandas.DataFrame
        Key-informant responses with the items of every construct (reverse-keying is done
        here).
    actions, mediators, outcomes : sequence of str
        Construct ids of the item bank.
    n_boot : int, default 1000
        Bootstrap replications (``se="bootstrap"`` of :func:`nrel_research.sem.fit`).
    seed : int or Generator
        For the bootstrap; the same seed gives the same numbers.
    level : float, default 0.95

    Returns
    -------
    (Evidence, pandas.DataFrame)
        The evidence (kind "directional": ``paths`` are the total indirect effects, with
        ``estimate``, bootstrap ``se``, ``pvalue`` from the bootstrap z, and percentile
        ``beta_ci_lower``/``beta_ci_upper`` around the standardized effect ``beta``) and the
        table of every indirect path (action, mediator, outcome, a*b) with percentile CIs.
    """
    n_boot = check_positive_int(n_boot, "n_boot", minimum=2)
    actions, mediators, outcomes = list(actions), list(mediators), list(outcomes)
    if not actions or not mediators or not outcomes:
        raise NrelError("network_mediation() needs actions, mediators and outcomes.")
    spec = build_model(
        actions=actions,
        antecedents=[],
        mediators=mediators,
        outcomes=outcomes,
        propositions=["P6"],
        measurement="composite",
    )
    frame = spec.prepare(data)
    cols = actions + mediators + outcomes
    frame = frame[cols].apply(pd.to_numeric, errors="coerce").dropna()
    lines = []
    for m in mediators:
        lines.append(f"{m} ~ " + " + ".join(f"a_{m}_{a}*{a}" for a in actions))
    for y in outcomes:
        terms = [f"b_{y}_{m}*{m}" for m in mediators] + [f"c_{y}_{a}*{a}" for a in actions]
        lines.append(f"{y} ~ " + " + ".join(terms))
    for i, m in enumerate(mediators):
        for m2 in mediators[i + 1 :]:
            lines.append(f"{m} ~~ {m2}")
    for i, y in enumerate(outcomes):
        for y2 in outcomes[i + 1 :]:
            lines.append(f"{y} ~~ {y2}")
    totals, singles = [], []
    for y in outcomes:
        for a in actions:
            parts = [f"a_{m}_{a}*b_{y}_{m}" for m in mediators]
            totals.append((f"ind_{a}_{y}", a, y))
            lines.append(f"ind_{a}_{y} := " + " + ".join(parts))
            for m in mediators:
                singles.append((f"ind_{a}_{m}_{y}", a, m, y))
                lines.append(f"ind_{a}_{m}_{y} := a_{m}_{a}*b_{y}_{m}")
    syntax = "\n".join(lines) + "\n"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = sem.fit(syntax, frame, se="bootstrap", bootstrap=n_boot, seed=seed)
    est = res.estimates(level=level).set_index("label")
    boot = res.bootstrap
    names = [name for name, _, _ in totals]
    def_rows = [res.defined.names.index(n) for n in names]
    draws = boot.defined[boot.kept][:, def_rows]
    vcov = np.cov(draws, rowvar=False, ddof=0)
    b = est.loc[names, "est"].to_numpy(dtype=float)
    try:
        w = float(b @ np.linalg.solve(vcov, b))
    except np.linalg.LinAlgError:
        w = float(b @ np.linalg.pinv(vcov) @ b)
    k = len(names)
    se = est.loc[names, "se"].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = b / se
    paths = pd.DataFrame(
        {
            "lhs": [y for _, _, y in totals],
            "rhs": [a for _, a, _ in totals],
            "estimate": b,
            "se": se,
            "pvalue": 2 * stats.norm.sf(np.abs(z)),
            "beta": est.loc[names, "std_all"].to_numpy(dtype=float),
            "beta_se": np.nan,
            "beta_ci_lower": np.nan,
            "beta_ci_upper": np.nan,
            "ci_lower": est.loc[names, "ci_lower"].to_numpy(dtype=float),
            "ci_upper": est.loc[names, "ci_upper"].to_numpy(dtype=float),
        }
    )
    detail = pd.DataFrame(
        {
            "action": [a for _, a, _, _ in singles],
            "mediator": [m for _, _, m, _ in singles],
            "outcome": [y for _, _, _, y in singles],
            "estimate": est.loc[[s[0] for s in singles], "est"].to_numpy(dtype=float),
            "ci_lower": est.loc[[s[0] for s in singles], "ci_lower"].to_numpy(dtype=float),
            "ci_upper": est.loc[[s[0] for s in singles], "ci_upper"].to_numpy(dtype=float),
            "std_all": est.loc[[s[0] for s in singles], "std_all"].to_numpy(dtype=float),
        }
    )
    ev = Evidence(
        "P6",
        f"Wald test that the {k} total indirect effects are zero (bootstrap covariance, "
        f"{boot.n_used} of {boot.r} replications), scale scores",
        statistic=w,
        df=float(k),
        pvalue=float(stats.chi2.sf(w, k)),
        paths=paths,
        estimate=float(np.nanmean(paths["beta"])),
        estimate_label="mean standardized total indirect effect",
        note=(
            f"path model on scale scores of {len(frame)} complete firms; indirect effects with "
            f"{int(level * 100)}% percentile bootstrap CIs; attenuated by measurement error."
        ),
    )
    return ev, detail
