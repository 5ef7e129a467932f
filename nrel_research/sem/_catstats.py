"""Step 1 of categorical SEM: thresholds, polychoric correlations and their asymptotic covariance.

For one group (block) of data with ordered (integer-coded) and numeric variables this module
computes what lavaan computes before a WLSMV/DWLS fit (``lavaan:::muthen1984``):

* univariate statistics: probit thresholds of every ordered variable from its marginal
  proportions (``qnorm(cumsum(prop))``, the ML estimate without covariates) and the mean and
  ML variance (divisor n) of every numeric variable;
* bivariate statistics with the univariate ones held fixed ("two-step"): polychoric correlations
  (Olsson, 1979) by maximum likelihood on the contingency table of each pair, polyserial
  correlations (Olsson, Drasgow & Dorans, 1982) by ML on the rows, and Pearson correlations;
* the asymptotic covariance matrix ``gamma`` of all of them (lavaan's NACOV) from the casewise
  scores of the univariate and bivariate likelihoods (Muthén, 1984; Muthén et al.,
  1997): ``W = B^-1 (S'S) B^-T`` with ``B`` the block-triangular Jacobian of the estimating
  equations, ``gamma = n W``, and the DWLS weights ``1 / diag(gamma)``.

Everything is vectorised: the bivariate normal rectangle probabilities of all cells of all
ordered pairs are evaluated in one call of a numpy implementation of Genz's (2004) bivariate
normal CDF (Drezner-Wesolowsky with Gauss-Legendre quadrature, double precision), the
polychoric likelihood works on contingency tables, and the casewise scores needed for gamma are
taken from the cell scores by indexing. Checked against lavaan 0.6.14
(``tests/reference/sem_ordinal_stats.R``).

lavaan behaviours reproduced (and tested): the categories of an ordered variable are its sorted
distinct observed values (a gap such as 1, 2, 4 gives three categories, two thresholds); a
2 x 2 table with one empty cell gets 0.5 added with the margins kept, with two empty cells the
correlation is +-1; cells whose probability falls below sqrt(machine epsilon) are left out of
the score sums; with ``missing="pairwise"`` the univariate statistics use each variable's
observed rows, the bivariate ones the pairwise-complete rows, ``n`` counts every row with at
least one observed value and missing scores count as zero.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
from scipy import optimize
from scipy.special import ndtr, ndtri

from ..exceptions import ConvergenceWarning, DataError, DataQualityWarning
from ._blas import single_threaded_blas

__all__ = ["MAX_CATEGORIES", "CategoricalStats", "bvn_cdf", "categorical_stats"]

MAX_CATEGORIES = 20
"""More distinct values than this in an ordered column is refused (treat it as continuous).

lavaan accepts any number of levels and warns above 12; we warn above 12 too and refuse above
20, where the probit thresholds of sparse categories are unstable and the variable is better
treated as continuous."""

_SQRT_EPS = np.sqrt(np.finfo(float).eps)
_EPS = np.finfo(float).eps
_BIG = 100.0  # lavaan's stand-in for +-infinity in the casewise threshold scores
_INV_2PI = 1.0 / (2.0 * np.pi)

# Gauss-Legendre nodes/weights (half rules) of Genz's BVNU: 6, 12 and 20 points.
_GL = (
    (
        np.array([0.9324695142031522, 0.6612093864662647, 0.2386191860831970]),
        np.array([0.1713244923791705, 0.3607615730481384, 0.4679139345726904]),
    ),
    (
        np.array(
            [
                0.9815606342467191,
                0.9041172563704750,
                0.7699026741943050,
                0.5873179542866171,
                0.3678314989981802,
                0.1252334085114692,
            ]
        ),
        np.array(
            [
                0.04717533638651177,
                0.1069393259953183,
                0.1600783285433464,
                0.2031674267230659,
                0.2334925365383547,
                0.2491470458134029,
            ]
        ),
    ),
    (
        np.array(
            [
                0.9931285991850949,
                0.9639719272779138,
                0.9122344282513259,
                0.8391169718222188,
                0.7463319064601508,
                0.6360536807265150,
                0.5108670019508271,
                0.3737060887154196,
                0.2277858511416451,
                0.07652652113349733,
            ]
        ),
        np.array(
            [
                0.01761400713915212,
                0.04060142980038694,
                0.06267204833410906,
                0.08327674157670475,
                0.1019301198172404,
                0.1181945319615184,
                0.1316886384491766,
                0.1420961093183821,
                0.1491729864726037,
                0.1527533871307259,
            ]
        ),
    ),
)


def _gl_nodes(level: int) -> tuple[np.ndarray, np.ndarray]:
    x, w = _GL[level]
    return np.concatenate([1.0 - x, 1.0 + x]), np.concatenate([w, w])


def _bvnu(h: np.ndarray, k: np.ndarray, r: np.ndarray) -> np.ndarray:
    """Upper orthant P(X > h, Y > k) of the standard bivariate normal (finite h, k; |r| < 1)."""
    out = np.empty(h.shape)
    absr = np.abs(r)
    level = np.where(absr < 0.3, 0, np.where(absr < 0.75, 1, 2))
    hk = h * k
    # |r| < 0.925: Drezner-Wesolowsky integral in asin(r)
    for lv in range(3):
        sel = (level == lv) & (absr < 0.925)
        if not sel.any():
            continue
        x, w = _gl_nodes(lv)
        hh, kk, rr, hkk = h[sel], k[sel], r[sel], hk[sel]
        hs = (hh * hh + kk * kk) / 2.0
        asr = np.arcsin(rr) / 2.0
        sn = np.sin(asr[:, None] * x[None, :])
        bvn = np.exp((sn * hkk[:, None] - hs[:, None]) / (1.0 - sn * sn)) @ w
        out[sel] = bvn * asr * _INV_2PI + ndtr(-hh) * ndtr(-kk)
    # |r| >= 0.925: Genz's series around r = +-1
    sel = absr >= 0.925
    if sel.any():
        x, w = _gl_nodes(2)
        hh, kk, rr = h[sel], k[sel].copy(), r[sel]
        neg = rr < 0
        kk[neg] = -kk[neg]
        hkk = hh * kk
        as_ = (1.0 - rr) * (1.0 + rr)
        a = np.sqrt(as_)
        bs = (hh - kk) ** 2
        c = (4.0 - hkk) / 8.0
        d = (12.0 - hkk) / 80.0
        asr = -(bs / as_ + hkk) / 2.0
        bvn = np.where(
            asr > -100.0,
            a * np.exp(asr) * (1.0 - c * (bs - as_) * (1.0 - d * bs) / 3.0 + c * d * as_ * as_),
            0.0,
        )
        b = np.sqrt(bs)
        sp = np.sqrt(2.0 * np.pi) * ndtr(-b / a)
        with np.errstate(over="ignore", invalid="ignore"):
            corr = np.exp(-hkk / 2.0) * sp * b * (1.0 - c * bs * (1.0 - d * bs) / 3.0)
        bvn = np.where(hkk > -100.0, bvn - np.where(np.isfinite(corr), corr, 0.0), bvn)
        a2 = a / 2.0
        xs = (a2[:, None] * x[None, :]) ** 2
        asr2 = -(bs[:, None] / xs + hkk[:, None]) / 2.0
        ok = asr2 > -100.0
        sp2 = 1.0 + c[:, None] * xs * (1.0 + 5.0 * d[:, None] * xs)
        rs = np.sqrt(1.0 - xs)
        ep = np.exp(-(hkk[:, None] / 2.0) * xs / (1.0 + rs) ** 2) / rs
        terms = np.where(ok, np.exp(np.where(ok, asr2, 0.0)) * (sp2 - ep), 0.0)
        bvn = (a2 * (terms @ w) - bvn) * _INV_2PI
        pos = ~neg
        res = np.empty(hh.shape)
        res[pos] = bvn[pos] + ndtr(-np.maximum(hh[pos], kk[pos]))
        hn, kn, bn = hh[neg], kk[neg], bvn[neg]
        lo = np.where(hn < 0, ndtr(kn) - ndtr(hn), ndtr(-hn) - ndtr(-kn))
        res[neg] = np.where(hn >= kn, -bn, lo - bn)
        out[sel] = res
    return np.clip(out, 0.0, 1.0)


def bvn_cdf(h, k, r) -> np.ndarray:
    """Return the standard bivariate normal CDF ``P(X <= h, Y <= k)`` (correlation ``r``).

    Vectorised over broadcast ``h``, ``k``, ``r``.

    Genz's (2004) algorithm (Drezner-Wesolowsky for ``|r| < 0.925`` with 6-, 12- or 20-point
    Gauss-Legendre rules, otherwise the expansion around ``|r| = 1``), accurate to about
    1e-15; the same method as the ``pbivnorm`` package lavaan uses. ``h`` and ``k`` may be
    infinite; ``r`` must lie in [-1, 1].

    Examples
    --------
    >>> round(float(bvn_cdf(0.0, 0.0, 0.5)), 15)  # 1/4 + asin(r) / (2 pi) = 1/3
    0.333333333333333
    """
    h, k, r = np.broadcast_arrays(np.asarray(h, float), np.asarray(k, float), np.asarray(r, float))
    shape = h.shape
    h, k, r = h.ravel(), k.ravel(), r.ravel()
    out = np.empty(h.shape)
    fin = np.isfinite(h) & np.isfinite(k)
    # infinite limits: the margins
    inf_idx = ~fin
    if inf_idx.any():
        hi, ki = h[inf_idx], k[inf_idx]
        val = np.where(
            (hi == -np.inf) | (ki == -np.inf),
            0.0,
            np.where(hi == np.inf, np.where(ki == np.inf, 1.0, ndtr(ki)), ndtr(hi)),
        )
        out[inf_idx] = val
    zero = fin & (r == 0.0)
    out[zero] = ndtr(h[zero]) * ndtr(k[zero])
    one = fin & (np.abs(r) >= 1.0)
    if one.any():
        hh, kk, rr = h[one], k[one], r[one]
        out[one] = np.where(rr > 0, ndtr(np.minimum(hh, kk)), np.maximum(ndtr(hh) - ndtr(-kk), 0.0))
    rest = fin & ~zero & ~one
    if rest.any():
        out[rest] = _bvnu(-h[rest], -k[rest], r[rest])
    return out.reshape(shape)


def _dbinorm(u: np.ndarray, v: np.ndarray, rho: np.ndarray) -> np.ndarray:
    """Bivariate normal density with lavaan's clamp of |rho| at 0.9999."""
    rho = np.clip(rho, -0.9999, 0.9999)
    r = 1.0 - rho * rho
    return _INV_2PI / np.sqrt(r) * np.exp(-0.5 * (u * u - 2.0 * rho * u * v + v * v) / r)


def _dnorm(x: np.ndarray) -> np.ndarray:
    return np.exp(-0.5 * x * x) / np.sqrt(2.0 * np.pi)


@dataclass
class CategoricalStats:
    """Sample statistics of one group for categorical SEM (lavaan's ``muthen1984`` output).

    Attributes follow lavaan's names and order: ``th`` (thresholds, minus the mean of a
    numeric variable), ``wls_obs`` / ``wls_names`` (``lavInspect(fit, "wls.obs")``),
    ``gamma`` (``lavInspect(fit, "gamma")``; ``Var(wls_obs) ~ gamma / n``) and
    ``wls_v_diag`` (the diagonal of the DWLS weight matrix ``lavInspect(fit, "wls.v")``).
    Extra: ``mean`` (numeric variables; 0 for ordered), ``levels`` (the observed values that
    define the categories of each ordered variable, ``None`` for numeric), ``n_pairs`` (rows
    observed per pair), ``zero_cell_pairs`` (pairs whose table has empty cells),
    ``pair_type`` ("polychoric" / "polyserial" / "pearson") and ``gamma_cor`` (as ``gamma``
    but for correlations instead of covariances of numeric variables; equal to ``gamma``
    when all variables are ordered).
    """

    names: list[str]
    ordered: np.ndarray
    n: int
    th: np.ndarray
    th_idx: np.ndarray
    th_names: list[str]
    ncat: np.ndarray
    var: np.ndarray
    cor: np.ndarray
    cov: np.ndarray
    wls_obs: np.ndarray
    wls_names: list[str]
    gamma: np.ndarray
    wls_v_diag: np.ndarray
    mean: np.ndarray = field(default_factory=lambda: np.zeros(0))
    levels: list[np.ndarray | None] = field(default_factory=list)
    n_pairs: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=int))
    zero_cell_pairs: list[tuple[str, str]] = field(default_factory=list)
    pair_type: dict[tuple[str, str], str] = field(default_factory=dict)
    gamma_cor: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))

    @property
    def se(self) -> np.ndarray:
        """Standard errors of ``wls_obs``: ``sqrt(diag(gamma) / (n - 1))``.

        lavaan's robust (WLSMV) covariance matrix of the estimates divides by ``N - ngroups``
        rather than ``N`` (the ``lavCor(..., se = "robust.sem")`` SEs of this one-group
        saturated model).
        """
        return np.sqrt(np.diag(self.gamma) / (self.n - 1))


def _code_ordered(
    col: np.ndarray, name: str, where: str, row_labels, given=None
) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes 0..K-1 (NaN stays NaN) and the sorted observed levels of an ordered column.

    With ``given`` (the categories of the whole data set, e.g. across groups) every category
    must be observed here: lavaan stops with "some categories of variable ... are empty in
    group g" and so do we.
    """
    obs = ~np.isnan(col)
    vals = col[obs]
    nonint = np.flatnonzero(vals != np.round(vals))
    if nonint.size:
        i = np.flatnonzero(obs)[nonint[0]]
        bad = float(vals[nonint[0]])
        raise DataError(
            f"{where}: ordered column '{name}' has a non-integer value {bad!r} in "
            f"row {_label(row_labels[i])!r}; ordered (Likert) items must be coded as whole numbers "
            "(1, 2, 3, ...). Recode the column, or leave it out of `ordered` to treat it as "
            "continuous."
        )
    levels, codes = np.unique(vals, return_inverse=True)
    if given is not None:
        given = np.asarray(given, dtype=float)
        extra = np.setdiff1d(levels, given)
        empty = np.setdiff1d(given, levels)
        if extra.size or empty.size:
            counts = [int(np.sum(vals == g)) for g in given]
            detail = (
                f"value(s) {', '.join(f'{v:g}' for v in extra)} not among the categories"
                if extra.size
                else f"category value(s) {', '.join(f'{v:g}' for v in empty)} have no observations"
            )
            raise DataError(
                f"{where}: ordered column '{name}': {detail} (frequencies of the categories "
                f"{', '.join(f'{g:g}' for g in given)}: {counts}). lavaan stops here too (some "
                "categories are empty in a group); merge the sparse categories (e.g. recode "
                "the top two into one) for all groups, or drop the item."
            )
        levels = given
        codes = np.searchsorted(given, vals)
    if levels.size < 2:
        what = "no observed values" if levels.size == 0 else f"the single value {levels[0]:g}"
        raise DataError(
            f"{where}: ordered column '{name}' has {what}; an ordered variable needs at least "
            "two observed categories. Drop the column or check the data."
        )
    if levels.size > MAX_CATEGORIES:
        raise DataError(
            f"{where}: ordered column '{name}' has {levels.size} distinct values (more than "
            f"{MAX_CATEGORIES}); with this many categories treat it as continuous (leave it out "
            "of `ordered`), or recode it into fewer categories."
        )
    if levels.size > 12:
        warnings.warn(
            f"{where}: ordered column '{name}' has {levels.size} categories (more than 12, "
            "lavaan warns too); consider treating it as continuous.",
            DataQualityWarning,
            stacklevel=5,
        )
    out = np.full(col.shape, np.nan)
    out[obs] = codes
    return out, levels


def _label(v):
    """Plain Python row label (numpy scalars print as ``np.int64(3)`` otherwise)."""
    return v.item() if isinstance(v, np.generic) else v


def _as_float(x, names, where, row_labels) -> np.ndarray:
    arr = np.asarray(x)
    if arr.dtype.kind in "fiub":
        return arr.astype(float)
    out = np.empty(arr.shape)
    for j in range(arr.shape[1]):
        for i, v in enumerate(arr[:, j]):
            if v is None:
                out[i, j] = np.nan
                continue
            try:
                out[i, j] = float(v)
            except (TypeError, ValueError):
                raise DataError(
                    f"{where}: column '{names[j]}' has the text value {v!r} in row "
                    f"{_label(row_labels[i])!r}; ordered and numeric variables must be numbers "
                    "(code Likert answers as 1, 2, 3, ...; missing values as empty/NaN)."
                ) from None
    return out


def _pair_index(p: int) -> tuple[np.ndarray, np.ndarray]:
    """Rows (i) and columns (j) of lavaan's off-diagonal vech order: for j, for i > j."""
    ii, jj = [], []
    for j in range(p - 1):
        for i in range(j + 1, p):
            ii.append(i)
            jj.append(j)
    return np.asarray(ii, dtype=int), np.asarray(jj, dtype=int)


class _OrdPairs:
    """All ordered x ordered pairs, tables padded to a common K x K."""

    def __init__(self, ci, cj, codes, th_list, ncat):
        self.ci, self.cj = ci, cj
        m = ci.size
        kmax = int(max(ncat[ci].max(), ncat[cj].max()))
        self.kmax = kmax
        # thresholds extended with -inf / +inf, padded with +inf: shape (m, kmax + 1)
        ext = np.full((len(th_list), kmax + 1), np.inf)
        for v, th in enumerate(th_list):
            if th is not None:
                ext[v, 0] = -np.inf
                ext[v, 1 : th.size + 1] = th
        self.ta = ext[ci]
        self.tb = ext[cj]
        # contingency tables (m, kmax, kmax): one bincount over all pairs
        a, b = codes[:, ci], codes[:, cj]  # (n, m)
        ok = ~(np.isnan(a) | np.isnan(b))
        cell = (np.arange(m)[None, :] * kmax + np.where(ok, a, 0)) * kmax + np.where(ok, b, 0)
        freq = np.bincount(cell[ok].astype(np.int64), minlength=m * kmax * kmax)
        freq = freq.reshape(m, kmax, kmax).astype(float)
        self.freq = freq
        self.freq_orig = freq.copy()
        self.ka = ncat[ci]
        self.kb = ncat[cj]
        self.valid = (np.arange(kmax)[None, :, None] < self.ka[:, None, None]) & (
            np.arange(kmax)[None, None, :] < self.kb[:, None, None]
        )

    def grid(self, rho: np.ndarray):
        """Cell probabilities PI, their rho derivatives phi and second derivatives gnorm."""
        m, k = self.ta.shape[0], self.kmax
        # interior corner points: thresholds 1..kmax-1 of both (some +inf from padding)
        ha = self.ta[:, 1:k]  # (m, k-1)
        hb = self.tb[:, 1:k]
        H = np.broadcast_to(ha[:, :, None], (m, k - 1, k - 1))
        K = np.broadcast_to(hb[:, None, :], (m, k - 1, k - 1))
        R = np.broadcast_to(rho[:, None, None], (m, k - 1, k - 1))
        BI = np.zeros((m, k + 1, k + 1))
        BI[:, 1:k, 1:k] = bvn_cdf(H, K, R)
        # borders: upper limit +inf of one variable (the other's margin); inf padding handled
        pa = ndtr(self.ta)  # (m, k+1): 0, Phi(t), ..., 1
        pb = ndtr(self.tb)
        BI[:, k, :] = pb
        BI[:, :, k] = pa
        BI[:, 0, :] = 0.0
        BI[:, :, 0] = 0.0
        # padded thresholds (+inf) inside the grid: bvn_cdf handled the infinite cases
        PI = BI[:, 1:, 1:] - BI[:, 1:, :-1] - BI[:, :-1, 1:] + BI[:, :-1, :-1]
        PI = np.maximum(PI, _SQRT_EPS)
        # densities at the interior corners (0 where a threshold is infinite)
        fin = np.isfinite(H) & np.isfinite(K)
        Hf, Kf = np.where(fin, H, 0.0), np.where(fin, K, 0.0)
        d = np.where(fin, _dbinorm(Hf, Kf, R), 0.0)
        rr = np.clip(R, -0.9999, 0.9999)
        r1 = 1.0 - rr * rr
        guv = (Hf * Kf * r1 - rr * (Hf * Hf - 2.0 * rr * Hf * Kf + Kf * Kf) + rr * r1) / (r1 * r1)
        g = np.where(fin, d * guv, 0.0)
        D = np.zeros((m, k + 1, k + 1))
        G = np.zeros((m, k + 1, k + 1))
        D[:, 1:k, 1:k] = d
        G[:, 1:k, 1:k] = g
        phi = D[:, 1:, 1:] - D[:, 1:, :-1] - D[:, :-1, 1:] + D[:, :-1, :-1]
        gn = G[:, 1:, 1:] - G[:, 1:, :-1] - G[:, :-1, 1:] + G[:, :-1, :-1]
        return PI, phi, gn

    def loglik(self, rho):
        PI, _, _ = self.grid(rho)
        return np.sum(np.where(self.freq > 0, self.freq * np.log(PI), 0.0), axis=(1, 2))

    def grad_hess(self, rho):
        PI, phi, gn = self.grid(rho)
        good = (PI > _SQRT_EPS) & self.valid
        f = np.where(good, self.freq, 0.0)
        g = np.sum(f * phi / PI, axis=(1, 2))
        h = np.sum(f * gn / PI, axis=(1, 2)) - np.sum(f * phi * phi / (PI * PI), axis=(1, 2))
        return g, h


def _polychoric_all(pairs: _OrdPairs, start: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Two-step ML polychoric correlations of all ordered pairs (Olsson, 1979).

    Bracketed Newton on the score (vectorised over pairs), rho in [-0.999, 0.999] as lavaan;
    returns the estimates and a flag of the pairs that did not converge.
    """
    m = start.size
    lo = np.full(m, -0.999)
    hi = np.full(m, 0.999)
    rho = np.clip(start, -0.999, 0.999)
    done = np.zeros(m, dtype=bool)
    for _ in range(200):
        g, h = pairs.grad_hess(rho)
        lo = np.where(g > 0, rho, lo)
        hi = np.where(g < 0, rho, hi)
        with np.errstate(divide="ignore", invalid="ignore"):
            step = np.where(h < 0, -g / h, np.nan)
        new = rho + step
        # converged: the Newton step is negligible (accept it; it may touch the bracket)
        conv = (np.abs(step) <= 1e-13) | (g == 0)
        bad = ~np.isfinite(new) | (new <= lo) | (new >= hi)
        new = np.where(bad & ~conv, (lo + hi) / 2.0, new)
        new = np.where(conv & ~np.isfinite(new), rho, new)
        conv |= np.abs(new - rho) <= 1e-13
        rho = np.where(done, rho, np.clip(new, -0.999, 0.999))
        done |= conv
        if done.all():
            break
    return rho, ~done


def _fix_2x2(pairs: _OrdPairs, names) -> dict[int, float]:
    """Apply lavaan's special cases of 2 x 2 tables; may adjust ``pairs.freq`` in place."""
    fixed = {}
    for q in np.flatnonzero((pairs.ka == 2) & (pairs.kb == 2)):
        f = pairs.freq[q, :2, :2]
        zero = f == 0
        nz = int(zero.sum())
        if nz == 2:
            warnings.warn(
                f"two empty cells in the 2 x 2 table of '{names[pairs.cj[q]]}' x "
                f"'{names[pairs.ci[q]]}': the tetrachoric correlation is set to "
                f"{'+1' if f[0, 0] > 0 else '-1'} (as lavaan)",
                DataQualityWarning,
                stacklevel=4,
            )
            fixed[q] = 1.0 if f[0, 0] > 0 else -1.0
            continue
        if nz == 1:
            if zero[0, 0] or zero[1, 1]:
                f += np.array([[0.5, -0.5], [-0.5, 0.5]])
            else:
                f += np.array([[-0.5, 0.5], [0.5, -0.5]])
        if f[0, 0] * f[1, 1] == f[0, 1] * f[1, 0]:
            fixed[q] = 0.0
        elif pairs.ta[q, 1] == 0.0 and pairs.tb[q, 1] == 0.0:
            fixed[q] = -np.cos(2.0 * np.pi * f[0, 0] / f.sum())
    return fixed


def _polyserial(y1, mu, var, codes2, th2, lo=-0.995, hi=0.995):
    """Two-step ML polyserial correlation (Olsson, Drasgow & Dorans, 1982) on complete rows."""
    sd = np.sqrt(var)
    z = (y1 - mu) / sd
    ext = np.concatenate([[-_BIG], th2, [_BIG]])
    c = codes2.astype(int)
    z1, z2 = ext[c + 1], ext[c]
    py1 = _dnorm(z) / sd

    def parts(rho):
        r = np.sqrt(1.0 - rho * rho)
        a1 = (z1 - rho * z) / r
        a2 = (z2 - rho * z) / r
        p = np.maximum(ndtr(a1) - ndtr(a2), _EPS)
        lik = py1 * p
        ok = lik >= _SQRT_EPS
        return r, a1, a2, p, ok, lik

    def score(rho):
        r, a1, a2, p, ok, _ = parts(rho)
        dx = (_dnorm(a1) * (z1 * rho - z) - _dnorm(a2) * (z2 * rho - z)) / (p * r**3)
        return np.sum(dx[ok])

    def loglik(rho):
        *_, ok, lik = parts(rho)
        return np.sum(np.log(lik[ok]))

    glo, ghi = score(lo), score(hi)
    if glo > 0 and ghi > 0:
        return hi
    if glo < 0 and ghi < 0:
        return lo
    if glo == 0:
        return lo
    if ghi == 0:
        return hi
    root = optimize.brentq(score, lo, hi, xtol=1e-14, rtol=4 * _EPS, maxiter=200)
    return root


def _polyserial_scores(y1, mu, var, codes2, th2, rho):
    """Casewise scores of the polyserial likelihood: d/d(mu, var, th2, rho) (NaN rows = 0)."""
    n = y1.size
    k1 = th2.size
    ok_rows = ~(np.isnan(y1) | np.isnan(codes2))
    dmu = np.zeros(n)
    dvar = np.zeros(n)
    dth = np.zeros((n, k1))
    drho = np.zeros(n)
    y, c = y1[ok_rows], codes2[ok_rows].astype(int)
    sd = np.sqrt(var)
    z = (y - mu) / sd
    ext = np.concatenate([[-_BIG], th2, [_BIG]])
    z1, z2 = ext[c + 1], ext[c]
    r = np.sqrt(1.0 - rho * rho)
    a1 = (z1 - rho * z) / r
    a2 = (z2 - rho * z) / r
    p = np.maximum(ndtr(a1) - ndtr(a2), _EPS)
    pinv = 1.0 / p
    d1, d2 = _dnorm(a1), _dnorm(a2)
    dd = d1 - d2
    dmu[ok_rows] = 1.0 / sd * (z + pinv * (rho / r) * dd)
    dvar[ok_rows] = 1.0 / (2.0 * var) * ((z * z - 1.0) + (pinv * rho * z / r) * dd)
    rows = np.flatnonzero(ok_rows)
    up = c < k1
    dth[rows[up], c[up]] += d1[up] / r * pinv[up]
    dn = c > 0
    dth[rows[dn], c[dn] - 1] -= d2[dn] / r * pinv[dn]
    drho[ok_rows] = pinv / r**3 * (d1 * (z1 * rho - z) - d2 * (z2 * rho - z))
    return dmu, dvar, dth, drho


def _pearson_ml(y1, y2, mu1, v1, mu2, v2):
    """Return lavaan's two-step Pearson correlation (ML on rho, margins fixed; pairwise rows)."""
    ok = ~(np.isnan(y1) | np.isnan(y2))
    a = (y1[ok] - mu1) / np.sqrt(v1)
    b = (y2[ok] - mu2) / np.sqrt(v2)
    saa, sbb, sab, n = a @ a, b @ b, a @ b, a.size

    def score(rho):
        r = 1.0 - rho * rho
        return n * rho / r + sab / r - rho * (saa - 2 * rho * sab + sbb) / (r * r)

    lo, hi = -0.999, 0.999
    if score(lo) * score(hi) > 0:
        return lo if score(lo) < 0 else hi
    return optimize.brentq(score, lo, hi, xtol=1e-14, rtol=4 * _EPS)


def _pearson_scores(y1, y2, mu1, v1, mu2, v2, rho):
    ok = ~(np.isnan(y1) | np.isnan(y2))
    out = [np.zeros(y1.size) for _ in range(5)]
    a = y1[ok] - mu1
    b = y2[ok] - mu2
    s1, s2 = np.sqrt(v1), np.sqrt(v2)
    r = 1.0 - rho * rho
    out[0][ok] = (2 * a / v1 - 2 * rho * b / (s1 * s2)) / (2 * r)
    out[1][ok] = -(2 * rho * a / (s1 * s2) - 2 * b / v2) / (2 * r)
    out[2][ok] = -(0.5 / v1 - (a * a / (v1 * v1) - rho * a * b / (v1 * s1 * s2)) / (2 * r))
    out[3][ok] = -(0.5 / v2 + (rho * a * b / (v2 * s1 * s2) - b * b / (v2 * v2)) / (2 * r))
    zz = a * a / v1 - 2 * rho * a * b / (s1 * s2) + b * b / v2
    out[4][ok] = rho / r + (a * b / (s1 * s2 * r) - zz * rho / (r * r))
    return out  # dmu1, dmu2, dvar1, dvar2, drho


def categorical_stats(
    x,
    names,
    ordered,
    *,
    missing: str = "listwise",
    where: str = "data",
    row_labels=None,
    levels=None,
) -> CategoricalStats:
    """Thresholds, polychoric/polyserial/Pearson correlations and their NACOV for one group.

    Parameters
    ----------
    x : array_like, shape (n, p)
        The group's data; NaN marks a missing value. Ordered columns hold integer codes.
    names : sequence of str
        Variable names (model order).
    ordered : sequence of bool
        Whether each column is ordered.
    missing : {"listwise", "pairwise"}
        Listwise deletion, or lavaan's pairwise handling (univariate statistics on each
        variable's observed rows, bivariate ones on the pairwise-complete rows).
    where : str
        How to call the data in error messages.
    row_labels : sequence, optional
        Row labels for error messages (default 0..n-1).
    levels : sequence, optional
        Per variable, the category values an ordered variable must show (e.g. those of the
        whole multiple-group data set, as lavaan fixes them before splitting into groups), or
        ``None``. A category without observations in these rows raises :class:`DataError`
        as lavaan does. Default: each variable's sorted distinct observed values.

    Returns
    -------
    CategoricalStats

    Raises
    ------
    DataError
        Text values, an ordered column with a non-integer value, a single observed category
        or more than :data:`MAX_CATEGORIES` categories, or no complete rows.
    """
    names = [str(v) for v in names]
    if row_labels is None:
        row_labels = np.arange(np.asarray(x).shape[0])
    row_labels = np.asarray(row_labels, dtype=object)
    x = _as_float(x, names, where, row_labels)
    if x.ndim != 2 or x.shape[1] != len(names):
        raise DataError(f"{where}: expected an n x {len(names)} data matrix, got shape {x.shape}.")
    ordered = np.asarray(ordered, dtype=bool)
    if missing not in ("listwise", "pairwise"):
        raise DataError(f"missing={missing!r} is not valid; use 'listwise' or 'pairwise'.")
    nan = np.isnan(x)
    keep = ~nan.any(axis=1) if missing == "listwise" else ~nan.all(axis=1)
    x = x[keep]
    row_labels = row_labels[keep]
    n, p = x.shape
    if n == 0:
        raise DataError(
            f"{where}: no rows left after {missing} deletion of missing values; check the data "
            "or use missing='pairwise'."
        )
    with single_threaded_blas():
        return _compute(x, names, ordered, n, p, missing, where, row_labels, levels)


def _compute(x, names, ordered, n, p, missing, where, row_labels, given_levels):
    codes = np.full(x.shape, np.nan)
    levels: list[np.ndarray | None] = [None] * p
    ncat = np.zeros(p, dtype=int)
    th_list: list[np.ndarray | None] = [None] * p
    mean = np.zeros(p)
    var = np.ones(p)
    obs = ~np.isnan(x)
    for j in range(p):
        if ordered[j]:
            given = None if given_levels is None else given_levels[j]
            codes[:, j], levels[j] = _code_ordered(x[:, j], names[j], where, row_labels, given)
            ncat[j] = levels[j].size
            counts = np.bincount(codes[obs[:, j], j].astype(int), minlength=ncat[j])
            th_list[j] = ndtri(np.cumsum(counts)[:-1] / counts.sum())
        else:
            col = x[obs[:, j], j]
            if col.size < 2:
                raise DataError(f"{where}: column '{names[j]}' has fewer than two observed values.")
            mean[j] = col.mean()
            var[j] = np.mean((col - mean[j]) ** 2)
            if var[j] <= 0:
                raise DataError(
                    f"{where}: numeric column '{names[j]}' is constant ({col[0]:g}); drop it."
                )
    # --- threshold vector and score columns (lavaan order) -----------------------------------
    nth_v = np.where(ordered, ncat - 1, 1)
    th_end = np.cumsum(nth_v)
    th_start = th_end - nth_v
    nth = int(th_end[-1])
    num_idx = np.flatnonzero(~ordered)
    nnum = num_idx.size
    th = np.zeros(nth)
    th_idx = np.zeros(nth, dtype=int)
    th_names: list[str] = []
    sc_th = np.zeros((n, nth))
    sc_var = np.zeros((n, nnum))
    for j in range(p):
        s = slice(th_start[j], th_end[j])
        if ordered[j]:
            t = th_list[j]
            th[s] = t
            th_idx[s] = j + 1
            th_names += [f"{names[j]}|t{k + 1}" for k in range(t.size)]
            # univariate probit scores by category, then indexed by row
            k = ncat[j]
            ext = np.concatenate([[-_BIG], t, [_BIG]])
            z1, z2 = ext[1:], ext[:-1]
            pi = ndtr(z1) - ndtr(z2)
            tab = np.zeros((k + 1, k - 1))  # last row: missing -> 0
            cat = np.arange(k)
            up = cat < k - 1
            tab[cat[up], cat[up]] += _dnorm(z1[up]) / pi[up]
            dn = cat > 0
            tab[cat[dn], cat[dn] - 1] -= _dnorm(z2[dn]) / pi[dn]
            cj = np.where(obs[:, j], codes[:, j], k).astype(int)
            sc_th[:, s] = tab[cj]
        else:
            th[s] = -mean[j]
            th_idx[s] = 0
            th_names.append(f"{names[j]}~1")
            res = np.where(obs[:, j], x[:, j] - mean[j], 0.0)
            sc_th[:, s] = (res / var[j])[:, None]
            q = int(np.searchsorted(num_idx, j))
            sc_var[:, q] = np.where(
                obs[:, j], -1.0 / (2 * var[j]) + res * res / (2 * var[j] ** 2), 0.0
            )
    # --- bivariate -------------------------------------------------------------------------
    pi_, pj_ = _pair_index(p)
    pstar = pi_.size
    cor = np.eye(p)
    sc_cor = np.zeros((n, pstar))
    a11_size = nth + nnum
    A21 = np.zeros((pstar, a11_size))
    H21 = np.zeros((pstar, a11_size))
    H22 = np.ones(pstar)
    zero_cell_pairs: list[tuple[str, str]] = []
    pair_type: dict[tuple[str, str], str] = {}
    n_pairs = (obs.astype(float).T @ obs.astype(float)).astype(int)
    var_col = {int(j): nth + q for q, j in enumerate(num_idx)}

    oo = np.flatnonzero(ordered[pi_] & ordered[pj_])
    if oo.size:
        _ordinal_pairs(
            oo, pi_, pj_, codes, th_list, ncat, obs, n, names, th_start, th_end,
            cor, sc_cor, A21, zero_cell_pairs,
        )  # fmt: skip
    for q in range(pstar):
        i, j = int(pi_[q]), int(pj_[q])
        key = (names[i], names[j])
        if ordered[i] and ordered[j]:
            pair_type[key] = "polychoric"
            continue
        if ordered[i] != ordered[j]:
            pair_type[key] = "polyserial"
            num, orv = (i, j) if not ordered[i] else (j, i)
            ok = obs[:, num] & obs[:, orv]
            rho = _polyserial(x[ok, num], mean[num], var[num], codes[ok, orv], th_list[orv])
            cor[i, j] = cor[j, i] = rho
            dmu, dvar, dth, drho = _polyserial_scores(
                np.where(ok, x[:, num], np.nan), mean[num], var[num],
                np.where(ok, codes[:, orv], np.nan), th_list[orv], rho,
            )  # fmt: skip
            sc_cor[:, q] = drho
            A21[q, th_start[num]] = drho @ dmu
            A21[q, th_start[orv] : th_end[orv]] = drho @ dth
            A21[q, var_col[num]] = drho @ dvar
            H21[q, var_col[num]] = rho / (2.0 * np.sqrt(var[num]))
            H22[q] = np.sqrt(var[num])
        else:
            pair_type[key] = "pearson"
            y1, y2 = x[:, i], x[:, j]
            if missing == "listwise" or not (np.isnan(y1).any() or np.isnan(y2).any()):
                a, b = y1 - y1.mean(), y2 - y2.mean()
                rho = float(a @ b / np.sqrt((a @ a) * (b @ b)))
            else:
                rho = _pearson_ml(y1, y2, mean[i], var[i], mean[j], var[j])
            cor[i, j] = cor[j, i] = rho
            dmu1, dmu2, dv1, dv2, drho = _pearson_scores(
                y1, y2, mean[i], var[i], mean[j], var[j], rho
            )
            sc_cor[:, q] = drho
            A21[q, th_start[i]] = drho @ dmu1
            A21[q, th_start[j]] = drho @ dmu2
            A21[q, var_col[i]] = drho @ dv1
            A21[q, var_col[j]] = drho @ dv2
            H21[q, var_col[i]] = np.sqrt(var[j]) * rho / (2.0 * np.sqrt(var[i]))
            H21[q, var_col[j]] = np.sqrt(var[i]) * rho / (2.0 * np.sqrt(var[j]))
            H22[q] = np.sqrt(var[i] * var[j])
    for q in range(pstar):
        i, j = int(pi_[q]), int(pj_[q])
        if abs(cor[i, j]) > 0.99:
            warnings.warn(
                f"{where}: the correlation between '{names[i]}' and '{names[j]}' is (nearly) "
                f"1.0 ({cor[i, j]:.4f}); the items may be redundant.",
                DataQualityWarning,
                stacklevel=3,
            )
    # --- asymptotic covariance (Muthén, 1984) ------------------------------------------------
    SC = np.concatenate([sc_th, sc_var, sc_cor], axis=1)
    inner = SC.T @ SC
    A11 = np.zeros((a11_size, a11_size))
    for j in range(p):
        idx = list(range(th_start[j], th_end[j]))
        if not ordered[j]:
            idx.append(var_col[j])
        ix = np.ix_(idx, idx)
        A11[ix] = inner[ix]
    try:
        A11_inv = np.linalg.inv(A11)
    except np.linalg.LinAlgError:
        A11_inv = np.linalg.pinv(A11)
        warnings.warn(
            f"{where}: trouble constructing the weight matrix; used a generalized inverse "
            "for the univariate block.",
            DataQualityWarning,
            stacklevel=3,
        )
    a22 = np.einsum("ij,ij->j", sc_cor, sc_cor)
    with np.errstate(divide="ignore"):
        a22_inv = np.where(a22 > 0, 1.0 / a22, 0.0)
    if np.any(a22 == 0):
        warnings.warn(
            f"{where}: trouble constructing the weight matrix (a correlation with zero score "
            "variance); used a generalized inverse.",
            DataQualityWarning,
            stacklevel=3,
        )
    A21_inv = -(a22_inv[:, None] * A21) @ A11_inv
    total = a11_size + pstar
    B_inv = np.zeros((total, total))
    B_inv[:a11_size, :a11_size] = A11_inv
    B_inv[a11_size:, :a11_size] = A21_inv
    B_inv[a11_size:, a11_size:] = np.diag(a22_inv)
    W = B_inv @ inner @ B_inv.T
    sd = np.sqrt(var)
    cov = cor * np.outer(sd, sd)
    flip = np.ones(W.shape[0])
    flip[np.flatnonzero(th_idx == 0)] = -1.0
    gamma_cor = W * np.outer(flip, flip) * n
    gamma_cor = (gamma_cor + gamma_cor.T) / 2.0
    if nnum:
        H = np.eye(total)
        H[a11_size:, :a11_size] = H21
        H[a11_size:, a11_size:] = np.diag(H22)
        W = H @ W @ H.T
        W = W * np.outer(flip, flip)
    gamma = W * n
    gamma = (gamma + gamma.T) / 2.0
    off = cov[pi_, pj_]
    wls_obs = np.concatenate([th, var[num_idx], off])
    wls_names = (
        th_names
        + [f"{names[j]}~~{names[j]}" for j in num_idx]
        + [f"{names[j]}~~{names[i]}" for i, j in zip(pi_, pj_, strict=True)]
    )
    with np.errstate(divide="ignore"):
        wls_v_diag = 1.0 / np.diag(gamma)
    return CategoricalStats(
        names=list(names),
        ordered=ordered.copy(),
        n=int(n),
        th=th,
        th_idx=th_idx,
        th_names=th_names,
        ncat=ncat,
        var=var,
        cor=cor,
        cov=cov,
        wls_obs=wls_obs,
        wls_names=wls_names,
        gamma=gamma,
        wls_v_diag=wls_v_diag,
        mean=mean,
        levels=levels,
        n_pairs=n_pairs,
        zero_cell_pairs=zero_cell_pairs,
        pair_type=pair_type,
        gamma_cor=gamma_cor,
    )


def _ordinal_pairs(
    oo, pi_, pj_, codes, th_list, ncat, obs, n, names, th_start, th_end, cor, sc_cor, A21, zeros
):
    """Polychoric correlations of all ordered pairs, their casewise scores and A21 rows."""
    ci, cj = pi_[oo], pj_[oo]
    pairs = _OrdPairs(ci, cj, codes, th_list, ncat)
    for q in range(oo.size):
        f = pairs.freq[q][pairs.valid[q]]
        if np.any(f == 0):
            zeros.append((names[cj[q]], names[ci[q]]))
    fixed = _fix_2x2(pairs, names)
    # start: Pearson correlation of the codes on the pairwise-complete rows (lavaan)
    # (sums over the pairwise-complete rows by matrix products; codes + 1 as lavaan's)
    m_obs = obs.astype(float)
    c0 = np.where(obs, codes + 1.0, 0.0)
    npair = (m_obs.T @ m_obs)[ci, cj]
    s_ab = (c0.T @ c0)[ci, cj]
    s_a = (c0.T @ m_obs)[ci, cj]  # sum of variable ci over rows where cj is observed
    s_b = (m_obs.T @ c0)[ci, cj]
    s_aa = ((c0 * c0).T @ m_obs)[ci, cj]
    s_bb = (m_obs.T @ (c0 * c0))[ci, cj]
    with np.errstate(divide="ignore", invalid="ignore"):
        cab = s_ab - s_a * s_b / npair
        caa = s_aa - s_a * s_a / npair
        cbb = s_bb - s_b * s_b / npair
        start = cab / np.sqrt(caa * cbb)
    start = np.where(np.isfinite(start) & (np.abs(start) < 1), start, 0.0)
    rho, failed = _polychoric_all(pairs, start)
    for q, val in fixed.items():
        rho[q] = val
        failed[q] = False
    if failed.any():
        bad = ", ".join(f"{names[ci[q]]}-{names[cj[q]]}" for q in np.flatnonzero(failed))
        warnings.warn(
            f"the polychoric correlation did not converge for: {bad}",
            ConvergenceWarning,
            stacklevel=4,
        )
    cor[ci, cj] = rho
    cor[cj, ci] = rho
    # --- cell scores at the estimates ------------------------------------------------------
    PI, phi, _ = pairs.grid(rho)
    k = pairs.kmax
    good = (PI > _SQRT_EPS) & pairs.valid
    lik = np.where(good, PI, np.nan)
    drho = np.where(good, phi / lik, 0.0)  # (m, k, k)
    # threshold scores of the bivariate likelihood, by cell
    rr = rho[:, None, None]
    R = np.sqrt(1.0 - rr * rr)
    ta = np.clip(pairs.ta, -_BIG, _BIG)  # (m, k+1) with +-100 for the infinite limits
    tb = np.clip(pairs.tb, -_BIG, _BIG)
    a_up, a_lo = ta[:, 1:, None], ta[:, :-1, None]  # (m, k, 1): category r of var a
    b_up, b_lo = tb[:, None, 1:], tb[:, None, :-1]  # (m, 1, k)
    with np.errstate(divide="ignore", invalid="ignore"):
        y1z1 = _dnorm(a_up) * (ndtr((b_up - rr * a_up) / R) - ndtr((b_lo - rr * a_up) / R))
        y1z2 = _dnorm(a_lo) * (ndtr((b_up - rr * a_lo) / R) - ndtr((b_lo - rr * a_lo) / R))
        y2z1 = _dnorm(b_up) * (ndtr((a_up - rr * b_up) / R) - ndtr((a_lo - rr * b_up) / R))
        y2z2 = _dnorm(b_lo) * (ndtr((a_up - rr * b_lo) / R) - ndtr((a_lo - rr * b_lo) / R))
    # rho = +-1 (a 2 x 2 table with two empty cells): lavaan's R == 0 branch
    one = (R == 0.0).ravel()
    if one.any():
        y1z1[one] = np.broadcast_to(_dnorm(a_up) * 0.5, y1z1.shape)[one]
        y1z2[one] = np.broadcast_to(_dnorm(a_lo) * 0.5, y1z2.shape)[one]
        y2z1[one] = np.broadcast_to(_dnorm(b_up) * 0.5, y2z1.shape)[one]
        y2z2[one] = np.broadcast_to(_dnorm(b_lo) * 0.5, y2z2.shape)[one]
    f0 = pairs.freq_orig
    wgt = np.where(good, f0 * drho / np.where(good, lik, 1.0), 0.0)
    # var a threshold t (0-based) gets +y1z1 from cells in row t and -y1z2 from row t+1
    sa1 = np.sum(wgt * y1z1, axis=2)  # (m, k)
    sa2 = np.sum(wgt * y1z2, axis=2)
    sb1 = np.sum(wgt * y2z1, axis=1)
    sb2 = np.sum(wgt * y2z2, axis=1)
    for q in range(oo.size):
        ka, kb = pairs.ka[q], pairs.kb[q]
        va = sa1[q, : ka - 1] - sa2[q, 1:ka]
        vb = sb1[q, : kb - 1] - sb2[q, 1:kb]
        A21[oo[q], th_start[ci[q]] : th_end[ci[q]]] = va
        A21[oo[q], th_start[cj[q]] : th_end[cj[q]]] = vb
    # casewise rho scores by indexing the cell scores (missing -> the zero padding slot)
    dpad = np.zeros((oo.size, k + 1, k + 1))
    dpad[:, :k, :k] = drho
    cidx = np.where(obs, codes, k)
    cidx = np.where(np.isnan(cidx), k, cidx).astype(int)
    sc_cor[:, oo] = dpad[np.arange(oo.size)[None, :], cidx[:, ci], cidx[:, cj]]
    del n, k
