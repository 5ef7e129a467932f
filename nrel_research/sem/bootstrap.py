"""Nonparametric bootstrap of an ML fit, as lavaan's ``se = "bootstrap"``.

Each replication resamples the complete cases with replacement, recomputes the sample
statistics (and, with ``fixed.x``, the fixed covariate moments), and refits starting from the
full-sample estimates (warm start). As in ``lavaan:::lav_bootstrap_internal``:

- a replication that fails or does not converge is *failed*: it is left out of every summary;
- a converged replication whose solution is improper (negative variances, non-positive-definite
  matrices; lavaan's ``post.check``) is *kept* by default and counted (``drop_improper=True``
  leaves it out);
- bootstrap SEs of free parameters use the covariance of the replications with divisor R
  (``lav_model_nvcov_bootstrap``), those of defined parameters ``cov()`` with divisor R - 1
  (``lav_model_vcov_se``);
- percentile CIs interpolate order statistics as ``boot::norm.inter`` (lavaan
  ``boot.ci.type = "perc"``).
"""

from __future__ import annotations

import sys

import numpy as np
from scipy import stats

from ..exceptions import ConvergenceWarning, ImproperSolutionWarning, NrelError
from ._blas import single_threaded_blas
from .estimate import GroupStats, fit_ml, start_values

__all__ = ["BootstrapResult", "norm_inter", "run_bootstrap"]


class BootstrapResult:
    """Replications of a bootstrap.

    Attributes
    ----------
    coef : numpy.ndarray
        ``R x n_free`` free-parameter estimates (NaN rows for failed replications).
    defined : numpy.ndarray
        ``R x n_defined`` defined-parameter values.
    failed, improper : numpy.ndarray of bool
        Per replication.
    kept : numpy.ndarray of bool
        Replications used for SEs and CIs.
    """

    def __init__(self, coef, defined, failed, improper, drop_improper):
        self.coef = coef
        self.defined = defined
        self.failed = failed
        self.improper = improper
        self.drop_improper = drop_improper
        self.kept = ~failed & ~(improper if drop_improper else np.zeros_like(improper))

    @property
    def r(self) -> int:
        """Number of replications requested."""
        return len(self.failed)

    @property
    def n_failed(self) -> int:
        """Replications that failed or did not converge."""
        return int(self.failed.sum())

    @property
    def n_improper(self) -> int:
        """Converged replications with an improper solution."""
        return int((self.improper & ~self.failed).sum())

    @property
    def n_used(self) -> int:
        """Replications used for SEs and CIs."""
        return int(self.kept.sum())

    def messages(self) -> list[tuple[type[Warning], str]]:
        """Warning classes and texts about failed and improper replications."""
        out: list[tuple[type[Warning], str]] = []
        if self.n_failed:
            msg = (
                f"{self.n_failed} of {self.r} bootstrap replications failed or did not "
                "converge; they are left out of the bootstrap SEs and CIs."
            )
            out.append((ConvergenceWarning, msg))
        if self.n_improper:
            what = "dropped" if self.drop_improper else "kept (as lavaan does)"
            msg = (
                f"{self.n_improper} of {self.r} bootstrap replications have an improper "
                f"solution (negative variances or non-positive-definite matrices); {what}."
            )
            out.append((ImproperSolutionWarning, msg))
        return out

    def se(self):
        """Bootstrap SEs of the free and of the defined parameters."""
        c = self.coef[self.kept]
        nb = c.shape[0]
        if nb < 2:
            return np.full(self.coef.shape[1], np.nan), np.full(self.defined.shape[1], np.nan)
        se_free = np.sqrt(np.var(c, axis=0, ddof=0))
        d = self.defined[self.kept]
        se_def = np.sqrt(np.var(d, axis=0, ddof=1)) if d.shape[1] else np.zeros(0)
        return se_free, se_def

    def percentile(self, level=0.95):
        """Percentile CIs (``boot::norm.inter``) of the free and defined parameters."""
        alpha = np.array([(1 - level) / 2, (1 + level) / 2])
        free = np.array([norm_inter(col, alpha) for col in self.coef[self.kept].T])
        dfn = np.array([norm_inter(col, alpha) for col in self.defined[self.kept].T])
        return free.reshape(-1, 2), dfn.reshape(-1, 2)


def norm_inter(t, alpha):
    """Interpolated order statistics as ``boot::norm.inter`` (used by lavaan's percentile CI).

    Examples
    --------
    >>> norm_inter(np.arange(1.0, 100.0), np.array([0.025, 0.975])).round(6).tolist()
    [2.542249, 97.457751]

    The same as R's ``boot:::norm.inter(1:99, c(0.025, 0.975))[, 2]``.
    """
    t = np.asarray(t, float)
    t = t[np.isfinite(t)]
    r = len(t)
    if r == 0:
        return np.full(len(alpha), np.nan)
    rk = (r + 1) * np.asarray(alpha, float)
    k = np.trunc(rk).astype(int)
    ts = np.sort(t)
    out = np.empty(len(alpha))
    for i in range(len(alpha)):
        if k[i] == rk[i]:
            out[i] = ts[min(max(k[i], 1), r) - 1]
        elif k[i] == 0:
            out[i] = ts[0]
        elif k[i] >= r:
            out[i] = ts[r - 1]
        else:
            temp1 = stats.norm.ppf(alpha[i])
            temp2 = stats.norm.ppf(k[i] / (r + 1))
            temp3 = stats.norm.ppf((k[i] + 1) / (r + 1))
            tk, tk1 = ts[k[i] - 1], ts[k[i]]
            out[i] = tk + (temp1 - temp2) / (temp3 - temp2) * (tk1 - tk)
    return out


def _one(model, x, idx, start, defined):
    from .api import improper_messages

    xb = x[idx]
    st = GroupStats(xb)
    if not st.pd:
        return None, None, True
    model.set_fixed_x([st.cov], [st.mean])
    info = None
    # warm start from the full-sample estimates; if that fails, lavaan-like start values
    for attempt in range(2):
        try:
            begin = start if attempt == 0 else start_values(model, [st])
            info = fit_ml(model, [st], begin)
        except (np.linalg.LinAlgError, ValueError, FloatingPointError):
            info = None
        if info is not None and info.converged:
            break
    if info is None or not info.converged:
        return None, None, True
    improper = bool(improper_messages(model, info.theta))
    dvals = defined.evaluate(model.row_values(info.theta)) if len(defined) else np.zeros(0)
    return info.theta, dvals, improper


def _chunk(model, x, indices, start, defined, progress, offset, total):
    out = []
    with single_threaded_blas():
        for i, idx in enumerate(indices):
            out.append(_one(model, x, idx, start, defined))
            if progress and ((offset + i + 1) % max(1, total // 20) == 0):
                print(f"bootstrap: {offset + i + 1}/{total}", file=sys.stderr, flush=True)
    return out


def run_bootstrap(
    model, x, theta, defined, *, r, rng, indices, n_jobs, drop_improper, progress
) -> BootstrapResult:
    """Run the replications (see the module docstring)."""
    import copy

    n = x.shape[0]
    if indices is None:
        indices = rng.integers(0, n, size=(r, n))
    else:
        indices = np.asarray(indices)
        if indices.ndim != 2 or indices.shape[1] != n:
            raise NrelError(
                f"bootstrap_indices must be an R x N array with N = {n} (the complete cases); "
                f"got shape {indices.shape}."
            )
        if not np.issubdtype(indices.dtype, np.integer):
            raise NrelError("bootstrap_indices must hold integer row indices (0-based).")
        if indices.min() < 0 or indices.max() >= n:
            raise NrelError(
                f"bootstrap_indices must lie in 0..{n - 1} (0-based rows of the complete cases); "
                f"got {indices.min()}..{indices.max()}. lavaan's indices are 1-based: subtract 1."
            )
    total = indices.shape[0]
    work = copy.deepcopy(model)
    if n_jobs == 1:
        res = _chunk(work, x, indices, theta, defined, progress, 0, total)
    else:
        from joblib import Parallel, delayed

        chunks = np.array_split(np.arange(total), n_jobs)
        parts = Parallel(n_jobs=n_jobs)(
            delayed(_chunk)(work, x, indices[c], theta, defined, progress, int(c[0]), total)
            for c in chunks
            if len(c)
        )
        res = [item for part in parts for item in part]
    nd = len(defined)
    coef = np.full((total, model.n_free), np.nan)
    dvals = np.full((total, nd), np.nan)
    failed = np.zeros(total, dtype=bool)
    improper = np.zeros(total, dtype=bool)
    for i, (th, dv, flag) in enumerate(res):
        if th is None:
            failed[i] = True
            continue
        coef[i] = th
        dvals[i] = dv
        improper[i] = flag
    return BootstrapResult(coef, dvals, failed, improper, drop_improper)
