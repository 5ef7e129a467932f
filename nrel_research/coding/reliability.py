"""Inter-coder reliability for nominal codes on long-format coding data.

Coding data are long: one row per unit (post) and coder, any number of coders, and
units need not be coded by everyone. :func:`reliability` reports Krippendorff's alpha
(nominal; overall and per code as present/absent) with the bootstrap interval of Hayes &
Krippendorff (2007), Fleiss' kappa (complete designs), pairwise Cohen's kappa and percent
agreement. :func:`confusion_table` and :func:`disagreements` support adjudication;
:func:`reliability_sample_size` sizes the reliability sample (Lacy & Riffe, 1996).

References
----------
Hayes, A. F., & Krippendorff, K. (2007). Answering the call for a standard reliability
measure for coding data. *Communication Methods and Measures, 1*(1), 77-89.
Krippendorff, K. (2011). Computing Krippendorff's alpha-reliability. Annenberg School for
Communication, University of Pennsylvania.
Lacy, S., & Riffe, D. (1996). Sampling error and selecting intercoder reliability samples
for nominal content categories. *Journalism & Mass Communication Quarterly, 73*(4),
963-973.
Lombard, M., Snyder-Duch, J., & Bracken, C. C. (2002). Content analysis in mass
communication: Assessment and reporting of intercoder reliability. *Human Communication
Research, 28*(4), 587-604.
"""

from __future__ import annotations

import itertools
import math
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from .._validation import check_positive_int, check_rng
from ..exceptions import DataError, DataQualityWarning
from .io import Source, read_codings

__all__ = [
    "RareCodeWarning",
    "confusion_table",
    "disagreements",
    "krippendorff_alpha",
    "reliability",
    "reliability_sample_size",
]

COLUMNS = [
    "statistic",
    "code",
    "coder_1",
    "coder_2",
    "estimate",
    "ci_lower",
    "ci_upper",
    "p_below_0_667",
    "p_below_0_800",
    "n_units",
    "n_coders",
    "n_codings",
    "note",
]


class RareCodeWarning(DataQualityWarning):
    """A per-code reliability rests on few units that carry the code."""


@dataclass(frozen=True)
class _Alpha:
    estimate: float
    ci_lower: float
    ci_upper: float
    p_below_0_667: float
    p_below_0_800: float
    n_units: int
    n_codings: int


def _reliability_matrix(values: np.ndarray) -> np.ndarray:
    """Units-by-categories counts from units-by-coders category indices (-1 = missing)."""
    k = int(values.max()) + 1 if values.size and values.max() >= 0 else 1
    counts = np.zeros((values.shape[0], k), dtype=np.int64)
    for j in range(values.shape[1]):
        col = values[:, j]
        ok = col >= 0
        np.add.at(counts, (np.nonzero(ok)[0], col[ok]), 1)
    return counts


def _alpha_from_counts(
    counts: np.ndarray, n_boot: int, ci: float, rng, bootstrap: str = "pairs"
) -> _Alpha:
    """Nominal alpha from units-by-categories counts, with the Hayes-Krippendorff bootstrap."""
    m = counts.sum(axis=1)
    pairable = m >= 2
    counts, m = counts[pairable], m[pairable]
    nan = float("nan")
    if counts.shape[0] == 0:
        return _Alpha(nan, nan, nan, nan, nan, 0, 0)
    # Coincidences: o_ck = sum_u (n_uc n_uk - [c == k] n_uc) / (m_u - 1).
    w = 1.0 / (m - 1)
    n_c = counts.sum(axis=0).astype(float)  # marginals of the coincidence matrix
    n = n_c.sum()
    agree = ((counts * (counts - 1)).sum(axis=1) * w).sum()  # sum_c o_cc
    observed = n - agree  # n * D_o, the disagreeing coincidences
    expected = (n * n - (n_c**2).sum()) / (n - 1)  # n * D_e
    if expected <= 0:
        return _Alpha(nan, nan, nan, nan, nan, int(counts.shape[0]), int(m.sum()))
    alpha = 1.0 - observed / expected
    lo = hi = p667 = p800 = nan
    if n_boot and bootstrap == "units":
        # Resample units with replacement and recompute alpha (D_e included); multinomial
        # weights per unit give every replicate in one matrix product.
        n_u = counts.shape[0]
        weights = rng.multinomial(n_u, np.full(n_u, 1.0 / n_u), size=n_boot)
        nc_b = weights @ counts
        n_b = weights @ m
        agree_b = weights @ ((counts * (counts - 1)).sum(axis=1) * w)
        with np.errstate(divide="ignore", invalid="ignore"):
            expected_b = (n_b * n_b - (nc_b**2).sum(axis=1)) / (n_b - 1)
            boot = np.where(expected_b > 0, 1.0 - (n_b - agree_b) / expected_b, 1.0)
    elif n_boot:
        # Hayes & Krippendorff (2007); Krippendorff's "Algorithm for bootstrapping a
        # distribution of alpha" (2006, rev. 2011): D_e is held at its observed value and
        # M pairs of values are drawn with replacement from the cells of the coincidence
        # matrix, cell (c, k) with probability o_ck / n; M is the number of pairs of values
        # within units, sum_u m_u (m_u - 1) / 2. Each draw contributes its metric
        # difference (nominal: 1 if c != k), and alpha_b = 1 - mean difference / D_e. For
        # the nominal metric the number of disagreeing draws is binomial(M, D_o).
        n_pairs = int((m * (m - 1) // 2).sum())
        d_o = observed / n
        d_e = expected / n
        boot = 1.0 - rng.binomial(n_pairs, d_o, size=n_boot) / n_pairs / d_e
    if n_boot:
        tail = (1.0 - ci) / 2.0
        lo, hi = np.quantile(boot, [tail, 1.0 - tail])
        p667 = float(np.mean(boot < 0.667))
        p800 = float(np.mean(boot < 0.800))
    return _Alpha(
        float(alpha), float(lo), float(hi), p667, p800, int(counts.shape[0]), int(m.sum())
    )


def krippendorff_alpha(
    data: np.ndarray | pd.DataFrame,
    *,
    n_boot: int = 0,
    ci: float = 0.95,
    seed: int | np.random.Generator | None = None,
    bootstrap: str = "pairs",
) -> dict[str, float]:
    """Krippendorff's alpha for nominal data in a coders-by-units array.

    Parameters
    ----------
    data : array-like, shape (coders, units)
        Codes of each coder (row) for each unit (column); ``NaN``/``None`` = missing.
        Values may be numbers or strings; only equality matters (nominal metric).
    n_boot : int, default 0
        Bootstrap replicates (Hayes & Krippendorff, 2007); 0 for none.
    ci : float, default 0.95
        Level of the percentile interval.
    seed : int or Generator, optional
        Seed for the bootstrap.
    bootstrap : {"pairs", "units"}
        ``"pairs"``: Hayes & Krippendorff's algorithm; ``"units"``: resample units (see
        :func:`reliability`).

    Returns
    -------
    dict
        ``alpha``, ``ci_lower``, ``ci_upper``, ``p_below_0_667``, ``p_below_0_800``,
        ``n_units`` (pairable units) and ``n_codings`` (pairable values).

    Notes
    -----
    Checked against the ``krippendorff`` package and Krippendorff's (2011) worked
    example C (4 coders, 12 units, missing values; nominal alpha = 0.743).

    Examples
    --------
    >>> import numpy as np
    >>> from nrel_research.coding import krippendorff_alpha
    >>> nan = np.nan
    >>> data = [
    ...     [1, 2, 3, 3, 2, 1, 4, 1, 2, nan, nan, nan],
    ...     [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, nan, 3],
    ...     [nan, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, nan],
    ...     [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, nan],
    ... ]
    >>> round(krippendorff_alpha(data)["alpha"], 3)
    0.743
    """
    frame = pd.DataFrame(np.asarray(data, dtype=object).T)
    codes, _ = _encode(frame)
    bootstrap = _check_bootstrap(bootstrap)
    res = _alpha_from_counts(_reliability_matrix(codes), n_boot, ci, check_rng(seed), bootstrap)
    return {
        "alpha": res.estimate,
        "ci_lower": res.ci_lower,
        "ci_upper": res.ci_upper,
        "p_below_0_667": res.p_below_0_667,
        "p_below_0_800": res.p_below_0_800,
        "n_units": res.n_units,
        "n_codings": res.n_codings,
    }


def _check_bootstrap(bootstrap: str) -> str:
    if bootstrap not in ("pairs", "units"):
        raise DataError(
            f"bootstrap={bootstrap!r} is not valid; use 'pairs' (Hayes & Krippendorff, 2007) "
            "or 'units'."
        )
    return bootstrap


def _encode(wide: pd.DataFrame) -> tuple[np.ndarray, list]:
    """Units-by-coders object frame -> integer codes (-1 missing) and the category list."""
    flat = wide.to_numpy(dtype=object).ravel()
    present = [v for v in flat if not (v is None or (isinstance(v, float) and math.isnan(v)))]
    categories = sorted(set(present), key=lambda v: (str(type(v)), v))
    index = {c: i for i, c in enumerate(categories)}
    out = np.array([index.get(v, -1) if v in index else -1 for v in flat], dtype=np.int64).reshape(
        wide.shape
    )
    return out, categories


def _wide(data: pd.DataFrame, unit: str, coder: str, value: str) -> pd.DataFrame:
    return data.pivot(index=unit, columns=coder, values=value)


def _cohen(a: np.ndarray, b: np.ndarray) -> float:
    cats = np.union1d(a, b)
    n = len(a)
    po = float(np.mean(a == b))
    pe = float(sum(np.mean(a == c) * np.mean(b == c) for c in cats))
    if pe >= 1.0:
        return float("nan")
    return (po - pe) / (1.0 - pe) if n else float("nan")


def _fleiss(counts: np.ndarray) -> float:
    m = counts.sum(axis=1)
    r = m[0]
    p_j = counts.sum(axis=0) / counts.sum()
    p_i = ((counts * (counts - 1)).sum(axis=1)) / (r * (r - 1))
    pe = float((p_j**2).sum())
    if pe >= 1.0:
        return float("nan")
    return (float(p_i.mean()) - pe) / (1.0 - pe)


def _row(**kw) -> dict:
    row = dict.fromkeys(COLUMNS, np.nan)
    row.update(note="", code="", coder_1="", coder_2="")
    row.update(kw)
    return row


def reliability(
    codes: Source,
    unit: str = "post_id",
    coder: str = "coder",
    code: str = "code",
    *,
    secondary: str | None = None,
    categories: tuple[str, ...] | None = None,
    n_boot: int = 2000,
    ci: float = 0.95,
    seed: int | np.random.Generator | None = None,
    bootstrap: str = "pairs",
    min_units_per_code: int = 10,
    name: str | None = None,
) -> pd.DataFrame:
    """Inter-coder reliability of nominal codes from long-format coding data.

    Parameters
    ----------
    codes : path or DataFrame
        Long-format codings, one row per unit and coder (CSV/XLSX path or DataFrame;
        checked with :func:`read_codings`, files are never rewritten). Units coded by
        fewer than two coders are not pairable and are left out of every statistic.
    unit, coder, code : str
        Column names of the unit id, the coder and the primary code.
    secondary : str, optional
        Column of the secondary code. When given, the per-code alphas treat a code as
        present in a coding when it is the primary or the secondary code.
    categories : tuple of str, optional
        Valid codes (default: the codebook's codes, R1 ... L1).
    n_boot : int, default 2000
        Bootstrap replicates for alpha's interval (0 for none).
    ci : float, default 0.95
        Level of the percentile interval.
    seed : int or Generator, optional
        Seed of the bootstrap (same seed, same interval).
    bootstrap : {"pairs", "units"}, default "pairs"
        ``"pairs"`` is the Hayes & Krippendorff (2007) algorithm (KALPHA; Krippendorff's
        "Algorithm for bootstrapping a distribution of alpha"): the expected disagreement
        is held at its observed value and as many pairs of values as the data hold are
        drawn with replacement from the coincidence matrix. ``"units"`` resamples units
        and recomputes alpha in full. In simulations with known alpha
        (tests/test_coding_reliability.py) both cover close to the nominal level with two
        coders per unit; with three or more coders per unit the pair bootstrap is too
        narrow (pairs within a unit are not independent: about 82% for a nominal 95% with
        3 coders and 60 units), and ``"units"`` is preferable.
    min_units_per_code : int, default 10
        Per-code alphas for codes present in fewer pairable units than this get a
        :class:`RareCodeWarning` and a note.
    name : str, optional
        Name of the data in messages.

    Returns
    -------
    pandas.DataFrame
        One row per statistic with columns ``statistic`` (``krippendorff_alpha``,
        ``fleiss_kappa``, ``cohen_kappa``, ``percent_agreement``), ``code`` (``"all"`` or
        the code for the per-code present/absent alphas), ``coder_1``/``coder_2`` (for
        pairwise statistics), ``estimate``, ``ci_lower``/``ci_upper`` (alpha only),
        ``p_below_0_667``/``p_below_0_800`` (bootstrap probability that alpha is below
        Krippendorff's thresholds), ``n_units`` (pairable units), ``n_coders``,
        ``n_codings`` and ``note``.

    Notes
    -----
    Alpha is computed from the coincidence matrix (Krippendorff, 2011) and checked
    against the ``krippendorff`` package and Krippendorff's worked examples; the interval
    is the Hayes & Krippendorff (2007) bootstrap (expected disagreement held fixed, pairs
    of values drawn with replacement from the coincidence matrix; checked by seeded
    reproducibility and by coverage in simulations with known alpha). Cohen's kappa is
    checked against scikit-learn and Fleiss' kappa against statsmodels. Fleiss' kappa is
    reported only when every pairable unit is coded by every coder. Percent agreement is
    the share of agreeing pairs of codings within units; report it only next to alpha
    (Lombard et al., 2002).

    Examples
    --------
    >>> import pandas as pd
    >>> from nrel_research.coding import reliability
    >>> long = pd.DataFrame({
    ...     "post_id": [1, 1, 2, 2, 3, 3, 4, 4, 5, 5],
    ...     "coder": ["a", "b"] * 5,
    ...     "code": ["R1", "R1", "R2", "R2", "E4", "R2", "L1", "L1", "E4", "E4"],
    ... })
    >>> res = reliability(long, n_boot=200, seed=1, min_units_per_code=1)
    >>> print(res.loc[res.code.eq("all"), ["statistic", "coder_1", "estimate"]].round(3)
    ...       .to_string(index=False))
             statistic coder_1  estimate
    krippendorff_alpha             0.757
          fleiss_kappa             0.730
           cohen_kappa       a     0.737
     percent_agreement       a     0.800
     percent_agreement             0.800
    """
    if categories is None:
        from .codebook import load_codebook

        categories = load_codebook().codes
    n_boot = 0 if n_boot == 0 else check_positive_int(n_boot, "n_boot")
    if not 0 < ci < 1:
        raise DataError(f"ci={ci!r} is not valid; use a level between 0 and 1, e.g. 0.95.")
    rng = check_rng(seed)
    bootstrap = _check_bootstrap(bootstrap)
    data = read_codings(
        codes, unit=unit, coder=coder, code=code, secondary=secondary, codes=categories, name=name
    )
    data = data[data[code].notna()]
    coders = sorted(data[coder].unique(), key=str)
    if len(coders) < 2:
        raise DataError(
            f"reliability needs codings from at least two coders; found {len(coders)} "
            f"({', '.join(map(str, coders)) or 'none'}) in column '{coder}'."
        )
    wide = _wide(data, unit, coder, code).reindex(columns=coders)
    pairable = wide.notna().sum(axis=1) >= 2
    if not pairable.any():
        raise DataError(
            "no unit is coded by two or more coders, so agreement cannot be assessed; "
            "have a sample of units coded by every coder."
        )
    wide = wide[pairable]
    n_coders = len(coders)
    rows = []

    values, _ = _encode(wide)
    counts = _reliability_matrix(values)
    res = _alpha_from_counts(counts, n_boot, ci, rng, bootstrap)
    rows.append(
        _row(
            statistic="krippendorff_alpha",
            code="all",
            estimate=res.estimate,
            ci_lower=res.ci_lower,
            ci_upper=res.ci_upper,
            p_below_0_667=res.p_below_0_667,
            p_below_0_800=res.p_below_0_800,
            n_units=res.n_units,
            n_coders=n_coders,
            n_codings=res.n_codings,
            note="" if not math.isnan(res.estimate) else "every coding has the same code",
        )
    )
    complete = bool(wide.notna().all(axis=None))
    if complete:
        rows.append(
            _row(
                statistic="fleiss_kappa",
                code="all",
                estimate=_fleiss(counts),
                n_units=len(wide),
                n_coders=n_coders,
                n_codings=int(counts.sum()),
            )
        )
    else:
        incomplete = int((wide.isna().any(axis=1)).sum())
        rows.append(
            _row(
                statistic="fleiss_kappa",
                code="all",
                n_units=len(wide),
                n_coders=n_coders,
                note=(
                    f"not computed: Fleiss' kappa needs a complete design, but {incomplete} of "
                    f"{len(wide)} pairable units lack a coding from some coder; use "
                    "Krippendorff's alpha, which allows missing codings"
                ),
            )
        )
    # Pairwise Cohen's kappa and percent agreement.
    for a, b in itertools.combinations(coders, 2):
        both = wide[[a, b]].dropna()
        if both.empty:
            rows.append(
                _row(
                    statistic="cohen_kappa",
                    code="all",
                    coder_1=a,
                    coder_2=b,
                    n_units=0,
                    n_coders=2,
                    note="the two coders share no unit",
                )
            )
            continue
        x, y = both[a].to_numpy(), both[b].to_numpy()
        kappa = _cohen(x, y)
        for stat, est in (("cohen_kappa", kappa), ("percent_agreement", float(np.mean(x == y)))):
            rows.append(
                _row(
                    statistic=stat,
                    code="all",
                    coder_1=a,
                    coder_2=b,
                    estimate=est,
                    n_units=len(both),
                    n_coders=2,
                    n_codings=2 * len(both),
                )
            )
    m = counts.sum(axis=1)
    agreeing = (counts * (counts - 1)).sum(axis=1) / 2
    rows.append(
        _row(
            statistic="percent_agreement",
            code="all",
            estimate=float(agreeing.sum() / (m * (m - 1) / 2).sum()),
            n_units=len(wide),
            n_coders=n_coders,
            n_codings=int(m.sum()),
            note="share of agreeing pairs of codings within units (all coders)",
        )
    )

    # Per-code alphas on present/absent.
    if secondary:
        wide2 = _wide(data, unit, coder, secondary).reindex(index=wide.index, columns=coders)
    rare = []
    for c in categories:
        present = (wide == c).astype(float)
        if secondary:
            present = present.where(~(wide2 == c), 1.0)
        present = present.where(wide.notna())
        bvalues = present.to_numpy()
        bint = np.where(np.isnan(bvalues), -1, bvalues).astype(np.int64)
        bcounts = _reliability_matrix(bint)
        if bcounts.shape[1] < 2:
            bcounts = np.pad(bcounts, ((0, 0), (0, 2 - bcounts.shape[1])))
        res = _alpha_from_counts(bcounts, n_boot, ci, rng, bootstrap)
        n_with = int((bcounts[:, 1] > 0).sum())
        note = f"code used in {n_with} of {res.n_units} units"
        if n_with == 0:
            note = "code never used by any coder: alpha undefined"
        elif n_with < min_units_per_code:
            note += f"; rare code (fewer than {min_units_per_code} units): interpret with caution"
            rare.append(f"{c} ({n_with} of {res.n_units} units)")
        rows.append(
            _row(
                statistic="krippendorff_alpha",
                code=c,
                estimate=res.estimate,
                ci_lower=res.ci_lower,
                ci_upper=res.ci_upper,
                p_below_0_667=res.p_below_0_667,
                p_below_0_800=res.p_below_0_800,
                n_units=res.n_units,
                n_coders=n_coders,
                n_codings=res.n_codings,
                note=note,
            )
        )
    if rare:
        warnings.warn(
            "per-code alpha rests on few units for rare code(s) "
            + ", ".join(rare)
            + f" (fewer than {min_units_per_code} units with the code); the estimate and its "
            "interval are unstable: code more units or merge categories before relying on it.",
            RareCodeWarning,
            stacklevel=2,
        )
    out = pd.DataFrame(rows, columns=COLUMNS)
    for col in ("n_units", "n_coders", "n_codings"):
        out[col] = out[col].astype("Int64")
    return out


def confusion_table(
    codes: Source,
    coder_1: str | None = None,
    coder_2: str | None = None,
    *,
    unit: str = "post_id",
    coder: str = "coder",
    code: str = "code",
    categories: tuple[str, ...] | None = None,
) -> pd.DataFrame:
    """Coder-by-coder confusion table of the codes given to the units both coded.

    Parameters
    ----------
    codes : path or DataFrame
        Long-format codings.
    coder_1, coder_2 : str, optional
        The two coders (rows, columns); required when there are more than two.
    unit, coder, code : str
        Column names.
    categories : tuple of str, optional
        Codes to show, in order (default: the codebook's codes).

    Returns
    -------
    pandas.DataFrame
        Counts with ``coder_1``'s codes as rows and ``coder_2``'s as columns (every code
        shown, totals in ``total``).

    Examples
    --------
    >>> import pandas as pd
    >>> from nrel_research.coding import confusion_table
    >>> long = pd.DataFrame({"post_id": [1, 1, 2, 2], "coder": ["a", "b", "a", "b"],
    ...                      "code": ["R1", "R2", "E4", "E4"]})
    >>> int(confusion_table(long).loc["R1", "R2"])
    1
    """
    if categories is None:
        from .codebook import load_codebook

        categories = load_codebook().codes
    data = read_codings(codes, unit=unit, coder=coder, code=code, codes=categories)
    data = data[data[code].notna()]
    coders = sorted(data[coder].unique(), key=str)
    if coder_1 is None or coder_2 is None:
        if len(coders) != 2:
            raise DataError(
                f"there are {len(coders)} coders ({', '.join(coders)}); name the two to compare "
                "with coder_1= and coder_2=."
            )
        coder_1, coder_2 = coders
    for c in (coder_1, coder_2):
        if c not in coders:
            raise DataError(f"coder {c!r} has no codings; coders are: {', '.join(coders)}.")
    wide = _wide(data, unit, coder, code)[[coder_1, coder_2]].dropna()
    table = pd.crosstab(
        pd.Categorical(wide[coder_1], categories=list(categories)),
        pd.Categorical(wide[coder_2], categories=list(categories)),
        dropna=False,
    )
    table.index = pd.Index(list(categories), name=str(coder_1))
    table.columns = pd.Index(list(categories), name=str(coder_2))
    table["total"] = table.sum(axis=1)
    table.loc["total"] = table.sum(axis=0)
    return table


def disagreements(
    codes: Source,
    *,
    unit: str = "post_id",
    coder: str = "coder",
    code: str = "code",
    posts: pd.DataFrame | None = None,
    text: str = "text",
    categories: tuple[str, ...] | None = None,
) -> pd.DataFrame:
    """List the units the coders coded differently, for adjudication.

    Parameters
    ----------
    codes : path or DataFrame
        Long-format codings.
    unit, coder, code : str
        Column names.
    posts : pandas.DataFrame, optional
        Posts with ``unit`` and ``text`` columns, to show the text next to the codes.
    text : str
        Text column of ``posts``.
    categories : tuple of str, optional
        Valid codes (default: the codebook's).

    Returns
    -------
    pandas.DataFrame
        One row per disagreeing unit: the unit id, one column per coder with that coder's
        code, ``codes`` (the distinct codes, in framework order), ``majority`` (the code
        most coders gave, empty on a tie) and, with ``posts``, the text.

    Examples
    --------
    >>> import pandas as pd
    >>> from nrel_research.coding import disagreements
    >>> long = pd.DataFrame({"post_id": [1, 1, 1, 2, 2], "coder": ["a", "b", "c", "a", "b"],
    ...                      "code": ["R1", "R2", "R2", "E4", "E4"]})
    >>> disagreements(long)[["post_id", "codes", "majority"]].to_dict("records")
    [{'post_id': '1', 'codes': 'R1 R2', 'majority': 'R2'}]
    """
    if categories is None:
        from .codebook import load_codebook

        categories = load_codebook().codes
    data = read_codings(codes, unit=unit, coder=coder, code=code, codes=categories)
    data = data[data[code].notna()]
    wide = _wide(data, unit, coder, code)
    order = {c: i for i, c in enumerate(categories)}
    rows = []
    for u, row in wide.iterrows():
        given = row.dropna()
        if len(given) < 2 or given.nunique() < 2:
            continue
        tally = given.value_counts()
        top = tally[tally == tally.max()]
        rows.append(
            {
                unit: u,
                **{str(k): ("" if pd.isna(v) else v) for k, v in row.items()},
                "codes": " ".join(sorted(given.unique(), key=order.__getitem__)),
                "majority": top.index[0] if len(top) == 1 else "",
            }
        )
    cols = [unit, *map(str, wide.columns), "codes", "majority"]
    out = pd.DataFrame(rows, columns=cols)
    if posts is not None:
        from .._validation import check_columns

        check_columns(posts, [unit, text], data_name="posts")
        texts = posts[[unit, text]].astype({unit: str})
        out = out.merge(texts, on=unit, how="left")
    return out.reset_index(drop=True)


def reliability_sample_size(
    population: int,
    *,
    assumed_agreement: float = 0.90,
    minimum_agreement: float = 0.80,
    confidence: float = 0.95,
) -> int:
    """Return the number of units for a reliability test (Lacy & Riffe, 1996).

    Lacy and Riffe treat the reliability test as a sample from the ``population`` of
    units to be coded and choose the sample so that, with the given one-sided
    ``confidence``, agreement in the population is not below ``minimum_agreement`` when
    it is assumed to be ``assumed_agreement``:
    ``n = ((N - 1) SE^2 + P Q N) / ((N - 1) SE^2 + P Q)``, with ``P`` the assumed
    agreement, ``Q = 1 - P`` and ``SE = (P - minimum) / z`` (``z`` the one-sided normal
    quantile of ``confidence``).

    Parameters
    ----------
    population : int
        Number of units in the study (the full content sample).
    assumed_agreement : float, default 0.90
        Agreement expected in the population (Lacy & Riffe suggest the minimum plus five
        to ten points).
    minimum_agreement : float, default 0.80
        The lowest acceptable agreement.
    confidence : float, default 0.95
        One-sided confidence level.

    Returns
    -------
    int
        Units to code by every coder (rounded up; never more than ``population``).

    Notes
    -----
    The formula gives the size for simple percent agreement; Lombard et al. (2002) add
    that the reliability sample should rarely be below 50 units or 10% of the sample.
    Checked against hand computation and its limiting behaviour (n -> 1 + P Q / SE^2 as N
    grows) in the tests.

    Examples
    --------
    >>> from nrel_research.coding import reliability_sample_size
    >>> reliability_sample_size(1000, assumed_agreement=0.85, minimum_agreement=0.80)
    123
    """
    population = check_positive_int(population, "population")
    for label, v in (
        ("assumed_agreement", assumed_agreement),
        ("minimum_agreement", minimum_agreement),
        ("confidence", confidence),
    ):
        if not 0 < v < 1:
            raise DataError(f"{label}={v!r} is not valid; use a proportion between 0 and 1.")
    if assumed_agreement <= minimum_agreement:
        raise DataError(
            f"assumed_agreement={assumed_agreement} must exceed minimum_agreement="
            f"{minimum_agreement} (Lacy & Riffe set it some points above the minimum)."
        )
    z = stats.norm.ppf(confidence)
    se2 = ((assumed_agreement - minimum_agreement) / z) ** 2
    pq = assumed_agreement * (1 - assumed_agreement)
    n = ((population - 1) * se2 + pq * population) / ((population - 1) * se2 + pq)
    return min(population, math.ceil(n - 1e-9))
