"""Follow-up tests of multiple-group models: partial invariance and equality of paths.

* :func:`partial_invariance` searches, step by step, for the cross-group equality constraints
  that a measurement-invariance level does not support (lavaan's ``lavTestScore`` on the
  constraints created by ``group_equal``), frees the worst one (``group_partial``), refits and
  repeats while a constraint is rejected after a multiplicity adjustment (the sequential
  specification search of Yoon & Millsap, 2007, with score tests instead of modification
  indices; Byrne, Shavelson & Muthén, 1989, for partial invariance). It also checks the
  marker (reference) indicators, whose loadings are fixed rather than constrained under
  marker scaling and so escape the search: the same model is refitted with ``std_lv=True``,
  where every loading is constrained, and the markers' constraints are score-tested (Cheung &
  Rensvold, 1999, on the choice of the referent). Everything chosen this way is chosen after
  looking at the data: report it as exploratory.
* :func:`compare_paths` tests whether structural paths are equal across groups: the
  chi-square difference test between the fitted model and the same model with the paths held
  equal (lavaan ``lavTestLRT``; Satorra-Bentler scaled under MLR) and the Wald test of the
  same equalities (``lavTestWald``).

Both refit the model with the call stored on the result (``result.call``), on the data the
fit used.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..exceptions import NrelError, NrelWarning
from .api import fit
from .compare import lrt
from .result import SEMResult
from .score import score_test, wald_test

__all__ = ["compare_paths", "partial_invariance"]


def _refit(result: SEMResult, **changes) -> SEMResult:
    call = dict(getattr(result, "call", None) or {})
    if not call or result.group is None:
        raise NrelError(
            "this function refits a multiple-group model: pass a result of "
            "sem.fit(model, data, group=...)."
        )
    call.update(changes)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fit(result.syntax, result.data, **call)


def _p_adjust(p, method):
    from statsmodels.stats.multitest import multipletests

    p = np.asarray(p, dtype=float)
    out = np.full_like(p, np.nan)
    ok = np.isfinite(p)
    if ok.any():
        out[ok] = multipletests(p[ok], method=method)[1]
    return out


def _constraint_groups(st) -> list[tuple[str, list[int]]]:
    """List the constraints of each parameter a ``group_partial`` entry would free."""
    out: dict[str, list[int]] = {}
    for par, con in zip(st.uni["parameter"], st.uni["constraint"], strict=True):
        out.setdefault(str(par), []).append(int(con))
    return list(out.items())


def _parameter_tests(result: SEMResult) -> pd.DataFrame:
    """Score test of releasing each parameter's cross-group constraints together."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        st = score_test(result)
        rows = []
        for par, cons in _constraint_groups(st):
            t = score_test(result, release=cons).test.iloc[0]
            rows.append((par, len(cons), float(t["x2"]), int(t["df"]), float(t["p_value"])))
    return pd.DataFrame(rows, columns=["parameter", "n_constraints", "x2", "df", "p_value"])


def _markers(model: str) -> dict[str, str]:
    from .syntax import parse_model

    t = parse_model(model).table
    first = t[(t["op"] == "=~") & (t["free"] == 0) & (t["user"] == 1)]
    return {lhs: f"{lhs}=~{rhs}" for lhs, rhs in zip(first["lhs"], first["rhs"], strict=True)}


def partial_invariance(
    result: SEMResult,
    *,
    alpha: float = 0.05,
    adjust: str = "holm",
    max_free: int | None = None,
    check_markers: bool = True,
) -> pd.DataFrame:
    """Search for the constraints a level of invariance does not support, step by step.

    Starting from a multiple-group fit with ``group_equal`` constraints (e.g. the scalar
    level of :func:`~nrel_research.sem.invariance`), each step score-tests releasing each
    constrained parameter in all groups at once (lavaan ``lavTestScore(fit, release = )``;
    one test per ``group_partial`` entry, ``df`` = number of groups - 1), adjusts the p-values
    across parameters (Holm by default), frees the parameter with the largest statistic if
    its adjusted p-value is below ``alpha`` (``group_partial``), refits and repeats; the
    search stops when no constraint is rejected or ``max_free`` parameters are free. This is
    the sequential specification search of Yoon & Millsap (2007) with score tests (as
    lavaan users run it with ``lavTestScore``), for partial invariance (Byrne, Shavelson &
    Muthén, 1989). Checked against the same search run with lavaan 0.6.14
    (``tests/reference/sem_group_tests.R``).

    The marker (reference) indicators' loadings are fixed at 1, not constrained, so the
    search cannot test them, yet the latent metric presumes they are invariant (Cheung &
    Rensvold, 1999). With ``check_markers`` the final model is refitted with
    ``std_lv=True`` (every loading constrained; latent variances free in later groups, as
    lavaan) and the markers' loading constraints are score-tested: a rejected marker is
    reported in ``attrs["markers"]`` and warned about (choose another marker).

    Parameters freed this way are chosen after looking at the data: report the result as
    exploratory.

    Parameters
    ----------
    result : SEMResult
        A multiple-group fit with ``group_equal`` (``sem.fit(..., group=, group_equal=)``).
    alpha : float, default 0.05
    adjust : {"holm", "fdr_bh", "bonferroni", "none"}, default "holm"
        Adjustment across the parameters tested at each step.
    max_free : int, optional
        Stop after freeing this many parameters.
    check_markers : bool, default True

    Returns
    -------
    pandas.DataFrame
        One row per step: ``step``, ``parameter`` (the one tested with the largest
        statistic), ``x2, df, p_value, p_adjusted``, ``freed`` (bool), and the fit of the
        model tested at that step (``chisq, df_model, cfi, rmsea``). ``attrs``:
        ``"group_partial"`` (the parameters freed, for ``fit``/``invariance(partial=)``),
        ``"tests"`` (every parameter's test at every step), ``"result"`` (the final fit),
        ``"markers"`` (the marker check) and ``"exploratory"`` (True).

    Warns
    -----
    NrelWarning
        A marker indicator's loading constraint is rejected (adjusted p < ``alpha``); a fit
        by MLR (the score test is the ordinary one, as lavaan's).

    Examples
    --------
    >>> from nrel_research import sem
    >>> from nrel_research.datasets import load_dataset
    >>> hs = load_dataset("holzinger_swineford_1939")
    >>> scalar = sem.fit("visual =~ x1 + x2 + x3; textual =~ x4 + x5 + x6; "
    ...                  "speed =~ x7 + x8 + x9", hs, group="school",
    ...                  group_equal=("loadings", "intercepts"))
    >>> steps = sem.partial_invariance(scalar)
    >>> steps[["step", "parameter", "freed"]]
       step parameter  freed
    0     1      x3~1   True
    1     2      x7~1   True
    2     3      x1~1  False
    >>> steps.attrs["group_partial"]
    ['x3~1', 'x7~1']
    """
    if not isinstance(result, SEMResult) or result.group is None:
        raise NrelError(
            "partial_invariance() needs a multiple-group fit with group_equal= "
            "(sem.fit(model, data, group=..., group_equal=(...)))."
        )
    if not result.call.get("group_equal"):
        raise NrelError(
            "the fit has no group_equal constraints; fit the invariance level to search "
            "(e.g. group_equal=('loadings', 'intercepts'))."
        )
    if not 0 < alpha < 1:
        raise NrelError(f"alpha={alpha!r} is not valid; use a probability such as 0.05.")
    if adjust not in ("holm", "fdr_bh", "bonferroni", "none"):
        raise NrelError(f"adjust={adjust!r} is not valid; use holm, fdr_bh, bonferroni or none.")
    if str(result.call.get("estimator", "ML")).upper() == "MLR":
        warnings.warn(
            "the score tests of an MLR fit are the ordinary (not robust) ones, as lavaan's "
            "lavTestScore; treat the search as a screening device.",
            NrelWarning,
            stacklevel=2,
        )
    partial = list(result.call.get("group_partial") or ())
    current = result
    steps, tests = [], []
    step = 0
    while True:
        step += 1
        t = _parameter_tests(current)
        if t.empty:
            break
        t["p_adjusted"] = t["p_value"] if adjust == "none" else _p_adjust(t["p_value"], adjust)
        t.insert(0, "step", step)
        tests.append(t)
        # ties (equal up to rounding, e.g. two intercepts of one factor whose release gives
        # the same fit) go to the first parameter in table order, so the report is stable
        x2 = t["x2"].to_numpy(dtype=float)
        top = np.nanmax(x2)
        best = t.iloc[int(np.flatnonzero(x2 >= top - 1e-8 * max(1.0, abs(top)))[0])]
        fm = current.fit_measures()
        freed = bool(best["p_adjusted"] < alpha) and (max_free is None or len(partial) < max_free)
        steps.append(
            {
                "step": step,
                "parameter": best["parameter"],
                "x2": float(best["x2"]),
                "df": int(best["df"]),
                "p_value": float(best["p_value"]),
                "p_adjusted": float(best["p_adjusted"]),
                "freed": freed,
                "chisq": float(fm["chisq"]),
                "df_model": float(fm["df"]),
                "cfi": float(fm["cfi"]),
                "rmsea": float(fm["rmsea"]),
            }
        )
        if not freed:
            break
        partial.append(str(best["parameter"]))
        current = _refit(current, group_partial=tuple(partial))
    out = pd.DataFrame(steps)
    out.attrs["group_partial"] = partial
    out.attrs["tests"] = pd.concat(tests, ignore_index=True) if tests else None
    out.attrs["result"] = current
    out.attrs["exploratory"] = True
    out.attrs["markers"] = None
    if check_markers and "loadings" in current.call.get("group_equal", ()):
        markers = _markers(current.syntax)
        std = _refit(current, std_lv=True)
        mt = _parameter_tests(std)
        mt = mt[mt["parameter"].isin(markers.values())].reset_index(drop=True)
        if len(mt):
            mt["p_adjusted"] = (
                mt["p_value"] if adjust == "none" else _p_adjust(mt["p_value"], adjust)
            )
            mt["rejected"] = mt["p_adjusted"] < alpha
            for row in mt[mt["rejected"]].itertuples():
                warnings.warn(
                    f"the marker indicator loading {row.parameter} is not invariant "
                    f"(score test x2 = {row.x2:.2f}, df = {row.df}, adjusted p = "
                    f"{row.p_adjusted:.3g}); the latent metric rests on it. Refit with another "
                    "indicator listed first for that factor.",
                    NrelWarning,
                    stacklevel=2,
                )
        out.attrs["markers"] = mt
    return out


def _path_name(lhs, rhs):
    return f"{lhs}~{rhs}"


def compare_paths(
    result: SEMResult,
    paths: Sequence[str] | str,
    *,
    method: str = "default",
) -> pd.DataFrame:
    """Test whether regression paths are equal across groups.

    Refits ``result`` with the named paths held equal across all groups (the other
    regressions stay free: lavaan ``group.equal = "regressions"`` with the others in
    ``group.partial``) and compares the two fits with the chi-square difference test
    (:func:`~nrel_research.sem.lrt`: plain for ML, Satorra-Bentler 2001 scaled for MLR by
    default, as lavaan's ``lavTestLRT``); the Wald test of the same equalities on the free
    model (:func:`~nrel_research.sem.wald_test`, robust covariance under MLR) is reported
    alongside. One row tests every path in ``paths`` jointly; test paths one by one by
    calling the function per path. Checked against lavaan 0.6.14
    (``tests/reference/sem_group_tests.R``: ``lavTestLRT`` of ``group.equal =
    "regressions"`` and ``lavTestWald`` of ``b1 == b2``).

    Parameters
    ----------
    result : SEMResult
        A multiple-group fit in which the paths are free across groups.
    paths : str or sequence of str
        Regressions as ``"outcome ~ predictor"`` (white space ignored).
    method : str, default "default"
        The difference test (see :func:`~nrel_research.sem.lrt`).

    Returns
    -------
    pandas.DataFrame
        One row: ``paths``, ``chisq_diff, df_diff, pvalue_diff, method`` and ``wald_stat,
        wald_df, wald_pvalue``; ``attrs["estimates"]`` holds the paths' estimates per group
        (free model) and ``attrs["constrained"]`` the constrained fit.

    Examples
    --------
    >>> from nrel_research import sem
    >>> from nrel_research.datasets import load_dataset
    >>> hs = load_dataset("holzinger_swineford_1939")
    >>> res = sem.fit("visual =~ x1 + x2 + x3; textual =~ x4 + x5 + x6; "
    ...               "speed =~ x7 + x8 + x9; textual ~ visual; speed ~ textual", hs,
    ...               group="school", group_equal=("loadings", "intercepts"))
    >>> t = sem.compare_paths(res, "textual ~ visual")
    >>> t[["chisq_diff", "df_diff", "pvalue_diff"]].round(3)
       chisq_diff  df_diff  pvalue_diff
    0       0.403      1.0        0.525
    """
    if not isinstance(result, SEMResult) or result.group is None:
        raise NrelError(
            "compare_paths() needs a multiple-group fit (sem.fit(model, data, group=...))."
        )
    if isinstance(paths, str):
        paths = [paths]
    wanted = []
    for p in paths:
        if (
            not isinstance(p, str)
            or "~" not in p
            or "=~" in p
            or "~~" in p
            or "~1" in p.replace(" ", "")
        ):
            raise NrelError(f"paths: {p!r} is not a regression; write 'outcome ~ predictor'.")
        lhs, rhs = (x.strip() for x in p.split("~", 1))
        wanted.append((lhs, rhs))
    if not wanted:
        raise NrelError("paths is empty; name at least one regression, e.g. 'y ~ x'.")
    t = result.model.table
    reg = t[(t["op"] == "~") & (t["group"] == 1)]
    all_paths = list(zip(reg["lhs"], reg["rhs"], strict=True))
    for lhs, rhs in wanted:
        if (lhs, rhs) not in all_paths:
            have = ", ".join(f"{a} ~ {b}" for a, b in all_paths) or "none"
            raise NrelError(
                f"paths: {lhs} ~ {rhs} is not a regression of the model (its regressions: {have})."
            )
    ge = tuple(result.call.get("group_equal") or ())
    if "regressions" in ge:
        raise NrelError(
            "the fit already holds every regression equal across groups "
            "(group_equal includes 'regressions'); compare against a fit with free paths."
        )
    # plabels of each wanted path per group, for the Wald test and the free check
    constraints = []
    labels = result.group_labels
    for lhs, rhs in wanted:
        rows = t[(t["op"] == "~") & (t["lhs"] == lhs) & (t["rhs"] == rhs)]
        if (rows["free"] == 0).any():
            raise NrelError(
                f"paths: {lhs} ~ {rhs} is fixed in at least one group; it cannot be tested."
            )
        pls = rows["plabel"].tolist()
        kmat = result.model.ceq_basis[rows["free"].to_numpy(dtype=int) - 1]
        if any(np.array_equal(kmat[0], kmat[j]) for j in range(1, len(kmat))):
            raise NrelError(
                f"paths: {lhs} ~ {rhs} is already equal across groups (a shared label); "
                "compare against a fit where it is free."
            )
        constraints += [f"{pls[0]} == {pl}" for pl in pls[1:]]
    others = [f"{a}~{b}" for a, b in all_paths if (a, b) not in wanted]
    partial = tuple(result.call.get("group_partial") or ()) + tuple(others)
    constrained = _refit(result, group_equal=(*ge, "regressions"), group_partial=partial)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tab = lrt(result, constrained, method=method, model_names=["free", "equal"])
        w = wald_test(result, constraints)
    row = tab.loc["equal"]
    est = result.estimates()
    sel = est["op"].eq("~") & pd.Series(
        [(a, b) in wanted for a, b in zip(est["lhs"], est["rhs"], strict=True)], index=est.index
    )
    out = pd.DataFrame(
        [
            {
                "paths": "; ".join(f"{a} ~ {b}" for a, b in wanted),
                "chisq_diff": float(row["chisq_diff"]),
                "df_diff": float(row["df_diff"]),
                "pvalue_diff": float(row["pvalue_diff"]),
                "method": str(tab.attrs.get("method", "")),
                "wald_stat": float(w["stat"].iloc[0]),
                "wald_df": int(w["df"].iloc[0]),
                "wald_pvalue": float(w["p_value"].iloc[0]),
            }
        ]
    )
    out.attrs["estimates"] = est[sel][["lhs", "op", "rhs", "group", "est", "se", "std_all"]]
    out.attrs["constrained"] = constrained
    out.attrs["groups"] = labels
    return out
