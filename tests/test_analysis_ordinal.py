"""The analysis layer with ordinal items: the item bank decides ``ordered=`` under WLSMV.

Oracles: the layer must give exactly what ``sem.fit(..., ordered=<the item bank's ordinal
items>, estimator="WLSMV")`` gives by hand (``sem.fit`` itself is checked against lavaan in
tests/test_sem_ordinal.py), and must leave the ML/MLR defaults untouched.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from nrel_research import instruments, sem
from nrel_research.analysis import CATEGORICAL_ESTIMATORS, build_model, fit_assessment, run_study
from nrel_research.data import clean, load_bundled_study
from nrel_research.exceptions import NrelError, SpecificationError

SMALL = {
    "outcomes": ["marketing_performance"],
    "controls": ("log_employees",),
    "model_options": {"actions": ["R2", "E6"], "antecedents": ["transactional_orientation"]},
}


@pytest.fixture(scope="module")
def firms():
    r = load_bundled_study().responses
    return r[(r["consent"] == 1) & (r["second_informant"] == 0)]


@pytest.fixture(scope="module")
def spec():
    return build_model(
        antecedents=["transactional_orientation"],
        actions=["R2", "E6"],
        outcomes=["marketing_performance"],
    )


def test_spec_ordered_comes_from_the_item_bank(spec):
    bank = instruments.load_item_bank()
    assert spec.ordered == tuple(spec.measurement["indicator"])
    assert set(spec.ordered) <= set(bank.ordinal_items())
    assert (spec.measurement["level"] == "ordinal").all()
    # composites are continuous means: their items are not ordered indicators
    comp = build_model(
        antecedents=[],
        actions=["R2"],
        outcomes=["marketing_performance"],
        formative="composite",
    )
    assert "r2_1" not in comp.ordered and "mp_1" in comp.ordered


def test_fit_wlsmv_defaults_to_the_item_bank_ordinal_items(spec, firms):
    res = spec.fit(firms, estimator="WLSMV", missing="pairwise")
    by_hand = sem.fit(
        spec.syntax,
        spec.prepare(firms),
        estimator="WLSMV",
        missing="pairwise",
        ordered=list(spec.ordered),
    )
    assert res.estimator == "WLSMV" and list(res.model.ordered) == list(spec.ordered)
    pd.testing.assert_frame_equal(res.estimates(), by_hand.estimates())
    th = res.estimates().query("op == '|'")
    assert set(th["lhs"]) == set(spec.ordered) and len(th) == 6 * len(spec.ordered)
    assert "WLSMV" in CATEGORICAL_ESTIMATORS


def test_explicit_ordered_overrides_the_default(spec, firms):
    some = ["r2_1", "r2_2", "r2_3"]
    res = spec.fit(firms, part="measurement", estimator="WLSMV", ordered=some)
    assert list(res.model.ordered) == some
    with pytest.raises(NrelError):  # no ordered items: WLSMV is for ordered data
        spec.fit(firms, part="measurement", estimator="WLSMV", ordered=False)


def test_ml_and_mlr_stay_continuous(spec, firms):
    res = spec.fit(firms, part="measurement", estimator="MLR", missing="fiml")
    by_hand = sem.fit(spec.cfa_syntax, spec.prepare(firms), estimator="MLR", missing="fiml")
    assert not getattr(res.model, "ordered", None)
    pd.testing.assert_frame_equal(res.estimates(), by_hand.estimates())
    # asking for ordered items explicitly under ML is lavaan's error, not a silent switch
    with pytest.raises(NrelError):
        spec.fit(firms, part="measurement", estimator="ML", ordered=True)


def test_fit_part_is_checked(spec, firms):
    with pytest.raises(SpecificationError, match="part"):
        spec.fit(firms, part="paths")


@pytest.fixture(scope="module")
def wlsmv_study():
    return run_study(estimator="WLSMV", n_boot=100, **SMALL)


def test_run_study_with_wlsmv(wlsmv_study):
    st = wlsmv_study
    assert st.settings["estimator"] == "WLSMV" and st.settings["missing"] == "pairwise"
    assert st.settings["ordered"] == list(st.spec.ordered)
    assert st.measurement.estimator == "WLSMV" and st.structural.estimator == "WLSMV"
    assert list(st.structural.model.ordered) == list(st.spec.ordered)
    # the structural model is exactly the by-hand WLSMV fit of the prepared data
    by_hand = sem.fit(
        st.spec.syntax,
        st.spec.prepare(st.data),
        estimator="WLSMV",
        missing="pairwise",
        ordered=list(st.spec.ordered),
    )
    np.testing.assert_allclose(st.structural.theta, by_hand.theta, atol=1e-10)
    # categorical reliability and polychoric HTMT
    rel = st.tables["reliability"]
    assert {"alpha_ordinal", "omega", "omega_latent"} <= set(rel.columns)
    htmt = sem.htmt(st.spec.cfa_syntax, st.spec.prepare(st.data), ordered=True, missing="pairwise")
    pd.testing.assert_frame_equal(st.tables["htmt"], htmt)
    # fit is judged on the scaled indices (lavaan 0.6.14 gives no robust ones for WLSMV)
    fa = st.tables["fit_assessment"].set_index(["model", "measure"])
    fm = st.structural.fit_measures()
    assert fa.loc[("structural model", "cfi"), "value"] == pytest.approx(fm["cfi_scaled"])
    assert fa.loc[("structural model", "rmsea"), "value"] == pytest.approx(fm["rmsea_scaled"])
    assert any("WLSMV with" in n for n in st.notes)
    assert any("P4/P5: the multiple-group comparisons use MLR" in n for n in st.notes)
    assert "WLSMV" in st.summary()
    props = st.propositions().set_index("proposition")
    assert props.loc["P1", "verdict"] == "supported"


def test_run_study_explicit_ordered_and_errors():
    with pytest.raises(SpecificationError, match="categorical estimator"):
        run_study(estimator="MLR", ordered=["r2_1"], n_boot=100, **SMALL)
    with pytest.raises(NrelError, match="missing"):
        run_study(estimator="WLSMV", missing="fiml", n_boot=100, **SMALL)


def test_default_study_is_unchanged_by_the_ordinal_option():
    """ML/MLR runs record no ordered items and fit continuous models."""
    st = run_study(estimator="ML", n_boot=100, **SMALL)
    assert st.settings["ordered"] is None and st.settings["missing"] == "fiml"
    assert not getattr(st.structural.model, "ordered", None)
    fa = fit_assessment({"m": st.structural}).set_index("measure")
    fm = st.structural.fit_measures()  # FIML: lavaan's robust (Zhang & Savalei) CFI, as before
    assert fa.loc["cfi", "value"] == pytest.approx(fm["cfi_robust"])


def test_clean_then_wlsmv_on_reverse_keyed_items(firms):
    """Reverse-keyed items stay ordinal after recoding (8 - x): mo_6 is in the model."""
    spec = build_model(
        antecedents=["market_orientation"], actions=["E6"], outcomes=["marketing_performance"]
    )
    assert "mo_6" in spec.ordered
    data = clean(firms).data
    res = spec.fit(data, part="measurement", estimator="WLSMV", missing="pairwise")
    assert res.converged
