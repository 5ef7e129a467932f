"""FIML estimation and robust (MLR) inference in θ: the link between the model and the moments.

:mod:`~nrel_research.sem._fiml` and :mod:`~nrel_research.sem._robust` work on the moments
``m = (μ, vech Σ)`` of one group; this module chains them to the free parameters θ with the
model's Jacobian ``Δ = ∂m/∂θ`` (the model's rows are ``vech Σ`` then ``μ``; they are reordered
to ``(μ, vech Σ)`` here), exactly as lavaan 0.6.14 does:

* FIML objective ``F(θ) = -2 logl(θ) / N`` (so ``χ² = N [F(θ̂) - F_h1]``), gradient
  ``-2 Δᵀ g / N`` with ``g`` the analytic moment gradient, minimised by the engine's optimizer
  (Gauss-Newton steps with the complete-data normal information, then BFGS);
* bread of the covariance matrix: lavaan's observed information (``information = "observed"``,
  ``observed.information = "hessian"``) for FIML and for MLR, including the second-derivative
  term of ``Σ(θ)`` (:func:`~nrel_research.sem._robust.observed_information`), also for ML
  with ``se = "robust"`` (lavaan switches ``information`` to "observed" for robust SEs);
* meat (MLR and ``se = "robust"``): ``Δᵀ J Δ`` with ``J`` the first-order (casewise score)
  information at the model-implied moments (``information.meat = "first.order"``);
* Yuan-Bentler (Mplus) scaled test, robust CFI/TLI/RMSEA (Brosseau-Liard & Savalei with
  complete data; Zhang & Savalei FIML-corrected ``V3``/``V6`` with missing data).

Oracle: ``tests/reference/sem_integrate.R`` (whole fits) and ``sem_missing_robust.R``.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from ._fiml import (
    em_saturated,
    fiml_gradient,
    fiml_information,
    fiml_loglik,
    normal_information,
)
from ._robust import (
    BaselineTest,
    ScaledTest,
    baseline_test,
    fiml_corrected,
    observed_information,
    robust_cfi,
    robust_rmsea,
    robust_rmsea_ci,
    robust_rmsea_pvalue,
    robust_tli,
    yuan_bentler_mplus,
)
from .fitmeasures import rmsea_ci

__all__ = ["FimlObjective", "MomentStats", "robust_measures", "scaled_test", "vcov_fiml_mlr"]


def moment_delta(model, theta, gi):
    """Δ of group ``gi`` with rows ``(μ, vech Σ)`` (lavaan's order), all free parameters."""
    d = model.delta(theta)[gi]
    if not model.meanstructure:
        return d
    nv = len(model.groups[gi].vr)
    return np.vstack([d[nv:], d[:nv]])


class MomentStats:
    """Sample statistics of one group seen by the fit measures: the h1 (EM) moments.

    Duck-types :class:`~nrel_research.sem.estimate.GroupStats` (``n``, ``p``, ``mean``,
    ``cov``, ``logdet``) with the saturated-model moments, so that SRMR and the start values
    use the EM moments as lavaan does with ``missing = "ml"``.
    """

    def __init__(self, pat, em):
        self.pat = pat
        self.em = em
        self.n = pat.n_obs
        self.p = pat.p
        self.mean = em.mu
        self.cov = em.sigma
        sign, logdet = np.linalg.slogdet(em.sigma)
        self.logdet = logdet if sign > 0 else -np.inf
        self.pd = sign > 0


class FimlObjective:
    """``F(θ) = -2 Σ_g logl_g(θ) / N`` with its analytic gradient (for ``fit_ml``)."""

    def __init__(self, model, pats):
        self.model = model
        self.pats = pats
        self.ntot = sum(p.n_obs for p in pats)

    def _moments(self, theta):
        out = []
        for imp in self.model.implied(theta):
            sig = imp["cov"]
            try:
                np.linalg.cholesky(sig)
            except np.linalg.LinAlgError:
                return None
            out.append((imp["mean"], sig))
        return out

    def fun(self, theta):
        mom = self._moments(theta)
        if mom is None:
            return np.inf
        ll = 0.0
        for pat, (mu, sig) in zip(self.pats, mom, strict=True):
            try:
                ll += fiml_loglik(pat, mu, sig)
            except np.linalg.LinAlgError:
                return np.inf
        return -2.0 * ll / self.ntot if np.isfinite(ll) else np.inf

    def grad_info(self, theta, want_info=True):
        mom = self._moments(theta)
        if mom is None:
            return None, None
        grad = np.zeros(self.model.n_free)
        info = np.zeros((self.model.n_free, self.model.n_free)) if want_info else None
        for gi, (pat, (mu, sig)) in enumerate(zip(self.pats, mom, strict=True)):
            try:
                _, g = fiml_gradient(pat, mu, sig)
            except np.linalg.LinAlgError:
                return None, None
            d = moment_delta(self.model, theta, gi)
            grad += -2.0 * (d.T @ g) / self.ntot
            if want_info:
                w = pat.n_obs / self.ntot
                info += w * d.T @ normal_information(sig) @ d
        return grad, info


def _inv_constrained(model, info):
    k = model.ceq_basis
    ik = k.T @ info @ k
    w = np.linalg.eigvalsh(ik)
    singular = bool(w[0] <= 1e-10 * max(w[-1], 1e-300))
    inv = np.linalg.pinv(ik) if singular else np.linalg.inv(ik)
    return k @ inv @ k.T, singular


def _first_order(model, pats, theta, meanstructure):
    ntot = sum(p.n_obs for p in pats)
    out = np.zeros((model.n_free, model.n_free))
    per_group = []
    for gi, (pat, imp) in enumerate(zip(pats, model.implied(theta), strict=True)):
        mu = imp["mean"] if meanstructure else pat.patterns[0].mean
        d = moment_delta(model, theta, gi)
        j = fiml_information(pat, mu, imp["cov"], "first.order", meanstructure=meanstructure)
        b0 = d.T @ j @ d
        per_group.append(b0)
        out += pat.n_obs / ntot * b0
    return out, per_group


def _observed(model, pats, theta, meanstructure):
    ntot = sum(p.n_obs for p in pats)
    out = np.zeros((model.n_free, model.n_free))
    for gi, (pat, imp) in enumerate(zip(pats, model.implied(theta), strict=True)):
        mu = imp["mean"] if meanstructure else pat.patterns[0].mean
        e = observed_information(
            pat,
            mu,
            imp["cov"],
            lambda t, gi=gi: moment_delta(model, t, gi),
            theta,
            meanstructure=meanstructure,
        )
        out += pat.n_obs / ntot * e
    return out


def vcov_fiml_mlr(model, pats, theta, *, robust):
    """Covariance matrix of the estimates (and the pieces the scaled test needs).

    Parameters
    ----------
    model : Model
    pats : list of MissingPatterns
        One per group (a single pattern for complete data; without a mean structure the
        sample means of that pattern are used as μ).
    theta : numpy.ndarray
    robust : bool
        Sandwich ``E⁻¹ B0 E⁻¹ / N`` instead of ``E⁻¹ / N``; ``E`` is always lavaan's observed
        information (the default with FIML, and what lavaan switches to for robust SEs).

    Returns
    -------
    vcov, e_inv, b0_groups, singular
    """
    ms = model.meanstructure
    ntot = sum(p.n_obs for p in pats)
    e = _observed(model, pats, theta, ms)
    e_inv, singular = _inv_constrained(model, e)
    b0_groups = None
    if robust:
        b0, b0_groups = _first_order(model, pats, theta, ms)
        vcov = e_inv @ b0 @ e_inv / ntot
    else:
        vcov = e_inv / ntot
    return vcov, e_inv, b0_groups, singular


def fiml_loglik_total(model, pats, theta):
    """Σ_g FIML log-likelihood at θ."""
    return sum(
        fiml_loglik(pat, imp["mean"], imp["cov"])
        for pat, imp in zip(pats, model.implied(theta), strict=True)
    )


def h1_moments(pats, *, missing):
    """Saturated moments per group: EM with missing data, sample moments without."""
    from ._fiml import EMResult

    out = []
    for pat in pats:
        if missing:
            out.append(em_saturated(pat))
        else:
            pt = pat.patterns[0]
            ll = fiml_loglik(pat, pt.mean, pt.cov)
            out.append(EMResult(mu=pt.mean, sigma=pt.cov, loglik=ll, iterations=0, converged=True))
    return out


def _plain_indices(chisq, df, base_chisq, base_df, ntot, ngroups):
    """Lavaan's cfi, tli, rmsea (for the scaled statistics with ``df`` unchanged)."""
    t1 = max(chisq - df, 0.0)
    t2 = max(chisq - df, base_chisq - base_df, 0.0)
    cfi = 1.0 if (np.isclose(t1, 0) and np.isclose(t2, 0)) else 1 - t1 / t2
    if df > 0 and base_df > 0:
        a, b = chisq / df - 1, base_chisq / base_df - 1
        tli = 1.0 if (a < 0 and b < 0) else 1 - a / b
    else:
        tli = 1.0
    rmsea = np.sqrt(max(chisq / ntot / df - 1 / ntot, 0.0)) * np.sqrt(ngroups) if df > 0 else 0.0
    return cfi, tli, rmsea


def scaled_test(model, pats, h1, *, chisq, df, e_inv=None, b0_groups=None, theta=None):
    """Yuan-Bentler (Mplus) scaled test of a model, lavaan's ``test = "yuan.bentler.mplus"``.

    ``A1``/``B1``: observed and first-order h1 informations at the saturated moments of every
    group; ``E⁻¹`` and the per-group ``B0`` at the estimates (computed at ``theta`` when they
    are not given: this evaluates the model at any point, as lavaan's
    ``lav_test_diff_m10`` does for the Satorra-Bentler (2010) difference test).
    """
    ms = model.meanstructure
    ntot = sum(p.n_obs for p in pats)
    if e_inv is None or b0_groups is None:
        _, e_inv, b0_groups, _ = vcov_fiml_mlr(model, pats, theta, robust=True)
    a1 = [
        fiml_information(p, h.mu, h.sigma, "observed", meanstructure=ms)
        for p, h in zip(pats, h1, strict=True)
    ]
    b1 = [
        fiml_information(p, h.mu, h.sigma, "first.order", meanstructure=ms)
        for p, h in zip(pats, h1, strict=True)
    ]
    fg = [p.n_obs / ntot for p in pats]
    return yuan_bentler_mplus(chisq, df, a1, b1, b0_groups, e_inv, group_weights=fg)


def robust_measures(
    model, pats, h1, theta, *, chisq, df, e_inv, b0_groups, missing, mlr, baseline
) -> dict:
    """Scaled (Yuan-Bentler Mplus) and robust fit measures, lavaan 0.6.14 names with ``_``.

    ``mlr``: the scaled test and ``*_scaled`` measures (estimator MLR). The ``*_robust`` indices
    are reported with MLR, and (FIML-corrected ``V6``) with ML under missing data, as lavaan.
    """
    ntot = sum(p.n_obs for p in pats)
    ng = len(pats)
    out: dict[str, float] = {}
    if mlr:
        sc = scaled_test(model, pats, h1, chisq=chisq, df=df, e_inv=e_inv, b0_groups=b0_groups)
        c = sc.scaling_factor
        bc = baseline.scaled
        c0 = bc.scaling_factor
        cfi_s, tli_s, rmsea_s = _plain_indices(
            sc.chisq_scaled, df, bc.chisq_scaled, baseline.df, ntot, ng
        )
        out.update(
            chisq_scaled=sc.chisq_scaled,
            df_scaled=df,
            pvalue_scaled=sc.pvalue_scaled,
            chisq_scaling_factor=c,
            baseline_chisq_scaled=bc.chisq_scaled,
            baseline_df_scaled=baseline.df,
            baseline_pvalue_scaled=bc.pvalue_scaled,
            baseline_chisq_scaling_factor=c0,
            cfi_scaled=cfi_s,
            tli_scaled=tli_s,
            rmsea_scaled=rmsea_s,
        )
        # lavaan 0.6.14: the scaled RMSEA interval and p-value use the *unscaled* X2 with
        # df2 = tr(U Gamma) = c * df (lav_fit_rmsea_lavobject)
        df2 = sc.trace_ugamma
        lo, hi = rmsea_ci(chisq, df2, ntot, g=ng)
        out.update(
            rmsea_ci_lower_scaled=lo,
            rmsea_ci_upper_scaled=hi,
            rmsea_pvalue_scaled=robust_rmsea_pvalue(chisq, df2, ntot, 1.0, n_groups=ng),
        )
    if missing:
        mus = [imp["mean"] for imp in model.implied(theta)]
        sigmas = [imp["cov"] for imp in model.implied(theta)]
        # equality constraints: lavaan's constrained inverse K (Kᵀ I K)⁻¹ Kᵀ is the inverse
        # in the reduced parameters θ* (θ = K θ*), whose Jacobian is Δ K
        k = model.ceq_basis
        deltas = [moment_delta(model, theta, gi) @ k for gi in range(ng)]
        fc = fiml_corrected(
            pats,
            [h.mu for h in h1],
            [h.sigma for h in h1],
            mus,
            sigmas,
            deltas,
            df,
            version="V3" if mlr else "V6",
        )
        x2, c, x2s = fc.xx3, fc.c_hat3, fc.xx3_scaled
        x20, df0, c0 = fc.xx3_null, fc.df3_null, fc.c_hat3_null
    elif mlr:
        x2, x2s = chisq, out["chisq_scaled"]
        c, c0 = out["chisq_scaling_factor"], out["baseline_chisq_scaling_factor"]
        x20, df0 = baseline.chisq, baseline.df
    else:
        return _saturated(out, df)
    lo, hi = robust_rmsea_ci(x2s, df, ntot, c, n_groups=ng)
    out.update(
        cfi_robust=robust_cfi(x2, df, x20, df0, c, c0),
        tli_robust=robust_tli(x2, df, x20, df0, c, c0),
        rmsea_robust=robust_rmsea(x2, df, ntot, c, n_groups=ng),
        rmsea_ci_lower_robust=lo,
        rmsea_ci_upper_robust=hi,
        rmsea_pvalue_robust=robust_rmsea_pvalue(x2s, df, ntot, c, n_groups=ng),
    )
    return _saturated(out, df)


def _saturated(out: dict, df) -> dict:
    """Report a saturated model's (df = 0) scaled and robust indices as lavaan does.

    A saturated model fits perfectly: lavaan 0.6.14 reports a scaled chi-square of 0, the
    scaled/robust CFI and TLI as 1 and RMSEA as 0 (checked on a one-factor, three-indicator
    FIML model).
    """
    if df != 0:
        return out
    for key in list(out):
        if key == "chisq_scaled":
            out[key] = 0.0
        elif key.startswith(("cfi_", "tli_")) and key.endswith(("_scaled", "_robust")):
            out[key] = 1.0
        elif key in ("rmsea_scaled", "rmsea_robust"):
            out[key] = 0.0
    return out


def baseline_for(pats, h1, meanstructure, information="observed"):
    """Fit the independence (baseline) model in every group and pool it as lavaan does.

    One group: :func:`~nrel_research.sem._robust.baseline_test`. Several groups: lavaan fits
    the multiple-group independence model, whose information matrix is block-diagonal
    (``⊕ f_g E_g``), so its chi-square and degrees of freedom are sums over groups and its
    Yuan-Bentler (Mplus) scaling factor is ``Σ_g [tr(B1_g A1_g⁻¹) - tr(B0_g E_g⁻¹)] / Σ_g df_g``
    (the group weights ``f_g`` cancel); the scaled chi-square is the summed chi-square over it.
    """
    parts = [
        baseline_test(p, h.mu, h.sigma, meanstructure=meanstructure, information=information)
        for p, h in zip(pats, h1, strict=True)
    ]
    if len(parts) == 1:
        return parts[0]
    chisq = float(sum(b.chisq for b in parts))
    df = int(sum(b.df for b in parts))
    trace = float(sum(b.scaled.trace_ugamma for b in parts))
    c = trace / df if df > 0 else np.nan
    if c < 0:
        c = np.nan
    scaled = ScaledTest(
        chisq=chisq,
        df=df,
        chisq_scaled=chisq / c,
        pvalue_scaled=float(stats.chi2.sf(chisq / c, df)) if df > 0 else np.nan,
        scaling_factor=c,
        scaling_factor_h1=np.nan,
        scaling_factor_h0=np.nan,
        trace_ugamma=trace,
    )
    return BaselineTest(
        mu=[b.mu for b in parts],
        sigma=[b.sigma for b in parts],
        loglik=float(sum(b.loglik for b in parts)),
        chisq=chisq,
        df=df,
        scaled=scaled,
    )
