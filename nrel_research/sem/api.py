"""``fit()``: estimate a lavaan-syntax SEM on a DataFrame (ML/FIML/MLR, one or more groups)."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .._validation import check_choice, check_columns, check_positive_int, check_rng
from ..exceptions import (
    ConvergenceWarning,
    DataError,
    ImproperSolutionWarning,
    NrelError,
    NrelWarning,
    SpecificationError,
)
from ._blas import single_threaded_blas
from ._categorical import CATEGORICAL_ESTIMATORS
from ._engine import (
    FimlObjective,
    MomentStats,
    baseline_for,
    fiml_loglik_total,
    h1_moments,
    robust_measures,
    vcov_fiml_mlr,
)
from ._fiml import missing_patterns
from .bootstrap import run_bootstrap
from .defined import DefinedParameters
from .estimate import GroupStats, expected_information, fit_ml, start_values
from .model import Model
from .result import SEMResult
from .syntax import check_group_equal, parse_model

__all__ = ["fit"]

_NOT_YET = "is not available yet (planned: see the SEM engine issues); use {alt}."


def fit(
    model: str,
    data: pd.DataFrame,
    *,
    estimator: str | None = None,
    missing: str = "listwise",
    se: str | None = None,
    bootstrap: int = 1000,
    seed: int | np.random.Generator | None = None,
    n_jobs: int = 1,
    bootstrap_indices: Any = None,
    drop_improper: bool = False,
    progress: bool = False,
    group: str | None = None,
    group_equal: Sequence[str] = (),
    group_partial: Sequence[str] = (),
    group_label: Sequence[Any] | None = None,
    std_lv: bool = False,
    data_name: str = "data",
    ordered: Sequence[str] | bool | None = None,
    parameterization: str = "delta",
) -> SEMResult:
    """Fit a structural equation model written in lavaan syntax.

    Estimates match lavaan 0.6.14's ``sem()``/``cfa()`` defaults: normal-theory maximum
    likelihood (S with divisor N), expected information for standard errors, marker-variable
    scaling (first loading fixed at 1), ``fixed.x = TRUE`` for exogenous observed covariates,
    listwise deletion on the model's variables, and a mean structure only when the syntax uses
    ``~ 1``. Checked against lavaan with ``tests/reference/sem_ml.R`` (estimates, SEs, fit
    measures and bootstrap to ``atol=1e-4``).

    With ``missing="fiml"`` (lavaan ``missing = "ml"``) a mean structure is added, the FIML
    log-likelihood is maximised (rows grouped by missing-data pattern, analytic gradient), the
    standard errors come from the observed information (lavaan's default there) and the fit
    measures are taken against the saturated model estimated by EM (``unrestricted_logl``;
    SRMR from the EM moments), plus the FIML-corrected robust CFI/TLI/RMSEA (Zhang & Savalei,
    2023) that lavaan reports. ``estimator="MLR"`` adds Huber-White sandwich standard errors
    and the Yuan-Bentler (Mplus) scaled test with ``*_scaled`` and ``*_robust`` fit measures.
    Checked against lavaan with ``tests/reference/sem_missing_robust.R`` and
    ``tests/reference/sem_integrate.R`` (``atol=1e-4``; chi-square-scale statistics also
    ``rtol=1e-6``, see ``tests/test_sem_fit_missing_robust.py``).

    Parameters
    ----------
    model : str
        lavaan model syntax (``=~``, ``~``, ``~~``, ``~ 1``, ``:=``, labels and fixed values).
    data : pandas.DataFrame
        Raw data; only the model's variables are used (other columns may be anything).
    estimator : {"ML", "MLR", "WLSMV", "DWLS", "WLSM", "ULSMV"}, optional
        Default ``"ML"``, or ``"WLSMV"`` when ``ordered`` is given (as lavaan).
        ``"MLR"``: ML estimates with robust (Huber-White) standard errors and the
        Yuan-Bentler scaled test (lavaan ``estimator = "MLR"``: observed information as the
        bread, first-order meat, ``test = "yuan.bentler.mplus"``; no mean structure with
        complete data in one group unless the syntax has ``~ 1``).
    missing : {"listwise", "fiml", "ml", "direct", "pairwise"}
        ``"listwise"``: rows with a missing value on a model variable are dropped (lavaan's
        default). ``"fiml"`` (or lavaan's ``"ml"``/``"direct"``): full-information ML under
        MAR; rows without any observed value are dropped (and counted in ``n_dropped``).
        Exogenous covariates with ``fixed.x`` are refused with FIML (declare them random).
        ``"pairwise"`` (ordered indicators only, lavaan's choice for categorical data):
        thresholds and means from each variable's observed values, correlations from the
        pairwise-complete rows, ``N`` = rows with at least one observed value.
    se : {"standard", "robust", "bootstrap", "none"}, optional
        Default ``"standard"`` (``"robust"`` with MLR and with the ordinal estimators
        WLSMV, WLSM and ULSMV).
        ``"standard"``: from the expected information (complete data) or the observed
        information (FIML). ``"robust"``: Huber-White sandwich (lavaan
        ``se = "robust.huber.white"``, implied by ``estimator="MLR"``; the bread is the
        observed information, as lavaan sets it for robust SEs). ``"bootstrap"``:
        ordinary nonparametric bootstrap (lavaan ``se = "bootstrap"``) with percentile CIs
        (listwise ML in one group only).
    bootstrap : int, default 1000
        Number of bootstrap replications.
    seed : int or numpy.random.Generator, optional
        Seed of the bootstrap resampling (same seed, same numbers, whatever ``n_jobs``).
    n_jobs : int, default 1
        Parallel bootstrap workers (joblib processes).
    bootstrap_indices : array_like, optional
        An ``R x N`` array of 0-based row indices into the complete cases, one row per
        replication; overrides ``bootstrap`` and ``seed``. Use it to reproduce lavaan's
        resamples (``bootstrapLavaan(..., keep.idx = TRUE)``, minus 1).
    drop_improper : bool, default False
        Drop bootstrap replications with an improper solution (negative variances, non-positive-
        definite matrices). lavaan keeps them, and so do we by default.
    progress : bool, default False
        Print bootstrap progress to standard error.
    group : str, optional
        Name of a column of ``data`` holding group labels: fit the model in every group
        (lavaan ``cfa(..., group = "school")``), with every ``estimator``, ``missing`` and
        ``se`` option except the bootstrap. Groups are ordered by first appearance in the
        data, as lavaan; rows with a missing group label are dropped. A mean structure is
        added (intercepts free per group, latent means fixed at 0), the sample moments use
        divisor ``N_g`` and the discrepancy (or the FIML log-likelihood, with each group's own
        missing-data patterns and EM saturated moments) is summed over groups; parameters are
        free in every group except where the syntax shares a label (``c(a, a)*x2`` or ``a*x2``
        holds that loading equal across groups). The fit measures are lavaan's pooled
        multiple-group ones: chi-square summed over groups, the multiple-group baseline, RMSEA
        with the ``sqrt(G)`` factor, SRMR weighted by group size; with MLR the Yuan-Bentler
        scaling factor pooled over groups (``Σ_g [tr(B1_g A1_g⁻¹) - f_g tr(B0_g E⁻¹)] / df``,
        Yuan & Bentler, 2000) and the ``*_scaled``/``*_robust`` indices. A group in which a
        variable has fewer than 2 observed values (FIML) or too few rows is refused with a
        ``DataError`` naming the group. Checked against lavaan with
        ``tests/reference/sem_groups.R`` and ``sem_groups_robust.R`` (``atol=1e-4``; see
        ``tests/test_sem_groups_robust.py`` for two documented loosenings). Compare nested
        multiple-group fits with :func:`~nrel_research.sem.lrt`.
    group_equal : str or sequence of str, default ()
        lavaan's ``group.equal``: parameter types held equal across groups, among
        ``"loadings"`` (every ``=~``), ``"intercepts"`` (``~ 1`` of observed variables other
        than fixed.x covariates), ``"means"`` (``~ 1`` of latent variables), ``"residuals"``
        (their ``x ~~ x``), ``"residual.covariances"`` (``x ~~ y``), ``"lv.variances"``,
        ``"lv.covariances"`` and ``"regressions"`` (every ``~``). As lavaan 0.6.14
        (``lav_partable_labels``, ``lav_partable_flat``): the constrained rows of every group
        get the group-1 parameter's label (``".p2."``) and ``==`` rows tie them; a row fixed
        in any group (a marker loading) is fixed at that value in all; user labels in the
        syntax win over ``group_equal``; with ``"intercepts"`` but not ``"means"`` the latent
        means are freed in groups 2..G, and with ``std_lv=True`` plus ``"loadings"`` but not
        ``"lv.variances"`` the latent variances are freed in groups 2..G. Needs ``group=``.
        ``"thresholds"`` (ordinal indicators) is refused for now. See also
        :func:`~nrel_research.sem.invariance`. Checked against lavaan with
        ``tests/reference/sem_group_equal.R`` (``atol=1e-4``).
    group_partial : str or sequence of str, default ()
        lavaan's ``group.partial``: parameters freed from the ``group_equal`` constraints in
        every group, written as in lavaan (white space ignored): ``"visual =~ x2"``,
        ``"x3 ~ 1"``, ``"x1 ~~ x1"``, ``"f1 ~~ f2"`` (either order), ``"y ~ x"``. A name that
        is not a parameter of the model is an error (with the closest spellings); an entry
        that frees nothing (not constrained, fixed in every group, or labelled in the syntax)
        is recorded as a warning, where lavaan ignores it silently.
    group_label : sequence, optional
        The groups to fit and their order (lavaan ``group.label``), e.g.
        ``["Grant-White", "Pasteur"]``; rows of other groups are left out (counted in
        ``n_dropped``). Values match the column's values or their text. A label absent from
        the data is an error (lavaan only warns). Default: every group, in order of first
        appearance.
    std_lv : bool, default False
        Identify latent variables by fixing their (residual) variances at 1 and freeing all
        loadings (lavaan ``std.lv = TRUE``) instead of fixing the first loading at 1.
    data_name : str, default "data"
        How to call the data set in error messages (e.g. its file name).
    ordered : sequence of str or True, optional
        Ordered (ordinal, e.g. Likert) indicators, as lavaan's ``ordered =``; ``True``
        makes every observed variable of the model ordered. Then lavaan's two-step
        categorical estimator is used (Muthén et al., 1997): thresholds and
        polychoric (polyserial, Pearson) correlations with their asymptotic covariance
        matrix per group, then ``estimator`` on them: ``"WLSMV"`` (default; diagonally
        weighted least squares, robust standard errors, mean-and-variance adjusted
        "scaled-shifted" test of Asparouhov & Muthén, 2010), ``"WLSM"`` (the mean-adjusted
        Satorra & Bentler, 1994, test), ``"DWLS"`` (standard errors and test under the
        DWLS weights only) or ``"ULSMV"`` (unweighted least squares, robust SEs,
        scaled-shifted test). Categories are the distinct values of each ordered column
        (in numeric order) over the data used; a category absent in one group is an error
        (as lavaan's "some categories of variable ... are empty in group ..."). A mean
        structure is implied (thresholds free per group, intercepts of ordered variables
        0). ``missing="pairwise"`` uses every pair of observed values for the
        correlations (lavaan ``missing = "pairwise"``); FIML, ML/MLR, the bootstrap and
        fixed exogenous covariates (lavaan's conditional.x) are not available with
        ordered indicators. ``estimates()`` gains threshold rows (``op == "|"``,
        ``rhs`` ``"t1"``...) and scale rows (``op == "~*~"``); under the delta
        parameterization the residual variances of ordered indicators are reported as
        ``1 - R^2``. Checked against lavaan 0.6.14 with ``tests/reference/sem_ordinal.R``
        (estimates, SEs, ``std.all``, fit measures to ``atol=1e-4``).
    parameterization : {"delta", "theta"}, default "delta"
        lavaan's ``parameterization`` for ordered indicators: ``"delta"`` fixes the total
        variance of the latent responses at 1 (scale factors ``~*~`` fixed at 1), ``"theta"``
        fixes their residual variances at 1 (scale factors computed).

    Returns
    -------
    SEMResult

    Raises
    ------
    SpecificationError
        Unparsable syntax (the message names the line) or unsupported features.
    DataError
        Variables (or the ``group`` column) missing from the data, non-numeric columns, too
        few complete rows (in a group: fewer than the parameters per group), or a singular
        sample covariance matrix.

    Examples
    --------
    >>> from nrel_research import sem
    >>> from nrel_research.datasets import load_dataset
    >>> hs = load_dataset("holzinger_swineford_1939")
    >>> res = sem.fit("visual =~ x1 + x2 + x3; textual =~ x4 + x5 + x6; "
    ...               "speed =~ x7 + x8 + x9", hs)
    >>> float(round(res.fit_measures()["chisq"], 3)), int(res.fit_measures()["df"])
    (85.306, 24)
    >>> res.estimates().loc[1, ["est", "se"]].astype(float).round(3).tolist()
    [0.554, 0.1]

    The configural model in the two schools (lavaan ``cfa(..., group = "school")``):

    >>> mg = sem.fit("visual =~ x1 + x2 + x3; textual =~ x4 + x5 + x6; "
    ...              "speed =~ x7 + x8 + x9", hs, group="school")
    >>> mg.group_labels, float(round(mg.fit_measures()["chisq"], 3))
    (['Pasteur', 'Grant-White'], 115.851)

    Equal loadings and intercepts across schools (scalar invariance, lavaan
    ``group.equal = c("loadings", "intercepts")``), the intercept of x3 freed:

    >>> sc = sem.fit("visual =~ x1 + x2 + x3; textual =~ x4 + x5 + x6; "
    ...              "speed =~ x7 + x8 + x9", hs, group="school",
    ...              group_equal=("loadings", "intercepts"), group_partial="x3 ~ 1")
    >>> int(sc.fit_measures()["df"]), float(round(sc.fit_measures()["chisq"], 3))
    (59, 144.579)

    Missing values by FIML with robust (MLR) standard errors and the scaled test:

    >>> hs_na = load_dataset("holzinger_swineford_1939_missing")
    >>> mlr = sem.fit("visual =~ x1 + x2 + x3; textual =~ x4 + x5 + x6; "
    ...               "speed =~ x7 + x8 + x9", hs_na, missing="fiml", estimator="MLR")
    >>> fm = mlr.fit_measures()
    >>> [round(float(fm[k]), 3) for k in ("chisq", "chisq_scaled", "cfi_robust")]
    [91.757, 97.052, 0.904]

    Both at once, per school (lavaan ``cfa(..., group = "school", missing = "ml",
    estimator = "MLR")``):

    >>> hs_na["school"] = hs["school"]
    >>> mg_mlr = sem.fit("visual =~ x1 + x2 + x3; textual =~ x4 + x5 + x6; "
    ...                  "speed =~ x7 + x8 + x9", hs_na, group="school", missing="fiml",
    ...                  estimator="MLR")
    >>> fm = mg_mlr.fit_measures()
    >>> [round(float(fm[k]), 3) for k in ("chisq", "chisq_scaled", "chisq_scaling_factor")]
    [130.211, 138.108, 0.943]

    The items cut into five ordered categories, fitted as lavaan's
    ``cfa(..., ordered = TRUE)`` (WLSMV, delta parameterization):

    >>> hs_ord = load_dataset("holzinger_swineford_1939_ordinal")
    >>> wl = sem.fit("visual =~ x1 + x2 + x3; textual =~ x4 + x5 + x6; "
    ...              "speed =~ x7 + x8 + x9", hs_ord, ordered=True)
    >>> fm = wl.fit_measures()
    >>> [round(float(fm[k]), 3) for k in ("chisq", "chisq_scaled", "cfi_scaled", "rmsea_scaled")]
    [56.779, 83.385, 0.962, 0.091]
    >>> e = wl.estimates()
    >>> e.loc[e["op"] == "|", ["lhs", "op", "rhs", "est", "se"]].head(2).round(3)
       lhs op rhs    est     se
    9   x1  |  t1 -0.786  0.081
    10  x1  |  t2 -0.214  0.073
    """
    if ordered is not None and ordered is not False:
        from ._ordinal_api import fit_ordinal

        return fit_ordinal(
            model,
            data,
            ordered=ordered,
            estimator=estimator,
            missing=missing,
            se=se,
            group=group,
            group_equal=group_equal,
            group_partial=group_partial,
            group_label=group_label,
            std_lv=std_lv,
            parameterization=parameterization,
            data_name=data_name,
            bootstrap_indices=bootstrap_indices,
        )
    if estimator is None:
        estimator = "ML"
    if se is None:
        se = "standard"
    if isinstance(estimator, str) and estimator.strip().upper() in CATEGORICAL_ESTIMATORS:
        raise SpecificationError(
            f"estimator={estimator!r} is lavaan's estimator for ordered (categorical) "
            "indicators; name them with ordered=[...] (or ordered=True), or use estimator='ML' "
            "or 'MLR' for continuous indicators."
        )
    estimator = check_choice(estimator, "estimator", ["ML", "MLR"], normalize=True)
    if isinstance(missing, str) and missing.strip().lower() == "pairwise":
        raise NrelError(
            "missing='pairwise' applies to ordered indicators (give ordered=[...]); for "
            "continuous indicators use missing='fiml' (or 'listwise')."
        )
    missing = check_choice(missing, "missing", ["listwise", "fiml", "ml", "direct"], normalize=True)
    se = check_choice(se, "se", ["standard", "robust", "bootstrap", "none"], normalize=True)
    fiml = missing in ("fiml", "ml", "direct")
    mlr = estimator == "MLR"
    if mlr and se == "standard":
        se = "robust"  # lavaan: estimator = "MLR" implies se = "robust.huber.white"
    if se == "bootstrap" and (fiml or mlr):
        raise NrelError(
            "se='bootstrap' with missing='fiml' or estimator='MLR' is not available; use "
            "se='robust' (Huber-White) or the bootstrap with missing='listwise', estimator='ML'."
        )
    group_equal = check_group_equal(group_equal)
    if group is None and group_label is not None:
        raise NrelError("group_label= chooses and orders the groups of group=; give group= too.")
    if group is None and (group_equal or _nonempty(group_partial)):
        raise NrelError(
            "group_equal= and group_partial= constrain parameters across groups and need "
            "group= (the name of the column holding the group labels), e.g. "
            "fit(model, data, group='school', group_equal=('loadings',))."
        )
    opts = _Options(estimator=estimator, fiml=fiml, mlr=mlr, se=se)
    if group is not None:
        if se == "bootstrap":
            raise NrelError(
                "the bootstrap of multiple-group models (group= with se='bootstrap') "
                + _NOT_YET.format(alt="se='standard' or se='robust'")
            )
        result = _fit_groups(
            model,
            data,
            group,
            opts=opts,
            std_lv=bool(std_lv),
            data_name=data_name,
            group_equal=group_equal,
            group_partial=group_partial,
            group_label=group_label,
        )
        result.call = {
            "estimator": estimator,
            "missing": missing,
            "se": se,
            "group": group,
            "group_equal": tuple(group_equal),
            "group_partial": _as_tuple(group_partial),
            "group_label": None if group_label is None else list(result.group_labels),
            "std_lv": bool(std_lv),
        }
        return result
    n_jobs = check_positive_int(n_jobs, "n_jobs")
    if se == "bootstrap" and bootstrap_indices is None:
        bootstrap = check_positive_int(bootstrap, "bootstrap", minimum=2)

    pt = parse_model(model, std_lv=bool(std_lv), meanstructure=True if fiml else "default")
    check_columns(data, pt.ov_names, data_name=data_name)
    _check_fixed_x(pt, opts)
    x = _numeric_block(data, pt.ov_names, data_name)
    blk = _prepare_block(
        x, data.index, pt.ov_names, opts=opts, where=data_name, data_name=data_name
    )
    core = _estimate(pt, [blk], opts)
    recorded = list(blk.warnings)
    recorded += _fit_warnings(core, opts, pt, group_labels=None)

    boot = None
    if se == "bootstrap":
        with single_threaded_blas():
            boot = run_bootstrap(
                core.model,
                blk.x,
                core.theta,
                core.defined,
                r=bootstrap,
                rng=check_rng(seed) if bootstrap_indices is None else None,
                indices=bootstrap_indices,
                n_jobs=n_jobs,
                drop_improper=drop_improper,
                progress=progress,
            )
        for cls, msg in boot.messages():
            recorded.append(_warning(cls, msg))

    result = _result(core, [blk], opts, recorded, syntax=model, boot=boot)
    result.call = {"estimator": estimator, "missing": missing, "se": se, "std_lv": bool(std_lv)}
    used = pd.DataFrame(blk.x, columns=pt.ov_names)
    result.data = used if fiml else used.reset_index(drop=True)
    for w in recorded:
        warnings.warn(str(w), type(w), stacklevel=2)
    return result


@dataclass(frozen=True)
class _Options:
    """Estimation options shared by the one- and multiple-group paths."""

    estimator: str
    fiml: bool
    mlr: bool
    se: str

    @property
    def robust(self) -> bool:
        return self.se == "robust" or self.mlr


@dataclass
class _Block:
    """The data of one group as the estimator sees them."""

    x: np.ndarray  # rows used (complete rows; with FIML every row of the group)
    stats: Any  # GroupStats (complete data) or MomentStats (FIML: the EM moments)
    pat: Any = None  # MissingPatterns (FIML, or complete data with robust inference)
    h1: Any = None  # saturated moments (EMResult)
    n_dropped: int = 0
    warnings: list = field(default_factory=list)


@dataclass
class _Core:
    """What ``_estimate`` returns."""

    model: Model
    defined: DefinedParameters
    optim: Any
    theta: np.ndarray
    fmin: float
    vcov: np.ndarray | None
    singular: bool
    fit_override: dict | None
    fit_extra: dict | None


def _check_fixed_x(pt, opts):
    if (opts.fiml or opts.robust) and pt.ov_x:
        raise SpecificationError(
            f"exogenous observed covariate(s) {', '.join(pt.ov_x)} with fixed.x are not "
            "supported with missing='fiml', estimator='MLR' or se='robust'; make them random "
            f"by adding their variances to the syntax (e.g. '{pt.ov_x[0]} ~~ "
            f"{pt.ov_x[0]}'), or use missing='listwise' with estimator='ML'."
        )


def _prepare_block(x, index, names, *, opts, where, data_name, npar=None, label=None):
    """Rows, sample statistics, missing-data patterns and h1 moments of one group.

    ``where`` names the data (and the group) in messages; ``npar`` (multiple groups) is the
    number of free parameters of the group, the minimum number of rows besides ``p + 1``.
    """
    p = len(names)
    need = p + 1 if npar is None else max(npar, p + 1)
    in_group = "" if label is None else " in every group"
    prefix = "" if label is None else f"group {label!r}: "
    if opts.fiml:
        n_seen = (~np.isnan(x)).sum(axis=0)
        if (n_seen < 2).any():
            col = names[int(np.argmin(n_seen))]
            raise DataError(
                f"{where}, column {col!r} has {int(n_seen.min())} observed value(s); FIML "
                f"needs at least 2 per variable{in_group}. Drop the variable from the model"
                + (", merge small groups" if label is not None else "")
                + " or collect data."
            )
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            pat = missing_patterns(pd.DataFrame(x, columns=names, index=index), data_name=where)
        if pat.n_obs < need:
            raise DataError(
                f"{where} has {pat.n_obs} row(s) with an observed value on the model's {p} "
                "variables"
                + (f" but the model has {npar} free parameters per group" if label else "")
                + f"; at least {need} are needed{in_group}. Use more data or fewer variables."
            )
        with warnings.catch_warnings(record=True) as em_caught:
            warnings.simplefilter("always")
            h1 = h1_moments([pat], missing=True)[0]
        recorded = [type(w.message)(prefix + str(w.message)) for w in (*caught, *em_caught)]
        blk = _Block(
            x=x,
            stats=MomentStats(pat, h1),
            pat=pat,
            h1=h1,
            n_dropped=int(pat.empty_rows.size),
            warnings=recorded,
        )
    else:
        complete = ~np.isnan(x).any(axis=1)
        n_dropped = int((~complete).sum())
        xc = x[complete]
        if xc.shape[0] < need:
            if label is None:
                raise DataError(
                    f"{where} has {xc.shape[0]} complete row(s) on the model's {p} variables "
                    f"({n_dropped} dropped for missing values); at least {need} are needed. "
                    "Use more data or fewer variables."
                )
            raise DataError(
                f"{where} has {xc.shape[0]} complete row(s) on the model's {p} variables but "
                f"the model has {npar} free parameters per group; at least {need} complete "
                "rows are needed in every group. Collect more data, merge small groups, or "
                "simplify the model."
            )
        blk = _Block(x=xc, stats=GroupStats(xc), n_dropped=n_dropped)
        if opts.robust:
            blk.pat = missing_patterns(xc, data_name=where)
            blk.h1 = h1_moments([blk.pat], missing=False)[0]
    _check_singular(blk.stats, names, where)
    return blk


def _estimate(pt, blocks, opts):
    """Estimate the model on one or more groups: the engine shared by every path of ``fit``.

    Complete-data ML, FIML (``opts.fiml``), the observed-information or sandwich covariance
    (``opts.robust``), and the pooled FIML/MLR fit statistics (chi-square against the h1 model
    summed over groups, the multiple-group baseline, the Yuan-Bentler scaled test and the
    robust indices), as lavaan 0.6.14 computes them.
    """
    stats = [b.stats for b in blocks]
    pats = [b.pat for b in blocks] if blocks[0].pat is not None else None
    h1 = [b.h1 for b in blocks] if blocks[0].h1 is not None else None
    mdl = Model(pt)
    mdl.set_fixed_x([s.cov for s in stats], [s.mean for s in stats])
    defined = DefinedParameters(mdl.table)
    if mdl.n_unique == 0:
        raise SpecificationError("the model has no free parameters to estimate.")
    fit_override = fit_extra = None
    with single_threaded_blas():
        start = start_values(mdl, stats)
        objective = FimlObjective(mdl, pats) if opts.fiml else None
        info = fit_ml(mdl, stats, start, objective=objective)
        theta = info.theta
        fmin = info.fmin
        vcov = e_inv = b0_groups = None
        singular = False
        if opts.robust or (opts.fiml and opts.se != "none"):
            vcov, e_inv, b0_groups, singular = vcov_fiml_mlr(mdl, pats, theta, robust=opts.robust)
            if opts.se == "none":
                vcov = None
        elif opts.se != "none":
            vcov, singular = _vcov_expected(mdl, stats, theta)
        if opts.fiml or opts.mlr:
            ms = mdl.meanstructure
            ntot = sum(s.n for s in stats)
            p = len(pt.ov_names)
            ndat = len(blocks) * (p * (p + 1) // 2 + (p if ms else 0))
            df = ndat - mdl.n_unique
            baseline = baseline_for(pats, h1, ms)
            if opts.fiml:
                ll = fiml_loglik_total(mdl, pats, theta)
                ull = float(sum(h.loglik for h in h1))
                chisq = 2.0 * (ull - ll)
                fmin = chisq / ntot
                fit_override = {
                    "chisq": chisq,
                    "baseline_chisq": baseline.chisq,
                    "baseline_df": baseline.df,
                    "logl": ll,
                    "unrestricted_logl": ull,
                }
            else:
                chisq = ntot * fmin
            fit_extra = robust_measures(
                mdl,
                pats,
                h1,
                theta,
                chisq=chisq,
                df=df,
                e_inv=e_inv,
                b0_groups=b0_groups,
                missing=opts.fiml,
                mlr=opts.mlr,
                baseline=baseline,
            )
    return _Core(
        model=mdl,
        defined=defined,
        optim=info,
        theta=theta,
        fmin=fmin,
        vcov=vcov,
        singular=singular,
        fit_override=fit_override,
        fit_extra=fit_extra,
    )


def _fit_warnings(core, opts, pt, *, group_labels):
    """Non-convergence, singular information and improper solutions (per group)."""
    out = []
    if core.singular:
        out.append(
            ImproperSolutionWarning(
                "the information matrix is singular: the model may not be identified; "
                "standard errors are not reliable (NaN where undefined)."
            )
        )
    info = core.optim
    if not info.converged:
        where = " in every group" if group_labels is not None else ""
        out.append(
            ConvergenceWarning(
                f"the {'FIML' if opts.fiml else 'ML'} optimizer did not converge "
                f"({info.message}; largest gradient {info.grad_max:.2e}); estimates are not "
                f"trustworthy. Check the model's identification and scaling{where}, or "
                "simplify it."
            )
        )
    if group_labels is None:
        out += [ImproperSolutionWarning(m) for m in improper_messages(core.model, core.theta)]
    else:
        for gi, lab in enumerate(group_labels):
            for msg in improper_messages(core.model, core.theta, groups=[gi]):
                out.append(ImproperSolutionWarning(f"group {lab!r}: {msg}"))
    if pt.random_x:
        out.append(
            NrelWarning(
                "the syntax gives (co)variances or intercepts of exogenous covariate(s) "
                f"{', '.join(pt.random_x)}; they are treated as random variables with free "
                "parameters (as lavaan does). Remove those formulas to keep them fixed "
                "(fixed.x)."
            )
        )
    return out


def _result(core, blocks, opts, recorded, *, syntax, boot=None, **kw):
    result = SEMResult(
        model=core.model,
        stats=[b.stats for b in blocks],
        theta=core.theta,
        fmin=core.fmin,
        vcov=core.vcov,
        defined=core.defined,
        optim=core.optim,
        se=opts.se,
        boot=boot,
        warning_messages=[str(w) for w in recorded],
        n_dropped=sum(b.n_dropped for b in blocks) + kw.pop("n_extra_dropped", 0),
        syntax=syntax,
        estimator=opts.estimator,
        missing="ml" if opts.fiml else "listwise",
        fit_override=core.fit_override,
        fit_extra=core.fit_extra,
        **kw,
    )
    # per group: missing-data patterns and saturated (h1) moments, for the robust tests of
    # sem.lrt (None for complete-data ML without robust inference)
    result._pats = [b.pat for b in blocks] if blocks[0].pat is not None else None
    result._h1 = [b.h1 for b in blocks] if blocks[0].h1 is not None else None
    return result


def _as_tuple(value) -> tuple:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,) if value.strip() else ()
    return tuple(value)


def _nonempty(value) -> bool:
    if value is None:
        return False
    if isinstance(value, str):
        return bool(value.strip())
    return len(tuple(value)) > 0


def _select_groups(labels, group_label, group, data_name):
    """Apply lavaan's ``group.label``: choose and order the groups, refusing absent ones."""
    if isinstance(group_label, str) or not hasattr(group_label, "__iter__"):
        group_label = [group_label]
    text = {}
    for lab in labels:
        text[str(lab)] = lab
        if isinstance(lab, float) and lab.is_integer():
            text[str(int(lab))] = lab  # as R's as.character(7) == "7"
    out = []
    for want in group_label:
        if want in labels:
            got = labels[labels.index(want)]
        elif str(want) in text:
            got = text[str(want)]
        else:
            raise DataError(
                f"{data_name}, column {group!r}: the group label {want!r} (group_label=) does "
                f"not occur in the data; its labels are {', '.join(str(v) for v in labels)}."
            )
        if got not in out:
            out.append(got)
    if not out:
        raise DataError("group_label= is empty; name at least one group or leave it out.")
    return out


def _fit_groups(
    model,
    data,
    group,
    *,
    opts,
    std_lv,
    data_name,
    group_equal=(),
    group_partial=(),
    group_label=None,
):
    """Multiple-group fit (lavaan ``cfa(..., group =, group.equal =)``): ML/FIML, ML/MLR."""
    if not isinstance(group, str):
        raise NrelError(f"group={group!r} is not valid; give the name of a column of {data_name}.")
    check_columns(data, [group], data_name=data_name)
    gcol = data[group]
    labels = list(pd.unique(gcol[gcol.notna()]))  # lavaan: order of first appearance
    if not labels:
        raise DataError(
            f"{data_name}, column {group!r} (group=) has no non-missing value; fill in the "
            "group labels."
        )
    n_other = 0
    if group_label is not None:
        chosen = _select_groups(labels, group_label, group, data_name)
        n_other = int((gcol.notna() & ~gcol.isin(chosen)).sum())
        labels = chosen
    ngroups = len(labels)
    pt = parse_model(
        model,
        std_lv=std_lv,
        ngroups=ngroups,
        meanstructure=True,
        group_equal=group_equal,
        group_partial=group_partial,
    )
    check_columns(data, pt.ov_names, data_name=data_name)
    _check_fixed_x(pt, opts)
    x_all = _numeric_block(data, pt.ov_names, data_name)
    free_rows = pt.table[pt.table["free"] > 0]
    gvals = gcol.to_numpy()
    blocks = []
    for gi, lab in enumerate(labels):
        sel = gvals == lab
        blk = _prepare_block(
            x_all[sel],
            data.index[sel],
            pt.ov_names,
            opts=opts,
            where=f"{data_name}, column {group!r}, group {lab!r}",
            data_name=data_name,
            npar=int((free_rows["group"] == gi + 1).sum()),
            label=lab,
        )
        blocks.append(blk)
    core = _estimate(pt, blocks, opts)
    recorded = [NrelWarning(msg) for msg in pt.messages]
    recorded += [w for b in blocks for w in b.warnings]
    recorded += _fit_warnings(core, opts, pt, group_labels=labels)
    result = _result(
        core,
        blocks,
        opts,
        recorded,
        syntax=model,
        n_extra_dropped=int(gcol.isna().sum()) + n_other,
        group_labels=labels,
        group=group,
    )
    result.data = pd.concat(
        [
            pd.DataFrame(b.x, columns=pt.ov_names).assign(**{group: lab})
            for b, lab in zip(blocks, labels, strict=True)
        ],
        ignore_index=True,
    )
    for w in recorded:
        warnings.warn(str(w), type(w), stacklevel=3)
    return result


def _warning(cls, msg):
    return cls(msg)


def _numeric_block(data, columns, data_name):
    out = np.empty((len(data), len(columns)))
    for k, col in enumerate(columns):
        s = data[col]
        textual = s.dtype == object or pd.api.types.is_string_dtype(s)
        if pd.api.types.is_bool_dtype(s) or not (pd.api.types.is_numeric_dtype(s) or textual):
            raise DataError(
                f"{data_name}, column {col!r} has dtype {s.dtype}; SEM needs numeric columns. "
                "Recode it to numbers (e.g. dummy-code categories) or drop it from the model."
            )
        if textual:
            conv = pd.to_numeric(s, errors="coerce")
            bad = conv.isna() & s.notna()
            if bad.any():
                row = bad.idxmax()
                raise DataError(
                    f"{data_name}, row {row}, column {col!r}, value {s[row]!r} is not numeric; "
                    "SEM needs numeric columns. Recode or clean the column first."
                )
            s = conv
        out[:, k] = s.to_numpy(dtype=float, na_value=np.nan)
        inf = np.isinf(out[:, k])
        if inf.any():
            row = data.index[int(np.argmax(inf))]
            value = float(out[inf, k][0])
            raise DataError(
                f"{data_name}, row {row}, column {col!r}, value {value!r} is infinite; "
                "replace it by a finite value or by a missing value (NaN)."
            )
    return out


def _check_singular(st, names, data_name):
    var = np.diag(st.cov)
    const = [names[k] for k in range(len(names)) if var[k] <= 1e-12 * max(1.0, var.max())]
    if const:
        raise DataError(
            f"{data_name}: column(s) {', '.join(map(repr, const))} are constant in the complete "
            "rows; the sample covariance matrix is singular. Drop them from the model."
        )
    sd = np.sqrt(var)
    corr = st.cov / np.outer(sd, sd)
    w, v = np.linalg.eigh(corr)
    if w[0] < 1e-10:
        vec = v[:, 0]
        involved = [names[k] for k in np.argsort(-np.abs(vec)) if abs(vec[k]) > 0.1]
        raise DataError(
            f"{data_name}: the sample covariance matrix of the model's variables is singular "
            f"(a linear dependence among {', '.join(map(repr, involved))}); drop or combine "
            "redundant variables."
        )


def _vcov_expected(model, stats, theta):
    info = expected_information(model, stats, theta)
    k = model.ceq_basis
    ik = k.T @ info @ k
    ntot = sum(s.n for s in stats)
    w = np.linalg.eigvalsh(ik)
    singular = w[0] <= 1e-10 * max(w[-1], 1e-300)
    inv = np.linalg.pinv(ik) if singular else np.linalg.inv(ik)
    return k @ inv @ k.T / ntot, bool(singular)


def improper_messages(model, theta, groups=None) -> list[str]:
    """Post-estimation checks as lavaan's ``lav_object_post_check``.

    Negative variances of observed variables or of latent variables; then, if the latent
    variances are positive, a covariance matrix of the latent variables that is not positive
    definite, and, if the observed variances are positive, a residual covariance matrix
    (Theta) that is not (both with lavaan's tolerance ``-eps^(3/4)`` on the eigenvalues).
    """
    msgs = []
    t = model.table
    vals = model.row_values(theta)
    ops, lhs, rhs = t["op"].to_numpy(), t["lhs"].to_numpy(), t["rhs"].to_numpy()
    in_groups = np.ones(len(t), dtype=bool)
    if groups is not None:
        in_groups = t["group"].isin([g + 1 for g in groups]).to_numpy()
    var_rows = np.flatnonzero((ops == "~~") & (lhs == rhs) & in_groups)
    ov, lv = set(model.ov_names), set(model.lv_names)
    neg_ov = [lhs[r] for r in var_rows if vals[r] < 0 and lhs[r] in ov]
    neg_lv = [lhs[r] for r in var_rows if vals[r] < 0 and lhs[r] in lv]
    if neg_ov:
        msgs.append(
            "some estimated observed-variable (residual) variances are negative (Heywood case): "
            + ", ".join(neg_ov)
        )
    if neg_lv:
        msgs.append("some estimated latent variances are negative: " + ", ".join(neg_lv))
    tol = -(np.finfo(float).eps ** 0.75)
    for gi, rep in enumerate(model.groups):
        if groups is not None and gi not in groups:
            continue
        nlv = len(rep.lv)
        if nlv and not neg_lv:
            veta, _ = model.veta(theta, gi)
            if np.linalg.eigvalsh(veta[:nlv, :nlv])[0] < tol:
                msgs.append(
                    "the covariance matrix of the latent variables is not positive definite"
                )
        if not neg_ov:
            th = model.group_matrices(theta, gi)["theta"]
            if th.size and np.linalg.eigvalsh(th)[0] < tol:
                msgs.append(
                    "the residual covariance matrix of the observed variables (Theta) is not "
                    "positive definite"
                )
    return msgs
