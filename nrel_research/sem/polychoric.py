"""Polychoric, polyserial and Pearson correlations with thresholds and standard errors.

:func:`polychoric` is the analogue of lavaan's ``lavCor(data, ordered = ...)``: the
correlation matrix of ordered (Likert) items as correlations of underlying normal variables,
estimated in two steps as lavaan does (thresholds from the margins, then maximum likelihood on
each correlation with the thresholds fixed), with the asymptotic covariance matrix of all
estimates (the first step of a WLSMV fit). The numbers come from
:func:`nrel_research.sem._catstats.categorical_stats`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .._validation import check_choice, check_columns
from ..exceptions import DataError
from ._catstats import CategoricalStats, categorical_stats

__all__ = ["PolychoricResult", "polychoric"]


@dataclass
class PolychoricSummary:
    """Printable summary of a :class:`PolychoricResult` (``print(res.summary())``)."""

    text: str

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return self.text

    def _repr_html_(self) -> str:
        import html

        return f"<pre>{html.escape(self.text)}</pre>"


@dataclass
class PolychoricResult:
    """Result of :func:`polychoric`.

    Attributes
    ----------
    stats : CategoricalStats
        The full step-1 statistics: thresholds, correlations, ``gamma`` (the asymptotic
        covariance, lavaan's NACOV), the DWLS weights, lavaan's ``wls.obs`` names.
    missing : str
        ``"listwise"`` or ``"pairwise"``.
    """

    stats: CategoricalStats
    missing: str = "listwise"

    @property
    def nobs(self) -> int:
        """Number of rows used (lavaan's ``nobs``)."""
        return self.stats.n

    @property
    def cor(self) -> pd.DataFrame:
        """The correlation matrix (square DataFrame, variables in the order given)."""
        names = self.stats.names
        return pd.DataFrame(self.stats.cor.copy(), index=names, columns=names)

    def _se_cor_scale(self) -> np.ndarray:
        # lavaan's robust vcov of a WLSMV fit divides by N - ngroups (here N - 1)
        return np.sqrt(np.clip(np.diag(self.stats.gamma_cor), 0.0, None) / (self.stats.n - 1))

    def thresholds(self) -> pd.DataFrame:
        """Thresholds of the ordered variables: ``variable, threshold ("t1", ...), est, se``.

        The standard errors are lavaan's robust ones of the saturated model,
        ``sqrt(diag(gamma) / (n - 1))`` (lavaan divides by ``N - ngroups``).
        """
        st = self.stats
        se = self._se_cor_scale()
        rows = []
        for k, name in enumerate(st.th_names):
            if st.th_idx[k] == 0:
                continue
            var, t = name.split("|")
            rows.append((var, t, float(st.th[k]), float(se[k])))
        return pd.DataFrame(rows, columns=["variable", "threshold", "est", "se"])

    def estimates(self) -> pd.DataFrame:
        """One row per pair: ``lhs, op ("~~"), rhs, est, se, type``.

        ``type`` is ``"polychoric"`` (ordered-ordered), ``"polyserial"`` (ordered-numeric) or
        ``"pearson"`` (numeric-numeric); ``est`` is always the correlation and ``se`` its
        asymptotic standard error (for pairs with a numeric variable, the SE of the correlation
        itself, not of lavaan's covariance parameter).
        """
        st = self.stats
        se = self._se_cor_scale()
        n_top = len(st.th_names) + int(np.sum(~st.ordered))
        rows = []
        for k, name in enumerate(st.wls_names[n_top:]):
            lhs, rhs = name.split("~~")
            i, j = st.names.index(lhs), st.names.index(rhs)
            rows.append(
                (
                    lhs,
                    "~~",
                    rhs,
                    float(st.cor[i, j]),
                    float(se[n_top + k]),
                    st.pair_type[(rhs, lhs)],
                )
            )
        return pd.DataFrame(rows, columns=["lhs", "op", "rhs", "est", "se", "type"])

    def summary(self) -> PolychoricSummary:
        """Return a printable summary: sample size, variable types, thresholds and correlations."""
        st = self.stats
        kinds = pd.Series(st.pair_type).value_counts()
        lines = [
            f"Polychoric correlations (two-step ML; lavaan lavCor), N = {st.n}, "
            f"missing = {self.missing}",
            "Ordered: "
            + (
                ", ".join(
                    f"{v} ({k} cat.)"
                    for v, k, o in zip(st.names, st.ncat, st.ordered, strict=True)
                    if o
                )
                or "none"
            ),
            "Numeric: "
            + (", ".join(v for v, o in zip(st.names, st.ordered, strict=True) if not o) or "none"),
            "Pairs: " + ", ".join(f"{kinds[k]} {k}" for k in kinds.index),
        ]
        if st.zero_cell_pairs:
            lines.append(
                f"Tables with empty cells: {len(st.zero_cell_pairs)} "
                f"(e.g. {st.zero_cell_pairs[0][0]} x {st.zero_cell_pairs[0][1]})"
            )
        th = self.thresholds()
        if len(th):
            lines += [
                "",
                "Thresholds:",
                th.to_string(index=False, float_format=lambda v: f"{v:.3f}"),
            ]
        lines += ["", "Correlations:", self.cor.to_string(float_format=lambda v: f"{v:.3f}")]
        return PolychoricSummary("\n".join(lines))

    def __repr__(self) -> str:
        return (
            f"<PolychoricResult {len(self.stats.names)} variables "
            f"({int(self.stats.ordered.sum())} ordered), N={self.stats.n}, missing={self.missing}>"
        )


def _column_values(data: pd.DataFrame, col: str, data_name: str) -> np.ndarray:
    s = data[col]
    if isinstance(s.dtype, pd.CategoricalDtype):
        if not s.cat.ordered:
            raise DataError(
                f"{data_name}: column '{col}' is an unordered categorical; polychoric needs "
                "ordered codes. Use pandas.Categorical(..., ordered=True) or integer codes."
            )
        codes = s.cat.codes.to_numpy().astype(float)
        codes[codes < 0] = np.nan
        return codes + 1.0
    if s.dtype == bool:
        return s.to_numpy(float)
    if pd.api.types.is_numeric_dtype(s.dtype):
        return s.to_numpy(float)
    conv = pd.to_numeric(s, errors="coerce")
    bad = conv.isna() & s.notna()
    if bad.any():
        row = bad.idxmax()
        row = row.item() if isinstance(row, np.generic) else row
        raise DataError(
            f"{data_name}: column '{col}' has the text value {s[row]!r} in row {row!r}; "
            "ordered items must be coded as numbers (1, 2, 3, ...) and missing values left "
            "empty. Recode the answers (e.g. data[col].map({'agree': 4, ...}))."
        )
    return conv.to_numpy(float)


def polychoric(
    data: pd.DataFrame,
    columns: Sequence[str] | None = None,
    *,
    ordered: bool | Sequence[str] = True,
    missing: str = "listwise",
    data_name: str = "data",
) -> PolychoricResult:
    """Polychoric (and polyserial / Pearson) correlations with thresholds and standard errors.

    The analogue of lavaan's ``lavCor(data, ordered = ...)``. Each ordered item is taken as a
    cut-up standard normal variable: its thresholds are the probit of its cumulative
    proportions, the polychoric correlation of two ordered items is the maximum-likelihood
    correlation of the underlying bivariate normal given the thresholds (two-step estimator,
    Olsson, 1979), the polyserial correlation of an ordered item with a numeric variable the
    analogous two-step ML estimate (Olsson, Drasgow & Dorans, 1982), and numeric pairs get the
    Pearson correlation. Standard errors come from the asymptotic covariance matrix of all
    thresholds and correlations built from the casewise scores (Muthén, 1984; Muthén et al.,
    1997) -- the matrix a WLSMV fit uses; the standard errors are those of lavaan's
    saturated WLSMV model, ``sqrt(diag(gamma) / (N - 1))``. Numbers are checked against
    lavaan 0.6.14 (``tests/reference/sem_ordinal_stats.R``: thresholds and correlations to
    1e-6, the asymptotic covariance to 1e-5 relative).

    Parameters
    ----------
    data : pandas.DataFrame
        One row per respondent. Ordered columns hold integer codes (1..5 for a five-point
        Likert item) or an ordered pandas Categorical; missing values are NaN.
    columns : sequence of str, optional
        The variables, in this order (default: every column of ``data``).
    ordered : bool or sequence of str, default True
        ``True``: every column is ordered; ``False``: none (Pearson correlations); or the names
        of the ordered columns (the others are treated as continuous).
    missing : {"listwise", "pairwise"}, default "listwise"
        ``"listwise"`` keeps complete rows only. ``"pairwise"`` does what lavaan does for
        categorical data: thresholds (means, variances) from each variable's observed values,
        each correlation from the rows where both variables are observed, the asymptotic
        covariance from the casewise scores with missing scores counted as zero, and ``N`` the
        number of rows with at least one observed value.
    data_name : str, default "data"
        How to call the data in error messages (e.g. its file name).

    Returns
    -------
    PolychoricResult
        ``.cor`` (square DataFrame), ``.thresholds()``, ``.estimates()``, ``.summary()``,
        ``.nobs`` and ``.stats`` (the :class:`~nrel_research.sem._catstats.CategoricalStats`).

    Raises
    ------
    DataError
        If a column is missing or holds text; an ordered column holds a non-integer value,
        a single observed category, or more than 20 distinct values (treat it as continuous);
        no complete row is left.

    Notes
    -----
    Categories are the sorted distinct observed values of an item, as in lavaan: an item
    answered only with 1, 2 and 4 has three categories and two thresholds (the unused 3 is
    skipped). A correlation above 0.99 in absolute value gives a
    :class:`~nrel_research.exceptions.DataQualityWarning`; a pair whose estimate does not
    converge a :class:`~nrel_research.exceptions.ConvergenceWarning`.

    Examples
    --------
    >>> from nrel_research import sem
    >>> from nrel_research.datasets import load_dataset
    >>> hs = load_dataset("holzinger_swineford_1939_ordinal")
    >>> res = sem.polychoric(hs, [f"x{i}" for i in range(1, 10)])
    >>> res.nobs
    301
    >>> float(round(res.cor.loc["x4", "x5"], 3))
    0.721
    >>> res.thresholds().head(2).round(3)
      variable threshold    est     se
    0       x1        t1 -0.786  0.081
    1       x1        t2 -0.214  0.073
    >>> res.estimates().head(2).round(3)
      lhs  op rhs    est     se        type
    0  x1  ~~  x2  0.318  0.056  polychoric
    1  x1  ~~  x3  0.461  0.052  polychoric
    """
    if not isinstance(data, pd.DataFrame):
        check_columns(data, [], data_name=data_name)
    if columns is None:
        columns = [str(c) for c in data.columns]
    else:
        if isinstance(columns, str):
            columns = [columns]
        columns = list(columns)
        check_columns(data, columns, data_name=data_name)
    if len(columns) < 2:
        raise DataError(f"{data_name}: polychoric correlations need at least two columns.")
    if len(set(columns)) != len(columns):
        raise DataError(f"{data_name}: columns are listed more than once: {columns}.")
    missing = check_choice(
        missing, "missing", ["listwise", "pairwise"], error=DataError, normalize=True
    )
    if isinstance(ordered, bool | np.bool_):
        flags = np.full(len(columns), bool(ordered))
    else:
        ordered = [ordered] if isinstance(ordered, str) else list(ordered)
        unknown = [c for c in ordered if c not in columns]
        if unknown:
            raise DataError(
                f"ordered names {unknown} are not among the columns {columns}; list ordered "
                "variables by their column names."
            )
        flags = np.array([c in ordered for c in columns])
    x = np.column_stack([_column_values(data, c, data_name) for c in columns])
    stats = categorical_stats(
        x, columns, flags, missing=missing, where=data_name, row_labels=data.index.to_numpy()
    )
    return PolychoricResult(stats=stats, missing=missing)
