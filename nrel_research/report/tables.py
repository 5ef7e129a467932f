"""Publication tables (APA style) from fitted models, as DataFrames.

Every table is a tidy :class:`pandas.DataFrame` of numbers (for CSV export and further work);
:func:`apa` turns any of them into a display table of strings formatted by the APA
Publication Manual (7th ed., sections 6.36 and 7.21): two decimals, three for p-values,
``< .001`` for small p-values and no leading zero for statistics that cannot exceed 1
(correlations, standardized loadings and paths, reliabilities, p-values, fit indices). The
display table keeps pandas' ``to_markdown``, ``to_html`` and ``to_latex``.

The numbers come from :mod:`nrel_research.sem` (checked against lavaan and semTools); these
functions only assemble them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from ..exceptions import NrelError
from ..sem import SEMResult
from ..sem import reliability as _reliability

__all__ = ["BOUNDED", "ApaTable", "apa", "fit_table", "measurement_table", "structural_table"]

#: Columns whose values cannot exceed 1 in absolute value (no leading zero in APA style).
BOUNDED = frozenset(
    {
        "loading",
        "beta",
        "std_all",
        "r",
        "pvalue",
        "pvalue_adjusted",
        "pvalue_diff",
        "pvalue_scaled",
        "alpha",
        "cr",
        "omega",
        "ave",
        "cfi",
        "tli",
        "rmsea",
        "rmsea_ci_lower",
        "rmsea_ci_upper",
        "srmr",
        "cfi_robust",
        "tli_robust",
        "rmsea_robust",
        "delta_cfi",
        "delta_rmsea",
        "delta_srmr",
        "r2",
        "beta_ci_lower",
        "beta_ci_upper",
    }
)
_INTEGER = frozenset(
    {"df", "n", "npar", "ntotal", "n_items", "df_diff", "n_paths", "n_expected", "n_opposite"}
)


def _check_result(result, what="result"):
    if not isinstance(result, SEMResult):
        raise NrelError(
            f"{what} is a {type(result).__name__}; pass a fitted model from "
            "nrel_research.sem.fit()."
        )


def measurement_table(result: SEMResult, *, reliability: pd.DataFrame | None = None):
    r"""Tabulate the measurement model: standardized loadings with reliability and validity.

    Parameters
    ----------
    result : SEMResult
        A fitted CFA or full SEM (:func:`nrel_research.sem.fit`).
    reliability : pandas.DataFrame, optional
        :func:`nrel_research.sem.reliability` of ``result`` (computed if not given).

    Returns
    -------
    pandas.DataFrame
        One row per indicator: ``construct, indicator, loading`` (completely standardized,
        lavaan ``std.all``), ``estimate, se, pvalue`` (unstandardized; SE and p are
        missing for the marker indicator whose loading is fixed), and the construct's
        ``alpha`` (Cronbach), ``cr`` (composite reliability, omega as semTools
        ``compRelSEM``) and ``ave`` repeated on its rows. Multiple-group fits get a
        ``group`` column.

    Examples
    --------
    >>> from nrel_research import sem
    >>> from nrel_research.datasets import load_dataset
    >>> res = sem.fit("visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6",
    ...               load_dataset("holzinger_swineford_1939"))
    >>> t = measurement_table(res)
    >>> t[["construct", "indicator", "loading", "cr", "ave"]].round(3).head(3)
      construct indicator  loading     cr    ave
    0    visual        x1    0.778  0.613  0.371
    1    visual        x2    0.431  0.613  0.371
    2    visual        x3    0.568  0.613  0.371
    """
    _check_result(result)
    est = result.estimates()
    load = est[est["op"] == "=~"].copy()
    if load.empty:
        raise NrelError("the model has no latent variables (=~); there is no measurement table.")
    rel = _reliability(result) if reliability is None else reliability
    rel = rel.rename(columns={"factor": "construct", "omega": "cr"})
    keys = ["construct"] + (["group"] if "group" in rel.columns else [])
    cols = {
        "lhs": "construct",
        "rhs": "indicator",
        "std_all": "loading",
        "est": "estimate",
    }
    out = load.rename(columns=cols)
    front = (["group"] if "group" in out.columns else []) + ["construct", "indicator"]
    out = out[[*front, "loading", "estimate", "se", "pvalue"]].copy()
    fixed = out["se"].fillna(0.0).eq(0.0) & out["pvalue"].isna()
    out.loc[fixed, "se"] = np.nan  # a fixed (marker) loading has no standard error
    out = out.merge(rel[[*keys, "alpha", "cr", "ave"]], on=keys, how="left")
    return out.reset_index(drop=True)


def structural_table(
    result: SEMResult,
    *,
    sources: pd.DataFrame | Mapping[tuple[str, str], str] | None = None,
    level: float = 0.95,
) -> pd.DataFrame:
    r"""Tabulate the structural paths: unstandardized and standardized estimates with CIs.

    Parameters
    ----------
    result : SEMResult
    sources : DataFrame or mapping, optional
        Where each path comes from: :attr:`nrel_research.analysis.ModelSpec.paths`
        (columns ``lhs, rhs, source``) or ``{(outcome, predictor): source}``; adds a
        ``source`` column (e.g. the proposition a path tests).
    level : float, default 0.95
        Confidence level of the CIs.

    Returns
    -------
    pandas.DataFrame
        One row per regression: ``outcome, predictor, estimate, se, z, pvalue, ci_lower,
        ci_upper, beta`` (lavaan ``std.all``) [, ``group``] [, ``source``]; defined
        parameters (``:=``, e.g. indirect effects) follow with ``op`` ``":="``.

    Examples
    --------
    >>> from nrel_research import sem
    >>> from nrel_research.datasets import load_dataset
    >>> res = sem.fit("ind60 =~ x1 + x2 + x3\ndem60 =~ y1 + y2 + y3 + y4\ndem60 ~ ind60",
    ...               load_dataset("political_democracy"))
    >>> structural_table(res)[["outcome", "predictor", "estimate", "beta"]].round(3)
      outcome predictor  estimate  beta
    0   dem60     ind60     1.439  0.46
    """
    _check_result(result)
    est = result.estimates(level=level)
    part = est[est["op"].isin(["~", ":="])].copy()
    if part.empty:
        raise NrelError("the model has no regressions (~) or defined parameters (:=).")
    out = part.rename(
        columns={"lhs": "outcome", "rhs": "predictor", "est": "estimate", "std_all": "beta"}
    )
    front = (["group"] if "group" in out.columns else []) + ["outcome", "predictor"]
    out = out[
        [*front, "op", "label", "estimate", "se", "z", "pvalue", "ci_lower", "ci_upper", "beta"]
    ]
    if sources is not None:
        if isinstance(sources, pd.DataFrame):
            missing = {"lhs", "rhs", "source"} - set(sources.columns)
            if missing:
                raise NrelError(
                    f"sources lacks column(s) {', '.join(sorted(missing))}; pass "
                    "ModelSpec.paths or a {(outcome, predictor): source} mapping."
                )
            mapping = {
                (a, b): s
                for a, b, s in zip(sources["lhs"], sources["rhs"], sources["source"], strict=True)
            }
        else:
            mapping = dict(sources)
        out["source"] = [
            mapping.get((a, b), "") for a, b in zip(out["outcome"], out["predictor"], strict=True)
        ]
    return out.reset_index(drop=True)


_FIT_COLUMNS = [
    "ntotal",
    "npar",
    "chisq",
    "df",
    "pvalue",
    "chisq_scaled",
    "chisq_scaling_factor",
    "pvalue_scaled",
    "cfi",
    "tli",
    "rmsea",
    "rmsea_ci_lower",
    "rmsea_ci_upper",
    "srmr",
    "cfi_robust",
    "tli_robust",
    "rmsea_robust",
    "aic",
    "bic",
]


def fit_table(results: Mapping[str, SEMResult] | Iterable[SEMResult]) -> pd.DataFrame:
    r"""Tabulate the fit statistics of one or more models side by side, one row per model.

    Columns (lavaan's names, ``.`` -> ``_``): ``ntotal, npar, chisq, df, pvalue``, the
    scaled test (``chisq_scaled, chisq_scaling_factor, pvalue_scaled``) and robust
    indices when the estimator gives them (missing otherwise), ``cfi, tli, rmsea`` with
    its 90% CI, ``srmr, aic, bic``. Report the scaled test and robust indices for MLR.

    Examples
    --------
    >>> from nrel_research import sem
    >>> from nrel_research.datasets import load_dataset
    >>> hs = load_dataset("holzinger_swineford_1939")
    >>> m = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"
    >>> t = fit_table({"ML": sem.fit(m, hs), "MLR": sem.fit(m, hs, estimator="MLR")})
    >>> t[["chisq", "df", "chisq_scaled", "cfi"]].round(3)
          chisq    df  chisq_scaled    cfi
    ML   85.306  24.0           NaN  0.931
    MLR  85.306  24.0        87.132  0.931
    """
    if isinstance(results, SEMResult):
        results = {"model": results}
    if not isinstance(results, Mapping):
        results = {f"model {k + 1}": r for k, r in enumerate(results)}
    if not results:
        raise NrelError("no fitted models given; pass {name: sem.fit(...)}.")
    rows = {}
    for name, res in results.items():
        _check_result(res, f"results[{name!r}]")
        rows[name] = res.fit_measures().reindex(_FIT_COLUMNS).astype(float)
    return pd.DataFrame(rows).T


class ApaTable(pd.DataFrame):
    """A DataFrame of formatted strings whose ``to_markdown`` does not re-parse numbers."""

    @property
    def _constructor(self):
        return ApaTable

    def to_markdown(self, buf=None, mode="wt", index=True, storage_options=None, **kwargs):
        """Markdown table (pandas ``to_markdown``) with ``disable_numparse=True``."""
        kwargs.setdefault("disable_numparse", True)
        return super().to_markdown(
            buf, mode=mode, index=index, storage_options=storage_options, **kwargs
        )


def _fmt_p(p: float, p_digits: int) -> str:
    if not np.isfinite(p):
        return ""
    floor = 10.0**-p_digits
    if p < floor:
        return "< " + f"{floor:.{p_digits}f}".lstrip("0")
    s = f"{p:.{p_digits}f}"
    return "1.000"[: p_digits + 2] if s.startswith("1") else s.lstrip("0")


def _fmt_num(x: float, digits: int, bounded: bool) -> str:
    if not np.isfinite(x):
        return ""
    s = f"{x:.{digits}f}"
    if bounded:
        s = s.replace("0.", ".", 1) if s.startswith(("0.", "-0.")) else s
    if s in ("-." + "0" * digits, "-0." + "0" * digits):
        s = s.lstrip("-")
    return s


def apa(
    table: pd.DataFrame,
    *,
    digits: int = 2,
    p_digits: int = 3,
    bounded: Iterable[str] = BOUNDED,
) -> pd.DataFrame:
    """Format a numeric table for publication (APA 7th ed.).

    Parameters
    ----------
    table : pandas.DataFrame
        Any table of this module (or of the analysis functions).
    digits : int, default 2
        Decimals of ordinary numbers.
    p_digits : int, default 3
        Decimals of p-values (columns whose name starts with ``pvalue``, ``p_value`` or
        ``p_adjusted``); smaller values
        print as ``< .001``.
    bounded : iterable of str
        Columns printed without a leading zero (values that cannot exceed 1).

    Returns
    -------
    ApaTable
        A DataFrame of strings; missing values are empty. Integer-valued count columns
        (``df``, ``n``, ``npar``) print without decimals. Its ``to_markdown`` keeps the
        strings as formatted (tabulate would otherwise re-parse ``.46`` as a number).

    Examples
    --------
    >>> t = pd.DataFrame({"beta": [0.456, -0.05], "pvalue": [0.0002, 0.5612], "df": [24.0, 3.0]})
    >>> apa(t)
       beta  pvalue  df
    0   .46  < .001  24
    1  -.05    .561   3
    >>> print(apa(t).to_markdown(index=False))
    | beta   | pvalue   | df   |
    |:-------|:---------|:-----|
    | .46    | < .001   | 24   |
    | -.05   | .561     | 3    |
    """
    if not isinstance(table, pd.DataFrame):
        raise NrelError(f"apa() formats a DataFrame, not a {type(table).__name__}.")
    bounded = set(bounded)
    out = ApaTable(index=table.index)
    for col in table.columns:
        s = table[col]
        if not pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s):
            out[col] = s.astype(object).where(s.notna(), "")
            continue
        v = s.to_numpy(dtype=float)
        name = str(col)
        if name.startswith(("pvalue", "p_value", "p_adjusted")):
            out[col] = [_fmt_p(x, p_digits) for x in v]
        elif name in _INTEGER or pd.api.types.is_integer_dtype(s):
            out[col] = ["" if not np.isfinite(x) else f"{x:.0f}" for x in v]
        else:
            out[col] = [_fmt_num(x, digits, name in bounded) for x in v]
    return out
