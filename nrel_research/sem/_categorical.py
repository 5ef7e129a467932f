"""Second step of lavaan's categorical SEM: (D)WLS/ULS on thresholds and polychoric correlations.

Given the first-step statistics of every group (thresholds, polychoric/polyserial/Pearson
correlations, numeric means and variances, their asymptotic covariance matrix ``Gamma`` and the
DWLS weights; :class:`~nrel_research.sem._catstats.CategoricalStats`), this module fits the
model to the vector ``s = (TH, var, vech_offdiag(cov))`` as lavaan 0.6.14 does
(``estimator = "WLSMV" | "DWLS" | "WLSM" | "ULSMV"``; Muthén et al., 1997):

- the implied vector follows ``lavaan:::computeTH.LISREL`` / ``computeSigmaHat.LISREL``:
  ``Sigma* = Lambda (I-B)^-1 Psi (I-B)^-T Lambda' + Theta`` (latent-response scale),
  ``Sigma = D Sigma* D`` with the scale factors ``D = diag(Delta)`` (``~*~`` rows; numeric
  variables 1) and ``TH = (tau - nu - Lambda (I-B)^-1 alpha) * Delta`` (``-mu`` for numeric
  variables). Delta parameterization: ``Delta`` are parameters (fixed at 1 unless freed) and
  the residual variances of ordered variables are ``1/Delta^2 - diag(Lambda Veta Lambda')``
  (``setResidualElements.LISREL``); theta parameterization: the residual variances are
  parameters and ``Delta = diag(Sigma*)^-1/2``;
- its analytic Jacobian is the chain rule on :meth:`Model.delta` (``d vech Sigma*``,
  ``d mu*``), the scale factors and the thresholds (``lavaan:::computeDelta``);
- the discrepancy is ``F = sum_g (N_g - 1) (s_g - sigma_g)' W_g (s_g - sigma_g)`` with
  ``W_g`` the diagonal DWLS weights (identity for ULS) and ``chisq = F`` (lavaan:
  ``fx_g = 0.5 (N_g-1)/N_g * ...``, ``chisq_g = 2 N_g fx_g``);
- robust ("sandwich") standard errors ``E^-1 (sum_g f_g D_g' W_g Gamma_g W_g D_g) E^-1 /
  (N - G)`` with ``E = sum_g f_g D_g' W_g D_g``, ``f_g = N_g / N``
  (``lav_model_nvcov_robust_sem``), standard ones ``E^-1 / (N - G)``;
- the mean-adjusted (Satorra & Bentler, 1994) and the mean-and-variance adjusted
  "scaled-shifted" statistics (Asparouhov & Muthén, 2010) from the traces of ``U Gamma``,
  ``U = V - V D E^-1 D' V`` (``lav_test_satorra_bentler``, method "original").

Checked against lavaan 0.6.14 with ``tests/reference/sem_ordinal.R``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import optimize, stats

from ..exceptions import NrelWarning, SpecificationError
from .fitmeasures import rmsea_ci
from .model import Model

__all__ = [
    "CATEGORICAL_ESTIMATORS",
    "CategoricalFit",
    "OrdinalModel",
    "categorical_fit_measures",
    "fit_categorical",
    "ordinal_result",
    "wls_matrices",
]

#: estimator -> (objective weights, standard errors, test)
CATEGORICAL_ESTIMATORS = {
    "WLSMV": ("DWLS", "robust.sem", "scaled.shifted"),
    "DWLS": ("DWLS", "standard", "standard"),
    "WLSM": ("DWLS", "robust.sem", "satorra.bentler"),
    "ULSMV": ("ULS", "robust.sem", "scaled.shifted"),
}


def _vech_offdiag(p):
    """Row/column indices of the off-diagonal lower triangle, column-wise (lavaan order)."""
    r, c = [], []
    for j in range(p):
        for i in range(j + 1, p):
            r.append(i)
            c.append(j)
    return np.array(r, dtype=int), np.array(c, dtype=int)


def _vech_pos(p):
    """Position of (i, j), i >= j, in lavaan's column-wise ``vech`` (with the diagonal)."""
    pos = np.zeros((p, p), dtype=int)
    k = 0
    for j in range(p):
        for i in range(j, p):
            pos[i, j] = pos[j, i] = k
            k += 1
    return pos


class _CatGroup:
    """Where the thresholds, scale factors and ordered residual variances of a group live."""

    def __init__(self, model, rep, ordered, g):
        t = model.table
        ov = model.ov_names
        p = len(ov)
        self.p = p
        ord_set = set(ordered)
        self.is_ord = np.array([v in ord_set for v in ov])
        self.ord_idx = np.flatnonzero(self.is_ord)
        self.num_idx = np.flatnonzero(~self.is_ord)
        in_g = (t["group"] == g).to_numpy()
        lhs, op, rhs = t["lhs"].to_numpy(), t["op"].to_numpy(), t["rhs"].to_numpy()
        th_var, th_row = [], []
        for i, v in enumerate(ov):
            if self.is_ord[i]:
                rows = np.flatnonzero(in_g & (op == "|") & (lhs == v))
                # order t1, t2, ... by the number after "t"
                rows = sorted(rows, key=lambda r: int(str(rhs[r])[1:]))
                th_var += [i] * len(rows)
                th_row += list(rows)
            else:
                th_var.append(i)
                th_row.append(-1)
        self.th_var = np.array(th_var, dtype=int)
        self.th_row = np.array(th_row, dtype=int)
        self.th_ord = self.th_row >= 0
        self.delta_row = np.full(p, -1)
        self.resvar_row = np.full(p, -1)
        for i, v in enumerate(ov):
            if not self.is_ord[i]:
                continue
            r = np.flatnonzero(in_g & (op == "~*~") & (lhs == v))
            if len(r):
                self.delta_row[i] = r[0]
            r = np.flatnonzero(in_g & (op == "~~") & (lhs == v) & (rhs == v))
            if len(r):
                self.resvar_row[i] = r[0]
        self.off_r, self.off_c = _vech_offdiag(p)
        self.vpos = _vech_pos(p)
        self.n_th = len(self.th_var)
        self.n_wls = self.n_th + len(self.num_idx) + len(self.off_r)
        self.rep = rep


class OrdinalModel(Model):
    """A :class:`Model` with ordered indicators (lavaan's categorical LISREL model).

    :meth:`row_values` fills in the quantities lavaan computes rather than estimates: under
    the delta parameterization the residual variances of ordered indicators
    (``1/Delta^2 - diag(Lambda Veta Lambda')``), under the theta parameterization the scale
    factors ``Delta = diag(Sigma*)^-1/2`` (the ``~*~`` rows).

    Parameters
    ----------
    partable : ParTable
        From :func:`~nrel_research.sem.syntax.parse_model` with ``ordered=``.
    """

    def __init__(self, partable):
        super().__init__(partable)
        self.ordered = list(partable.ordered)
        self.parameterization = partable.parameterization
        if not self.ordered:
            raise SpecificationError("OrdinalModel needs a parameter table with ordered=.")
        self.cat = [_CatGroup(self, rep, self.ordered, g + 1) for g, rep in enumerate(self.groups)]
        for g, cg in enumerate(self.cat):
            oi = cg.ord_idx
            rows = cg.resvar_row[oi] if self.parameterization == "delta" else cg.delta_row[oi]
            bad = [self.ov_names[i] for i, r in zip(oi, rows, strict=True) if self.free[r] > 0]
            if bad:
                what = (
                    "residual variance (under the delta parameterization it is 1 - R^2, not "
                    f"a parameter; remove '{bad[0]} ~~ {bad[0]}' or use "
                    "parameterization='theta')"
                    if self.parameterization == "delta"
                    else "scale factor (~*~; under the theta parameterization it is computed, "
                    "not a parameter; use parameterization='delta' to free it)"
                )
                raise SpecificationError(
                    f"group {g + 1}: the {what} of ordered variable(s) {', '.join(bad)} is free."
                )

    # -- values ---------------------------------------------------------------------------
    def row_values(self, theta):
        """Values of every row at ``theta``, with lavaan's computed rows filled in."""
        v = super().row_values(theta)
        for cg in self.cat:
            rep = cg.rep
            oi = cg.ord_idx
            if self.parameterization == "delta":
                rows = cg.resvar_row[oi]
                ok = rows >= 0
                v[rows[ok]] = 0.0
                sig = self._sigma_star(rep, v)
                dl = v[cg.delta_row[oi]]
                v[rows[ok]] = (1.0 / dl**2 - np.diag(sig)[oi])[ok]
            else:
                sig = self._sigma_star(rep, v)
                rows = cg.delta_row[oi]
                ok = rows >= 0
                with np.errstate(invalid="ignore", divide="ignore"):
                    v[rows[ok]] = (1.0 / np.sqrt(np.diag(sig)[oi]))[ok]
        return v

    @staticmethod
    def _sigma_star(rep, vals_all):
        mats = rep.matrices(vals_all[rep.row_index])
        a = rep.ib_inv(mats["beta"])
        la = mats["lambda"] @ a
        return la @ mats["psi"] @ la.T + mats["theta"]

    def _group_parts(self, theta, vals=None):
        """Per group: Sigma*, mu*, Delta vector and the row values."""
        vals = self.row_values(theta) if vals is None else vals
        out = []
        for cg in self.cat:
            rep = cg.rep
            mats = rep.matrices(vals[rep.row_index])
            a = rep.ib_inv(mats["beta"])
            la = mats["lambda"] @ a
            sig = la @ mats["psi"] @ la.T + mats["theta"]
            sig = 0.5 * (sig + sig.T)
            mu = mats["nu"] + la @ mats["alpha"]
            dl = np.ones(cg.p)
            oi = cg.ord_idx
            if self.parameterization == "delta":
                dl[oi] = vals[cg.delta_row[oi]]
            else:
                with np.errstate(invalid="ignore", divide="ignore"):
                    dl[oi] = 1.0 / np.sqrt(np.diag(sig)[oi])
            out.append((sig, mu, dl))
        return out, vals

    # -- implied WLS vector -------------------------------------------------------------------
    def wls_est(self, theta):
        """Implied ``(TH, numeric variances, off-diagonal covariances)`` per group.

        Returns
        -------
        list of numpy.ndarray
            One vector per group in lavaan's ``wls.est`` order.
        """
        parts, vals = self._group_parts(theta)
        out = []
        for cg, (sig, mu, dl) in zip(self.cat, parts, strict=True):
            out.append(self._wls_vector(cg, sig, mu, dl, vals))
        return out

    @staticmethod
    def _wls_vector(cg, sig, mu, dl, vals):
        th = -mu[cg.th_var]
        o = cg.th_ord
        th[o] = (vals[cg.th_row[o]] - mu[cg.th_var[o]]) * dl[cg.th_var[o]]
        scov = sig * np.outer(dl, dl)
        return np.concatenate([th, np.diag(scov)[cg.num_idx], scov[cg.off_r, cg.off_c]])

    def implied_cor(self, theta):
        """Per group the implied covariance matrix on the WLS scale (correlations for ordered)."""
        parts, _ = self._group_parts(theta)
        return [sig * np.outer(dl, dl) for sig, _mu, dl in parts]

    def wls_jacobian(self, theta):
        """Analytic Jacobian of :meth:`wls_est` with respect to the free parameters.

        Returns
        -------
        list of numpy.ndarray
            Per group an ``n_wls x n_free`` matrix (lavaan's ``lavInspect(fit, "delta")``).
        """
        parts, vals = self._group_parts(theta)
        dstar = self.delta(theta)  # rows: vech(Sigma*) then mu*
        out = []
        nf = self.n_free
        for cg, (sig, mu, dl), dst in zip(self.cat, parts, dstar, strict=True):
            p = cg.p
            nv = p * (p + 1) // 2
            dsig, dmu = dst[:nv], dst[nv:]
            vp = cg.vpos
            # d Delta / d theta (p x n_free)
            dd = np.zeros((p, nf))
            oi = cg.ord_idx
            if self.parameterization == "delta":
                free = self.free[cg.delta_row[oi]]
                for k, i in enumerate(oi):
                    if free[k] > 0:
                        dd[i, free[k] - 1] = 1.0
            else:
                diag = np.diag(sig)[oi]
                dd[oi] = -0.5 * diag[:, None] ** -1.5 * dsig[vp[oi, oi]]
            # thresholds
            tv = cg.th_var
            dth = -dmu[tv].copy()
            o = np.flatnonzero(cg.th_ord)
            if len(o):
                i = tv[o]
                tau = vals[cg.th_row[o]]
                dth[o] = -dmu[i] * dl[i][:, None] + (tau - mu[i])[:, None] * dd[i]
                free = self.free[cg.th_row[o]]
                hit = free > 0
                dth[o[hit], free[hit] - 1] += dl[i[hit]]
            # numeric variances (Delta = 1)
            ni = cg.num_idx
            dvar = dsig[vp[ni, ni]]
            # off-diagonal covariances
            r, c = cg.off_r, cg.off_c
            s_rc = sig[r, c]
            doff = (dl[r] * dl[c])[:, None] * dsig[vp[r, c]]
            doff += s_rc[:, None] * (dl[c][:, None] * dd[r] + dl[r][:, None] * dd[c])
            out.append(np.vstack([dth, dvar, doff]))
        return out


@dataclass
class CategoricalFit:
    """Outcome of :func:`fit_categorical`."""

    theta: np.ndarray
    fmin: float  # lavaan's fmin: chisq / (2 N)
    chisq: float
    converged: bool
    iterations: int
    message: str
    grad_max: float
    vcov: np.ndarray | None
    singular: bool
    test: dict = field(default_factory=dict)
    estimator: str = "WLSMV"


def _weights(st, wtype):
    w = np.asarray(st.wls_v_diag, dtype=float)
    if wtype == "ULS":
        return np.ones_like(w)
    return w


def _start(model, stats_list):
    """Start values: marker-based loadings from the step-1 correlations, sample thresholds."""
    from .estimate import start_values

    class _S:
        def __init__(self, st, cg):
            self.cov = np.asarray(st.cov, dtype=float)
            th = np.asarray(st.wls_obs, dtype=float)[: cg.n_th]
            self.mean = np.zeros(cg.p)
            num = ~cg.th_ord
            self.mean[cg.th_var[num]] = -th[num]
            self.n = st.n
            self.p = cg.p

    fake = [_S(st, cg) for st, cg in zip(stats_list, model.cat, strict=True)]
    theta = start_values(model, fake)
    vals = np.zeros(len(model.table))
    for cg, st in zip(model.cat, stats_list, strict=True):
        th = np.asarray(st.wls_obs, dtype=float)[: cg.n_th]
        o = np.flatnonzero(cg.th_ord)
        vals[cg.th_row[o]] = th[o]
    f = model.free
    t = model.table
    for r in np.flatnonzero((t["op"] == "|").to_numpy() & (f > 0)):
        theta[f[r] - 1] = vals[r]
    for r in np.flatnonzero((t["op"] == "~*~").to_numpy() & (f > 0)):
        theta[f[r] - 1] = 1.0
    if model.parameterization == "theta":
        for r in np.flatnonzero(
            (t["op"] == "~~").to_numpy()
            & (f > 0)
            & t["lhs"].isin(model.ordered).to_numpy()
            & (t["lhs"] == t["rhs"]).to_numpy()
        ):
            theta[f[r] - 1] = 1.0
    start = t["start"].to_numpy(dtype=float)
    for r in np.flatnonzero((f > 0) & ~np.isnan(start)):
        theta[f[r] - 1] = start[r]
    return theta


def fit_categorical(model, stats_list, estimator="WLSMV", *, se=None, test=None):
    """Estimate an :class:`OrdinalModel` on first-step statistics (lavaan's second step).

    Parameters
    ----------
    model : OrdinalModel
    stats_list : list of CategoricalStats
        One per group, variables in ``model.ov_names`` order.
    estimator : {"WLSMV", "DWLS", "WLSM", "ULSMV"}
    se : {"robust.sem", "standard", "none"}, optional
        Override the estimator's default standard errors.
    test : {"scaled.shifted", "satorra.bentler", "standard"}, optional
        Override the estimator's default test.

    Returns
    -------
    CategoricalFit
    """
    wtype, se_default, test_default = CATEGORICAL_ESTIMATORS[estimator]
    se = se_default if se is None else se
    test = test_default if test is None else test
    ws = [_weights(st, wtype) for st in stats_list]
    obs = [np.asarray(st.wls_obs, dtype=float) for st in stats_list]
    ns = np.array([st.n for st in stats_list], dtype=float)
    for cg, o in zip(model.cat, obs, strict=True):
        if len(o) != cg.n_wls:
            raise SpecificationError(
                f"the first-step statistics have {len(o)} elements but the model expects "
                f"{cg.n_wls}; the variables or their categories do not match the model."
            )
    k = model.ceq_basis
    sq = [np.sqrt((n - 1.0) * w) for n, w in zip(ns, ws, strict=True)]

    def resid(ts):
        th = k @ ts
        est = model.wls_est(th)
        return np.concatenate([s * (o - e) for s, o, e in zip(sq, obs, est, strict=True)])

    def jac(ts):
        th = k @ ts
        d = model.wls_jacobian(th)
        return -np.vstack([s[:, None] * dg for s, dg in zip(sq, d, strict=True)]) @ k

    start = _start(model, stats_list)
    ts0 = np.linalg.lstsq(k, start, rcond=None)[0]
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        sol = optimize.least_squares(
            resid, ts0, jac=jac, method="trf", xtol=1e-14, ftol=1e-14, gtol=1e-12, max_nfev=2000
        )
    ts = sol.x
    theta = k @ ts
    r = resid(ts)
    chisq_groups = np.array(
        [np.sum(x**2) for x in np.split(r, np.cumsum([cg.n_wls for cg in model.cat])[:-1])]
    )
    chisq = float(chisq_groups.sum())
    grad = jac(ts).T @ r
    grad_max = float(np.max(np.abs(grad))) / max(1.0, chisq)
    converged = bool(sol.success) and np.all(np.isfinite(theta))
    ntot = float(ns.sum())
    fg = ns / ntot
    dlist = model.wls_jacobian(theta)
    e_mat = sum(f * (d.T * w) @ d for f, d, w in zip(fg, dlist, ws, strict=True))
    ek = k.T @ e_mat @ k
    ev = np.linalg.eigvalsh(ek)
    singular = bool(ev[0] <= 1e-10 * max(ev[-1], 1e-300))
    ek_inv = np.linalg.pinv(ek) if singular else np.linalg.inv(ek)
    e_inv = k @ ek_inv @ k.T
    gammas = [np.asarray(st.gamma, dtype=float) for st in stats_list]
    nfac = ntot - len(ns)
    vcov = None
    if se == "robust.sem":
        meat = sum(
            f * (d.T * w) @ g @ (w[:, None] * d)
            for f, d, w, g in zip(fg, dlist, ws, gammas, strict=True)
        )
        vcov = e_inv @ meat @ e_inv / nfac
    elif se == "standard":
        vcov = e_inv / nfac
    df = int(sum(cg.n_wls for cg in model.cat) - model.n_unique)
    tst = {"test": test, "chisq": chisq, "chisq_group": chisq_groups, "df": df}
    if test in ("scaled.shifted", "satorra.bentler") and df > 0:
        tr1, tr2 = _ugamma_traces(dlist, ws, gammas, fg, e_inv)
        tst.update(trace_ugamma=tr1, trace_ugamma2=tr2)
        if test == "scaled.shifted":
            a = np.sqrt(df / tr2)
            shift = df - a * tr1
            tst.update(
                chisq_scaled=chisq * a + shift,
                df_scaled=df,
                scaling_factor=1.0 / a,
                shift_parameter=shift,
            )
        else:
            c = tr1 / df
            tst.update(chisq_scaled=chisq / c, df_scaled=df, scaling_factor=c)
    return CategoricalFit(
        theta=theta,
        fmin=chisq / (2.0 * ntot),
        chisq=chisq,
        converged=converged,
        iterations=int(sol.nfev),
        message=str(sol.message),
        grad_max=grad_max,
        vcov=vcov,
        singular=singular,
        test=tst,
        estimator=estimator,
    )


def _ugamma_traces(dlist, ws, gammas, fg, e_inv):
    """``tr(U Gamma)`` and ``tr((U Gamma)^2)`` over all groups (lavaan's "original" method)."""
    v_d = np.vstack([f * (w[:, None] * d) for f, w, d in zip(fg, ws, dlist, strict=True)])
    vdiag = np.concatenate([f * w for f, w in zip(fg, ws, strict=True)])
    sizes = [len(w) for w in ws]
    gam = np.zeros((sum(sizes), sum(sizes)))
    pos = 0
    for f, g, s in zip(fg, gammas, sizes, strict=True):
        gam[pos : pos + s, pos : pos + s] = g / f
        pos += s
    # U Gamma = V Gamma - V D E^-1 D' V Gamma
    ug = vdiag[:, None] * gam - v_d @ (e_inv @ (v_d.T @ gam))
    return float(np.trace(ug)), float(np.sum(ug * ug.T))


def _baseline(model, stats_list, ws, ns):
    """Fit the independence model (thresholds, numeric means/variances free, covariances 0)."""
    ntot = float(ns.sum())
    fg = ns / ntot
    chisq = 0.0
    df = 0
    tr1 = tr2 = 0.0
    for cg, st, w, n, f in zip(model.cat, stats_list, ws, ns, fg, strict=True):
        obs = np.asarray(st.wls_obs, dtype=float)
        off = slice(cg.n_th + len(cg.num_idx), cg.n_wls)
        chisq += (n - 1.0) * float(np.sum(w[off] * obs[off] ** 2))
        df += len(cg.off_r)
        g = np.asarray(st.gamma, dtype=float)[off, off]
        ug = w[off][:, None] * g
        del f  # the group weights cancel in U Gamma
        tr1 += float(np.trace(ug))
        tr2 += float(np.sum(ug * ug.T))
    return chisq, df, tr1, tr2


def categorical_fit_measures(model, stats_list, fit, estimator) -> dict:
    """Fit measures of a categorical fit with lavaan 0.6.14's ``fitMeasures()`` names.

    ``chisq, df, pvalue`` (the DWLS/ULS statistic; ULS has no p-value, as lavaan), the scaled
    test (``chisq_scaled, df_scaled, pvalue_scaled, chisq_scaling_factor`` and, for the
    scaled-shifted test, ``chisq_shift_parameters``, lavaan's ``shift.parameter`` summed over
    groups), the independence baseline (``baseline_chisq``, ``baseline_df``, their scaled
    versions; for WLSM lavaan 0.6.14 reports the baseline unscaled, and so do we), ``cfi,
    tli, nnfi, rfi, nfi, pnfi, ifi, rni`` and their ``*_scaled`` versions, ``rmsea`` (+ 90%
    CI, close-fit and not-close-fit p-values) with ``N - G`` (``lav_utils_get_ntotal`` for
    non-ML estimators) and ``rmsea_scaled`` (WLSM: the unscaled statistic on ``tr(U Gamma)``
    degrees of freedom, as lavaan), ``rmr, srmr, srmr_bentler, crmr`` (+ ``_nomean``),
    ``cn_05, cn_01, gfi, agfi, pgfi, mfi, wrmr``, and with a scaled test lavaan's robust
    ``cfi_robust, tli_robust, nnfi_robust, rni_robust, rmsea_robust`` (+ CI and p-values;
    :func:`_robust_indices`). Not reported: the constants ``rmsea_ci_level``,
    ``rmsea_close_h0``, ``rmsea_notclose_h0``.
    """
    wtype, _se, test = CATEGORICAL_ESTIMATORS[estimator]
    ws = [_weights(st, wtype) for st in stats_list]
    ns = np.array([st.n for st in stats_list], dtype=float)
    ntot = float(ns.sum())
    ngroups = len(ns)
    n_rmsea = ntot - ngroups
    tst = fit.test
    chisq, df = tst["chisq"], tst["df"]
    uls = wtype == "ULS"
    pvalue = np.nan if (uls or df == 0) else float(stats.chi2.sf(chisq, df))
    b_chisq, b_df, b_tr1, b_tr2 = _baseline(model, stats_list, ws, ns)
    b_p = np.nan if uls else float(stats.chi2.sf(b_chisq, b_df))
    out = {
        "npar": float(model.n_unique),
        "fmin": fit.fmin,
        "chisq": chisq,
        "df": float(df),
        "pvalue": pvalue,
    }
    scaled = test in ("scaled.shifted", "satorra.bentler")
    if scaled:
        cs, sf = tst.get("chisq_scaled", np.nan), tst.get("scaling_factor", np.nan)
        out.update(
            chisq_scaled=cs,
            df_scaled=float(df),
            pvalue_scaled=float(stats.chi2.sf(cs, df)) if df > 0 else np.nan,
            chisq_scaling_factor=sf,
        )
        if test == "scaled.shifted":
            out["chisq_shift_parameters"] = tst.get("shift_parameter", np.nan)
    out.update(baseline_chisq=b_chisq, baseline_df=float(b_df), baseline_pvalue=b_p)
    if scaled:
        if test == "scaled.shifted":
            a = np.sqrt(b_df / b_tr2)
            b_cs = b_chisq * a + (b_df - a * b_tr1)
            b_sf = 1.0 / a
        else:
            # lavaan 0.6.14 reports the WLSM baseline unscaled (scaling factor 1)
            b_cs, b_sf = b_chisq, 1.0
        out.update(
            baseline_chisq_scaled=b_cs,
            baseline_df_scaled=float(b_df),
            baseline_pvalue_scaled=float(stats.chi2.sf(b_cs, b_df)),
            baseline_chisq_scaling_factor=b_sf,
        )
    out.update(_incremental(chisq, df, b_chisq, b_df, ""))
    if scaled:
        out.update(
            _incremental(out["chisq_scaled"], df, out["baseline_chisq_scaled"], b_df, "_scaled")
        )
    out.update(_rmsea(chisq, df, n_rmsea, ngroups, ""))
    if scaled:
        if test == "scaled.shifted":
            x2, df2 = out["chisq_scaled"], df
        else:
            x2, df2 = chisq, tst.get("trace_ugamma", np.nan)
        out.update(_rmsea(x2, df2, n_rmsea, ngroups, "_scaled"))
    if scaled:
        out.update(_robust_indices(model, stats_list, fit.theta, ws, ns, df, b_df, n_rmsea))
    out.update(_residual_indices(model, stats_list, fit.theta, ns))
    out.update(_other_indices(model, stats_list, fit.theta, ws, ns, chisq, df, n_rmsea))
    return out


def _robust_indices(model, stats_list, theta, ws, ns, df, b_df, n):
    """Compute lavaan 0.6.14's robust CFI/TLI/RNI/RMSEA for categorical data.

    ``cfi_robust, tli_robust, nnfi_robust, rni_robust, rmsea_robust`` (+ CI and p-values), as
    ``lav_fit_catml_dwls`` and ``lav_fit_cfi``/``lav_fit_rmsea`` with ``c.hat``.

    The normal-theory ML discrepancy between the polychoric correlations ``R`` and the
    implied correlations at the (D)WLS estimates, ``XX3 = sum_g N_g (log|Sigma| - log|R| +
    tr(R Sigma^-1) - p)``, is corrected by ``c = tr(U' V U Gamma) / df`` with ``V`` the
    expected ML weight matrix of the correlations at ``Sigma`` (``U = I - D E^-1 D' W``,
    correlation rows only), and the independence model by ``tr(Gamma) / df_null``. As
    lavaan, the indices are NaN when a variable is numeric, when a polychoric matrix
    is not positive definite, or (here) when thresholds carry constraints.
    """
    keys = [
        "cfi_robust",
        "tli_robust",
        "nnfi_robust",
        "rni_robust",
        "rmsea_robust",
        "rmsea_ci_lower_robust",
        "rmsea_ci_upper_robust",
        "rmsea_pvalue_robust",
        "rmsea_notclose_pvalue_robust",
    ]
    nan = dict.fromkeys(keys, np.nan)
    t = model.table
    th_rows = (t["op"] == "|").to_numpy()
    k = model.ceq_basis
    th_free = model.free[th_rows]
    used = np.abs(k) > 0  # free parameter x unique parameter
    shared = used.sum(axis=0) > 1  # unique parameters behind several free parameters
    constrained = bool(np.any(th_free == 0)) or bool(
        np.any(shared[used[th_free[th_free > 0] - 1].any(axis=0)])
    )
    if constrained or any(len(cg.num_idx) for cg in model.cat):
        return nan
    fg = ns / ns.sum()
    imp = model.implied_cor(theta)
    dlist = model.wls_jacobian(theta)
    xx3 = xx3_null = 0.0
    blocks_v, blocks_g, blocks_d, blocks_w = [], [], [], []
    for st, cg, sig, d, w, f, nn in zip(stats_list, model.cat, imp, dlist, ws, fg, ns, strict=True):
        r = np.asarray(st.cov, dtype=float)
        if np.linalg.eigvalsh(r)[0] < np.sqrt(np.finfo(float).eps):
            return nan
        p = cg.p
        si = np.linalg.inv(sig)
        xx3 += nn * (np.linalg.slogdet(sig)[1] - np.linalg.slogdet(r)[1] + np.trace(r @ si) - p)
        xx3_null += -nn * np.linalg.slogdet(r)[1]
        a, b = cg.off_r, cg.off_c
        v = si[np.ix_(a, a)] * si[np.ix_(b, b)] + si[np.ix_(a, b)] * si[np.ix_(b, a)]
        off = slice(cg.n_th, cg.n_wls)
        blocks_v.append(f * v)
        blocks_g.append(np.asarray(st.gamma, dtype=float)[off, off] / f)
        blocks_d.append(d[off])
        blocks_w.append(f * w[off])
    from scipy.linalg import block_diag

    v_all = block_diag(*blocks_v)
    g_all = block_diag(*blocks_g)
    d_all = np.vstack(blocks_d)
    w_all = np.concatenate(blocks_w)
    e_mat = sum(f * (d.T * w) @ d for f, d, w in zip(fg, dlist, ws, strict=True))
    e_inv = k @ np.linalg.pinv(k.T @ e_mat @ k) @ k.T
    wiu = np.eye(len(w_all)) - d_all @ e_inv @ (d_all.T * w_all)
    ks = float(np.sum((wiu.T @ v_all @ wiu) * g_all.T))
    df3 = df
    if df3 <= 0:
        return nan
    c3 = ks / df3
    c3_null = float(np.trace(g_all)) / b_df
    xx3_scaled = xx3 / c3
    t1 = max(xx3 - c3 * df, 0.0)
    t2 = max(xx3 - c3 * df, xx3_null - c3_null * b_df, 0.0)
    cfi = 1.0 if (np.isclose(t1, 0) and np.isclose(t2, 0)) else 1 - t1 / t2
    tli = 1 - ((xx3 - c3 * df) * b_df) / ((xx3_null - c3_null * b_df) * df)
    rni = 1 - (xx3 - c3 * df) / (xx3_null - c3_null * b_df)
    g = len(ns)
    rm = float(np.sqrt(max(xx3 / n / df3 - c3 / n, 0.0)) * np.sqrt(g))
    lo, hi = rmsea_ci(xx3_scaled, df3, n, g=g)
    ncp = n * df3 / c3 * 0.05**2 / g
    return {
        "cfi_robust": cfi,
        "tli_robust": tli,
        "nnfi_robust": tli,
        "rni_robust": rni,
        "rmsea_robust": rm,
        "rmsea_ci_lower_robust": lo * np.sqrt(c3),
        "rmsea_ci_upper_robust": hi * np.sqrt(c3),
        "rmsea_pvalue_robust": float(1 - stats.ncx2.cdf(xx3_scaled, df3, ncp)),
        "rmsea_notclose_pvalue_robust": float(
            stats.ncx2.cdf(xx3_scaled, df3, n * df3 / c3 * 0.08**2 / g)
        ),
    }


def _other_indices(model, stats_list, theta, ws, ns, chisq, df, n):
    """``cn_05, cn_01, gfi, agfi, pgfi, mfi, wrmr`` as lavaan 0.6.14 (``lav_fit_*``)."""
    est = model.wls_est(theta)
    gfi_g = []
    for st, e, w in zip(stats_list, est, ws, strict=True):
        obs = np.asarray(st.wls_obs, dtype=float)
        gfi_g.append(1 - np.sum(w * (obs - e) ** 2) / np.sum(w * obs**2))
    gfi = float(np.sum(ns * np.array(gfi_g)) / ns.sum())
    nel = sum(len(e) for e in est)
    out = {}
    for alpha, key in ((0.05, "cn_05"), (0.01, "cn_01")):
        if df == 0 and chisq < np.finfo(float).eps:
            out[key] = np.nan
        else:
            out[key] = float(stats.chi2.ppf(1 - alpha, df) / (chisq / n) + 1)
    out.update(
        gfi=gfi,
        agfi=1 - nel / df * (1 - gfi) if df > 0 else np.nan,
        pgfi=df / nel * gfi,
        mfi=float(np.exp(-0.5 * (chisq - df) / n)),
        # lavaan divides by the number of sample statistics of the first group
        wrmr=float(np.sqrt(chisq / len(est[0]))),
    )
    return out


def _incremental(x2, df, b_x2, b_df, suffix):
    t1 = max(x2 - df, 0.0)
    t2 = max(x2 - df, b_x2 - b_df, 0.0)
    cfi = 1.0 if (np.isclose(t1, 0) and np.isclose(t2, 0)) else 1 - t1 / t2
    if df > 0 and b_df > 0:
        a = x2 / df - 1
        b = b_x2 / b_df - 1
        tli = 1.0 if (a < 0 and b < 0) else 1 - a / b
        rfi = (b_x2 / b_df - x2 / df) / (b_x2 / b_df) if b_x2 > 0 else np.nan
    else:
        tli = rfi = 1.0
    nfi = (b_x2 - x2) / b_x2 if b_x2 > 0 else np.nan
    ifi = (b_x2 - x2) / (b_x2 - df) if b_x2 != df else np.nan
    rni_num = (x2 - df) if b_x2 - b_df != 0 else np.nan
    rni = 1 - rni_num / (b_x2 - b_df) if b_x2 - b_df != 0 else np.nan
    pnfi = df / b_df * nfi if b_df > 0 else np.nan
    return {
        f"cfi{suffix}": cfi,
        f"pnfi{suffix}": pnfi,
        f"tli{suffix}": tli,
        f"nnfi{suffix}": tli,
        f"rfi{suffix}": rfi,
        f"nfi{suffix}": nfi,
        f"ifi{suffix}": ifi,
        f"rni{suffix}": rni,
    }


def _rmsea(x2, df, n, g, suffix):
    if not np.isfinite(x2) or not np.isfinite(df):
        return {f"rmsea{suffix}": np.nan}
    if df > 0:
        rm = float(np.sqrt(max(x2 / n / df - 1.0 / n, 0.0)) * np.sqrt(g))
        lo, hi = rmsea_ci(x2, df, n, g=g)
        ncp = n * df * 0.05**2 / g
        p = float(1 - (stats.ncx2.cdf(x2, df, ncp)))
        p_not = float(stats.ncx2.cdf(x2, df, n * df * 0.08**2 / g))
    else:
        rm, lo, hi, p, p_not = 0.0, 0.0, 0.0, np.nan, np.nan
    lower = "rmsea_ci_lower" + suffix
    upper = "rmsea_ci_upper" + suffix
    return {
        f"rmsea{suffix}": rm,
        lower: lo,
        upper: hi,
        f"rmsea_pvalue{suffix}": p,
        f"rmsea_notclose_pvalue{suffix}": p_not,
    }


def _residual_indices(model, stats_list, theta, ns):
    """Lavaan's ``rmr``, ``srmr`` (= ``srmr_bentler_nomean``), ``srmr_bentler`` and ``crmr``.

    Root mean squares of the residuals of the covariances (raw: ``rmr``), of the
    correlation-standardized covariances (lower triangle with the diagonal: ``srmr``) and of
    the correlations (without the diagonal: ``crmr``); the versions without ``_nomean`` add
    the residuals of the thresholds of the ordered variables (not the numeric means, as
    lavaan 0.6.14). Group values are weighted by group size, as lavaan.
    """
    parts, _vals = model._group_parts(theta)
    wls = model.wls_est(theta)
    acc = {
        k: []
        for k in ("rmr", "rmr_nomean", "srmr_bentler", "srmr_bentler_nomean", "crmr", "crmr_nomean")
    }
    for st, cg, (sig, _mu, dl), est in zip(stats_list, model.cat, parts, wls, strict=True):
        s = np.asarray(st.cov, dtype=float)
        imp = sig * np.outer(dl, dl)
        sd = np.sqrt(np.diag(s))
        sd_imp = np.sqrt(np.abs(np.diag(imp)))
        obs = np.asarray(st.wls_obs, dtype=float)
        o = cg.th_ord  # lavaan's "mean" part: the thresholds of the ordered variables
        th_res = (obs[: cg.n_th] - est[: cg.n_th])[o]
        th_std = th_res / sd[cg.th_var[o]]
        r, c = np.tril_indices(cg.p)
        raw = (s - imp)[r, c]
        std = ((s - imp) / np.outer(sd, sd))[r, c]
        ro, co = cg.off_r, cg.off_c
        cor = (s / np.outer(sd, sd) - imp / np.outer(sd_imp, sd_imp))[ro, co]

        def rms(*a):
            x = np.concatenate(a)
            return float(np.sqrt(np.mean(x**2)))

        acc["rmr"].append(rms(raw, th_res))
        acc["rmr_nomean"].append(rms(raw))
        acc["srmr_bentler"].append(rms(std, th_std))
        acc["srmr_bentler_nomean"].append(rms(std))
        acc["crmr"].append(rms(cor, th_std))
        acc["crmr_nomean"].append(rms(cor))
    w = ns / ns.sum()
    out = {k: float(np.sum(w * np.array(v))) for k, v in acc.items()}
    return {"srmr": out["srmr_bentler_nomean"], **out}


# --------------------------------------------------------------------------------------
# result object
# --------------------------------------------------------------------------------------
def _result_class():
    from .result import SEMResult

    class OrdinalSEMResult(SEMResult):
        """:class:`~nrel_research.sem.result.SEMResult` of a model with ordered indicators.

        ``estimates()`` has lavaan's threshold rows (``op == "|"``, ``rhs`` ``t1``, ...) and
        scale-factor rows (``op == "~*~"``); ``fit_measures()`` the (D)WLS/ULS statistics
        and their scaled versions (:func:`categorical_fit_measures`).
        """

        def fit_measures(self) -> pd.Series:
            if self._fm is None:
                fm = categorical_fit_measures(self.model, self.stats, self.optim, self.estimator)
                fm = {"npar": fm.pop("npar"), "ntotal": float(self.nobs), **fm}
                self._fm = pd.Series(fm, dtype=float, name="value")
            return self._fm.copy()

        def implied_cov(self, group=None) -> pd.DataFrame:
            """Model-implied correlations of the latent responses (numeric: covariances)."""
            sig = self.model.implied_cor(self.theta)[self._group_index(group)]
            names = self.model.ov_names
            return pd.DataFrame(sig, index=names, columns=names)

        def implied_thresholds(self, group=None) -> pd.Series:
            """Model-implied thresholds (and minus the means of numeric variables)."""
            gi = self._group_index(group)
            cg = self.model.cat[gi]
            est = self.model.wls_est(self.theta)[gi][: cg.n_th]
            ov = self.model.ov_names
            t = self.model.table
            names = [
                f"{ov[i]}|{t.at[r, 'rhs']}" if r >= 0 else f"{ov[i]}~1"
                for i, r in zip(cg.th_var, cg.th_row, strict=True)
            ]
            return pd.Series(est, index=names, name="threshold")

        def implied_mean(self, group=None):
            """``None``: ordered models report :meth:`implied_thresholds` instead."""
            return None

        def __repr__(self) -> str:
            fm = self.fit_measures()
            return (
                f"<SEMResult {self.estimator} (ordered), N={self.nobs}, "
                f"npar={int(fm['npar'])}, chisq={fm['chisq']:.3f}, df={int(fm['df'])}, "
                f"converged={self.converged}>"
            )

    return OrdinalSEMResult


def ordinal_result(
    pt,
    stats_list,
    estimator,
    *,
    se=None,
    syntax="",
    missing="listwise",
    n_dropped=0,
    group_labels=None,
    group=None,
):
    """Fit ``pt`` (with ordered indicators) on first-step statistics; return the result.

    Parameters
    ----------
    pt : ParTable
        From ``parse_model(..., ordered=...)``.
    stats_list : list of CategoricalStats
        One per group, variables in ``pt.ov_names`` order.
    estimator : {"WLSMV", "DWLS", "WLSM", "ULSMV"}
    se : {"robust.sem", "standard", "none"}, optional
        Default: the estimator's (robust.sem, except standard for DWLS).

    Returns
    -------
    OrdinalSEMResult
    """
    from ..exceptions import ConvergenceWarning, ImproperSolutionWarning
    from ._blas import single_threaded_blas
    from .defined import DefinedParameters

    model = OrdinalModel(pt)
    defined = DefinedParameters(model.table)
    if model.n_unique == 0:
        raise SpecificationError("the model has no free parameters to estimate.")
    with single_threaded_blas():
        fit = fit_categorical(model, stats_list, estimator, se=se)
    recorded = [NrelWarning(m) for m in pt.messages]
    if fit.singular:
        recorded.append(
            ImproperSolutionWarning(
                "the information matrix is singular: the model may not be identified; "
                "standard errors are not reliable (NaN where undefined)."
            )
        )
    if not fit.converged:
        recorded.append(
            ConvergenceWarning(
                f"the {estimator} optimizer did not converge ({fit.message}); estimates are "
                "not trustworthy. Check the model's identification, or simplify it."
            )
        )
    from .api import improper_messages

    if group_labels is None:
        recorded += [ImproperSolutionWarning(m) for m in improper_messages(model, fit.theta)]
    else:
        for gi, lab in enumerate(group_labels):
            for msg in improper_messages(model, fit.theta, groups=[gi]):
                recorded.append(ImproperSolutionWarning(f"group {lab!r}: {msg}"))
    se_type = {"robust.sem": "robust", "standard": "standard", "none": "none"}[
        se or CATEGORICAL_ESTIMATORS[estimator][1]
    ]
    cls = _result_class()
    result = cls(
        model=model,
        stats=stats_list,
        theta=fit.theta,
        fmin=fit.fmin,
        vcov=fit.vcov,
        defined=defined,
        optim=fit,
        se=se_type,
        boot=None,
        warning_messages=[str(w) for w in recorded],
        n_dropped=n_dropped,
        syntax=syntax,
        estimator=estimator,
        missing=missing,
        group_labels=group_labels,
        group=group,
    )
    result._recorded = recorded
    return result


def wls_matrices(result) -> dict:
    """Return the matrices of a categorical fit that scaled tests need (lavaan's names).

    Parameters
    ----------
    result : OrdinalSEMResult

    Returns
    -------
    dict
        ``delta`` (per group ``d wls_est / d theta`` at the estimates, lavaan ``Delta``),
        ``w`` (per group the diagonal weights, ``WLS.VD``; ones for ULS), ``gamma`` (per group
        ``NACOV``), ``fg`` (``N_g / N``), ``e_inv`` (``E.inv``: the inverse of
        ``sum_g fg Delta' W Delta`` in the free-parameter space, through the equality
        constraints), ``k`` (the constraint basis ``theta = K theta*``).
    """
    model, stats_list = result.model, result.stats
    wtype = CATEGORICAL_ESTIMATORS[result.estimator][0]
    ws = [_weights(st, wtype) for st in stats_list]
    ns = np.array([st.n for st in stats_list], dtype=float)
    fg = ns / ns.sum()
    dlist = model.wls_jacobian(result.theta)
    k = model.ceq_basis
    e_mat = sum(f * (d.T * w) @ d for f, d, w in zip(fg, dlist, ws, strict=True))
    ek = k.T @ e_mat @ k
    e_inv = k @ np.linalg.pinv(ek) @ k.T
    return {
        "delta": dlist,
        "w": ws,
        "gamma": [np.asarray(st.gamma, dtype=float) for st in stats_list],
        "fg": fg,
        "e_inv": e_inv,
        "k": k,
    }
