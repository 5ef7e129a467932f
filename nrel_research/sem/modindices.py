"""Modification indices as lavaan 0.6.14's ``modindices()`` (expected information).

The candidate parameters are those of ``lavaan:::lav_partable_full`` (loadings of every factor
on every observed non-covariate not in a regression, residual covariances among indicators, the
covariates' (co)variances, latent (co)variances, regressions among the variables that appear in
regressions, intercepts with a mean structure) plus every fixed parameter of the model, all
freed at their current values (``lav_object_extended(all.free = TRUE)``). For each, the score
test uses ``V = I11 - I12 I22^-1 I21`` with the expected information of the extended model and
the (constrained) inverse information of the fitted one: ``mi = N score^2 / V`` and
``epc = score / V``; ``sepc_all``/``sepc_lv`` standardize the EPC as lavaan does (residual
variances at their estimates for ``cov.std``). Parameters with ``V < eps^(1/3)`` (e.g. a freed
marker loading) have no index and are left out, as lavaan's ``na.remove``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .estimate import _gradient_and_info
from .model import Model
from .standardize import _scales, standardize_rows
from .syntax import ParTable

__all__ = ["modification_indices"]


def _candidates(table, ov_names, lv_names, ov_x, meanstructure):
    rows = [
        (a, o, b, 0, 1, 1)
        for a, o, b in zip(table["lhs"], table["op"], table["rhs"], strict=True)
        if o in ("=~", "~", "~~", "~1")
    ]
    eqs_y = [r[0] for r in rows if r[1] == "~"]
    eqs_x = [r[2] for r in rows if r[1] == "~"]
    eqs = list(dict.fromkeys(eqs_y + eqs_x))
    ov_nox = [v for v in ov_names if v not in ov_x]
    v_ind = [r[2] for r in rows if r[1] == "=~"]
    ov_ind = [v for v in dict.fromkeys(v_ind) if v not in lv_names]
    out = []
    for lv in lv_names:
        for ov in ov_nox:
            if ov not in eqs:
                out.append((lv, "=~", ov))
    other = [v for v in ov_names if v not in ov_ind]
    for j in range(len(ov_nox)):
        for i in range(j, len(ov_nox)):
            a, b = ov_nox[j], ov_nox[i]
            if a in other or b in other:
                continue
            out.append((a, "~~", b))
    for j in range(len(ov_x)):
        for i in range(j, len(ov_x)):
            out.append((ov_x[j], "~~", ov_x[i]))
    for j in range(len(lv_names)):
        for i in range(j, len(lv_names)):
            out.append((lv_names[j], "~~", lv_names[i]))
    for a in eqs:
        for b in eqs:
            if a == b or (a in ov_ind and b in lv_names):
                continue
            out.append((a, "~", b))
    if meanstructure:
        for v in list(ov_names) + list(lv_names):
            out.append((v, "~1", ""))
    return out


def modification_indices(result) -> pd.DataFrame:
    """Compute lavaan's modification indices for a single-group ML result."""
    model = result.model
    t = model.table
    theta = result.theta
    vals = model.row_values(theta)
    par = t[t["op"].isin(["=~", "~", "~~", "~1"])]
    n_groups = model.ngroups
    if n_groups != 1:
        raise NotImplementedError("modification indices for several groups")
    lhs, op, rhs = list(par["lhs"]), list(par["op"]), list(par["rhs"])
    orig_free = list(par["free"])
    exo = list(par["exo"])
    est = list(vals[par.index.to_numpy()])
    user10 = [f == 0 for f in orig_free]
    have = set(zip(lhs, op, rhs, strict=True))
    for a, o, b in _candidates(t, model.ov_names, model.lv_names, model.ov_x, model.meanstructure):
        if (a, o, b) in have or (o == "~~" and (b, o, a) in have):
            continue
        have.add((a, o, b))
        lhs.append(a)
        op.append(o)
        rhs.append(b)
        orig_free.append(0)
        exo.append(0)
        est.append(0.0)
        user10.append(True)
    n = len(lhs)
    ext_table = pd.DataFrame(
        {
            "id": np.arange(1, n + 1),
            "lhs": lhs,
            "op": op,
            "rhs": rhs,
            "user": 1,
            "block": 1,
            "group": 1,
            "free": np.arange(1, n + 1),
            "ustart": np.nan,
            "exo": 0,
            "label": "",
            "plabel": [f".p{i}." for i in range(1, n + 1)],
            "start": np.nan,
            "line": 0,
        }
    )
    ext_pt = ParTable(
        table=ext_table,
        ov_names=model.ov_names,
        lv_names=model.lv_names,
        ov_x=[],
        meanstructure=model.meanstructure or any(o == "~1" for o in op),
    )
    ext = Model(ext_pt)
    theta_ext = np.array(est, dtype=float)
    x_idx = [model.ov_names.index(v) for v in model.ov_x]
    grad, info = _gradient_and_info(ext, result.stats, theta_ext, x_idx=x_idx, x_grad=False)
    user10 = np.array(user10)
    extra = np.flatnonzero(user10)
    model_idx = np.flatnonzero(~user10)
    # constrained inverse information of the fitted model, in extended order
    k = model.ceq_basis
    from .estimate import expected_information

    i_orig = expected_information(model, result.stats, theta)
    ik = k.T @ i_orig @ k
    i22_inv_orig = k @ np.linalg.pinv(ik) @ k.T
    of = np.array(orig_free)[model_idx] - 1
    i22_inv = i22_inv_orig[np.ix_(of, of)]
    i11 = info[np.ix_(extra, extra)]
    i12 = info[np.ix_(extra, model_idx)]
    v = i11 - i12 @ i22_inv @ i12.T
    vdiag = np.diag(v).copy()
    vdiag[vdiag < np.finfo(float).eps ** (1 / 3)] = np.nan
    ntot = result.nobs
    score = -0.5 * grad[extra]  # d(logl / N) / d theta
    mi = ntot * score**2 / vdiag
    epc = score / vdiag
    # standardized EPCs
    epc_all = np.full(n, np.nan)
    epc_all[extra] = epc
    epc_all[model_idx] = 0.0
    ops = np.array(op)
    lhs_a, rhs_a = np.array(lhs), np.array(rhs)
    exo_a = np.array(exo)
    epc_std = epc_all.copy()
    var_idx = (ops == "~~") & (lhs_a == rhs_a) & (exo_a == 0)
    epc_std[var_idx] = np.array(est)[var_idx]
    small = (ops == "~~") & (lhs_a == rhs_a) & (np.abs(epc_std) < np.sqrt(np.finfo(float).eps))
    epc_std[small] = np.nan
    sign = np.sign(epc_all)
    grp = np.ones(n, dtype=int)
    sepc_all = sign * standardize_rows(
        ops, lhs_a, rhs_a, grp, np.abs(epc_std), _scales(model, theta, "std.all")
    )
    sepc_lv = sign * standardize_rows(
        ops, lhs_a, rhs_a, grp, np.abs(epc_std), _scales(model, theta, "std.lv")
    )
    sepc_all[small] = 0.0
    sepc_lv[small] = 0.0
    out = pd.DataFrame(
        {
            "lhs": lhs_a[extra],
            "op": ops[extra],
            "rhs": rhs_a[extra],
            "mi": mi,
            "epc": epc,
            "sepc_lv": sepc_lv[extra],
            "sepc_all": sepc_all[extra],
        }
    )
    return out[np.isfinite(out["mi"].to_numpy())].reset_index(drop=True)
