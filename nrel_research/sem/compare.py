"""Likelihood-ratio (chi-square difference) tests of nested SEM fits, as lavaan's ``lavTestLRT``."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd
from scipy import stats

from ..exceptions import NrelError, NrelWarning
from ._engine import scaled_test
from .result import SEMResult

__all__ = ["lrt"]

_METHODS = {
    "default": "default",
    "satorra2000": "satorra.2000",
    "satorrabentler2001": "satorra.bentler.2001",
    "satorrabentler2010": "satorra.bentler.2010",
}
#: lavaan's default difference test per estimator with a scaled test statistic
_SCALED_DEFAULT = {
    "MLR": "satorra.bentler.2001",
    "WLSM": "satorra.bentler.2001",
    "WLSMV": "satorra.2000",
    "ULSMV": "satorra.2000",
}
LRT_COLUMNS = [
    "df",
    "aic",
    "bic",
    "chisq",
    "chisq_diff",
    "rmsea",
    "df_diff",
    "pvalue_diff",
    "scaling_factor",
    "method",
]


def lrt(
    *fits: SEMResult, method: str = "default", model_names=None, scaled_shifted: bool = True
) -> pd.DataFrame:
    """Compare nested models with the (scaled) chi-square difference test, as ``lavTestLRT``.

    The models are sorted by their degrees of freedom (the least restricted first, ties kept
    in the order given, as lavaan) and each is tested against the one before it. The
    ``chisq`` column holds every model's *unscaled* likelihood-ratio statistic; the difference
    test uses

    * ``estimator="ML"``: the plain difference ``T0 - T1`` on ``r0 - r1`` degrees of freedom,
      with the RMSEA of the difference (``sqrt(max(ΔT/(N Δdf) - 1/N, 0)) sqrt(G)``);
    * ``estimator="MLR"`` (Yuan-Bentler scaled tests): ``ΔT / c_d`` with the difference-test
      scaling factor ``c_d = (r0 c0 - r1 c1) / (r0 - r1)`` of Satorra & Bentler (2001)
      (``method="satorra.bentler.2001"``, lavaan's default for MLR), or of Satorra & Bentler
      (2010) (``method="satorra.bentler.2010"``), where ``c1`` is replaced by the scaling
      factor ``c10`` of the less restricted model evaluated at the restricted model's
      estimates, which cannot make ``c_d`` negative in the population. ``c10`` is computed as
      lavaan's ``lav_test_diff_m10``: the restricted model's estimates are copied into the
      less restricted model's parameter table by ``(lhs, op, rhs, group)`` (``~~`` either
      way round); parameters the restricted model does not have are set to 0, their value
      in it (lavaan: the start value 0 of its "full" parameter table); then the Yuan-Bentler
      (Mplus) scaling factor is computed there without re-estimation (Yuan & Bentler, 2000).
    * ordered indicators, ``estimator="WLSMV"`` or ``"ULSMV"`` (scaled-shifted tests): Satorra's
      (2000) scaled difference test as ``lavaan:::lav_test_diff_Satorra2000`` (lavaan's
      default ``method="satorra.2000"``, ``A.method = "delta"``): the restrictions ``A`` are
      found from the two models' Jacobians of the thresholds and polychoric correlations at
      their estimates, ``U = P⁻¹A'(AP⁻¹A')⁻¹AP⁻¹`` uses the less restricted model's expected
      information, weights and ``Γ``, and with ``scaled_shifted=True`` (lavaan's default) the
      statistic is ``(T0 - T1) a + b`` with ``a = sqrt(m / tr((UΓ)²))``, ``b = m - a tr(UΓ)``
      on ``m`` degrees of freedom (Asparouhov & Muthén, 2010); with ``scaled_shifted=False``
      Satterthwaite's ``(T0 - T1) tr(UΓ)/tr((UΓ)²)`` on ``tr(UΓ)²/tr((UΓ)²)`` degrees of
      freedom (Asparouhov & Muthén, 2006). ``estimator="WLSM"``: the Satorra-Bentler (2001)
      difference of the mean-adjusted tests (lavaan's default), or with
      ``method="satorra.2000"`` the mean-adjusted ``(T0 - T1) m / tr(UΓ)``. ``"DWLS"``
      (unscaled): the plain difference, as ML. The ``chisq`` column holds the unscaled
      DWLS/ULS statistics, as lavaan's.

    Parameters
    ----------
    *fits : SEMResult
        Two or more fits of nested models to the same data with the same options; one fit
        gives lavaan's one-model table (the model against the saturated model).
    method : {"default", "satorra.2000", "satorra.bentler.2001", "satorra.bentler.2010"}
        Spelling as lavaan (``-``, ``_`` and ``.`` are ignored). With unscaled (ML, DWLS) fits
        the scaled methods do not apply: a warning is issued and the plain difference is
        used, as lavaan does. ``"satorra.2000"`` applies to fits with ordered indicators
        (WLSMV, ULSMV, WLSM); the Satorra-Bentler methods to MLR and WLSM fits.
    model_names : sequence of str, optional
        Row names, in the order the fits are given (default ``model_1``, ``model_2``, ...).
    scaled_shifted : bool, default True
        For ``method="satorra.2000"`` with WLSMV/ULSMV fits: lavaan's ``scaled.shifted``.

    Returns
    -------
    pandas.DataFrame
        One row per model (sorted by ``df``), indexed by model name, with columns ``df, aic,
        bic, chisq, chisq_diff, rmsea, df_diff, pvalue_diff, scaling_factor, method``
        (lavaan's ``Df, AIC, BIC, Chisq, Chisq diff, RMSEA, Df diff, Pr(>Chisq)``; ``rmsea`` is
        reported for unscaled tests only, ``scaling_factor`` is ``c_d`` of scaled tests).
        The first row's difference columns are NaN. ``DataFrame.attrs["method"]`` holds the
        method used; for the scaled-shifted Satorra (2000) test ``attrs["scale"]`` and
        ``attrs["shift"]`` hold ``a`` and ``b`` per row (lavaan's attributes of the same
        names).

    Raises
    ------
    NrelError
        If an argument is not a fit, the fits are not comparable (different numbers of
        observations, group labels or group sizes, observed variables, data, estimator,
        ``missing=`` or mean structure), or ``method`` is unknown.

    Warns
    -----
    NrelWarning
        A restricted model fits better than a less restricted one (the models are not nested
        or a fit did not reach its optimum), equal degrees of freedom (their p-value is NaN),
        a negative scaling factor, a fit that did not converge, or a Satorra-Bentler method
        asked for unscaled fits.

    Notes
    -----
    Like lavaan, this function checks the necessary conditions only: the same data, variables,
    groups and options. It does **not** check that the models are nested (that one model is
    the other with parameters fixed or constrained); the test is only valid if they are.

    References
    ----------
    Satorra, A., & Bentler, P. M. (2001). A scaled difference chi-square test statistic for
    moment structure analysis. *Psychometrika, 66*(4), 507-514.
    Satorra, A., & Bentler, P. M. (2010). Ensuring positiveness of the scaled difference
    chi-square test statistic. *Psychometrika, 75*(2), 243-248.
    Yuan, K.-H., & Bentler, P. M. (2000). Three likelihood-based methods for mean and
    covariance structure analysis with nonnormal missing data. *Sociological Methodology, 30*,
    165-200.
    Satorra, A. (2000). Scaled and adjusted restricted tests in multi-sample analysis of
    moment structures. In R. D. H. Heijmans, D. S. G. Pollock, & A. Satorra (Eds.),
    *Innovations in multivariate statistical analysis* (pp. 233-247). Kluwer.
    Asparouhov, T., & Muthén, B. (2006). Robust chi square difference testing with mean and
    variance adjusted test statistics. Mplus Web Notes No. 10.
    Asparouhov, T., & Muthén, B. (2010). Simple second order chi-square correction. Mplus
    technical appendix.
    Oracle: lavaan 0.6.14 ``lavTestLRT`` (``tests/reference/sem_groups_robust.R``, checked to
    ``atol=1e-4`` in ``tests/test_sem_groups_robust.py``; WLSMV, WLSM and ULSMV fits with
    ordered indicators in ``tests/reference/sem_ordinal_groups.R``,
    ``tests/test_sem_ordinal_groups.py``).

    Examples
    --------
    Configural and metric (loadings equal across schools, by shared labels) models, MLR
    (lavaan: ``Chisq diff`` 6.5672, ``Pr(>Chisq)`` 0.3627):

    >>> from nrel_research import sem
    >>> from nrel_research.datasets import load_dataset
    >>> hs = load_dataset("holzinger_swineford_1939")
    >>> configural = sem.fit("visual =~ x1 + x2 + x3; textual =~ x4 + x5 + x6; "
    ...                      "speed =~ x7 + x8 + x9", hs, group="school", estimator="MLR")
    >>> metric = sem.fit("visual =~ x1 + c(a2,a2)*x2 + c(a3,a3)*x3; "
    ...                  "textual =~ x4 + c(b5,b5)*x5 + c(b6,b6)*x6; "
    ...                  "speed =~ x7 + c(c8,c8)*x8 + c(c9,c9)*x9",
    ...                  hs, group="school", estimator="MLR")
    >>> tab = sem.lrt(metric, configural, model_names=["metric", "configural"])
    >>> tab.index.tolist(), tab["df"].tolist()
    (['configural', 'metric'], [48, 54])
    >>> [round(float(tab.loc["metric", k]), 3) for k in ("chisq_diff", "pvalue_diff")]
    [6.567, 0.363]
    """
    if not fits:
        raise NrelError("lrt() needs at least one fitted model (sem.fit results).")
    for k, f in enumerate(fits):
        if not isinstance(f, SEMResult):
            raise NrelError(
                f"argument {k + 1} of lrt() is a {type(f).__name__}, not a fitted model; pass "
                "the results of sem.fit()."
            )
    if model_names is None:
        names = [f"model_{k + 1}" for k in range(len(fits))]
    else:
        names = [str(n) for n in model_names]
        if len(names) != len(fits) or len(set(names)) != len(names):
            raise NrelError(
                f"model_names={list(model_names)!r} must give {len(fits)} distinct names, one "
                "per fit."
            )
    key = re.sub(r"[-_.]", "", str(method).lower())
    if key not in _METHODS:
        raise NrelError(
            f"method={method!r} is not valid; use 'default', 'satorra.2000', "
            "'satorra.bentler.2001' or 'satorra.bentler.2010'."
        )
    method = _METHODS[key]
    if len(fits) == 1:
        return _single(fits[0], names[0])
    _check_comparable(fits, names)
    if not all(f.converged for f in fits):
        _warn("not all models converged; the difference tests are not trustworthy.")

    fms = [f.fit_measures() for f in fits]
    dfs = np.array([int(fm["df"]) for fm in fms])
    order = np.argsort(dfs, kind="stable")
    fits = [fits[i] for i in order]
    fms = [fms[i] for i in order]
    names = [names[i] for i in order]
    dfs = dfs[order]
    estimator = str(fits[0].estimator).upper()
    scaled = estimator in _SCALED_DEFAULT
    if method == "default":
        method = _SCALED_DEFAULT.get(estimator, "standard")
    elif not scaled:
        _warn(
            f"method={method!r} needs robust (scaled) test statistics (estimator='MLR', "
            "'WLSMV', 'WLSM' or 'ULSMV'); using the standard chi-square difference test."
        )
        method = "standard"
    elif method == "satorra.2000" and estimator == "MLR":
        raise NrelError(
            "method='satorra.2000' is implemented for fits with ordered indicators (WLSMV, "
            "WLSM, ULSMV); for MLR use 'satorra.bentler.2001' (the default) or "
            "'satorra.bentler.2010'."
        )
    elif method.startswith("satorra.bentler") and estimator in ("WLSMV", "ULSMV"):
        raise NrelError(
            f"method={method!r} combines mean-adjusted scaling factors, but {estimator} fits "
            "have scaled-shifted tests; use method='satorra.2000' (lavaan's default for them)."
        )
    elif method == "satorra.bentler.2010" and estimator == "WLSM":
        raise NrelError(
            "method='satorra.bentler.2010' is implemented for MLR fits; for WLSM use "
            "'satorra.bentler.2001' (the default) or 'satorra.2000'."
        )

    chisq = np.array([float(fm["chisq"]) for fm in fms])
    n = len(fits)
    diff = np.full(n, np.nan)
    ddf = np.full(n, np.nan)
    diff[1:] = np.diff(chisq)
    ddf[1:] = np.diff(dfs)
    rmsea = np.full(n, np.nan)
    cd = np.full(n, np.nan)
    scale = np.full(n, np.nan)
    shift = np.full(n, np.nan)
    if (diff[1:] < -(np.finfo(float).eps ** (1 / 3))).any():
        _warn(
            "some restricted models fit better than less restricted models; either these "
            "models are not nested, or the less restricted model failed to reach a global "
            f"optimum. Smallest difference = {np.nanmin(diff[1:]):.6g}."
        )
    ntot = fits[0].nobs
    ngroups = len(fits[0].stats)
    if not scaled:
        with np.errstate(divide="ignore", invalid="ignore"):
            val = np.sqrt(np.maximum(diff[1:] / ntot / ddf[1:] - 1 / ntot, 0.0))
        rmsea[1:] = np.where(ddf[1:] > 0, val * np.sqrt(ngroups), 0.0)
    elif method == "satorra.2000":
        for m in range(n - 1):
            out = _satorra2000(fits[m], fits[m + 1], scaled_shifted=scaled_shifted)
            diff[m + 1] = out["chisq_diff"]
            ddf[m + 1] = out["df_diff"]
            cd[m + 1] = out["scaling_factor"]
            scale[m + 1] = out["scale"]
            shift[m + 1] = out["shift"]
    else:
        for m in range(n - 1):
            t_delta, c_d = _scaled_difference(
                fits[m], fms[m], fits[m + 1], fms[m + 1], method=method
            )
            diff[m + 1] = t_delta
            cd[m + 1] = c_d
    with np.errstate(invalid="ignore"):
        pvalue = stats.chi2.sf(diff, ddf)
    same = np.flatnonzero(ddf == 0)
    if same.size:
        pvalue[same] = np.nan
        _warn("some models have the same degrees of freedom; their p-values are not defined.")
    out = pd.DataFrame(
        {
            "df": dfs.astype(int),
            "aic": [float(fm.get("aic", np.nan)) for fm in fms],
            "bic": [float(fm.get("bic", np.nan)) for fm in fms],
            "chisq": chisq,
            "chisq_diff": diff,
            "rmsea": rmsea,
            "df_diff": ddf,
            "pvalue_diff": pvalue,
            "scaling_factor": cd,
            "method": method,
        },
        index=pd.Index(names, name="model"),
    )
    out.attrs["method"] = method
    if method == "satorra.2000" and scaled_shifted and estimator != "WLSM":
        out.attrs["scale"] = scale.tolist()
        out.attrs["shift"] = shift.tolist()
    out = out[LRT_COLUMNS]
    return out


def _satorra2000(m1, m0, *, scaled_shifted):
    """Satorra's (2000) difference test of m0 (restricted) against m1, fits with ordered data.

    Gathers lavaan's ingredients from the two fits (Jacobians of the first-step statistics at
    each model's estimates, equality-constraint bases, the less restricted model's weights
    and ``Γ``) and hands them to
    :func:`~nrel_research.sem._ordgroups.satorra2000_difference`.
    """
    from ._categorical import CATEGORICAL_ESTIMATORS, _weights
    from ._ordgroups import satorra2000_difference

    if list(m1.model.ov_names) != list(m0.model.ov_names):
        raise NrelError(
            "lrt(): the two models order the observed variables differently "
            f"({', '.join(m1.model.ov_names)} and {', '.join(m0.model.ov_names)}); the "
            "Satorra (2000) test compares the same first-step statistics, so write the "
            "indicators in the same order in both models."
        )
    wtype, _, test = CATEGORICAL_ESTIMATORS[str(m1.estimator).upper()]
    t1, t0 = m1.optim.test, m0.optim.test
    return satorra2000_difference(
        t0=float(t0["chisq"]),
        t1=float(t1["chisq"]),
        df0=int(t0["df"]),
        df1=int(t1["df"]),
        delta1=m1.model.wls_jacobian(m1.theta),
        delta0=m0.model.wls_jacobian(m0.theta),
        k1=m1.model.ceq_basis,
        k0=m0.model.ceq_basis,
        weights=[np.diag(_weights(st, wtype)) for st in m1.stats],
        gammas=[np.asarray(st.gamma, dtype=float) for st in m1.stats],
        nobs=[st.n for st in m1.stats],
        scaled_shifted=scaled_shifted,
        satterthwaite=test == "scaled.shifted",
    )


def _warn(msg):
    warnings.warn(msg, NrelWarning, stacklevel=3)


def _single(fit, name):
    """Test the model against the saturated model (lavaan ``lav_test_lrt_single_model``)."""
    fm = fit.fit_measures()
    scaled = str(fit.estimator).upper() in _SCALED_DEFAULT
    chisq = float(fm["chisq_scaled"] if scaled else fm["chisq"])
    pval = float(fm["pvalue_scaled"] if scaled else fm["pvalue"])
    df = int(fm["df"])
    out = pd.DataFrame(
        {
            "df": [0, df],
            "aic": [np.nan, float(fm.get("aic", np.nan))],
            "bic": [np.nan, float(fm.get("bic", np.nan))],
            "chisq": [0.0, chisq],
            "chisq_diff": [np.nan, chisq],
            "rmsea": [np.nan, np.nan],
            "df_diff": [np.nan, float(df)],
            "pvalue_diff": [np.nan, pval],
            "scaling_factor": [np.nan, float(fm["chisq_scaling_factor"]) if scaled else np.nan],
            "method": "scaled" if scaled else "standard",
        },
        index=pd.Index(["saturated", name], name="model"),
    )
    out.attrs["method"] = out["method"].iloc[0]
    return out[LRT_COLUMNS]


def _check_comparable(fits, names):
    first = fits[0]

    def refuse(k, what):
        raise NrelError(
            f"lrt(): {names[0]!r} and {names[k]!r} {what}; nested models must be fitted to the "
            "same data with the same options (refit them so)."
        )

    ov0 = sorted(first.model.ov_names)
    for k, f in enumerate(fits[1:], start=1):
        if f.nobs != first.nobs:
            refuse(k, f"use different numbers of observations ({first.nobs} and {f.nobs})")
        if f.group_labels != first.group_labels:
            refuse(k, f"have different groups ({first.group_labels!r} and {f.group_labels!r})")
        if f.group_nobs != first.group_nobs:
            refuse(k, f"have different group sizes ({first.group_nobs} and {f.group_nobs})")
        if sorted(f.model.ov_names) != ov0:
            refuse(
                k,
                f"use different observed variables ({', '.join(ov0)} and "
                f"{', '.join(sorted(f.model.ov_names))})",
            )
        if f.estimator != first.estimator:
            refuse(k, f"use different estimators ({first.estimator} and {f.estimator})")
        if f.missing != first.missing:
            refuse(k, f"treat missing values differently ({first.missing} and {f.missing})")
        if bool(f.model.meanstructure) != bool(first.model.meanstructure):
            refuse(k, "do not both have a mean structure (add '~ 1' to both or to neither)")
        if not _same_data(first, f):
            refuse(k, "were fitted to different data (the rows used differ)")


def _same_data(a, b):
    if a.data is None or b.data is None:
        return True
    cols = sorted(a.data.columns)
    if sorted(b.data.columns) != cols:
        return False
    xa = a.data[cols].reset_index(drop=True)
    xb = b.data[cols].reset_index(drop=True)
    return xa.shape == xb.shape and xa.equals(xb)


def _scaled_difference(m1, fm1, m0, fm0, *, method):
    """Satorra-Bentler (2001 or 2010) scaled difference of m0 (restricted) against m1."""
    t1, r1 = float(fm1["chisq"]), int(fm1["df"])
    t0, r0 = float(fm0["chisq"]), int(fm0["df"])
    c1 = 1.0 if r1 == 0 else float(fm1["chisq_scaling_factor"])
    c0 = float(fm0["chisq_scaling_factor"])
    m = r0 - r1
    if m == 0:
        return t0 - t1, np.nan
    if method == "satorra.bentler.2010":
        if r0 == 0:
            c0 = 1.0
        c1 = _c10(m1, m0, r1)
    c_d = (r0 * c0 - r1 * c1) / m
    if c_d < 0:
        _warn("the scaling factor of a difference test is negative; its statistic is NaN.")
        c_d = np.nan
    return (t0 - t1) / c_d, c_d


def _c10(m1, m0, r1):
    """Scaling factor of the less restricted model m1 at the restricted model m0's estimates."""
    if r1 == 0:
        return 1.0
    pats, h1 = getattr(m1, "_pats", None), getattr(m1, "_h1", None)
    if pats is None or h1 is None:
        raise NrelError(
            "method='satorra.bentler.2010' needs fits made by sem.fit() with "
            "estimator='MLR'; refit the models."
        )
    theta = _map_estimates(m1, m0)
    # only the scaling factor is needed, not the statistic at this point
    sc = scaled_test(m1.model, pats, h1, chisq=np.nan, df=r1, theta=theta)
    return float(sc.scaling_factor)


def _map_estimates(m1, m0):
    """m0's estimates in m1's free parameters, matched by ``(lhs, op, rhs, group)``."""
    t0 = m0.model.table
    vals0 = m0.model.row_values(m0.theta)
    lookup = {}
    for r, (lhs, op, rhs, g) in enumerate(
        zip(t0["lhs"], t0["op"], t0["rhs"], t0["group"], strict=True)
    ):
        if op in ("=~", "~", "~~", "~1"):
            lookup[(lhs, op, rhs, int(g))] = vals0[r]
            if op == "~~":
                lookup.setdefault((rhs, op, lhs, int(g)), vals0[r])
    t1 = m1.model.table
    theta = np.zeros(m1.model.n_free)
    free = m1.model.free
    for r in np.flatnonzero(free > 0):
        k = (t1.at[r, "lhs"], t1.at[r, "op"], t1.at[r, "rhs"], int(t1.at[r, "group"]))
        theta[free[r] - 1] = lookup.get(k, 0.0)
    return theta
