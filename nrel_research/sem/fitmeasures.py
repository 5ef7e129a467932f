"""Fit measures as lavaan 0.6.14's ``fitMeasures()`` computes them for ML on complete data.

- ``chisq = N * F`` (lavaan: ``2 * N * fmin``), ``df = ndat - npar`` where ``ndat`` counts
  ``p(p+1)/2`` (co)variances (plus ``p`` means with a mean structure) per group minus the moments
  of the fixed exogenous covariates, and ``npar`` is the number of free parameters minus the
  equality constraints;
- baseline: the independence model (free variances and means of the endogenous variables, the
  exogenous covariates' block fixed at its sample values), in closed form;
- ``cfi``, ``tli`` as ``lav_fit_cfi``/``lav_fit_tli``; ``rmsea = sqrt(max(X2/N/df - 1/N, 0))``
  with N (not N - 1) since ``likelihood = "normal"``, its 90% CI by inverting the noncentral
  chi-square (``lav_fit_rmsea_ci``) and the close-fit p-value for RMSEA <= .05;
- ``srmr``: Bentler's SRMR (``lav_fit_srmr``, lavaan's ``srmr``): the root mean square of the
  correlation residuals ``(s_ij - sigma_ij) / sqrt(s_ii s_jj)`` over the lower triangle with the
  diagonal, plus the standardized mean residuals when the model has a mean structure;
- ``logl`` and ``unrestricted_logl`` are normal log-likelihoods of the observed variables,
  conditional on the fixed covariates (lavaan subtracts their marginal log-likelihood);
  ``aic = -2 logl + 2 npar``, ``bic = -2 logl + npar log N``, ``bic2`` with ``(N + 2) / 24``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import optimize, stats

__all__ = ["fit_measures"]

FIT_MEASURE_NAMES = [
    "npar",
    "ntotal",
    "chisq",
    "df",
    "pvalue",
    "baseline_chisq",
    "baseline_df",
    "baseline_pvalue",
    "cfi",
    "tli",
    "rmsea",
    "rmsea_ci_lower",
    "rmsea_ci_upper",
    "rmsea_pvalue",
    "srmr",
    "logl",
    "unrestricted_logl",
    "aic",
    "bic",
    "bic2",
]


def _pchisq(x, df, ncp):
    if ncp <= 0:
        return stats.chi2.cdf(x, df)
    return stats.ncx2.cdf(x, df, ncp)


def rmsea_ci(x2, df, n, level=0.90, g=1):
    """90% confidence interval of the RMSEA as ``lavaan:::lav_fit_rmsea_ci``."""
    if not (np.isfinite(x2) and np.isfinite(df)) or df < 1:
        return 0.0, 0.0
    upper_perc = 1 - (1 - level) / 2
    lower_perc = (1 - level) / 2

    def lower_lambda(lam):
        return _pchisq(x2, df, lam) - upper_perc

    def upper_lambda(lam):
        return _pchisq(x2, df, lam) - lower_perc

    if lower_lambda(0) < 0:
        lo = 0.0
    else:
        try:
            lam = optimize.brentq(lower_lambda, 0, x2, xtol=1e-12)
            lo = np.sqrt(lam / (n * df)) * np.sqrt(g)
        except ValueError:
            lo = np.nan
    n_rmsea = max(n, x2 * 4)
    if upper_lambda(n_rmsea) > 0 or upper_lambda(0) < 0:
        hi = 0.0
    else:
        try:
            lam = optimize.brentq(upper_lambda, 0, n_rmsea, xtol=1e-12)
            hi = np.sqrt(lam / (n * df)) * np.sqrt(g)
        except ValueError:
            hi = np.nan
    return lo, hi


def fit_measures(model, stats_list, theta, fmin, npar, *, override=None) -> pd.Series:
    """Compute the fit measures of a fitted model (see the module docstring).

    ``override`` replaces ``chisq``, ``baseline_chisq``, ``baseline_df``, ``logl`` and
    ``unrestricted_logl`` before the indices are derived from them (FIML: the statistics
    against the EM h1 model and the FIML log-likelihoods; ``stats_list`` then holds the EM
    moments, which SRMR uses as lavaan does).
    """
    ntot = sum(s.n for s in stats_list)
    ngroups = len(stats_list)
    nx = len(model.ov_x)
    ms = model.meanstructure
    chisq = ntot * fmin
    ndat = 0
    base_chisq = 0.0
    base_df = 0
    logl = 0.0
    ulogl = 0.0
    srmr_sq = []
    implied = model.implied(theta)
    oi = {v: k for k, v in enumerate(model.ov_names)}
    x_idx = [oi[v] for v in model.ov_x]
    y_idx = [k for k in range(len(model.ov_names)) if k not in x_idx]
    for st, imp in zip(stats_list, implied, strict=True):
        p = st.p
        ndat += p * (p + 1) // 2 - nx * (nx + 1) // 2 + ((p - nx) if ms else 0)
        s = st.cov
        fb = np.sum(np.log(np.diag(s)[y_idx])) - st.logdet
        if x_idx:
            fb += np.linalg.slogdet(s[np.ix_(x_idx, x_idx)])[1]
        base_chisq += st.n * fb
        base_df += p * (p - 1) // 2 - nx * (nx - 1) // 2
        sig = imp["cov"]
        _sign, ld = np.linalg.slogdet(sig)
        inv = np.linalg.inv(sig)
        q = np.sum(s * inv)
        if imp["mean"] is not None:
            d = st.mean - imp["mean"]
            q += d @ inv @ d
        logl += -0.5 * st.n * (p * np.log(2 * np.pi) + ld + q)
        ulogl += -0.5 * st.n * (p * np.log(2 * np.pi) + st.logdet + p)
        if x_idx:
            # fixed.x: lavaan reports the likelihood conditional on the covariates
            ldx = np.linalg.slogdet(s[np.ix_(x_idx, x_idx)])[1]
            lx = -0.5 * st.n * (nx * np.log(2 * np.pi) + ldx + nx)
            logl -= lx
            ulogl -= lx
        sd = np.sqrt(np.diag(s))
        res = (s - sig) / np.outer(sd, sd)
        r, c = np.tril_indices(p)
        vals = list(res[r, c] ** 2)
        if imp["mean"] is not None:
            vals += list(((st.mean - imp["mean"]) / sd) ** 2)
        srmr_sq.append(np.mean(vals))
    df = ndat - npar
    if override:
        chisq = override.get("chisq", chisq)
        base_chisq = override.get("baseline_chisq", base_chisq)
        base_df = override.get("baseline_df", base_df)
        logl = override.get("logl", logl)
        ulogl = override.get("unrestricted_logl", ulogl)
    pvalue = stats.chi2.sf(chisq, df) if df > 0 else np.nan
    base_p = stats.chi2.sf(base_chisq, base_df) if base_df > 0 else np.nan
    t1 = max(chisq - df, 0.0)
    t2 = max(chisq - df, base_chisq - base_df, 0.0)
    cfi = 1.0 if (np.isclose(t1, 0) and np.isclose(t2, 0)) else 1 - t1 / t2
    if df > 0 and base_df > 0:
        a = chisq / df - 1
        b = base_chisq / base_df - 1
        tli = 1.0 if (a < 0 and b < 0) else 1 - a / b
    else:
        tli = 1.0
    if df > 0:
        rmsea = np.sqrt(max(chisq / ntot / df - 1 / ntot, 0.0)) * np.sqrt(ngroups)
        lo, hi = rmsea_ci(chisq, df, ntot, g=ngroups)
        ncp = ntot * df * 0.05**2 / ngroups
        rmsea_p = 1 - _pchisq(chisq, df, ncp)
    else:
        rmsea, lo, hi, rmsea_p = 0.0, 0.0, 0.0, np.nan
    # lavaan weights the group SRMRs by group size
    w = np.array([s.n for s in stats_list], float) / ntot
    srmr = float(np.sum(w * np.sqrt(np.array(srmr_sq))))
    values = {
        "npar": npar,
        "ntotal": ntot,
        "chisq": chisq,
        "df": df,
        "pvalue": pvalue,
        "baseline_chisq": base_chisq,
        "baseline_df": base_df,
        "baseline_pvalue": base_p,
        "cfi": cfi,
        "tli": tli,
        "rmsea": rmsea,
        "rmsea_ci_lower": lo,
        "rmsea_ci_upper": hi,
        "rmsea_pvalue": rmsea_p,
        "srmr": srmr,
        "logl": logl,
        "unrestricted_logl": ulogl,
        "aic": -2 * logl + 2 * npar,
        "bic": -2 * logl + npar * np.log(ntot),
        "bic2": -2 * logl + npar * np.log((ntot + 2) / 24),
    }
    return pd.Series(values, name="value", dtype=float)[FIT_MEASURE_NAMES]
