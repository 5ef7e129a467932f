"""Measurement invariance across groups: the configural -> metric -> scalar -> strict sequence.

:func:`invariance` fits a lavaan-syntax model in every group at increasingly constrained levels
(lavaan ``cfa(..., group = , group.equal = )``; Meredith, 1993; Vandenberg & Lance, 2000), then
reports per level the fit measures, the chi-square difference test against the previous level
(as lavaan's ``lavTestLRT`` for ML) and the changes in CFI, RMSEA and SRMR judged against
Chen's (2007) cut-offs. Checked against lavaan 0.6.14 with
``tests/reference/sem_group_equal.R`` (``atol=1e-4``).

The levels live in :data:`INVARIANCE_LEVELS` (name -> lavaan ``group.equal`` keywords), a
registry later levels extend; with ordered (ordinal) indicators the names map through
:data:`ORDINAL_INVARIANCE_LEVELS` instead (threshold invariance first, then loadings, then
intercepts, as Wu & Estabrook, 2016, recommend). Each level's cut-offs live in
:data:`CHEN_2007_CUTOFFS`.

References
----------
Chen, F. F. (2007). Sensitivity of goodness of fit indexes to lack of measurement invariance.
*Structural Equation Modeling, 14*(3), 464-504. https://doi.org/10.1080/10705510701301834

Meredith, W. (1993). Measurement invariance, factor analysis and factorial invariance.
*Psychometrika, 58*(4), 525-543. https://doi.org/10.1007/BF02294825

Cheung, G. W., & Rensvold, R. B. (1999). Testing factorial invariance across groups: A
reconceptualization and proposed new method. *Journal of Management, 25*(1), 1-27.
https://doi.org/10.1177/014920639902500101

Vandenberg, R. J., & Lance, C. E. (2000). A review and synthesis of the measurement invariance
literature. *Organizational Research Methods, 3*(1), 4-70.
https://doi.org/10.1177/109442810031002

Wu, H., & Estabrook, R. (2016). Identification of confirmatory factor analysis models of
different levels of invariance for ordered categorical outcomes. *Psychometrika, 81*(4),
1014-1045. https://doi.org/10.1007/s11336-016-9506-0
"""

from __future__ import annotations

import itertools
import math
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from .._validation import check_columns
from ..exceptions import DataError, NrelError, NrelWarning, SpecificationError
from ._ordgroups import wu_estabrook_syntax
from .api import fit
from .result import SEMResult
from .syntax import check_group_equal, parse_model

__all__ = ["CHEN_2007_CUTOFFS", "INVARIANCE_LEVELS", "ORDINAL_INVARIANCE_LEVELS", "invariance"]

#: Invariance levels in their usual order: name -> lavaan ``group.equal`` keywords. Each
#: level adds constraints to the one before it (the sequence must be nested).
INVARIANCE_LEVELS: dict[str, tuple[str, ...]] = {
    "configural": (),
    "metric": ("loadings",),
    "scalar": ("loadings", "intercepts"),
    "strict": ("loadings", "intercepts", "residuals"),
    "thresholds": ("thresholds",),
}

#: The levels with ordered indicators (Wu & Estabrook, 2016; semTools ``measEq.syntax(ID.cat =
#: "Wu.Estabrook.2016")``): name -> ``group.equal`` keywords. Levels whose keywords hold
#: ``"thresholds"`` but not ``"intercepts"`` are fitted with Wu & Estabrook's identification
#: (intercepts of the ordered items free in groups 2..G, latent means fixed at 0; lavaan's own
#: ``group.equal = "thresholds"`` instead keeps the intercepts at 0 and frees the latent
#: means, a more restricted model); from ``"scalar"`` on the two coincide. ``"strict"`` needs
#: ``parameterization="theta"`` (residual variances are not parameters under delta).
ORDINAL_INVARIANCE_LEVELS: dict[str, tuple[str, ...]] = {
    "configural": (),
    "thresholds": ("thresholds",),
    "metric": ("thresholds", "loadings"),
    "scalar": ("thresholds", "loadings", "intercepts"),
    "strict": ("thresholds", "loadings", "intercepts", "residuals"),
}

#: Chen's (2007, "Recommendations") cut-offs for the change against the previous level: lack
#: of invariance is indicated by a CFI drop of at least ``cfi`` supplemented by an RMSEA rise of
#: at least ``rmsea`` or an SRMR rise of at least ``srmr``. ``"large"``: total N > 300 with
#: roughly equal groups; ``"small"``: total N <= 300 (Chen's stricter values).
CHEN_2007_CUTOFFS: dict[str, dict[str, dict[str, float]]] = {
    "large": {
        "metric": {"cfi": 0.010, "rmsea": 0.015, "srmr": 0.030},
        "scalar": {"cfi": 0.010, "rmsea": 0.015, "srmr": 0.010},
        "strict": {"cfi": 0.010, "rmsea": 0.015, "srmr": 0.010},
    },
    "small": {
        "metric": {"cfi": 0.005, "rmsea": 0.010, "srmr": 0.025},
        "scalar": {"cfi": 0.005, "rmsea": 0.010, "srmr": 0.005},
        "strict": {"cfi": 0.005, "rmsea": 0.010, "srmr": 0.005},
    },
}

BASIS = (
    "Verdicts apply Chen's (2007) cut-offs to the change from the previous level: lack of "
    "invariance when CFI drops by >= {cfi_txt} and RMSEA rises by >= {rmsea_txt} or SRMR "
    "rises by >= the level's SRMR cut-off ({srmr_txt}); cut-offs for total N {n_txt} 300. "
    "They were derived for ML on continuous, normally distributed indicators and are guidance, "
    "not proof: read them with the chi-square difference test, the size of the changes and "
    "the parameters involved. Under partial invariance the freed parameters must not include "
    "the marker (reference) indicator's."
)

TABLE_COLUMNS = [
    "level",
    "group_equal",
    "group_partial",
    "npar",
    "chisq",
    "df",
    "pvalue",
    "cfi",
    "tli",
    "rmsea",
    "srmr",
    "aic",
    "bic",
    "chisq_diff",
    "df_diff",
    "pvalue_diff",
    "delta_cfi",
    "delta_rmsea",
    "delta_srmr",
    "verdict",
    "method",
]


class FitsByLevel(dict):
    """The fitted :class:`SEMResult` of each level, keyed by level name.

    Stored in ``DataFrame.attrs["fits"]``; pandas deep-copies ``attrs`` on most operations,
    so this mapping returns itself from :meth:`__deepcopy__` (the fits are shared, not copied).
    """

    def __deepcopy__(self, memo):
        return self

    def __copy__(self):
        return self


def difference_test(
    restricted: SEMResult, unrestricted: SEMResult, *, method: str = "default"
) -> dict[str, float]:
    """Chi-square difference test of two nested fits, as lavaan's ``lavTestLRT``.

    For normal-theory ML the statistic is the difference of the two chi-squares on the
    difference of the degrees of freedom; for MLR (complete data or FIML) the
    Satorra-Bentler scaled difference (2001 by default, lavaan's default; ``method=
    "satorra.bentler.2010"`` for the 2010 version, which cannot be negative). Computed by
    :func:`~nrel_research.sem.lrt`, checked against lavaan there and in
    ``tests/reference/sem_group_tests.R``.

    Parameters
    ----------
    restricted, unrestricted : SEMResult
        The more and the less constrained fit of the same data.
    method : str, default "default"
        As :func:`~nrel_research.sem.lrt`.

    Returns
    -------
    dict
        ``chisq_diff``, ``df_diff``, ``pvalue_diff`` (NaN when ``df_diff`` is not positive)
        and ``method`` (the test used).

    Raises
    ------
    NrelError
        Fits of different data sizes (and anything :func:`~nrel_research.sem.lrt` refuses).
    """
    from .compare import lrt

    if restricted.nobs != unrestricted.nobs:
        raise NrelError(
            f"the two fits use different numbers of rows ({restricted.nobs} and "
            f"{unrestricted.nobs}); a difference test needs the same data."
        )
    fr, fu = restricted.fit_measures(), unrestricted.fit_measures()
    if float(fr["df"] - fu["df"]) <= 0:
        return {
            "chisq_diff": float(fr["chisq"] - fu["chisq"]),
            "df_diff": float(fr["df"] - fu["df"]),
            "pvalue_diff": math.nan,
            "method": "none (no degrees of freedom)",
        }
    tab = lrt(unrestricted, restricted, method=method, model_names=["unrestricted", "restricted"])
    row = tab.loc["restricted"]
    return {
        "chisq_diff": float(row["chisq_diff"]),
        "df_diff": float(row["df_diff"]),
        "pvalue_diff": float(row["pvalue_diff"]),
        "method": str(tab.attrs.get("method", row.get("method", ""))),
    }


def _levels(levels, registry=None) -> list[tuple[str, tuple[str, ...]]]:
    registry = INVARIANCE_LEVELS if registry is None else registry
    if isinstance(levels, str):
        levels = [levels]
    out = []
    for lev in levels:
        if isinstance(lev, str):
            if lev not in registry:
                raise SpecificationError(
                    f"invariance: unknown level {lev!r}; use one of "
                    f"{', '.join(map(repr, registry))} or a (name, group_equal) pair, "
                    "e.g. ('lv_variances', ('loadings', 'lv.variances'))."
                )
            out.append((lev, registry[lev]))
        elif isinstance(lev, tuple) and len(lev) == 2 and isinstance(lev[0], str):
            out.append((lev[0], check_group_equal(lev[1])))
        else:
            raise SpecificationError(
                f"invariance: level {lev!r} is not a level name or a (name, group_equal) pair."
            )
    if not out:
        raise SpecificationError("invariance: give at least one level.")
    names = [n for n, _ in out]
    if len(set(names)) < len(names):
        raise SpecificationError(f"invariance: levels {names} repeat a name.")
    for (n0, ge0), (n1, ge1) in itertools.pairwise(out):
        if not set(ge0) <= set(ge1):
            raise SpecificationError(
                f"invariance: level {n1!r} ({', '.join(ge1) or 'no constraints'}) does not "
                f"contain the constraints of the level before it, {n0!r} "
                f"({', '.join(ge0)}); order the levels from least to most constrained."
            )
    return out


def _ordinal_setup(model, data, group, plan, fit_kwargs):
    """Syntax per level, numbers of thresholds and groups for the ordinal sequence."""
    param = str(fit_kwargs.get("parameterization", "delta"))
    for name, ge in plan:
        if "residuals" in ge and param != "theta":
            raise SpecificationError(
                f"invariance: level {name!r} holds residual variances equal, which are not "
                "parameters of ordered indicators under parameterization='delta'; use "
                "parameterization='theta' for strict invariance (as semTools' measEq.syntax)."
            )
    if not isinstance(data, pd.DataFrame):
        raise DataError(f"invariance: data must be a pandas DataFrame, got {type(data).__name__}.")
    pt = parse_model(model, meanstructure=True)
    ordered = fit_kwargs.get("ordered")
    ov = list(pt.ov_names)
    names = (
        ov
        if ordered is True
        else [str(v) for v in ([ordered] if isinstance(ordered, str) else ordered)]
    )
    numeric = [v for v in ov if v not in names]
    if numeric:
        raise SpecificationError(
            f"invariance: with ordered= every observed variable of the model must be ordered "
            f"(Wu & Estabrook's levels are defined for ordinal items); {', '.join(numeric)} "
            "are not. Fit mixed models level by level with sem.fit(group_equal=...)."
        )
    check_columns(data, [*ov, group], data_name=str(fit_kwargs.get("data_name", "data")))
    labels = fit_kwargs.get("group_label")
    ngroups = len(labels) if labels is not None else int(data[group].nunique())
    if ngroups < 2:
        raise DataError(
            f"invariance: column {group!r} holds {ngroups} group(s); invariance compares two "
            "or more groups."
        )
    nth = {v: max(int(pd.to_numeric(data[v], errors="coerce").nunique()) - 1, 1) for v in ov}
    we_levels = {name for name, ge in plan if "thresholds" in ge and "intercepts" not in ge}
    few = [v for v, k in nth.items() if k < 2]
    if we_levels and few:
        raise SpecificationError(
            f"invariance: {', '.join(few)} have only 2 categories; Wu & Estabrook's (2016) "
            "threshold level needs at least 3 per item (binary items are identified "
            "differently). Use levels=('configural', 'scalar') or fit the binary model with "
            "sem.fit(group_equal=...)."
        )
    we_syntax = wu_estabrook_syntax(model, ov, pt.lv_names, ngroups)
    syntax = {name: (we_syntax if name in we_levels else model) for name, _ in plan}
    return {"syntax": syntax, "nthresholds": nth, "ngroups": ngroups, "we_levels": we_levels}


def _marker_notes(model: str, partial: tuple[str, ...], std_lv: bool) -> list[str]:
    """Warn when ``partial`` names a marker (reference) indicator's loading.

    With marker-variable scaling the marker's loading is fixed at 1 in every group, so it
    cannot be freed: the latent variable's metric presumes the marker is invariant
    (Cheung & Rensvold, 1999; Vandenberg & Lance, 2000).
    """
    if std_lv or not partial:
        return []
    t = parse_model(model, meanstructure=True).table
    load = t[(t["op"] == "=~") & (t["free"] == 0) & (t["ustart"] == 1.0)]
    notes = []
    for lv, ind in zip(load["lhs"], load["rhs"], strict=True):
        if f"{lv}=~{ind}" in partial:
            notes.append(
                f"partial: {lv}=~{ind} is the loading of {ind!r}, the marker (reference) "
                f"indicator of {lv!r}, fixed at 1 in every group: it cannot be freed, and the "
                f"scale of {lv!r} presumes {ind!r} is invariant. To let it differ, put an "
                "invariant indicator first in the syntax (the new marker) or use std_lv=True."
            )
    return notes


def _cutoff_set(ntotal: int) -> str:
    return "large" if ntotal > 300 else "small"


def _verdict(level: str, delta: dict[str, float], cutset: str) -> str:
    cut = CHEN_2007_CUTOFFS[cutset].get(level)
    if cut is None:
        return "no cut-off"
    noninvariant = -delta["cfi"] >= cut["cfi"] and (
        delta["rmsea"] >= cut["rmsea"] or delta["srmr"] >= cut["srmr"]
    )
    return "not supported" if noninvariant else "supported"


def invariance(
    model: str,
    data: pd.DataFrame,
    group: str,
    levels: Sequence[str | tuple[str, Sequence[str]]] | None = None,
    partial: Sequence[str] | str | None = None,
    **fit_kwargs: Any,
) -> pd.DataFrame:
    """Test measurement invariance across groups, level by level (lavaan ``group.equal``).

    Fits ``model`` with :func:`~nrel_research.sem.fit` at each level (configural: the same
    pattern in every group; metric: equal loadings; scalar: also equal intercepts, latent
    means freed in groups 2..G; strict: also equal residual variances; Meredith, 1993;
    Vandenberg & Lance, 2000), with lavaan's ``group.equal`` semantics, and compares each
    level with the previous one: the chi-square difference test (lavaan ``lavTestLRT``) and
    the changes in CFI, RMSEA and SRMR with a verdict under Chen's (2007) cut-offs
    (:data:`CHEN_2007_CUTOFFS`). Checked against lavaan 0.6.14 (``cfa(..., group.equal =)``,
    ``lavTestLRT``) with ``tests/reference/sem_group_equal.R`` at ``atol=1e-4``.

    Parameters
    ----------
    model : str
        lavaan model syntax.
    data : pandas.DataFrame
        Raw data with the model's variables and the ``group`` column.
    group : str
        Column holding the group labels (groups in order of first appearance, as lavaan).
    levels : sequence, optional
        Names in :data:`INVARIANCE_LEVELS` (with ``ordered=``: in
        :data:`ORDINAL_INVARIANCE_LEVELS`), or ``(name, group_equal)`` pairs for other
        levels (e.g. ``("lv_variances", ("loadings", "intercepts", "lv.variances"))``); each
        level must contain the constraints of the one before it. Default
        ``("configural", "metric", "scalar", "strict")``; with ordered indicators
        ``("configural", "thresholds", "metric", "scalar")``, plus ``"strict"`` under
        ``parameterization="theta"``.
    partial : str or sequence of str, optional
        lavaan ``group.partial`` strings (``"x3 ~ 1"``, ``"visual =~ x2"``) for partial
        invariance; each is freed at the levels whose ``group_equal`` constrains it (an
        intercept from scalar on, a loading from metric on). Every entry must be constrained
        at one level at least. Naming a marker (reference) indicator's loading is warned
        about (:class:`~nrel_research.exceptions.NrelWarning`): it is fixed at 1 in every
        group, and the latent variable's metric presumes that item is invariant.
    **fit_kwargs
        Passed to :func:`~nrel_research.sem.fit` (e.g. ``std_lv=True``, ``data_name=``,
        ``ordered=``, ``estimator=``, ``parameterization=``). With ``ordered=`` (every
        observed variable of the model must be ordered) the levels follow Wu & Estabrook
        (2016): configural; thresholds (thresholds equal; the items' intercepts and scale
        factors, or under theta their residual variances, free in groups 2..G, latent means
        0); metric (also loadings; with ``std_lv=True`` the latent variances of groups 2..G
        free); scalar (also intercepts, i.e. lavaan's ``group.equal = c("thresholds",
        "loadings", "intercepts")``: intercepts 0, latent means free in groups 2..G);
        strict (theta only: also residual variances). Their chi-squares equal semTools'
        ``measEq.syntax(ID.cat = "Wu.Estabrook.2016")`` models; lavaan's own
        ``group.equal = "thresholds"`` is a different, more restricted model (see
        :mod:`nrel_research.sem._ordgroups`), which :func:`~nrel_research.sem.fit` gives.
        The table then reports the scaled statistics (WLSMV: ``chisq_scaled``,
        ``pvalue_scaled``, ``cfi_scaled``, ``tli_scaled``, ``rmsea_scaled``; ``srmr``) and
        the difference test is lavaan's ``lavTestLRT`` default (Satorra, 2000,
        scaled-shifted, for WLSMV/ULSMV; Satorra & Bentler, 2001, for WLSM). Checked
        against lavaan 0.6.14 / semTools 0.5.6 with ``tests/reference/sem_ordinal_groups.R``
        (``atol=1e-4``).

    Returns
    -------
    pandas.DataFrame
        One row per level: ``level``, ``group_equal`` and ``group_partial`` (as text),
        ``npar, chisq, df, pvalue, cfi, tli, rmsea, srmr, aic, bic`` (lavaan's
        ``fitMeasures``), ``chisq_diff, df_diff, pvalue_diff`` (vs the previous level),
        ``delta_cfi, delta_rmsea, delta_srmr`` (this level minus the previous one) and
        ``verdict`` (``"baseline"`` for the first level, then ``"supported"`` or
        ``"not supported"``, or ``"no cut-off"`` for a level Chen does not cover; levels
        after one that is not supported say so, e.g. ``"supported (after 'scalar' was
        not)"``: their comparison builds on a rejected level, so consider partial
        invariance first).
        ``attrs["fits"]`` maps each level to its :class:`SEMResult`; ``attrs["basis"]``
        states the cut-offs used (for total N > 300 or <= 300) and that they are guidance for
        ML on continuous data (and, with ordered indicators, guidance only); ``attrs["cutoffs"]``
        holds them; ``attrs["identification"]`` names each level's identification
        (``"lavaan group.equal"`` or ``"Wu & Estabrook (2016)"``).

    Raises
    ------
    SpecificationError
        Unknown or non-nested levels, or a ``partial`` entry that is not a parameter of the
        model or is not constrained at any level.
    DataError, NrelError
        As :func:`~nrel_research.sem.fit`.

    Examples
    --------
    >>> from nrel_research import sem
    >>> from nrel_research.datasets import load_dataset
    >>> hs = load_dataset("holzinger_swineford_1939")
    >>> model = "visual =~ x1 + x2 + x3; textual =~ x4 + x5 + x6; speed =~ x7 + x8 + x9"
    >>> tab = sem.invariance(model, hs, group="school")
    >>> tab[["level", "df", "chisq_diff", "delta_cfi"]].round(3)
            level  df  chisq_diff  delta_cfi
    0  configural  48         NaN        NaN
    1      metric  54       8.192     -0.002
    2      scalar  60      40.059     -0.038
    3      strict  69      17.409     -0.009
    >>> tab["verdict"].tolist()
    ['baseline', 'supported', 'not supported', "supported (after 'scalar' was not)"]

    Partial scalar invariance, freeing the two intercepts lavaan's score test flags:

    >>> part = sem.invariance(model, hs, group="school", partial=["x3 ~ 1", "x7 ~ 1"],
    ...                       levels=("configural", "metric", "scalar"))
    >>> row = part.iloc[2]
    >>> row["group_partial"], int(row["df_diff"]), row["verdict"]
    ('x3~1, x7~1', 4, 'supported')

    The same items cut into five ordered categories (WLSMV; Wu & Estabrook's sequence):

    >>> hso = load_dataset("holzinger_swineford_1939_ordinal")
    >>> items = [f"x{k}" for k in range(1, 10)]
    >>> otab = sem.invariance(model, hso, group="school", ordered=items)
    >>> otab[["level", "df", "chisq_diff", "df_diff"]].round(3)
            level  df  chisq_diff  df_diff
    0  configural  48         NaN      NaN
    1  thresholds  66      20.274     18.0
    2      metric  72       1.047      6.0
    3      scalar  78      42.966      6.0
    """
    if not isinstance(group, str):
        raise NrelError(
            f"invariance: group={group!r} is not valid; give the name of the column holding "
            "the group labels."
        )
    for bad in ("group", "group_equal", "group_partial"):
        if bad in fit_kwargs:
            raise NrelError(
                f"invariance: {bad}= is set by invariance() itself; use group, levels and "
                "partial instead."
            )
    ordered = fit_kwargs.get("ordered")
    is_ordinal = ordered is not None and ordered is not False
    param = str(fit_kwargs.get("parameterization", "delta"))
    if levels is None:
        levels = ("configural", "metric", "scalar", "strict")
        if is_ordinal:
            levels = ("configural", "thresholds", "metric", "scalar")
            levels += ("strict",) if param == "theta" else ()
    plan = _levels(levels, ORDINAL_INVARIANCE_LEVELS if is_ordinal else INVARIANCE_LEVELS)
    ordinal = _ordinal_setup(model, data, group, plan, fit_kwargs) if is_ordinal else None
    partial_t: tuple[str, ...]
    if partial is None:
        partial_t = ()
    elif isinstance(partial, str):
        partial_t = (partial,)
    else:
        partial_t = tuple(partial)
    std_lv = bool(fit_kwargs.get("std_lv", False))
    # which entries each level constrains (validates the entries before any fitting)
    per_level = []
    used: set[str] = set()
    normalised: tuple[str, ...] = ()
    for name, ge in plan:
        pt = parse_model(
            ordinal["syntax"][name] if ordinal else model,
            ngroups=ordinal["ngroups"] if ordinal else 2,
            meanstructure=True,
            std_lv=std_lv,
            group_equal=ge,
            group_partial=partial_t,
            ordered=ordinal["nthresholds"] if ordinal else None,
            parameterization=param,
        )
        normalised = pt.group_partial
        constrained = set(pt.constrained)
        keep = tuple(p for p in pt.group_partial if p in constrained)
        used.update(keep)
        per_level.append(keep)
    if partial_t:
        unused = [p for p in normalised if p not in used]
        if unused:
            raise SpecificationError(
                f"invariance: partial entry/entries {', '.join(map(repr, unused))} are not "
                "constrained at any of the levels "
                f"{', '.join(name for name, _ in plan)}; remove them or add the level that "
                "constrains them."
            )

    marker_notes = _marker_notes(model, normalised, std_lv)
    for note in marker_notes:
        warnings.warn(note, NrelWarning, stacklevel=2)

    fits = FitsByLevel()
    rows = []
    robust = str(fit_kwargs.get("estimator", "ML")).upper() == "MLR"
    prev = None
    failed = None
    for (name, ge), keep in zip(plan, per_level, strict=True):
        syntax = ordinal["syntax"][name] if ordinal else model
        res = fit(syntax, data, group=group, group_equal=ge, group_partial=keep, **fit_kwargs)
        fits[name] = res
        fm = res.fit_measures()
        row = {
            "level": name,
            "group_equal": ", ".join(ge),
            "group_partial": ", ".join(keep),
        }
        for key in ("npar", "chisq", "df", "pvalue", "cfi", "tli", "rmsea", "srmr", "aic", "bic"):
            row[key] = float(fm[key]) if key in fm.index else np.nan
        if ordinal and "chisq_scaled" in fm.index:
            # (D)WLS: lavaan's scaled test and the indices computed from it
            for key in ("chisq", "pvalue", "cfi", "tli", "rmsea"):
                row[key] = float(fm[f"{key}_scaled"])
        elif robust:
            # MLR: the scaled test and the robust indices (Brosseau-Liard & Savalei), as a
            # report under MLR gives them
            row["chisq"] = float(fm["chisq_scaled"])
            row["pvalue"] = float(fm["pvalue_scaled"])
            for key in ("cfi", "tli", "rmsea"):
                row[key] = float(fm[f"{key}_robust"])
        if prev is None:
            row.update(
                chisq_diff=np.nan,
                df_diff=np.nan,
                pvalue_diff=np.nan,
                method="",
                delta_cfi=np.nan,
                delta_rmsea=np.nan,
                delta_srmr=np.nan,
                verdict="baseline",
            )
        else:
            row.update(difference_test(res, fits[prev]))
            prow = rows[-1]
            delta = {k: float(row[k] - prow[k]) for k in ("cfi", "rmsea", "srmr")}
            row.update({f"delta_{k}": v for k, v in delta.items()})
            verdict = _verdict(name, delta, _cutoff_set(res.nobs))
            if failed is not None:
                verdict += f" (after {failed!r} was not)"
            elif verdict == "not supported":
                failed = name
            row["verdict"] = verdict
        rows.append(row)
        prev = name
    table = pd.DataFrame(rows, columns=TABLE_COLUMNS)
    for col in ("npar", "df"):
        table[col] = table[col].astype(int)
    ntotal = next(iter(fits.values())).nobs
    cutset = _cutoff_set(ntotal)
    cuts = CHEN_2007_CUTOFFS[cutset]
    table.attrs["fits"] = fits
    table.attrs["cutoffs"] = {k: dict(v) for k, v in cuts.items()}
    table.attrs["basis"] = BASIS.format(
        cfi_txt=f"{cuts['metric']['cfi']:.3f}",
        rmsea_txt=f"{cuts['metric']['rmsea']:.3f}",
        srmr_txt=", ".join(f"{lev} {c['srmr']:.3f}" for lev, c in cuts.items()),
        n_txt=">" if cutset == "large" else "<=",
    )
    table.attrs["identification"] = {
        name: (
            "Wu & Estabrook (2016)"
            if ordinal and name in ordinal["we_levels"]
            else "lavaan group.equal"
        )
        for name, _ in plan
    }
    if ordinal:
        table.attrs["basis"] += (
            " With ordered indicators the levels follow Wu & Estabrook (2016) (threshold "
            "invariance first, then loadings, then intercepts); the table reports lavaan's "
            "scaled chi-square with its p-value and the scaled CFI, TLI and RMSEA (and SRMR), "
            "the changes are computed on those, and the difference test is lavaan's "
            f"lavTestLRT default for {str(fit_kwargs.get('estimator', 'WLSMV')).upper()} "
            "(Satorra, 2000, scaled and shifted; Satorra & Bentler, 2001, for WLSM). Chen's "
            "(2007) cut-offs were derived for ML with continuous indicators: for ordinal data "
            "they are guidance only, and the thresholds level has none."
        )
    if robust:
        table.attrs["basis"] += (
            " Under MLR the table reports the scaled chi-square (Yuan-Bentler) with its p-value "
            "and the robust CFI, TLI and RMSEA (Brosseau-Liard & Savalei), the changes are "
            "computed on those, and the difference test is the Satorra-Bentler scaled test; "
            "Chen's cut-offs were not derived for these robust versions."
        )
    return table
