"""Survey-validity checks: common-method variance, nonresponse bias and endogeneity.

A single-informant, cross-sectional survey measures the N-REL action types and the
performance outcomes with the same instrument, from the same respondent, at the same time.
Reviewers therefore ask for evidence on three threats, each answered here by the method a
marketing journal expects, with the older methods kept only where they are still asked for:

- **Common-method variance (CMV).** :func:`marker_technique` is the main evidence: the
  comprehensive CFA marker technique of Williams, Hartman & Cavazotte (2010), which needs a
  theoretically unrelated marker construct measured in the same survey (the N-REL instrument
  carries one: ``mk_1``-``mk_3``, liking of the colour blue). :func:`method_factor` adds an
  unmeasured latent method construct (ULMC; Podsakoff et al., 2003), with its known
  weaknesses stated; :func:`harman_single_factor` gives Harman's single-factor figure as a
  legacy number only.
- **Nonresponse bias.** :func:`nonresponse_bias` compares early and late respondents
  (Armstrong & Overton, 1977) with Welch t tests, Hedges' g and chi-square tests, Holm-
  adjusted across variables.
- **Endogeneity.** :func:`copula_endogeneity` adds Gaussian-copula control functions (Park &
  Gupta, 2012) to an OLS regression of performance on action-type scores, as a sensitivity
  analysis.

None of these checks can prove the absence of a bias; each reports what the data can say,
and the results remain associations on cross-sectional data.

Oracles: ``tests/reference/survey_validity.R`` (lavaan 0.6-14, psych 2.2.9, base R
``t.test``, ``chisq.test``, ``shapiro.test``, ``ecdf``/``qnorm``/``lm``) on the bundled
simulated responses, stored in ``tests/reference/survey_validity.json``, and simulations
with known truth (``tests/test_analysis_validity.py``).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from .. import sem as _sem
from .._validation import check_choice, check_columns, check_positive_int, check_rng
from ..exceptions import (
    DataError,
    DataQualityWarning,
    ImproperSolutionWarning,
    NrelError,
    SpecificationError,
    WeakIdentificationWarning,
)
from .specification import ModelSpec

__all__ = [
    "CopulaResult",
    "MarkerTechniqueResult",
    "MethodFactorResult",
    "copula_endogeneity",
    "harman_single_factor",
    "marker_technique",
    "method_factor",
    "nonresponse_bias",
]

#: The marker items of the bundled N-REL instrument (liking of the colour blue).
DEFAULT_MARKER = ("mk_1", "mk_2", "mk_3")

_MARKER_CAVEAT = (
    "The CFA marker technique assumes that the marker construct is theoretically unrelated "
    "to the substantive constructs (so that its shared variance with them is method "
    "variance) and that it is affected by the same method effects (same survey, format and "
    "informant). It detects only the method variance the marker shares; a marker that "
    "mostly measures its own trait understates common-method variance (Williams, Hartman & "
    "Cavazotte, 2010; Simmering et al., 2015)."
)
_HARMAN_CAVEAT = (
    "Harman's single-factor test is a legacy figure, not evidence against common-method "
    "bias: a first factor below 50% of the variance does not rule out method variance that "
    "biases the estimates, and the test is insensitive (Podsakoff, MacKenzie, Lee & "
    "Podsakoff, 2003). Use the CFA marker technique (marker_technique) instead."
)
_ULMC_CAVEAT = (
    "An unmeasured latent method construct (ULMC) absorbs every source of shared variance "
    "not in the model -- substantive covariance as well as method variance -- and does not "
    "identify the method source (Podsakoff et al., 2003). In simulations it "
    "detected method variance poorly and sometimes 'corrected' estimates that were not "
    "biased (Richardson, Simmering & Sturman, 2009); free method loadings can be "
    "empirically under-identified. Report it next to, never instead of, a measured marker."
)


# ---------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------
def _fmt(value: float) -> str:
    """Format a fixed value for lavaan syntax (fixed notation, full precision)."""
    return f"{float(value):.12f}"


def _chisq_difference(restricted, general, *, label_restricted: str, label_general: str):
    """ML likelihood-ratio (chi-square difference) test of nested models.

    A private stand-in for lavaan's ``lavTestLRT(method = "standard")`` on ML fits: the
    difference of the two ML chi-squares, referred to a chi-square distribution with the
    difference of the degrees of freedom.
    """
    f0, f1 = restricted.fit_measures(), general.fit_measures()
    d_chisq = float(f0["chisq"] - f1["chisq"])
    d_df = round(float(f0["df"] - f1["df"]))
    if d_df <= 0:
        raise SpecificationError(
            f"{label_restricted} ({int(f0['df'])} df) is not nested in {label_general} "
            f"({int(f1['df'])} df) with fewer parameters; the chi-square difference test "
            "needs the restricted model to have more degrees of freedom."
        )
    p = float(stats.chi2.sf(max(d_chisq, 0.0), d_df))
    return d_chisq, d_df, p


def _check_ml(estimator: str) -> str:
    est = check_choice(estimator, "estimator", ["ML"], normalize=True, error=NrelError)
    return est


def _parse_measurement(model, data, data_name):
    """Return (measurement dict factor -> indicators, full syntax, prepared data, notes)."""
    notes: list[str] = []
    if isinstance(model, ModelSpec):
        data = model.prepare(data, data_name=data_name)
        m = model.measurement[model.measurement["modelled_as"] == "reflective"]
        meas = {k: list(g["indicator"]) for k, g in m.groupby("construct", sort=False)}
        syntax = model.syntax
    elif isinstance(model, str):
        table = _sem.parse_model(model).table
        lv = set(table.loc[table["op"] == "=~", "lhs"])
        meas = {}
        for _, row in table[table["op"] == "=~"].iterrows():
            if row["rhs"] in lv:
                continue  # higher-order factors: their first-order factors carry indicators
            meas.setdefault(row["lhs"], []).append(row["rhs"])
        syntax = model
        if not isinstance(data, pd.DataFrame):
            check_columns(data, [], data_name=data_name)
    else:
        raise SpecificationError(
            f"got a {type(model).__name__} as the model; pass lavaan syntax (str) or a "
            "ModelSpec from nrel_research.analysis.build_model()."
        )
    if not meas:
        raise SpecificationError(
            "the model has no measurement part (no '=~' line with observed indicators); the "
            "method-variance checks need reflective constructs with items."
        )
    return meas, syntax, data, notes


def _lv_value(est: pd.DataFrame, a: str, b: str, col: str = "est") -> float:
    sel = (est["op"] == "~~") & (
        ((est["lhs"] == a) & (est["rhs"] == b)) | ((est["lhs"] == b) & (est["rhs"] == a))
    )
    return float(est.loc[sel, col].iloc[0])


def _row(est: pd.DataFrame, lhs: str, op: str, rhs: str, col: str = "est") -> float:
    sel = (est["lhs"] == lhs) & (est["op"] == op) & (est["rhs"] == rhs)
    return float(est.loc[sel, col].iloc[0])


def _fit(syntax, data, *, std_lv, missing, data_name):
    return _sem.fit(syntax, data, std_lv=std_lv, missing=missing, data_name=data_name)


def _fit_row(name: str, res) -> dict:
    fm = res.fit_measures()
    return {
        "model": name,
        "chisq": float(fm["chisq"]),
        "df": round(float(fm["df"])),
        "pvalue": float(fm["pvalue"]),
        "cfi": float(fm["cfi"]),
        "tli": float(fm["tli"]),
        "rmsea": float(fm["rmsea"]),
        "srmr": float(fm["srmr"]),
        "aic": float(fm["aic"]),
        "bic": float(fm["bic"]),
        "npar": int(fm["npar"]),
    }


# ---------------------------------------------------------------------------------------
# 1. CFA marker technique
# ---------------------------------------------------------------------------------------
@dataclass
class MarkerTechniqueResult:
    """The model sequence of the CFA marker technique (Williams et al., 2010).

    Attributes
    ----------
    comparisons : pandas.DataFrame
        One row per model (``CFA``, ``Baseline``, ``Method-C``, ``Method-U``, ``Method-R``)
        with its fit (``chisq, df, pvalue, cfi, tli, rmsea, srmr, aic, bic, npar``) and, for
        the tested models, the chi-square difference test against the model it is
        compared with (``compared_with, delta_chisq, delta_df, delta_pvalue``) and the
        ``hypothesis`` that test addresses.
    method_model : str
        ``"Method-C"`` or ``"Method-U"``: the model retained by the Method-C vs Method-U
        test, used for the variance and reliability decompositions and as Method-R's base.
    method_loadings : pandas.DataFrame
        ``factor, indicator, est, se, pvalue, std_all, method_share`` of the marker
        factor's loadings on the substantive indicators in the retained model
        (``method_share`` = squared completely standardized method loading).
    variance : pandas.DataFrame
        Per indicator: ``factor, indicator, substantive_share, method_share, error_share``
        (squared standardized loadings and standardized error variance; they sum to 1).
    reliability : pandas.DataFrame
        Per substantive factor: ``total, substantive, method`` reliability (the
        decomposition of Williams et al., 2010) and ``method_share_mean``.
    correlations : pandas.DataFrame
        Substantive factor correlations: ``lhs, rhs, cfa, baseline, method, difference``
        (``method`` - ``baseline``: the change once method variance is partialled out).
    marker_values : pandas.DataFrame
        The marker items' loadings and error variances from the CFA model, fixed in the
        later models.
    marker_correlations : pandas.DataFrame
        ``factor, r, se, pvalue``: the marker factor's correlations with the substantive
        factors in the CFA model -- a first indication of shared method variance (and, if
        large, a reason to doubt that the marker is theoretically unrelated).
    models : dict of str to SEMResult
        The fitted models.
    syntax : dict of str to str
        The lavaan syntax of each model (to reproduce them in lavaan with ``std.lv = TRUE``).
    nobs : int
        Rows used (the same in every model).
    notes : list of str
        Assumptions and decisions to state in a report.
    warnings : list of str
        Warnings of the individual fits (convergence, improper solutions).
    """

    comparisons: pd.DataFrame
    method_model: str
    method_loadings: pd.DataFrame
    variance: pd.DataFrame
    reliability: pd.DataFrame
    correlations: pd.DataFrame
    marker_values: pd.DataFrame
    marker_correlations: pd.DataFrame
    models: dict = field(repr=False)
    syntax: dict = field(repr=False)
    nobs: int = 0
    notes: list = field(default_factory=list)
    warnings: list = field(default_factory=list)

    @property
    def conclusions(self) -> list[str]:
        """The three tests of the model sequence in words (Williams et al., 2010)."""
        c = self.comparisons.set_index("model")
        out = []
        p = c.loc["Method-C", "delta_pvalue"]
        out.append(
            f"Baseline vs Method-C: chi-square difference {c.loc['Method-C', 'delta_chisq']:.2f} "
            f"(1 df), p = {p:.3g}: "
            + ("method variance associated with the marker is present."
               if p < 0.05 else "no method variance associated with the marker detected.")
        )  # fmt: skip
        p = c.loc["Method-U", "delta_pvalue"]
        out.append(
            f"Method-C vs Method-U: p = {p:.3g}: "
            + ("the method effects differ across indicators (Method-U retained)."
               if self.method_model == "Method-U"
               else "equal method effects are retained (Method-C).")
        )  # fmt: skip
        if pd.notna(c.loc["Method-R", "delta_pvalue"]):
            p = c.loc["Method-R", "delta_pvalue"]
            out.append(
                f"{self.method_model} vs Method-R: p = {p:.3g}: "
                + ("the substantive factor correlations change when method variance is "
                   "partialled out (see correlations)."
                   if p < 0.05 else "the substantive factor correlations are not "
                   "significantly biased by the marker-related method variance.")
            )  # fmt: skip
        return out

    def summary(self) -> str:
        """Return a text summary: comparisons, method variance, reliability decomposition."""
        cmp = self.comparisons[
            ["model", "chisq", "df", "cfi", "rmsea", "compared_with", "delta_chisq",
             "delta_df", "delta_pvalue"]
        ]  # fmt: skip
        lines = [
            "CFA marker technique (Williams, Hartman & Cavazotte, 2010)",
            f"Observations: {self.nobs}; retained method model: {self.method_model}",
            "",
            cmp.to_string(index=False, float_format=lambda v: f"{v:.3f}"),
            "",
            *self.conclusions,
            "",
            "Marker correlations with the substantive factors (CFA model):",
            self.marker_correlations.to_string(index=False, float_format=lambda v: f"{v:.3f}"),
            "",
            "Method variance (squared standardized marker loadings) by factor:",
            self.reliability.to_string(index=False, float_format=lambda v: f"{v:.3f}"),
            "",
            *[f"Note: {n}" for n in self.notes],
            *[f"Warning: {w}" for w in self.warnings],
        ]
        return "\n".join(lines)

    def __repr__(self) -> str:
        c = self.comparisons.set_index("model")
        p = c.loc["Method-C", "delta_pvalue"]
        return (
            f"<MarkerTechniqueResult N={self.nobs}, Baseline vs Method-C p={p:.3g}, "
            f"retained {self.method_model}>"
        )


def marker_technique(
    model: ModelSpec | str,
    data: pd.DataFrame,
    marker: Sequence[str] = DEFAULT_MARKER,
    *,
    marker_name: str = "marker",
    alpha: float = 0.05,
    estimator: str = "ML",
    missing: str = "listwise",
    data_name: str = "the response data",
) -> MarkerTechniqueResult:
    """Common-method variance by the comprehensive CFA marker technique.

    Implements the model sequence of Williams, Hartman & Cavazotte (2010) on
    the measurement model of ``model`` (its ``=~`` part; structural paths are not used:
    the technique works on the CFA with all substantive factors correlated). Every model is
    fitted with the factor variances fixed at 1 (``std_lv=True``, lavaan ``std.lv =
    TRUE``), as in the paper, so the marker loadings can be fixed in the later models:

    1. **CFA model**: the substantive factors and the marker factor (measured by the marker
       items), all factor correlations free. Its marker loadings and marker error variances
       are kept (``marker_values``).
    2. **Baseline model**: the marker factor orthogonal to the substantive factors, its
       loadings and its items' error variances fixed at the CFA values.
    3. **Method-C**: the Baseline plus loadings of the marker factor on every substantive
       indicator, constrained equal (one parameter). Baseline vs Method-C (1 df) tests
       whether there is method variance associated with the marker.
    4. **Method-U**: the method loadings free (unequal). Method-C vs Method-U tests whether
       the method effects are equal across indicators; the retained model
       (``method_model``) is Method-U if that test rejects at ``alpha``, else Method-C.
    5. **Method-R**: the retained model with the substantive factor correlations fixed at
       their Baseline values. Method-C/U vs Method-R tests whether the method variance
       biases the substantive correlations.

    Then the variance of each indicator is decomposed into substantive, method and error
    shares (squared completely standardized loadings of the retained model), and the
    reliability of each factor into a substantive and a method part (Williams et al.,
    2010): with standardized loadings ``l`` (substantive), ``m`` (method) and errors
    ``e``, total = ((sum l)^2 + (sum m)^2) / D, substantive = (sum l)^2 / D, method =
    (sum m)^2 / D with D = (sum l)^2 + (sum m)^2 + sum e.

    The marker must be **theoretically unrelated** to every substantive construct and
    share the method (same questionnaire, response format and informant); only then is
    its correlation with the substantive indicators method variance. The N-REL item bank's
    marker (``mk_1``-``mk_3``, liking of the colour blue) is placed in the same survey for
    this purpose. The technique detects the method variance the marker shares: a marker
    dominated by its own trait understates CMV (Simmering et al., 2015). The sensitivity
    analysis of the paper (marker values at their confidence limits) is not done here.

    Parameters
    ----------
    model : ModelSpec or str
        A model from :func:`nrel_research.analysis.build_model` (its reflective constructs
        are used; ``ModelSpec.prepare`` reverse-keys items) or lavaan syntax whose ``=~``
        lines give the substantive factors (reverse-key the data yourself).
    data : pandas.DataFrame
        The responses, with the model's indicators and the marker items.
    marker : sequence of str, default ("mk_1", "mk_2", "mk_3")
        The marker items (at least 2; 3 or more recommended).
    marker_name : str, default "marker"
        Name of the marker factor (must not be a factor of the model).
    alpha : float, default 0.05
        Level of the Method-C vs Method-U decision.
    estimator : {"ML"}
        Normal-theory ML (chi-square difference tests of ML fits).
    missing : {"listwise", "fiml"}
        Passed to :func:`nrel_research.sem.fit`; the same rows enter every model.
    data_name : str
        How to call the data in error messages.

    Returns
    -------
    MarkerTechniqueResult

    Raises
    ------
    DataError
        A marker item or indicator is not a column of ``data``.
    SpecificationError
        Fewer than 2 marker items, a marker item among the substantive indicators, or a
        marker name that is a factor of the model.

    Notes
    -----
    Checked against lavaan 0.6-14 (``cfa(..., std.lv = TRUE)`` of the same five models and
    ``lavTestLRT()``) on the bundled simulated study by ``tests/reference/survey_validity.R``,
    listwise and with FIML (``missing = "ml"``): chi-squares and chi-square differences to
    ``atol=1e-3``, method loadings and correlations to ``atol=1e-4`` (observed: 5e-5 and
    2e-6). A simulation
    with known truth (``tests/test_analysis_validity.py``) checks that the estimates match
    their population values and that no method variance is found when the population has
    none.

    References
    ----------
    Williams, L. J., Hartman, N., & Cavazotte, F. (2010). Method variance and marker
    variables: A review and comprehensive CFA marker technique. *Organizational Research
    Methods, 13*(3), 477-514.

    Simmering, M. J., Fuller, C. M., Richardson, H. A., Ocal, Y., & Atinc, G. M. (2015).
    Marker variable choice, reporting, and interpretation in the detection of common method
    variance. *Organizational Research Methods, 18*(3), 473-511.

    Examples
    --------
    >>> from nrel_research.analysis import build_model, marker_technique
    >>> from nrel_research.data import load_bundled_study
    >>> r = load_bundled_study().responses
    >>> r = r[(r["consent"] == 1) & (r["second_informant"] == 0)]
    >>> spec = build_model(antecedents=[], actions=["E1", "E6"],
    ...                    outcomes=["customer_relationship_performance"])
    >>> mt = marker_technique(spec, r)
    >>> mt.comparisons["model"].tolist()
    ['CFA', 'Baseline', 'Method-C', 'Method-U', 'Method-R']
    >>> mt.method_model in ("Method-C", "Method-U")
    True
    """
    _check_ml(estimator)
    if not (isinstance(alpha, float | int) and 0 < alpha < 1):
        raise NrelError(f"alpha={alpha!r} is not valid; use a level between 0 and 1.")
    if isinstance(marker, str):
        marker = (marker,)
    marker = list(dict.fromkeys(marker))
    if len(marker) < 2:
        raise SpecificationError(
            f"marker={marker!r}: the marker factor needs at least 2 items (3 or more "
            "recommended, Williams et al. 2010); pass e.g. marker=('mk_1', 'mk_2', 'mk_3')."
        )
    if not isinstance(data, pd.DataFrame):
        check_columns(data, [], data_name=data_name)
    absent = [m for m in marker if m not in data.columns]
    if absent:
        raise DataError(
            f"{data_name} lacks the marker item(s) {', '.join(map(repr, absent))}. The CFA "
            "marker technique needs a theoretically unrelated marker measured in the same "
            "survey (the N-REL instrument's marker block: mk_1, mk_2, mk_3); include it in "
            "the instrument or pass marker= with your marker items."
        )
    meas, _syntax, work, notes = _parse_measurement(model, data, data_name)
    inside = [(f, m) for f, items in meas.items() for m in marker if m in items]
    if inside:
        f, m = inside[0]
        raise SpecificationError(
            f"marker item {m!r} is an indicator of {f!r} in the substantive model; the marker "
            "must measure a separate, theoretically unrelated construct. Remove it from the "
            "model (or choose other marker items)."
        )
    if marker_name in meas:
        raise SpecificationError(
            f"marker_name={marker_name!r} is a factor of the model; choose another name."
        )
    factors = list(meas)
    indicators = [x for f in factors for x in meas[f]]
    check_columns(work, indicators, data_name=data_name)
    work = work.copy()
    for col in [*indicators, *marker]:
        work[col] = pd.to_numeric(work[col], errors="coerce").astype(float)
    missing = check_choice(missing, "missing", ["listwise", "fiml", "ml", "direct"], normalize=True)
    if missing == "listwise":
        work = work.dropna(subset=[*indicators, *marker])

    meas_lines = [f"{f} =~ " + " + ".join(meas[f]) for f in factors]
    cfa_syntax = "\n".join([*meas_lines, f"{marker_name} =~ " + " + ".join(marker)]) + "\n"
    fits: dict = {}
    syn: dict = {"CFA": cfa_syntax}
    fits["CFA"] = _fit(cfa_syntax, work, std_lv=True, missing=missing, data_name=data_name)
    est = fits["CFA"].estimates()
    load = {m: _row(est, marker_name, "=~", m) for m in marker}
    evar = {m: _row(est, m, "~~", m) for m in marker}
    marker_values = pd.DataFrame(
        {
            "indicator": marker,
            "loading": [load[m] for m in marker],
            "error_variance": [evar[m] for m in marker],
            "std_loading": [_row(est, marker_name, "=~", m, "std_all") for m in marker],
        }
    )
    marker_cor = pd.DataFrame(
        [
            {
                "factor": f,
                "r": _lv_value(est, marker_name, f),
                "se": _lv_value(est, marker_name, f, "se"),
                "pvalue": _lv_value(est, marker_name, f, "pvalue"),
            }
            for f in factors
        ]
    )
    fixed_marker = f"{marker_name} =~ " + " + ".join(f"{_fmt(load[m])}*{m}" for m in marker)
    fixed_errors = [f"{m} ~~ {_fmt(evar[m])}*{m}" for m in marker]
    orth = [f"{marker_name} ~~ 0*{f}" for f in factors]
    base_syntax = "\n".join([*meas_lines, fixed_marker, *fixed_errors, *orth]) + "\n"
    syn["Baseline"] = base_syntax
    fits["Baseline"] = _fit(base_syntax, work, std_lv=True, missing=missing, data_name=data_name)
    method_c = f"{marker_name} =~ " + " + ".join(f"mthd*{x}" for x in indicators)
    method_u = f"{marker_name} =~ " + " + ".join(indicators)
    syn["Method-C"] = base_syntax + method_c + "\n"
    syn["Method-U"] = base_syntax + method_u + "\n"
    for name in ("Method-C", "Method-U"):
        fits[name] = _fit(syn[name], work, std_lv=True, missing=missing, data_name=data_name)

    d_bc = _chisq_difference(
        fits["Baseline"], fits["Method-C"], label_restricted="Baseline", label_general="Method-C"
    )
    d_cu = _chisq_difference(
        fits["Method-C"], fits["Method-U"], label_restricted="Method-C", label_general="Method-U"
    )
    chosen = "Method-U" if d_cu[2] < alpha else "Method-C"
    base_est = fits["Baseline"].estimates()
    pairs = [(a, b) for i, a in enumerate(factors) for b in factors[i + 1 :]]
    base_cor = {p: _lv_value(base_est, *p) for p in pairs}
    fixed_cor = [f"{a} ~~ {_fmt(base_cor[(a, b)])}*{b}" for a, b in pairs]
    syn["Method-R"] = syn[chosen] + "\n".join(fixed_cor) + ("\n" if fixed_cor else "")
    fits["Method-R"] = _fit(syn["Method-R"], work, std_lv=True, missing=missing,
                            data_name=data_name)  # fmt: skip
    tests = {
        "Method-C": ("Baseline", d_bc, "method variance associated with the marker (m = 0)"),
        "Method-U": ("Method-C", d_cu, "equal method effects on every indicator"),
    }
    if pairs:
        d_r = _chisq_difference(
            fits["Method-R"], fits[chosen], label_restricted="Method-R", label_general=chosen
        )
        tests["Method-R"] = (
            chosen,
            d_r,
            "substantive factor correlations unbiased by method variance",
        )
    else:
        notes.append("One substantive factor: no factor correlations, so Method-R is not tested.")
    rows = []
    for name in ("CFA", "Baseline", "Method-C", "Method-U", "Method-R"):
        row = _fit_row(name, fits[name])
        if name in tests:
            other, (dc, ddf, p), hyp = tests[name]
            # Method-R is the restricted model; the other rows are the general ones
            row.update(
                compared_with=other, delta_chisq=dc, delta_df=ddf, delta_pvalue=p, hypothesis=hyp
            )
        else:
            row.update(
                compared_with=None, delta_chisq=np.nan, delta_df=np.nan, delta_pvalue=np.nan,
                hypothesis=None,
            )  # fmt: skip
        rows.append(row)
    comparisons = pd.DataFrame(rows)
    comparisons.attrs["caveat"] = _MARKER_CAVEAT
    comparisons.attrs["source"] = "Williams, Hartman & Cavazotte (2010)"

    # -- decompositions from the retained model ---------------------------------------------
    mest = fits[chosen].estimates()
    ml_rows, var_rows, rel_rows = [], [], []
    for f in factors:
        ls, ms, es = [], [], []
        for x in meas[f]:
            lam = _row(mest, f, "=~", x, "std_all")
            msel = (mest["lhs"] == marker_name) & (mest["op"] == "=~") & (mest["rhs"] == x)
            mrow = mest.loc[msel].iloc[0]
            m_std = float(mrow["std_all"])
            e_std = _row(mest, x, "~~", x, "std_all")
            ls.append(lam)
            ms.append(m_std)
            es.append(e_std)
            ml_rows.append(
                {
                    "factor": f,
                    "indicator": x,
                    "est": float(mrow["est"]),
                    "se": float(mrow["se"]),
                    "pvalue": float(mrow["pvalue"]),
                    "std_all": m_std,
                    "method_share": m_std**2,
                }
            )
            var_rows.append(
                {
                    "factor": f,
                    "indicator": x,
                    "substantive_share": lam**2,
                    "method_share": m_std**2,
                    "error_share": e_std,
                }
            )
        sl, sm, se_ = sum(ls) ** 2, sum(ms) ** 2, sum(es)
        den = sl + sm + se_
        rel_rows.append(
            {
                "factor": f,
                "total": (sl + sm) / den,
                "substantive": sl / den,
                "method": sm / den,
                "method_share_mean": float(np.mean(np.square(ms))),
            }
        )
    cfa_est = fits["CFA"].estimates()
    corr = pd.DataFrame(
        [
            {
                "lhs": a,
                "rhs": b,
                "cfa": _lv_value(cfa_est, a, b),
                "baseline": base_cor[(a, b)],
                "method": _lv_value(mest, a, b),
            }
            for a, b in pairs
        ],
        columns=["lhs", "rhs", "cfa", "baseline", "method"],
    )
    corr["difference"] = corr["method"] - corr["baseline"]
    notes = [
        *notes,
        _MARKER_CAVEAT,
        f"Marker items: {', '.join(marker)}; substantive factors: {', '.join(factors)}.",
        "Only the measurement part of the model is used (all substantive factors correlated).",
    ]
    warn = [f"{name}: {w}" for name, r in fits.items() for w in r.warnings]
    return MarkerTechniqueResult(
        comparisons=comparisons,
        method_model=chosen,
        method_loadings=pd.DataFrame(ml_rows),
        variance=pd.DataFrame(var_rows),
        reliability=pd.DataFrame(rel_rows),
        correlations=corr,
        marker_values=marker_values,
        marker_correlations=marker_cor,
        models=fits,
        syntax=syn,
        nobs=fits["CFA"].nobs,
        notes=notes,
        warnings=warn,
    )


# ---------------------------------------------------------------------------------------
# 2. Harman's single-factor test (legacy)
# ---------------------------------------------------------------------------------------
def harman_single_factor(
    data: pd.DataFrame,
    items: ModelSpec | Sequence[str],
    *,
    cfa: bool = True,
    data_name: str = "the response data",
) -> pd.DataFrame:
    """Harman's single-factor figure: the first unrotated principal component's share.

    A **legacy figure only**. Computed as in most applications: a principal component
    analysis of the correlation matrix of the items (complete cases), unrotated; the share
    of the total variance of the first component is its eigenvalue divided by the number
    of items. With ``cfa=True`` the fit of a single-factor CFA of the items (every item on
    one factor, :func:`nrel_research.sem.fit`) is added -- the confirmatory variant, where a
    badly fitting single factor is read as the absence of one dominant method factor.

    Neither number is evidence against common-method bias: a first component below 50% of
    the variance does not rule out method variance large enough to bias estimates, and the
    test is insensitive (Podsakoff, MacKenzie, Lee & Podsakoff, 2003). Report
    :func:`marker_technique` as the evidence; the caveat is stored in the returned frame's
    ``attrs["caveat"]``.

    Parameters
    ----------
    data : pandas.DataFrame
        The responses (reverse-keyed items recoded; a ModelSpec recodes them).
    items : ModelSpec or sequence of str
        The rating items (from a ModelSpec: every indicator of its reflective constructs).
    cfa : bool, default True
        Also fit the single-factor CFA (ML, ``std_lv=True``).
    data_name : str
        How to call the data in error messages.

    Returns
    -------
    pandas.DataFrame
        One row: ``n, n_items, first_eigenvalue, first_share, n_eigen_above_1,
        exceeds_half`` (the conventional, uninformative 50% threshold) and, with
        ``cfa``, ``cfa_chisq, cfa_df, cfa_pvalue, cfa_cfi, cfa_rmsea, cfa_srmr``.
        ``attrs["method"]`` says how it was computed, ``attrs["caveat"]`` why it is not
        evidence.

    Notes
    -----
    Checked against ``psych::principal(r, nfactors = 1, rotate = "none")`` and base R
    ``eigen(cor(x))`` (first eigenvalue and share to ``rtol=1e-10``) and lavaan 0.6-14's
    single-factor CFA (chi-square to ``atol=1e-3``) in ``tests/reference/survey_validity.R``.

    References
    ----------
    Podsakoff, P. M., MacKenzie, S. B., Lee, J.-Y., & Podsakoff, N. P. (2003). Common method
    biases in behavioral research: A critical review of the literature and recommended
    remedies. *Journal of Applied Psychology, 88*(5), 879-903.

    Examples
    --------
    >>> from nrel_research.analysis import harman_single_factor
    >>> from nrel_research.data import load_bundled_study
    >>> r = load_bundled_study().responses
    >>> h = harman_single_factor(r, ["e1_1", "e1_2", "e1_3", "e6_1", "e6_2", "e6_3"],
    ...                          cfa=False)
    >>> bool(0 < h.loc[0, "first_share"] < 1), "legacy" in h.attrs["caveat"]
    (True, True)
    """
    if isinstance(items, ModelSpec):
        data = items.prepare(data, data_name=data_name)
        m = items.measurement[items.measurement["modelled_as"] == "reflective"]
        cols = list(dict.fromkeys(m["indicator"]))
    else:
        if isinstance(items, str):
            items = [items]
        cols = list(dict.fromkeys(items))
    if len(cols) < 2:
        raise SpecificationError(f"items={cols!r}: give at least two items.")
    check_columns(data, cols, data_name=data_name)
    x = data[cols].apply(pd.to_numeric, errors="coerce").astype(float).dropna()
    if len(x) <= len(cols):
        raise DataError(
            f"{data_name} has {len(x)} complete rows on the {len(cols)} items; the correlation "
            "matrix needs more complete rows than items."
        )
    const = [c for c in cols if x[c].std() == 0]
    if const:
        raise DataError(f"{data_name}: item(s) {', '.join(const)} have no variance; drop them.")
    eig = np.sort(np.linalg.eigvalsh(np.corrcoef(x.to_numpy(), rowvar=False)))[::-1]
    row = {
        "n": len(x),
        "n_items": len(cols),
        "first_eigenvalue": float(eig[0]),
        "first_share": float(eig[0] / len(cols)),
        "n_eigen_above_1": int((eig > 1).sum()),
        "exceeds_half": bool(eig[0] / len(cols) > 0.5),
    }
    if cfa:
        res = _sem.fit("common =~ " + " + ".join(cols), x, std_lv=True, data_name=data_name)
        fm = res.fit_measures()
        row.update(
            cfa_chisq=float(fm["chisq"]), cfa_df=int(fm["df"]), cfa_pvalue=float(fm["pvalue"]),
            cfa_cfi=float(fm["cfi"]), cfa_rmsea=float(fm["rmsea"]), cfa_srmr=float(fm["srmr"]),
        )  # fmt: skip
    out = pd.DataFrame([row])
    out.attrs["method"] = (
        "principal components of the correlation matrix (complete cases), unrotated; share "
        "= first eigenvalue / number of items" + ("; plus a one-factor ML CFA" if cfa else "")
    )
    out.attrs["caveat"] = _HARMAN_CAVEAT
    return out


# ---------------------------------------------------------------------------------------
# 3. Unmeasured latent method construct
# ---------------------------------------------------------------------------------------
@dataclass
class MethodFactorResult:
    """A model with and without an unmeasured latent method construct (ULMC).

    Attributes
    ----------
    comparison : pandas.DataFrame
        Two rows (``model``: ``"without method factor"``, ``"with method factor"``) with
        their fit and the chi-square difference test (``delta_chisq, delta_df,
        delta_pvalue``) on the second row.
    changes : pandas.DataFrame
        Substantive loadings, regressions and factor covariances: ``lhs, op, rhs``, the
        estimate and completely standardized estimate without (``est_without``,
        ``std_without``) and with (``est_with``, ``std_with``) the method factor and their
        differences (``std_difference``; ``std_difference_relative`` =
        std_difference / |std_without|).
    method_loadings : pandas.DataFrame
        ``indicator, est, se, std_all, method_share`` of the method factor.
    method_share_mean : float
        Mean squared standardized method loading (the share of indicator variance the
        method factor accounts for).
    models : dict of str to SEMResult
    syntax : dict of str to str
    loadings : str
        ``"equal"`` or ``"free"``.
    notes, warnings : list of str
    """

    comparison: pd.DataFrame
    changes: pd.DataFrame
    method_loadings: pd.DataFrame
    method_share_mean: float
    models: dict = field(repr=False)
    syntax: dict = field(repr=False)
    loadings: str = "equal"
    notes: list = field(default_factory=list)
    warnings: list = field(default_factory=list)

    def summary(self) -> str:
        """Return a text summary: fit comparison, method share, largest changes, caveats."""
        big = self.changes.reindex(
            self.changes["std_difference"].abs().sort_values(ascending=False).index
        ).head(10)
        lines = [
            f"Unmeasured latent method construct ({self.loadings} loadings; Podsakoff et al., "
            "2003)",
            "",
            self.comparison[["model", "chisq", "df", "cfi", "rmsea", "delta_chisq", "delta_df",
                             "delta_pvalue"]].to_string(index=False,
                                                        float_format=lambda v: f"{v:.3f}"),
            "",
            f"Mean method share of indicator variance: {self.method_share_mean:.3f}",
            "Largest changes in standardized estimates:",
            big[["lhs", "op", "rhs", "std_without", "std_with", "std_difference"]].to_string(
                index=False, float_format=lambda v: f"{v:.3f}"
            ),
            "",
            *[f"Note: {n}" for n in self.notes],
            *[f"Warning: {w}" for w in self.warnings],
        ]  # fmt: skip
        return "\n".join(lines)


def method_factor(
    model: ModelSpec | str,
    data: pd.DataFrame,
    *,
    loadings: str = "equal",
    name: str = "method",
    estimator: str = "ML",
    missing: str = "listwise",
    data_name: str = "the response data",
) -> MethodFactorResult:
    """Unmeasured latent method construct (ULMC): the model plus an orthogonal method factor.

    The model (measurement and structural part, as given) is fitted twice: as is, and with
    a method factor that loads on every indicator of its reflective constructs and is
    uncorrelated with every substantive factor (Podsakoff et al., 2003, "controlling for the
    effects of an unmeasured latent methods factor"; Williams, Cote & Buckley, 1989).
    The two fits are compared by the ML chi-square difference test, and every substantive
    loading, regression and factor covariance is listed with its estimate with and without
    the method factor.

    Identification. ``loadings="equal"``: the method loadings are all fixed at 1 and the
    method factor's variance is free, which equals one common (equal) loading with the
    variance fixed at 1 -- one extra parameter, identified whenever the model has several
    factors. ``loadings="free"``: one loading per indicator, the method variance fixed at 1
    (first loading free, ``NA*``); identified in theory when every substantive factor has
    3+ indicators and the substantive factors are correlated, but often empirically
    under-identified or improper (Heywood cases) -- check ``warnings``.

    The ULMC is weak evidence: the method factor absorbs any shared variance the model
    leaves out, substantive as well as method, and does not identify the method source
    (Podsakoff et al., 2003); in Richardson, Simmering & Sturman's (2009)
    simulations it detected method variance poorly and "corrected" unbiased estimates. The
    caveat is in ``notes``; use :func:`marker_technique` as the main evidence.

    Parameters
    ----------
    model : ModelSpec or str
        The model (``ModelSpec.prepare`` reverse-keys items; reverse-key the data yourself
        for syntax).
    data : pandas.DataFrame
    loadings : {"equal", "free"}, default "equal"
    name : str, default "method"
        Name of the method factor (must not be a variable of the model).
    estimator : {"ML"}
    missing : {"listwise", "fiml"}
    data_name : str

    Returns
    -------
    MethodFactorResult

    Raises
    ------
    SpecificationError
        A model without reflective constructs, or a method-factor name already used.
    DataError
        Indicators missing from the data.

    Notes
    -----
    Checked against lavaan 0.6-14 (``sem()`` of the same two models, equal loadings) on the
    bundled simulated study in ``tests/reference/survey_validity.R``:
    chi-squares to ``atol=1e-3``, the method variance and the regressions with the method
    factor to ``atol=1e-4``; a second case on simulated continuous data
    (``tests/reference/data/ulmc_sim.csv``). Free loadings are not checked against lavaan:
    on both reference data sets they are empirically under-identified in lavaan as here.

    References
    ----------
    Podsakoff, P. M., MacKenzie, S. B., Lee, J.-Y., & Podsakoff, N. P. (2003). Common method
    biases in behavioral research. *Journal of Applied Psychology, 88*(5), 879-903.

    Richardson, H. A., Simmering, M. J., & Sturman, M. C. (2009). A tale of three
    perspectives: Examining post hoc statistical techniques for detection and correction
    of common method variance. *Organizational Research Methods, 12*(4), 762-800.

    Williams, L. J., Cote, J. A., & Buckley, M. R. (1989). Lack of method variance in
    self-reported affect and perceptions at work: Reality or artifact? *Journal of Applied
    Psychology, 74*(3), 462-468.

    Examples
    --------
    >>> from nrel_research.analysis import build_model, method_factor
    >>> from nrel_research.data import load_bundled_study
    >>> r = load_bundled_study().responses
    >>> r = r[(r["consent"] == 1) & (r["second_informant"] == 0)]
    >>> spec = build_model(antecedents=[], actions=["E1", "E6"],
    ...                    outcomes=["customer_relationship_performance"])
    >>> mf = method_factor(spec, r)
    >>> int(mf.comparison.loc[1, "delta_df"])
    1
    """
    _check_ml(estimator)
    loadings = check_choice(loadings, "loadings", ["equal", "free"], normalize=True)
    meas, syntax, work, notes = _parse_measurement(model, data, data_name)
    table = _sem.parse_model(syntax).table
    names = set(table["lhs"]) | set(table["rhs"])
    if name in names:
        raise SpecificationError(
            f"name={name!r} is already a variable of the model; choose another name for the "
            "method factor."
        )
    indicators = list(dict.fromkeys(x for f in meas for x in meas[f]))
    check_columns(work, indicators, data_name=data_name)
    work = work.copy()
    for col in indicators:
        work[col] = pd.to_numeric(work[col], errors="coerce").astype(float)
    lvs = list(dict.fromkeys(table.loc[table["op"] == "=~", "lhs"]))
    if loadings == "equal":
        mline = f"{name} =~ " + " + ".join(f"1*{x}" for x in indicators)
        var = f"{name} ~~ {name}"
    else:
        mline = f"{name} =~ NA*{indicators[0]} + " + " + ".join(indicators[1:])
        var = f"{name} ~~ 1*{name}"
    orth = [f"{name} ~~ 0*{f}" for f in lvs]
    with_syntax = syntax.rstrip("\n") + "\n" + "\n".join([mline, var, *orth]) + "\n"
    fits = {
        "without method factor": _sem.fit(syntax, work, missing=missing, data_name=data_name),
        "with method factor": _sem.fit(with_syntax, work, missing=missing, data_name=data_name),
    }
    if fits["without method factor"].nobs != fits["with method factor"].nobs:  # pragma: no cover
        raise DataError("the two models used different rows; drop incomplete rows first.")
    d = _chisq_difference(
        fits["without method factor"],
        fits["with method factor"],
        label_restricted="the model",
        label_general="the model with a method factor",
    )
    extra_warnings = []
    if d[0] < -1e-4:
        msg = (
            f"the model with the method factor fits worse (chi-square difference {d[0]:.3f} "
            "< 0) although it nests the model without it: the optimizer stopped at a "
            "non-global stationary point, typically because the data imply a zero or negative "
            "method variance. The ULMC is not informative for these data."
        )
        extra_warnings.append(msg)
        warnings.warn(msg, ImproperSolutionWarning, stacklevel=2)
    rows = [_fit_row(k, v) for k, v in fits.items()]
    rows[0].update(delta_chisq=np.nan, delta_df=np.nan, delta_pvalue=np.nan)
    rows[1].update(delta_chisq=d[0], delta_df=d[1], delta_pvalue=d[2])
    comparison = pd.DataFrame(rows)
    comparison.attrs["caveat"] = _ULMC_CAVEAT
    e0 = fits["without method factor"].estimates()
    e1 = fits["with method factor"].estimates()
    lvset = set(lvs)
    keep = (e0["op"].isin(["=~", "~"])) | (
        (e0["op"] == "~~") & e0["lhs"].isin(lvset) & e0["rhs"].isin(lvset)
        & (e0["lhs"] != e0["rhs"])
    )  # fmt: skip
    key = ["lhs", "op", "rhs"]
    ch = e0.loc[keep, [*key, "est", "std_all"]].merge(
        e1[[*key, "est", "std_all"]], on=key, suffixes=("_without", "_with"), how="left"
    )
    ch = ch.rename(columns={"std_all_without": "std_without", "std_all_with": "std_with"})
    ch["std_difference"] = ch["std_with"] - ch["std_without"]
    with np.errstate(divide="ignore", invalid="ignore"):
        ch["std_difference_relative"] = ch["std_difference"] / ch["std_without"].abs()
    msel = (e1["lhs"] == name) & (e1["op"] == "=~")
    ml = e1.loc[msel, ["rhs", "est", "se", "std_all"]].rename(columns={"rhs": "indicator"})
    ml["method_share"] = ml["std_all"] ** 2
    ml = ml.reset_index(drop=True)
    notes = [
        *notes,
        _ULMC_CAVEAT,
        f"Method factor '{name}' with {loadings} loadings on {len(indicators)} indicators, "
        "orthogonal to " + ", ".join(lvs) + ".",
    ]
    return MethodFactorResult(
        comparison=comparison,
        changes=ch.reset_index(drop=True),
        method_loadings=ml,
        method_share_mean=float(ml["method_share"].mean()),
        models=fits,
        syntax={"without method factor": syntax, "with method factor": with_syntax},
        loadings=loadings,
        notes=notes,
        warnings=[f"{k}: {w}" for k, v in fits.items() for w in v.warnings] + extra_warnings,
    )


# ---------------------------------------------------------------------------------------
# 4. Nonresponse bias: early vs late respondents
# ---------------------------------------------------------------------------------------
def _as_list(value) -> list:
    if value is None:
        return []
    if isinstance(value, str) or not isinstance(value, Sequence):
        return [value]
    return list(value)


def nonresponse_bias(
    scores: pd.DataFrame,
    *,
    wave: str | None = "wave",
    constructs: Sequence[str] | None = None,
    characteristics: Sequence[str] = (),
    categorical: Sequence[str] | None = None,
    early=None,
    late=None,
    time: str | None = None,
    quantile: float = 0.25,
    p_adjust: str = "holm",
    alpha: float = 0.05,
    data_name: str = "the scores",
) -> pd.DataFrame:
    """Nonresponse bias by extrapolation: early vs late respondents (Armstrong & Overton, 1977).

    Late respondents -- those who answered only after reminders -- are taken to resemble
    nonrespondents; differences between early and late respondents therefore suggest
    nonresponse bias. Early and late are the first and last wave (``wave``; other waves
    can be chosen with ``early=``/``late=``), or, with ``time=``, the first and last
    ``quantile`` of respondents by a timestamp (e.g. ``start_time``; the first vs the last
    quartile by default). Compared are the construct scores and numeric firm
    characteristics (Welch's t test, ``pingouin.ttest(correction=True)``, with Hedges' g,
    ``pingouin.compute_effsize(eftype="hedges")``: positive when late respondents score
    higher) and categorical firm characteristics such as sector and market type (Pearson
    chi-square test of independence without continuity correction,
    ``scipy.stats.chi2_contingency``, with Cramér's V). The p values are adjusted across all
    compared variables (Holm by default, ``statsmodels.stats.multitest.multipletests``).

    A non-significant difference is not proof of no bias: the late respondents are an
    imperfect proxy for nonrespondents and the test's power depends on the number of late
    respondents; report effect sizes, and compare the sample with population figures
    (e.g. the sector distribution) where they exist.

    Parameters
    ----------
    scores : pandas.DataFrame
        One row per respondent: construct scores (e.g. :func:`nrel_research.data.score`),
        firm characteristics and the wave or timestamp column.
    wave : str or None, default "wave"
        Column holding the wave (1, 2, 3, ...). Ignored when ``time`` is given.
    constructs : sequence of str, optional
        Numeric construct-score columns; by default every float column other than the wave,
        timestamp and ``characteristics`` columns.
    characteristics : sequence of str
        Numeric firm characteristics (e.g. ``"employees"``), compared like the scores.
    categorical : sequence of str, optional
        Categorical firm characteristics; by default ``sector`` and ``market_type`` where
        present.
    early, late : scalar or sequence, optional
        The wave value(s) of the early and late groups (default: the first and last wave).
    time : str, optional
        A timestamp column; split by its ``quantile`` and ``1 - quantile`` quantiles.
    quantile : float, default 0.25
        Share of respondents in each of the early and late groups with ``time``.
    p_adjust : str, default "holm"
        Any method of ``statsmodels.stats.multitest.multipletests`` (``"holm"``,
        ``"fdr_bh"``, ...).
    alpha : float, default 0.05
        Level of the ``significant`` column (adjusted p < alpha).
    data_name : str

    Returns
    -------
    pandas.DataFrame
        ``variable, kind, test, n_early, n_late, mean_early, mean_late, difference,
        statistic, df, p_value, effect_size, effect_size_type, p_adjusted, significant``;
        ``attrs["basis"]`` says how early and late were defined, ``attrs["note"]`` what the
        test cannot show.

    Raises
    ------
    DataError
        The wave (or time) column is missing, fewer than two waves, an early or late group
        with fewer than 2 respondents, a named column missing or not numeric.

    Notes
    -----
    Checked against R's ``t.test(var.equal = FALSE)``, ``chisq.test(correct = FALSE)`` and
    ``p.adjust(method = "holm")`` (``tests/reference/survey_validity.R``, ``rtol=1e-8``)
    and scipy's ``ttest_ind(equal_var=False)``.

    References
    ----------
    Armstrong, J. S., & Overton, T. S. (1977). Estimating nonresponse bias in mail surveys.
    *Journal of Marketing Research, 14*(3), 396-402.

    Examples
    --------
    >>> from nrel_research.analysis import nonresponse_bias
    >>> from nrel_research.data import load_bundled_study, score
    >>> r = load_bundled_study().responses
    >>> r = r[(r["consent"] == 1) & (r["second_informant"] == 0)]
    >>> s = score(r).assign(wave=r["wave"].to_numpy())
    >>> nb = nonresponse_bias(s, constructs=["market_orientation", "E1"])
    >>> nb["variable"].tolist(), nb["test"].tolist()
    (['market_orientation', 'E1', 'sector', 'market_type'], ['welch_t', 'welch_t', 'chi2', 'chi2'])
    >>> nb.attrs["basis"]
    'wave 1 (early) vs wave 3 (late)'
    """
    import pingouin as pg
    from statsmodels.stats.multitest import multipletests

    if not isinstance(scores, pd.DataFrame):
        check_columns(scores, [], data_name=data_name)
    if not (0 < quantile <= 0.5):
        raise NrelError(f"quantile={quantile!r} is not valid; use a share in (0, 0.5].")
    if time is not None:
        check_columns(scores, [time], data_name=data_name)
        ts = pd.to_datetime(scores[time], errors="coerce")
        if ts.notna().sum() < 4:
            raise DataError(f"{data_name}: column {time!r} has fewer than 4 valid timestamps.")
        lo, hi = ts.quantile(quantile), ts.quantile(1 - quantile)
        is_early, is_late = (ts <= lo).to_numpy(), (ts >= hi).to_numpy()
        pct = f"{quantile:.0%}"
        basis = f"first {pct} vs last {pct} of respondents by {time}"
        split_cols = [time]
    else:
        if wave is None or wave not in scores.columns:
            raise DataError(
                f"{data_name} has no wave column {wave!r}; pass wave='<column>' with the "
                "invitation wave of each respondent, or time='start_time' to split by the "
                "response timestamp (first vs last quartile)."
            )
        w = pd.to_numeric(scores[wave], errors="coerce")
        levels = sorted(w.dropna().unique())
        if len(levels) < 2:
            raise DataError(
                f"{data_name}: column {wave!r} has {len(levels)} distinct wave(s); early vs "
                "late needs at least two. Use time='start_time' instead."
            )

        def _name(vals):
            return ", ".join(str(int(v)) if float(v).is_integer() else str(v) for v in vals)

        e_vals = _as_list(early) or [levels[0]]
        l_vals = _as_list(late) or [levels[-1]]
        for v in [*e_vals, *l_vals]:
            if v not in levels:
                raise DataError(
                    f"{data_name}: wave {v!r} does not occur in column {wave!r} (waves: "
                    f"{_name(levels)})."
                )
        if set(e_vals) & set(l_vals):
            raise DataError("early and late waves overlap; give disjoint waves.")
        is_early, is_late = w.isin(e_vals).to_numpy(), w.isin(l_vals).to_numpy()

        basis = f"wave {_name(e_vals)} (early) vs wave {_name(l_vals)} (late)"
        split_cols = [wave]
    for label, mask in (("early", is_early), ("late", is_late)):
        if mask.sum() < 2:
            raise DataError(f"{data_name}: the {label} group has {int(mask.sum())} respondent(s).")
    characteristics = _as_list(characteristics)
    if categorical is None:
        categorical = [c for c in ("sector", "market_type") if c in scores.columns]
    else:
        categorical = _as_list(categorical)
    if constructs is None:
        skip = {*split_cols, wave, time} | set(characteristics) | set(categorical)
        constructs = [
            c for c in scores.columns
            if c not in skip and pd.api.types.is_float_dtype(scores[c])
        ]  # fmt: skip
    else:
        constructs = _as_list(constructs)
    check_columns(scores, [*constructs, *characteristics, *categorical], data_name=data_name)
    rows = []
    for kind, cols in (("construct", constructs), ("characteristic", characteristics)):
        for v in cols:
            x = pd.to_numeric(scores[v], errors="coerce")
            if x.notna().sum() == 0:
                raise DataError(f"{data_name}: column {v!r} has no numeric values.")
            a = x[is_early].dropna().astype(float).to_numpy()
            b = x[is_late].dropna().astype(float).to_numpy()
            if len(a) < 2 or len(b) < 2:
                continue
            t = pg.ttest(b, a, correction=True)
            rows.append(
                {
                    "variable": v, "kind": kind, "test": "welch_t",
                    "n_early": len(a), "n_late": len(b),
                    "mean_early": float(a.mean()), "mean_late": float(b.mean()),
                    "difference": float(b.mean() - a.mean()),
                    "statistic": float(t["T"].iloc[0]), "df": float(t["dof"].iloc[0]),
                    "p_value": float(t["p_val"].iloc[0] if "p_val" in t else t["p-val"].iloc[0]),
                    "effect_size": float(pg.compute_effsize(b, a, eftype="hedges")),
                    "effect_size_type": "hedges_g",
                }
            )  # fmt: skip
    for v in categorical:
        sel = is_early | is_late
        col = scores.loc[sel, v]
        grp = np.where(is_early[sel], "early", "late")
        ok = col.notna().to_numpy()
        table = pd.crosstab(grp[ok], col[ok].astype(str).to_numpy())
        table = table.loc[:, table.sum() > 0]
        if table.shape[0] < 2 or table.shape[1] < 2:
            continue
        chi2, p, dof, expected = stats.chi2_contingency(table, correction=False)
        n = table.to_numpy().sum()
        v_cramer = np.sqrt(chi2 / (n * (min(table.shape) - 1)))
        rows.append(
            {
                "variable": v, "kind": "categorical", "test": "chi2",
                "n_early": int(table.loc["early"].sum()), "n_late": int(table.loc["late"].sum()),
                "mean_early": np.nan, "mean_late": np.nan, "difference": np.nan,
                "statistic": float(chi2), "df": float(dof), "p_value": float(p),
                "effect_size": float(v_cramer), "effect_size_type": "cramers_v",
                "min_expected": float(expected.min()),
            }
        )  # fmt: skip
    cols = [
        "variable", "kind", "test", "n_early", "n_late", "mean_early", "mean_late",
        "difference", "statistic", "df", "p_value", "effect_size", "effect_size_type",
    ]  # fmt: skip
    out = pd.DataFrame(rows)
    if out.empty:
        out = pd.DataFrame(columns=[*cols, "p_adjusted", "significant"])
    else:
        out = out[cols + (["min_expected"] if "min_expected" in out else [])]
        out["p_adjusted"] = multipletests(out["p_value"].to_numpy(), method=p_adjust)[1]
        out["significant"] = out["p_adjusted"] < alpha
        if "min_expected" in out:
            small = out.loc[out["min_expected"] < 5, "variable"].tolist()
            out = out.drop(columns="min_expected")
            if small:
                warnings.warn(
                    f"chi-square test of {', '.join(small)}: some expected counts are below 5; "
                    "the p value is approximate (pool rare categories).",
                    DataQualityWarning,
                    stacklevel=2,
                )
    out.attrs["basis"] = basis
    out.attrs["p_adjust"] = p_adjust
    out.attrs["note"] = (
        "Late respondents stand in for nonrespondents (Armstrong & Overton, 1977). A "
        "non-significant difference does not show the absence of nonresponse bias; see the "
        "effect sizes and the group sizes."
    )
    return out


# ---------------------------------------------------------------------------------------
# 5. Gaussian copula control function
# ---------------------------------------------------------------------------------------
def _copula_term(x: np.ndarray) -> np.ndarray:
    """``Phi^-1(H(x))`` with H the ECDF scaled by n / (n + 1) (ties: the ECDF's max rank)."""
    n = len(x)
    return stats.norm.ppf(stats.rankdata(x, method="max") / (n + 1))


def _cvm_normal(x: np.ndarray) -> tuple[float, float]:
    """Cramér-von Mises test of normality with estimated mean and sd.

    The statistic W^2 with ``Phi((x - mean) / sd)``; the p value from Stephens' modified
    statistic ``W^2 (1 + 0.5 / n)`` and the piecewise formulas of D'Agostino & Stephens
    (1986, Table 4.9) -- the computation of R's ``nortest::cvm.test``.
    """
    x = np.sort(np.asarray(x, float))
    n = len(x)
    p = stats.norm.cdf((x - x.mean()) / x.std(ddof=1))
    w = 1 / (12 * n) + np.sum((p - (2 * np.arange(1, n + 1) - 1) / (2 * n)) ** 2)
    ww = (1 + 0.5 / n) * w
    if ww < 0.0275:
        pval = 1 - np.exp(-13.953 + 775.5 * ww - 12542.61 * ww**2)
    elif ww < 0.051:
        pval = 1 - np.exp(-5.903 + 179.546 * ww - 1515.29 * ww**2)
    elif ww < 0.092:
        pval = np.exp(0.886 - 31.62 * ww + 10.897 * ww**2)
    elif ww < 1.1:
        pval = np.exp(1.111 - 34.242 * ww + 12.832 * ww**2)
    else:
        pval = 7.37e-10
    return float(w), float(min(max(pval, 0.0), 1.0))


@dataclass
class CopulaResult:
    """OLS with Gaussian-copula control functions (Park & Gupta, 2012).

    Attributes
    ----------
    coefficients : pandas.DataFrame
        Every term of the model with the copula terms: ``term, estimate, se, z, p_value,
        ci_lower, ci_upper`` (bootstrap SEs and percentile CIs) and ``ols_se`` (the
        conventional OLS SE, not valid with generated regressors), ``is_copula``.
    copula : pandas.DataFrame
        One row per endogenous regressor: ``regressor, term, estimate, se, z, p_value,
        ci_lower, ci_upper, flagged`` (p < alpha: evidence of regressor-error correlation),
        ``coef_without`` and ``coef_with`` (the regressor's coefficient in the OLS without
        and with its copula term) and ``change``.
    normality : pandas.DataFrame
        Per endogenous regressor: ``n, n_unique, skewness, excess_kurtosis, shapiro_w,
        shapiro_p, cvm_statistic, cvm_p, non_normal``.
    without, with_copula : statsmodels RegressionResults
        The OLS fits without and with the copula terms (same rows).
    n_boot : int
    notes : list of str
    """

    coefficients: pd.DataFrame
    copula: pd.DataFrame
    normality: pd.DataFrame
    without: object = field(repr=False)
    with_copula: object = field(repr=False)
    n_boot: int = 0
    notes: list = field(default_factory=list)

    def summary(self) -> str:
        """Return a text summary worded as a sensitivity analysis."""
        lines = [
            "Gaussian copula control function (Park & Gupta, 2012) -- a sensitivity analysis",
            f"OLS, n = {int(self.with_copula.nobs)}, bootstrap SEs from {self.n_boot} resamples",
            "",
            self.copula.to_string(index=False, float_format=lambda v: f"{v:.3f}"),
            "",
            "Non-normality of the endogenous regressors (the method needs it):",
            self.normality.to_string(index=False, float_format=lambda v: f"{v:.3g}"),
            "",
            *[f"Note: {n}" for n in self.notes],
        ]
        return "\n".join(lines)


def copula_endogeneity(
    formula: str,
    data: pd.DataFrame,
    endogenous: str | Sequence[str],
    *,
    n_boot: int = 1000,
    seed: int | np.random.Generator | None = None,
    level: float = 0.95,
    alpha: float = 0.05,
    normality_alpha: float = 0.05,
    data_name: str = "the data",
) -> CopulaResult:
    """Gaussian-copula check for endogenous regressors in an OLS regression (sensitivity).

    For each endogenous regressor ``x`` the control function ``c_x = Phi^-1(H(x))`` is
    added to the regression, with ``H`` the empirical CDF scaled by ``n / (n + 1)`` so that
    it stays inside (0, 1) (ties get the ECDF value, i.e. the highest rank), computed on the
    rows the model uses (the control-function form of Park & Gupta, 2012). A copula term
    that differs significantly from zero suggests that ``x`` is
    correlated with the error (endogeneity, e.g. an omitted firm characteristic); the
    coefficient of ``x`` with the term is then the copula-corrected estimate. Standard
    errors come from a nonparametric bootstrap (``n_boot`` resamples of rows, the copula
    terms recomputed in every resample, as Park & Gupta recommend) with percentile CIs.

    Identification needs a **non-normal** regressor: for a normal ``x`` the copula term is
    a linear function of ``x`` and the model is not identified. Each endogenous regressor's
    non-normality is tested (Shapiro-Wilk, ``scipy.stats.shapiro``; Cramér-von Mises with
    estimated parameters, the computation of ``nortest::cvm.test``) and a
    :class:`~nrel_research.exceptions.WeakIdentificationWarning` is issued when neither test
    rejects normality at ``normality_alpha``. Becker, Proksch & Ringle (2022) show that in
    regressions with an intercept the approach is biased and has little power unless the
    regressor is clearly non-normal and the sample is large (they derive boundary
    conditions), and that the error term must be normal; an
    exogenous regressor correlated with the endogenous one also biases it (Haschka, 2022;
    Yang, Qian & Xie's 2sCOPE relaxes this). Read the result as a sensitivity analysis of
    the action -> performance associations, not as a correction.

    Parameters
    ----------
    formula : str
        A statsmodels/patsy formula, e.g. ``"marketing_performance ~ R2 + E4 + log_employees"``.
    data : pandas.DataFrame
    endogenous : str or sequence of str
        The suspected endogenous regressors: numeric columns that enter the formula as
        plain terms.
    n_boot : int, default 1000
        Bootstrap resamples.
    seed : int or numpy.random.Generator, optional
        Seed of the bootstrap.
    level : float, default 0.95
        Confidence level of the percentile CIs.
    alpha : float, default 0.05
        Level of the ``flagged`` column.
    normality_alpha : float, default 0.05
        Level of the normality tests (warning when neither rejects).
    data_name : str

    Returns
    -------
    CopulaResult

    Raises
    ------
    SpecificationError
        An endogenous regressor that is not a plain term of the formula.
    DataError
        Missing or non-numeric columns, fewer than 20 complete rows, a constant regressor.

    Warns
    -----
    WeakIdentificationWarning
        An endogenous regressor whose distribution is not distinguishable from normal.

    Notes
    -----
    The point estimates are checked against R (``ecdf``, ``qnorm`` and ``lm`` with the same
    formula; ``tests/reference/survey_validity.R``, ``atol=1e-10``), the normality tests
    against R's ``shapiro.test`` and a transcription of ``nortest::cvm.test``; a simulation
    with known truth checks that the copula term flags an endogenous, non-normal regressor
    and not an exogenous one (``tests/test_analysis_validity.py``).

    References
    ----------
    Park, S., & Gupta, S. (2012). Handling endogenous regressors by joint estimation using
    copulas. *Marketing Science, 31*(4), 567-586.

    Becker, J.-M., Proksch, D., & Ringle, C. M. (2022). Revisiting Gaussian copulas to
    handle endogenous regressors. *Journal of the Academy of Marketing Science, 50*(1),
    46-66.

    Haschka, R. E. (2022). Handling endogenous regressors using copulas: A generalization
    to linear panel models with fixed effects and correlated regressors. *Journal of
    Marketing Research, 59*(4), 860-881.

    Examples
    --------
    >>> import warnings
    >>> from nrel_research.analysis import copula_endogeneity
    >>> from nrel_research.data import load_bundled_study, score
    >>> r = load_bundled_study().responses
    >>> s = score(r[(r["consent"] == 1) & (r["second_informant"] == 0)])
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     cop = copula_endogeneity("marketing_performance ~ R2 + E4", s, "R2",
    ...                              n_boot=50, seed=1)
    >>> cop.copula["term"].tolist()
    ['copula_R2']
    """
    import statsmodels.formula.api as smf

    endogenous = _as_list(endogenous)
    if not endogenous:
        raise SpecificationError("endogenous is empty; name the suspected endogenous regressor(s).")
    if not isinstance(formula, str) or "~" not in formula:
        raise SpecificationError(
            f"formula={formula!r} is not a regression formula; write 'y ~ x1 + x2'."
        )
    n_boot = check_positive_int(n_boot, "n_boot", minimum=20)
    rng = check_rng(seed)
    check_columns(data, endogenous, data_name=data_name)
    for x in endogenous:
        if not pd.api.types.is_numeric_dtype(data[x]):
            raise DataError(
                f"{data_name}: endogenous regressor {x!r} is not numeric "
                f"({data[x].dtype}); the copula needs a continuous regressor."
            )
    try:
        base = smf.ols(formula, data)
    except Exception as exc:  # patsy errors name the missing variable
        raise DataError(f"cannot build the model {formula!r} on {data_name}: {exc}") from None
    names = list(base.exog_names)
    for x in endogenous:
        if x not in names:
            raise SpecificationError(
                f"endogenous regressor {x!r} is not a plain term of {formula!r} (terms: "
                f"{', '.join(names)}); enter it as '+ {x}'."
            )
    rows = base.data.row_labels
    if rows is None:
        rows = data.index
    sub = data.loc[rows].copy()
    n = len(sub)
    if n < 20:
        raise DataError(f"{data_name}: {n} complete rows for {formula!r}; need at least 20.")
    norm_rows, terms = [], []
    for x in endogenous:
        v = sub[x].astype(float).to_numpy()
        if np.ptp(v) == 0:
            raise DataError(f"{data_name}: endogenous regressor {x!r} is constant.")
        sw = stats.shapiro(v)
        cvm_w, cvm_p = _cvm_normal(v)
        non_normal = bool(sw.pvalue < normality_alpha or cvm_p < normality_alpha)
        norm_rows.append(
            {
                "regressor": x, "n": n, "n_unique": len(np.unique(v)),
                "skewness": float(stats.skew(v)), "excess_kurtosis": float(stats.kurtosis(v)),
                "shapiro_w": float(sw.statistic), "shapiro_p": float(sw.pvalue),
                "cvm_statistic": cvm_w, "cvm_p": cvm_p, "non_normal": non_normal,
            }
        )  # fmt: skip
        if not non_normal:
            warnings.warn(
                f"endogenous regressor {x!r} is not distinguishable from a normal distribution "
                f"(Shapiro-Wilk p = {sw.pvalue:.3f}, Cramér-von Mises p = {cvm_p:.3f}): the "
                "Gaussian copula is not identified for a normal regressor, and its estimates "
                "are unreliable (Becker, Proksch & Ringle, 2022).",
                WeakIdentificationWarning,
                stacklevel=2,
            )
        term = f"copula_{x}"
        if term in sub.columns:
            raise SpecificationError(f"{data_name} already has a column {term!r}; rename it.")
        sub[term] = _copula_term(v)
        terms.append(term)
    without = base.fit()
    aug = smf.ols(formula + " + " + " + ".join(terms), sub).fit()
    X = np.asarray(aug.model.exog, float)
    y = np.asarray(aug.model.endog, float)
    cols = list(aug.model.exog_names)
    xcols = [cols.index(x) for x in endogenous]
    ccols = [cols.index(t) for t in terms]
    boot = np.empty((n_boot, X.shape[1]))
    for b in range(n_boot):
        idx = rng.integers(0, n, n)
        Xb = X[idx].copy()
        for xc, cc in zip(xcols, ccols, strict=True):
            Xb[:, cc] = _copula_term(Xb[:, xc])
        boot[b] = np.linalg.lstsq(Xb, y[idx], rcond=None)[0]
    est = np.asarray(aug.params, float)
    se = boot.std(axis=0, ddof=1)
    z = est / se
    p = 2 * stats.norm.sf(np.abs(z))
    lo, hi = np.quantile(boot, [(1 - level) / 2, (1 + level) / 2], axis=0)
    coefs = pd.DataFrame(
        {
            "term": cols, "estimate": est, "se": se, "z": z, "p_value": p,
            "ci_lower": lo, "ci_upper": hi, "ols_se": np.asarray(aug.bse, float),
            "is_copula": [c in terms for c in cols],
        }
    )  # fmt: skip
    cop = coefs[coefs["is_copula"]].drop(columns=["is_copula", "ols_se"]).reset_index(drop=True)
    cop.insert(0, "regressor", endogenous)
    cop["flagged"] = cop["p_value"] < alpha
    cop["coef_without"] = [float(without.params[x]) for x in endogenous]
    cop["coef_with"] = [float(aug.params[x]) for x in endogenous]
    cop["change"] = cop["coef_with"] - cop["coef_without"]
    notes = [
        "A sensitivity analysis: a significant copula term suggests that the regressor is "
        "correlated with the error term (endogeneity); a non-significant one does not show "
        "exogeneity. The results remain associations on cross-sectional data.",
        "Identification rests on a non-normal regressor and a normal error; the approach is "
        "biased and underpowered in small samples with an intercept (Becker, Proksch & "
        "Ringle, 2022) and when exogenous regressors correlate with the endogenous one "
        "(Haschka, 2022).",
        f"Bootstrap: {n_boot} resamples of the {n} rows, copula terms recomputed in each.",
    ]
    return CopulaResult(
        coefficients=coefs,
        copula=cop,
        normality=pd.DataFrame(norm_rows),
        without=without,
        with_copula=aug,
        n_boot=n_boot,
        notes=notes,
    )
