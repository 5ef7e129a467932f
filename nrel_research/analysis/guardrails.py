"""Guardrails that run before and after the N-REL tests: sample size per group, multiplicity.

* :func:`group_sizes` checks, before a multiple-group model, that every group has enough cases
  for the parameters it must estimate, and warns with the number needed;
* :func:`sector_design` chooses how sectors can be compared with the data at hand (a
  multiple-group model per sector, sectors pooled into broader groups, or a MIMIC model with
  sector indicators), by the same rule;
* :func:`adjust_pvalues` controls the error rate across a family of tests (e.g. the
  propositions table) by Holm's method or the Benjamini-Hochberg false discovery rate.

The sample-size rule is a rule of thumb and is stated as such: at least ``ratio`` cases per
free parameter of a group's model and never fewer than ``minimum`` cases (Bentler & Chou,
1987, suggest 5 per parameter with normal data; Kline, 2016, prefers 10-20; Jackson, 2003,
finds the N:q ratio matters less than absolute N). A Monte Carlo study with the simulator
(:func:`nrel_research.data.simulate_study`) under the planned model is the better check of
power; the rule catches designs that cannot work.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from statsmodels.stats.multitest import multipletests

from .._validation import check_choice, check_columns, check_positive_int
from ..exceptions import DataQualityWarning, NrelError
from ..sem import parse_model

__all__ = [
    "ISIC_BROAD_GROUPS",
    "SampleSizeWarning",
    "adjust_pvalues",
    "free_parameters_per_group",
    "group_sizes",
    "mimic_model",
    "sector_design",
]

#: ISIC Rev.4 sections pooled into goods-producing and service industries (sections A-F are
#: agriculture, mining, manufacturing, utilities and construction; G-U services).
ISIC_BROAD_GROUPS: Mapping[str, str] = {
    **{s: "goods" for s in "ABCDEF"},
    **{s: "services" for s in "GHIJKLMNOPQRSTU"},
}


class SampleSizeWarning(DataQualityWarning):
    """A group has fewer cases than the sample-size rule asks for its model."""


def free_parameters_per_group(model: str, *, meanstructure: bool = True) -> int:
    """Count the free parameters one group of a multiple-group model estimates.

    Counts the configural model of one group as lavaan sets it up (loadings, paths,
    variances, covariances and, with a mean structure, intercepts; fixed-x covariates'
    moments are not free parameters).

    Examples
    --------
    >>> free_parameters_per_group("f =~ x1 + x2 + x3")  # 2 loadings, 4 variances, 3 intercepts
    9
    """
    pt = parse_model(model, meanstructure=meanstructure)
    return int((pt.table["free"] > 0).sum())


def _rule(ratio: int, minimum: int) -> str:
    return (
        f"at least {ratio} cases per free parameter of a group's model and at least {minimum} "
        "cases per group (rule of thumb: Bentler & Chou, 1987; Kline, 2016); confirm power by "
        "Monte Carlo simulation"
    )


def group_sizes(
    model: str,
    data: pd.DataFrame,
    group: str,
    *,
    ratio: int = 5,
    minimum: int = 100,
    warn: bool = True,
    data_name: str = "the data",
) -> pd.DataFrame:
    r"""Check every group's size against the parameters its model estimates.

    Parameters
    ----------
    model : str
        lavaan syntax of the model to be fitted in every group.
    data : pandas.DataFrame
        The analysis data (rows with a missing group label are not counted).
    group : str
        The grouping column (e.g. ``"market_type"``).
    ratio : int, default 5
        Cases required per free parameter of one group's model.
    minimum : int, default 100
        Cases required per group whatever the model.
    warn : bool, default True
        Issue a :class:`SampleSizeWarning` naming each group that falls short and the
        number of cases it needs.
    data_name : str
        How to name the data in messages.

    Returns
    -------
    pandas.DataFrame
        One row per group (order of first appearance, as lavaan): ``group, n`` (rows with
        the label and at least one observed model variable), ``npar`` (free parameters
        per group), ``needed``, ``ok`` and ``shortfall``; ``attrs["rule"]`` states the rule.

    Examples
    --------
    >>> from nrel_research.datasets import load_dataset
    >>> hs = load_dataset("holzinger_swineford_1939")
    >>> model = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"
    >>> group_sizes(model, hs, "school", warn=False)
             group    n  npar  needed     ok  shortfall
    0      Pasteur  156    30     150   True          0
    1  Grant-White  145    30     150  False          5
    """
    ratio = check_positive_int(ratio, "ratio")
    minimum = check_positive_int(minimum, "minimum")
    if not isinstance(group, str):
        raise NrelError(f"group={group!r} is not valid; give the name of a column of {data_name}.")
    pt = parse_model(model, meanstructure=True)
    check_columns(data, [group, *pt.ov_names], data_name=data_name)
    npar = free_parameters_per_group(model)
    needed = max(minimum, ratio * npar)
    seen = data[pt.ov_names].notna().any(axis=1)
    labels = data[group]
    order = list(pd.unique(labels[labels.notna()]))
    if not order:
        raise NrelError(
            f"{data_name}, column {group!r} has no non-missing group label; fill in the groups."
        )
    rows = []
    for lab in order:
        n = int((seen & (labels == lab)).sum())
        rows.append((lab, n, npar, needed, n >= needed, max(0, needed - n)))
    out = pd.DataFrame(rows, columns=["group", "n", "npar", "needed", "ok", "shortfall"])
    out.attrs["rule"] = _rule(ratio, minimum)
    short = out[~out["ok"]]
    if warn and len(short):
        which = ", ".join(
            f"{g!r} has {n} (needs {k})"
            for g, n, k in zip(short["group"], short["n"], short["needed"], strict=True)
        )
        warnings.warn(
            f"{data_name}, column {group!r}: the model estimates {npar} free parameters per "
            f"group; {which}. Rule: {out.attrs['rule']}. Simplify the model (fewer constructs, "
            "parcels or composites), pool groups, or use a MIMIC model.",
            SampleSizeWarning,
            stacklevel=2,
        )
    return out


def sector_design(
    model: str,
    data: pd.DataFrame,
    sector: str = "sector",
    *,
    pooling: Mapping[str, str] | None = None,
    ratio: int = 5,
    minimum: int = 100,
    data_name: str = "the data",
) -> dict:
    """Choose an identifiable design for comparing sectors (proposition P5).

    With hundreds of firms spread over several sectors a multiple-group model per sector
    is rarely estimable. In order of preference: (1) ``"multigroup"`` by sector when every
    sector meets the sample-size rule; (2) ``"pooled"``: a multiple-group model on broader
    groups (``pooling``, by default goods vs services industries,
    :data:`ISIC_BROAD_GROUPS`) when every pooled group meets it; (3) ``"mimic"``: one
    model on the whole sample with sector indicators predicting the constructs (MIMIC;
    Jöreskog & Goldberger, 1975), which needs the rule to hold for the whole sample with
    one extra parameter per sector dummy and construct; otherwise (4)
    ``"insufficient"``.

    Returns
    -------
    dict
        ``design``, ``reason`` (a sentence for the report), ``groups`` (the
        :func:`group_sizes` table of the chosen grouping, or of the sectors) and
        ``pooling`` (the mapping used, for ``"pooled"``).

    Examples
    --------
    >>> from nrel_research.analysis import build_model
    >>> from nrel_research.data import load_bundled_study
    >>> r = load_bundled_study().responses.query("consent == 1 and second_informant == 0")
    >>> spec = build_model(actions=["E2"], antecedents=[], outcomes=["marketing_performance"])
    >>> choice = sector_design(spec.cfa_syntax, spec.prepare(r))
    >>> choice["design"]
    'mimic'
    """
    ratio = check_positive_int(ratio, "ratio")
    minimum = check_positive_int(minimum, "minimum")
    by_sector = group_sizes(
        model, data, sector, ratio=ratio, minimum=minimum, warn=False, data_name=data_name
    )
    if bool(by_sector["ok"].all()):
        return {
            "design": "multigroup",
            "reason": (
                f"every sector has enough firms for a multiple-group model "
                f"({_rule(ratio, minimum)})."
            ),
            "groups": by_sector,
            "pooling": None,
        }
    mapping = dict(ISIC_BROAD_GROUPS if pooling is None else pooling)
    missing = sorted(set(map(str, by_sector["group"])) - set(mapping))
    if missing:
        raise NrelError(
            f"{data_name}, column {sector!r}: sector(s) {', '.join(missing)} have no pooled "
            "group in `pooling`; map every sector to a group."
        )
    pooled_col = data[sector].astype("string").map(mapping)
    pooled = group_sizes(
        model,
        data.assign(**{f"{sector}_pooled": pooled_col}),
        f"{sector}_pooled",
        ratio=ratio,
        minimum=minimum,
        warn=False,
        data_name=data_name,
    )
    if len(pooled) >= 2 and bool(pooled["ok"].all()):
        return {
            "design": "pooled",
            "reason": (
                "too few firms per sector for a multiple-group model by sector (smallest: "
                f"{int(by_sector['n'].min())}, needed {int(by_sector['needed'].iloc[0])}); "
                f"sectors pooled into {', '.join(map(str, pooled['group']))}."
            ),
            "groups": pooled,
            "pooling": mapping,
        }
    pt = parse_model(model, meanstructure=True)
    n_total = int(by_sector["n"].sum())
    n_dummies = len(by_sector) - 1
    npar_mimic = free_parameters_per_group(model) + n_dummies * max(1, len(pt.lv_names))
    needed = max(minimum, ratio * npar_mimic)
    if n_total >= needed:
        return {
            "design": "mimic",
            "reason": (
                "neither sectors nor pooled sector groups have enough firms for a "
                f"multiple-group model; a MIMIC model with {n_dummies} sector indicator(s) "
                f"estimates {npar_mimic} parameters on {n_total} firms (needed {needed})."
            ),
            "groups": by_sector,
            "pooling": None,
        }
    return {
        "design": "insufficient",
        "reason": (
            f"{n_total} firms are too few even for a MIMIC model of sectors ({npar_mimic} "
            f"parameters, needed {needed}); simplify the model or collect more data."
        ),
        "groups": by_sector,
        "pooling": None,
    }


def adjust_pvalues(
    pvalues: Sequence[float] | pd.Series | np.ndarray, method: str = "holm"
) -> np.ndarray | pd.Series:
    """Adjust a family of p-values for multiplicity.

    Parameters
    ----------
    pvalues : sequence, Series or array
        Unadjusted p-values (NaN stays NaN and is left out of the family).
    method : {"holm", "fdr_bh", "bonferroni"}, default "holm"
        Holm's (1979) step-down method controls the family-wise error rate; ``"fdr_bh"``
        the false discovery rate (Benjamini & Hochberg, 1995). Computed with statsmodels'
        ``multipletests`` (checked against R's ``p.adjust`` in the tests).

    Returns
    -------
    numpy.ndarray or pandas.Series
        Adjusted p-values, same shape and index.

    Examples
    --------
    >>> adjust_pvalues([0.01, 0.04, 0.03, float("nan")]).round(3).tolist()
    [0.03, 0.06, 0.06, nan]
    """
    method = check_choice(method, "method", ["holm", "fdr_bh", "bonferroni"])
    arr = np.asarray(pvalues, dtype=float)
    if arr.ndim != 1:
        raise NrelError("pvalues must be one-dimensional (one p-value per test).")
    bad = np.flatnonzero(~np.isnan(arr) & ((arr < 0) | (arr > 1)))
    if bad.size:
        raise NrelError(
            f"pvalues[{int(bad[0])}] = {float(arr[bad[0]])!r} is not a probability; "
            "p-values lie in [0, 1]."
        )
    out = np.full_like(arr, np.nan)
    ok = ~np.isnan(arr)
    if ok.any():
        out[ok] = multipletests(arr[ok], method=method)[1]
    if isinstance(pvalues, pd.Series):
        return pd.Series(out, index=pvalues.index, name=pvalues.name)
    return out


def _dummy_name(column: str, level) -> str:
    text = re.sub(r"[^0-9A-Za-z_]", "_", str(level))
    return f"{column}_{text}"


def mimic_model(
    model: str,
    data: pd.DataFrame,
    column: str,
    *,
    reference=None,
    estimator: str = "MLR",
    missing: str = "fiml",
    data_name: str = "the data",
) -> dict:
    r"""Compare groups too small for a multiple-group model with a MIMIC model.

    Every latent variable of ``model`` is regressed on indicator (dummy) variables of
    ``column`` (multiple indicators, multiple causes; Jöreskog & Goldberger, 1975; Muthén,
    1989): one model on the whole sample, whose dummy coefficients are the differences of
    the latent means from the reference group, under the assumption that loadings and
    intercepts are the same in every group (a MIMIC model tests mean differences, not
    differences in loadings or paths). The dummies are declared random variables (their
    variances and covariances are free), as FIML and MLR need; the joint Wald test that
    every group effect is zero is the overall test of group differences.

    Parameters
    ----------
    model : str
        lavaan syntax of the measurement model (its latent variables get the dummies).
    data : pandas.DataFrame
    column : str
        The grouping column (e.g. ``"sector"``); rows where it is missing are left out.
    reference : optional
        The reference group (default: the largest).
    estimator, missing : str
        Passed to :func:`nrel_research.sem.fit` (default MLR with FIML).

    Returns
    -------
    dict
        ``result`` (the fitted :class:`~nrel_research.sem.SEMResult`), ``syntax``,
        ``reference``, ``dummies`` (group -> dummy column), ``effects`` (one row per latent
        variable and group: ``lhs, group, est, se, z, pvalue, std_all``) and ``wald``
        (``stat, df, pvalue`` of all effects being zero).

    Examples
    --------
    >>> from nrel_research.datasets import load_dataset
    >>> hs = load_dataset("holzinger_swineford_1939")
    >>> m = mimic_model("visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6", hs, "school",
    ...                 estimator="ML", missing="listwise")
    >>> m["reference"], m["effects"][["lhs", "group"]].values.tolist()
    ('Pasteur', [['visual', 'Grant-White'], ['textual', 'Grant-White']])
    """
    from scipy import stats as _stats

    from .. import sem

    check_columns(data, [column], data_name=data_name)
    pt = parse_model(model)
    if not pt.lv_names:
        raise NrelError("mimic_model() needs latent variables (=~) in the model.")
    labels = data[column]
    counts = labels[labels.notna()].astype(str).value_counts()
    if len(counts) < 2:
        raise NrelError(
            f"{data_name}, column {column!r} has {len(counts)} group(s); a MIMIC comparison "
            "needs at least two."
        )
    ref = str(counts.index[0]) if reference is None else str(reference)
    if ref not in counts.index:
        raise NrelError(
            f"{data_name}, column {column!r}: reference={reference!r} does not occur; its "
            f"groups are {', '.join(counts.index)}."
        )
    others = [g for g in counts.index if g != ref]
    dummies = {g: _dummy_name(column, g) for g in others}
    clash = [d for d in dummies.values() if d in data.columns or d in pt.ov_names]
    if clash:
        raise NrelError(f"mimic_model(): column name(s) {', '.join(clash)} already exist.")
    work = data[labels.notna()].copy()
    for g, d in dummies.items():
        work[d] = (work[column].astype(str) == g).astype(float)
    names = list(dummies.values())
    lines = [model.rstrip()]
    for lv in pt.lv_names:
        lines.append(f"{lv} ~ " + " + ".join(names))
    for i, a in enumerate(names):
        lines.append(f"{a} ~~ " + " + ".join(names[i:]))
    syntax = "\n".join(lines) + "\n"
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*treated as random.*")
        res = sem.fit(syntax, work, estimator=estimator, missing=missing, data_name=data_name)
    est = res.estimates()
    back = {d: g for g, d in dummies.items()}
    eff = est[(est["op"] == "~") & est["rhs"].isin(names)].copy()
    eff.insert(1, "group", eff["rhs"].map(back))
    effects = eff[["lhs", "group", "est", "se", "z", "pvalue", "std_all"]].reset_index(drop=True)
    t = res.model.table
    rows = t.index[(t["op"] == "~") & t["rhs"].isin(names)].to_numpy()
    idx = res.model.free[rows] - 1
    b = np.asarray(res.theta)[idx]
    v = np.asarray(res.vcov)[np.ix_(idx, idx)]
    w = float(b @ np.linalg.solve(v, b))
    return {
        "result": res,
        "syntax": syntax,
        "reference": ref,
        "dummies": dummies,
        "effects": effects,
        "wald": {"stat": w, "df": len(idx), "pvalue": float(_stats.chi2.sf(w, len(idx)))},
    }
