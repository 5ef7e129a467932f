"""Reliability and validity of a fitted measurement model (semTools-style wrappers).

Thin links between :func:`~nrel_research.sem.fit` results and the moment-level functions of
:mod:`~nrel_research.sem.validity`:

* :func:`reliability` — per factor Cronbach's alpha (pingouin; psych's ``alpha`` with missing
  values), omega as semTools ``compRelSEM`` and AVE as semTools ``AVE``, both with semTools'
  default ``obs.var = TRUE``: the *sample* covariance matrix of the indicators (divisor N; the
  EM covariance under ``missing="fiml"``, which is what lavaan's ``lavInspect(fit,
  "sampstat")`` returns and semTools uses), the fitted loadings and the model-implied factor
  covariance matrix. For a fit with ordered indicators (``fit(..., ordered=...)``) omega is
  the categorical omega of Green & Yang (2009) and ordinal alpha (Zumbo, Gadermann & Zeisser,
  2007) and omega on the latent-response scale are added, as semTools computes them;
* :func:`htmt` — semTools ``htmt`` with the blocks taken from the model's ``=~`` lines;
* :func:`fornell_larcker` — √AVE against the model-implied factor correlations.

Oracles: ``tests/reference/validity.R`` and, for ordered indicators,
``tests/reference/ordinal_validity.R`` (semTools 0.5-6, psych 2.2.9, lavaan 0.6-14).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..exceptions import NrelError, SpecificationError
from . import validity
from .syntax import parse_model

__all__ = ["fornell_larcker", "htmt", "reliability"]


def _blocks_from_table(table) -> dict[str, list[str]]:
    t = table[table["op"] == "=~"]
    lvs = list(dict.fromkeys(t["lhs"]))
    blocks = {}
    for lv in lvs:
        items = [v for v in t.loc[t["lhs"] == lv, "rhs"] if v not in lvs]
        if items:
            blocks[lv] = list(dict.fromkeys(items))
    if not blocks:
        raise SpecificationError(
            "the model has no factor measured by observed indicators ('f =~ x1 + x2 + ...'); "
            "reliability and HTMT need at least one."
        )
    return blocks


def _fitted_matrices(result):
    model = result.model
    if model.ngroups > 1:
        raise NrelError(
            "reliability, Fornell-Larcker and HTMT for multiple-group fits are not available "
            "yet; fit each group on its own (e.g. data[data[group] == label])."
        )
    mats = model.group_matrices(result.theta, 0)
    veta, eta = model.veta(result.theta, 0)
    lvs = [v for v in model.lv_names if v in eta]
    cols = [eta.index(v) for v in lvs]
    ov = list(model.ov_names)
    lam = pd.DataFrame(mats["lambda"][:, cols], index=ov, columns=lvs)
    phi = pd.DataFrame(veta[np.ix_(cols, cols)], index=lvs, columns=lvs)
    s = pd.DataFrame(result.stats[0].cov, index=ov, columns=ov)
    return lam, phi, s


def _ordinal_parts(result):
    """Thresholds and scales of a fit with ordered indicators (None for continuous fits)."""
    ordered = list(getattr(result.model, "ordered", None) or [])
    if not ordered:
        return None, None
    est = result.estimates()
    th = est[est["op"] == "|"]
    tau = {v: th.loc[th["lhs"] == v, "est"].to_numpy(float) for v in ordered}
    sc = est[est["op"] == "~*~"].set_index("lhs")["est"]
    scales = pd.Series(1.0, index=list(result.model.ov_names))
    scales.loc[[v for v in sc.index if v in scales.index]] = sc[sc.index.isin(scales.index)]
    return tau, scales


def reliability(result) -> pd.DataFrame:
    """Cronbach's alpha, omega (composite reliability) and AVE per factor of a fitted model.

    For a fit with ordered indicators (``sem.fit(..., ordered=...)``, WLSMV) the numbers are
    semTools' for categorical fits: ``omega`` is the *categorical omega* of Green & Yang
    (2009), the reliability of the unit-weighted sum of the observed category scores
    (``compRelSEM(fit)``, ``ord.scale = TRUE``); ``omega_latent`` the omega of the
    latent-response variables (``compRelSEM(fit, ord.scale = FALSE)``); ``alpha_ordinal``
    Cronbach's alpha of the polychoric correlations, *ordinal alpha* (Zumbo, Gadermann &
    Zeisser, 2007; ``compRelSEM(fit, tau.eq = TRUE, ord.scale = FALSE)``); ``ave`` semTools
    ``AVE(fit)`` from the polychoric matrix. ``alpha``/``alpha_std`` stay those of the
    observed category scores. Under ``parameterization="theta"`` semTools rescales the
    polychoric matrix by the scale factors, so ``omega_latent``, ``alpha_ordinal`` and
    ``ave`` depend on the parameterization; categorical ``omega`` does not. A factor mixing
    ordered and continuous indicators gets ``NaN`` omega (semTools refuses it).

    Parameters
    ----------
    result : SEMResult
        A fitted model (listwise or FIML; or WLSMV with ordered indicators); only factors
        measured by observed indicators are reported.

    Returns
    -------
    pandas.DataFrame
        Columns ``factor, n_items, alpha, alpha_std, omega, ave``. ``omega`` equals semTools
        ``compRelSEM(fit)`` and ``ave`` ``AVE(fit)`` (obs.var = TRUE); ``alpha`` psych's
        ``raw_alpha`` (pairwise covariances when values are missing). With ordered
        indicators ``factor, n_items, alpha, alpha_std, alpha_ordinal, omega,
        omega_latent, ave``. Checked against semTools 0.5-6 on lavaan fits
        (``tests/reference/validity.R``, ``ordinal_validity.R``): ordinal fits to
        ``atol=1e-6`` (our WLSMV estimates differ from lavaan's by < 1e-7).

    Examples
    --------
    >>> from nrel_research import sem
    >>> from nrel_research.datasets import load_dataset
    >>> hs = load_dataset("holzinger_swineford_1939")
    >>> res = sem.fit("visual =~ x1 + x2 + x3; textual =~ x4 + x5 + x6; "
    ...               "speed =~ x7 + x8 + x9", hs)
    >>> sem.reliability(res)[["factor", "omega", "ave"]].round(3)
        factor  omega    ave
    0   visual  0.612  0.371
    1  textual  0.885  0.721
    2    speed  0.686  0.424

    The same items cut into five ordered categories, fitted by WLSMV:

    >>> hs5 = load_dataset("holzinger_swineford_1939_ordinal")
    >>> res5 = sem.fit("visual =~ x1 + x2 + x3; textual =~ x4 + x5 + x6; "
    ...                "speed =~ x7 + x8 + x9", hs5, ordered=True)
    >>> sem.reliability(res5)[["factor", "alpha_ordinal", "omega", "omega_latent"]].round(3)
        factor  alpha_ordinal  omega  omega_latent
    0   visual          0.644  0.599         0.642
    1  textual          0.893  0.868         0.897
    2    speed          0.698  0.664         0.701
    """
    blocks = _blocks_from_table(result.model.table)
    lam, phi, s = _fitted_matrices(result)
    tau, scales = _ordinal_parts(result)
    return validity.reliability_table(
        result.data, blocks, lam, phi, s, thresholds=tau, scales=scales
    )


def fornell_larcker(result) -> pd.DataFrame:
    """Fornell-Larcker table of a fitted model: √AVE on the diagonal, factor correlations off it.

    Parameters
    ----------
    result : SEMResult

    Returns
    -------
    pandas.DataFrame
        Factors x factors plus ``criterion_met`` (√AVE above every absolute correlation of the
        factor; Fornell & Larcker, 1981). AVE as semTools ``AVE`` (from the polychoric
        matrix for ordered indicators); correlations model-implied.

    Examples
    --------
    >>> from nrel_research import sem
    >>> from nrel_research.datasets import load_dataset
    >>> hs = load_dataset("holzinger_swineford_1939")
    >>> res = sem.fit("visual =~ x1 + x2 + x3; textual =~ x4 + x5 + x6", hs)
    >>> sem.fornell_larcker(res)["criterion_met"].tolist()
    [True, True]
    """
    lam, phi, s = _fitted_matrices(result)
    blocks = _blocks_from_table(result.model.table)
    phi = phi.loc[list(blocks), list(blocks)]
    _, scales = _ordinal_parts(result)
    a = validity.ave(lam[list(blocks)], phi, s, scales=scales)
    return validity.fornell_larcker(a, phi)


def htmt(
    model: str,
    data: pd.DataFrame,
    *,
    htmt2: bool = False,
    missing: str = "listwise",
    ordered: Sequence[str] | bool | None = None,
) -> pd.DataFrame:
    """Heterotrait-monotrait ratio (HTMT) of the factors of a lavaan model, as semTools ``htmt``.

    Parameters
    ----------
    model : str
        lavaan syntax; the blocks are the factors' observed indicators from its ``=~`` lines.
    data : pandas.DataFrame
    htmt2 : bool, default False
        The HTMT2 variant (geometric means; semTools 0.5-6's default is ``htmt2 = TRUE``).
    missing : {"listwise", "ml", "pairwise"}, default "listwise"
        How correlations are computed with missing values (``"ml"``: from the EM covariance,
        as semTools with ``missing = "ml"``; ``"pairwise"``: for ordered items).
    ordered : sequence of str or True, optional
        Ordinal items: their correlations are polychoric (:func:`polychoric`), as semTools
        ``htmt(model, data, ordered = )`` (``True``: every indicator).

    Returns
    -------
    pandas.DataFrame
        Factors x factors (1 on the diagonal). Values below .85 support discriminant
        validity (Henseler, Ringle & Sarstedt, 2015).

    Examples
    --------
    >>> from nrel_research import sem
    >>> from nrel_research.datasets import load_dataset
    >>> hs = load_dataset("holzinger_swineford_1939")
    >>> sem.htmt("visual =~ x1 + x2 + x3; textual =~ x4 + x5 + x6", hs).round(3)
             visual  textual
    visual    1.000    0.424
    textual   0.424    1.000

    On ordinal items (polychoric correlations):

    >>> hs5 = load_dataset("holzinger_swineford_1939_ordinal")
    >>> sem.htmt("visual =~ x1 + x2 + x3; textual =~ x4 + x5 + x6", hs5, ordered=True).round(3)
             visual  textual
    visual    1.000    0.469
    textual   0.469    1.000
    """
    pt = parse_model(model)
    blocks = _blocks_from_table(pt.table)
    return validity.htmt(data, blocks, htmt2=htmt2, missing=missing, ordered=ordered)
