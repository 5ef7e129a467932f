"""Regression of performance on N-REL action types: OLS with robust inference, VIFs, moderation.

:func:`regress` fits an ordinary-least-squares regression written as a statsmodels (patsy)
formula -- action-type scores, controls (firm size and age), sector fixed effects
``C(sector)`` and market-type interactions ``E1 * C(market_type)`` -- and returns a
:class:`RegressionResult` with tidy accessors: :meth:`~RegressionResult.coefficients`
(estimates, robust standard errors, confidence intervals and standardized coefficients),
:meth:`~RegressionResult.fit_measures` (N, R², adjusted R², the robust model F test) and
:meth:`~RegressionResult.vif` (centred and generalized variance inflation factors).

Standard errors: heteroskedasticity-consistent HC3 by default (Long & Ervin, 2000), HC1,
classical, cluster-robust CR1 when there are enough clusters, and the wild cluster
bootstrap (WCR; Cameron, Gelbach & Miller, 2008; Roodman et al., 2019) for p-values and
confidence intervals when there are few (e.g. clustering on a handful of sectors).

:func:`simple_slopes`, :func:`johnson_neyman` and :func:`interaction_plot` probe an
interaction (Aiken & West, 1991; Bauer & Curran, 2005); :func:`mediation` estimates indirect
effects with bootstrap confidence intervals (pingouin) cross-checked against the SEM engine.

Every number is checked against R 4.2.2 (``lm``, ``sandwich::vcovHC``/``vcovCL``,
``car::vif``) by ``tests/reference/regression.R``; the wild cluster bootstrap, which has no
R package on the reference machine, is checked by simulation with known truth.
"""

from __future__ import annotations

import ast
import itertools
import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from .._validation import check_choice, check_columns, check_positive_int, check_rng
from ..exceptions import DataError, DataQualityWarning, SpecificationError

__all__ = [
    "MIN_CLUSTERS",
    "SE_TYPES",
    "JohnsonNeymanResult",
    "RegressionResult",
    "interaction_plot",
    "johnson_neyman",
    "mediation",
    "regress",
    "simple_slopes",
]

#: Standard-error types accepted by :func:`regress`.
SE_TYPES = ("HC3", "HC1", "classical", "cluster", "wild")

#: Fewest clusters for which :func:`regress` computes cluster-robust (CR1) inference. Below
#: it CR1 tests over-reject (Cameron & Miller, 2015: "few" is somewhere between 20
#: and 50); we take Angrist & Pischke's (2009, ch. 8) rule of thumb of 42.
MIN_CLUSTERS = 42

#: Fewest clusters for the wild cluster bootstrap: our floor. With very few clusters even the
#: wild bootstrap can mislead (MacKinnon & Webb, 2017); with five clusters Webb's weights
#: still give 6^5 distinct draws (Webb, 2023).
MIN_WILD_CLUSTERS = 5

# the six-point distribution of Webb (2023): +-sqrt(1/2), +-1, +-sqrt(3/2), equal weights
_WEBB = np.array([-math.sqrt(1.5), -1.0, -math.sqrt(0.5), math.sqrt(0.5), 1.0, math.sqrt(1.5)])

_FORMULA_FUNCS = {"C", "I", "Q", "center", "standardize", "scale", "np", "Treatment", "Sum"}


# --------------------------------------------------------------------------------------
# formula and data checks
# --------------------------------------------------------------------------------------


def _names_in(code: str) -> list[str]:
    """Variable names a patsy factor's code refers to (``np.log(x)`` -> ``['x']``)."""
    try:
        tree = ast.parse(code.strip(), mode="eval")
    except SyntaxError as exc:  # pragma: no cover - patsy parses first
        raise SpecificationError(f"cannot read the formula term {code!r}: {exc}") from exc
    skip: set[int] = set()
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            skip.add(id(node.func))
            if isinstance(node.func, ast.Name) and node.func.id == "Q" and node.args:
                arg = node.args[0]
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    found.append(arg.value)
        elif isinstance(node, ast.Attribute):
            skip.add(id(node.value))
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and id(node) not in skip and node.id not in found:
            found.append(node.id)
    return found


def _parse(formula: str):
    import patsy

    if not isinstance(formula, str) or "~" not in formula:
        raise SpecificationError(
            f"formula={formula!r} is not a regression formula; write it as "
            "'outcome ~ predictor + control + C(sector)'."
        )
    try:
        return patsy.ModelDesc.from_formula(formula)
    except patsy.PatsyError as exc:
        raise SpecificationError(f"cannot parse the formula {formula!r}: {exc}") from exc


def _variables(desc) -> tuple[list[str], list[str]]:
    out = []
    for terms in (desc.lhs_termlist, desc.rhs_termlist):
        names: list[str] = []
        for term in terms:
            for factor in term.factors:
                for n in _names_in(factor.code):
                    if n not in names:
                        names.append(n)
        out.append(names)
    return out[0], out[1]


def _prepare(data: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """Copy the needed columns with plain dtypes patsy understands (NaN for missing)."""
    out = {}
    for c in columns:
        s = data[c]
        if isinstance(s.dtype, pd.CategoricalDtype):
            out[c] = s
        elif pd.api.types.is_bool_dtype(s.dtype) and not s.isna().any():
            out[c] = s.astype(bool)
        elif pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype):
            out[c] = pd.Series(s.to_numpy(dtype=float, na_value=np.nan), index=s.index)
        else:
            out[c] = pd.Series(
                np.array([None if pd.isna(v) else v for v in s], dtype=object), index=s.index
            )
    return pd.DataFrame(out, index=data.index)


def _check_outcome(data: pd.DataFrame, lhs: list[str], formula: str, data_name: str) -> None:
    if not lhs:
        raise SpecificationError(f"the formula {formula!r} has no outcome left of '~'.")
    for name in lhs:
        s = data[name]
        if pd.api.types.is_bool_dtype(s.dtype) or not pd.api.types.is_numeric_dtype(s.dtype):
            example = next((v for v in s if not pd.isna(v)), None)
            raise DataError(
                f"the outcome column '{name}' of {data_name} is not numeric "
                f"(dtype {s.dtype}, e.g. value {example!r}); OLS needs a numeric outcome: "
                f"convert it with pandas.to_numeric(...) or score it first "
                "(nrel_research.data.score)."
            )


def _rank_check(X: pd.DataFrame) -> None:
    from scipy.linalg import qr

    Xv = X.to_numpy(dtype=float)
    _, r, piv = qr(Xv, mode="economic", pivoting=True)
    d = np.abs(np.diag(r))
    tol = d.max() * max(Xv.shape) * np.finfo(float).eps if len(d) else 0.0
    rank = int((d > tol).sum())
    if rank < Xv.shape[1]:
        dropped = [X.columns[i] for i in piv[rank:]]
        raise DataError(
            "the predictors are perfectly collinear (the design matrix has rank "
            f"{rank} < {Xv.shape[1]} columns): {', '.join(map(repr, dropped))} is a linear "
            "combination of other columns (e.g. a dummy for every level, a level with no "
            "rows, or a variable that is a sum of others); drop one of them."
        )


# --------------------------------------------------------------------------------------
# wild cluster bootstrap (WCR)
# --------------------------------------------------------------------------------------


def _cluster_level_terms(X: np.ndarray, codes: np.ndarray, G: int, names: list[str]) -> list[str]:
    """Columns constant within clusters, when the model spans all cluster indicators."""
    counts = np.bincount(codes, minlength=G)
    out = []
    for j, nm in enumerate(names):
        col = X[:, j]
        means = np.bincount(codes, weights=col, minlength=G) / counts
        if np.allclose(col, means[codes], rtol=0, atol=1e-12 * max(1.0, np.abs(col).max())):
            out.append(nm)
    if not out or len(out) < G:  # G cluster-level columns are needed to span G indicators
        return []
    # do the columns span every cluster indicator (a full set of cluster fixed effects)?
    D = np.zeros((X.shape[0], G))
    D[np.arange(X.shape[0]), codes] = 1.0
    coef, *_ = np.linalg.lstsq(X, D, rcond=None)
    if np.abs(D - X @ coef).max() > 1e-8:
        return []
    return out


def _wild_weights(G: int, n_boot: int, kind: str, rng: np.random.Generator) -> np.ndarray:
    """G x B matrix of bootstrap weights; all 2^G sign patterns when they are few."""
    if kind == "rademacher" and n_boot >= 2**G:
        return np.array(list(itertools.product([-1.0, 1.0], repeat=G))).T
    if kind == "rademacher":
        return rng.choice([-1.0, 1.0], size=(G, n_boot))
    return rng.choice(_WEBB, size=(G, n_boot))


class _WildTest:
    """Restricted wild cluster bootstrap-t for one coefficient, for any null value.

    With the null ``beta_k = b0`` imposed, the bootstrap numerator and the CR1 variance of
    every replication are affine and quadratic in ``b0`` (Roodman et al., 2019), so
    p-values for any ``b0`` cost O(G B) and the confidence interval is found by inverting
    the test exactly on the same draws.
    """

    def __init__(self, X, y, D, k, b_k, se_k, adj, V):
        p = X.shape[1]
        xtxi = np.linalg.inv(X.T @ X)
        q = X @ xtxi[k]  # b_k = q'y
        others = [j for j in range(p) if j != k]
        Xr = X[:, others]
        if Xr.shape[1]:
            coef_y, *_ = np.linalg.lstsq(Xr, y, rcond=None)
            coef_x, *_ = np.linalg.lstsq(Xr, X[:, k], rcond=None)
            a = y - Xr @ coef_y
            c = X[:, k] - Xr @ coef_x
        else:
            a, c = y.copy(), X[:, k].copy()
        # K = D' diag(q) (I - X (X'X)^-1 X')   (G x n)
        Dq = D.T * q
        K = Dq - (Dq @ X) @ xtxi @ X.T
        KA = (K * a) @ D
        KC = (K * c) @ D
        A = D.T @ (q * a)
        C = D.T @ (q * c)
        self.P, self.Q = KA @ V, KC @ V
        self.nA, self.nC = A @ V, C @ V
        self.pp = (self.P**2).sum(0)
        self.pq = (self.P * self.Q).sum(0)
        self.qq = (self.Q**2).sum(0)
        self.b_k, self.se_k, self.adj = b_k, se_k, adj

    def pvalue(self, b0: float) -> float:
        t = (self.b_k - b0) / self.se_k
        num = self.nA - b0 * self.nC
        var = self.adj * (self.pp - 2 * b0 * self.pq + b0 * b0 * self.qq)
        with np.errstate(divide="ignore", invalid="ignore"):
            tstar = np.abs(num) / np.sqrt(var)
        tstar = np.where(np.isfinite(tstar), tstar, np.inf)
        return float(np.mean(tstar >= abs(t) * (1 - 1e-12)))

    def ci(self, level: float) -> tuple[float, float]:
        alpha = 1 - level
        out = []
        for sign in (-1.0, 1.0):
            inner, step = self.b_k, self.se_k
            outer = None
            for _ in range(60):
                cand = self.b_k + sign * step
                if self.pvalue(cand) < alpha:
                    outer = cand
                    break
                inner, step = cand, step * 2
            if outer is None:
                out.append(sign * np.inf)
                continue
            for _ in range(80):
                mid = (inner + outer) / 2
                if self.pvalue(mid) < alpha:
                    outer = mid
                else:
                    inner = mid
                if abs(outer - inner) < 1e-10 * max(1.0, abs(self.se_k)):
                    break
            out.append((inner + outer) / 2)
        return out[0], out[1]


# --------------------------------------------------------------------------------------
# the result object
# --------------------------------------------------------------------------------------


@dataclass
class RegressionResult:
    """An OLS fit from :func:`regress` with tidy accessors.

    Attributes
    ----------
    formula : str
        The model formula.
    se_type : str
        ``"HC3"``, ``"HC1"``, ``"classical"``, ``"cluster"`` (CR1) or ``"wild"``.
    params : pandas.Series
        OLS coefficients by design-matrix column (patsy names, e.g. ``C(sector)[T.G]``).
    vcov : pandas.DataFrame
        Their covariance matrix under ``se_type`` (CR1 for ``"wild"``).
    nobs : int
        Rows used (complete cases on the formula's variables and the cluster column).
    df_resid : int
        ``nobs`` minus the number of coefficients.
    df_inference : int
        Degrees of freedom of the t tests: ``df_resid``, or ``G - 1`` with clusters.
    n_clusters : int or None
        Number of clusters (``se="cluster"`` or ``"wild"``).
    cluster : str or None
        The cluster column.
    data : pandas.DataFrame
        The estimation sample (the formula's variables and the cluster column).
    model : statsmodels.regression.linear_model.RegressionResultsWrapper
        The underlying statsmodels fit (use it for anything not wrapped here).
    dropped : int
        Rows of ``data`` left out because of missing values.
    wild : pandas.DataFrame or None
        For ``se="wild"``: the bootstrap p-values and confidence intervals per coefficient
        (``term, pvalue, ci_lower, ci_upper``) with ``weights`` and ``n_boot`` in ``attrs``.
    """

    formula: str
    se_type: str
    params: pd.Series
    vcov: pd.DataFrame
    nobs: int
    df_resid: int
    df_inference: int
    n_clusters: int | None
    cluster: str | None
    data: pd.DataFrame
    model: object
    dropped: int
    design_info: object = field(repr=False)
    outcome: str = ""
    std_params: pd.Series | None = None
    wild: pd.DataFrame | None = None
    level: float = 0.95
    notes: list[str] = field(default_factory=list)

    # ------------------------------------------------------------------ accessors
    def coefficients(self, level: float | None = None) -> pd.DataFrame:
        """Coefficient table.

        Parameters
        ----------
        level : float, optional
            Confidence level (default: the ``level`` given to :func:`regress`, 0.95). For
            ``se="wild"`` the bootstrap intervals exist only at that level.

        Returns
        -------
        pandas.DataFrame
            ``term, estimate, se, statistic, df, pvalue, ci_lower, ci_upper,
            std_estimate``. ``statistic`` is the t statistic (``estimate / se``) referred to
            a t distribution with ``df`` degrees of freedom (``df_resid``; ``G - 1`` with
            clusters, as Stata). With ``se="wild"``, ``se`` and ``statistic`` are CR1 while
            ``pvalue`` and the interval come from the wild cluster bootstrap.
            ``std_estimate`` is the coefficient from the same model fitted on z-scored
            continuous variables (see :func:`regress`); NaN for the intercept.
        """
        level = self.level if level is None else level
        if not 0 < level < 1:
            raise SpecificationError(f"level={level!r} is not valid; use a number in (0, 1).")
        b = self.params.to_numpy()
        se = np.sqrt(np.clip(np.diag(self.vcov.to_numpy()), 0, None))
        with np.errstate(divide="ignore", invalid="ignore"):
            t = np.where(se > 0, b / se, np.nan)
        df = self.df_inference
        p = 2 * stats.t.sf(np.abs(t), df)
        crit = stats.t.ppf((1 + level) / 2, df)
        lo, hi = b - crit * se, b + crit * se
        lo = np.where(se > 0, lo, np.nan)
        hi = np.where(se > 0, hi, np.nan)
        if self.se_type == "wild":
            if not math.isclose(level, self.level):
                raise SpecificationError(
                    f"the wild cluster bootstrap intervals were computed at level={self.level}; "
                    f"refit with regress(..., level={level}) for another level."
                )
            p = self.wild["pvalue"].to_numpy()
            lo = self.wild["ci_lower"].to_numpy()
            hi = self.wild["ci_upper"].to_numpy()
        std = (
            self.std_params.reindex(self.params.index).to_numpy()
            if self.std_params is not None
            else np.full(len(b), np.nan)
        )
        return pd.DataFrame(
            {
                "term": list(self.params.index),
                "estimate": b,
                "se": se,
                "statistic": t,
                "df": float(df),
                "pvalue": p,
                "ci_lower": lo,
                "ci_upper": hi,
                "std_estimate": std,
            }
        )

    def fit_measures(self) -> pd.Series:
        """Model fit: N, R², adjusted R², residual SD and the model F test.

        The F test is the Wald test that every coefficient except the intercept is zero,
        computed with this fit's covariance matrix (robust for HC3/HC1/CR1; the classical F
        for ``"classical"``), ``F = b' V^-1 b / q`` on ``(q, df_inference)`` degrees of
        freedom (``lmtest::waldtest(fit, vcov = ...)`` in R). It is NaN when the covariance
        matrix of the tested coefficients is singular (CR1 with ``q >= G``) and for
        ``se="wild"`` (a joint wild-bootstrap test is not implemented).

        Returns
        -------
        pandas.Series
            ``nobs, n_params, df_model, df_resid, r2, adj_r2, sigma, f_statistic, f_df1,
            f_df2, f_pvalue, n_clusters, dropped``.
        """
        res = self.model
        names = list(self.params.index)
        tested = [i for i, n in enumerate(names) if n != "Intercept"]
        f = f_p = np.nan
        q = len(tested)
        if q and self.se_type != "wild":
            b = self.params.to_numpy()[tested]
            V = self.vcov.to_numpy()[np.ix_(tested, tested)]
            if np.linalg.matrix_rank(V) == q:
                f = float(b @ np.linalg.solve(V, b) / q)
                f_p = float(stats.f.sf(f, q, self.df_inference))
        return pd.Series(
            {
                "nobs": self.nobs,
                "n_params": len(names),
                "df_model": float(q),
                "df_resid": float(self.df_resid),
                "r2": float(res.rsquared),
                "adj_r2": float(res.rsquared_adj),
                "sigma": float(np.sqrt(res.scale)),
                "f_statistic": f,
                "f_df1": float(q),
                "f_df2": float(self.df_inference),
                "f_pvalue": f_p,
                "n_clusters": np.nan if self.n_clusters is None else float(self.n_clusters),
                "dropped": self.dropped,
            },
            dtype=object,
        )

    def vif(self) -> pd.DataFrame:
        """Variance inflation factors per model term (centred; generalized for multi-df terms).

        For a term with one column the centred VIF ``1 / (1 - R_j^2)``; for a term with
        several columns (``C(sector)``, an interaction with a categorical variable) the
        generalized VIF of Fox & Monette (1992), ``GVIF = det(R_11) det(R_22) / det(R)``
        with ``R`` the correlation matrix of the non-intercept columns and ``R_11`` the
        block of the term. ``gvif_adj = GVIF^(1 / (2 df))`` is comparable across terms of
        different df (its square is on the scale of an ordinary VIF). These are the numbers
        of ``car::vif()`` (``GVIF``, ``Df``, ``GVIF^(1/(2*Df))``), checked against car 3.1-1.

        In a model with product terms the VIFs of the lower-order terms reflect
        non-essential collinearity that centring removes (Cohen, Cohen, West & Aiken, 2003,
        ch. 7); a :class:`~nrel_research.exceptions.DataQualityWarning` says so.

        Returns
        -------
        pandas.DataFrame
            ``term, df, vif, gvif_adj``.

        Raises
        ------
        SpecificationError
            If the model has no intercept (centred VIFs are then not defined) or fewer than
            two predictor terms.
        """
        names = list(self.params.index)
        if "Intercept" not in names:
            raise SpecificationError(
                "VIFs need a model with an intercept (centred VIFs); remove '- 1' or '+ 0' "
                "from the formula."
            )
        di = self.design_info
        terms = [(t.name(), di.slice(t)) for t in di.terms if t.name() != "Intercept"]
        if len(terms) < 2:
            raise SpecificationError("VIFs need at least two predictor terms in the model.")
        if any(len(t.factors) > 1 for t in di.terms):
            warnings.warn(
                "the model has interaction terms: the VIFs of their lower-order terms reflect "
                "non-essential collinearity with the product terms; centre the variables "
                "before forming products to judge collinearity (Cohen et al., 2003).",
                DataQualityWarning,
                stacklevel=2,
            )
        X = np.asarray(self.model.model.exog)
        keep = [i for i, n in enumerate(names) if n != "Intercept"]
        R = np.corrcoef(X[:, keep], rowvar=False)
        pos = {orig: j for j, orig in enumerate(keep)}
        _, logdet = np.linalg.slogdet(R)
        rows = []
        for name, sl in terms:
            cols = [pos[i] for i in range(sl.start, sl.stop)]
            rest = [j for j in range(len(keep)) if j not in cols]
            _, ld1 = np.linalg.slogdet(R[np.ix_(cols, cols)])
            _, ld2 = np.linalg.slogdet(R[np.ix_(rest, rest)])
            g = float(np.exp(ld1 + ld2 - logdet))
            rows.append(
                {
                    "term": name,
                    "df": len(cols),
                    "vif": g,
                    "gvif_adj": g ** (1 / (2 * len(cols))),
                }
            )
        return pd.DataFrame(rows)

    def summary(self) -> RegressionSummary:
        """Return a printable summary (fit measures and coefficient table; text or HTML)."""
        return RegressionSummary(self)

    def __repr__(self) -> str:
        fm = self.fit_measures()
        cl = f", {self.n_clusters} clusters of '{self.cluster}'" if self.cluster else ""
        return (
            f"<RegressionResult OLS {self.outcome}, N={self.nobs}, "
            f"k={len(self.params)}, R2={fm['r2']:.3f}, se={self.se_type}{cl}>"
        )


class RegressionSummary:
    """Fit measures and the coefficient table of a :class:`RegressionResult`.

    ``str()`` gives text; in Jupyter it renders as HTML (:meth:`as_html`).
    """

    def __init__(self, result: RegressionResult):
        self.result = result
        self.fit = result.fit_measures()
        self.coefficients = result.coefficients()

    def _header(self) -> list[str]:
        r, fm = self.result, self.fit
        if r.se_type == "wild":
            se_text = (
                f"wild cluster bootstrap (WCR, {r.wild.attrs['weights']} weights, "
                f"{r.wild.attrs['n_boot']} draws) by '{r.cluster}' ({r.n_clusters} clusters); "
                "SEs are CR1"
            )
        else:
            se_text = {
                "HC3": "HC3 heteroskedasticity-consistent (Long & Ervin, 2000)",
                "HC1": "HC1 heteroskedasticity-consistent",
                "classical": "classical (homoskedastic)",
                "cluster": f"cluster-robust CR1 by '{r.cluster}' ({r.n_clusters} clusters)",
            }[r.se_type]
        lines = [
            f"OLS regression: {r.formula}",
            f"N = {r.nobs} (dropped {r.dropped} rows with missing values), "
            f"{len(r.params)} coefficients",
            f"R2 = {fm['r2']:.3f}, adjusted R2 = {fm['adj_r2']:.3f}, sigma = {fm['sigma']:.3f}",
        ]
        if np.isfinite(fm["f_statistic"]):
            lines.append(
                f"F({int(fm['f_df1'])}, {int(fm['f_df2'])}) = {fm['f_statistic']:.3f}, "
                f"p = {fm['f_pvalue']:.4g}"
            )
        lines.append(f"Standard errors: {se_text}")
        lines.extend(r.notes)
        return lines

    def as_text(self) -> str:
        """Return the summary as plain text."""
        tab = self.coefficients.copy()
        body = tab.to_string(index=False, float_format=lambda v: f"{v:.4f}")
        return "\n".join([*self._header(), "", body])

    def as_html(self) -> str:
        """Return the summary as an HTML fragment."""
        import html

        head = "".join(f"<p>{html.escape(line)}</p>" for line in self._header())
        return head + self.coefficients.to_html(index=False, float_format=lambda v: f"{v:.4f}")

    def __str__(self) -> str:
        return self.as_text()

    def __repr__(self) -> str:
        return self.as_text()

    def _repr_html_(self) -> str:
        return self.as_html()


# --------------------------------------------------------------------------------------
# regress()
# --------------------------------------------------------------------------------------


def _standardized(desc, data: pd.DataFrame, lhs, rhs, X_index, formula) -> pd.Series | None:
    """Coefficients on z-scored continuous variables; None if the formula transforms any."""
    import patsy

    plain = True
    for term in [*desc.lhs_termlist, *desc.rhs_termlist]:
        for factor in term.factors:
            try:
                tree = ast.parse(factor.code.strip(), mode="eval").body
            except SyntaxError:  # pragma: no cover
                return None
            if isinstance(tree, ast.Name):
                continue
            if (
                isinstance(tree, ast.Call)
                and isinstance(tree.func, ast.Name)
                and tree.func.id == "C"
                and tree.args
                and isinstance(tree.args[0], ast.Name)
            ):
                continue
            plain = False
    if not plain:
        return None
    z = data.loc[X_index].copy()
    categorical = set()
    for term in desc.rhs_termlist:
        for factor in term.factors:
            tree = ast.parse(factor.code.strip(), mode="eval").body
            if isinstance(tree, ast.Call):
                categorical.add(tree.args[0].id)
    for c in [*lhs, *rhs]:
        s = z[c]
        if c in categorical or not pd.api.types.is_float_dtype(s.dtype):
            continue
        if s.nunique() <= 2:
            continue
        sd = s.std(ddof=1)
        if sd > 0:
            z[c] = (s - s.mean()) / sd
    y, X = patsy.dmatrices(formula, z, return_type="dataframe", eval_env=_env())
    coef, *_ = np.linalg.lstsq(X.to_numpy(), y.to_numpy()[:, 0], rcond=None)
    out = pd.Series(coef, index=X.columns)
    if "Intercept" in out.index:
        out["Intercept"] = np.nan
    return out


def _env():
    import patsy

    return patsy.EvalEnvironment([{"np": np}])


def regress(
    formula: str,
    data: pd.DataFrame,
    *,
    se: str = "HC3",
    cluster: str | None = None,
    level: float = 0.95,
    n_boot: int = 9999,
    weights: str = "auto",
    seed: int | np.random.Generator | None = None,
    min_clusters: int = MIN_CLUSTERS,
    data_name: str = "data",
) -> RegressionResult:
    """Fit an OLS regression from a formula with robust or cluster-bootstrap inference.

    The formula is a statsmodels/patsy formula: ``marketing_performance ~ R1 + E1 +
    log_employees + log_firm_age + C(sector)`` adds sector fixed effects,
    ``E1 * C(market_type)`` a market-type interaction, ``E1 * relational_orientation`` a
    continuous one. Rows with a missing value on a variable of the formula (or the cluster
    column) are dropped (listwise deletion; their number is in ``dropped``).

    Parameters
    ----------
    formula : str
        Model formula (patsy syntax as in ``statsmodels.formula.api.ols``; ``np.`` functions
        are available).
    data : pandas.DataFrame
        The data, e.g. scored responses (:func:`nrel_research.data.score`).
    se : {"HC3", "HC1", "classical", "cluster", "wild"}, default "HC3"
        ``"HC3"``: heteroskedasticity-consistent HC3, the recommended default for samples of
        any size (Long & Ervin, 2000). ``"HC1"``: HC0 times ``n / (n - k)`` (Stata's
        ``robust``). ``"classical"``: ``s^2 (X'X)^-1``. ``"cluster"``: cluster-robust CR1
        with the small-sample factor ``G/(G-1) (n-1)/(n-k)`` (Stata; R
        ``sandwich::vcovCL(type = "HC1")``) and t tests on ``G - 1`` df; refused with fewer
        than ``min_clusters`` clusters. ``"wild"``: the restricted wild cluster bootstrap-t
        (WCR; Cameron, Gelbach & Miller, 2008; Roodman, MacKinnon, Nielsen & Webb, 2019, the
        default of Stata ``boottest`` and R ``fwildclusterboot``) for the p-value of each
        coefficient (null imposed; restricted residuals and the CR1 variance in every
        replication; symmetric p-value, the share of ``|t*| >= |t|``) and its confidence
        interval (the nulls not rejected, found by inverting the test on the same draws); the
        reported SEs are CR1. Use it when there are few clusters (at least five).
    cluster : str, optional
        Column of ``data`` holding the cluster of each row (firm, sector, country); needed
        by ``se="cluster"`` and ``"wild"``, refused otherwise.
    level : float, default 0.95
        Confidence level of the intervals.
    n_boot : int, default 9999
        Wild bootstrap draws. With Rademacher weights and ``2**G <= n_boot`` all ``2**G``
        sign patterns are enumerated instead (exact; as ``boottest``).
    weights : {"auto", "rademacher", "webb"}, default "auto"
        Wild bootstrap weights: ``"auto"`` takes Webb's six-point weights with fewer than
        12 clusters (Rademacher then has too few distinct draws; Webb, 2023) and Rademacher
        otherwise.
    seed : int or numpy.random.Generator, optional
        Seed of the wild bootstrap draws (same seed, same numbers).
    min_clusters : int, default 42
        Fewest clusters for ``se="cluster"`` (:data:`MIN_CLUSTERS`; Angrist & Pischke's 42
        rule; Cameron & Miller, 2015). Lower it only knowing CR1 tests then over-reject.
    data_name : str, default "data"
        How to call ``data`` in error messages (e.g. its file name).

    Returns
    -------
    RegressionResult

    Raises
    ------
    SpecificationError
        On a formula that cannot be parsed or an unknown ``se``/``weights``, ``cluster``
        given with a non-cluster ``se`` or missing with a cluster one.
    DataError
        If the formula names a column ``data`` does not have, the outcome is not numeric,
        there are too few complete rows for the coefficients, the predictors are perfectly
        collinear, a row has leverage 1 with HC3, the cluster column has missing values, or
        there are too few clusters.

    Notes
    -----
    **Standardized coefficients** (``std_estimate``) are the coefficients of the same model
    fitted after z-scoring the outcome and every continuous predictor on the estimation
    sample (SD with ``n - 1``) *before* products are formed, leaving dummies, ``C(...)``
    factors and 0/1 variables unstandardized (Friedrich, 1982; Aiken & West, 1991;
    Cohen, Cohen, West & Aiken, 2003). For a model without interactions this equals
    ``b * sd(x) / sd(y)`` for continuous predictors; a dummy's value is the difference in
    outcome SDs. Rescaling the product column itself, as SPSS's "Beta" does, is not used
    because that value changes when a component is merely centred (Friedrich, 1982). When
    the formula transforms variables (``np.log(x)``, ``I(x**2)``) ``std_estimate`` is NaN.

    Checked against R 4.2.2: ``lm`` with ``sandwich::vcovHC(type = "HC3"/"HC1")``,
    ``sandwich::vcovCL(type = "HC1")`` (CR1) and ``lmtest::waldtest`` on the bundled
    simulated study (``tests/reference/regression.R``, ``atol=1e-10``); the wild cluster
    bootstrap against a refit-per-draw implementation (identical p-values on the same draws)
    and by simulation with known truth (6, 8 and 10 unbalanced clusters: rejection rate of the
    true slope 4.5-6.5% and interval coverage 93.5-95.5%, where CR1 rejects 14-16%;
    ``tests/test_analysis_regression.py``).

    References
    ----------
    Angrist, J. D., & Pischke, J.-S. (2009). *Mostly harmless econometrics*. Princeton UP.
    Cameron, A. C., Gelbach, J. B., & Miller, D. L. (2008). Bootstrap-based improvements for
    inference with clustered errors. *Review of Economics and Statistics, 90*(3), 414-427.
    Cameron, A. C., & Miller, D. L. (2015). A practitioner's guide to cluster-robust
    inference. *Journal of Human Resources, 50*(2), 317-372.
    Long, J. S., & Ervin, L. H. (2000). Using heteroscedasticity consistent standard errors
    in the linear regression model. *The American Statistician, 54*(3), 217-224.
    Roodman, D., MacKinnon, J. G., Nielsen, M. Ø., & Webb, M. D. (2019). Fast and wild:
    Bootstrap inference in Stata using boottest. *The Stata Journal, 19*(1), 4-60.
    Aiken, L. S., & West, S. G. (1991). *Multiple regression: Testing and interpreting
    interactions*. Sage.
    Cohen, J., Cohen, P., West, S. G., & Aiken, L. S. (2003). *Applied multiple
    regression/correlation analysis for the behavioral sciences* (3rd ed.). Erlbaum.
    Fox, J., & Monette, G. (1992). Generalized collinearity diagnostics. *Journal of the
    American Statistical Association, 87*(417), 178-183.
    Friedrich, R. J. (1982). In defense of multiplicative terms in multiple regression
    equations. *American Journal of Political Science, 26*(4), 797-833.
    MacKinnon, J. G., & Webb, M. D. (2017). Wild bootstrap inference for wildly different
    cluster sizes. *Journal of Applied Econometrics, 32*(2), 233-254.
    Webb, M. D. (2023). Reworking wild bootstrap-based inference for clustered errors.
    *Canadian Journal of Economics, 56*(3), 839-858.

    Examples
    --------
    >>> from nrel_research.analysis import regress
    >>> from nrel_research.data import load_bundled_study
    >>> firms = load_bundled_study().firms
    >>> firms = firms[firms["second_informant"] == 0]
    >>> res = regress(
    ...     "marketing_performance ~ R1 + E1 + E4 + L1 + log_employees + log_firm_age"
    ...     " + C(sector)", firms)
    >>> res.nobs, res.se_type
    (600, 'HC3')
    >>> tab = res.coefficients().set_index("term")
    >>> round(float(tab.loc["E1", "estimate"]), 3), round(float(tab.loc["E1", "se"]), 3)
    (0.116, 0.04)
    >>> res.vif().set_index("term").loc["C(sector)", ["df", "vif"]].round(3).tolist()
    [6.0, 1.333]

    Seven sectors are too few clusters for CR1; the wild cluster bootstrap is the tool:

    >>> wild = regress("marketing_performance ~ E1 + log_employees", firms,
    ...                se="wild", cluster="sector", seed=1)
    >>> wild.n_clusters, wild.wild.attrs["weights"]
    (7, 'webb')
    """
    import patsy
    import statsmodels.api as sm

    se = check_choice(se, "se", SE_TYPES, error=SpecificationError, normalize=True)
    weights = check_choice(
        weights, "weights", ("auto", "rademacher", "webb"), error=SpecificationError, normalize=True
    )
    if not 0 < level < 1:
        raise SpecificationError(f"level={level!r} is not valid; use a number in (0, 1).")
    min_clusters = check_positive_int(min_clusters, "min_clusters", minimum=2)
    desc = _parse(formula)
    lhs, rhs = _variables(desc)
    check_columns(data, [], data_name=data_name)
    absent = [v for v in [*lhs, *rhs] if v not in data.columns and v not in _FORMULA_FUNCS]
    if absent:
        shown = ", ".join(map(str, data.columns[:25]))
        raise DataError(
            f"the formula {formula!r} names {', '.join(repr(a) for a in absent)}, which "
            f"{'is not a column' if len(absent) == 1 else 'are not columns'} of {data_name}; "
            f"available columns: {shown}{' ...' if data.shape[1] > 25 else ''}. Fix the "
            "spelling or add the column (e.g. scores from nrel_research.data.score)."
        )
    if se in ("cluster", "wild"):
        if cluster is None:
            raise SpecificationError(
                f"se={se!r} needs cluster='column' naming the cluster of each row (e.g. "
                "cluster='firm_id')."
            )
        check_columns(data, [cluster], data_name=data_name)
    elif cluster is not None:
        raise SpecificationError(
            f"cluster={cluster!r} is used only with se='cluster' (CR1, many clusters) or "
            f"se='wild' (wild cluster bootstrap, few clusters); with se={se!r} leave it out."
        )
    variables = [v for v in dict.fromkeys([*lhs, *rhs]) if v in data.columns]
    _check_outcome(data, [v for v in lhs if v in data.columns], formula, data_name)
    cols = variables + ([cluster] if cluster is not None and cluster not in variables else [])
    work = _prepare(data, cols)
    if cluster is not None:
        bad = work.index[work[cluster].isna()]
        if len(bad):
            raise DataError(
                f"the cluster column '{cluster}' of {data_name} has {len(bad)} missing "
                f"value(s) (rows {', '.join(map(str, bad[:5]))}{' ...' if len(bad) > 5 else ''}); "
                "every row needs a cluster: fill them in or drop those rows first."
            )
    # listwise deletion before the design is built, so that a level whose rows all drop out
    # (e.g. B2C firms, which have no E7 score) is dropped too, as R's lm() does
    work = work.dropna()
    labels = work.index  # the caller's row labels (may repeat); positions are used inside
    work = work.reset_index(drop=True)
    for c in work.columns:
        if isinstance(work[c].dtype, pd.CategoricalDtype):
            work[c] = work[c].cat.remove_unused_categories()
    try:
        y, X = patsy.dmatrices(
            formula, work, NA_action="drop", return_type="dataframe", eval_env=_env()
        )
    except patsy.PatsyError as exc:
        raise SpecificationError(f"cannot build the model from {formula!r}: {exc}") from exc
    if y.shape[1] != 1:
        raise DataError(f"the outcome of {formula!r} must be a single numeric column.")
    n, p = X.shape
    if n <= p:
        raise DataError(
            f"too few rows: {n} complete row(s) of {data_name} for {p} coefficients "
            f"({len(data) - n} dropped for missing values); OLS needs more rows than "
            "coefficients (and many more for stable estimates): collect more data or simplify "
            "the model (fewer predictors, pool sector levels)."
        )
    _rank_check(X)
    Xv, yv = X.to_numpy(dtype=float), y.to_numpy(dtype=float)[:, 0]
    ols = sm.OLS(yv, Xv)
    if se == "HC3":
        h = ols.fit().get_influence().hat_matrix_diag
        if np.any(h > 1 - 1e-10):
            rows = labels[X.index[h > 1 - 1e-10]]
            raise DataError(
                f"row(s) {', '.join(map(str, rows[:5]))} of {data_name} have leverage 1 (each "
                "alone determines a coefficient, e.g. the only firm in a sector level), so HC3 "
                "is undefined; drop them or merge rare levels."
            )
    n_clusters = None
    df_inf = n - p
    notes: list[str] = []
    wild = None
    if se in ("cluster", "wild"):
        groups = work.loc[X.index, cluster]
        codes, uniques = pd.factorize(groups)
        G = len(uniques)
        n_clusters = G
        df_inf = G - 1
        if se == "cluster" and min_clusters > G:
            raise DataError(
                f"only {G} clusters in '{cluster}' of {data_name}: cluster-robust (CR1) tests "
                f"over-reject with fewer than about {min_clusters} clusters (Cameron & Miller, "
                "2015; Angrist & Pischke's rule of 42). Use se='wild' (wild cluster "
                f"bootstrap, cluster='{cluster}'), or add C({cluster}) as fixed effects with "
                "se='HC3'."
            )
        if se == "wild" and G < MIN_WILD_CLUSTERS:
            raise DataError(
                f"only {G} clusters in '{cluster}' of {data_name}: the wild cluster "
                f"bootstrap needs at least {MIN_WILD_CLUSTERS} (with very few clusters even it "
                f"can mislead; MacKinnon & Webb, 2017); add C({cluster}) as fixed effects with "
                "se='HC3'."
            )
        fit = ols.fit(
            cov_type="cluster",
            cov_kwds={"groups": codes, "use_correction": True, "df_correction": True},
        )
    else:
        fit = ols.fit(cov_type={"HC3": "HC3", "HC1": "HC1", "classical": "nonrobust"}[se])
    names = list(X.columns)
    params = pd.Series(fit.params, index=names)
    vcov = pd.DataFrame(np.asarray(fit.cov_params()), index=names, columns=names)
    if se in ("cluster", "wild"):
        degenerate = _cluster_level_terms(Xv, codes, G, names)
        if degenerate:
            idx = [names.index(d) for d in degenerate]
            V = vcov.to_numpy().copy()
            V[idx, :] = np.nan
            V[:, idx] = np.nan
            vcov = pd.DataFrame(V, index=names, columns=names)
            notes.append(
                f"No cluster-robust inference for {', '.join(degenerate)}: constant within "
                f"the clusters of '{cluster}' while the model holds a full set of "
                f"'{cluster}' fixed effects, so each is estimated from single clusters' "
                "shocks (not identified apart from them)."
            )
    if se == "wild":
        n_boot = check_positive_int(n_boot, "n_boot", minimum=99)
        kind = weights if weights != "auto" else ("webb" if G < 12 else "rademacher")
        rng = check_rng(seed)
        V = _wild_weights(G, n_boot, kind, rng)
        D = np.zeros((n, G))
        D[np.arange(n), codes] = 1.0
        adj = G / (G - 1) * (n - 1) / (n - p)
        rows = []
        ses = np.sqrt(np.diag(vcov.to_numpy()))
        for k, nm in enumerate(names):
            if not np.isfinite(ses[k]):
                rows.append({"term": nm, "pvalue": np.nan, "ci_lower": np.nan, "ci_upper": np.nan})
                continue
            test = _WildTest(Xv, yv, D, k, params.iloc[k], ses[k], adj, V)
            lo, hi = test.ci(level)
            rows.append({"term": nm, "pvalue": test.pvalue(0.0), "ci_lower": lo, "ci_upper": hi})
        wild = pd.DataFrame(rows)
        wild.attrs.update({"weights": kind, "n_boot": V.shape[1]})
        if min_clusters <= G:
            notes.append(
                f"With {G} clusters CR1 inference (se='cluster') is also reliable "
                "(Cameron & Miller, 2015)."
            )
    std = _standardized(desc, work, lhs, rhs, X.index, formula)
    if std is None:
        notes.append("std_estimate is NaN: the formula transforms variables.")
    return RegressionResult(
        formula=formula,
        se_type=se,
        params=params,
        vcov=vcov,
        nobs=n,
        df_resid=n - p,
        df_inference=df_inf,
        n_clusters=n_clusters,
        cluster=cluster,
        data=work.loc[X.index].set_axis(labels[X.index]),
        model=fit,
        dropped=len(data) - n,
        design_info=X.design_info,
        outcome=y.columns[0],
        std_params=std,
        wild=wild,
        level=level,
        notes=notes,
    )


# --------------------------------------------------------------------------------------
# moderation: simple slopes, Johnson-Neyman, interaction plot
# --------------------------------------------------------------------------------------


def _is_categorical(result: RegressionResult, var: str) -> bool:
    di = result.design_info
    for factor, info in di.factor_infos.items():
        if var in _names_in(factor.code) and info.type == "categorical":
            return True
    return False


def _check_probe(result: RegressionResult, focal: str, moderator: str, what: str) -> None:
    if not isinstance(result, RegressionResult):
        raise SpecificationError(
            f"{what} needs a RegressionResult from regress(), got {type(result).__name__}."
        )
    if result.se_type == "wild":
        raise SpecificationError(
            f"{what} uses the coefficients' covariance matrix, and with se='wild' that is "
            "CR1 on few clusters, whose tests over-reject; refit with se='HC3' and C(cluster) "
            "fixed effects (or se='cluster' with enough clusters) to probe the interaction."
        )
    for v, role in ((focal, "focal"), (moderator, "moderator")):
        if v not in result.data.columns:
            raise SpecificationError(
                f"{role}={v!r} is not a variable of the model {result.formula!r}; "
                f"its variables are {', '.join(result.data.columns)}."
            )
    if focal == moderator:
        raise SpecificationError("focal and moderator must be different variables.")
    if _is_categorical(result, focal) or not pd.api.types.is_float_dtype(result.data[focal]):
        raise SpecificationError(
            f"focal={focal!r} must be a continuous predictor (its slope is probed); "
            "swap focal and moderator."
        )


def _typical(result: RegressionResult) -> dict:
    """Means of numeric variables, most frequent level of categorical ones."""
    out = {}
    for c in result.data.columns:
        s = result.data[c]
        if c == result.cluster and c not in _variables(_parse(result.formula))[1]:
            continue
        if pd.api.types.is_float_dtype(s.dtype) and not _is_categorical(result, c):
            out[c] = float(s.mean())
        else:
            out[c] = s.mode(dropna=True).iloc[0]
    return out


def _rows(result: RegressionResult, frame: pd.DataFrame) -> np.ndarray:
    import patsy

    (X,) = patsy.build_design_matrices([result.design_info], frame, NA_action="raise")
    return np.asarray(X, dtype=float)


def _gradient(result: RegressionResult, focal: str, setting: dict) -> np.ndarray:
    """d(x'b)/d(focal) as a design-row difference; refused if focal enters nonlinearly."""
    base = setting[focal]
    frame = pd.DataFrame([{**setting, focal: base + d} for d in (0.0, 1.0, 2.0)])
    X = _rows(result, frame)
    g1, g2 = X[1] - X[0], X[2] - X[1]
    if not np.allclose(g1, g2, rtol=1e-9, atol=1e-9):
        raise SpecificationError(
            f"'{focal}' enters the model nonlinearly (e.g. I({focal}**2)), so its slope "
            "depends on its own value; simple slopes here need it to enter linearly."
        )
    return g1


def _slope_table(result, g_rows, level):
    b = result.params.to_numpy()
    V = result.vcov.to_numpy()
    G = np.asarray(g_rows)
    est = G @ b
    se = np.sqrt(np.einsum("ij,jk,ik->i", G, V, G))
    df = result.df_inference
    t = est / se
    crit = stats.t.ppf((1 + level) / 2, df)
    return est, se, t, 2 * stats.t.sf(np.abs(t), df), est - crit * se, est + crit * se


def simple_slopes(
    result: RegressionResult,
    focal: str,
    moderator: str,
    at: Sequence | None = None,
    *,
    level: float = 0.95,
) -> pd.DataFrame:
    """Slopes of a continuous predictor at chosen values of its moderator.

    The slope of ``focal`` at moderator value ``m`` is ``g(m)' b``, where ``g(m)`` is the
    change of the design row when ``focal`` rises by one unit (so every product term that
    contains ``focal`` is included), with standard error ``sqrt(g' V g)`` from the fit's
    covariance matrix (HC3 by default) and a t test on ``df_inference`` degrees of freedom
    (Aiken & West, 1991; Cohen et al., 2003). Other variables that
    interact with ``focal`` are held at their mean (numeric) or most frequent level.

    Checked against R (``lm`` + ``sandwich::vcovHC(type = "HC3")``: the same linear
    combinations of ``coef`` and ``vcov``) in ``tests/reference/regression.R``.

    Parameters
    ----------
    result : RegressionResult
        A fit from :func:`regress` with an interaction ``focal * moderator`` (not
        ``se="wild"``).
    focal : str
        The continuous predictor whose slope is probed (e.g. an action-type score).
    moderator : str
        The moderator: a categorical variable (``C(market_type)``: one slope per level) or
        a continuous one (default values: mean - 1 SD, mean, mean + 1 SD of the estimation
        sample).
    at : sequence, optional
        Moderator values (levels for a categorical moderator).
    level : float, default 0.95
        Confidence level.

    Returns
    -------
    pandas.DataFrame
        ``moderator_value, label, slope, se, statistic, df, pvalue, ci_lower, ci_upper``.

    Examples
    --------
    >>> from nrel_research.analysis import regress, simple_slopes
    >>> from nrel_research.data import load_bundled_study
    >>> firms = load_bundled_study().firms
    >>> firms = firms[firms["second_informant"] == 0]
    >>> res = regress("marketing_performance ~ E1 * C(market_type) + log_employees", firms)
    >>> simple_slopes(res, "E1", "market_type")[["label", "slope"]].round(3)
      label  slope
    0   B2B  0.208
    1   B2C  0.251
    2  both  0.207
    """
    _check_probe(result, focal, moderator, "simple_slopes")
    typical = _typical(result)
    categorical = _is_categorical(result, moderator)
    if at is None:
        if categorical:
            info = next(
                i
                for f, i in result.design_info.factor_infos.items()
                if moderator in _names_in(f.code)
            )
            at = list(info.categories)
            labels = [str(a) for a in at]
        else:
            s = result.data[moderator]
            m, sd = float(s.mean()), float(s.std(ddof=1))
            at = [m - sd, m, m + sd]
            labels = ["mean - 1 SD", "mean", "mean + 1 SD"]
    else:
        at = list(at)
        labels = [str(a) for a in at]
    if not at:
        raise SpecificationError("at= is empty; give at least one moderator value.")
    rows = []
    for a in at:
        try:
            rows.append(_gradient(result, focal, {**typical, moderator: a}))
        except SpecificationError:
            raise
        except Exception as exc:
            raise SpecificationError(
                f"moderator value {a!r} cannot be used for '{moderator}': {exc}"
            ) from exc
    est, se, t, p, lo, hi = _slope_table(result, rows, level)
    return pd.DataFrame(
        {
            "moderator_value": at,
            "label": labels,
            "slope": est,
            "se": se,
            "statistic": t,
            "df": float(result.df_inference),
            "pvalue": p,
            "ci_lower": lo,
            "ci_upper": hi,
        }
    )


@dataclass
class JohnsonNeymanResult:
    """Regions of significance of a focal slope along a continuous moderator.

    Attributes
    ----------
    focal, moderator : str
    alpha : float
    bounds : numpy.ndarray
        The Johnson-Neyman points: moderator values where the slope's ``1 - alpha``
        confidence interval just touches zero (0, 1 or 2 values, sorted).
    intervals : pandas.DataFrame
        ``lower, upper`` of each moderator interval where the slope differs significantly
        from zero (``-inf``/``inf`` for unbounded ones); empty if nowhere.
    observed_range : tuple of float
        Minimum and maximum of the moderator in the estimation sample.
    data : pandas.DataFrame
        ``moderator, slope, se, ci_lower, ci_upper, significant`` on a grid over the
        observed range (for plotting).
    """

    focal: str
    moderator: str
    alpha: float
    bounds: np.ndarray
    intervals: pd.DataFrame
    observed_range: tuple[float, float]
    data: pd.DataFrame

    def plot(self, ax=None):
        """Plot the slope and its confidence band along the moderator; returns the Figure."""
        import matplotlib.pyplot as plt

        if ax is None:
            fig, ax = plt.subplots(figsize=(6, 4))
        else:
            fig = ax.figure
        d = self.data
        ax.plot(d["moderator"], d["slope"], color="C0", label=f"slope of {self.focal}")
        ax.fill_between(
            d["moderator"],
            d["ci_lower"],
            d["ci_upper"],
            color="C0",
            alpha=0.2,
            label=f"{100 * (1 - self.alpha):.0f}% CI",
        )
        ax.axhline(0, color="black", lw=0.8)
        for b in self.bounds:
            if self.observed_range[0] <= b <= self.observed_range[1]:
                ax.axvline(b, color="C3", ls="--", lw=1)
        ax.set_xlabel(self.moderator)
        ax.set_ylabel(f"slope of {self.focal}")
        ax.set_title("Johnson-Neyman regions of significance")
        ax.legend(frameon=False)
        return fig


def johnson_neyman(
    result: RegressionResult,
    focal: str,
    moderator: str,
    alpha: float = 0.05,
    *,
    grid: int = 101,
) -> JohnsonNeymanResult:
    """Johnson-Neyman regions: where along a continuous moderator the focal slope is significant.

    The slope of ``focal`` is linear in the moderator, ``s(m) = s0 + s1 m``, with variance
    ``v00 + 2 m v01 + m^2 v11`` from the fit's covariance matrix. The slope is significant
    where ``s(m)^2 > t^2 var(s(m))`` with ``t`` the ``1 - alpha/2`` quantile of t on
    ``df_inference`` df; the boundaries are the real roots of that quadratic, solved exactly
    (Johnson & Neyman, 1936; Bauer & Curran, 2005). The regions can be bounded,
    unbounded on one or both sides, everything or nothing; they may lie outside the
    observed range of the moderator, which ``observed_range`` lets the reader judge.

    Checked against the same quadratic solved in R from ``coef(lm)`` and
    ``sandwich::vcovHC(type = "HC3")`` (``tests/reference/regression.R``).

    Parameters
    ----------
    result : RegressionResult
        A fit from :func:`regress` with a ``focal * moderator`` interaction.
    focal : str
        Continuous predictor whose slope is probed.
    moderator : str
        Continuous moderator.
    alpha : float, default 0.05
        Significance level (two-sided).
    grid : int, default 101
        Points of the plotting grid over the observed moderator range.

    Returns
    -------
    JohnsonNeymanResult

    References
    ----------
    Bauer, D. J., & Curran, P. J. (2005). Probing interactions in fixed and multilevel
    regression: Inferential and graphical techniques. *Multivariate Behavioral Research,
    40*(3), 373-400.
    Johnson, P. O., & Neyman, J. (1936). Tests of certain linear hypotheses and their
    application to some educational problems. *Statistical Research Memoirs, 1*, 57-93.

    Examples
    --------
    >>> from nrel_research.analysis import regress, johnson_neyman
    >>> from nrel_research.data import load_bundled_study
    >>> firms = load_bundled_study().firms
    >>> firms = firms[firms["second_informant"] == 0]
    >>> res = regress(
    ...     "customer_relationship_performance ~ E1 * relational_orientation"
    ...     " + log_employees + C(sector)", firms)
    >>> jn = johnson_neyman(res, "E1", "relational_orientation")
    >>> jn.bounds.round(3)
    array([-8.717, -0.165])
    >>> jn.intervals.round(3)  # significant below -8.717 (outside the data) and above -0.165
       lower  upper
    0   -inf -8.717
    1 -0.165    inf
    >>> bool(jn.observed_range[0] > jn.bounds[0])
    True
    """
    _check_probe(result, focal, moderator, "johnson_neyman")
    if not 0 < alpha < 1:
        raise SpecificationError(f"alpha={alpha!r} is not valid; use a number in (0, 1).")
    if _is_categorical(result, moderator) or not pd.api.types.is_float_dtype(
        result.data[moderator]
    ):
        raise SpecificationError(
            f"moderator={moderator!r} is categorical: Johnson-Neyman regions need a "
            "continuous moderator; use simple_slopes() for one slope per level."
        )
    typical = _typical(result)
    g0 = _gradient(result, focal, {**typical, moderator: 0.0})
    g1 = _gradient(result, focal, {**typical, moderator: 1.0})
    g2 = _gradient(result, focal, {**typical, moderator: 2.0})
    d = g1 - g0
    if not np.allclose(g2 - g1, d, rtol=1e-9, atol=1e-9):
        raise SpecificationError(
            f"the slope of '{focal}' is not linear in '{moderator}' (e.g. a squared "
            "moderator in the product); Johnson-Neyman bounds here assume a linear product."
        )
    if np.allclose(d, 0):
        raise SpecificationError(
            f"the model has no '{focal}' x '{moderator}' interaction; add "
            f"'{focal} * {moderator}' to the formula."
        )
    b = result.params.to_numpy()
    V = result.vcov.to_numpy()
    s0, s1 = g0 @ b, d @ b
    v00, v01, v11 = g0 @ V @ g0, g0 @ V @ d, d @ V @ d
    t2 = stats.t.ppf(1 - alpha / 2, result.df_inference) ** 2
    qa, qb, qc = s1 * s1 - t2 * v11, 2 * (s0 * s1 - t2 * v01), s0 * s0 - t2 * v00
    disc = qb * qb - 4 * qa * qc
    if abs(qa) < 1e-14 * max(abs(qb), abs(qc), 1e-300):
        roots = np.array([-qc / qb]) if qb != 0 else np.array([])
    elif disc < 0:
        roots = np.array([])
    else:
        sq = math.sqrt(disc)
        # numerically stable pair of roots
        qq = -0.5 * (qb + math.copysign(sq, qb))
        roots = np.sort(np.array([qq / qa, qc / qq]))
    # significant where qa m^2 + qb m + qc > 0: test a point inside each piece
    edges = [-np.inf, *roots.tolist(), np.inf]
    intervals = []
    for lo, hi in itertools.pairwise(edges):
        if np.isinf(lo) and np.isinf(hi):
            mid = 0.0
        elif np.isinf(lo):
            mid = hi - 1.0
        elif np.isinf(hi):
            mid = lo + 1.0
        else:
            mid = (lo + hi) / 2
        if qa * mid * mid + qb * mid + qc > 0:
            if intervals and intervals[-1][1] == lo:
                intervals[-1] = (intervals[-1][0], hi)
            else:
                intervals.append((lo, hi))
    s = result.data[moderator]
    rng_obs = (float(s.min()), float(s.max()))
    m = np.linspace(rng_obs[0], rng_obs[1], check_positive_int(grid, "grid", minimum=2))
    slope = s0 + s1 * m
    se = np.sqrt(np.clip(v00 + 2 * m * v01 + m * m * v11, 0, None))
    crit = math.sqrt(t2)
    data = pd.DataFrame(
        {
            "moderator": m,
            "slope": slope,
            "se": se,
            "ci_lower": slope - crit * se,
            "ci_upper": slope + crit * se,
            "significant": np.abs(slope) > crit * se,
        }
    )
    return JohnsonNeymanResult(
        focal=focal,
        moderator=moderator,
        alpha=alpha,
        bounds=roots,
        intervals=pd.DataFrame(intervals, columns=["lower", "upper"], dtype=float),
        observed_range=rng_obs,
        data=data,
    )


def interaction_plot(
    result: RegressionResult,
    focal: str,
    moderator: str,
    at: Sequence | None = None,
    *,
    level: float = 0.95,
    ax=None,
):
    """Plot predicted outcome against ``focal`` at moderator values (simple-slope lines).

    Lines at each level of a categorical moderator, or at mean - 1 SD, mean and mean + 1 SD
    of a continuous one (Aiken & West, 1991), over the observed range of ``focal``;
    other predictors at their mean or most frequent level. Bands are pointwise confidence
    intervals of the prediction from the fit's covariance matrix.

    Parameters
    ----------
    result : RegressionResult
    focal, moderator : str
    at : sequence, optional
        Moderator values (as :func:`simple_slopes`).
    level : float, default 0.95
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> from nrel_research.analysis import regress, interaction_plot
    >>> from nrel_research.data import load_bundled_study
    >>> firms = load_bundled_study().firms
    >>> res = regress("marketing_performance ~ E1 * C(market_type)",
    ...               firms[firms["second_informant"] == 0])
    >>> fig = interaction_plot(res, "E1", "market_type")
    >>> [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    ['B2B', 'B2C', 'both']
    >>> plt.close(fig)
    """
    import matplotlib.pyplot as plt
    import seaborn as sns

    slopes = simple_slopes(result, focal, moderator, at, level=level)
    typical = _typical(result)
    x = np.linspace(result.data[focal].min(), result.data[focal].max(), 50)
    b = result.params.to_numpy()
    V = result.vcov.to_numpy()
    crit = stats.t.ppf((1 + level) / 2, result.df_inference)
    rows = []
    for a, lab in zip(slopes["moderator_value"], slopes["label"], strict=True):
        frame = pd.DataFrame([{**typical, moderator: a, focal: xi} for xi in x])
        X = _rows(result, frame)
        pred = X @ b
        se = np.sqrt(np.einsum("ij,jk,ik->i", X, V, X))
        lab_text = lab if _is_categorical(result, moderator) else f"{lab} ({a:.2f})"
        rows.append(
            pd.DataFrame(
                {
                    focal: x,
                    "predicted": pred,
                    "lower": pred - crit * se,
                    "upper": pred + crit * se,
                    moderator: lab_text,
                }
            )
        )
    d = pd.concat(rows, ignore_index=True)
    if ax is None:
        fig, ax = plt.subplots(figsize=(6, 4))
    else:
        fig = ax.figure
    palette = sns.color_palette("colorblind", n_colors=len(rows))
    sns.lineplot(data=d, x=focal, y="predicted", hue=moderator, palette=palette, ax=ax)
    for (_, part), color in zip(d.groupby(moderator, sort=False), palette, strict=True):
        ax.fill_between(part[focal], part["lower"], part["upper"], color=color, alpha=0.15)
    ax.set_ylabel(f"predicted {result.outcome}")
    ax.set_title(f"{focal} x {moderator}")
    return fig


# --------------------------------------------------------------------------------------
# mediation
# --------------------------------------------------------------------------------------


def mediation(
    data: pd.DataFrame,
    x: str,
    m: str | Sequence[str],
    y: str,
    covar: str | Sequence[str] | None = None,
    *,
    n_boot: int = 5000,
    seed: int | np.random.Generator | None = None,
    level: float = 0.95,
    check_sem: bool = True,
    data_name: str = "data",
) -> pd.DataFrame:
    """Mediation with bias-corrected bootstrap CIs (pingouin), cross-checked with the SEM engine.

    Estimates the ``a`` paths (each mediator on ``x``), the ``b`` paths (``y`` on the
    mediators, controlling for ``x``), the total and direct effects of ``x`` and each
    indirect effect ``a*b`` by OLS with :func:`pingouin.mediation_analysis`: t-based CIs for
    the paths (the ``b`` rows come from :func:`pingouin.linear_regression` of ``y`` on ``x``,
    the mediators and the covariates -- pingouin's own ``"Y ~ M"`` row leaves ``x`` out, so
    it is not the ``b`` of ``a*b``), a bias-corrected percentile bootstrap CI and a bootstrap
    p-value for the indirect effects (Preacher & Hayes, 2008; Shrout & Bolger, 2002).
    Covariates enter the mediator and outcome models alike. Rows with a missing value on any
    of the variables are dropped first.

    With ``check_sem=True`` the same model is fitted by the SEM engine
    (:func:`nrel_research.sem.fit`, ML) as a saturated path model with labelled paths and
    ``indirect := a*b``, ``total := c + sum(a*b)`` (lavaan syntax). ML estimates of a
    saturated recursive path model equal the equation-by-equation OLS estimates, so the
    point estimates agree to 1e-8 (a :class:`~nrel_research.exceptions.ConvergenceWarning`
    if they differ by more than 1e-6); the SEM standard errors (ML, divisor N) are slightly
    smaller than OLS ones, and the SEM interval of an indirect effect is the symmetric
    delta-method (Sobel) interval, which is narrower on the skewed side than the bootstrap
    interval; prefer the bootstrap one (Preacher & Hayes, 2008).

    Parameters
    ----------
    data : pandas.DataFrame
    x : str
        The predictor (e.g. an orientation or action-type score).
    m : str or list of str
        The mediator(s).
    y : str
        The outcome.
    covar : str or list of str, optional
        Covariates (numeric; make dummies of categorical ones first).
    n_boot : int, default 5000
        Bootstrap resamples.
    seed : int or numpy.random.Generator, optional
        Seed of the bootstrap (same seed, same numbers).
    level : float, default 0.95
        Confidence level.
    check_sem : bool, default True
        Fit the SEM cross-check and add its columns.
    data_name : str, default "data"

    Returns
    -------
    pandas.DataFrame
        One row per path: ``path`` (``a``, ``b``, ``total``, ``direct``, ``indirect``),
        ``mediator`` (None for total and direct), ``estimate, se, pvalue, ci_lower,
        ci_upper``, ``ci_method`` (``"t"`` or ``"bootstrap_bc"``) and, with ``check_sem``,
        ``sem_estimate, sem_se, sem_ci_lower, sem_ci_upper`` (Wald/delta-method).
        ``attrs["nobs"]`` holds the number of rows used.

    Raises
    ------
    DataError
        If a column is absent or not numeric, or fewer complete rows than needed.

    Notes
    -----
    The indirect effect on cross-sectional survey data is an association consistent with
    mediation, not evidence of a causal chain.

    References
    ----------
    Preacher, K. J., & Hayes, A. F. (2008). Asymptotic and resampling strategies for
    assessing and comparing indirect effects in multiple mediator models. *Behavior Research
    Methods, 40*(3), 879-891.
    Shrout, P. E., & Bolger, N. (2002). Mediation in experimental and nonexperimental
    studies. *Psychological Methods, 7*(4), 422-445.

    Examples
    --------
    >>> from nrel_research.analysis import mediation
    >>> from nrel_research.data import load_bundled_study
    >>> firms = load_bundled_study().firms
    >>> firms = firms[firms["second_informant"] == 0]
    >>> med = mediation(firms, x="relational_orientation", m="E1",
    ...                 y="customer_relationship_performance", n_boot=500, seed=7)
    >>> med[["path", "estimate", "sem_estimate"]].round(3)
           path  estimate  sem_estimate
    0         a     0.493         0.493
    1         b     0.117         0.117
    2     total     0.457         0.457
    3    direct     0.400         0.400
    4  indirect     0.058         0.058
    """
    import pingouin as pg

    from ..exceptions import ConvergenceWarning

    mediators = [m] if isinstance(m, str) else list(m)
    covars = [] if covar is None else ([covar] if isinstance(covar, str) else list(covar))
    if not mediators:
        raise SpecificationError("m= names no mediator; give at least one column.")
    names = [x, *mediators, y, *covars]
    if len(set(names)) != len(names):
        raise SpecificationError(
            f"x, m, y and covar must be distinct columns, got {', '.join(names)}."
        )
    check_columns(data, names, data_name=data_name)
    for c in names:
        s = data[c]
        if pd.api.types.is_bool_dtype(s.dtype) or not pd.api.types.is_numeric_dtype(s.dtype):
            raise DataError(
                f"column '{c}' of {data_name} is not numeric (dtype {s.dtype}); mediation "
                "needs numeric variables: convert it (dummies for categorical covariates)."
            )
    n_boot = check_positive_int(n_boot, "n_boot", minimum=100)
    if not 0 < level < 1:
        raise SpecificationError(f"level={level!r} is not valid; use a number in (0, 1).")
    d = _prepare(data, names).dropna()
    k = 2 + len(mediators) + len(covars)
    if len(d) <= k + 1:
        raise DataError(
            f"too few complete rows: {len(d)} of {data_name} for a mediation model with "
            f"{k} coefficients in the outcome equation; collect more data."
        )
    rng = check_rng(seed)
    int_seed = int(rng.integers(0, 2**31 - 1))
    pg_out = pg.mediation_analysis(
        data=d,
        x=x,
        m=mediators,
        y=y,
        covar=covars or None,
        alpha=1 - level,
        n_boot=n_boot,
        seed=int_seed,
    )
    lo_col, hi_col = pg_out.columns[4], pg_out.columns[5]
    rows = []
    for _, r in pg_out.iterrows():
        label = str(r["path"])
        if label == "Total":
            path, med = "total", None
        elif label == "Direct":
            path, med = "direct", None
        elif label.startswith("Indirect"):
            path = "indirect"
            med = label[len("Indirect") :].strip() or mediators[0]
        elif label.endswith("~ X"):
            path, med = "a", label[: -len("~ X")].strip()
        else:
            continue  # pingouin's "Y ~ M" omits x; the b path is taken below
        rows.append(
            {
                "path": path,
                "mediator": med,
                "estimate": float(r["coef"]),
                "se": float(r["se"]),
                "pvalue": float(r["pval"]),
                "ci_lower": float(r[lo_col]),
                "ci_upper": float(r[hi_col]),
                "ci_method": "bootstrap_bc" if path == "indirect" else "t",
            }
        )
    # b paths: y on the mediators controlling for x and the covariates (the b of a*b)
    full = pg.linear_regression(d[[x, *mediators, *covars]], d[y], alpha=1 - level)
    full = full.set_index("names")
    ci_cols = [c for c in full.columns if str(c).startswith("CI")]
    for med in mediators:
        r = full.loc[med]
        rows.append(
            {
                "path": "b",
                "mediator": med,
                "estimate": float(r["coef"]),
                "se": float(r["se"]),
                "pvalue": float(r["pval"]),
                "ci_lower": float(r[ci_cols[0]]),
                "ci_upper": float(r[ci_cols[1]]),
                "ci_method": "t",
            }
        )
    out = pd.DataFrame(rows)
    order = {"a": 0, "b": 1, "total": 2, "direct": 3, "indirect": 4}
    out = out.sort_values("path", key=lambda s: s.map(order), kind="stable").reset_index(drop=True)
    if check_sem:
        sem_tab = _sem_mediation(d, x, mediators, y, covars, level)
        key = list(zip(out["path"], out["mediator"].fillna(""), strict=True))
        for col in ("sem_estimate", "sem_se", "sem_ci_lower", "sem_ci_upper"):
            out[col] = [sem_tab[kk][col] for kk in key]
        diff = float(np.max(np.abs(out["estimate"] - out["sem_estimate"])))
        if diff > 1e-6:
            warnings.warn(
                f"the SEM engine's estimates differ from OLS by up to {diff:.2e}; the SEM fit "
                "may not have converged fully.",
                ConvergenceWarning,
                stacklevel=2,
            )
    out.attrs["nobs"] = len(d)
    return out


def _sem_mediation(d, x, mediators, y, covars, level) -> dict:
    from .. import sem

    cov = "".join(f" + {c}" for c in covars)
    lines = []
    for i, med in enumerate(mediators):
        lines.append(f"{med} ~ a{i}*{x}{cov}")
    lines.append(f"{y} ~ " + " + ".join(f"b{i}*{med}" for i, med in enumerate(mediators)))
    lines[-1] += f" + cp*{x}{cov}"
    for i, j in itertools.combinations(range(len(mediators)), 2):
        lines.append(f"{mediators[i]} ~~ {mediators[j]}")
    for i in range(len(mediators)):
        lines.append(f"ind{i} := a{i}*b{i}")
    lines.append("total := cp + " + " + ".join(f"a{i}*b{i}" for i in range(len(mediators))))
    res = sem.fit("\n".join(lines), d)
    est = res.estimates(level=level).set_index("label")
    out = {}

    def pick(lab):
        r = est.loc[lab]
        return {
            "sem_estimate": float(r["est"]),
            "sem_se": float(r["se"]),
            "sem_ci_lower": float(r["ci_lower"]),
            "sem_ci_upper": float(r["ci_upper"]),
        }

    for i, med in enumerate(mediators):
        out[("a", med)] = pick(f"a{i}")
        out[("b", med)] = pick(f"b{i}")
        out[("indirect", med)] = pick(f"ind{i}")
    out[("direct", "")] = pick("cp")
    out[("total", "")] = pick("total")
    return out
