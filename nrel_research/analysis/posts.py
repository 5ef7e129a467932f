"""Post-level analysis (proposition P8): engagement of coded posts by N-REL action type.

- :func:`engagement_model` - a negative binomial (NB2) regression of an engagement count
  (likes, comments, shares) of brand posts on their coded action type, with the dispersion
  estimated by maximum likelihood, log followers as a covariate, platform fixed effects and
  firm-clustered (CR1) standard errors; reported as incidence-rate ratios.
- :func:`triangulate` - per action type, the correlation between a firm's observed emphasis
  (its share of coded posts of that type, :func:`nrel_research.coding.action_mix`) and its
  self-reported survey score for the same action construct.

Posts are nested in firms. A firm random-intercept negative binomial model (R's
``glmmTMB(..., family = nbinom2)`` or ``lme4::glmer.nb``) has no reliable counterpart in
the Python scientific stack (statsmodels' mixed GLMs are Bayesian/variational, Poisson or
binomial only), so the nesting is handled the way econometrics recommends for a
population-averaged coefficient: cluster-robust standard errors by firm (Cameron & Miller,
2015). The point estimates are then those of the pooled NB2 model; only their uncertainty
accounts for the clustering.

References
----------
Cameron, A. C., & Miller, D. L. (2015). A practitioner's guide to cluster-robust
inference. *Journal of Human Resources*, 50(2), 317-372.

Cameron, A. C., & Trivedi, P. K. (2013). *Regression analysis of count data* (2nd ed.).
Cambridge University Press.

Hilbe, J. M. (2011). *Negative binomial regression* (2nd ed.). Cambridge University Press.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats
from scipy.special import polygamma

from .. import framework, instruments
from .._validation import check_choice, check_columns, check_positive_int
from ..exceptions import ConvergenceWarning, DataError, DataQualityWarning
from ..sem._blas import single_threaded_blas

__all__ = [
    "NB_MIN_CLUSTERS",
    "EngagementModelResult",
    "engagement_model",
    "triangulate",
]

#: Fewest clusters (firms) for cluster-robust standard errors. Below it CR1 standard errors
#: are biased downwards and Wald tests over-reject (Cameron & Miller, 2015, sec. VI, who
#: report problems below 20-50 clusters); :func:`engagement_model` then falls back to
#: model-based standard errors with a warning.
NB_MIN_CLUSTERS = 20

_TERM_COLUMNS = ["term", "kind", "level", "estimate", "se", "z", "pvalue"]


# ---------------------------------------------------------------------------------------
# input checks
# ---------------------------------------------------------------------------------------
def _row(data: pd.DataFrame, i: int) -> str:
    """Describe row ``i`` (0-based position) as its line in a CSV file and its index.

    ``data.attrs["_positions"]`` (set after listwise deletion) maps positions back to the
    rows of the table the user passed.
    """
    pos = data.attrs.get("_positions")
    line = int(pos[i]) if pos is not None else i
    return f"row {line + 2} (index {_plain(data.index[i])!r})"


def _plain(value):
    """Return a numpy scalar as a Python value (messages show ``9``, not ``np.int64(9)``)."""
    return value.item() if isinstance(value, np.generic) else value


def _where(data: pd.DataFrame, i: int, column: str) -> str:
    """Describe the cell of row ``i`` and ``column``: row, index, column and value."""
    return f"{_row(data, i)}, column '{column}', value {_plain(data[column].iloc[i])!r}"


def _count_column(data: pd.DataFrame, column: str, name: str) -> np.ndarray:
    values = pd.to_numeric(data[column], errors="coerce")
    bad = values.isna() & data[column].notna()
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise DataError(
            f"{name}, {_where(data, i, column)}: not a "
            "number; engagement counts must be whole numbers >= 0."
        )
    x = values.to_numpy(dtype=float)
    bad = (x < 0) | ~np.isfinite(x) | (np.abs(x - np.round(x)) > 1e-8)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise DataError(
            f"{name}, {_where(data, i, column)}: "
            "engagement counts must be whole numbers >= 0 (a count model needs counts; do "
            "not pass rates or engagement per follower)."
        )
    return np.round(x)


def _numeric_covariate(data: pd.DataFrame, column: str, name: str) -> np.ndarray:
    values = pd.to_numeric(data[column], errors="coerce")
    bad = values.isna() | ~np.isfinite(values.to_numpy(dtype=float))
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise DataError(f"{name}, {_where(data, i, column)}: not a finite number.")
    return values.to_numpy(dtype=float)


def _levels(
    values: pd.Series, column: str, reference: str | None, name: str
) -> tuple[list[str], str]:
    """Levels of a categorical column (reference first, then sorted) and the reference."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        unused = [str(c) for c in values.cat.categories if not (values == c).any()]
        if unused:
            raise DataError(
                f"{name}, column '{column}': level(s) {', '.join(map(repr, unused))} have no "
                "post, so their coefficient is not estimable; drop them with "
                f"data['{column}'] = data['{column}'].cat.remove_unused_categories()."
            )
    observed = sorted({str(v) for v in values})
    if reference is None:
        reference = observed[0]
    elif str(reference) not in observed:
        raise DataError(
            f"{name}, column '{column}': the reference level {reference!r} has no post; use "
            f"one of {', '.join(map(repr, observed))}."
        )
    reference = str(reference)
    return [reference, *[v for v in observed if v != reference]], reference


@dataclass(frozen=True)
class _Design:
    y: np.ndarray
    X: np.ndarray
    terms: list[str]
    kinds: list[str]
    levels: list[str]
    groups: np.ndarray | None
    n_firms: int | None
    action_levels: list[str]
    reference: str
    references: dict[str, str]
    n_dropped: int
    notes: list[str]


def _design(
    posts,
    *,
    outcome,
    action,
    reference,
    covariates,
    platform,
    references,
    cluster,
    min_posts,
    name,
) -> _Design:
    if not isinstance(posts, pd.DataFrame):
        raise DataError(
            f"{name} must be a pandas DataFrame of posts (one row per post), got "
            f"{type(posts).__name__}."
        )
    notes: list[str] = []
    # where each covariate comes from: a column, or log(column) for "log_<column>"
    sources: dict[str, tuple[str, bool]] = {}
    for cov in covariates:
        if not isinstance(cov, str):
            raise DataError(f"covariates must be column names, got {cov!r}.")
        if cov in posts.columns:
            sources[cov] = (cov, False)
        elif cov.startswith("log_") and cov[4:] in posts.columns:
            sources[cov] = (cov[4:], True)
        else:
            check_columns(posts, [cov], data_name=name)
    cat_columns = [action] + ([platform] if platform else [])
    needed = [outcome, *cat_columns, *(s for s, _ in sources.values())]
    if cluster is not None:
        needed.append(cluster)
    needed = list(dict.fromkeys(needed))
    check_columns(posts, needed, data_name=name)
    if len(posts) == 0:
        raise DataError(f"{name} has no rows (no posts to model).")
    incomplete = posts[needed].isna().any(axis=1)
    n_dropped = int(incomplete.sum())
    data = posts.loc[~incomplete.to_numpy()].copy()
    data.attrs["_positions"] = tuple(np.flatnonzero(~incomplete.to_numpy()).tolist())
    if n_dropped:
        per = posts[needed].isna().sum()
        per = ", ".join(f"'{c}' {int(k)}" for c, k in per.items() if k)
        notes.append(
            f"{n_dropped} of {len(posts)} posts have a missing value ({per}) and were left out "
            "(listwise deletion, as R's na.omit)."
        )
    if len(data) == 0:
        raise DataError(f"{name}: every post has a missing value in {', '.join(needed)}.")
    y = _count_column(data, outcome, name)

    # action types: framework codes only
    codes = framework.load().codes
    acts = data[action].astype(str).str.strip().str.upper()
    unknown = sorted(set(acts) - set(codes))
    if unknown:
        i = int(np.flatnonzero(acts.isin(unknown).to_numpy())[0])
        raise DataError(
            f"{name}, {_where(data, i, action)}: not "
            f"an N-REL action code; use one of {', '.join(codes)} (the codebook's codes)."
        )
    if isinstance(data[action].dtype, pd.CategoricalDtype):
        _levels(data[action], action, None, name)  # refuses unused categories
    present = [c for c in codes if c in set(acts)]
    if reference is None:
        reference = "R1" if "R1" in present else present[0]
    reference = str(reference).strip().upper()
    if reference not in present:
        raise DataError(
            f"{name}, column '{action}': the reference action type {reference!r} has no post; "
            f"use one of {', '.join(present)} (reference=...)."
        )
    if len(present) < 2:
        raise DataError(
            f"{name}, column '{action}': every post has action type {present[0]!r}; there is "
            "nothing to compare (P8 needs at least two action types)."
        )
    action_levels = [reference, *[c for c in present if c != reference]]
    counts = acts.value_counts()
    few = [f"{c} ({int(counts[c])})" for c in action_levels if counts[c] < min_posts]
    if few:
        notes.append(
            f"action type(s) with fewer than {min_posts} posts: {', '.join(few)}; their "
            "incidence-rate ratios are imprecise (and the asymptotic standard errors "
            "unreliable). Consider coding more posts or merging rare types."
        )

    refs = dict(references or {})
    if action in refs:
        raise DataError(
            f"references names the action column '{action}'; set the reference action type "
            "with reference=... instead."
        )
    columns: list[np.ndarray] = [np.ones(len(data))]
    terms, kinds, levs = ["intercept"], ["intercept"], [""]
    factors: list[tuple[str, pd.Series, list[str]]] = [(action, acts, action_levels)]

    def add_factor(col: str, kind: str, values: pd.Series, levels: list[str]) -> None:
        sv = values.astype(str).to_numpy()
        for lev in levels[1:]:
            columns.append((sv == lev).astype(float))
            terms.append(f"{col}_{lev}")
            kinds.append(kind)
            levs.append(lev)

    add_factor(action, "action", acts, action_levels)
    if platform:
        plat_levels, refs[platform] = _levels(data[platform], platform, refs.get(platform), name)
        add_factor(platform, "platform", data[platform], plat_levels)
        factors.append((platform, data[platform].astype(str), plat_levels))
    for cov, (src, log) in sources.items():
        values = data[src]
        is_cat = (
            not log
            and not pd.api.types.is_bool_dtype(values)
            and not pd.api.types.is_numeric_dtype(values)
        )
        if is_cat:
            cov_levels, refs[cov] = _levels(values, cov, refs.get(cov), name)
            add_factor(cov, "covariate", values, cov_levels)
            factors.append((cov, values.astype(str), cov_levels))
            continue
        x = (
            values.astype(float).to_numpy()
            if pd.api.types.is_bool_dtype(values)
            else _numeric_covariate(data, src, name)
        )
        if log:
            bad = x <= 0
            if bad.any():
                i = int(np.flatnonzero(bad)[0])
                raise DataError(
                    f"{name}, {_where(data, i, src)}: "
                    f"log({src}) needs values > 0; drop these posts or pass your own "
                    f"'{cov}' column."
                )
            x = np.log(x)
        columns.append(x)
        terms.append(cov)
        kinds.append("covariate")
        levs.append("")
    unknown_refs = sorted(set(refs) - {f for f, _, _ in factors})
    if unknown_refs:
        raise DataError(
            f"references names column(s) {', '.join(map(repr, unknown_refs))} that are not "
            "categorical terms of the model (platform or a text covariate); for the action "
            "type use reference=."
        )
    # a level whose posts all have zero engagement: the ML estimate is minus infinity
    for col, values, levels in factors:
        sv = values.to_numpy()
        for lev in levels:
            if y[sv == lev].sum() == 0:
                raise DataError(
                    f"{name}: every post with {col} = {lev!r} has {outcome} = 0, so its "
                    "coefficient is minus infinity (no finite maximum-likelihood estimate); "
                    "drop these posts or merge the level with another."
                )
    X = np.column_stack(columns)
    rank = np.linalg.matrix_rank(X)
    if rank < X.shape[1]:
        raise DataError(
            f"{name}: the model's terms are collinear (design rank {rank} < {X.shape[1]} "
            f"terms: {', '.join(terms)}); e.g. a covariate is constant or a platform level "
            "coincides with an action type. Drop the redundant term."
        )
    groups = None
    n_firms = None
    if cluster is not None:
        groups = pd.factorize(data[cluster].astype(str))[0]
        n_firms = int(groups.max() + 1)
    if "firm_id" in data.columns:  # firms are counted by firm_id whatever the clusters
        n_firms = int(data["firm_id"].nunique())
    return _Design(
        y=y,
        X=X,
        terms=terms,
        kinds=kinds,
        levels=levs,
        groups=groups,
        n_firms=n_firms,
        action_levels=action_levels,
        reference=reference,
        references=refs,
        n_dropped=n_dropped,
        notes=notes,
    )


# ---------------------------------------------------------------------------------------
# estimation
# ---------------------------------------------------------------------------------------
#: Lower bound of alpha in the profile search; an estimate there means no overdispersion.
_ALPHA_FLOOR = 1e-8


def _fit_nb2(y, X, *, maxiter, messages):
    """ML fit of NB2 (beta, alpha); Poisson log-likelihood for the LR test.

    Newton's method on the joint likelihood (statsmodels ``NegativeBinomial``) from the
    Poisson fit and a moment start for alpha; if that fails (e.g. alpha near 0), the
    profile likelihood of log(alpha) is maximised (beta by IRLS at each alpha, as
    ``MASS::glm.nb`` alternates) and Newton polishes the result. Returns
    ``params, llf, llf_poisson, converged, method, iterations, boundary``.
    """
    import statsmodels.api as sm
    from scipy.optimize import minimize_scalar
    from statsmodels.discrete.discrete_model import NegativeBinomial

    def accept(res):
        p = np.asarray(res.params, dtype=float)
        if not (np.all(np.isfinite(p)) and p[-1] > 0):
            return False
        g = np.asarray(model.score(p), dtype=float)
        return bool(np.all(np.isfinite(g)) and np.max(np.abs(g)) < 1e-4)

    caught_all = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pois = sm.GLM(y, X, family=sm.families.Poisson()).fit(tol=1e-12, maxiter=maxiter)
        model = NegativeBinomial(y, X, loglike_method="nb2")
        mu0 = pois.fittedvalues
        alpha0 = float(np.clip(np.mean(((y - mu0) ** 2 - y) / mu0**2), 0.05, 10.0))
        res = model.fit(
            start_params=np.r_[pois.params, alpha0],
            method="newton",
            maxiter=maxiter,
            disp=0,
            tol=1e-12,
        )
    caught_all += caught
    if accept(res):
        iters = res.mle_retvals.get("iterations")
        return (
            np.asarray(res.params, float),
            float(res.llf),
            float(pois.llf),
            True,
            "newton",
            iters,
            False,
        )

    # profile likelihood of log(alpha)
    def profile(log_alpha, start=None):
        fam = sm.families.NegativeBinomial(alpha=math.exp(log_alpha))
        return sm.GLM(y, X, family=fam).fit(start_params=start, tol=1e-12, maxiter=maxiter)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        lo, hi = math.log(_ALPHA_FLOOR), math.log(1e4)
        opt = minimize_scalar(
            lambda la: -profile(la, pois.params).llf,
            bounds=(lo, hi),
            method="bounded",
            options={"xatol": 1e-10, "maxiter": 500},
        )
        la = float(opt.x)
        prof = profile(la, pois.params)
        params = np.r_[prof.params, math.exp(la)]
        boundary = math.exp(la) < 1e-6  # theta > 1e6: Poisson for every practical purpose
        method = "profile"
        converged = bool(opt.success)
        if not boundary:
            res = model.fit(
                start_params=params, method="newton", maxiter=maxiter, disp=0, tol=1e-12
            )
            if accept(res):
                params, method = np.asarray(res.params, float), "profile+newton"
            else:
                converged = converged and bool(
                    np.max(np.abs(model.score(params))) < 1e-3 * max(1.0, len(y) ** 0.5)
                )
    caught_all += caught
    if not converged:
        for w in caught_all:
            messages.append(f"statsmodels ({w.category.__name__}): {w.message}")
    llf = float(model.loglike(params))
    return params, llf, float(pois.llf), converged, method, int(opt.nfev), boundary


@dataclass
class EngagementModelResult:
    """A fitted NB2 engagement model (see :func:`engagement_model`).

    Attributes
    ----------
    outcome : str
        The engagement count modelled.
    params, bse : pandas.Series
        Coefficients (log scale) and the standard errors of ``cov_type``, by term.
    vcov : pandas.DataFrame
        The covariance matrix of the coefficients used for ``bse`` (``vcov_model`` and
        ``vcov_cluster`` hold both kinds; the latter is ``None`` without clustering).
    cov_type : str
        ``"cluster"`` (CR1 by firm) or ``"model"`` (inverse expected information).
    theta, theta_se, alpha, alpha_se : float
        The NB2 dispersion, ``Var(y) = mu + alpha mu^2``, ``theta = 1 / alpha`` (as
        ``MASS::glm.nb`` reports it), with standard errors.
    loglik, aic, bic, loglik_poisson : float
    n_posts, n_firms, n_clusters, n_dropped : int
    reference : str
        The reference action type of the incidence-rate ratios.
    references : dict
        Reference levels of the platform and text covariates.
    converged : bool
    warnings : list of str
        Every warning issued while fitting (also issued as Python warnings).
    """

    outcome: str
    action: str
    terms: list[str]
    kinds: list[str]
    levels: list[str]
    params: pd.Series
    bse: pd.Series
    vcov: pd.DataFrame
    vcov_model: pd.DataFrame
    vcov_cluster: pd.DataFrame | None
    cov_type: str
    theta: float
    theta_se: float
    alpha: float
    alpha_se: float
    loglik: float
    loglik_poisson: float
    n_posts: int
    n_firms: int | None
    n_clusters: int | None
    n_dropped: int
    reference: str
    references: dict[str, str]
    action_levels: list[str]
    converged: bool
    method: str
    warnings: list[str] = field(default_factory=list)

    @property
    def df_model(self) -> int:
        """Number of estimated parameters: the coefficients and the dispersion."""
        return len(self.terms) + 1

    @property
    def aic(self) -> float:
        """Akaike information criterion, ``-2 loglik + 2 (k + 1)`` (as R's ``AIC``)."""
        return -2.0 * self.loglik + 2.0 * self.df_model

    @property
    def bic(self) -> float:
        """Bayesian information criterion, ``-2 loglik + log(n) (k + 1)``."""
        return -2.0 * self.loglik + math.log(self.n_posts) * self.df_model

    def irr(self, *, level: float = 0.95, intercept: bool = False) -> pd.DataFrame:
        """Return the incidence-rate ratios, one row per term, with Wald intervals.

        Parameters
        ----------
        level : float, default 0.95
            Confidence level of ``ci_lower``/``ci_upper``: ``exp(estimate +- z se)``
            (Wald on the log scale, as R's ``confint.default``).
        intercept : bool, default False
            Include the intercept (its "IRR" is the expected count of a reference post
            with all covariates at zero).

        Returns
        -------
        pandas.DataFrame
            ``term, kind, level, estimate, se, z, pvalue, irr, ci_lower, ci_upper``:
            ``estimate``/``se`` on the log scale, ``kind`` one of ``action``,
            ``platform``, ``covariate`` (``intercept``). Action terms are named
            ``<action column>_<code>`` and compare with ``reference``.
        """
        z = _z(level)
        est, se = self.params.to_numpy(), self.bse.to_numpy()
        out = pd.DataFrame(
            {
                "term": self.terms,
                "kind": self.kinds,
                "level": self.levels,
                "estimate": est,
                "se": se,
                "z": est / se,
                "pvalue": 2 * stats.norm.sf(np.abs(est / se)),
                "irr": np.exp(est),
                "ci_lower": np.exp(est - z * se),
                "ci_upper": np.exp(est + z * se),
            }
        )
        if not intercept:
            out = out[out["kind"] != "intercept"].reset_index(drop=True)
        return out

    def dispersion(self, *, level: float = 0.95) -> pd.DataFrame:
        """Return ``theta`` and ``alpha = 1/theta`` with SEs and Wald intervals (log scale).

        The interval is ``exp(log(est) +- z se / est)`` so it stays positive; the SE of
        theta is MASS's (observed information of theta given the fitted means) and that
        of alpha follows by the delta method, ``se(alpha) = se(theta) / theta^2``.
        """
        z = _z(level)
        rows = []
        for name, est, se in (
            ("theta", self.theta, self.theta_se),
            ("alpha", self.alpha, self.alpha_se),
        ):
            half = z * se / est
            rows.append(
                {
                    "parameter": name,
                    "estimate": est,
                    "se": se,
                    "ci_lower": est * math.exp(-half),
                    "ci_upper": est * math.exp(half),
                }
            )
        return pd.DataFrame(rows)

    def overdispersion_test(self) -> pd.DataFrame:
        """Likelihood-ratio test of ``alpha = 0`` (Poisson) against NB2, one row.

        ``alpha = 0`` is on the boundary of the parameter space, so the statistic is
        distributed as a 50:50 mixture of a point mass at 0 and chi-square(1) and the
        p value is half the chi-square(1) tail (Cameron & Trivedi, 2013, ch. 3;
        Gutierrez, Carter & Drukker, 2001, *Stata Technical Bulletin* 60, sg160).
        """
        lr = max(0.0, 2.0 * (self.loglik - self.loglik_poisson))
        return pd.DataFrame(
            [
                {
                    "statistic": lr,
                    "df": 1,
                    "pvalue": 0.5 * stats.chi2.sf(lr, 1),
                    "loglik_nb2": self.loglik,
                    "loglik_poisson": self.loglik_poisson,
                }
            ]
        )

    def action_test(self) -> pd.DataFrame:
        """Joint Wald test that every action-type coefficient is zero (the P8 test), one row.

        ``W = b' V^-1 b`` over the action terms with ``V`` of ``cov_type`` (cluster-robust
        by default), referred to chi-square with as many degrees of freedom as action
        terms. Checked against the same quadratic form computed in R from
        ``sandwich::vcovCL``.
        """
        idx = [i for i, k in enumerate(self.kinds) if k == "action"]
        b = self.params.to_numpy()[idx]
        V = self.vcov.to_numpy()[np.ix_(idx, idx)]
        w = float(b @ np.linalg.solve(V, b))
        return pd.DataFrame(
            [
                {
                    "statistic": w,
                    "df": len(idx),
                    "pvalue": stats.chi2.sf(w, len(idx)),
                    "cov_type": self.cov_type,
                }
            ]
        )

    def fit_measures(self) -> pd.Series:
        """Return ``n_posts, n_firms, n_clusters, npar, loglik, aic, bic, theta, alpha``."""
        return pd.Series(
            {
                "n_posts": self.n_posts,
                "n_firms": self.n_firms,
                "n_clusters": self.n_clusters,
                "npar": self.df_model,
                "loglik": self.loglik,
                "aic": self.aic,
                "bic": self.bic,
                "theta": self.theta,
                "alpha": self.alpha,
            },
            dtype=object,
        )

    def summary(self, *, level: float = 0.95) -> EngagementSummary:
        """Return a printable summary (text; HTML in notebooks)."""
        return EngagementSummary(self, level=level)

    def __repr__(self) -> str:
        return (
            f"<EngagementModelResult NB2 {self.outcome} ~ {self.action}: "
            f"{self.n_posts} posts, {self.n_firms} firms, theta={self.theta:.3f}, "
            f"se={self.cov_type}, converged={self.converged}>"
        )


class EngagementSummary:
    """Text summary of an :class:`EngagementModelResult` (``str()``; HTML in notebooks)."""

    def __init__(self, result: EngagementModelResult, *, level: float = 0.95):
        self.result = result
        self.level = level

    def __str__(self) -> str:
        r = self.result
        se = (
            f"cluster-robust (CR1) by firm, {r.n_clusters} clusters"
            if r.cov_type == "cluster"
            else "model-based (inverse expected information)"
        )
        pct = f"{100 * self.level:g}%"
        lines = [
            f"Negative binomial (NB2) regression of {r.outcome} on action type ({r.action})",
            f"  posts: {r.n_posts}"
            + (f"   firms: {r.n_firms}" if r.n_firms is not None else "")
            + (f"   dropped (missing values): {r.n_dropped}" if r.n_dropped else ""),
            f"  reference action type: {r.reference}"
            + "".join(f"   {k} reference: {v}" for k, v in r.references.items()),
            f"  standard errors: {se}",
            f"  log-likelihood: {r.loglik:.3f}   AIC: {r.aic:.3f}   BIC: {r.bic:.3f}",
            "",
            f"Incidence-rate ratios ({pct} Wald intervals):",
        ]
        t = r.irr(level=self.level, intercept=True)
        t = t.drop(columns=["kind", "level"])
        lines.append(t.to_string(index=False, float_format=lambda v: f"{v:.4f}"))
        d = r.dispersion(level=self.level)
        lines += ["", "Dispersion (Var = mu + alpha mu^2, theta = 1/alpha):"]
        lines.append(d.to_string(index=False, float_format=lambda v: f"{v:.4f}"))
        o = r.overdispersion_test().iloc[0]
        a = r.action_test().iloc[0]
        lines += [
            "",
            f"LR test of overdispersion (alpha = 0, boundary): chi2 = {o['statistic']:.2f}, "
            f"p = {o['pvalue']:.3g}",
            f"Wald test of action type (all {int(a['df'])} action terms = 0): "
            f"chi2 = {a['statistic']:.2f}, p = {a['pvalue']:.3g}",
        ]
        if r.warnings:
            lines += ["", "Warnings:"] + [f"  - {w}" for w in r.warnings]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        import html

        return f"<pre>{html.escape(str(self))}</pre>"


def _z(level: float) -> float:
    if not isinstance(level, int | float) or not 0 < level < 1:
        raise DataError(f"level={level!r} is not valid; use a confidence level in (0, 1).")
    return float(stats.norm.ppf(0.5 + level / 2))


def engagement_model(
    posts: pd.DataFrame,
    *,
    outcome: str = "likes",
    action: str = "action",
    reference: str | None = None,
    covariates: Sequence[str] = ("log_followers",),
    platform: str | bool | None = "platform",
    references: Mapping[str, str] | None = None,
    cluster: str | None = "firm_id",
    min_clusters: int = NB_MIN_CLUSTERS,
    min_posts: int = 10,
    maxiter: int = 100,
) -> EngagementModelResult:
    """Negative binomial (NB2) regression of post engagement on N-REL action type (P8).

    The model is ``log E[y] = b0 + action + platform + covariates`` with
    ``Var(y) = mu + alpha mu^2`` (NB2; Hilbe, 2011; Cameron & Trivedi, 2013,
    ch. 3). The coefficients and the dispersion ``alpha`` are estimated jointly by
    maximum likelihood (statsmodels' ``NegativeBinomial``, Newton's method from the
    Poisson fit); the dispersion is reported as ``theta = 1 / alpha`` too, as
    ``MASS::glm.nb`` does. Log followers enter as a covariate whose coefficient is
    estimated, not as an offset (an offset would force engagement to be proportional to
    audience size, which it rarely is).

    Parameters
    ----------
    posts : pandas.DataFrame
        One row per post (e.g. ``load_bundled_study().posts`` or the coded posts of
        :mod:`nrel_research.coding`).
    outcome : str, default "likes"
        The engagement count column (``"likes"``, ``"comments"``, ``"shares"``, ...):
        whole numbers >= 0.
    action : str, default "action"
        The column with each post's N-REL action code (``R1`` ... ``L1``; e.g. ``"code"``
        for a coding file, ``"intended_code"`` for the illustrative corpus).
    reference : str, optional
        The reference action type of the incidence-rate ratios; by default ``R1`` (or the
        first code present, in framework order).
    covariates : sequence of str, default ("log_followers",)
        Covariate columns. ``"log_<col>"`` that is not a column is computed as
        ``log(<col>)`` (values must be > 0). Numeric and boolean columns enter as is; text
        columns are dummy-coded (reference: the alphabetically first level or
        ``references[col]``).
    platform : str or bool, default "platform"
        The platform column for platform fixed effects (``True`` means ``"platform"``;
        ``False``/``None`` leaves them out).
    references : mapping, optional
        Reference levels of the platform and text covariates, e.g. ``{"platform": "fb"}``;
        by default the alphabetically first level (as R's treatment contrasts).
    cluster : str or None, default "firm_id"
        Cluster standard errors by this column (posts are nested in firms). ``None`` gives
        model-based standard errors.
    min_clusters : int, default 20 (``NB_MIN_CLUSTERS``)
        With fewer clusters, model-based standard errors are used instead, with a
        :class:`~nrel_research.exceptions.DataQualityWarning` (CR1 is unreliable with few
        clusters; Cameron & Miller, 2015, sec. VI).
    min_posts : int, default 10
        Warn when an action type has fewer posts than this.
    maxiter : int, default 100
        Newton iterations.

    Returns
    -------
    EngagementModelResult
        ``.irr()`` (tidy incidence-rate ratios), ``.dispersion()``,
        ``.overdispersion_test()``, ``.action_test()``, ``.fit_measures()``,
        ``.summary()``.

    Raises
    ------
    DataError
        If a column is absent; a count is negative, fractional or not a number; an action
        code is not an N-REL code; the reference action type has no post; a categorical
        level has no post or only zero counts (no finite ML estimate); there is a single
        action type; the terms are collinear; or log() meets a value <= 0.

    Warns
    -----
    DataQualityWarning
        Posts dropped for missing values; an action type with fewer than ``min_posts``
        posts; fewer than ``min_clusters`` clusters (model-based SEs used).
    ConvergenceWarning
        The optimiser did not converge, or the dispersion is at its boundary (alpha ~ 0,
        i.e. no overdispersion: use Poisson regression).

    Notes
    -----
    *Standard errors.* Model-based: the inverse expected information of the
    coefficients at the estimated theta, ``(X' W X)^-1`` with ``W = mu / (1 + alpha mu)``
    (as ``summary()`` of a ``glm.nb`` fit). Cluster-robust (default): the CR1 sandwich
    ``c B (sum_g s_g s_g') B`` with ``B = (X' W X)^-1``, cluster score sums
    ``s_g = sum_i x_i (y_i - mu_i) / (1 + alpha mu_i)`` and
    ``c = G/(G-1) * (n-1)/(n-k)`` (``k`` coefficients; theta held at its estimate), which
    is exactly ``sandwich::vcovCL(fit, cluster = ~firm_id, type = "HC1")`` (Cameron &
    Miller, 2015, sec. II, with Stata's small-sample factor). statsmodels'
    ``GLM(..., cov_type="cluster")`` uses the observed rather than expected information
    for the log link of NB2 and differs from R in the fourth decimal, so the sandwich is
    computed here. The SE of theta is MASS's: the inverse observed information of theta
    given the fitted means.

    *Oracle.* Coefficients, both kinds of SEs, theta, log-likelihood and AIC agree with
    ``MASS::glm.nb`` and ``sandwich::vcovCL`` on the bundled simulated posts and the
    coding layer's illustrative posts (``tests/reference/posts_nb.R``; differences below
    1e-8, theta's SE below 1e-4 relative because MASS evaluates it one Newton step before
    its final theta). Recovery of the simulator's true coefficients is checked by a seeded
    Monte Carlo (``tests/test_analysis_posts.py``).

    *Nesting.* Posts of one firm share unobserved firm traits; the pooled NB2 with
    firm-clustered SEs estimates population-averaged effects. A firm random intercept
    (``glmmTMB``) is not available in Python with comparable reliability and is left out.

    Examples
    --------
    >>> from nrel_research.data import load_bundled_study
    >>> from nrel_research.analysis import engagement_model
    >>> posts = load_bundled_study().posts
    >>> fit = engagement_model(posts, outcome="likes")
    >>> fit.n_posts, fit.n_firms, fit.cov_type
    (5298, 566, 'cluster')
    >>> irr = fit.irr()
    >>> irr.loc[irr["term"] == "action_E4", ["irr", "ci_lower", "ci_upper"]].round(2).values
    array([[1.82, 1.66, 2.  ]])
    >>> round(fit.theta, 3)
    1.248
    """
    with single_threaded_blas():  # small dense problems: BLAS threads only add overhead
        result, messages = _engagement_model(
            posts,
            outcome=outcome,
            action=action,
            reference=reference,
            covariates=covariates,
            platform=platform,
            references=references,
            cluster=cluster,
            min_clusters=min_clusters,
            min_posts=min_posts,
            maxiter=maxiter,
        )
    for category, message in messages:
        warnings.warn(message, category, stacklevel=2)
    return result


def _engagement_model(
    posts,
    *,
    outcome,
    action,
    reference,
    covariates,
    platform,
    references,
    cluster,
    min_clusters,
    min_posts,
    maxiter,
):
    name = "posts"
    outcome = str(outcome)
    if platform is True:
        platform = "platform"
    platform = platform or None
    min_clusters = check_positive_int(min_clusters, "min_clusters", minimum=2)
    min_posts = check_positive_int(min_posts, "min_posts")
    maxiter = check_positive_int(maxiter, "maxiter")
    if isinstance(covariates, str):
        covariates = (covariates,)
    d = _design(
        posts,
        outcome=outcome,
        action=action,
        reference=reference,
        covariates=tuple(covariates),
        platform=platform,
        references=references,
        cluster=cluster,
        min_posts=min_posts,
        name=name,
    )
    messages: list[tuple[type[Warning], str]] = [(DataQualityWarning, m) for m in d.notes]
    y, X = d.y, d.X
    n, k = X.shape
    if n <= k + 1:
        raise DataError(
            f"{name}: {n} posts for {k + 1} parameters; the model needs more posts than parameters."
        )
    sm_messages: list[str] = []
    params, llf, llf_pois, converged, method, iters, boundary = _fit_nb2(
        y, X, maxiter=maxiter, messages=sm_messages
    )
    beta, alpha = params[:-1], float(params[-1])
    if not converged:
        detail = "; ".join(dict.fromkeys(sm_messages))
        messages.append(
            (
                ConvergenceWarning,
                f"the NB2 maximum-likelihood fit of {outcome} did not converge ({method}, "
                f"{iters} iterations); the estimates are not trustworthy. Check for sparse "
                "levels or extreme counts, or raise maxiter."
                + (f" Optimizer messages: {detail}" if detail else ""),
            )
        )
    if boundary:
        messages.append(
            (
                ConvergenceWarning,
                f"the dispersion alpha of {outcome} is at its lower bound ({alpha:.3g}): the "
                "counts show no overdispersion (perhaps underdispersion), NB2 reduces to "
                "Poisson and theta is not identified; use a Poisson model.",
            )
        )
    mu = np.exp(X @ beta)
    w = mu / (1.0 + alpha * mu)
    bread = np.linalg.inv(X.T @ (X * w[:, None]))
    theta = 1.0 / alpha
    info = np.sum(
        -polygamma(1, theta + y)
        + polygamma(1, theta)
        - 1.0 / theta
        + 2.0 / (mu + theta)
        - (y + theta) / (mu + theta) ** 2
    )
    theta_se = float(1.0 / math.sqrt(info)) if info > 0 else float("nan")
    idx = pd.Index(d.terms, name="term")
    vcov_model = pd.DataFrame(bread, index=idx, columns=idx)
    vcov_cluster = None
    n_clusters = None
    cov_type = "model"
    if cluster is not None:
        G = int(d.groups.max() + 1)
        n_clusters = G
        if min_clusters > G:
            messages.append(
                (
                    DataQualityWarning,
                    f"only {G} clusters in '{cluster}' (fewer than min_clusters={min_clusters}):"
                    " cluster-robust standard errors are unreliable with few clusters "
                    "(Cameron & Miller, 2015), so model-based standard errors are reported.",
                )
            )
        else:
            scores = X * ((y - mu) / (1.0 + alpha * mu))[:, None]
            S = np.zeros((G, k))
            np.add.at(S, d.groups, scores)
            c = G / (G - 1) * (n - 1) / (n - k)
            vc = c * bread @ (S.T @ S) @ bread
            vcov_cluster = pd.DataFrame(vc, index=idx, columns=idx)
            cov_type = "cluster"
    vcov = vcov_cluster if cov_type == "cluster" else vcov_model
    result = EngagementModelResult(
        outcome=outcome,
        action=action,
        terms=list(d.terms),
        kinds=list(d.kinds),
        levels=list(d.levels),
        params=pd.Series(beta, index=idx, name="estimate"),
        bse=pd.Series(np.sqrt(np.diag(vcov.to_numpy())), index=idx, name="se"),
        vcov=vcov,
        vcov_model=vcov_model,
        vcov_cluster=vcov_cluster,
        cov_type=cov_type,
        theta=theta,
        theta_se=theta_se,
        alpha=alpha,
        alpha_se=theta_se / theta**2,
        loglik=llf,
        loglik_poisson=llf_pois,
        n_posts=int(n),
        n_firms=d.n_firms,
        n_clusters=n_clusters,
        n_dropped=d.n_dropped,
        reference=d.reference,
        references=d.references,
        action_levels=d.action_levels,
        converged=converged,
        method=method,
        warnings=[m for _, m in messages],
    )
    return result, messages


# ---------------------------------------------------------------------------------------
# triangulation: observed (coded posts) vs self-reported (survey) action emphasis
# ---------------------------------------------------------------------------------------
def _action_constructs() -> dict[str, tuple[str, str]]:
    """Map each framework action code to its item-bank construct (id, name)."""
    bank = instruments.load_item_bank()
    by_id = {c.id: c for c in bank.constructs if c.framework_type == "action"}
    out = {}
    for code in framework.load().codes:
        c = by_id.get(code)
        if c is not None:
            out[code] = (c.id, c.name)
    return out


def triangulate(
    action_mix: pd.DataFrame,
    survey_scores: pd.DataFrame,
    *,
    firm: str = "firm_id",
    measure: str = "score",
    method: str = "pearson",
    min_posts: int = 5,
    informants: str = "mean",
    level: float = 0.95,
    p_adjust: str = "holm",
) -> pd.DataFrame:
    """Correlate observed and self-reported emphasis on each N-REL action type.

    For every action type, the correlation across firms between the firm's **observed**
    emphasis - the share of its coded posts of that type (``share_<code>`` of
    :func:`nrel_research.coding.action_mix`) - and its **self-reported** emphasis in the
    survey: the construct score of the action type (``measure="score"``; the column named
    by the item bank's construct, from :func:`nrel_research.data.score`) or the survey
    action mix (``measure="mix"``: ``mix_<code>``, the type's share of the firm's
    reported intensity, which is on the same relative scale as the observed share). A
    convergent-validity check between two methods (Campbell & Fiske, 1959): positive,
    moderate correlations support both measures; near-zero ones mean the survey and the
    posts capture different things.

    Parameters
    ----------
    action_mix : pandas.DataFrame
        Wide firm-level mix from :func:`nrel_research.coding.action_mix` (``firm``,
        ``n_posts``, ``n_uncoded``, ``share_R1`` ...).
    survey_scores : pandas.DataFrame
        Scored survey responses (:func:`nrel_research.data.score`) with ``firm`` and the
        action construct columns (``R1`` ... ``L1``) or ``mix_*`` columns.
    firm : str, default "firm_id"
        The firm id column of both tables (joined as text).
    measure : {"score", "mix"}
        Which survey measure to correlate with the observed share.
    method : {"pearson", "spearman"}
    min_posts : int, default 5
        Firms with fewer coded posts are left out (a share of 1 or 2 posts is mostly
        noise). The number of firms left out is in ``attrs["n_firms_few_posts"]``.
    informants : {"mean", "first"}
        How to combine several survey rows of one firm (second informants): their mean,
        or the first row.
    level : float, default 0.95
        Confidence level of the Fisher-z interval.
    p_adjust : str, default "holm"
        Multiplicity adjustment across action types for ``pvalue_adj`` (any method of
        ``statsmodels.stats.multitest.multipletests``: ``"holm"``, ``"fdr_bh"``,
        ``"bonferroni"``...).

    Returns
    -------
    pandas.DataFrame
        One row per action type found in both tables: ``action, construct,
        construct_name, observed, survey, n, r, ci_lower, ci_upper, pvalue, pvalue_adj,
        method``. ``n`` counts firms with both measures (E7 only for B2B/mixed firms,
        whose survey asks it).

    Raises
    ------
    DataError
        If a column is absent, ``action_mix`` is in long format, or no firm id is shared.

    Warns
    -----
    DataQualityWarning
        An action type with fewer than 4 firms or a constant measure (``r`` is NaN).

    Notes
    -----
    The interval is ``tanh(atanh(r) +- z se)`` with ``se = 1/sqrt(n-3)`` for Pearson's r
    (Fisher, 1921) and ``se = sqrt((1 + r^2/2)/(n-3))`` for Spearman's rho (Bonett &
    Wright, 2000, *Psychometrika* 65(1), 23-28). p values are scipy's (t distribution
    with ``n-2`` df). r, p and the Pearson interval are checked against scipy and
    pingouin in ``tests/test_analysis_posts.py``.

    Examples
    --------
    >>> from nrel_research import coding, data
    >>> from nrel_research.analysis import triangulate
    >>> study = data.load_bundled_study()
    >>> mix = coding.action_mix(study.posts, code="action")
    >>> scores = data.score(study.responses)
    >>> tri = triangulate(mix, scores)
    >>> tri[["action", "n", "r", "ci_lower", "ci_upper"]].head(3).round(3)
      action    n      r  ci_lower  ci_upper
    0     R1  396  0.412     0.327     0.491
    1     R2  397  0.442     0.360     0.518
    2     E1  397  0.225     0.129     0.316
    """
    from statsmodels.stats.multitest import multipletests

    measure = check_choice(measure, "measure", ["score", "mix"], error=DataError)
    method = check_choice(method, "method", ["pearson", "spearman"], error=DataError)
    informants = check_choice(informants, "informants", ["mean", "first"], error=DataError)
    min_posts = check_positive_int(min_posts, "min_posts")
    z = _z(level)
    check_columns(action_mix, [firm], data_name="action_mix")
    check_columns(survey_scores, [firm], data_name="survey_scores")
    if "code" in action_mix.columns and "share" in action_mix.columns:
        raise DataError(
            "action_mix is in long format; pass coding.action_mix(..., format='wide') (one "
            "row per firm with share_<code> columns)."
        )
    constructs = _action_constructs()
    pairs = []
    for code, (cid, cname) in constructs.items():
        obs = f"share_{code}"
        sur = cid if measure == "score" else f"mix_{code}"
        if obs in action_mix.columns and sur in survey_scores.columns:
            pairs.append((code, cid, cname, obs, sur))
    if not pairs:
        want = "the action construct columns (R1 ... L1)" if measure == "score" else "mix_*"
        raise DataError(
            "no action type has both share_<code> in action_mix and "
            f"{want} in survey_scores; pass coding.action_mix(...) and "
            "data.score(responses)."
        )
    mix = action_mix[action_mix[firm].notna()].copy()
    mix[firm] = mix[firm].astype(str)
    if mix[firm].duplicated().any():
        raise DataError(
            f"action_mix has several rows per firm in '{firm}' (broken down by platform or "
            "period?); aggregate to one row per firm first."
        )
    n_few = 0
    if min_posts > 1:
        check_columns(action_mix, ["n_posts"], data_name="action_mix")
        n_coded = mix["n_posts"] - (mix["n_uncoded"] if "n_uncoded" in mix.columns else 0)
        few = n_coded < min_posts
        n_few = int(few.sum())
        mix = mix.loc[~few.to_numpy()]
    sur_cols = list(dict.fromkeys(p[4] for p in pairs))
    surv = survey_scores.loc[survey_scores[firm].notna(), [firm, *sur_cols]].copy()
    surv[firm] = surv[firm].astype(str)
    for c in sur_cols:
        surv[c] = pd.to_numeric(surv[c], errors="coerce").astype(float)
    if informants == "mean":
        surv = surv.groupby(firm, sort=False, as_index=False)[sur_cols].mean()
    else:
        surv = surv.drop_duplicates(firm, keep="first")
    joined = mix.merge(surv, on=firm, how="inner")
    if joined.empty:
        raise DataError(
            f"no firm id in '{firm}' is in both action_mix and survey_scores (after "
            f"dropping {n_few} firms with fewer than {min_posts} coded posts); check the "
            "linkage between posts and survey answers."
        )
    rows = []
    for code, cid, cname, obs, sur in pairs:
        x = joined[obs].to_numpy(dtype=float)
        yv = joined[sur].to_numpy(dtype=float)
        ok = np.isfinite(x) & np.isfinite(yv)
        x, yv = x[ok], yv[ok]
        n = int(ok.sum())
        r = p = lo = hi = float("nan")
        if n < 4 or np.ptp(x) == 0 or np.ptp(yv) == 0:
            warnings.warn(
                f"triangulation of {code}: {n} firms with both measures"
                + (" and a constant measure" if n >= 4 else "")
                + "; no correlation computed.",
                DataQualityWarning,
                stacklevel=2,
            )
        else:
            res = stats.pearsonr(x, yv) if method == "pearson" else stats.spearmanr(x, yv)
            r, p = float(res.statistic), float(res.pvalue)
            se = 1 / math.sqrt(n - 3)
            if method == "spearman":
                se *= math.sqrt(1 + r**2 / 2)
            zr = math.atanh(min(max(r, -0.9999999999), 0.9999999999))
            lo, hi = math.tanh(zr - z * se), math.tanh(zr + z * se)
        rows.append(
            {
                "action": code,
                "construct": cid,
                "construct_name": cname,
                "observed": obs,
                "survey": sur,
                "n": n,
                "r": r,
                "ci_lower": lo,
                "ci_upper": hi,
                "pvalue": p,
            }
        )
    out = pd.DataFrame(rows)
    out["pvalue_adj"] = np.nan
    has = out["pvalue"].notna().to_numpy()
    if has.any():
        try:
            out.loc[has, "pvalue_adj"] = multipletests(out.loc[has, "pvalue"], method=p_adjust)[1]
        except ValueError as exc:
            raise DataError(
                f"p_adjust={p_adjust!r} is not valid; use 'holm', 'fdr_bh', 'bonferroni' or "
                "another statsmodels multipletests method."
            ) from exc
    out["method"] = method
    out.attrs["n_firms"] = len(joined)
    out.attrs["n_firms_few_posts"] = n_few
    out.attrs["p_adjust"] = p_adjust
    return out
