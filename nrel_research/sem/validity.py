"""Reliability and validity of reflective measurement models (alpha, omega, AVE, HTMT, F-L).

One-shot functions returning tidy DataFrames. They take either raw data with indicator blocks
(``{"factor": ["item1", "item2", ...]}``) or the estimated matrices of a fitted CFA, so they
do not depend on the estimation engine.

Interface for the engine's ``reliability(result)`` / ``fornell_larcker(result)`` wrappers
-------------------------------------------------------------------------------------------
Per group, pass (all as DataFrames labelled by indicator / factor names):

* ``loadings``: the *unstandardised* Λ (indicators x factors; zeros where an indicator does not
  load) — lavaan ``lavInspect(fit, "est")$lambda``;
* ``factor_cov``: the model-implied factor covariance matrix — ``lavInspect(fit, "cov.lv")``
  (with structural regressions this is the implied, not the residual, covariance);
* ``obs_cov``: for semTools' default ``obs.var = TRUE`` the *sample* covariance of the
  indicators with divisor N (``lavInspect(fit, "sampstat")$cov``; with ``missing="ml"`` the EM
  h1 covariance); for ``obs.var = FALSE`` the model-implied covariance Σ(θ̂);
* ``data`` and ``blocks`` (from the model's ``=~`` lines, in order) for :func:`cronbach_alpha`
  and :func:`htmt`.

``reliability(result)`` is then ``reliability_table(data, blocks, loadings, factor_cov,
obs_cov)``; ``fornell_larcker(result)`` is ``fornell_larcker(ave(loadings, factor_cov,
obs_cov), factor_cov)``; ``htmt(model, data)`` is ``htmt(data, blocks)`` with the blocks parsed
from the model (semTools' default is ``htmt2=True``; ours is the classic HTMT).

References
----------
Cronbach, L. J. (1951). Coefficient alpha and the internal structure of tests. *Psychometrika,
16*, 297-334. Raykov, T. (1997). Estimation of composite reliability for congeneric measures.
*Applied Psychological Measurement, 21*, 173-184. Fornell, C., & Larcker, D. F. (1981).
Evaluating structural equation models with unobservable variables and measurement error.
*Journal of Marketing Research, 18*, 39-50. Henseler, J., Ringle, C. M., & Sarstedt, M. (2015).
A new criterion for assessing discriminant validity in variance-based SEM. *Journal of the
Academy of Marketing Science, 43*, 115-135. Roemer, E., Schuberth, F., & Henseler, J. (2021).
HTMT2 - an improved criterion for assessing discriminant validity in structural equation
modeling. *Industrial Management & Data Systems, 121*, 2637-2650.
Oracles: semTools 0.5-6 ``compRelSEM``, ``AVE``, ``htmt`` and psych 2.2.9 ``alpha``, via
``tests/reference/validity.R``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import pingouin

from .._validation import check_choice, check_columns
from ..exceptions import DataError, SpecificationError

__all__ = [
    "ave",
    "composite_reliability",
    "cronbach_alpha",
    "fornell_larcker",
    "htmt",
    "reliability_table",
]


def _check_blocks(blocks: Mapping[str, Sequence[str]]) -> dict[str, list[str]]:
    if not isinstance(blocks, Mapping) or not blocks:
        raise SpecificationError(
            "blocks must be a non-empty mapping {factor: [indicator, ...]}, e.g. "
            "{'visual': ['x1', 'x2', 'x3']}."
        )
    out = {}
    for f, items in blocks.items():
        items = [items] if isinstance(items, str) else list(items)
        if len(items) == 0:
            raise SpecificationError(f"factor '{f}' has no indicators; list at least one.")
        out[str(f)] = [str(i) for i in items]
    return out


def _numeric(data: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    check_columns(data, columns)
    sub = data[list(columns)]
    for c in sub.columns:
        if not pd.api.types.is_numeric_dtype(sub[c]):
            raise DataError(
                f"data, column '{c}' is not numeric (first value {sub[c].iloc[0]!r}); recode "
                "it to numbers before computing reliability."
            )
    return sub.astype(float)


def cronbach_alpha(
    data: pd.DataFrame, blocks: Mapping[str, Sequence[str]], *, ci: float = 0.95
) -> pd.DataFrame:
    """Cronbach's alpha per factor (pingouin), raw and standardised.

    Parameters
    ----------
    data : pandas.DataFrame
        Item responses.
    blocks : mapping
        ``{factor: [indicator, ...]}``.
    ci : float, default 0.95
        Level of the confidence interval (pingouin's F-distribution interval).

    Returns
    -------
    pandas.DataFrame
        Columns ``factor, n_items, n_obs, alpha, alpha_std, ci_lower, ci_upper``. ``alpha`` is
        psych's ``raw_alpha`` (from covariances; rows with missing values enter pairwise, as
        pingouin's and psych's defaults), ``alpha_std`` psych's ``std.alpha`` (from the
        correlations ``cov2cor`` of that covariance matrix); ``n_obs`` counts complete rows.
        Factors with one indicator get ``NaN``. Checked against psych 2.2.9 ``alpha`` (and
        semTools ``compRelSEM(tau.eq = TRUE)``) on HS, complete and with missing values,
        ``atol=1e-10``.

    Examples
    --------
    >>> from nrel_research.datasets import load_dataset
    >>> hs = load_dataset("holzinger_swineford_1939")
    >>> cronbach_alpha(hs, {"textual": ["x4", "x5", "x6"]})["alpha"].round(4).tolist()
    [0.8827]
    """
    blocks = _check_blocks(blocks)
    rows = []
    for f, items in blocks.items():
        sub = _numeric(data, items)
        if len(items) < 2:
            rows.append((f, 1, int(sub.notna().all(axis=1).sum()), np.nan, np.nan, np.nan, np.nan))
            continue
        a, (lo, hi) = pingouin.cronbach_alpha(data=sub, ci=ci)
        cov = sub.cov().to_numpy()  # pairwise, as psych's default use = "pairwise"
        sd = np.sqrt(np.diag(cov))
        k = len(items)
        a_std = (1 - k / (cov / np.outer(sd, sd)).sum()) * k / (k - 1)  # psych: cov2cor(C)
        rows.append((f, k, int(sub.notna().all(axis=1).sum()), float(a), a_std, lo, hi))
    return pd.DataFrame(
        rows, columns=["factor", "n_items", "n_obs", "alpha", "alpha_std", "ci_lower", "ci_upper"]
    )


def _as_frame(x, name: str, index=None, columns=None) -> pd.DataFrame:
    if isinstance(x, pd.DataFrame):
        return x.astype(float)
    arr = np.asarray(x, dtype=float)
    if index is None or columns is None:
        raise DataError(
            f"{name} must be a pandas DataFrame labelled by indicator/factor names "
            "(or pass the labels)."
        )
    return pd.DataFrame(arr, index=index, columns=columns)


def _factor_indicators(loadings: pd.DataFrame, factor: str) -> list[str]:
    col = loadings[factor]
    return col.index[col.to_numpy() != 0].tolist()


def composite_reliability(
    loadings: pd.DataFrame,
    factor_cov: pd.DataFrame,
    obs_cov: pd.DataFrame,
    *,
    drop_single: bool = True,
) -> pd.DataFrame:
    """Composite reliability (omega) per factor, exactly as semTools ``compRelSEM``.

    ``ω_f = 1ᵀ(λ_f φ_ff λ_fᵀ)1 / 1ᵀ S_f 1`` over the indicators with a non-zero loading on
    ``f``, where ``S_f`` is ``obs_cov`` restricted to them (semTools 0.5-6 defaults
    ``obs.var = TRUE``, ``tau.eq = FALSE``: the denominator is the *observed* variance of the
    unit-weighted sum score, so correlated residuals and misfit are accounted for). With
    ``obs_cov`` = the model-implied Σ(θ̂) it is ``compRelSEM(obs.var = FALSE)``, which for a
    congeneric factor without residual covariances is Raykov's
    ``(Σλ)²φ / ((Σλ)²φ + Σθ)`` in the raw metric of the unit-weighted sum score (not the
    same number as the formula applied to the standardised solution).

    Parameters
    ----------
    loadings : pandas.DataFrame
        Unstandardised Λ, indicators x factors.
    factor_cov : pandas.DataFrame
        Factor covariance matrix (factors x factors).
    obs_cov : pandas.DataFrame
        Indicator covariance matrix (see the module docstring).
    drop_single : bool, default True
        Leave out factors with a single indicator (semTools ``dropSingle``).

    Returns
    -------
    pandas.DataFrame
        Columns ``factor, n_items, omega``. Checked against semTools 0.5-6 ``compRelSEM`` on HS
        (``obs.var`` TRUE and FALSE), ``atol=1e-10``.

    Examples
    --------
    >>> lam = pd.DataFrame({"f": [1.0, 1.0]}, index=["a", "b"])
    >>> phi = pd.DataFrame([[1.0]], index=["f"], columns=["f"])
    >>> s = pd.DataFrame([[2.0, 1.0], [1.0, 2.0]], index=["a", "b"], columns=["a", "b"])
    >>> composite_reliability(lam, phi, s)["omega"].tolist()
    [0.6666666666666666]
    """
    loadings = _as_frame(loadings, "loadings")
    factor_cov = _as_frame(factor_cov, "factor_cov")
    obs_cov = _as_frame(obs_cov, "obs_cov")
    rows = []
    for f in loadings.columns:
        ind = _factor_indicators(loadings, f)
        if not ind or (drop_single and len(ind) == 1):
            continue
        lam = loadings.loc[ind, f].to_numpy()
        common = lam.sum() ** 2 * float(factor_cov.loc[f, f])
        total = float(obs_cov.loc[ind, ind].to_numpy().sum())
        rows.append((str(f), len(ind), common / total))
    return pd.DataFrame(rows, columns=["factor", "n_items", "omega"])


def ave(
    loadings: pd.DataFrame,
    factor_cov: pd.DataFrame,
    obs_cov: pd.DataFrame,
    *,
    drop_single: bool = True,
) -> pd.DataFrame:
    """Average variance extracted per factor, exactly as semTools ``AVE``.

    ``AVE_f = φ_ff Σλ_f² / Σ diag(S_f)`` (semTools 0.5-6 default ``obs.var = TRUE``: the
    indicators' *observed* variances; with the model-implied Σ(θ̂) and standardised indicators
    this is Fornell & Larcker's mean squared standardised loading). As semTools, a factor with
    an indicator that also loads on another factor gets ``NaN``.

    Parameters
    ----------
    loadings, factor_cov, obs_cov : pandas.DataFrame
        As :func:`composite_reliability`.
    drop_single : bool, default True

    Returns
    -------
    pandas.DataFrame
        Columns ``factor, n_items, ave``. Checked against semTools 0.5-6 ``AVE`` on HS,
        ``atol=1e-10``.
    """
    loadings = _as_frame(loadings, "loadings")
    factor_cov = _as_frame(factor_cov, "factor_cov")
    obs_cov = _as_frame(obs_cov, "obs_cov")
    factors = [
        f
        for f in loadings.columns
        if not (drop_single and len(_factor_indicators(loadings, f)) <= 1)
    ]
    cross = (loadings[factors].round(5) != 0).sum(axis=1) > 1
    rows = []
    for f in factors:
        ind = _factor_indicators(loadings, f)
        if cross.loc[ind].any():
            rows.append((str(f), len(ind), np.nan))
            continue
        lam = loadings.loc[ind, f].to_numpy()
        common = float((lam**2).sum() * factor_cov.loc[f, f])
        rows.append((str(f), len(ind), common / float(np.diag(obs_cov.loc[ind, ind]).sum())))
    return pd.DataFrame(rows, columns=["factor", "n_items", "ave"])


def htmt(
    data: pd.DataFrame,
    blocks: Mapping[str, Sequence[str]],
    *,
    htmt2: bool = False,
    absolute: bool = True,
    missing: str = "listwise",
) -> pd.DataFrame:
    """Heterotrait-monotrait ratio of correlations, exactly as semTools ``htmt``.

    ``HTMT_ij = mean |r| between the items of i and j / sqrt(mean |r| within i x mean |r|
    within j)`` (Henseler et al., 2015); with ``htmt2=True`` geometric instead of arithmetic
    means (HTMT2, Roemer et al., 2021). Note that semTools 0.5-6's *default* is
    ``htmt2 = TRUE``; here the classic HTMT is the default (pass ``htmt2=True`` for semTools'
    default).

    Parameters
    ----------
    data : pandas.DataFrame
    blocks : mapping
        ``{factor: [indicator, ...]}`` in the model's order.
    htmt2 : bool, default False
    absolute : bool, default True
        Use absolute correlations (always true for HTMT2), as semTools.
    missing : {"listwise", "ml"}, default "listwise"
        Correlations from complete rows, or from the EM (FIML saturated) covariance matrix
        (semTools ``missing = "ml"``, via lavaan's ``lavCor``).

    Returns
    -------
    pandas.DataFrame
        Square, factors x factors, ones on the diagonal. Checked against semTools 0.5-6 ``htmt``
        on HS (classic and HTMT2, ``atol=1e-10``) and on HS with missing values (``missing``
        "listwise", ``atol=1e-10``; "ml", ``atol=1e-4`` as lavaan's optimiser).

    Examples
    --------
    >>> from nrel_research.datasets import load_dataset
    >>> hs = load_dataset("holzinger_swineford_1939")
    >>> blocks = {"visual": ["x1", "x2", "x3"], "textual": ["x4", "x5", "x6"]}
    >>> float(htmt(hs, blocks).round(3).loc["visual", "textual"])
    0.424
    """
    from ._fiml import em_saturated, missing_patterns

    blocks = _check_blocks(blocks)
    missing = check_choice(missing, "missing", ["listwise", "ml"], normalize=True)
    items = [i for v in blocks.values() for i in v]
    sub = _numeric(data, list(dict.fromkeys(items)))
    if missing == "listwise":
        cc = sub.dropna()
        if len(cc) < 3:
            raise DataError(
                f"data have only {len(cc)} complete rows for the HTMT items; use missing='ml'."
            )
        r = cc.corr()
    else:
        h1 = em_saturated(missing_patterns(sub))
        sd = np.sqrt(np.diag(h1.sigma))
        r = pd.DataFrame(h1.sigma / np.outer(sd, sd), index=sub.columns, columns=sub.columns)
    if absolute or htmt2:
        r = r.abs()

    def avg(a: np.ndarray) -> float:
        a = a[~np.isnan(a)]
        return float(np.exp(np.mean(np.log(a)))) if htmt2 else float(np.mean(a))

    within = {}
    for f, v in blocks.items():
        m = r.loc[v, v].to_numpy().copy()
        np.fill_diagonal(m, np.nan)
        within[f] = avg(m) if len(v) > 1 else np.nan
    names = list(blocks)
    out = pd.DataFrame(np.eye(len(names)), index=names, columns=names)
    for i, fi in enumerate(names):
        for fj in names[:i]:
            a = r.loc[blocks[fi], blocks[fj]].to_numpy().copy()
            # semTools sets the diagonal of the full matrix to NA (shared items are skipped)
            for a_i, it in enumerate(blocks[fi]):
                for a_j, jt in enumerate(blocks[fj]):
                    if it == jt:
                        a[a_i, a_j] = np.nan
            val = avg(a) / np.sqrt(within[fi] * within[fj])
            out.loc[fi, fj] = out.loc[fj, fi] = val
    return out


def fornell_larcker(ave_values: pd.DataFrame | pd.Series, factor_cov: pd.DataFrame) -> pd.DataFrame:
    """Fornell-Larcker table: √AVE on the diagonal, factor correlations off the diagonal.

    Parameters
    ----------
    ave_values : pandas.DataFrame or pandas.Series
        The output of :func:`ave` (or a Series ``factor -> AVE``).
    factor_cov : pandas.DataFrame
        Factor covariance (or correlation) matrix; it is rescaled to correlations.

    Returns
    -------
    pandas.DataFrame
        Square, factors x factors, plus a column ``criterion_met``: whether √AVE of the factor
        exceeds its absolute correlation with every other factor (Fornell & Larcker, 1981).

    Examples
    --------
    >>> phi = pd.DataFrame([[1.0, 0.5], [0.5, 1.0]], index=["a", "b"], columns=["a", "b"])
    >>> fornell_larcker(pd.Series({"a": 0.49, "b": 0.16}), phi)
         a    b  criterion_met
    a  0.7  0.5           True
    b  0.5  0.4          False
    """
    if isinstance(ave_values, pd.DataFrame):
        ave_values = ave_values.set_index("factor")["ave"]
    factor_cov = _as_frame(factor_cov, "factor_cov")
    names = [f for f in ave_values.index if f in factor_cov.index]
    missing = [f for f in ave_values.index if f not in factor_cov.index]
    if missing:
        raise DataError(
            f"factor_cov lacks factor(s) {', '.join(map(repr, missing))}; pass the covariance "
            "matrix of the same factors as the AVE table."
        )
    cov = factor_cov.loc[names, names].to_numpy()
    sd = np.sqrt(np.diag(cov))
    cor = cov / np.outer(sd, sd)
    root = np.sqrt(ave_values.loc[names].to_numpy(dtype=float))
    table = cor.copy()
    np.fill_diagonal(table, root)
    out = pd.DataFrame(table, index=names, columns=names)
    off = np.abs(cor)
    np.fill_diagonal(off, -np.inf)
    out["criterion_met"] = root > off.max(axis=1) if len(names) > 1 else True
    return out


def reliability_table(
    data: pd.DataFrame,
    blocks: Mapping[str, Sequence[str]],
    loadings: pd.DataFrame,
    factor_cov: pd.DataFrame,
    obs_cov: pd.DataFrame,
) -> pd.DataFrame:
    """Per factor: Cronbach's alpha, omega (composite reliability) and AVE in one table.

    Combines :func:`cronbach_alpha` (on ``data``), :func:`composite_reliability` and
    :func:`ave` (on the fitted matrices); see the module docstring for what to pass.

    Returns
    -------
    pandas.DataFrame
        Columns ``factor, n_items, alpha, alpha_std, omega, ave`` (one row per factor of
        ``blocks``; ``NaN`` where a statistic is undefined, e.g. single-indicator factors).

    Examples
    --------
    >>> from nrel_research.datasets import load_dataset
    >>> hs = load_dataset("holzinger_swineford_1939")
    >>> items = ["x4", "x5", "x6"]
    >>> lam = pd.DataFrame({"textual": [1.0, 1.113, 0.926]}, index=items)
    >>> phi = pd.DataFrame([[0.98]], index=["textual"], columns=["textual"])
    >>> s = hs[items].cov(ddof=0)
    >>> reliability_table(hs, {"textual": items}, lam, phi, s).round(3)
        factor  n_items  alpha  alpha_std  omega    ave
    0  textual        3  0.883      0.885  0.885  0.721
    """
    blocks = _check_blocks(blocks)
    a = cronbach_alpha(data, blocks)[["factor", "n_items", "alpha", "alpha_std"]]
    o = composite_reliability(loadings, factor_cov, obs_cov)[["factor", "omega"]]
    v = ave(loadings, factor_cov, obs_cov)[["factor", "ave"]]
    return a.merge(o, on="factor", how="left").merge(v, on="factor", how="left")
