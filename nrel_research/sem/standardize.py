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

__all__ = ["standardize"]


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
            elif op == "~1":
                out[r] = vals[r] / s(a)
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
