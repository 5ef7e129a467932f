"""Full-information maximum likelihood (FIML) for multivariate normal data with missing values.

A standalone, moment-level building block of the SEM engine: everything here works on the
*moments* of one group — a mean vector ``mu`` (length ``p``) and a covariance matrix ``sigma``
(``p x p``) — never on model parameters. The engine links it to the parameters θ by the chain
rule with its Jacobian ``Δ = ∂(μ, vech Σ)/∂θ``:

* gradient in θ:            ``Δᵀ g``   with ``g = fiml_gradient(...)``,
* information in θ (h1-type): ``Δᵀ I Δ`` with ``I = fiml_information(...)``,
* casewise scores in θ:     ``S Δ``    with ``S = fiml_scores(...)``.

Conventions (identical to lavaan's ``lavInspect(fit, "delta")`` rows)
---------------------------------------------------------------------
* The moment vector is ``m = (μ, vech Σ)``: the ``p`` means first, then ``vech Σ``, the
  lower triangle stacked column by column — for ``p = 3``:
  ``s11, s21, s31, s22, s32, s33`` (lavaan row names ``x1~~x1, x1~~x2, x1~~x3, x2~~x2, ...``).
  :func:`vech_indices` returns the ``(row, col)`` index arrays.
* Derivatives with respect to ``vech Σ`` treat ``s_ij`` and ``s_ji`` as one parameter (a
  change of the element moves both), which is what lavaan's ``Δ`` assumes.
* With ``meanstructure=False`` (lavaan's default for complete-data MLR) the mean block is
  dropped and only the ``vech Σ`` block is returned; ``mu`` must then be the sample mean.
* Information matrices are *per observation* (divided by ``N``, the number of non-empty rows),
  as lavaan's ``lav_mvnorm_missing_information_*`` functions; log-likelihoods, gradients and
  Hessians are totals over rows.

Complete data are the special case of a single pattern; every function here gives the
complete-data result then (with ``mu`` = sample mean and ``sigma`` = ML covariance it gives
lavaan's ``lav_mvnorm_h1_*`` quantities).

References
----------
Arbuckle, J. L. (1996). Full information estimation in the presence of incomplete data. In
G. A. Marcoulides & R. E. Schumacker (Eds.), *Advanced structural equation modeling*.
Savalei, V. (2010). Expected versus observed information in SEM with incomplete normal and
nonnormal data. *Psychological Methods, 15*(4), 352-367.
Rosseel, Y. (2012). lavaan: An R package for structural equation modeling. *Journal of
Statistical Software, 48*(2). Oracle: lavaan 0.6-14 ``lav_mvnorm_missing_*`` functions
(``tests/reference/sem_missing_robust.R``).

Examples
--------
>>> import numpy as np
>>> from nrel_research.sem._fiml import missing_patterns, fiml_loglik, em_saturated
>>> y = np.array([[1.0, 2.0], [2.0, np.nan], [3.0, 5.0], [np.nan, 1.0], [4.0, 3.0]])
>>> pat = missing_patterns(y)
>>> pat.n_patterns, pat.n_obs
(3, 5)
>>> h1 = em_saturated(pat)
>>> round(h1.loglik, 6) == round(fiml_loglik(pat, h1.mu, h1.sigma), 6)
True
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..exceptions import ConvergenceWarning, DataError, DataQualityWarning, ImproperSolutionWarning

__all__ = [
    "EMResult",
    "MissingPatterns",
    "Pattern",
    "em_saturated",
    "fiml_casewise_loglik",
    "fiml_gradient",
    "fiml_hessian",
    "fiml_information",
    "fiml_loglik",
    "fiml_scores",
    "missing_patterns",
    "normal_information",
    "vech",
    "vech_indices",
]

_LOG_2PI = float(np.log(2.0 * np.pi))


def vech_indices(p: int) -> tuple[np.ndarray, np.ndarray]:
    """Row and column indices of ``vech`` (lower triangle, column by column), as lavaan.

    Examples
    --------
    >>> r, c = vech_indices(3)
    >>> list(zip(r.tolist(), c.tolist()))
    [(0, 0), (1, 0), (2, 0), (1, 1), (2, 1), (2, 2)]
    """
    cols, rows = np.triu_indices(p)  # upper triangle row-major == lower triangle column-major
    return rows, cols


def vech(a: np.ndarray) -> np.ndarray:
    """Stack the lower triangle of a square matrix column by column (lavaan's ``vech``).

    Examples
    --------
    >>> vech(np.array([[1.0, 2.0], [2.0, 3.0]])).tolist()
    [1.0, 2.0, 3.0]
    """
    r, c = vech_indices(a.shape[0])
    return a[r, c]


@dataclass(frozen=True)
class Pattern:
    """One missing-data pattern: which variables are observed and the rows that share it.

    Attributes
    ----------
    observed : numpy.ndarray of bool, shape (p,)
    rows : numpy.ndarray of int
        Row positions (0-based, in the data passed to :func:`missing_patterns`).
    y : numpy.ndarray, shape (freq, p_obs)
        The observed values of these rows.
    mean, cov : numpy.ndarray
        Sufficient statistics: the mean and the ML (divisor ``freq``) covariance of ``y``.
    """

    observed: np.ndarray
    rows: np.ndarray
    y: np.ndarray
    mean: np.ndarray
    cov: np.ndarray

    @property
    def freq(self) -> int:
        """Number of rows with this pattern."""
        return int(self.rows.size)

    @property
    def idx(self) -> np.ndarray:
        """Integer positions of the observed variables."""
        return np.flatnonzero(self.observed)


@dataclass(frozen=True)
class MissingPatterns:
    """Data grouped once by missing-data pattern (input to every FIML function).

    Attributes
    ----------
    patterns : list of Pattern
        Non-empty patterns; rows with every value missing are left out (as lavaan does).
    n_rows : int
        Rows of the data given, including empty rows.
    p : int
        Number of variables.
    empty_rows : numpy.ndarray of int
        Rows with no observed value (excluded from ``n_obs``).
    columns : list of str
        Variable names (``x0, x1, ...`` for an array).
    """

    patterns: list[Pattern]
    n_rows: int
    p: int
    empty_rows: np.ndarray
    columns: list[str] = field(default_factory=list)
    #: stacked per-pattern statistics (pattern k in row k), zero where a variable is missing
    observed: np.ndarray = field(default=None, repr=False)  # (K, p) bool
    freq: np.ndarray = field(default=None, repr=False)  # (K,)
    means: np.ndarray = field(default=None, repr=False)  # (K, p)
    covs: np.ndarray = field(default=None, repr=False)  # (K, p, p)
    row_pattern: np.ndarray = field(default=None, repr=False)  # (n_rows,), -1 for empty rows
    y0: np.ndarray = field(default=None, repr=False)  # (n_rows, p), missing values set to 0

    @property
    def n_obs(self) -> int:
        """Number of non-empty rows ``N`` (lavaan's ``nobs`` with ``missing="ml"``)."""
        return self.n_rows - int(self.empty_rows.size)

    @property
    def n_patterns(self) -> int:
        """Number of distinct non-empty missing-data patterns."""
        return len(self.patterns)


def missing_patterns(
    data: pd.DataFrame | np.ndarray, *, data_name: str = "data"
) -> MissingPatterns:
    """Group the rows of ``data`` by missing-data pattern and precompute their statistics.

    Parameters
    ----------
    data : pandas.DataFrame or numpy.ndarray, shape (n, p)
        Numeric data; missing values are ``NaN`` (pandas ``NA``).
    data_name : str, default "data"
        How to call the data in error messages.

    Returns
    -------
    MissingPatterns

    Raises
    ------
    DataError
        If a column is not numeric or holds an infinite value.

    Warns
    -----
    DataQualityWarning
        If some rows have no observed value (they are left out, as lavaan does).
    """
    if isinstance(data, pd.DataFrame):
        columns = [str(c) for c in data.columns]
        for c in data.columns:
            if not pd.api.types.is_numeric_dtype(data[c]):
                bad = data[c][pd.to_numeric(data[c], errors="coerce").isna() & data[c].notna()]
                row = bad.index[0] if len(bad) else None
                value = bad.iloc[0] if len(bad) else None
                raise DataError(
                    f"{data_name}, column '{c}' is not numeric (row {row}, value {value!r}); "
                    "recode it to numbers (e.g. pandas.to_numeric) before fitting."
                )
        y = data.to_numpy(dtype=float, na_value=np.nan)
        labels = list(data.index)
    else:
        y = np.asarray(data, dtype=float)
        if y.ndim != 2:
            raise DataError(f"{data_name} must be 2-dimensional (rows x variables), got {y.ndim}.")
        columns = [f"x{j}" for j in range(y.shape[1])]
        labels = list(range(y.shape[0]))
    n, p = y.shape
    if np.isinf(y).any():
        i, j = np.argwhere(np.isinf(y))[0]
        raise DataError(
            f"{data_name}, row {labels[i]!r}, column '{columns[j]}' holds an infinite value "
            f"{y[i, j]!r}; "
            "replace it by a finite number or by NaN (missing)."
        )
    obs = ~np.isnan(y)
    empty = np.flatnonzero(~obs.any(axis=1))
    if p == 0 or empty.size == n:
        raise DataError(
            f"{data_name} has no observed values ({n} rows x {p} columns); pass the data with "
            "the model's variables as columns."
        )
    if empty.size:
        warnings.warn(
            f"{data_name}: {empty.size} row(s) have no observed value (first: row "
            f"{labels[empty[0]]!r}) "
            "and are left out, as lavaan does.",
            DataQualityWarning,
            stacklevel=2,
        )
    keep = np.flatnonzero(obs.any(axis=1))
    uniq, inverse = np.unique(obs[keep], axis=0, return_inverse=True)
    inverse = np.asarray(inverse).reshape(-1)
    order = np.argsort(inverse, kind="stable")
    bounds = np.searchsorted(inverse[order], np.arange(uniq.shape[0] + 1))
    patterns = []
    for k in range(uniq.shape[0]):
        rows = keep[order[bounds[k] : bounds[k + 1]]]
        o = uniq[k]
        yy = y[np.ix_(rows, np.flatnonzero(o))]
        mean = yy.mean(axis=0)
        yc = yy - mean
        cov = yc.T @ yc / rows.size
        patterns.append(Pattern(observed=o, rows=rows, y=yy, mean=mean, cov=cov))
    k_pat = len(patterns)
    means = np.zeros((k_pat, p))
    covs = np.zeros((k_pat, p, p))
    row_pattern = -np.ones(n, dtype=int)
    for k, pt in enumerate(patterns):
        means[k, pt.idx] = pt.mean
        covs[k][np.ix_(pt.idx, pt.idx)] = pt.cov
        row_pattern[pt.rows] = k
    return MissingPatterns(
        patterns=patterns,
        n_rows=n,
        p=p,
        empty_rows=empty,
        columns=columns,
        observed=uniq.astype(bool),
        freq=np.array([pt.freq for pt in patterns], dtype=float),
        means=means,
        covs=covs,
        row_pattern=row_pattern,
        y0=np.where(obs, y, 0.0),
    )


def _check_moments(pat: MissingPatterns, mu: np.ndarray, sigma: np.ndarray):
    mu = np.asarray(mu, dtype=float).reshape(-1)
    sigma = np.asarray(sigma, dtype=float)
    if mu.shape != (pat.p,) or sigma.shape != (pat.p, pat.p):
        raise DataError(
            f"moments do not match the data: mu has shape {mu.shape} and sigma {sigma.shape}, "
            f"but the data have {pat.p} variables; pass mu of length {pat.p} and a "
            f"{pat.p} x {pat.p} sigma in the column order of the data."
        )
    return mu, sigma


def _pattern_inverse(sigma: np.ndarray, pt: Pattern) -> tuple[np.ndarray, float]:
    """Inverse and log-determinant of the observed block, by one Cholesky factorisation."""
    idx = pt.idx
    s = sigma[np.ix_(idx, idx)]
    try:
        chol = np.linalg.cholesky(s)
    except np.linalg.LinAlgError as exc:
        raise DataError(
            "the covariance matrix is not positive definite for the variables observed in "
            f"missing-data pattern {pt.observed.astype(int).tolist()} ({pt.freq} row(s)); "
            "check the starting values or the model (negative variances?)."
        ) from exc
    inv_chol = np.linalg.inv(chol)
    return inv_chol.T @ inv_chol, 2.0 * float(np.log(np.diag(chol)).sum())


def _batch_inverse(pat: MissingPatterns, sigma: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Inverses of every pattern's observed block, embedded in ``p x p`` zeros, and log-dets.

    One batched Cholesky factorisation: the block of pattern k is completed with an identity on
    its missing variables, whose inverse and determinant leave the observed block's unchanged.
    """
    o = pat.observed.astype(float)
    fill = 1.0 - o
    m = sigma[None, :, :] * (o[:, :, None] * o[:, None, :])
    m[:, np.arange(pat.p), np.arange(pat.p)] += fill
    try:
        chol = np.linalg.cholesky(m)
    except np.linalg.LinAlgError:
        for pt in pat.patterns:  # name the failing pattern
            _pattern_inverse(sigma, pt)
        raise
    inv_chol = np.linalg.inv(chol)
    sinv = np.swapaxes(inv_chol, 1, 2) @ inv_chol
    sinv[:, np.arange(pat.p), np.arange(pat.p)] -= fill
    logdet = 2.0 * np.log(np.diagonal(chol, axis1=1, axis2=2)).sum(axis=1)
    return sinv, logdet


def fiml_loglik(pat: MissingPatterns, mu: np.ndarray, sigma: np.ndarray) -> float:
    """FIML (casewise normal) log-likelihood summed over rows, as lavaan's ``logl``.

    Parameters
    ----------
    pat : MissingPatterns
        From :func:`missing_patterns`.
    mu : numpy.ndarray, shape (p,)
    sigma : numpy.ndarray, shape (p, p)

    Returns
    -------
    float
        ``Σ_i log φ(y_i,obs; μ_obs, Σ_obs,obs)`` including the ``log 2π`` constant
        (lavaan ``lav_mvnorm_missing_loglik_samplestats``; checked against
        ``fitMeasures(fit)["logl"]``).
    """
    return fiml_gradient(pat, mu, sigma, loglik_only=True)[0]


def fiml_gradient(
    pat: MissingPatterns,
    mu: np.ndarray,
    sigma: np.ndarray,
    *,
    meanstructure: bool = True,
    loglik_only: bool = False,
) -> tuple[float, np.ndarray | None]:
    """Log-likelihood and its analytic gradient with respect to ``(μ, vech Σ)``.

    Parameters
    ----------
    pat : MissingPatterns
    mu, sigma : numpy.ndarray
        Model-implied moments.
    meanstructure : bool, default True
        If false, return only the ``vech Σ`` block of the gradient.
    loglik_only : bool, default False
        Skip the gradient (returned as ``None``).

    Returns
    -------
    loglik : float
    gradient : numpy.ndarray, shape (p + p(p+1)/2,) or (p(p+1)/2,)
        ``∂ logl / ∂(μ, vech Σ)`` (lavaan ``lav_mvnorm_missing_dlogl_dmu`` and
        ``lav_mvnorm_missing_dlogl_dvechSigma``). Multiply by ``Δ`` from the left
        (``Δᵀ g``) for the gradient in θ; lavaan's objective is ``-logl / N``.
    """
    mu, sigma = _check_moments(pat, mu, sigma)
    p = pat.p
    sinv, logdet = _batch_inverse(pat, sigma)
    d = (pat.means - mu) * pat.observed
    w = pat.covs + d[:, :, None] * d[:, None, :]
    n_k = pat.freq
    n_var = pat.observed.sum(axis=1)
    ll = -0.5 * float(n_k @ (n_var * _LOG_2PI + logdet + np.einsum("kab,kab->k", sinv, w)))
    if loglik_only:
        return ll, None
    gmu = np.einsum("k,kab,kb->a", n_k, sinv, d)
    gsig = 0.5 * np.einsum("k,kab->ab", n_k, sinv @ w @ sinv - sinv)
    r, c = vech_indices(p)
    gv = np.where(r == c, 1.0, 2.0) * gsig[r, c]
    return ll, (np.concatenate([gmu, gv]) if meanstructure else gv)


def fiml_casewise_loglik(pat: MissingPatterns, mu: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    """Log-likelihood of every row (``NaN`` for empty rows), in the original row order.

    As lavaan ``lav_mvnorm_missing_llik_casewise``; the sum over rows is :func:`fiml_loglik`.
    """
    mu, sigma = _check_moments(pat, mu, sigma)
    sinv, logdet = _batch_inverse(pat, sigma)
    out = np.full(pat.n_rows, np.nan)
    rows = np.flatnonzero(pat.row_pattern >= 0)
    k = pat.row_pattern[rows]
    yc = (pat.y0[rows] - mu) * pat.observed[k]
    dist = np.einsum("ia,iab,ib->i", yc, sinv[k], yc)
    out[rows] = -0.5 * (pat.observed[k].sum(axis=1) * _LOG_2PI + logdet[k] + dist)
    return out


def fiml_scores(
    pat: MissingPatterns, mu: np.ndarray, sigma: np.ndarray, *, meanstructure: bool = True
) -> np.ndarray:
    """Casewise scores: the gradient of each row's log-likelihood w.r.t. ``(μ, vech Σ)``.

    Parameters
    ----------
    pat : MissingPatterns
    mu, sigma : numpy.ndarray
    meanstructure : bool, default True
        If false, return only the ``vech Σ`` columns.

    Returns
    -------
    numpy.ndarray, shape (n_rows, p + p(p+1)/2)
        Rows in the original order; empty rows are zero. Equals lavaan
        ``lav_mvnorm_missing_scores_mu_vech_sigma``; ``S Δ`` gives the casewise scores in θ
        (lavaan ``lavScores``) and ``SᵀS / N`` the first-order information.
    """
    mu, sigma = _check_moments(pat, mu, sigma)
    p = pat.p
    r, c = vech_indices(p)
    half = np.where(r == c, 0.5, 1.0)
    sinv, _ = _batch_inverse(pat, sigma)
    out = np.zeros((pat.n_rows, p + r.size))
    rows = np.flatnonzero(pat.row_pattern >= 0)
    k = pat.row_pattern[rows]
    yc = (pat.y0[rows] - mu) * pat.observed[k]
    z = np.einsum("ia,iab->ib", yc, sinv[k])
    out[rows, :p] = z
    out[rows, p:] = (z[:, r] * z[:, c] - sinv[k][:, r, c]) * half
    return out if meanstructure else out[:, p:]


def _dup_kron(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``Dᵀ (A ⊗ B) D`` for symmetric ``A``, ``B`` (lavaan ``lav_matrix_duplication_pre_post``)."""
    r, c = vech_indices(a.shape[0])
    m = (
        b[np.ix_(r, r)] * a[np.ix_(c, c)]
        + b[np.ix_(r, c)] * a[np.ix_(c, r)]
        + b[np.ix_(c, r)] * a[np.ix_(r, c)]
        + b[np.ix_(c, c)] * a[np.ix_(r, r)]
    )
    dr = r == c
    m[dr, :] *= 0.5
    m[:, dr] *= 0.5
    return m


def _sum_dup_kron(weights: np.ndarray, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """``Σ_k w_k Dᵀ(X_k ⊗ Y_k)D`` for stacks of symmetric ``p x p`` matrices, by one BLAS call."""
    n_k, p, _ = xs.shape
    kk = (xs.reshape(n_k, p * p).T * weights) @ ys.reshape(n_k, p * p)
    kk = kk.reshape(p, p, p, p)  # [a, c, b, d] = Σ w X[a, c] Y[b, d]
    r, c = vech_indices(p)
    i, j = r[:, None], c[:, None]
    k, l_ = r[None, :], c[None, :]
    m = kk[j, l_, i, k] + kk[j, k, i, l_] + kk[i, l_, j, k] + kk[i, k, j, l_]
    dr = r == c
    m[dr, :] *= 0.5
    m[:, dr] *= 0.5
    return m


def _pattern_stacks(pat: MissingPatterns, mu: np.ndarray, sigma: np.ndarray, *, observed: bool):
    """Per-pattern embedded inverses (and, if ``observed``, the Hessian pieces) as stacks."""
    sinv_s, _ = _batch_inverse(pat, sigma)
    freq = pat.freq
    if not observed:
        return freq, sinv_s, None, None
    d = (pat.means - mu) * pat.observed
    w = pat.covs + d[:, :, None] * d[:, None, :]
    sig_o = sigma[None, :, :] * (pat.observed[:, :, None] & pat.observed[:, None, :])
    aaa_s = sinv_s @ (2.0 * w - sig_o) @ sinv_s
    t_s = np.einsum("kab,kb->ka", sinv_s, d)
    return freq, sinv_s, aaa_s, t_s


def fiml_hessian(
    pat: MissingPatterns, mu: np.ndarray, sigma: np.ndarray, *, meanstructure: bool = True
) -> np.ndarray:
    """Analytic Hessian of the FIML log-likelihood with respect to ``(μ, vech Σ)``.

    As lavaan ``lav_mvnorm_missing_logl_hessian_samplestats`` (a total over rows, negative
    definite near a maximum). The observed information per observation is ``-H / N``.
    """
    mu, sigma = _check_moments(pat, mu, sigma)
    freq, sinv_s, aaa_s, t_s = _pattern_stacks(pat, mu, sigma, observed=True)
    h22 = 0.5 * _sum_dup_kron(freq, sinv_s, aaa_s)
    if not meanstructure:
        return -h22
    h11 = np.einsum("k,kab->ab", freq, sinv_s)
    # D'(t ⊗ S^-1): row (i, j) = t_j S_i. + t_i S_j., halved on the diagonal
    kk = np.einsum("k,kc,kam->cam", freq, t_s, sinv_s)
    r, c = vech_indices(pat.p)
    h21 = kk[c, r, :] + kk[r, c, :]
    h21[r == c, :] *= 0.5
    return -np.block([[h11, h21.T], [h21, h22]])


def fiml_information(
    pat: MissingPatterns,
    mu: np.ndarray,
    sigma: np.ndarray,
    kind: str = "observed",
    *,
    meanstructure: bool = True,
) -> np.ndarray:
    """Information matrix per observation with respect to ``(μ, vech Σ)``, as lavaan defines it.

    Parameters
    ----------
    pat : MissingPatterns
    mu, sigma : numpy.ndarray
        The moments at which to evaluate: the model-implied ones for lavaan's "structured"
        ``h1.information`` (the default, used for standard errors), or the EM (h1) moments of
        :func:`em_saturated` for "unstructured" (used by the Yuan-Bentler test).
    kind : {"observed", "expected", "first.order"}
        ``"observed"``: ``-H / N`` (lavaan ``lav_mvnorm_missing_information_observed_samplestats``);
        ``"expected"``: ``Σ_patterns n_p · blockdiag(Σ_oo⁻¹, ½ Dᵀ(Σ_oo⁻¹ ⊗ Σ_oo⁻¹)D) / N``
        (lavaan ``lav_mvnorm_missing_information_expected``, Savalei 2010);
        ``"first.order"``: ``SᵀS / N`` from :func:`fiml_scores` (lavaan
        ``lav_mvnorm_missing_information_firstorder``, the "meat" of MLR).
    meanstructure : bool, default True
        If false, only the ``vech Σ`` block.

    Returns
    -------
    numpy.ndarray
        Square, of size ``p + p(p+1)/2`` (or ``p(p+1)/2``). ``Δᵀ I Δ`` is the information in
        θ of lavaan's ``observed.information = "h1"`` kind; note that lavaan's default observed
        information in θ (``"hessian"``) is the numerical Hessian of ``-logl / N`` in θ, which
        also contains second derivatives of the moments (see :mod:`nrel_research.sem._robust`).
    """
    kinds = ("observed", "expected", "first.order")
    if kind not in kinds:
        raise DataError(f"kind={kind!r} is not valid; use one of: {', '.join(map(repr, kinds))}.")
    n = pat.n_obs
    if kind == "observed":
        return -fiml_hessian(pat, mu, sigma, meanstructure=meanstructure) / n
    if kind == "first.order":
        sc = fiml_scores(pat, mu, sigma, meanstructure=meanstructure)
        return sc.T @ sc / n
    mu, sigma = _check_moments(pat, mu, sigma)
    freq, sinv_s, _, _ = _pattern_stacks(pat, mu, sigma, observed=False)
    i22 = 0.5 * _sum_dup_kron(freq, sinv_s, sinv_s) / n
    if not meanstructure:
        return i22
    p = pat.p
    out = np.zeros((p + i22.shape[0], p + i22.shape[0]))
    out[:p, :p] = np.einsum("k,kab->ab", freq, sinv_s) / n
    out[p:, p:] = i22
    return out


def normal_information(sigma: np.ndarray, *, meanstructure: bool = True) -> np.ndarray:
    """Complete-data normal information per observation at ``Σ``.

    ``blockdiag(Σ⁻¹, ½ Dᵀ(Σ⁻¹ ⊗ Σ⁻¹) D)`` (lavaan ``lav_mvnorm_information_expected``; at the
    sample moments it is also lavaan's ``lav_mvnorm_h1_information_observed_samplestats``).

    Examples
    --------
    >>> normal_information(np.eye(2) * 2.0).diagonal().tolist()
    [0.5, 0.5, 0.125, 0.25, 0.125]
    """
    sigma = np.asarray(sigma, dtype=float)
    sinv = np.linalg.inv(sigma)
    i22 = 0.5 * _dup_kron(sinv, sinv)
    if not meanstructure:
        return i22
    p = sigma.shape[0]
    out = np.zeros((p + i22.shape[0], p + i22.shape[0]))
    out[:p, :p] = sinv
    out[p:, p:] = i22
    return out


@dataclass(frozen=True)
class EMResult:
    """The saturated (h1) model fitted by EM.

    Attributes
    ----------
    mu, sigma : numpy.ndarray
        ML estimates of the mean vector and covariance matrix under MAR.
    loglik : float
        The unrestricted log-likelihood (lavaan ``unrestricted.logl``).
    iterations : int
    converged : bool
    """

    mu: np.ndarray
    sigma: np.ndarray
    loglik: float
    iterations: int
    converged: bool


def em_saturated(pat: MissingPatterns, *, max_iter: int = 500, tol: float = 1e-5) -> EMResult:
    """Estimate the saturated mean and covariance by EM, exactly as lavaan does.

    Reproduces lavaan 0.6-14 ``lav_mvnorm_missing_h1_estimate_moments``: start from the
    available-case means and (divisor = number observed) variances with zero covariances;
    iterate E-step (``lav_mvnorm_missing_estep``) / M-step; after each M-step, if an eigenvalue
    of Σ is below ``1e-6`` add ``1e-8 · max(diag Σ)`` to the diagonal; stop when the largest
    absolute change of ``(μ, vech Σ)`` is below ``tol`` (lavaan ``em.h1.tol = 1e-5``) or after
    ``max_iter`` iterations (``em.h1.iter.max = 500``). Because the criterion is on the
    parameters at 1e-5, the moments are accurate to about that, not to machine precision;
    matching lavaan's iteration makes them identical to lavaan's.

    Parameters
    ----------
    pat : MissingPatterns
    max_iter : int, default 500
    tol : float, default 1e-5

    Returns
    -------
    EMResult

    Warns
    -----
    ConvergenceWarning
        If ``max_iter`` is reached.
    ImproperSolutionWarning
        If the smallest eigenvalue of Σ is below 1e-5 (as lavaan's warning).
    """
    p = pat.p
    n = pat.n_obs
    # starting values: available-case means and variances (lavaan divides by the count observed)
    s1 = np.zeros(p)
    cnt = np.zeros(p)
    for pt in pat.patterns:
        s1[pt.idx] += pt.y.sum(axis=0)
        cnt[pt.idx] += pt.freq
    with np.errstate(invalid="ignore", divide="ignore"):
        mu0 = s1 / cnt
        ss = np.zeros(p)
        for pt in pat.patterns:
            ss[pt.idx] += ((pt.y - mu0[pt.idx]) ** 2).sum(axis=0)
        var0 = ss / cnt
    var0[~np.isfinite(var0) | (var0 == 0)] = 1.0
    sigma0 = np.diag(var0)
    mu, sigma = mu0.copy(), sigma0.copy()
    r, c = vech_indices(p)
    converged = False
    it = 0
    obs = pat.observed
    mis = ~obs
    mm_mask = mis[:, :, None] & mis[:, None, :]
    mo_mask = mis[:, :, None] & obs[:, None, :]
    n_k = pat.freq
    s_k = pat.means * n_k[:, None]  # per-pattern sums of the observed values (0 if missing)
    q_k = (pat.covs + pat.means[:, :, None] * pat.means[:, None, :]) * n_k[:, None, None]
    eye = np.eye(p)
    for it in range(1, max_iter + 1):  # noqa: B007 - `it` is reported
        # E-step for all patterns at once: y_hat = A_k y + c_k (regression of the missing
        # variables on the observed ones), plus the conditional covariance of the missing ones
        sinv, _ = _batch_inverse(pat, sigma)
        beta = (sigma[None, :, :] * mo_mask) @ sinv  # rows: missing, columns: observed
        a_k = beta + eye * obs[:, None, :]
        c_k = (mu[None, :] - beta @ mu) * mis
        as_k = np.einsum("kab,kb->ka", a_k, s_k)
        cond = (sigma[None, :, :] - beta @ sigma) * mm_mask
        t1 = as_k.sum(axis=0) + n_k @ c_k
        t2 = (
            (a_k @ q_k @ np.swapaxes(a_k, 1, 2)).sum(axis=0)
            + np.einsum("ka,kb->ab", as_k, c_k)
            + np.einsum("ka,kb->ab", c_k, as_k)
            + np.einsum("k,ka,kb->ab", n_k, c_k, c_k)
            + np.einsum("k,kab->ab", n_k, cond)
        )
        mu = t1 / n
        sigma = t2 / n - np.outer(mu, mu)
        sigma = (sigma + sigma.T) / 2.0
        if np.linalg.eigvalsh(sigma).min() < 1e-6:
            sigma[np.diag_indices(p)] += sigma.diagonal().max() * 1e-8
        delta = max(np.abs(mu - mu0).max(), np.abs(sigma[r, c] - sigma0[r, c]).max())
        if delta < tol:
            converged = True
            break
        mu0, sigma0 = mu, sigma
    if not converged:
        warnings.warn(
            f"EM for the saturated (h1) model did not converge in {max_iter} iterations; "
            "increase max_iter (lavaan: em.h1.iter.max).",
            ConvergenceWarning,
            stacklevel=2,
        )
    if np.linalg.eigvalsh(sigma).min() < 1e-5:
        warnings.warn(
            "the smallest eigenvalue of the EM covariance matrix is below 1e-5; results may "
            "be numerically unstable (check for redundant variables).",
            ImproperSolutionWarning,
            stacklevel=2,
        )
    ll = fiml_loglik(pat, mu, sigma)
    return EMResult(mu=mu, sigma=sigma, loglik=ll, iterations=it, converged=converged)
