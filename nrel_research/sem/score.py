"""Score (Lagrange multiplier) and Wald tests of equality constraints, as lavaan 0.6.14.

:func:`score_test` is lavaan's ``lavTestScore()`` and :func:`wald_test` its ``lavTestWald()``.
Both work on the parameter table's ``==`` rows / labels, so they apply equally to constraints
written with shared labels (``c(a, a)*x2``), explicit ``a == b`` rows and the rows lavaan's
``group.equal`` creates between plabels.

Checked against lavaan 0.6.14 (``tests/reference/sem_score_wald.R``).
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats as sps

from ..exceptions import NrelError, NrelWarning, SpecificationError
from .estimate import _gradient_and_info
from .standardize import _scales, standardize_rows

__all__ = ["ScoreTestResult", "score_test", "wald_test"]

_UNI_COLUMNS = [
    "constraint",
    "lhs",
    "op",
    "rhs",
    "parameter",
    "group",
    "parameter_rhs",
    "group_rhs",
    "x2",
    "df",
    "p_value",
]


@dataclass
class ScoreTestResult:
    """The tables of :func:`score_test` (lavaan's ``lavTestScore()`` list).

    Attributes
    ----------
    test : pandas.DataFrame
        One row: ``test`` (``"score"``), ``x2``, ``df``, ``p_value`` -- the total (multivariate)
        score test of every released constraint.
    uni : pandas.DataFrame
        One row per released constraint (see :func:`score_test`).
    cumulative : pandas.DataFrame or None
        With ``cumulative=True``: constraints in decreasing order of their univariate ``x2``,
        ``x2``/``df``/``p_value`` for releasing that constraint and all above it together.
    epc : pandas.DataFrame or None
        With ``epc=True``: per parameter-table row, the expected parameter change when all
        released constraints are freed.
    """

    test: pd.DataFrame
    uni: pd.DataFrame
    cumulative: pd.DataFrame | None = None
    epc: pd.DataFrame | None = None


def _ginv(a):
    """Moore-Penrose inverse with MASS::ginv's tolerance (``sqrt(eps) * d_max``)."""
    return np.linalg.pinv(a, rcond=np.sqrt(np.finfo(float).eps))


def _free_lookup(table):
    """Map plabels and (first-occurrence) labels to free-parameter numbers (0 if fixed)."""
    by_name = {}
    for pl, f in zip(table["plabel"], table["free"], strict=True):
        if pl:
            by_name[pl] = int(f)
    for lab, f in zip(table["label"], table["free"], strict=True):
        if lab and lab not in by_name:
            by_name[lab] = int(f)
    return by_name


def _param_name(table, row):
    op = table.at[row, "op"]
    rhs = "" if op == "~1" else table.at[row, "rhs"]
    return f"{table.at[row, 'lhs']}{op}{rhs}"


def _constraint_jacobian(model):
    """Lavaan's ``con.jac`` for the table's ``==`` rows (rows: constraints, cols: free)."""
    t = model.table
    lookup = _free_lookup(t)
    eq = t[t["op"] == "=="]
    jac = np.zeros((len(eq), model.n_free))
    rows = []
    row_of_free = {int(f): i for i, f in zip(t.index, t["free"], strict=True) if f > 0}
    for k, (lhs, rhs) in enumerate(zip(eq["lhs"], eq["rhs"], strict=True)):
        a, b = lookup.get(lhs, 0), lookup.get(rhs, 0)
        if a == 0 or b == 0:
            raise SpecificationError(
                f"the equality constraint {lhs} == {rhs} does not link two free parameters; "
                "the score test handles equality constraints between free parameters only."
            )
        jac[k, a - 1] += 1.0
        jac[k, b - 1] -= 1.0
        rows.append((lhs, rhs, row_of_free[a], row_of_free[b]))
    return jac, rows


def _score_and_information(result):
    """Return lavaan's ``gradient.logl`` and unit ``information.expected`` (all free)."""
    model = result.model
    if result.missing == "listwise":
        grad, info = _gradient_and_info(model, result.stats, result.theta)
        # d(logl / N) / d theta: the ML discrepancy here is twice lavaan's fmin
        return -0.5 * grad, info
    from ._engine import moment_delta
    from ._fiml import fiml_gradient, fiml_information, missing_patterns

    pats = getattr(result, "_pats", None)
    if pats is None:
        if model.ngroups != 1:
            raise NrelError("score_test: the fit keeps no missing-data patterns; refit it.")
        pats = [missing_patterns(result.data.to_numpy(dtype=float))]
    ms = model.meanstructure
    ntot = sum(p.n_obs for p in pats)
    implied = model.implied(result.theta)
    grad = np.zeros(model.n_free)
    info = np.zeros((model.n_free, model.n_free))
    for gi, pat in enumerate(pats):
        imp = implied[gi]
        mu = imp["mean"] if ms else pat.patterns[0].mean
        d = moment_delta(model, result.theta, gi)
        _, g = fiml_gradient(pat, mu, imp["cov"], meanstructure=ms)
        i_g = fiml_information(pat, mu, imp["cov"], "expected", meanstructure=ms)
        # lavaan: gradient of logl / N and the unit information weighted by N_g / N
        grad += d.T @ g / ntot
        info += (pat.n_obs / ntot) * (d.T @ i_g @ d)
    return grad, info


def _check_result(result, what):
    if not result.converged:
        raise NrelError(f"{what}: the model did not converge; fix the fit before testing.")


def score_test(
    result,
    *,
    cumulative: bool = False,
    epc: bool = False,
    release: Sequence[int] | None = None,
    sort: bool = False,
) -> ScoreTestResult:
    """Score (Lagrange multiplier) tests for releasing equality constraints (``lavTestScore``).

    For a fit with equality constraints ``R theta = 0`` (shared labels such as ``c(a, a)*x2``,
    explicit ``a == b`` rows, or rows created by ``group_equal``), the score test asks whether
    freeing constraints would improve fit, without refitting (Rao, 1948; Satorra, 1989). As
    lavaan 0.6.14: with ``s`` the gradient of the log-likelihood per case at the constrained
    estimates, ``I`` the expected (unit) information of all free parameters and ``R1`` the
    rows of the constraint Jacobian that are kept,

    ``X2 = N s' [ginv([[I, R1'], [R1, 0]])]_{11} s``

    (``ginv`` the Moore-Penrose inverse as ``MASS::ginv``; ``N`` the total sample size). The
    total test releases every constraint in ``release`` (all by default) at once; the
    univariate test releases one constraint at a time (``df = 1``); the cumulative test
    releases the constraints in decreasing order of their univariate statistic.

    Parameters
    ----------
    result : SEMResult
        A converged fit with at least one equality constraint.
    cumulative : bool, default False
        Add the cumulative tests (``lavTestScore(cumulative = TRUE)``).
    epc : bool, default False
        Add expected parameter changes for freeing all released constraints
        (``lavTestScore(epc = TRUE)``): ``epc = s' ginv(...)`` without the ``N`` factor,
        ``epv = est + epc`` and the standardized ``sepc_lv``, ``sepc_all``, ``sepc_nox``
        (residual variances at their estimates, lavaan's ``cov.std = TRUE``).
    release : sequence of int, optional
        Constraint numbers (1-based, lavaan's numbering = the ``constraint`` column) to test;
        the others stay imposed in every test (``lavTestScore(release = )``). Default: all.
    sort : bool, default False
        Sort the univariate table by decreasing ``x2`` (lavaan keeps table order).

    Returns
    -------
    ScoreTestResult
        ``.test`` (``test, x2, df, p_value``), ``.uni`` with columns ``constraint, lhs, op,
        rhs, parameter, group, parameter_rhs, group_rhs, x2, df, p_value`` -- ``lhs/op/rhs``
        as lavaan prints them (e.g. ``.p2. == .p38.``), ``parameter``/``parameter_rhs`` the
        constrained parameters in ``group_partial`` form (``"visual=~x2"``, ``"x3~1"``) and
        ``group``/``group_rhs`` their group labels (``None`` for one group) --,
        ``.cumulative`` (same columns, ``df`` counting released constraints) and ``.epc``
        (``lhs, op, rhs, group, label, plabel, free, est, epc, epv, sepc_lv, sepc_all,
        sepc_nox``).

    Raises
    ------
    NrelError
        The model did not converge, has no equality constraints, or a ``release`` number is
        out of range.

    Warns
    -----
    NrelWarning
        With ``se`` other than ``"standard"`` (e.g. MLR): as lavaan, the ordinary score test
        (expected information, no robust correction) is returned.

    Notes
    -----
    Only lavaan's default ``information = "expected"`` is offered: with complete data the
    normal-theory expected information at the implied moments (the same under MLR, so the
    statistic equals lavaan's fallback); with ``missing="fiml"`` the expected FIML
    information summed over missing-data patterns (Savalei, 2010; lavaan's
    ``lav_mvnorm_missing_information_expected``) and the FIML gradient. ``add =`` (testing
    parameters not in the model) is :meth:`SEMResult.modification_indices`' job.

    References
    ----------
    Rao, C. R. (1948). Large sample tests of statistical hypotheses concerning several
    parameters with applications to problems of estimation. *Mathematical Proceedings of the
    Cambridge Philosophical Society*, 44(1), 50-57.
    Satorra, A. (1989). Alternative test criteria in covariance structure analysis: A unified
    approach. *Psychometrika*, 54(1), 131-151.
    Savalei, V. (2010). Expected versus observed information in SEM with incomplete normal
    and nonnormal data. *Psychological Methods*, 15(4), 352-367.
    Rosseel, Y. (2012). lavaan: An R package for structural equation modeling. *Journal of
    Statistical Software*, 48(2) (``lavTestScore``, version 0.6.14: the oracle, see
    ``tests/reference/sem_score_wald.R``).

    Examples
    --------
    >>> from nrel_research import sem
    >>> from nrel_research.datasets import load_dataset
    >>> hs = load_dataset("holzinger_swineford_1939")
    >>> res = sem.fit('''
    ...     visual =~ x1 + c(l2, l2)*x2 + c(l3, l3)*x3
    ...     textual =~ x4 + x5 + x6
    ...     speed =~ x7 + x8 + x9
    ... ''', hs, group="school")
    >>> st = sem.score_test(res)
    >>> st.test.round(3)  # lavaan: X2 1.925, df 2, p 0.382
        test     x2  df  p_value
    0  score  1.925   2    0.382
    >>> st.uni[["lhs", "rhs", "parameter", "group", "group_rhs", "x2"]].round(3)
        lhs    rhs   parameter    group    group_rhs     x2
    0  .p2.  .p38.  visual=~x2  Pasteur  Grant-White  0.638
    1  .p3.  .p39.  visual=~x3  Pasteur  Grant-White  0.492
    """
    _check_result(result, "score_test")
    if result.estimator in ("WLSMV", "WLSM", "DWLS", "ULSMV"):
        raise NrelError(
            f"score_test: not available for a fit with ordered indicators "
            f"(estimator={result.estimator!r}) yet; compare nested fits with sem.lrt or test "
            "constraints with sem.wald_test."
        )
    model = result.model
    r_all, rows = _constraint_jacobian(model)
    ncon = r_all.shape[0]
    if ncon == 0:
        raise NrelError(
            "score_test: the model has no equality constraints (shared labels, a == b, or "
            "group_equal); there is nothing to release."
        )
    if result.se_type != "standard" or result.estimator != "ML":
        warnings.warn(
            f"score_test: estimator={result.estimator!r}, se={result.se_type!r}: as lavaan, "
            "the ordinary score test (expected information, no robust correction) is "
            "reported.",
            NrelWarning,
            stacklevel=2,
        )
    score, info = _score_and_information(result)
    n = result.nobs
    npar = info.shape[0]

    def stat_without(drop):
        keep = np.setdiff1d(np.arange(ncon), drop)
        r1 = r_all[keep]
        z = np.block([[info, r1.T], [r1, np.zeros((len(keep), len(keep)))]])
        j = _ginv(z)[:npar, :npar]
        return float(n * score @ j @ score), j

    if release is None:
        r_idx = np.arange(ncon)
    else:
        r_idx = np.asarray(list(release), dtype=int)
        if r_idx.size == 0 or r_idx.min() < 1 or r_idx.max() > ncon:
            raise NrelError(
                f"score_test: release={list(release)!r} must list constraint numbers between 1 "
                f"and {ncon} (the 'constraint' column of the univariate table)."
            )
        r_idx = r_idx - 1
    total, j_rel = stat_without(r_idx)
    df_total = len(r_idx)
    test = pd.DataFrame(
        {
            "test": ["score"],
            "x2": [total],
            "df": [df_total],
            "p_value": [float(sps.chi2.sf(total, df_total))],
        }
    )
    labels = result.group_labels
    t = model.table

    def group_of(row):
        return None if labels is None else labels[int(t.at[row, "group"]) - 1]

    base = pd.DataFrame(
        {
            "constraint": r_idx + 1,
            "lhs": [rows[k][0] for k in r_idx],
            "op": "==",
            "rhs": [rows[k][1] for k in r_idx],
            "parameter": [_param_name(t, rows[k][2]) for k in r_idx],
            "group": [group_of(rows[k][2]) for k in r_idx],
            "parameter_rhs": [_param_name(t, rows[k][3]) for k in r_idx],
            "group_rhs": [group_of(rows[k][3]) for k in r_idx],
        }
    )
    # as lavaan, each univariate test releases one constraint only (all others imposed)
    uni_stat = np.array([stat_without([k])[0] for k in r_idx])
    uni = base.copy()
    uni["x2"] = uni_stat
    uni["df"] = 1
    uni["p_value"] = sps.chi2.sf(uni_stat, 1)
    uni = uni[_UNI_COLUMNS]
    cum = None
    if cumulative:
        order = np.argsort(-uni_stat, kind="stable")
        cum_stat = [stat_without(r_idx[order[: k + 1]])[0] for k in range(len(order))]
        cum = base.iloc[order].reset_index(drop=True)
        cum["x2"] = cum_stat
        cum["df"] = np.arange(1, len(order) + 1)
        cum["p_value"] = sps.chi2.sf(cum["x2"], cum["df"])
        cum = cum[_UNI_COLUMNS]
    epc_tab = _epc_table(result, score @ j_rel) if epc else None
    if sort:
        uni = uni.sort_values("x2", ascending=False, kind="stable")
    return ScoreTestResult(test=test, uni=uni.reset_index(drop=True), cumulative=cum, epc=epc_tab)


def _epc_table(result, epc_free):
    model = result.model
    t = model.table
    keep = ~t["op"].isin(["==", ":=", "<", ">"]).to_numpy()
    tab = t.loc[keep, ["lhs", "op", "rhs", "group", "label", "plabel", "free"]].copy()
    vals = model.row_values(result.theta)[keep]
    free = tab["free"].to_numpy()
    epc = np.full(len(tab), np.nan)
    epc[free > 0] = epc_free[free[free > 0] - 1]
    ops, lhs, rhs = (tab[c].to_numpy() for c in ("op", "lhs", "rhs"))
    grp = tab["group"].to_numpy(dtype=int)
    exo = t.loc[keep, "exo"].to_numpy()
    epc_std = epc.copy()
    var_idx = (ops == "~~") & (lhs == rhs) & (exo == 0)
    epc_std[var_idx] = vals[var_idx]
    with np.errstate(invalid="ignore"):
        small = (ops == "~~") & (lhs == rhs) & (np.abs(epc_std) < np.sqrt(np.finfo(float).eps))
    epc_std[small] = np.nan
    sign = np.sign(epc)
    scales_all = _scales(model, result.theta, "std.all")
    scales_nox = [{k: v for k, v in s.items() if k not in set(model.ov_x)} for s in scales_all]
    out = {}
    for name, sc in (
        ("sepc_lv", _scales(model, result.theta, "std.lv")),
        ("sepc_all", scales_all),
        ("sepc_nox", scales_nox),
    ):
        v = sign * standardize_rows(ops, lhs, rhs, grp, np.abs(epc_std), sc)
        v[small] = 0.0
        out[name] = v
    labels = result.group_labels
    tab["group"] = [None if labels is None else labels[g - 1] for g in grp]
    tab["est"] = vals
    tab["epc"] = epc
    tab["epv"] = vals + epc
    for k, v in out.items():
        tab[k] = v
    return tab.reset_index(drop=True)


# -- Wald test ----------------------------------------------------------------------------------
_TOKEN = re.compile(r"[A-Za-z_.][A-Za-z0-9_.]*")
_NUMBER = re.compile(r"^(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


def _linear(node, names):
    """Return ``(coef dict, constant)`` of a linear ast expression, else raise."""
    import ast

    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        return {}, float(node.value)
    if isinstance(node, ast.Name):
        return {names[node.id]: 1.0}, 0.0
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        c, k = _linear(node.operand, names)
        s = -1.0 if isinstance(node.op, ast.USub) else 1.0
        return {a: s * v for a, v in c.items()}, s * k
    if isinstance(node, ast.BinOp):
        lc, lk = _linear(node.left, names)
        rc, rk = _linear(node.right, names)
        if isinstance(node.op, ast.Add | ast.Sub):
            s = 1.0 if isinstance(node.op, ast.Add) else -1.0
            out = dict(lc)
            for a, v in rc.items():
                out[a] = out.get(a, 0.0) + s * v
            return out, lk + s * rk
        if isinstance(node.op, ast.Mult):
            if lc and rc:
                raise ValueError("product of two parameters")
            c, k, f = (rc, rk, lk) if not lc else (lc, lk, rk)
            return {a: f * v for a, v in c.items()}, f * k
        if isinstance(node.op, ast.Div) and not rc:
            return {a: v / rk for a, v in lc.items()}, lk / rk
    raise ValueError("not a linear expression")


def _parse_constraints(constraints, lookup, free_values):
    import ast

    if isinstance(constraints, str):
        parts = re.split(r"[;\n]", constraints)
    else:
        parts = [p for c in constraints for p in re.split(r"[;\n]", str(c))]
    parts = [p.strip() for p in parts if p.strip()]
    if not parts:
        raise NrelError("wald_test: constraints are empty; give e.g. 'b1 == b2'.")
    rows, consts = [], []
    for text in parts:
        if text.count("==") != 1:
            raise NrelError(
                f"wald_test: constraint {text!r} must be one equality 'lhs == rhs' (e.g. "
                "'b1 == b2', 'b1 - b2 == 0', 'a == 1')."
            )
        names = {}

        def sub(m, names=names, text=text):
            tok = m.group(0)
            if _NUMBER.match(tok):
                return tok
            if tok not in lookup:
                raise NrelError(
                    f"wald_test: constraint {text!r} names {tok!r}, which is not a parameter "
                    f"label of the model (labels: {sorted(k for k in lookup if k[0] != '.')})."
                )
            if lookup[tok] == 0:
                raise NrelError(
                    f"wald_test: constraint {text!r} names {tok!r}, a fixed parameter; only "
                    "free parameters can be tested."
                )
            key = f"_v{len(names)}"
            names[key] = lookup[tok] - 1
            return key

        lhs, rhs = text.split("==")
        expr = f"({_TOKEN.sub(sub, lhs)}) - ({_TOKEN.sub(sub, rhs)})"
        try:
            coef, const = _linear(ast.parse(expr, mode="eval").body, names)
        except (SyntaxError, ValueError, ZeroDivisionError) as exc:
            raise NrelError(
                f"wald_test: constraint {text!r} is not a linear equality in the parameter "
                f"labels ({exc}); nonlinear constraints are not supported."
            ) from None
        row = np.zeros(len(free_values))
        for idx, v in coef.items():
            row[idx] += v
        rows.append(row)
        consts.append(const)
    jac = np.vstack(rows)
    return parts, jac, jac @ free_values + np.asarray(consts)


def wald_test(result, constraints: str | Sequence[str]) -> pd.DataFrame:
    """Wald test of linear equality constraints on labelled parameters (``lavTestWald``).

    ``W = r' (J V J')^-1 r`` with ``r`` the constraint values at the estimates, ``J`` their
    Jacobian with respect to the free parameters and ``V`` the result's covariance matrix of
    the estimates -- the robust (sandwich) one under ``estimator="MLR"`` -- referred to
    chi-square with as many degrees of freedom as constraints (Wald, 1943; lavaan 0.6.14
    ``lavTestWald``, the oracle: ``tests/reference/sem_score_wald.R``).

    Parameters
    ----------
    result : SEMResult
        A converged fit with a covariance matrix of the estimates (not ``se="none"``).
    constraints : str or sequence of str
        Equalities separated by ``;`` or newlines, or a list of them, written with the
        model's labels (or plabels such as ``.p2.``): ``"b1 == b2; c1 == c2"``,
        ``"b1 - b2 == 0"``, ``"a == 1"``, ``"2*b1 - c1 == 0.3"``. Linear constraints only.

    Returns
    -------
    pandas.DataFrame
        One row: ``constraints`` (as parsed, joined by ``"; "``), ``stat``, ``df``,
        ``p_value``, ``se`` (the standard-error type, as lavaan's list).

    Raises
    ------
    NrelError
        Unknown label, a fixed parameter, a nonlinear or malformed constraint, a result
        without a covariance matrix (``se="none"``; ``se="bootstrap"`` is not supported yet),
        a non-converged fit, or a singular ``J V J'`` (redundant constraints).

    References
    ----------
    Wald, A. (1943). Tests of statistical hypotheses concerning several parameters when the
    number of observations is large. *Transactions of the American Mathematical Society*,
    54(3), 426-482.

    Examples
    --------
    >>> from nrel_research import sem
    >>> from nrel_research.datasets import load_dataset
    >>> hs = load_dataset("holzinger_swineford_1939")
    >>> res = sem.fit('''
    ...     visual =~ x1 + x2 + x3
    ...     textual =~ x4 + x5 + x6
    ...     textual ~ c(b1, b2)*visual
    ... ''', hs, group="school")
    >>> sem.wald_test(res, "b1 == b2").round(3)  # lavaan: stat 2.130, p 0.144
      constraints  stat  df  p_value        se
    0    b1 == b2  2.13   1    0.144  standard
    """
    _check_result(result, "wald_test")
    vcov = result.vcov
    if result.se_type == "bootstrap":
        raise NrelError(
            "wald_test: se='bootstrap' results are not supported yet (lavaan's bootstrap "
            "covariance of the estimates is not wired in); refit with se='standard' or "
            "se='robust' for the test."
        )
    if vcov is None:
        raise NrelError(
            f"wald_test: the result has no covariance matrix of the estimates "
            f"(se={result.se_type!r}); refit with se='standard' (or estimator='MLR' for the "
            "robust one)."
        )
    t = result.model.table
    lookup = _free_lookup(t[t["op"] != "=="])
    parts, jac, r = _parse_constraints(constraints, lookup, np.asarray(result.theta, float))
    m = jac @ vcov @ jac.T
    try:
        stat = float(r @ np.linalg.solve(m, r))
    except np.linalg.LinAlgError:
        raise NrelError(
            f"wald_test: the constraints {parts!r} are redundant (J V J' is singular); drop "
            "the ones implied by the others."
        ) from None
    if np.linalg.cond(m) > 1 / np.finfo(float).eps:
        raise NrelError(
            f"wald_test: the constraints {parts!r} are redundant (J V J' is singular); drop "
            "the ones implied by the others."
        )
    df = len(parts)
    se = "robust.huber.white" if result.se_type == "robust" else result.se_type
    if result.se_type == "robust" and result.estimator in ("WLSMV", "WLSM", "ULSMV"):
        se = "robust.sem"  # lavaan's sandwich for the categorical (D)WLS/ULS estimators
    return pd.DataFrame(
        {
            "constraints": ["; ".join(parts)],
            "stat": [stat],
            "df": [df],
            "p_value": [float(sps.chi2.sf(stat, df))],
            "se": [se],
        }
    )
