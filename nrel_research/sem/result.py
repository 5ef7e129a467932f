"""The result of :func:`nrel_research.sem.fit`: tidy accessors and a printable summary."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from .fitmeasures import fit_measures
from .modindices import modification_indices
from .standardize import standardize

__all__ = ["SEMResult"]

ESTIMATE_COLUMNS = [
    "lhs",
    "op",
    "rhs",
    "label",
    "est",
    "se",
    "z",
    "pvalue",
    "ci_lower",
    "ci_upper",
    "std_all",
    "std_lv",
]


class SEMResult:
    """A fitted structural equation model.

    Attributes
    ----------
    converged : bool
        Whether the optimizer met its convergence criterion.
    warnings : list of str
        Every warning issued while fitting (non-convergence, improper solutions, failed or
        improper bootstrap replications), also kept here for reports.
    nobs : int
        Number of complete rows used.
    n_dropped : int
        Rows dropped by listwise deletion (a missing value on a model variable).
    bootstrap : BootstrapResult or None
        The replications when ``se="bootstrap"`` (counts: ``n_failed``, ``n_improper``,
        ``n_used``).
    theta : numpy.ndarray
        The free parameters in lavaan's ``free`` order.
    """

    def __init__(
        self,
        *,
        model,
        stats,
        theta,
        fmin,
        vcov,
        defined,
        optim,
        se,
        boot,
        warning_messages,
        n_dropped,
        syntax,
        estimator="ML",
        missing="listwise",
        fit_override=None,
        fit_extra=None,
        group_labels=None,
        group=None,
    ):
        self.model = model
        self.stats = stats
        self.theta = theta
        self.fmin = fmin
        self.vcov = vcov
        self.defined = defined
        self.optim = optim
        self.se_type = se
        self.bootstrap = boot
        self.warnings = list(warning_messages)
        self.converged = bool(optim.converged)
        self.nobs = int(sum(s.n for s in stats))
        self.n_dropped = int(n_dropped)
        self.syntax = syntax
        self.estimator = estimator
        self.missing = missing
        self._fit_override = fit_override
        self._fit_extra = fit_extra
        #: the group labels in lavaan's order (first appearance), ``None`` for one group
        self.group_labels = list(group_labels) if group_labels is not None else None
        #: the grouping column (``group=``), ``None`` for one group
        self.group = group
        #: rows used per group (``None`` for one group)
        self.group_nobs = (
            {lab: int(s.n) for lab, s in zip(self.group_labels, stats, strict=True)}
            if self.group_labels is not None
            else None
        )
        #: the model's variables as used (complete rows for listwise; all rows for FIML)
        self.data = None
        #: the fit() options that produced this result (estimator, missing, se, group,
        #: group_equal, group_partial, group_label, std_lv), used to refit it on ``data``
        self.call: dict = {}
        self._fm = None

    # -- parameter table -------------------------------------------------------------------
    @property
    def partable(self) -> pd.DataFrame:
        """The parameter table (lavaan ``parTable()`` columns) with ``est`` and ``se``."""
        t = self.model.table.drop(columns=["line"]).copy()
        est, se = self._est_se()
        t["est"] = est
        t["se"] = se
        return t

    def _est_se(self):
        t = self.model.table
        vals = self.model.row_values(self.theta)
        free = self.model.free
        se = np.zeros(len(t))
        if self.defined is not None and len(self.defined):
            vals[self.defined.rows] = self.defined.evaluate(vals)
        if self.se_type == "bootstrap":
            se_free, se_def = self.bootstrap.se()
            se[free > 0] = se_free[free[free > 0] - 1]
            if len(self.defined):
                se[self.defined.rows] = se_def
        elif self.vcov is not None:
            var = np.diag(self.vcov).copy()
            var[var < 0] = np.nan
            sd = np.sqrt(var)
            se[free > 0] = sd[free[free > 0] - 1]
            if len(self.defined):
                jac = self.defined.jacobian(self.model, self.theta)
                dv = np.diag(jac @ self.vcov @ jac.T).copy()
                dv[dv < 0] = np.nan
                se[self.defined.rows] = np.sqrt(dv)
        else:
            se[:] = np.nan
        eq = (t["op"] == "==").to_numpy()
        vals[eq] = np.nan
        se[eq] = np.nan
        return vals, se

    def estimates(self, level: float = 0.95) -> pd.DataFrame:
        """Parameter estimates as lavaan's ``parameterEstimates(fit, standardized = TRUE)``.

        Parameters
        ----------
        level : float, default 0.95
            Confidence level of ``ci_lower``/``ci_upper`` (Wald; percentile with
            ``se="bootstrap"``, as lavaan's ``boot.ci.type = "perc"``).

        Returns
        -------
        pandas.DataFrame
            Columns ``lhs, op, rhs, label, est, se, z, pvalue, ci_lower, ci_upper, std_all,
            std_lv``; defined parameters have ``op == ":="``. Fixed parameters have ``se`` 0
            and NaN ``z``/``pvalue``; equality-constraint rows are left out. A multiple-group
            fit (``group=``) adds a ``group`` column after ``rhs`` holding the group label
            (``None`` for defined parameters), rows ordered by group as lavaan's.
        """
        t = self.model.table
        est, se = self._est_se()
        with np.errstate(divide="ignore", invalid="ignore"):
            z = np.where(se > 0, est / se, np.nan)
        pvalue = 2 * stats.norm.sf(np.abs(z))
        fac = stats.norm.ppf((1 + level) / 2)
        lo = est - fac * se
        hi = est + fac * se
        if self.se_type == "bootstrap":
            free = self.model.free
            ci_free, ci_def = self.bootstrap.percentile(level)
            lo, hi = est.copy(), est.copy()
            sel = free > 0
            lo[sel] = ci_free[free[sel] - 1, 0]
            hi[sel] = ci_free[free[sel] - 1, 1]
            if len(self.defined):
                lo[self.defined.rows] = ci_def[:, 0]
                hi[self.defined.rows] = ci_def[:, 1]
        std_all = standardize(self.model, self.theta, defined=self.defined, kind="std.all")
        std_lv = standardize(self.model, self.theta, defined=self.defined, kind="std.lv")
        out = pd.DataFrame(
            {
                "lhs": t["lhs"],
                "op": t["op"],
                "rhs": t["rhs"],
                "label": t["label"],
                "est": est,
                "se": se,
                "z": z,
                "pvalue": pvalue,
                "ci_lower": lo,
                "ci_upper": hi,
                "std_all": std_all,
                "std_lv": std_lv,
            }
        )
        cols = list(ESTIMATE_COLUMNS)
        if self.group_labels is not None:
            labs = [None, *self.group_labels]
            out.insert(3, "group", [labs[int(g)] for g in t["group"]])
            cols.insert(3, "group")
        out = out[(t["op"] != "==").to_numpy()].reset_index(drop=True)
        return out[cols]

    # -- fit -----------------------------------------------------------------------------
    def fit_measures(self) -> pd.Series:
        """Fit measures as lavaan 0.6.14's ``fitMeasures()`` (names with ``_`` for ``.``).

        Returns
        -------
        pandas.Series
            ``npar, ntotal, chisq, df, pvalue, baseline_chisq, baseline_df, baseline_pvalue,
            cfi, tli, rmsea, rmsea_ci_lower, rmsea_ci_upper, rmsea_pvalue, srmr, logl,
            unrestricted_logl, aic, bic, bic2``.
        """
        if self._fm is None:
            fm = fit_measures(
                self.model,
                self.stats,
                self.theta,
                self.fmin,
                self.model.n_unique,
                override=self._fit_override,
            )
            if self._fit_extra:
                fm = pd.concat([fm, pd.Series(self._fit_extra, dtype=float)])
            self._fm = fm.rename("value")
        return self._fm.copy()

    def _group_index(self, group):
        if self.group_labels is None:
            if group is not None:
                from ..exceptions import NrelError

                raise NrelError("group= is only meaningful for a multiple-group fit.")
            return 0
        if group is None or group not in self.group_labels:
            from ..exceptions import NrelError

            raise NrelError(
                f"group={group!r}: a multiple-group fit needs one of the group labels "
                f"{self.group_labels!r}."
            )
        return self.group_labels.index(group)

    def implied_cov(self, group=None) -> pd.DataFrame:
        """Model-implied covariance matrix of the observed variables (lavaan ``cov.ov``).

        ``group``: the group label, required for a multiple-group fit.
        """
        sig = self.model.implied(self.theta)[self._group_index(group)]["cov"]
        names = self.model.ov_names
        return pd.DataFrame(sig, index=names, columns=names)

    def implied_mean(self, group=None) -> pd.Series | None:
        """Model-implied means (``None`` without a mean structure; ``group`` as above)."""
        mu = self.model.implied(self.theta)[self._group_index(group)]["mean"]
        if mu is None:
            return None
        return pd.Series(mu, index=self.model.ov_names, name="mean")

    def modification_indices(self, *, sort: bool = False, minimum_value: float = 0.0):
        """Modification indices as lavaan's ``modindices()``.

        Parameters
        ----------
        sort : bool, default False
            Sort by decreasing ``mi``.
        minimum_value : float, default 0
            Keep only rows with ``mi >= minimum_value``.

        Returns
        -------
        pandas.DataFrame
            Columns ``lhs, op, rhs, mi, epc, sepc_lv, sepc_all``.
        """
        if self.group_labels is not None:
            from ..exceptions import NrelError

            raise NrelError(
                "modification indices for multiple-group fits are not available yet; fit "
                "each group on its own to screen for misfit."
            )
        if self.missing != "listwise" or self.estimator != "ML":
            from ..exceptions import NrelError

            raise NrelError(
                "modification indices are available for estimator='ML' with "
                "missing='listwise' only (lavaan's FIML/MLR versions use other information "
                "matrices that are not implemented yet); refit with those options to screen "
                "for misfit."
            )
        mi = modification_indices(self)
        mi = mi[mi["mi"] >= minimum_value]
        if sort:
            mi = mi.sort_values("mi", ascending=False)
        return mi.reset_index(drop=True)

    def summary(self, *, level: float = 0.95):
        """Return a printable summary (text, HTML, LaTeX), like lavaan's ``summary(fit)``."""
        from .summary import SEMSummary

        return SEMSummary(self, level=level)

    def __repr__(self) -> str:
        fm = self.fit_measures()
        return (
            f"<SEMResult {self.estimator}{', FIML' if self.missing == 'ml' else ''}, "
            f"N={self.nobs}, npar={int(fm['npar'])}, chisq={fm['chisq']:.3f}, "
            f"df={int(fm['df'])}, converged={self.converged}>"
        )
