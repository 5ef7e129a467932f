"""network_mediation (P6): bootstrapped total indirect effects through network structure.

Oracles: the point estimates are products of path coefficients of the same path model fitted
without the bootstrap (the engine is lavaan-exact for them); the Wald statistic is recomputed
from the bootstrap draws; the same seed reproduces every number; and the simulated study's
population model (connections ~ E6 + E4 + E1, distributions ~ E1 + R1 and
social_media_performance ~ connections + distributions) implies positive indirect effects of
E6, E4 and E1 on social-media performance, which must come out significant.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from nrel_research import sem
from nrel_research.analysis import build_model, network_mediation
from nrel_research.data import clean, load_bundled_study
from nrel_research.exceptions import NrelError

ACTIONS = ["E1", "E4", "E6", "R2"]


@pytest.fixture(scope="module")
def firms():
    return clean(load_bundled_study().responses).data.query("second_informant != 1")


@pytest.fixture(scope="module")
def result(firms):
    return network_mediation(firms, actions=ACTIONS, n_boot=300, seed=11)


def test_indirect_effects_are_products_of_the_paths(firms, result):
    ev, detail = result
    spec = build_model(
        actions=ACTIONS,
        antecedents=[],
        mediators=list(("connections", "distributions", "segmentation")),
        outcomes=["social_media_performance", "marketing_performance"],
        propositions=["P6"],
        measurement="composite",
    )
    frame = spec.prepare(firms)
    cols = [
        *ACTIONS,
        "connections",
        "distributions",
        "segmentation",
        "social_media_performance",
        "marketing_performance",
    ]
    frame = frame[cols].astype(float).dropna()
    lines = [
        f"{m} ~ " + " + ".join(ACTIONS) for m in ("connections", "distributions", "segmentation")
    ]
    lines += [
        f"{y} ~ connections + distributions + segmentation + " + " + ".join(ACTIONS)
        for y in ("social_media_performance", "marketing_performance")
    ]
    lines += [
        "connections ~~ distributions + segmentation",
        "distributions ~~ segmentation",
        "social_media_performance ~~ marketing_performance",
    ]
    plain = sem.fit("\n".join(lines), frame).estimates().set_index(["lhs", "op", "rhs"])
    for row in ev.paths.itertuples():
        want = sum(
            plain.loc[(m, "~", row.rhs), "est"] * plain.loc[(row.lhs, "~", m), "est"]
            for m in ("connections", "distributions", "segmentation")
        )
        assert row.estimate == pytest.approx(want, abs=1e-8)
    assert len(detail) == len(ACTIONS) * 3 * 2
    assert (detail["ci_lower"] <= detail["estimate"]).all()
    assert (detail["estimate"] <= detail["ci_upper"]).all()


def test_planted_indirect_effects_are_found(result):
    ev, _ = result
    p = ev.paths.set_index(["lhs", "rhs"])
    for a in ("E1", "E4", "E6"):
        row = p.loc[("social_media_performance", a)]
        assert row["estimate"] > 0 and row["ci_lower"] > 0, a
    assert ev.pvalue < 0.001 and ev.df == len(ACTIONS) * 2


def test_same_seed_same_numbers(firms, result):
    again, _ = network_mediation(firms, actions=ACTIONS, n_boot=300, seed=11)
    np.testing.assert_array_equal(again.paths["ci_lower"], result[0].paths["ci_lower"])
    assert again.statistic == result[0].statistic
    other, _ = network_mediation(firms, actions=ACTIONS, n_boot=300, seed=12)
    assert other.statistic != result[0].statistic
    assert result[0].pvalue == pytest.approx(stats.chi2.sf(result[0].statistic, result[0].df))


def test_bad_input(firms):
    with pytest.raises(NrelError, match="needs actions"):
        network_mediation(firms, actions=[])
    with pytest.raises(NrelError, match="n_boot"):
        network_mediation(firms, actions=ACTIONS, n_boot=1)
