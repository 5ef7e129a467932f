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
modeling. *Industrial Management & Data Systems, 121*, 2637-2650. Zumbo, B. D., Gadermann,
A. M., & Zeisser, C. (2007). Ordinal versions of coefficients alpha and theta for Likert rating
scales. *Journal of Modern Applied Statistical Methods, 6*, 21-29. Green, S. B., & Yang, Y.
(2009). Reliability of summed item scores using structural equation modeling: An alternative
to coefficient alpha. *Psychometrika, 74*, 155-167.
Oracles: semTools 0.5-6 ``compRelSEM``, ``AVE``, ``htmt`` and psych 2.2.9 ``alpha``, via
``tests/reference/validity.R`` and, for ordinal indicators, ``tests/reference/
ordinal_validity.R``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import pingouin
from scipy import special

from .._validation import check_choice, check_columns
from ..exceptions import DataError, SpecificationError
from ._catstats import bvn_cdf

__all__ = [
    "alpha_from_cov",
    "ave",
    "composite_reliability",
    "cronbach_alpha",
    "fornell_larcker",
    "htmt",
    "htmt_from_cor",
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


def _omega_categorical(
    common: np.ndarray, obs_cor: np.ndarray, thresholds: list[np.ndarray], scales: np.ndarray
) -> float:
    """Categorical omega as semTools ``omegaCat`` (Green & Yang, 2009), vectorised."""
    sc = np.asarray(scales, dtype=float)
    r_true = common * np.outer(sc, sc)
    d = np.sqrt(np.diag(obs_cor))
    r_obs = obs_cor / np.outer(d, d)
    np.fill_diagonal(r_obs, 1.0)  # cov2cor: exactly 1, so Phi2(t, t', 1) = Phi(min(t, t'))
    tau = np.concatenate([np.asarray(t, dtype=float) * sc[j] for j, t in enumerate(thresholds)])
    item = np.concatenate([np.full(len(t), j) for j, t in enumerate(thresholds)])
    ti, tj = np.meshgrid(tau, tau, indexing="ij")
    ii, jj = np.meshgrid(item, item, indexing="ij")
    marg = float(special.ndtr(tau).sum()) ** 2
    num = float(bvn_cdf(ti, tj, r_true[ii, jj]).sum()) - marg
    den = float(bvn_cdf(ti, tj, r_obs[ii, jj]).sum()) - marg
    return num / den


def _scaled_cov(obs_cov: pd.DataFrame, scales) -> pd.DataFrame:
    """semTools: with categorical indicators SIGMA is rescaled to diag(1/s) SIGMA diag(1/s)."""
    if scales is None:
        return obs_cov
    sc = pd.Series(scales, dtype=float).reindex(obs_cov.index).fillna(1.0).to_numpy()
    return obs_cov / np.outer(sc, sc)


def _thresholds(thresholds) -> dict[str, np.ndarray]:
    if thresholds is None:
        return {}
    if not isinstance(thresholds, Mapping):
        raise DataError(
            "thresholds must map each ordered indicator to its thresholds, e.g. "
            "{'x1': [-0.8, 0.1, 0.9]} (semTools getThreshold)."
        )
    out = {}
    for name, t in thresholds.items():
        arr = np.atleast_1d(np.asarray(t, dtype=float))
        if arr.size == 0 or not np.all(np.isfinite(arr)) or np.any(np.diff(arr) <= 0):
            raise DataError(
                f"thresholds of {name!r} are {arr.tolist()}; give one or more finite, "
                "increasing thresholds per ordered indicator."
            )
        out[str(name)] = arr
    return out


def composite_reliability(
    loadings: pd.DataFrame,
    factor_cov: pd.DataFrame,
    obs_cov: pd.DataFrame,
    *,
    thresholds: Mapping[str, Sequence[float]] | None = None,
    scales: Mapping[str, float] | pd.Series | None = None,
    ord_scale: bool = True,
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

    **Ordinal indicators** (a fit with ``ordered=``; pass ``thresholds``): as semTools,
    ``obs_cov`` (the sample polychoric correlations, lavaan's ``sampstat`` ``cov``) is first
    rescaled to ``diag(1/s) S diag(1/s)`` with the ``scales`` ``s`` (lavaan's Δ; all 1 in the
    default delta parameterization). With ``ord_scale=True`` (semTools' default) a factor
    whose indicators are all ordered gets Green & Yang's (2009) *categorical omega*: the
    reliability of the unit-weighted sum of the observed *category scores*,

    ``ω = Σ_j Σ_j' [Σ_c Σ_c' Φ2(τ_jc, τ_j'c'; rho*_jj') - Φ_j Φ_j'] /
    Σ_j Σ_j' [Σ_c Σ_c' Φ2(τ_jc, τ_j'c'; rho_jj') - Φ_j Φ_j']``,

    with ``Φ_j = Σ_c Φ(τ_jc)``, the thresholds ``τ`` scaled by ``s``, ``rho*`` the
    model-implied common part ``s λ φ λᵀ s`` and ``rho`` the polychoric correlations
    (semTools ``omegaCat``). With ``ord_scale=False`` the continuous formula is applied on the
    latent-response scale (semTools ``compRelSEM(ord.scale = FALSE)``). A factor mixing
    ordered and numeric indicators gets ``NaN`` (semTools refuses it too).

    Parameters
    ----------
    loadings : pandas.DataFrame
        Unstandardised Λ, indicators x factors.
    factor_cov : pandas.DataFrame
        Factor covariance matrix (factors x factors).
    obs_cov : pandas.DataFrame
        Indicator covariance matrix (see the module docstring); for ordinal indicators the
        polychoric (polyserial, Pearson) matrix, lavaan's ``lavInspect(fit, "sampstat")$cov``.
    thresholds : mapping, optional
        ``{indicator: [τ_1, ..., τ_{C-1}]}`` for the ordered indicators (lavaan's
        ``lavInspect(fit, "est")$tau``); indicators not in it are numeric.
    scales : mapping or pandas.Series, optional
        ``{indicator: s}`` (lavaan's ``lavInspect(fit, "est")$delta``); default 1.
    ord_scale : bool, default True
        Categorical omega on the observed category scale (semTools ``ord.scale``).
    drop_single : bool, default True
        Leave out factors with a single indicator (semTools ``dropSingle``).

    Returns
    -------
    pandas.DataFrame
        Columns ``factor, n_items, omega``. Checked against semTools 0.5-6 ``compRelSEM`` on HS
        (``obs.var`` TRUE and FALSE), ``atol=1e-10``; with ordinal indicators (default and
        ``ord.scale = FALSE``; HS cut at quintiles in the delta and theta
        parameterizations, skewed 6-point items, the simulated study's 7-point items) from
        lavaan's own estimates, ``atol=1e-10`` (``tests/reference/ordinal_validity.R``).

    Examples
    --------
    >>> lam = pd.DataFrame({"f": [1.0, 1.0]}, index=["a", "b"])
    >>> phi = pd.DataFrame([[1.0]], index=["f"], columns=["f"])
    >>> s = pd.DataFrame([[2.0, 1.0], [1.0, 2.0]], index=["a", "b"], columns=["a", "b"])
    >>> composite_reliability(lam, phi, s)["omega"].tolist()
    [0.6666666666666666]

    Two binary items with a latent-response correlation of .5 explained by one factor
    (loadings √.5): categorical omega is the reliability of their 0/1 sum.

    >>> lam = pd.DataFrame({"f": [0.5**0.5, 0.5**0.5]}, index=["a", "b"])
    >>> r = pd.DataFrame([[1.0, 0.5], [0.5, 1.0]], index=["a", "b"], columns=["a", "b"])
    >>> out = composite_reliability(lam, phi, r, thresholds={"a": [0.0], "b": [0.0]})
    >>> round(float(out["omega"].iloc[0]), 4)
    0.5
    """
    loadings = _as_frame(loadings, "loadings")
    factor_cov = _as_frame(factor_cov, "factor_cov")
    obs_cov = _scaled_cov(_as_frame(obs_cov, "obs_cov"), scales)
    tau = _thresholds(thresholds)
    sc = (
        pd.Series(1.0, index=loadings.index)
        if scales is None
        else pd.Series(scales, dtype=float).reindex(loadings.index).fillna(1.0)
    )
    rows = []
    for f in loadings.columns:
        ind = _factor_indicators(loadings, f)
        if not ind or (drop_single and len(ind) == 1):
            continue
        lam = loadings.loc[ind, f].to_numpy()
        n_cat = sum(i in tau for i in ind)
        if 0 < n_cat < len(ind):
            rows.append((str(f), len(ind), np.nan))  # semTools: mixed scales, no omega
            continue
        common = np.outer(lam, lam) * float(factor_cov.loc[f, f])
        total = obs_cov.loc[ind, ind].to_numpy()
        if n_cat and ord_scale:
            value = _omega_categorical(common, total, [tau[i] for i in ind], sc.loc[ind].to_numpy())
        else:
            value = float(common.sum() / total.sum())
        rows.append((str(f), len(ind), value))
    return pd.DataFrame(rows, columns=["factor", "n_items", "omega"])


def alpha_from_cov(
    cov: pd.DataFrame,
    blocks: Mapping[str, Sequence[str]],
    *,
    scales: Mapping[str, float] | pd.Series | None = None,
) -> pd.DataFrame:
    """Cronbach's alpha per factor from a covariance or correlation matrix.

    ``alpha = k/(k - 1) (1 - tr S / 1ᵀS1)`` (Cronbach, 1951; semTools ``computeAlpha``). On the
    polychoric correlation matrix of ordinal items this is *ordinal alpha* (Zumbo, Gadermann &
    Zeisser, 2007): the alpha of the continuous latent responses, not of the observed
    category scores. As semTools, ``scales`` (lavaan's Δ of a fit in the theta
    parameterization) rescale ``cov`` first.

    Parameters
    ----------
    cov : pandas.DataFrame
        Indicators x indicators.
    blocks : mapping
        ``{factor: [indicator, ...]}``.
    scales : mapping or pandas.Series, optional

    Returns
    -------
    pandas.DataFrame
        Columns ``factor, n_items, alpha`` (``NaN`` for single indicators). Checked against
        semTools 0.5-6 ``compRelSEM(tau.eq = TRUE, ord.scale = FALSE)`` and psych 2.2.9
        ``alpha()`` of lavaan's polychoric matrix, ``atol=1e-10``
        (``tests/reference/ordinal_validity.R``).

    Examples
    --------
    >>> r = pd.DataFrame([[1.0, 0.5], [0.5, 1.0]], index=["a", "b"], columns=["a", "b"])
    >>> alpha_from_cov(r, {"f": ["a", "b"]})["alpha"].round(4).tolist()
    [0.6667]
    """
    blocks = _check_blocks(blocks)
    cov = _scaled_cov(_as_frame(cov, "cov"), scales)
    check_columns(cov, [i for v in blocks.values() for i in v], data_name="cov")
    rows = []
    for f, items in blocks.items():
        k = len(items)
        if k < 2:
            rows.append((f, k, np.nan))
            continue
        s = cov.loc[items, items].to_numpy()
        rows.append((f, k, k / (k - 1) * (1 - np.trace(s) / s.sum())))
    return pd.DataFrame(rows, columns=["factor", "n_items", "alpha"])


def ave(
    loadings: pd.DataFrame,
    factor_cov: pd.DataFrame,
    obs_cov: pd.DataFrame,
    *,
    scales: Mapping[str, float] | pd.Series | None = None,
    drop_single: bool = True,
) -> pd.DataFrame:
    """Average variance extracted per factor, exactly as semTools ``AVE``.

    ``AVE_f = φ_ff Σλ_f² / Σ diag(S_f)`` (semTools 0.5-6 default ``obs.var = TRUE``: the
    indicators' *observed* variances; with the model-implied Σ(θ̂) and standardised indicators
    this is Fornell & Larcker's mean squared standardised loading). As semTools, a factor with
    an indicator that also loads on another factor gets ``NaN``. For ordinal indicators pass
    the polychoric matrix as ``obs_cov`` (and the ``scales`` of a theta-parameterized fit):
    the AVE of the latent responses, as semTools ``AVE`` of a fit with ``ordered=``.

    Parameters
    ----------
    loadings, factor_cov, obs_cov : pandas.DataFrame
        As :func:`composite_reliability`.
    scales : mapping or pandas.Series, optional
        As :func:`composite_reliability`.
    drop_single : bool, default True

    Returns
    -------
    pandas.DataFrame
        Columns ``factor, n_items, ave``. Checked against semTools 0.5-6 ``AVE`` on HS,
        ``atol=1e-10``, and on ordinal fits (``tests/reference/ordinal_validity.R``) from
        lavaan's estimates, ``atol=1e-10``.
    """
    loadings = _as_frame(loadings, "loadings")
    factor_cov = _as_frame(factor_cov, "factor_cov")
    obs_cov = _scaled_cov(_as_frame(obs_cov, "obs_cov"), scales)
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


def htmt_from_cor(
    cor: pd.DataFrame,
    blocks: Mapping[str, Sequence[str]],
    *,
    htmt2: bool = False,
    absolute: bool = True,
) -> pd.DataFrame:
    """HTMT from a correlation (or covariance) matrix, as semTools ``htmt(sample.cov = )``.

    The moment-level part of :func:`htmt`: pass e.g. a polychoric correlation matrix
    (:func:`nrel_research.sem.polychoric`) for HTMT on ordinal items. A covariance matrix is
    rescaled to correlations.

    Parameters
    ----------
    cor : pandas.DataFrame
        Indicators x indicators.
    blocks : mapping
        ``{factor: [indicator, ...]}`` in the model's order.
    htmt2, absolute : bool
        As :func:`htmt`.

    Returns
    -------
    pandas.DataFrame
        Factors x factors, ones on the diagonal.

    Examples
    --------
    >>> r = pd.DataFrame([[1, .6, .3, .3], [.6, 1, .3, .3], [.3, .3, 1, .5], [.3, .3, .5, 1]],
    ...                  index=list("abcd"), columns=list("abcd"))
    >>> round(float(htmt_from_cor(r, {"f": ["a", "b"], "g": ["c", "d"]}).loc["f", "g"]), 4)
    0.5477
    """
    blocks = _check_blocks(blocks)
    r = _as_frame(cor, "cor")
    check_columns(r, [i for v in blocks.values() for i in v], data_name="cor")
    d = np.sqrt(np.diag(r.to_numpy()))
    r = pd.DataFrame(r.to_numpy() / np.outer(d, d), index=r.index, columns=r.columns)
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


def htmt(
    data: pd.DataFrame,
    blocks: Mapping[str, Sequence[str]],
    *,
    htmt2: bool = False,
    absolute: bool = True,
    missing: str = "listwise",
    ordered: Sequence[str] | bool | None = None,
) -> pd.DataFrame:
    """Heterotrait-monotrait ratio of correlations, exactly as semTools ``htmt``.

    ``HTMT_ij = mean |r| between the items of i and j / sqrt(mean |r| within i x mean |r|
    within j)`` (Henseler et al., 2015); with ``htmt2=True`` geometric instead of arithmetic
    means (HTMT2, Roemer et al., 2021). Note that semTools 0.5-6's *default* is
    ``htmt2 = TRUE``; here the classic HTMT is the default (pass ``htmt2=True`` for semTools'
    default). With ``ordered`` the correlations of ordinal items are polychoric (polyserial
    with numeric items; :func:`nrel_research.sem.polychoric`, lavaan's two-step estimates),
    as semTools ``htmt(..., ordered = )`` through lavaan's ``lavCor``.

    Parameters
    ----------
    data : pandas.DataFrame
    blocks : mapping
        ``{factor: [indicator, ...]}`` in the model's order.
    htmt2 : bool, default False
    absolute : bool, default True
        Use absolute correlations (always true for HTMT2), as semTools.
    missing : {"listwise", "ml", "pairwise"}, default "listwise"
        Correlations from complete rows, from the EM (FIML saturated) covariance matrix
        (semTools ``missing = "ml"``, via lavaan's ``lavCor``; numeric items), or pairwise
        (``ordered`` items only, as lavaan's ``lavCor(missing = "pairwise")``).
    ordered : sequence of str or True, optional
        The ordinal items (``True``: every item of ``blocks``); the others are numeric.

    Returns
    -------
    pandas.DataFrame
        Square, factors x factors, ones on the diagonal. Checked against semTools 0.5-6 ``htmt``
        on HS (classic and HTMT2, ``atol=1e-10``) and on HS with missing values (``missing``
        "listwise", ``atol=1e-10``; "ml", ``atol=1e-4`` as lavaan's optimiser); with
        ``ordered`` on HS cut at quintiles, skewed 6-point items and the simulated study's
        items, ``atol=1e-6`` (``tests/reference/ordinal_validity.R``).

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
    missing = check_choice(missing, "missing", ["listwise", "ml", "pairwise"], normalize=True)
    items = list(dict.fromkeys(i for v in blocks.values() for i in v))
    if ordered is not None and ordered is not False:
        r = _polychoric_cor(data, items, ordered, missing)
        return htmt_from_cor(r, blocks, htmt2=htmt2, absolute=absolute)
    if missing == "pairwise":
        raise SpecificationError(
            "missing='pairwise' is for ordinal items: pass ordered=[...] (or True), or use "
            "missing='listwise' or 'ml' for numeric items."
        )
    sub = _numeric(data, items)
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
    return htmt_from_cor(r, blocks, htmt2=htmt2, absolute=absolute)


def _polychoric_cor(data, items, ordered, missing) -> pd.DataFrame:
    """Polychoric/polyserial/Pearson matrix of ``items`` (lavaan ``lavCor``, two-step)."""
    from .polychoric import polychoric

    if missing == "ml":
        raise SpecificationError(
            "missing='ml' is for numeric items; with ordered items use 'listwise' or "
            "'pairwise' (as lavaan's lavCor for categorical data)."
        )
    if ordered is not True:
        ordered = [str(v) for v in ([ordered] if isinstance(ordered, str) else ordered)]
        check_columns(data, ordered)
        ordered = [v for v in ordered if v in items]
    return polychoric(data, items, ordered=ordered, missing=missing).cor


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
    *,
    thresholds: Mapping[str, Sequence[float]] | None = None,
    scales: Mapping[str, float] | pd.Series | None = None,
) -> pd.DataFrame:
    """Per factor: Cronbach's alpha, omega (composite reliability) and AVE in one table.

    Combines :func:`cronbach_alpha` (on ``data``), :func:`composite_reliability` and
    :func:`ave` (on the fitted matrices); see the module docstring for what to pass. For a fit
    with ordinal indicators pass their ``thresholds`` (and ``scales``) and the polychoric
    matrix as ``obs_cov``: ``omega`` is then semTools' categorical omega and two columns are
    added, ``alpha_ordinal`` (:func:`alpha_from_cov` of the polychoric matrix) and
    ``omega_latent`` (``compRelSEM(ord.scale = FALSE)``).

    Returns
    -------
    pandas.DataFrame
        Columns ``factor, n_items, alpha, alpha_std, omega, ave`` (one row per factor of
        ``blocks``; ``NaN`` where a statistic is undefined, e.g. single-indicator factors);
        with ``thresholds`` ``factor, n_items, alpha, alpha_std, alpha_ordinal, omega,
        omega_latent, ave`` (``alpha`` and ``alpha_std`` stay those of the observed category
        scores).

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
    o = composite_reliability(loadings, factor_cov, obs_cov, thresholds=thresholds, scales=scales)[
        ["factor", "omega"]
    ]
    v = ave(loadings, factor_cov, obs_cov, scales=scales)[["factor", "ave"]]
    out = a.merge(o, on="factor", how="left").merge(v, on="factor", how="left")
    if thresholds is None:
        return out
    tau = _thresholds(thresholds)
    ao = alpha_from_cov(obs_cov, blocks, scales=scales)[["factor", "alpha"]]
    mixed = [f for f, v in blocks.items() if 0 < sum(i in tau for i in v) < len(v)]
    ao.loc[ao["factor"].isin(mixed), "alpha"] = np.nan  # semTools: mixed scales, no alpha
    ol = composite_reliability(
        loadings, factor_cov, obs_cov, thresholds=tau, scales=scales, ord_scale=False
    )[["factor", "omega"]]
    out = out.merge(ao.rename(columns={"alpha": "alpha_ordinal"}), on="factor", how="left")
    out = out.merge(ol.rename(columns={"omega": "omega_latent"}), on="factor", how="left")
    return out[
        [
            "factor",
            "n_items",
            "alpha",
            "alpha_std",
            "alpha_ordinal",
            "omega",
            "omega_latent",
            "ave",
        ]
    ]
