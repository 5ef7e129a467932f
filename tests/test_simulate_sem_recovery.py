"""Recovery of the simulator's latent-variable truth by the SEM engine (estimand (a)).

Oracle: simulation with known truth. ``nrel_research.data.simulate_study`` draws a large
study from the population model; ``nrel_research.sem.fit`` (normal-theory ML, lavaan-exact,
itself checked against lavaan elsewhere) fits the *full* generating structure of that one
market type x sector cell to the continuous indicators, and every freely estimated
parameter is compared with the truth.

Design (so that the fitted model is exactly the generating one and its parameters are on
the truth's scale):

* one sector and one market type per draw (``sectors=[s], market_types=[m]``): latent
  means, the variance of log(employees) and one path differ between cells, so a pooled
  draw would be a mixture that no single-group model reproduces;
* ``discretize=False, careless=False, missing=False``, first informants only (a second
  informant shares the firm's latent scores, so the rows would not be independent);
* reverse-keyed items (``reverse_keyed`` in the data dictionary: mo_6, saa_4) are
  multiplied by -1, because the continuous ``responses`` hold them as answered and the
  truth is in the scored metric;
* all constructs of the cell, every regression and residual covariance of the truth, and
  the common-method factor: ``method =~ m*item`` on every rating item with one common
  label (the truth has the same loading 0.15 everywhere), variance 1, uncorrelated with the
  exogenous factors (as in the truth). Not modelling it would bias every loading upwards
  and every factor covariance (the method factor adds 0.15^2 to each item covariance);
* the latent metric of the truth: exogenous latent variances fixed at their true value 1,
  every endogenous factor's disturbance variance fixed at its true value, every loading
  free (``std_lv=True`` frees the first loadings; the explicit fixed variances override
  it). This is one scaling constraint per factor, as marker scaling is, so it restricts
  nothing; the loadings, paths, covariances and error variances are then directly the
  truth's quantities. Covariances the lavaan defaults leave free but the truth lacks
  (e.g. marker with the orientations) are compared with 0;
* log_employees, the observed covariate of R1 and L1, is taken from ``latent`` (the
  exact value the simulator used). The response column ``employees`` is
  ``round(exp(log_employees))``, so ``log(employees)`` carries rounding error (largest for
  small firms) that would attenuate these two paths slightly; that is a property of
  the data, not of the estimand.

Tolerances (Monte Carlo error of n = 20,000 firms): every free parameter satisfies
``|est - truth| <= 4.5 se + 0.002`` (about 240-250 distinct parameters per fit; under correct
specification ``P(|z| > 4.5) = 7e-6`` each, i.e. < 0.2 % for the family; the 0.002 is an
allowance for the O(1/n) finite-sample bias of ML, far below the se of about 0.005-0.01),
and the 95 % Wald intervals cover the truth for at least 90 % of them (nominal 95 %; the
binomial sd of the coverage share is 1.4 points, so 90 % is about 3.5 sd below).
The exact-fit chi-square test must not reject (p > 0.001): with 3,000+ degrees of freedom
and n = 20,000 it detects any discrepancy between the draw and the documented model.
"""

from __future__ import annotations

import pandas as pd
import pytest
from scipy.stats import norm

from nrel_research import instruments, sem
from nrel_research.data import simulate_study

N_FIRMS = 20_000
Z_MAX = 4.5
BIAS_ALLOWANCE = 0.002
MIN_COVERAGE = 0.90

# (sector, market type): B2C without E7; B2B with E7 and the non-invariant crp_2 loading;
# "both" with E7. Each is the largest market type of its sector.
CELLS = [("G", "B2C"), ("M", "B2B"), ("C", "both")]


@pytest.fixture(scope="module")
def reversed_items() -> list[str]:
    dd = instruments.build(randomize_within_blocks=False).data_dictionary()
    return sorted(dd.loc[dd["reverse_keyed"].astype(bool), "name"])


def _draw(sector, market_type, seed, reversed_items, misspecified=False):
    study = simulate_study(
        N_FIRMS,
        sectors=[sector],
        market_types=[market_type],
        seed=seed,
        discretize=False,
        misspecified=misspecified,
        careless=False,
        missing=False,
        posts=False,
    )
    first = (study.responses["second_informant"] == 0).to_numpy()
    data = study.responses.loc[first].reset_index(drop=True)
    for item in reversed_items:
        data[item] = -data[item].astype(float)
    data["log_employees"] = study.latent.loc[first, "log_employees"].to_numpy()
    truth = study.truth.query("part == 'sem' and group == @market_type")
    return study, data, truth


def _syntax(truth: pd.DataFrame) -> str:
    """The generating structure of one cell, in the truth's latent metric (module docstring)."""
    load = truth[truth["op"] == "=~"]
    paths = truth[truth["op"] == "~"]
    var = truth[(truth["op"] == "~~") & (truth["lhs"] == truth["rhs"])].set_index("lhs")["est"]
    endogenous = list(dict.fromkeys(paths["lhs"]))
    factors = [f for f in dict.fromkeys(load["lhs"]) if f != "method"]
    lines = []
    for f in factors:
        lines.append(f"{f} =~ " + " + ".join(load.loc[load["lhs"] == f, "rhs"]))
    lines.append(
        "method =~ " + " + ".join(f"m*{i}" for i in load.loc[load["lhs"] == "method", "rhs"])
    )
    lines.append(f"method ~~ {var['method']:.6g}*method")
    for f in factors:
        if f not in endogenous:
            lines.append(f"{f} ~~ {var[f]:.6g}*{f}")
            lines.append(f"method ~~ 0*{f}")
    for y in endogenous:
        lines.append(f"{y} ~ " + " + ".join(paths.loc[paths["lhs"] == y, "rhs"]))
        lines.append(f"{y} ~~ {var[y]:.6g}*{y}")
    cov = truth[(truth["op"] == "~~") & (truth["lhs"] != truth["rhs"])]
    for lhs, rhs in zip(cov["lhs"], cov["rhs"], strict=True):
        if lhs in endogenous:
            lines.append(f"{lhs} ~~ {rhs}")
    return "\n".join(lines) + "\n"


def _compare(result, truth: pd.DataFrame) -> pd.DataFrame:
    """Free parameters with their true values (0 where the truth has no row)."""
    est = result.estimates()
    est = est[est["op"].isin(["=~", "~", "~~"]) & (est["se"] > 0)]
    t = truth[["lhs", "op", "rhs", "est"]].rename(columns={"est": "true"})
    # a covariance may be listed in either order
    t = pd.concat([t, t.rename(columns={"lhs": "rhs", "rhs": "lhs"}).query("op == '~~'")])
    t = t.drop_duplicates(["lhs", "op", "rhs"])
    out = est.merge(t, on=["lhs", "op", "rhs"], how="left")
    assert out.loc[out["op"] != "~~", "true"].notna().all(), "a loading or path not in the truth"
    out["true"] = out["true"].fillna(0.0)
    out["z"] = (out["est"] - out["true"]) / out["se"]
    return out


@pytest.fixture(scope="module", params=CELLS, ids=lambda c: f"{c[0]}-{c[1]}")
def recovered(request, reversed_items):
    sector, market_type = request.param
    seed = 20_160_000 + CELLS.index(request.param)
    _, data, truth = _draw(sector, market_type, seed, reversed_items)
    result = sem.fit(_syntax(truth), data, std_lv=True)
    return market_type, truth, result, _compare(result, truth)


def test_every_free_parameter_is_recovered(recovered):
    market_type, truth, result, cmp = recovered
    assert result.converged
    # every loading and latent path of the truth is a free parameter of the fit (the
    # paths from log_employees too: it is an observed covariate, fixed.x as in lavaan)
    truth_lp = truth[truth["op"].isin(["=~", "~"])]
    keys = set(zip(cmp["lhs"], cmp["op"], cmp["rhs"], strict=True))
    missing = [
        k
        for k in zip(truth_lp["lhs"], truth_lp["op"], truth_lp["rhs"], strict=True)
        if k not in keys
    ]
    assert missing == []
    assert len(cmp) > 200
    worst = cmp.loc[cmp["z"].abs().idxmax()]
    tol = Z_MAX * cmp["se"] + BIAS_ALLOWANCE
    bad = cmp[(cmp["est"] - cmp["true"]).abs() > tol]
    assert bad.empty, f"{market_type}: outside 4.5 se + 0.002:\n{bad}\nworst: {worst.to_dict()}"
    # coverage over distinct parameters: the method loadings share one label (one parameter)
    distinct = pd.concat([cmp[cmp["lhs"] != "method"], cmp[cmp["lhs"] == "method"].head(1)])
    assert len(distinct) > 200
    coverage = float((distinct["z"].abs() <= norm.ppf(0.975)).mean())
    assert coverage >= MIN_COVERAGE, coverage


def test_orientation_action_and_performance_paths(recovered):
    """The substantive paths named by the framework, each checked explicitly."""
    market_type, _, _, cmp = recovered
    paths = cmp[cmp["op"] == "~"].set_index(["lhs", "rhs"])
    expected = [
        ("R2", "transactional_orientation"),
        ("E1", "relational_orientation"),
        ("E6", "market_orientation"),
        ("E4", "transactional_orientation"),
        ("connections", "E6"),
        ("customer_relationship_performance", "E6"),
        ("customer_relationship_performance", "E2"),
        ("marketing_performance", "R2"),
        ("marketing_performance", "customer_relationship_performance"),
        ("social_media_performance", "connections"),
    ]
    if market_type != "B2C":
        expected.append(("customer_relationship_performance", "E7"))
    for key in expected:
        row = paths.loc[key]
        assert abs(row["est"] - row["true"]) <= Z_MAX * row["se"] + BIAS_ALLOWANCE, key
        assert row["true"] != 0, key
    # market-type differences (P4) are in the estimates, not only in the truth
    mp_r2 = {"B2C": 0.30, "B2B": 0.05, "both": 0.20}[market_type]
    assert paths.loc[("marketing_performance", "R2"), "true"] == pytest.approx(mp_r2)
    assert paths.loc[("marketing_performance", "R2"), "est"] == pytest.approx(mp_r2, abs=0.04)


def test_loadings_and_method_factor(recovered):
    market_type, _, _, cmp = recovered
    load = cmp[cmp["op"] == "=~"]
    substantive = load[load["lhs"] != "method"]
    assert len(substantive) >= 70
    assert (substantive["est"] - substantive["true"]).abs().max() < 0.04
    method = load[load["lhs"] == "method"]
    assert method["true"].eq(0.15).all() and method["est"].nunique() == 1
    assert method["est"].iloc[0] == pytest.approx(0.15, abs=0.02)
    if market_type == "B2B":  # the non-invariant item loads 0.45 in B2B firms
        crp2 = substantive.set_index("rhs").loc["crp_2"]
        assert crp2["true"] == pytest.approx(0.45)
        assert crp2["est"] == pytest.approx(0.45, abs=0.04)


def test_correct_model_fits_exactly(recovered):
    _, _, result, _ = recovered
    fm = result.fit_measures()
    assert fm["pvalue"] > 0.001, fm[["chisq", "df", "pvalue"]]
    assert fm["chisq"] / fm["df"] < 1.2
    assert fm["rmsea"] < 0.005


def test_misspecified_draw_fits_worse(reversed_items):
    """The ``misspecified=True`` draw (cross-loading crp_1 -> marketing_performance 0.35,
    error covariance mp_5 ~~ mp_6 0.25) fitted with the correct-structure model that omits
    both: the exact-fit test rejects, chisq/df and RMSEA are clearly worse than for the
    correctly specified draw of the same cell and size, and the two omitted parameters
    are among the five largest modification indices."""
    fits, syntax = {}, None
    for misspecified in (False, True):
        _, data, truth = _draw("C", "both", 77, reversed_items, misspecified=misspecified)
        if misspecified:
            cross = truth.query("lhs == 'marketing_performance' and op == '=~' and rhs == 'crp_1'")
            assert cross["est"].tolist() == [pytest.approx(0.35)]
        else:
            syntax = _syntax(truth)  # the correct structure, without the two extras
        fits[misspecified] = sem.fit(syntax, data, std_lv=True)
    good, bad = (fits[k].fit_measures() for k in (False, True))
    assert good["pvalue"] > 0.001
    assert bad["pvalue"] < 1e-10
    assert bad["chisq"] / bad["df"] > 1.5 * good["chisq"] / good["df"]
    assert bad["rmsea"] > good["rmsea"] + 0.005
    assert bad["srmr"] > good["srmr"]
    mi = fits[True].modification_indices(sort=True)
    top = set(zip(mi["lhs"].head(5), mi["op"].head(5), mi["rhs"].head(5), strict=True))
    assert ("marketing_performance", "=~", "crp_1") in top
    assert ("mp_5", "~~", "mp_6") in top
