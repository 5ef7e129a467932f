"""Multiple-group models with ordered indicators: lavaan's cross-group rules, Wu & Estabrook.

Internal helpers of :func:`~nrel_research.sem.fit`, :func:`~nrel_research.sem.invariance` and
:func:`~nrel_research.sem.lrt`. Every rule below was read from lavaan 0.6.14's source
(``lav_options_set``, ``lav_partable_flat``, ``lav_partable_labels``, ``lavTestLRT``,
``lav_test_diff_Satorra2000``, ``lav_test_diff_A``,
``lav_model_information_augment_invert``) and is checked against lavaan/semTools output in
``tests/reference/sem_ordinal_groups.R`` (``tests/test_sem_ordinal_groups.py``).

lavaan 0.6.14's multiple-group parameter table for ordered indicators
-------------------------------------------------------------------
Per group (``lav_partable_flat``, ``cfa()``/``sem()`` defaults ``auto.th = TRUE``,
``auto.delta = TRUE``, meanstructure forced on) the rows are: the user's rows, then the
thresholds ``y | t1 .. y | t(K-1)`` of every ordered indicator (free), the variances
(``y ~~ y`` of an ordered indicator: fixed at 1 in the delta parameterization, and in the theta
parameterization fixed at 1 in group 1), the latent (co)variances, the scale factors
``y ~*~ y`` (fixed at 1), then the intercepts ``~ 1`` (ordered indicators: fixed at 0; latent
means: fixed at 0). The block is repeated for each group. Without ``group.equal`` nothing is
freed in groups 2..G: the configural model has free thresholds, loadings and factor
(co)variances in every group, intercepts fixed at 0, scale factors fixed at 1 and latent means
fixed at 0.

``group.equal`` for ordered indicators:

1. ``lav_options_set``: in a model with ordered indicators, ``"intercepts"`` adds
   ``"thresholds"`` and ``"thresholds"`` adds ``"intercepts"`` (:func:`expand_group_equal`).
   So lavaan's ``group.equal = c("thresholds", "loadings")`` is the same model as
   ``c("thresholds", "loadings", "intercepts")``.
2. ``lav_partable_labels``: ``"thresholds"`` gives the ``|`` rows of ordered indicators in
   groups 2..G the label of group 1 (equal across groups); ``"intercepts"`` does the same for
   the ``~ 1`` rows of the observed (non-``fixed.x``) variables, which for ordered
   indicators are fixed at 0 in every group (an equality with a fixed row fixes all members;
   a user-freed intercept would thus be fixed again unless it carries a user label).
   ``group.partial = "y3|t1"`` exempts that threshold.
3. ``lav_partable_flat`` (groups 2..G, before the syntax modifiers are applied):
   latent means (unlabelled, ``user == 0``) are freed when ``"intercepts"`` or
   ``"thresholds"`` is in ``group.equal`` but ``"means"`` is not; with ``std.lv`` and
   ``"loadings"`` but not ``"lv.variances"`` the latent variances are freed; with
   ``"thresholds"`` the scale factors ``~*~`` (delta parameterization) or the residual
   variances ``y ~~ y`` of the ordered indicators (theta parameterization) are freed, every
   one of them, the marker indicator's included (:func:`free_in_later_groups`).

Wu & Estabrook (2016) versus lavaan's ``group.equal`` sequence
--------------------------------------------------------------
The two sequences are *not* the same model at every step (checked against semTools 0.5.6
``measEq.syntax(ID.cat = "Wu.Estabrook.2016")`` on the skewed two-group data and on the
ordinal Holzinger-Swineford data by school):

* configural: the same model (identical chi-square and df);
* thresholds: lavaan's ``group.equal = "thresholds"`` equates the thresholds *and* (rule 1)
  keeps every intercept at 0 while freeing the latent means and the scale factors in groups
  2..G. Wu & Estabrook's threshold-invariance model equates the thresholds but frees the
  item intercepts and the scale factors (theta: the residual variances) in groups 2..G with
  the latent means fixed at 0. lavaan's model is more restricted (df 68 against 62 for eight
  6-category items in two groups);
* thresholds + loadings: the same difference (lavaan's is already the scalar model);
* thresholds + loadings + intercepts (scalar) and, in the theta parameterization, + residuals
  (strict): the same model.

:func:`~nrel_research.sem.fit` follows lavaan's ``group.equal`` semantics exactly;
:func:`~nrel_research.sem.invariance` with ordered indicators uses Wu & Estabrook's sequence,
written as lavaan syntax by :func:`wu_estabrook_syntax` (intercepts of the ordered
indicators free with group-specific labels in groups 2..G, latent means fixed at 0), which
reproduces semTools' chi-square.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from ..exceptions import SpecificationError

__all__ = [
    "expand_group_equal",
    "free_in_later_groups",
    "satorra2000_difference",
    "wu_estabrook_syntax",
]


def expand_group_equal(group_equal: Sequence[str], *, categorical: bool) -> tuple[str, ...]:
    """Apply lavaan's implications between ``"thresholds"`` and ``"intercepts"``.

    As ``lavaan:::lav_options_set`` (0.6.14): in a model with ordered indicators
    ``"intercepts"`` implies ``"thresholds"`` and ``"thresholds"`` implies ``"intercepts"``
    (appended in that order, without duplicates). Without ordered indicators
    ``"thresholds"`` has no parameters to constrain but would still free the latent means in
    groups 2..G (an unidentified model in lavaan); it is refused.

    Parameters
    ----------
    group_equal : sequence of str
        Validated ``group.equal`` keywords.
    categorical : bool
        Whether the model has ordered indicators.

    Returns
    -------
    tuple of str

    Raises
    ------
    SpecificationError
        ``"thresholds"`` without ordered indicators.

    Examples
    --------
    >>> expand_group_equal(("thresholds", "loadings"), categorical=True)
    ('thresholds', 'loadings', 'intercepts')
    >>> expand_group_equal(("loadings", "intercepts"), categorical=True)
    ('loadings', 'intercepts', 'thresholds')
    """
    out = list(group_equal)
    if not categorical:
        if "thresholds" in out:
            raise SpecificationError(
                "group_equal: 'thresholds' needs ordered (categorical) indicators, and the "
                "model has none; declare the ordinal items with ordered=[...] (or "
                "ordered=True), or use 'intercepts' for continuous indicators."
            )
        return tuple(out)
    if "intercepts" in out and "thresholds" not in out:
        out.append("thresholds")
    if "thresholds" in out and "intercepts" not in out:
        out.append("intercepts")
    return tuple(out)


def free_in_later_groups(
    lhs: list[str],
    op: list[str],
    rhs: list[str],
    user: list[int],
    group: list[int],
    free: list[int],
    ustart: list[float],
    *,
    lv: Sequence[str],
    ordered: Sequence[str],
    group_equal: Sequence[str],
    meanstructure: bool,
    std_lv: bool,
    parameterization: str = "delta",
) -> None:
    """Free parameters in groups 2..G as ``lavaan:::lav_partable_flat`` does (in place).

    Applied to the replicated table before the syntax modifiers (which can fix or free the
    same rows again), with lavaan's defaults ``int.lv.free = FALSE`` and ``auto.delta =
    TRUE``:

    * latent means (``f ~ 1``, not written by the user) when ``"intercepts"`` or
      ``"thresholds"`` is in ``group_equal`` and ``"means"`` is not;
    * latent variances (``f ~~ f``, not written by the user) with ``std_lv`` when
      ``"loadings"`` is in ``group_equal`` and ``"lv.variances"`` is not;
    * with ``"thresholds"``: every scale factor ``y ~*~ y`` of the group (delta
      parameterization), or every residual variance ``y ~~ y`` of an ordered indicator
      (theta parameterization), user-written or not.

    Parameters
    ----------
    lhs, op, rhs, user, group, free, ustart : list
        Parallel columns of the replicated table (``group`` 1-based; ``free`` 1 = free,
        0 = fixed before numbering); ``free`` and ``ustart`` are modified.
    lv, ordered : sequence of str
        Latent variables and ordered indicators.
    group_equal : sequence of str
        The (expanded) ``group.equal`` keywords.
    meanstructure, std_lv : bool
        lavaan's ``meanstructure`` and ``std.lv``.
    parameterization : {"delta", "theta"}
    """
    ge = set(group_equal)
    lv_set, ord_set = set(lv), set(ordered)
    free_means = meanstructure and bool(ge & {"intercepts", "thresholds"}) and "means" not in ge
    free_vars = std_lv and "loadings" in ge and "lv.variances" not in ge
    thresholds = "thresholds" in ge and bool(ord_set)
    for i in range(len(lhs)):
        if group[i] < 2:
            continue
        is_lv_row = not user[i] and lhs[i] in lv_set
        lv_mean = is_lv_row and free_means and op[i] == "~1"
        lv_var = is_lv_row and free_vars and op[i] == "~~" and lhs[i] == rhs[i]
        if lv_mean or lv_var:
            free[i], ustart[i] = 1, float("nan")
            continue
        scale_row = parameterization == "delta" and op[i] == "~*~"
        theta_row = (
            parameterization == "theta" and op[i] == "~~" and lhs[i] == rhs[i] and lhs[i] in ord_set
        )
        if thresholds and (scale_row or theta_row):
            free[i], ustart[i] = 1, float("nan")


_LABEL_SAFE = re.compile(r"[^A-Za-z0-9_.]")


def wu_estabrook_syntax(model: str, ordered: Sequence[str], lv: Sequence[str], ngroups: int) -> str:
    """Write Wu & Estabrook's (2016) threshold-level identification as lavaan syntax.

    For the threshold and threshold + loading invariance levels, Wu & Estabrook (2016;
    semTools ``measEq.syntax(ID.cat = "Wu.Estabrook.2016")``) free the intercepts of the
    ordered indicators in groups 2..G (fixed at 0 in group 1) and keep the latent means at 0
    in every group; the scale factors (delta) or residual variances (theta) of groups 2..G are
    freed by ``group_equal="thresholds"`` as in lavaan. This appends, per ordered indicator,
    ``y ~ c(0, NA, ...)*1 + c(nu.y.g1, nu.y.g2, ...)*1`` (group-specific labels, so lavaan's
    implied ``"intercepts"`` equality does not tie them to group 1's fixed 0) and, per
    latent variable, ``f ~ c(0, 0, ...)*1``. Fitted with ``group_equal=("thresholds",)`` (or
    with ``"loadings"``) the model has semTools' chi-square and degrees of freedom
    (``tests/reference/sem_ordinal_groups.R``, ``we_check``).

    Parameters
    ----------
    model : str
        lavaan model syntax without intercept or mean rows for these variables.
    ordered : sequence of str
        The model's ordered indicators.
    lv : sequence of str
        The model's latent variables.
    ngroups : int
        Number of groups (>= 2).

    Returns
    -------
    str

    Raises
    ------
    SpecificationError
        If the syntax already has ``~ 1`` rows for these variables or uses the labels.

    Examples
    --------
    >>> print(wu_estabrook_syntax("f =~ y1 + y2 + y3", ["y1", "y2", "y3"], ["f"], 2))
    f =~ y1 + y2 + y3
    y1 ~ c(0, NA)*1 + c(nu.y1.g1, nu.y1.g2)*1
    y2 ~ c(0, NA)*1 + c(nu.y2.g1, nu.y2.g2)*1
    y3 ~ c(0, NA)*1 + c(nu.y3.g1, nu.y3.g2)*1
    f ~ c(0, 0)*1
    """
    from .syntax import parse_model

    table = parse_model(model).table
    has_mean = set(table.loc[(table["op"] == "~1") & (table["user"] == 1), "lhs"])
    for v in [*ordered, *lv]:
        if v in has_mean:
            raise SpecificationError(
                f"invariance: the model syntax sets the intercept or mean of {v!r}; with "
                "ordered indicators the Wu & Estabrook (2016) levels set them themselves. "
                "Remove the '~ 1' line (or fit the levels with sem.fit(group_equal=...))."
            )
    lines = [model.rstrip()]
    rest = ", ".join(["NA"] * (ngroups - 1))
    for y in ordered:
        base = _LABEL_SAFE.sub("_", y)
        labels = ", ".join(f"nu.{base}.g{g}" for g in range(1, ngroups + 1))
        if re.search(rf"\bnu\.{re.escape(base)}\.g\d", model):
            raise SpecificationError(
                f"invariance: the model syntax uses a label 'nu.{base}.gN', which the Wu & "
                "Estabrook (2016) levels need for the intercepts; rename it."
            )
        lines.append(f"{y} ~ c(0, {rest})*1 + c({labels})*1")
    zeros = ", ".join(["0"] * ngroups)
    lines += [f"{f} ~ c({zeros})*1" for f in lv]
    return "\n".join(lines)


def _orth(k: np.ndarray) -> np.ndarray:
    """Orthonormal basis of the column space of ``k`` (lavaan's ``eq.constraints.K``)."""
    if k.shape[1] == 0:
        return k
    u, s, _ = np.linalg.svd(k, full_matrices=False)
    tol = max(k.shape) * np.finfo(float).eps * (s[0] if s.size else 0.0)
    return u[:, s > tol]


def _complement_rows(h: np.ndarray) -> np.ndarray:
    """Rows spanning the orthogonal complement of the column space of ``h``.

    As ``lav_matrix_orthogonal_complement`` (QR with R's default tolerance 1e-7 for the rank;
    the test does not depend on the basis chosen).
    """
    q, r = np.linalg.qr(h, mode="complete")
    diag = np.abs(np.diag(r)) if r.size else np.zeros(0)
    rank = int(np.sum(diag > 1e-7 * (diag.max() if diag.size else 0.0)))
    return q[:, rank:].T


def satorra2000_difference(
    *,
    t0: float,
    t1: float,
    df0: int,
    df1: int,
    delta1: Sequence[np.ndarray],
    delta0: Sequence[np.ndarray],
    k1: np.ndarray,
    k0: np.ndarray,
    weights: Sequence[np.ndarray],
    gammas: Sequence[np.ndarray],
    nobs: Sequence[int],
    scaled_shifted: bool = True,
    satterthwaite: bool = True,
) -> dict[str, float]:
    """Satorra's (2000) scaled difference test of nested WLS-family fits, as lavaan.

    Follows ``lavaan:::lav_test_diff_Satorra2000`` with ``H1 = TRUE`` and
    ``A.method = "delta"`` (lavaan 0.6.14's defaults in ``lavTestLRT``): the restrictions
    that turn model 1 into model 0 are ``A`` = the orthogonal complement of the column space
    of ``H = (Δ1 K1)⁺ Δ0 K0`` (``Δ`` the Jacobians of the model statistics, stacked over
    groups, at each model's estimates, ``K`` orthonormal bases of the equality-constrained
    parameter spaces), mapped back by ``K1``. With ``P⁻¹ = K1 (K1' I1 K1)⁻¹ K1'`` (the
    augmented inverse of model 1's expected information ``I1 = Σ_g f_g Δ1_g' W_g Δ1_g``,
    ``f_g = N_g/N``), ``M = P⁻¹ A' (A P⁻¹ A')⁺ A P⁻¹`` and ``U_g Γ_g = W_g Γ_g W_g Δ1_g M
    Δ1_g'``:

    * ``tr1 = Σ_g f_g tr(W_g Γ_g W_g Δ1_g M Δ1_g')``;
    * Satterthwaite (WLSMV, ULSMV): ``tr2 = tr((V Δ1 M Δ1' V Γ_f)²)`` with block-diagonal
      ``V`` (the weights) and ``Γ_f`` (``f_g Γ_g``); scaled and shifted (lavaan's default
      ``scaled.shifted = TRUE``; Asparouhov & Muthén, 2010): ``a = sqrt(m / tr2)``,
      ``b = m - a tr1``, ``T = (T0 - T1) a + b`` on ``m = df0 - df1`` degrees of freedom;
      without shift (Asparouhov & Muthén, 2006): ``T = (T0 - T1) tr1 / tr2`` on
      ``tr1² / tr2`` degrees of freedom;
    * otherwise (mean-adjusted): ``T = (T0 - T1) / (tr1 / m)``.

    ``T0``, ``T1`` are the unscaled (DWLS/ULS) statistics.

    Parameters
    ----------
    t0, t1 : float
        Unscaled test statistics of the restricted (0) and less restricted (1) model.
    df0, df1 : int
        Their degrees of freedom.
    delta1, delta0 : sequence of ndarray
        Per group, the Jacobian of the model statistics (thresholds, correlations, ...) with
        respect to each model's free parameters at its estimates.
    k1, k0 : ndarray
        ``theta = K theta*`` bases of the equality constraints (identity without).
    weights, gammas : sequence of ndarray
        Per group, the weight matrix ``W_g`` (lavaan ``WLS.V``) and ``Γ_g`` (lavaan
        ``Gamma``, the asymptotic covariance of the statistics times ``N_g``).
    nobs : sequence of int
        Group sizes.
    scaled_shifted, satterthwaite : bool
        lavaan's switches (WLSMV/ULSMV: both True; WLSM: see
        :func:`~nrel_research.sem.lrt`, which uses Satorra & Bentler, 2001, there).

    Returns
    -------
    dict
        ``chisq_diff``, ``df_diff``, ``scaling_factor`` (``tr1/m``, or ``tr2/tr1`` for the
        Satterthwaite version; NaN when shifted), ``scale`` ``a`` and ``shift`` ``b`` (NaN
        unless shifted), ``trace_ugamma`` and ``trace_ugamma2``.
    """
    m = int(df0 - df1)
    nan = float("nan")
    if m == 0:
        return {
            "chisq_diff": t0 - t1,
            "df_diff": 0.0,
            "scaling_factor": nan,
            "scale": nan,
            "shift": nan,
            "trace_ugamma": nan,
            "trace_ugamma2": nan,
        }
    nobs = np.asarray(nobs, dtype=float)
    fg = nobs / nobs.sum()
    q1, q0 = _orth(np.asarray(k1, float)), _orth(np.asarray(k0, float))
    d1 = np.vstack(delta1)
    d0 = np.vstack(delta0)
    h = np.linalg.pinv(d1 @ q1) @ (d0 @ q0)
    a = _complement_rows(h)  # restrictions in model 1's reduced coordinates
    info = sum(f * dg.T @ w @ dg for f, dg, w in zip(fg, delta1, weights, strict=True))
    red = q1.T @ info @ q1
    red_inv = np.linalg.inv(red)
    apa = a @ red_inv @ a.T
    keep = ~(
        (np.abs(apa.sum(axis=0)) < np.sqrt(np.finfo(float).eps))
        & (np.abs(apa.sum(axis=1)) < np.sqrt(np.finfo(float).eps))
    )
    a = a[keep]
    af = a @ q1.T  # full coordinates
    p_inv = q1 @ red_inv @ q1.T
    mid = p_inv @ af.T @ np.linalg.pinv(af @ p_inv @ af.T) @ af @ p_inv
    tr1 = 0.0
    for f, dg, w, gam in zip(fg, delta1, weights, gammas, strict=True):
        tr1 += f * float(np.trace(w @ gam @ w @ dg @ mid @ dg.T))
    tr2 = nan
    if satterthwaite:
        sizes = [w.shape[0] for w in weights]
        tot = sum(sizes)
        v_all = np.zeros((tot, tot))
        g_all = np.zeros((tot, tot))
        pos = 0
        for f, w, gam, s in zip(fg, weights, gammas, sizes, strict=True):
            v_all[pos : pos + s, pos : pos + s] = w
            g_all[pos : pos + s, pos : pos + s] = f * gam
            pos += s
        ug = v_all @ d1 @ mid @ d1.T @ v_all @ g_all
        tr2 = float(np.sum(ug * ug.T))
    if satterthwaite and scaled_shifted:
        sa = float(np.sqrt(m / tr2))
        sb = m - sa * tr1
        return {
            "chisq_diff": (t0 - t1) * sa + sb,
            "df_diff": float(m),
            "scaling_factor": nan,
            "scale": sa,
            "shift": sb,
            "trace_ugamma": tr1,
            "trace_ugamma2": tr2,
        }
    if satterthwaite:
        cd = tr2 / tr1
        return {
            "chisq_diff": (t0 - t1) / cd,
            "df_diff": tr1**2 / tr2,
            "scaling_factor": cd,
            "scale": nan,
            "shift": nan,
            "trace_ugamma": tr1,
            "trace_ugamma2": tr2,
        }
    cd = tr1 / m
    return {
        "chisq_diff": (t0 - t1) / cd,
        "df_diff": float(m),
        "scaling_factor": cd,
        "scale": nan,
        "shift": nan,
        "trace_ugamma": tr1,
        "trace_ugamma2": tr2,
    }
