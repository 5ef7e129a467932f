"""Maximum-likelihood estimation for complete data: discrepancy, gradient, information, optimizer.

The ML discrepancy per group is lavaan's (``likelihood = "normal"``, S with divisor N)::

    F_g = log|Sigma| + tr(S Sigma^-1) - log|S| - p + (m - mu)' Sigma^-1 (m - mu)

and the total is ``F = sum_g (N_g / N) F_g``, so the chi-square is ``N * F`` (lavaan's
``2 * N * fmin``). Optimisation is Fisher scoring (Gauss-Newton with the expected information)
with step halving, started from lavaan-like start values, converged until the largest gradient
element is below ``1e-9`` (lavaan: nlminb with ``rel.tol = 1e-10``), with an L-BFGS-B fallback.
"""

from __future__ import annotations

import numpy as np
import scipy.linalg as sla
import scipy.optimize as sopt

from .model import Model

__all__ = ["GroupStats", "expected_information", "fit_ml", "ml_discrepancy", "start_values"]


class GroupStats:
    """Sample statistics of one group: N, covariance (divisor N) and mean vector."""

    def __init__(self, x: np.ndarray):
        x = np.asarray(x, dtype=float)
        self.n = x.shape[0]
        self.mean = x.mean(axis=0)
        d = x - self.mean
        self.cov = d.T @ d / self.n
        self.p = x.shape[1]
        sign, logdet = np.linalg.slogdet(self.cov)
        self.logdet = logdet if sign > 0 else -np.inf
        self.pd = sign > 0


def _chol_inv(sigma):
    try:
        c = sla.cho_factor(sigma, lower=True, check_finite=False)
    except (np.linalg.LinAlgError, ValueError):
        return None, None
    logdet = 2.0 * np.sum(np.log(np.diag(c[0])))
    inv = sla.cho_solve(c, np.eye(sigma.shape[0]), check_finite=False)
    return inv, logdet


def ml_discrepancy(model: Model, stats: list[GroupStats], theta) -> float:
    """Total ML discrepancy ``F`` (``inf`` if an implied covariance is not positive definite)."""
    ntot = sum(s.n for s in stats)
    total = 0.0
    for imp, st in zip(model.implied(theta), stats, strict=True):
        inv, logdet = _chol_inv(imp["cov"])
        if inv is None:
            return np.inf
        f = logdet + np.sum(st.cov * inv) - st.logdet - st.p
        if imp["mean"] is not None:
            d = st.mean - imp["mean"]
            f += d @ inv @ d
        total += st.n / ntot * f
    return float(total)


def _gradient_and_info(model, stats, theta, want_info=True, x_idx=None, x_grad=True):
    ntot = sum(s.n for s in stats)
    grad = np.zeros(model.n_free)
    info = np.zeros((model.n_free, model.n_free)) if want_info else None
    for rep, imp, st, dlt in zip(
        model.groups, model.implied(theta), stats, model.delta(theta), strict=True
    ):
        inv, _ = _chol_inv(imp["cov"])
        if inv is None:
            return None, None
        r, c = rep.vr, rep.vc
        w2 = np.where(r == c, 1.0, 2.0)
        ssum = st.cov
        if imp["mean"] is not None:
            d = st.mean - imp["mean"]
            ssum = st.cov + np.outer(d, d)
        wmat = inv - inv @ ssum @ inv
        nv = len(r)
        keep_v = np.ones(nv)
        keep_m = np.ones(rep.p)
        if x_idx:
            xs = np.zeros(rep.p, dtype=bool)
            xs[list(x_idx)] = True
            keep_v = np.where(xs[r] & xs[c], 0.0, 1.0)
            keep_m = np.where(xs, 0.0, 1.0)
        gv = wmat[r, c] * w2
        gm = -2.0 * inv @ d if imp["mean"] is not None else None
        if x_idx and x_grad:
            gv = gv * keep_v
            if gm is not None:
                gm = gm * keep_m
        g = dlt[:nv].T @ gv
        if gm is not None:
            g += dlt[nv:].T @ gm
        grad += st.n / ntot * g
        if want_info:
            dlt_w = dlt
            if x_idx:
                dlt_w = dlt * np.concatenate([keep_v, keep_m])[: dlt.shape[0], None]
            info += st.n / ntot * _unit_info(inv, r, c, dlt_w, imp["mean"] is not None)
    return grad, info


def _gamma_inv(inv, r, c):
    """``0.5 D'(Sigma^-1 kron Sigma^-1) D`` for vech coordinates."""
    h = np.where(r == c, 0.5, 1.0)
    w = inv[np.ix_(r, r)] * inv[np.ix_(c, c)] + inv[np.ix_(r, c)] * inv[np.ix_(c, r)]
    return w * np.outer(h, h)


def _unit_info(inv, r, c, dlt, meanstructure):
    nv = len(r)
    ds = dlt[:nv]
    out = ds.T @ _gamma_inv(inv, r, c) @ ds
    if meanstructure:
        dm = dlt[nv:]
        out += dm.T @ inv @ dm
    return out


def expected_information(model: Model, stats: list[GroupStats], theta) -> np.ndarray:
    """Return the expected (unit) information ``sum_g (N_g/N) Delta_g' W_g Delta_g``.

    ``W_g`` is the normal-theory weight ``0.5 D'(Sigma^-1 kron Sigma^-1) D`` (plus
    ``Sigma^-1`` for the means) at the model-implied moments: lavaan's
    ``information = "expected"`` with ``h1.information = "structured"``. The covariance matrix
    of the estimates is its inverse divided by N.
    """
    _, info = _gradient_and_info(model, stats, theta)
    return info


def start_values(model: Model, stats: list[GroupStats]) -> np.ndarray:
    """Start values in the spirit of lavaan's ``start = "default"``.

    Residual variances start at half the sample variance, loadings from the covariance with the
    marker indicator, latent variances from half the marker's variance, regressions and
    covariances at 0, intercepts at the sample means; ``start()`` modifiers win.
    """
    t = model.table
    theta = np.zeros(model.n_free)
    have = np.zeros(model.n_free, dtype=bool)
    oi = {v: k for k, v in enumerate(model.ov_names)}
    cols = [t[c].tolist() for c in ("group", "lhs", "op", "rhs", "free", "ustart", "start")]
    rows = list(zip(*cols, strict=True))
    for gi, st in enumerate(stats):
        g = gi + 1
        tg = [r for r in rows if r[0] == g]
        s = st.cov
        predicted = {r[1] for r in tg if r[2] == "~"}
        lv_var = {}
        lam_start = {}
        for lv in model.lv_names:
            load = [r for r in tg if r[2] == "=~" and r[1] == lv and r[3] in oi]
            if not load:
                lv_var[lv] = 1.0
                continue
            var_row = [r for r in tg if r[2] == "~~" and r[1] == lv and r[3] == lv]
            var_fixed = bool(var_row) and var_row[0][4] == 0
            fixed = [r for r in load if r[4] == 0 and r[5] != 0 and not np.isnan(r[5])]
            ov_ind = [r[3] for r in load]
            if fixed:
                mk, l0 = fixed[0][3], float(fixed[0][5])
                psi = max(0.5 * s[oi[mk], oi[mk]] / l0**2, 1e-3)
                if var_fixed:
                    psi = float(var_row[0][5])
                lv_var[lv] = psi
                for x in ov_ind:
                    if x != mk:
                        lam_start[(lv, x)] = s[oi[x], oi[mk]] / (l0 * psi)
            else:
                psi = float(var_row[0][5]) if var_fixed else 1.0
                lv_var[lv] = psi
                first = ov_ind[0]
                for x in ov_ind:
                    sign = 1.0 if x == first or s[oi[x], oi[first]] >= 0 else -1.0
                    lam_start[(lv, x)] = sign * np.sqrt(0.5 * s[oi[x], oi[x]] / max(psi, 1e-3))
        dummy = set(model.groups[gi].dummy)
        for _, lhs, op, rhs, f, _ustart, start in tg:
            if f == 0:
                continue
            val = 0.0
            if op == "=~":
                val = lam_start.get((lhs, rhs), 1.0)
            elif op == "~~" and lhs == rhs:
                if lhs in oi:
                    val = 0.5 * s[oi[lhs], oi[lhs]]
                    if lhs in dummy and lhs not in predicted:
                        val = s[oi[lhs], oi[lhs]]
                else:
                    val = lv_var.get(lhs, 0.05)
                    if lhs in predicted:
                        val *= 0.5
            elif op == "~1":
                val = st.mean[oi[lhs]] if lhs in oi else 0.0
            if not np.isnan(start):
                val = float(start)
            if not have[f - 1]:
                theta[f - 1] = val
                have[f - 1] = True
    return theta


class FitInfo:
    """Outcome of the optimizer."""

    def __init__(self, theta, fmin, converged, iterations, message, grad_max):
        self.theta = theta
        self.fmin = fmin
        self.converged = converged
        self.iterations = iterations
        self.message = message
        self.grad_max = grad_max


def fit_ml(
    model: Model,
    stats: list[GroupStats],
    start: np.ndarray,
    *,
    gtol: float = 1e-9,
    max_iter: int = 500,
    newton_switch: float = 1e-1,
    objective=None,
) -> FitInfo:
    """Minimise the ML discrepancy by Fisher scoring on the constrained parameters.

    Fisher scoring (expected information) with step halving until the largest gradient
    element falls below ``newton_switch``; then BFGS updates seeded with the expected
    information (Fisher scoring alone converges only linearly when the model misfits).

    Parameters
    ----------
    model : Model
    stats : list of GroupStats
    start : numpy.ndarray
        Start values for the free parameters (length ``model.n_free``).
    gtol : float, default 1e-9
        Convergence when the largest absolute gradient element (of ``F``) is below ``gtol``.
    max_iter : int, default 500
    objective : object, optional
        Another discrepancy on the same scale (twice the negative log-likelihood per
        observation, up to a constant), with methods ``fun(theta)`` and
        ``grad_info(theta, want_info)`` returning the gradient and an expected-information-like
        matrix (the FIML objective of :mod:`~nrel_research.sem._engine`); ML by default.

    Returns
    -------
    FitInfo
    """
    if objective is None:
        objective = _MLObjective(model, stats)
    k_mat = model.ceq_basis
    # theta_star: average over tied parameters
    ts = np.linalg.lstsq(k_mat, np.asarray(start, dtype=float), rcond=None)[0]
    f = objective.fun(k_mat @ ts)
    it = 0
    message = "converged"
    converged = False
    gmax = np.inf
    if not np.isfinite(f):
        ts, f = _lbfgs(model, objective, ts)
    bfgs = None  # quasi-Newton Hessian approximation near the optimum, seeded with Fisher's
    prev = None
    for it in range(1, max_iter + 1):  # noqa: B007
        g, info = objective.grad_info(k_mat @ ts, want_info=bfgs is None)
        if g is None:
            message = "implied covariance matrix not positive definite"
            break
        gs = k_mat.T @ g
        gmax = float(np.max(np.abs(gs))) if len(gs) else 0.0
        if gmax < gtol:
            converged = True
            break
        if bfgs is not None and prev is not None:
            s_k, y_k = ts - prev[0], gs - prev[1]
            sy = s_k @ y_k
            if sy > 1e-16 * np.linalg.norm(s_k) * np.linalg.norm(y_k):
                bs = bfgs @ s_k
                bfgs = bfgs + np.outer(y_k, y_k) / sy - np.outer(bs, bs) / (s_k @ bs)
        if bfgs is None:
            hs = 2.0 * k_mat.T @ info @ k_mat
            if gmax < newton_switch:
                bfgs = hs
        else:
            hs = bfgs
        prev = (ts, gs)
        try:
            step = -np.linalg.solve(hs, gs)
        except np.linalg.LinAlgError:
            step = -np.linalg.lstsq(hs, gs, rcond=None)[0]
        alpha = 1.0
        improved = False
        for _ in range(40):
            cand = ts + alpha * step
            fc = objective.fun(k_mat @ cand)
            if np.isfinite(fc) and fc <= f + 1e-14 * max(1.0, abs(f)):
                improved = True
                break
            alpha *= 0.5
        if not improved:
            if bfgs is not None:
                bfgs, prev, newton_switch = None, None, -1.0  # back to Fisher scoring
                continue
            if gmax < 1e-6:
                converged = True
                message = "converged (no further decrease possible)"
                break
            ts2, f2 = _lbfgs(model, objective, ts)
            if f2 < f - 1e-12:
                ts, f = ts2, f2
                continue
            message = "line search failed"
            break
        ts, f = cand, fc
    else:
        message = f"no convergence in {max_iter} iterations"
    return FitInfo(k_mat @ ts, f, converged, it, message, gmax)


class _MLObjective:
    def __init__(self, model, stats):
        self.model, self.stats = model, stats

    def fun(self, theta):
        return ml_discrepancy(self.model, self.stats, theta)

    def grad_info(self, theta, want_info=True):
        return _gradient_and_info(self.model, self.stats, theta, want_info=want_info)


def _lbfgs(model, objective, ts):
    k_mat = model.ceq_basis

    def fun(x):
        th = k_mat @ x
        f = objective.fun(th)
        if not np.isfinite(f):
            return 1e10, np.zeros_like(x)
        g, _ = objective.grad_info(th, want_info=False)
        if g is None:
            return 1e10, np.zeros_like(x)
        return f, k_mat.T @ g

    res = sopt.minimize(fun, ts, jac=True, method="L-BFGS-B", options={"maxiter": 5000})
    return res.x, float(res.fun)
