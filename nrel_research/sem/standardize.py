"""Standardized solutions as lavaan's ``lav_standardize_lv`` and ``lav_standardize_all``.

``std_lv`` scales by the model-implied standard deviations of the latent variables;
``std_all`` by those of the latent and the observed variables. Variances are divided by the
total (implied) variance; covariances between two residuals (or two latent disturbances) are
divided by the square roots of the two residual variance *parameters* (lavaan's
``cov.std = TRUE``), so a residual covariance is reported as a residual correlation. Defined
parameters are their expressions evaluated at the standardized values.
"""

from __future__ import annotations

import numpy as np

__all__ = ["standardize", "standardized_jacobian", "standardized_solution"]


def _scales(model, theta, kind):
    """Per group: model-implied sd of every scaled variable (lv always, ov for std.all)."""
    lv_set = set(model.lv_names)
    implied = model.implied(theta)
    out = []
    for gi in range(len(model.groups)):
        veta, eta_names = model.veta(theta, gi)
        var = {name: veta[k, k] for k, name in enumerate(eta_names) if name in lv_set}
        if kind == "std.all":
            sig = implied[gi]["cov"]
            var.update({name: sig[k, k] for k, name in enumerate(model.ov_names)})
        out.append({n: (np.sqrt(v) if v > np.finfo(float).eps else np.nan) for n, v in var.items()})
    return out


def standardize_rows(ops, lhs, rhs, grp, vals, scales):
    """Standardize table-like rows given per-group scales (see :func:`standardize`)."""
    vals = np.asarray(vals, dtype=float)
    out = vals.copy()
    for gi, sd in enumerate(scales):
        g = gi + 1
        rv = {}
        for r in np.flatnonzero((grp == g) & (ops == "~~") & (lhs == rhs)):
            if lhs[r] in sd:
                rv[lhs[r]] = np.sqrt(abs(vals[r]))

        def s(name, sd=sd):
            return sd.get(name, 1.0)

        for r in np.flatnonzero(grp == g):
            op, a, b = ops[r], lhs[r], rhs[r]
            if op == "=~":
                out[r] = vals[r] * s(a) / s(b)
            elif op == "~":
                out[r] = vals[r] * s(b) / s(a)
            elif op == "~~":
                if a == b:
                    out[r] = vals[r] / s(a) ** 2 if a in sd else vals[r]
                else:
                    den = 1.0
                    if a in sd:
                        den *= rv.get(a, np.nan)
                    if b in sd:
                        den *= rv.get(b, np.nan)
                    with np.errstate(divide="ignore", invalid="ignore"):
                        out[r] = vals[r] / den
            elif op in ("~1", "|"):
                out[r] = vals[r] / s(a)
            elif op == "~*~":  # scale factor of an ordered indicator (lavaan: times its sd)
                out[r] = vals[r] * s(a)
    return out


def standardize(model, theta, est_rows=None, defined=None, *, kind="std.all"):
    """Standardize every row of the parameter table.

    Parameters
    ----------
    model : Model
    theta : numpy.ndarray
        Free parameters at which the implied (co)variances are computed.
    est_rows : numpy.ndarray, optional
        The values to standardize, one per table row (default: the estimates at ``theta``).
    defined : DefinedParameters, optional
        To standardize the ``:=`` rows.
    kind : {"std.all", "std.lv"}

    Returns
    -------
    numpy.ndarray
        One value per table row (NaN where undefined).
    """
    t = model.table
    vals = model.row_values(theta) if est_rows is None else np.asarray(est_rows, float)
    ops = t["op"].to_numpy()
    out = standardize_rows(
        ops,
        t["lhs"].to_numpy(),
        t["rhs"].to_numpy(),
        t["group"].to_numpy(),
        vals,
        _scales(model, theta, kind),
    )
    if defined is not None and len(defined):
        out[defined.rows] = defined.evaluate(out)
    out[ops == "=="] = np.nan
    return out


def standardized_jacobian(result, *, kind="std.all", rows=None):
    """Jacobian of the standardized rows with respect to the free parameters.

    Central differences of :func:`standardize` (lavaan differentiates the same function,
    ``lav_standardize_all``, numerically with complex steps); step ``1e-6 * max(1, |θ|)``.

    Parameters
    ----------
    result : SEMResult
    kind : {"std.all", "std.lv"}
    rows : array of int, optional
        Table rows to differentiate (default: every row).

    Returns
    -------
    numpy.ndarray
        ``len(rows) x n_free``.
    """
    model, theta = result.model, np.asarray(result.theta, dtype=float)
    defined = result.defined
    rows = np.arange(len(model.table)) if rows is None else np.asarray(rows, dtype=int)
    jac = np.zeros((len(rows), len(theta)))
    for j in range(len(theta)):
        h = 1e-6 * max(1.0, abs(theta[j]))
        up, down = theta.copy(), theta.copy()
        up[j] += h
        down[j] -= h
        f_up = standardize(model, up, defined=defined, kind=kind)[rows]
        f_down = standardize(model, down, defined=defined, kind=kind)[rows]
        jac[:, j] = (f_up - f_down) / (2 * h)
    return jac


def standardized_solution(result, *, kind="std.all", level=0.95):
    r"""Standardized estimates with delta-method standard errors, as lavaan.

    The equivalent of lavaan's ``standardizedSolution(fit, type = "std.all")``: each
    standardized parameter with its standard error from the delta method,
    ``se = sqrt(diag(J V J'))`` with ``J`` the Jacobian of the standardized values with
    respect to the free parameters (:func:`standardized_jacobian`) and ``V`` the fit's
    covariance matrix of the estimates (robust under MLR or ``se="robust"``), then ``z``,
    two-sided p-values and Wald confidence intervals. Checked against lavaan 0.6.14
    ``standardizedSolution()`` by ``tests/reference/sem_standardized.R`` (``atol=1e-4``).

    Parameters
    ----------
    result : SEMResult
        A fit with standard errors (``se`` other than ``"none"``; with
        ``se="bootstrap"`` the delta method uses the bootstrap covariance matrix of the
        estimates, which lavaan does too).
    kind : {"std.all", "std.lv"}, default "std.all"
    level : float, default 0.95

    Returns
    -------
    pandas.DataFrame
        ``lhs, op, rhs`` [, ``group``], ``label, est_std, se, z, pvalue, ci_lower,
        ci_upper`` (lavaan's column names with ``.`` -> ``_``), in the order of
        :meth:`SEMResult.estimates`; fixed standardized values (e.g. an exogenous latent
        variance under ``std.all``) have ``se`` 0 and missing ``z``/``pvalue``.

    Examples
    --------
    >>> from nrel_research import sem
    >>> from nrel_research.datasets import load_dataset
    >>> res = sem.fit("ind60 =~ x1 + x2 + x3\ndem60 =~ y1 + y2 + y3 + y4\ndem60 ~ ind60",
    ...               load_dataset("political_democracy"))
    >>> ss = sem.standardized_solution(res)
    >>> ss.query("op == '~'")[["lhs", "rhs", "est_std", "se"]].round(3)
         lhs    rhs  est_std   se
    7  dem60  ind60     0.46  0.1
    """
    import pandas as pd
    from scipy import stats

    from ..exceptions import NrelError

    if kind not in ("std.all", "std.lv"):
        raise NrelError(f"kind={kind!r} is not valid; use 'std.all' or 'std.lv'.")
    if not 0 < level < 1:
        raise NrelError(f"level={level!r} is not valid; use a probability such as 0.95.")
    est = result.estimates(level=level)
    vcov = _vcov_of(result)
    if vcov is None:
        raise NrelError(
            "the fit has no covariance matrix of the estimates (se='none'); refit with "
            "standard errors to get standardized standard errors."
        )
    t = result.model.table
    keep = np.flatnonzero((t["op"] != "==").to_numpy())
    values = standardize(result.model, result.theta, defined=result.defined, kind=kind)[keep]
    jac = standardized_jacobian(result, kind=kind, rows=keep)
    var = np.einsum("ij,jk,ik->i", jac, vcov, jac)
    var[(var < 0) & (var > -1e-12)] = 0.0
    with np.errstate(invalid="ignore"):
        se = np.sqrt(np.where(var >= 0, var, np.nan))
    se[np.abs(se) < 1e-10] = 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(se > 0, values / se, np.nan)
    fac = stats.norm.ppf((1 + level) / 2)
    out = est[[c for c in ("lhs", "op", "rhs", "group", "label") if c in est.columns]].copy()
    out["est_std"] = values
    out["se"] = se
    out["z"] = z
    out["pvalue"] = 2 * stats.norm.sf(np.abs(z))
    out["ci_lower"] = values - fac * se
    out["ci_upper"] = values + fac * se
    return pd.DataFrame(out).reset_index(drop=True)


def _vcov_of(result):
    boot = result.bootstrap
    if result.se_type == "bootstrap" and boot is not None:
        coef = boot.coef[boot.kept]
        if coef.shape[0] < 2:
            return None
        return np.cov(coef, rowvar=False, ddof=0)  # lavaan: the bootstrap vcov with divisor R
    return result.vcov
