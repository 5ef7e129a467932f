"""Simulate complete N-REL studies with known truth.

:func:`simulate_study` draws firms, their survey answers (in the instrument's data
dictionary names and codes) and their brand posts with engagement counts from the
population model stored as data in ``population_model.yaml`` (every true parameter is
there) and the post templates in ``_post_templates.yaml``. The truth comes back in the
tidy shape the analysis functions return (``lhs, op, rhs, est`` in lavaan notation), so
estimators can be checked against it.

Estimands (what "recovery" means)
---------------------------------
(a) *Latent-variable parameters* (part ``"sem"`` of the truth): loadings, paths,
    variances and covariances of the linear-Gaussian SEM of each market type x sector
    cell. They are the targets of SEM estimators run on the continuous indicators
    (``discretize=False``); on the ordinal answers they are the targets of threshold
    (polychoric/WLSMV) estimators. The tests check that the sample covariance matrix of
    the continuous indicators equals the covariance implied by these parameters, and that
    regressions on the true latent scores (``.latent``) return the paths.
(b) *Mean-score regressions* (part ``"mean_score"``): the population value of the OLS
    regression of item-mean construct scores (reverse-keyed items reversed, attentive
    respondents, complete data, default sector and market-type mix) -- attenuation by
    measurement error and categorisation included. Computed once by
    :func:`compute_population_values` on a very large draw and stored in the population
    model with its size and seed.
(c) *Post-level engagement* (part ``"count"``): the coefficients of the NB2
    negative-binomial model of likes, comments and shares on action type, platform and
    log followers (``Var = mu + alpha mu^2``).

The simulation follows the usual Monte Carlo design of SEM methodology (e.g. Paxton,
Curran, Bollen, Kirby & Chen, 2001, *Structural Equation Modeling* 8(2), 287-312):
latent scores from the reduced form ``eta = (I - B)^-1 (alpha + zeta)``, indicators
``x = nu + Lambda eta + e``, categorisation by thresholds. Checked against simulation
with known truth (the tests in ``tests/test_simulate.py``).

Examples
--------
>>> from nrel_research.data.simulate import simulate_study
>>> study = simulate_study(n_firms=50, seed=1)
>>> study.responses["firm_id"].nunique(), sorted(study.posts.columns)[:3]
(50, ['action', 'comments', 'firm_id'])
>>> study.truth.query("part == 'sem' and op == '=~'").iloc[0][["lhs", "op", "rhs"]].tolist()
['transactional_orientation', '=~', 'cmp_t1']
"""

from __future__ import annotations

import argparse
import copy
import functools
import hashlib
import json
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from os import PathLike
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from scipy.stats import norm

# Absolute imports: until nrel_research/data/__init__.py exists, pytest's doctest collection
# imports this file as a top-level module.
from nrel_research import instruments
from nrel_research._validation import check_choice, check_positive_int, check_rng
from nrel_research.exceptions import DataError, DataQualityWarning, FrameworkError

__all__ = [
    "BUNDLED_N_FIRMS",
    "BUNDLED_SEED",
    "SimulatedStudy",
    "compute_population_values",
    "implied_moments",
    "load_population_model",
    "mean_scores",
    "model_hash",
    "model_syntax",
    "simulate_study",
    "write_bundled_study",
]

#: Seed and size of the simulated study bundled under ``data/simulated/``.
BUNDLED_SEED = 2016
BUNDLED_N_FIRMS = 600

EXOGENOUS = (
    "transactional_orientation",
    "relational_orientation",
    "market_orientation",
    "stp",
    "marketing_mix_positioning",
    "log_employees",
    "log_firm_age",
    "marker",
    "method",
    "informant_competence",
)
#: log(employees) is centred at this value in the structural equations (latent intercepts
#: are set so that the centring holds) and in the followers and posts equations.
SIZE_CENTER = 3.0
ACTIONS = ("R1", "R2", "E1", "E2", "E3", "E4", "E5", "E6", "E7", "L1")
MARKET_TYPES = ("B2B", "B2C", "both")
OUTCOME_PREFIXES = ("smp_", "crp_", "mp_")
TRUTH_COLUMNS = ["part", "group", "sector", "lhs", "op", "rhs", "est"]


# ---------------------------------------------------------------------------------------
# the population model
# ---------------------------------------------------------------------------------------
def _package_file(name: str) -> Path:
    return Path(str(resources.files("nrel_research.data").joinpath(name)))


def load_population_model(path: str | PathLike[str] | None = None) -> dict:
    """Return the population model (a new dict; the bundled file is read once).

    Parameters
    ----------
    path : str or path-like, optional
        A population model YAML file with the layout of the bundled
        ``population_model.yaml`` (e.g. an edited copy); by default the bundled one.

    Returns
    -------
    dict

    Raises
    ------
    FrameworkError
        If the file cannot be read or lacks a required section.

    Examples
    --------
    >>> from nrel_research.data.simulate import load_population_model
    >>> pm = load_population_model()
    >>> sorted(pm["sectors"])
    ['C', 'G', 'I', 'J', 'K', 'M', 'Q']
    """
    if path is None:
        return copy.deepcopy(_bundled_model())
    return _read_model(Path(path))


@functools.cache
def _bundled_model() -> dict:
    return _read_model(_package_file("population_model.yaml"))


def _read_model(path: Path) -> dict:
    try:
        pm = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise FrameworkError(f"cannot read the population model '{path}': {exc}") from exc
    required = (
        "sectors",
        "market_types",
        "exogenous",
        "structural",
        "measurement",
        "thresholds",
        "respondents",
        "platforms",
        "posts",
    )
    missing = [k for k in required if not isinstance(pm, dict) or k not in pm]
    if missing:
        raise FrameworkError(
            f"the population model '{path}' lacks the section(s) {', '.join(missing)}; "
            "copy the layout of the bundled nrel_research/data/population_model.yaml."
        )
    bank_items = {it.id for it in instruments.load_item_bank().items}
    for construct, spec in pm["measurement"].items():
        for item in spec["items"]:
            if item not in bank_items:
                raise FrameworkError(
                    f"the population model '{path}', measurement of {construct!r}: item "
                    f"{item!r} is not in the item bank; use item ids of the bank."
                )
    return pm


def model_hash(pm: dict | None = None) -> str:
    """Return a short SHA-256 hash of every parameter except the stored population values.

    Used to notice that the stored mean-score population values are stale after an edit.

    Examples
    --------
    >>> from nrel_research.data.simulate import load_population_model, model_hash
    >>> model_hash() == load_population_model()["population_values"]["model_hash"]
    True
    """
    pm = _bundled_model() if pm is None else pm
    body = {k: v for k, v in pm.items() if k != "population_values"}
    text = json.dumps(body, sort_keys=True, ensure_ascii=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


@functools.cache
def _templates() -> dict:
    return yaml.safe_load(_package_file("_post_templates.yaml").read_text(encoding="utf-8"))


@functools.cache
def _dictionary() -> pd.DataFrame:
    return instruments.build(randomize_within_blocks=False).data_dictionary()


# ---------------------------------------------------------------------------------------
# one market type x sector cell as matrices
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Cell:
    nodes: tuple[str, ...]
    items: tuple[str, ...]
    alpha: np.ndarray  # latent intercepts (means of exogenous)
    B: np.ndarray  # B[i, j]: effect of node j on node i
    Psi: np.ndarray  # exogenous (co)variances and disturbance (co)variances
    Lambda: np.ndarray  # items x nodes
    nu: np.ndarray
    Theta: np.ndarray


def _endogenous(pm: dict, market_type: str) -> list[str]:
    return [
        k
        for k, spec in pm["structural"].items()
        if market_type in spec.get("market_types", MARKET_TYPES)
    ]


def _paths(pm: dict, target: str, market_type: str, sector: str) -> dict[str, float]:
    spec = pm["structural"][target]
    paths = dict(spec["paths"])
    paths.update(spec.get("by_market_type", {}).get(market_type, {}))
    paths.update(spec.get("by_sector", {}).get(sector, {}))
    nodes = _nodes(pm, market_type)
    return {k: float(v) for k, v in paths.items() if k in nodes}


def _nodes(pm: dict, market_type: str) -> tuple[str, ...]:
    return EXOGENOUS + tuple(_endogenous(pm, market_type))


def _cell(pm: dict, market_type: str, sector: str, misspecified: bool) -> _Cell:
    nodes = _nodes(pm, market_type)
    ix = {n: i for i, n in enumerate(nodes)}
    p = len(nodes)
    B = np.zeros((p, p))
    Psi = np.zeros((p, p))
    alpha = np.zeros(p)
    ex = pm["exogenous"]
    for name, var in ex["variances"].items():
        Psi[ix[name], ix[name]] = var
    mu_emp, sd_emp = pm["sectors"][sector]["log_employees"]
    Psi[ix["log_employees"], ix["log_employees"]] = sd_emp**2
    alpha[ix["log_employees"]] = mu_emp
    alpha[ix["log_firm_age"]] = pm["log_firm_age"][0]
    for a, b, cov in ex["covariances"]:
        Psi[ix[a], ix[b]] = Psi[ix[b], ix[a]] = cov
    for name, shift in pm["sectors"][sector]["means"].items():
        alpha[ix[name]] += shift
    for name, shift in pm["market_types"][market_type]["means"].items():
        alpha[ix[name]] += shift
    for target in _endogenous(pm, market_type):
        for pred, b in _paths(pm, target, market_type, sector).items():
            B[ix[target], ix[pred]] = b
            if pred == "log_employees":
                alpha[ix[target]] -= b * SIZE_CENTER
        Psi[ix[target], ix[target]] = pm["structural"][target]["residual"]
    for a, b, cov in pm.get("residual_covariances", []):
        if a in ix and b in ix:
            Psi[ix[a], ix[b]] = Psi[ix[b], ix[a]] = cov
    items = []
    loadings = []
    for construct, spec in pm["measurement"].items():
        if construct not in ix:
            continue
        for item, lam in spec["items"].items():
            items.append(item)
            loadings.append((construct, item, float(lam)))
    it = {n: i for i, n in enumerate(items)}
    Lambda = np.zeros((len(items), p))
    nu = np.zeros(len(items))
    m = float(pm["method_loading"])
    for construct, item, lam in loadings:
        Lambda[it[item], ix[construct]] = lam
        Lambda[it[item], ix["method"]] = m
    theta = 1.0 - (Lambda[:, ix["method"]] ** 2) - np.array([lam**2 for _, _, lam in loadings])
    Theta = np.diag(theta)
    ni = pm["non_invariant_item"]
    if market_type == ni["market_type"] and ni["item"] in it:
        k = it[ni["item"]]
        construct = next(c for c, i, _ in loadings if i == ni["item"])
        Lambda[k, ix[construct]] = ni["loading"]
        nu[k] = ni["intercept"]
    if misspecified:
        ms = pm["misspecification"]
        cl = ms["cross_loading"]
        Lambda[it[cl["item"]], ix[cl["factor"]]] = cl["loading"]
        a, b = ms["correlated_error"]["items"]
        Theta[it[a], it[b]] = Theta[it[b], it[a]] = ms["correlated_error"]["covariance"]
    return _Cell(tuple(nodes), tuple(items), alpha, B, Psi, Lambda, nu, Theta)


def implied_moments(
    market_type: str,
    sector: str,
    *,
    misspecified: bool = False,
    model: dict | None = None,
) -> tuple[pd.Series, pd.DataFrame]:
    """Return the model-implied means and covariance matrix of the continuous indicators.

    ``mu = nu + Lambda (I - B)^-1 alpha`` and
    ``Sigma = Lambda (I - B)^-1 Psi (I - B)^-T Lambda' + Theta`` (Bollen, 1989, ch. 8),
    in the scored metric (reverse-keyed indicators multiplied by -1).

    Parameters
    ----------
    market_type : {"B2B", "B2C", "both"}
    sector : str
        An ISIC section of the population model.
    misspecified : bool, default False
        Include the deliberate cross-loading and correlated error.
    model : dict, optional
        A population model (:func:`load_population_model`); by default the bundled one.

    Returns
    -------
    (pandas.Series, pandas.DataFrame)
        Means and covariance matrix indexed by item name.

    Examples
    --------
    >>> from nrel_research.data.simulate import implied_moments
    >>> mu, sigma = implied_moments("B2C", "G")
    >>> "e7_1" in sigma.index, round(float(sigma.loc["mk_1", "mk_1"]), 6)
    (False, 1.0)
    """
    pm = _bundled_model() if model is None else model
    market_type = check_choice(market_type, "market_type", MARKET_TYPES, error=DataError)
    sector = check_choice(sector, "sector", list(pm["sectors"]), error=DataError)
    c = _cell(pm, market_type, sector, misspecified)
    inv = np.linalg.inv(np.eye(len(c.nodes)) - c.B)
    mean_eta = inv @ c.alpha
    cov_eta = inv @ c.Psi @ inv.T
    mu = c.nu + c.Lambda @ mean_eta
    sigma = c.Lambda @ cov_eta @ c.Lambda.T + c.Theta
    return (
        pd.Series(mu, index=list(c.items)),
        pd.DataFrame(sigma, index=list(c.items), columns=list(c.items)),
    )


# ---------------------------------------------------------------------------------------
# truth and syntax
# ---------------------------------------------------------------------------------------
def _sem_rows(pm: dict, market_type: str, sector: str, misspecified: bool) -> list[dict]:
    c = _cell(pm, market_type, sector, misspecified)
    rows = []

    def add(lhs, op, rhs, est):
        rows.append(
            {"part": "sem", "group": market_type, "sector": sector}
            | {"lhs": lhs, "op": op, "rhs": rhs, "est": float(est)}
        )

    for j, node in enumerate(c.nodes):
        for i, item in enumerate(c.items):
            if c.Lambda[i, j] != 0:
                add(node, "=~", item, c.Lambda[i, j])
    for i, node in enumerate(c.nodes):
        for j, pred in enumerate(c.nodes):
            if c.B[i, j] != 0:
                add(node, "~", pred, c.B[i, j])
    p = len(c.nodes)
    for i in range(p):
        for j in range(i, p):
            if c.Psi[i, j] != 0:
                add(c.nodes[i], "~~", c.nodes[j], c.Psi[i, j])
    for i in range(len(c.items)):
        for j in range(i, len(c.items)):
            if c.Theta[i, j] != 0:
                add(c.items[i], "~~", c.items[j], c.Theta[i, j])
    for i, node in enumerate(c.nodes):
        add(node, "~1", "", c.alpha[i])
    for i, item in enumerate(c.items):
        add(item, "~1", "", c.nu[i])
    points = _points()
    for spec in pm["measurement"].values():
        for item in spec["items"]:
            if item in c.items:
                tau = pm["thresholds"][points[item]][spec["thresholds"]]
                for k, t in enumerate(tau, start=1):
                    add(item, "|", f"t{k}", t)
    return rows


@functools.cache
def _points() -> dict[str, int]:
    dd = _dictionary()
    rated = dd[dd["values"] != ""]
    return dict(zip(rated["name"], rated["values"].str.count(r"\|") + 1, strict=True))


def _truth(pm: dict, sectors: Sequence[str], market_types: Sequence[str], misspecified: bool):
    rows = []
    for mt in market_types:
        for s in sectors:
            rows.extend(_sem_rows(pm, mt, s, misspecified))
    sem = pd.DataFrame(rows)
    # collapse rows that are equal in every sector of a market type to sector "all"
    key = ["group", "lhs", "op", "rhs"]
    nuniq = sem.groupby(key, sort=False)["est"].transform("nunique")
    common = sem[nuniq == 1].drop_duplicates(key).assign(sector="all")
    specific = sem[nuniq > 1]
    if len(sectors) == 1:
        common = sem.assign(sector="all")
        specific = sem.iloc[0:0]
    sem = pd.concat([common, specific], ignore_index=True)
    count_rows = []
    for outcome, spec in pm["posts"]["counts"].items():
        base = {"part": "count", "group": "all", "sector": "all", "lhs": outcome}
        count_rows.append(base | {"op": "~1", "rhs": "", "est": spec["intercept"]})
        for code, b in spec["action"].items():
            if code != "R1":
                count_rows.append(base | {"op": "~", "rhs": f"action_{code}", "est": b})
        for code, b in spec["platform"].items():
            if code != "fb":
                count_rows.append(base | {"op": "~", "rhs": f"platform_{code}", "est": b})
        count_rows.append(base | {"op": "~", "rhs": "log_followers", "est": spec["log_followers"]})
        count_rows.append(base | {"op": "alpha", "rhs": "", "est": spec["alpha"]})
    parts = [sem, pd.DataFrame(count_rows)]
    pv = pm.get("population_values")
    if pv and pv.get("model_hash") != model_hash(pm):
        warnings.warn(
            "the population model's stored mean-score population values were computed "
            f"for another model (hash {pv.get('model_hash')}, this model "
            f"{model_hash(pm)}); they are left out of the truth. Recompute them with "
            "nrel_research.data.simulate.compute_population_values(model=...).",
            DataQualityWarning,
            stacklevel=3,
        )
        pv = None
    if pv:
        ms = pd.DataFrame(pv["mean_score"]).assign(part="mean_score", group="all", sector="all")
        parts.append(ms)
    truth = pd.concat(parts, ignore_index=True)[TRUTH_COLUMNS]
    truth["est"] = truth["est"].astype(float)
    return truth


def model_syntax(
    market_type: str = "both",
    sector: str | None = None,
    *,
    misspecified: bool = False,
    model: dict | None = None,
) -> str:
    """Return the generating model in lavaan syntax.

    Parameters
    ----------
    market_type : {"B2B", "B2C", "both"}, default "both"
        E7 and its paths are part of the B2B and "both" models only.
    sector : str, optional
        Without a sector: the structure with free parameters, as an analyst would fit it
        (substantive factors and paths; no method factor, no intercepts). With an ISIC
        section of the population model: the full population model of that cell with
        every value fixed (method factor, variances, intercepts, and the
        misspecification when ``misspecified=True``), e.g. for ``lavaan::simulateData``.
    misspecified : bool, default False
    model : dict, optional
        A population model; by default the bundled one.

    Returns
    -------
    str

    Examples
    --------
    >>> from nrel_research.data.simulate import model_syntax
    >>> print(model_syntax("B2C").splitlines()[4])
    transactional_orientation =~ cmp_t1 + cmp_t2 + cmp_t3
    >>> "E7" in model_syntax("B2C"), "E7" in model_syntax("B2B")
    (False, True)
    >>> "0.45*crp_2" in model_syntax("B2B", "C")
    True
    """
    pm = _bundled_model() if model is None else model
    market_type = check_choice(market_type, "market_type", MARKET_TYPES, error=DataError)
    if sector is None:
        c = _cell(pm, market_type, next(iter(pm["sectors"])), misspecified=False)
        reverse = ", ".join(sorted(set(_dictionary().query("reverse_keyed")["name"])))
        lines = [
            f"# N-REL population structure, market type {market_type} (free parameters).",
            f"# Fit on items with the reverse-keyed ones scored back ({reverse}) and",
            "# log_employees = log(employees). The data also contain a common-method factor",
            "# (see model_syntax(market_type, sector) for every fixed value).",
        ]
        for j, node in enumerate(c.nodes):
            if node == "method":
                continue
            ind = [c.items[i] for i in range(len(c.items)) if c.Lambda[i, j] != 0]
            if ind:
                lines.append(f"{node} =~ " + " + ".join(ind))
        # union of paths over sectors (a path that is zero in one sector stays free)
        any_path = np.any([_cell(pm, market_type, s, False).B != 0 for s in pm["sectors"]], axis=0)
        for i, node in enumerate(c.nodes):
            preds = [c.nodes[j] for j in range(len(c.nodes)) if any_path[i, j]]
            if preds:
                lines.append(f"{node} ~ " + " + ".join(preds))
        for a, b, _ in pm.get("residual_covariances", []):
            if a in c.nodes and b in c.nodes:
                lines.append(f"{a} ~~ {b}")
        return "\n".join(lines) + "\n"
    sector = check_choice(sector, "sector", list(pm["sectors"]), error=DataError)
    rows = pd.DataFrame(_sem_rows(pm, market_type, sector, misspecified))
    lines = []
    for (lhs, op), g in rows.groupby(["lhs", "op"], sort=False):
        if op == "~1":
            lines.append(f"{lhs} ~ {g['est'].iloc[0]:.6g}*1")
            continue
        terms = " + ".join(f"{est:.6g}*{rhs}" for rhs, est in zip(g["rhs"], g["est"], strict=True))
        lines.append(f"{lhs} {op} {terms}")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------
# the study
# ---------------------------------------------------------------------------------------
@dataclass
class SimulatedStudy:
    """A simulated N-REL study with its truth.

    Attributes
    ----------
    responses : pandas.DataFrame
        One row per key informant (a share of the firms have a second informant, with
        ``second_informant = 1`` and the same ``firm_id``), columns in the data dictionary's names
        and codes (:meth:`nrel_research.instruments.Instrument.data_dictionary` of the full
        instrument), reverse-keyed items as respondents answer them, with missing answers,
        careless respondents and consent refusals. With ``discretize=False`` the rating
        items hold the continuous indicators (reverse-keyed ones multiplied by -1).
    posts : pandas.DataFrame
        One row per brand post of a consenting firm: ``post_id, firm_id, platform,
        posted_at, action, text, followers, likes, comments, shares``.
    truth : pandas.DataFrame
        Columns ``part, group, sector, lhs, op, rhs, est``. ``part`` is ``"sem"``
        (lavaan notation ``=~ ~ ~~ ~1``, and ``|`` for the thresholds ``t1, t2, ...``
        that turn each continuous indicator into its ordinal answer; ``group`` the
        market type; ``sector`` an ISIC section or ``"all"`` where the value is the same
        in every sector; everything in the metric of the continuous indicators, with
        reverse-keyed items scored back), ``"count"``
        (NB2 coefficients of each engagement count: ``~1`` intercept, ``~`` terms
        ``action_<code>`` (reference R1), ``platform_<code>`` (reference fb),
        ``log_followers``; ``alpha`` the dispersion) or ``"mean_score"`` (population
        values of the mean-score regressions, estimand (b) of the module docstring).
    latent : pandas.DataFrame
        The true latent scores behind every row of ``responses`` (same order):
        ``firm_id, second_informant`` and one column per latent variable, incl.
        ``method`` and ``log_employees``; E7 is NaN for B2C firms. The two informants of
        a firm share the firm's scores and differ in the respondent-level ones
        (``marker``, ``method``, ``informant_competence``).
    firms : pandas.DataFrame
        One row per row of ``responses`` (same order): ``firm_id, second_informant,
        sector, market_type, respondent_type`` (``attentive``, ``straight_liner``,
        ``speeder`` or ``refused``).
    syntax : dict
        The generating structure in lavaan syntax per market type (:func:`model_syntax`).
    """

    responses: pd.DataFrame
    posts: pd.DataFrame
    truth: pd.DataFrame
    latent: pd.DataFrame
    firms: pd.DataFrame
    syntax: dict = field(default_factory=dict)
    seed: int | None = None
    discretize: bool = True
    misspecified: bool = False

    def __repr__(self) -> str:
        return (
            f"<SimulatedStudy: {self.responses['firm_id'].nunique()} firms, "
            f"{len(self.responses)} responses, {len(self.posts)} posts, "
            f"{'ordinal' if self.discretize else 'continuous'} items"
            f"{', misspecified' if self.misspecified else ''}>"
        )


def simulate_study(
    n_firms: int = 600,
    sectors: Sequence[str] | None = None,
    seed: int | np.random.Generator | None = 0,
    discretize: bool = True,
    misspecified: bool = False,
    *,
    market_types: Sequence[str] | None = None,
    careless: bool = True,
    missing: bool = True,
    posts: bool = True,
    model: dict | None = None,
) -> SimulatedStudy:
    """Draw a complete simulated N-REL study from the population model.

    Parameters
    ----------
    n_firms : int, default 600
        Number of sampled firms. Each has a key informant; a share (population model:
        ``respondents.second_informant``) also has a second informant, in an extra row.
    sectors : sequence of str, optional
        ISIC sections to sample from (shares renormalised); by default all sectors of
        the population model (C, G, I, J, K, M, Q).
    seed : int or numpy.random.Generator, default 0
        The same seed gives an identical study.
    discretize : bool, default True
        Rating items as ordinal codes via thresholds; ``False`` returns the continuous
        indicators (for estimator checks not confounded by categorisation).
    misspecified : bool, default False
        Add the deliberate cross-loading and correlated error of the population model's
        ``misspecification`` section (the model in ``syntax`` omits them).
    market_types : sequence of {"B2B", "B2C", "both"}, optional
        Restrict the market types (the sector mixes are renormalised).
    careless : bool, default True
        Include straight-liners and speeders (and attentive respondents' occasional
        failed attention checks) at the population model's shares.
    missing : bool, default True
        Include consent refusals and MCAR and MAR missing answers.
    posts : bool, default True
        Draw the posts (skip them for large survey-only draws).
    model : dict, optional
        A population model (:func:`load_population_model`); by default the bundled one.

    Returns
    -------
    SimulatedStudy

    Raises
    ------
    DataError
        If ``sectors`` or ``market_types`` name a level the population model lacks, or
        their combination leaves no firm to sample.

    Examples
    --------
    >>> from nrel_research.data.simulate import simulate_study
    >>> a = simulate_study(n_firms=30, seed=7)
    >>> b = simulate_study(n_firms=30, seed=7)
    >>> a.responses.equals(b.responses) and a.posts.equals(b.posts)
    True
    >>> bool(a.responses.loc[a.responses["market_type"] == 2, "e7_1"].isna().all())
    True
    """
    pm = _bundled_model() if model is None else model
    n = check_positive_int(n_firms, "n_firms")
    rng = check_rng(seed)
    all_sectors = list(pm["sectors"])
    if sectors is None:
        sectors = all_sectors
    elif isinstance(sectors, str):
        sectors = [sectors]
    sectors = [check_choice(s, "sectors", all_sectors, error=DataError) for s in sectors]
    if market_types is None:
        market_types = list(MARKET_TYPES)
    elif isinstance(market_types, str):
        market_types = [market_types]
    market_types = [
        check_choice(m, "market_types", MARKET_TYPES, error=DataError) for m in market_types
    ]
    sectors = sorted(set(sectors), key=all_sectors.index)
    market_types = sorted(set(market_types), key=MARKET_TYPES.index)

    # -- firms: sector, market type ------------------------------------------------------
    cell_p = np.array(
        [
            pm["sectors"][s]["share"] * pm["sectors"][s]["market_type"][m]
            for s in sectors
            for m in market_types
        ]
    )
    if cell_p.sum() <= 0:
        raise DataError(
            f"sectors={sectors} with market_types={market_types} have no firms in the "
            "population model; choose other levels."
        )
    cells = [(s, m) for s in sectors for m in market_types]
    which = rng.choice(len(cells), size=n, p=cell_p / cell_p.sum())
    sector = np.array([cells[k][0] for k in which], dtype=object)
    mtype = np.array([cells[k][1] for k in which], dtype=object)
    width = max(4, len(str(n)))
    firm_id = np.array([f"F{i + 1:0{width}d}" for i in range(n)], dtype=object)

    # -- latent scores and continuous indicators, cell by cell ---------------------------
    all_nodes = EXOGENOUS + tuple(pm["structural"])
    latent = np.full((n, len(all_nodes)), np.nan)
    items = [i for spec in pm["measurement"].values() for i in spec["items"]]
    x = np.full((n, len(items)), np.nan)
    for s, m in cells:
        idx = np.flatnonzero((sector == s) & (mtype == m))
        if idx.size == 0:
            continue
        c = _cell(pm, m, s, misspecified)
        inv = np.linalg.inv(np.eye(len(c.nodes)) - c.B)
        zeta = rng.standard_normal((idx.size, len(c.nodes))) @ _chol(c.Psi).T + c.alpha
        eta = zeta @ inv.T
        eps = rng.standard_normal((idx.size, len(c.items))) @ _chol(c.Theta).T
        xc = c.nu + eta @ c.Lambda.T + eps
        latent[np.ix_(idx, [all_nodes.index(v) for v in c.nodes])] = eta
        x[np.ix_(idx, [items.index(v) for v in c.items])] = xc
    lat = pd.DataFrame(latent, columns=list(all_nodes))
    L = {v: lat[v].to_numpy() for v in all_nodes}

    dd = _dictionary()
    responses, firms = _responses(pm, rng, dd, n, firm_id, sector, mtype, L, items, x)
    followers = responses.filter(regex=r"^_followers_").copy()
    second, lat2, of_first = _second_informants(
        pm, rng, responses, mtype, sector, lat, misspecified
    )
    responses = pd.concat([responses, second], ignore_index=True)
    firms = pd.concat([firms, firms.iloc[of_first]], ignore_index=True)
    firms["second_informant"] = responses["second_informant"].to_numpy()
    responses, firms = _respondent_behaviour(
        pm, rng, dd, responses, firms, items, discretize, careless, missing
    )
    first = slice(0, n)  # the first informants, in firm order (aligned with the latent scores)
    post_frame = (
        _posts(pm, rng, responses.iloc[first], firms.iloc[first], L, followers)
        if posts
        else _empty_posts()
    )
    order = np.lexsort((responses["second_informant"].to_numpy(), responses["firm_id"].to_numpy()))
    responses = responses.iloc[order].reset_index(drop=True)
    firms = firms.iloc[order].reset_index(drop=True)
    firms = firms[["firm_id", "second_informant", "sector", "market_type", "respondent_type"]]
    lat = pd.concat([lat, lat2], ignore_index=True).iloc[order].reset_index(drop=True)
    truth = _truth(pm, sectors, market_types, misspecified)
    lat.insert(0, "firm_id", responses["firm_id"].to_numpy())
    lat.insert(1, "second_informant", responses["second_informant"].to_numpy())
    return SimulatedStudy(
        responses=responses,
        posts=post_frame,
        truth=truth,
        latent=lat,
        firms=firms,
        syntax={m: model_syntax(m, model=pm) for m in market_types},
        seed=seed if isinstance(seed, int) else None,
        discretize=discretize,
        misspecified=misspecified,
    )


def _second_informants(pm, rng, responses, mtype, sector, lat, misspecified):
    """Draw a second key informant for a share of the firms (Kumar et al., 1993).

    The second informant answers about the same firm: the same latent firm scores, but
    own respondent-level variables (marker, method factor, informant competence), own
    measurement errors, role, tenure and paradata; the firm's facts (sector, size, age,
    platforms, follower counts, archival figures) are copied. Returns the new rows, their
    latent scores and the positions of their firms' first-informant rows.
    """
    R = pm["respondents"]
    n = len(responses)
    idx = np.flatnonzero(rng.random(n) < R["second_informant"])
    out = responses.iloc[idx].copy()
    out["second_informant"] = 1
    personal = ("marker", "method", "informant_competence")
    var = pm["exogenous"]["variances"]
    lat2 = lat.iloc[idx].copy()
    for v in personal:
        lat2[v] = np.sqrt(var[v]) * rng.standard_normal(idx.size)
    lat2 = lat2.set_axis(idx)
    for s, m in sorted(set(zip(sector[idx], mtype[idx], strict=True))):
        sel = idx[(sector[idx] == s) & (mtype[idx] == m)]
        c = _cell(pm, m, s, misspecified)
        eta = lat2.loc[sel, list(c.nodes)].to_numpy()
        eps = rng.standard_normal((sel.size, len(c.items))) @ _chol(c.Theta).T
        xc = c.nu + eta @ c.Lambda.T + eps
        rows = np.searchsorted(idx, sel)
        for k, item in enumerate(c.items):
            out.iloc[rows, out.columns.get_loc(item)] = xc[:, k]
    k = len(idx)
    roles = rng.choice(6, size=k, p=np.asarray(R["roles"]["probabilities"])) + 1
    out["resp_role"] = roles
    otxt = np.array(R["roles"]["other_texts"], dtype=object)
    out["resp_role_other"] = np.where(roles == 6, otxt[rng.integers(0, len(otxt), k)], None)
    tf = np.minimum(rng.gamma(2.0, 4.0, k), out["firm_age"].to_numpy(dtype=float))
    out["tenure_firm"] = np.round(np.minimum(tf, 70), 1)
    out["tenure_role"] = np.round(tf * rng.uniform(0.3, 1.0, k), 1)
    # the second informant answers 1-5 days after the first, in office hours
    u = rng.uniform(1.0, 6.0, k)
    day = out["start_time"].dt.normalize() + pd.to_timedelta(np.floor(u), unit="D")
    out["start_time"] = day + pd.to_timedelta(np.round((8 + 11 * (u % 1)) * 3600), unit="s")
    return out.reset_index(drop=True), lat2.reset_index(drop=True), idx


def _chol(S: np.ndarray) -> np.ndarray:
    try:
        return np.linalg.cholesky(S)
    except np.linalg.LinAlgError as exc:
        raise FrameworkError(
            "a covariance matrix of the population model is not positive definite; "
            "check the variances and covariances in the population model file."
        ) from exc


def _responses(pm, rng, dd, n, firm_id, sector, mtype, L, items, x):
    """Draw firm profile, social media mix, controls, paradata (before respondent behaviour)."""
    R = pm["respondents"]
    cols: dict[str, object] = {}
    mt_code = np.array([int(pm["market_types"][m]["code"]) for m in mtype])
    cols["consent"] = np.ones(n, dtype=int)
    cols["firm_id"] = firm_id
    cols["second_informant"] = np.zeros(n, dtype=int)
    cols["market_type"] = mt_code
    cols["sector"] = sector
    cols["sector_other"] = np.full(n, None, dtype=object)
    for k, item in enumerate(items):
        cols[item] = x[:, k]
    # social media mix
    P = pm["platforms"]
    adopt = np.column_stack(
        [[P["adoption"][m][p] for m in mtype] for p in P["codes"]]
    )  # n x platforms
    has = rng.random(adopt.shape) < adopt
    none = ~has.any(axis=1)
    has[none, np.argmax(adopt[none], axis=1)] = True
    oth = rng.random(n) < P["other_platform"]
    for j, p in enumerate(P["codes"]):
        cols[f"smx_platforms_{p}"] = has[:, j].astype(int)
    cols["smx_platforms_oth"] = oth.astype(int)
    other_txt = np.array(P["other_platform_texts"], dtype=object)
    cols["smx_platforms_other"] = np.where(oth, other_txt[rng.integers(0, len(other_txt), n)], None)
    feats = list(P["features"])
    for j, p in enumerate(P["codes"]):
        draws = rng.random((n, len(feats))) < np.array([P["features"][f] for f in feats])
        for k, f in enumerate(feats):
            cols[f"smx_feat_{p}_{f}"] = np.where(has[:, j], draws[:, k].astype(float), np.nan)
    for j, p in enumerate(P["codes"]):
        cols[f"handle_{p}"] = np.where(
            has[:, j], [f"@nrelsim_{f.lower()}_{p}" for f in firm_id], None
        )
    F = P["followers"]
    size_c = L["log_employees"] - SIZE_CENTER
    for j, p in enumerate(P["codes"]):
        logf = (
            F["base"][p]
            + F["b_size"] * size_c
            + F["b_connections"] * L["connections"]
            + F["sd"] * rng.standard_normal(n)
        )
        true_f = np.where(has[:, j], np.maximum(1, np.round(np.exp(logf))), np.nan)
        cols[f"_followers_{p}"] = true_f  # the real count (posts); dropped from the export
        # informants report an approximate count: two significant digits
        digits = np.floor(np.log10(np.maximum(true_f, 1)))
        scale = 10.0 ** np.maximum(digits - 1, 0)
        cols[f"net_followers_{p}"] = np.round(true_f / scale) * scale
    rs = R["reply_share"]
    reply = rs["intercept"] + rs["connections"] * L["connections"] + rs["E6"] * L["E6"]
    cols["net_reply_share"] = np.clip(np.round(reply + rs["sd"] * rng.standard_normal(n)), 0, 100)
    # controls
    employees = np.maximum(1, np.round(np.exp(L["log_employees"])))
    age = np.maximum(1, np.round(np.exp(L["log_firm_age"])))
    cols["employees"] = employees
    cols["firm_age"] = age
    sm = R["sm_years"]
    smy = sm["intercept"] + sm["per_log_age"] * L["log_firm_age"]
    smy = smy + sm["sd"] * rng.standard_normal(n)
    cols["sm_years"] = np.round(np.clip(smy, 0, np.minimum(age, 20)), 1)
    bp = R["budget_pct"]
    act = np.nanmean(np.column_stack([L[a] for a in ACTIONS]), axis=1)
    budget = bp["intercept"] + bp["actions_mean"] * act + bp["sd"] * rng.standard_normal(n)
    cols["smm_budget_pct"] = np.round(np.clip(budget, 0, 100), 1)
    roles = rng.choice(6, size=n, p=np.array(R["roles"]["probabilities"]) / 1.0) + 1
    cols["resp_role"] = roles
    otxt = np.array(R["roles"]["other_texts"], dtype=object)
    cols["resp_role_other"] = np.where(roles == 6, otxt[rng.integers(0, len(otxt), n)], None)
    tf = np.minimum(rng.gamma(2.0, 4.0, n), age)
    cols["tenure_firm"] = np.round(np.minimum(tf, 70), 1)
    cols["tenure_role"] = np.round(tf * rng.uniform(0.3, 1.0, n), 1)
    # archival figures (research team) for a share of firms, related to marketing performance
    arch = rng.random(n) < R["archival_share"]
    mp = L["marketing_performance"]
    cols["arch_year"] = np.where(arch, 2025.0, np.nan)
    revenue = employees * np.exp(11.5 + 0.5 * rng.standard_normal(n))
    cols["arch_revenue"] = np.where(arch, np.round(revenue, -3), np.nan)
    growth = np.clip(3 + 4 * mp + 8 * rng.standard_normal(n), -100, 10000)
    cols["arch_revenue_growth"] = np.where(arch, np.round(growth, 1), np.nan)
    roa = np.clip(4 + 2 * mp + 5 * rng.standard_normal(n), -100, 100)
    cols["arch_roa"] = np.where(arch, np.round(roa, 1), np.nan)
    # paradata
    W = R["waves"]
    b = W["late_response"]["market_orientation"]
    z = b * L["market_orientation"] + rng.standard_normal(n)
    cuts = norm.ppf(np.cumsum(W["probabilities"])[:-1]) * np.sqrt(1 + b**2)
    wave = 1 + (z[:, None] > cuts).sum(axis=1)
    # a day within the wave's span, and a time of day within office hours (08:00-19:00)
    u = rng.uniform(0, W["span_days"], n)
    day0 = np.array(W["start_day"])[wave - 1] + np.floor(u) + (8 + 11 * (u % 1)) / 24
    field = pd.Timestamp(R["field_start"]).normalize()
    start = field + pd.to_timedelta(np.round(day0 * 86400), unit="s")
    cols["start_time"] = start
    cols["end_time"] = start  # set with the respondent behaviour
    cols["wave"] = wave
    cols["reminder"] = wave - 1
    firms = pd.DataFrame({"firm_id": firm_id, "sector": sector, "market_type": mtype})
    firms["respondent_type"] = "attentive"
    frame = pd.DataFrame(cols)
    return frame, firms


def _respondent_behaviour(pm, rng, dd, df, firms, items, discretize, careless, missing):
    R = pm["respondents"]
    df = df.copy()  # one consolidated block before the column-wise updates
    n = len(df)
    thresholds = pm["thresholds"]
    points = {r.name: len(r.values.split("|")) for r in dd.itertuples() if r.name in set(items)}
    reverse = set(dd.loc[dd["reverse_keyed"], "name"])
    sets = {i: spec["thresholds"] for spec in pm["measurement"].values() for i in spec["items"]}
    mtype = firms["market_type"].to_numpy()
    skip_e7 = mtype == "B2C"
    # careless respondents
    kind = np.full(n, "attentive", dtype=object)
    if careless:
        u = rng.random(n)
        c = R["careless"]
        kind[u < c["straight_liner"]] = "straight_liner"
        kind[(u >= c["straight_liner"]) & (u < c["straight_liner"] + c["speeder"])] = "speeder"
    straight_code = rng.choice([1, 4, 4, 5, 7, 7], size=n)
    straight_cont = rng.standard_normal(n)
    for item in items:
        xv = df[item].to_numpy(dtype=float, copy=True)
        K = points[item]
        if discretize:
            tau = np.asarray(thresholds[K][sets[item]])
            code = np.searchsorted(tau, xv, side="left").astype(float) + 1
            code[np.isnan(xv)] = np.nan
            if item in reverse:
                code = K + 1 - code
            code[kind == "speeder"] = rng.integers(1, K + 1, n)[kind == "speeder"]
            sl = kind == "straight_liner"
            code[sl] = np.minimum(straight_code[sl], K)
            vals = code
        else:
            vals = -xv if item in reverse else xv.copy()
            sp = kind == "speeder"
            vals[sp] = rng.standard_normal(sp.sum())
            sl = kind == "straight_liner"
            vals[sl] = straight_cont[sl]
        if item.startswith("e7_"):
            vals[skip_e7] = np.nan
        df[item] = vals
    # attention checks
    for item in ("attn_1", "attn_2"):
        correct = int(dd.loc[dd["name"] == item, "item"].map(_correct_answer).iloc[0])
        K = len(dd.loc[dd["name"] == item, "values"].iloc[0].split("|"))
        ans = np.full(n, correct)
        fail = (rng.random(n) > R["attention_pass"]["attentive"]) & careless
        shift = rng.choice([-1, 1], size=n)
        ans = np.where(fail, np.clip(correct + shift, 1, K), ans)
        ans = np.where(kind == "speeder", rng.integers(1, K + 1, n), ans)
        ans = np.where(kind == "straight_liner", np.minimum(straight_code, K), ans)
        df[item] = ans
    # duration
    D = R["duration_minutes"]
    med = np.where(kind == "speeder", D["speeder_median"], D["median"])
    minutes = med * np.exp(D["sdlog"] * rng.standard_normal(n))
    df["end_time"] = df["start_time"] + pd.to_timedelta(np.round(minutes * 60), unit="s")
    # missing answers
    if missing:
        M = R["missing"]
        # MAR on the (observed) firm size: the value before its own MCAR deletion
        size_c = np.log(df["employees"].to_numpy(dtype=float)) - SIZE_CENTER
        answerable = [
            r.name
            for r in dd.itertuples()
            if r.audience == "respondent"
            and not r.required
            and r.type in ("integer", "number")
            and r.scale not in ("platforms", "features")
        ]
        for col in answerable:
            v = df[col].to_numpy(dtype=float, copy=True)
            v[rng.random(n) < M["mcar"]] = np.nan
            df[col] = v
        mo = M["mar_outcomes"]
        p_out = 1 / (1 + np.exp(-(mo["intercept"] + mo["slope"] * size_c)))
        skip_out = rng.random(n) < p_out
        for col in df.columns:
            if col.startswith(OUTCOME_PREFIXES):
                v = df[col].to_numpy(dtype=float, copy=True)
                v[skip_out] = np.nan
                df[col] = v
        mb = M["mar_budget"]
        p_b = 1 / (1 + np.exp(-(mb["intercept"] + mb["slope"] * size_c)))
        v = df["smm_budget_pct"].to_numpy(dtype=float, copy=True)
        v[rng.random(n) < p_b] = np.nan
        df["smm_budget_pct"] = v
        # a skipped role question hides its follow-up
        df["resp_role_other"] = df["resp_role_other"].where(df["resp_role"].notna(), None)
        refused = rng.random(n) < R["consent_refusal"]
        kind[refused] = "refused"
        keep = {"consent", "firm_id", "second_informant", "start_time", "end_time"}
        keep |= {"wave", "reminder"}
        for col in df.columns:
            if col not in keep:
                if pd.api.types.is_numeric_dtype(df[col]):
                    df[col] = df[col].astype(float).where(~refused)
                else:
                    df[col] = df[col].astype(object).where(~refused, None)
        df["consent"] = np.where(refused, 0, 1)
        df.loc[refused, "end_time"] = df.loc[refused, "start_time"] + pd.Timedelta(minutes=1)
    firms["respondent_type"] = kind
    # data-dictionary order and types
    out = {}
    for r in dd.itertuples():
        v = df[r.name]
        if r.type == "integer" and not (r.name in items and not discretize):
            v = pd.array(np.asarray(v, dtype=float), dtype="Float64").astype("Int64")
        elif r.type == "number" or (r.name in items and not discretize):
            v = v.astype(float)
        elif r.type == "string":
            v = v.astype(object).where(pd.notna(v), None)
        out[r.name] = v
    return pd.DataFrame(out), firms


@functools.cache
def _correct_answers() -> dict:
    return {it.id: it.correct for it in instruments.load_item_bank().items if it.correct}


def _correct_answer(item_id: str) -> str:
    return _correct_answers()[item_id]


def _empty_posts() -> pd.DataFrame:
    cols = ["post_id", "firm_id", "platform", "posted_at", "action", "text", "followers"]
    return pd.DataFrame(columns=[*cols, "likes", "comments", "shares"])


def _posts(pm, rng, responses, firms, L, true_followers) -> pd.DataFrame:
    """Draw the posts of consenting firms over the period, with engagement counts (NB2)."""
    P = pm["posts"]
    plat = pm["platforms"]["codes"]
    ok = np.flatnonzero(firms["respondent_type"].to_numpy() != "refused")
    pf = P["per_firm"]
    size_c = L["log_employees"][ok] - SIZE_CENTER
    mean = pf["mean"] * np.exp(pf["b_size"] * size_c)
    lam = rng.gamma(1 / pf["alpha"], pf["alpha"] * mean)
    k = rng.poisson(lam)
    firm_of_post = np.repeat(ok, k)
    m = firm_of_post.size
    # platform: uniform over the firm's platforms (followers from its survey-time counts)
    has = np.column_stack([responses[f"smx_platforms_{p}"].to_numpy(dtype=float) for p in plat])
    # answers may be missing after refusal: posts only for consenting firms, whose mix is known
    has = np.nan_to_num(has)
    fol = np.column_stack([true_followers[f"_followers_{p}"].to_numpy() for p in plat])
    w = has[firm_of_post]
    w = w / w.sum(axis=1, keepdims=True)
    pj = (rng.random((m, 1)) > np.cumsum(w, axis=1)).sum(axis=1)
    pj = np.minimum(pj, len(plat) - 1)
    followers = fol[firm_of_post, pj]
    # action code from the firm's action mix
    A = P["action_choice"]
    base = np.array([A["base"][a] for a in ACTIONS])
    intens = np.column_stack([L[a] for a in ACTIONS])[firm_of_post]
    util = base + A["kappa"] * intens
    util[np.isnan(util)] = -np.inf  # E7 for B2C
    util -= util.max(axis=1, keepdims=True)
    prob = np.exp(util)
    prob /= prob.sum(axis=1, keepdims=True)
    aj = (rng.random((m, 1)) > np.cumsum(prob, axis=1)).sum(axis=1)
    aj = np.minimum(aj, len(ACTIONS) - 1)
    action = np.array(ACTIONS, dtype=object)[aj]
    platform = np.array(plat, dtype=object)[pj]
    # time
    t0, t1 = (pd.Timestamp(t) for t in P["period"])
    span = (t1 - t0).total_seconds() + 86400
    posted = t0 + pd.to_timedelta(np.round(rng.uniform(0, span, m) / 60) * 60, unit="s")
    # counts
    logf = np.log(np.maximum(followers, 1))
    counts = {}
    for outcome, spec in P["counts"].items():
        eta = (
            spec["intercept"]
            + np.array([spec["action"][a] for a in ACTIONS])[aj]
            + np.array([spec["platform"][p] for p in plat])[pj]
            + spec["log_followers"] * logf
        )
        mu = np.exp(eta)
        a = spec["alpha"]
        counts[outcome] = rng.poisson(rng.gamma(1 / a, a * mu))
    text = _texts(rng, action)
    df = pd.DataFrame(
        {
            "firm_id": firms["firm_id"].to_numpy()[firm_of_post],
            "platform": platform,
            "posted_at": posted,
            "action": action,
            "text": text,
            "followers": followers.astype(np.int64),
            **counts,
        }
    )
    df = df.sort_values(["firm_id", "posted_at", "platform"], kind="stable").reset_index(drop=True)
    width = max(5, len(str(len(df))))
    df.insert(0, "post_id", [f"P{i + 1:0{width}d}" for i in range(len(df))])
    return df


def _texts(rng, action: np.ndarray) -> list[str]:
    T = _templates()
    fill = T["fill"]
    keys = sorted(fill)
    picks = {k: rng.integers(0, len(fill[k]), action.size) for k in keys}
    tix = rng.random(action.size)
    out = []
    for i, a in enumerate(action):
        temps = T["templates"][a]
        t = temps[int(tix[i] * len(temps))]
        out.append(t.format(**{k: fill[k][picks[k][i]] for k in keys}))
    return out


# ---------------------------------------------------------------------------------------
# mean-score population values (estimand b)
# ---------------------------------------------------------------------------------------
def mean_scores(responses: pd.DataFrame, constructs: Sequence[str], model=None) -> pd.DataFrame:
    """Item-mean construct scores of simulated responses (reverse-keyed items reversed).

    A score is missing when any of its items is missing (complete-case scores, the
    definition used by the mean-score estimand).

    Examples
    --------
    >>> from nrel_research.data.simulate import simulate_study, mean_scores
    >>> s = simulate_study(n_firms=20, seed=3, careless=False, missing=False, posts=False)
    >>> mean_scores(s.responses, ["R2"]).columns.tolist()
    ['R2']
    """
    pm = _bundled_model() if model is None else model
    dd = _dictionary()
    reverse = set(dd.loc[dd["reverse_keyed"], "name"])
    points = dict(zip(dd["name"], dd["values"].str.count(r"\|") + 1, strict=True))
    out = {}
    for c in constructs:
        its = list(pm["measurement"][c]["items"])
        block = responses[its].astype(float).copy()
        for it in its:
            if it in reverse:
                block[it] = points[it] + 1 - block[it]
        out[c] = block.mean(axis=1, skipna=False)
    return pd.DataFrame(out)


def _mean_score_design(responses, pm):
    regs = pm["mean_score_regressions"]
    needed = sorted({c for y, xs in regs.items() for c in [y, *xs]})
    return mean_scores(responses, needed, pm)


def compute_population_values(
    n_firms: int = 1_000_000, seed: int = 20160101, chunk: int = 100_000, model=None
) -> pd.DataFrame:
    """Compute the population values of the mean-score regressions (estimand b).

    OLS of each ``mean_score_regressions`` outcome on its predictors, pooled over
    ``n_firms`` simulated attentive respondents with complete data (default sector and
    market-type mix, ordinal answers), accumulated chunk by chunk as cross-products.

    Returns
    -------
    pandas.DataFrame
        ``lhs, op, rhs, est`` (``~1`` rows are intercepts).
    """
    pm = _bundled_model() if model is None else model
    rng = check_rng(seed)
    regs = pm["mean_score_regressions"]
    acc = {y: [0.0, 0.0] for y in regs}
    done = 0
    while done < n_firms:
        size = min(chunk, n_firms - done)
        s = simulate_study(size, seed=rng, careless=False, missing=False, posts=False, model=pm)
        scores = _mean_score_design(s.responses, pm)
        for y, xs in regs.items():
            d = scores[[y, *xs]].dropna()
            X = np.column_stack([np.ones(len(d)), d[xs].to_numpy()])
            acc[y][0] = acc[y][0] + X.T @ X
            acc[y][1] = acc[y][1] + X.T @ d[y].to_numpy()
        done += size
    rows = []
    for y, xs in regs.items():
        beta = np.linalg.solve(acc[y][0], acc[y][1])
        rows.append({"lhs": y, "op": "~1", "rhs": "", "est": float(beta[0])})
        rows.extend(
            {"lhs": y, "op": "~", "rhs": x, "est": float(b)}
            for x, b in zip(xs, beta[1:], strict=True)
        )
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------------------
# the bundled study
# ---------------------------------------------------------------------------------------
def write_bundled_study(
    out: str | PathLike[str] = "data/simulated",
    *,
    seed: int = BUNDLED_SEED,
    n_firms: int = BUNDLED_N_FIRMS,
) -> list[Path]:
    """Write the bundled simulated study (the files under ``data/simulated/``).

    Writes ``responses.csv`` (data-dictionary names and codes), ``posts.csv``,
    ``truth.csv`` (the tidy truth), ``firms.csv`` (sector, market type, respondent type
    and true latent scores, rounded to 6 decimals). The defaults regenerate the shipped
    files byte for byte (a test checks this).

    Returns
    -------
    list of pathlib.Path
        The files written.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    study = simulate_study(n_firms=n_firms, seed=seed)
    firms = study.firms.merge(study.latent, on=["firm_id", "second_informant"])
    files = {
        "responses.csv": study.responses,
        "posts.csv": study.posts,
        "truth.csv": study.truth,
        "firms.csv": firms.round(6),
    }
    written = []
    for name, frame in files.items():
        path = out / name
        frame.to_csv(path, index=False, lineterminator="\n", float_format="%.10g")
        written.append(path)
    return written


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: ``python -m nrel_research.data.simulate --out data/simulated``."""
    ap = argparse.ArgumentParser(
        prog="python -m nrel_research.data.simulate",
        description="Write the bundled simulated N-REL study (or print population values).",
    )
    ap.add_argument("--out", default="data/simulated", help="output folder")
    ap.add_argument("--seed", type=int, default=BUNDLED_SEED)
    ap.add_argument("--n-firms", type=int, default=BUNDLED_N_FIRMS)
    ap.add_argument(
        "--population-values",
        action="store_true",
        help="compute the mean-score population values and print them as YAML",
    )
    args = ap.parse_args(argv)
    if args.population_values:
        n, seed = 1_000_000, 20160101
        pv = compute_population_values(n, seed)
        block = {
            "population_values": {
                "n_firms": n,
                "seed": seed,
                "model_hash": model_hash(),
                "mean_score": pv.round(5).to_dict(orient="records"),
            }
        }
        print(yaml.safe_dump(block, sort_keys=False))
        return 0
    for path in write_bundled_study(args.out, seed=args.seed, n_firms=args.n_firms):
        print(path)
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
