"""Bootstrap (se="bootstrap") against lavaan's own resamples.

With lavaan's resample indices (``bootstrapLavaan(..., keep.idx = TRUE)``, exported by
tests/reference/sem_ml.R and shown there to be the resamples behind ``se = "bootstrap"``), the
replications, bootstrap SEs and percentile CIs must equal lavaan's: ``atol=1e-4`` as for the
point estimates (each replication is an ML fit converged as tightly as the main fit).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sem_reference import data, frame, reference

from nrel_research import sem
from nrel_research.exceptions import ImproperSolutionWarning, NrelError

CASES = sorted(reference()["bootstrap"])


@pytest.fixture(scope="module", params=CASES)
def boot_ref(request):
    return reference()["bootstrap"][request.param]


@pytest.fixture(scope="module")
def boot_fit(boot_ref):
    f = reference()["fits"][boot_ref["fit"]]
    idx = np.array(boot_ref["boot_idx"]) - 1
    with warnings.catch_warnings():
        # the Heywood case warns about its improper replications (checked below)
        warnings.simplefilter("ignore", ImproperSolutionWarning)
        return sem.fit(f["model"], data(f["data"]), se="bootstrap", bootstrap_indices=idx)


def test_replications_equal_lavaans(boot_ref, boot_fit):
    np.testing.assert_allclose(boot_fit.bootstrap.coef, np.array(boot_ref["boot_coef"]), atol=1e-4)
    assert boot_fit.bootstrap.r == boot_ref["R"]


def test_failed_and_improper_counts_equal_lavaans(boot_ref, boot_fit):
    # lavaan: length(attr(boot, "error.idx")), length(attr(boot, "nonadmissible"))
    assert boot_fit.bootstrap.n_failed == boot_ref["n_error"]
    assert boot_fit.bootstrap.n_improper == boot_ref["n_nonadmissible"]
    if boot_ref["n_nonadmissible"]:
        assert any("improper" in w for w in boot_fit.warnings)


def test_bootstrap_se_and_percentile_ci_equal_lavaans(boot_ref, boot_fit):
    ref = frame(boot_ref["estimates"])
    ours = boot_fit.estimates()
    assert ours[["lhs", "op", "rhs"]].values.tolist() == ref[["lhs", "op", "rhs"]].values.tolist()
    for r, o in [("est", "est"), ("se", "se"), ("z", "z"), ("pvalue", "pvalue")]:
        np.testing.assert_allclose(ours[o], ref[r].to_numpy(float), atol=1e-4, err_msg=o)
    for r, o in [("ci.lower", "ci_lower"), ("ci.upper", "ci_upper")]:
        np.testing.assert_allclose(ours[o], ref[r].to_numpy(float), atol=1e-4, err_msg=o)
    if boot_ref["fit"] == "mediation":
        # defined parameters (indirect and total effect) are included
        assert set(ours.loc[ours["op"] == ":=", "lhs"]) == {"ind", "total"}


def _med():
    f = reference()["fits"]["mediation"]
    return f["model"], data(f["data"])


def test_seed_reproducible_and_independent_of_n_jobs():
    model, df = _med()
    a = sem.fit(model, df, se="bootstrap", bootstrap=40, seed=7)
    b = sem.fit(model, df, se="bootstrap", bootstrap=40, seed=7, n_jobs=2)
    c = sem.fit(model, df, se="bootstrap", bootstrap=40, seed=8)
    np.testing.assert_allclose(a.bootstrap.coef, b.bootstrap.coef, atol=1e-10)
    assert not np.allclose(a.bootstrap.coef, c.bootstrap.coef)
    assert a.estimates()["se"].equals(b.estimates()["se"])


def test_bootstrap_se_close_to_standard_se():
    # Monte-Carlo check: with 300 replications the bootstrap SE of a regression slope is within
    # ~4 Monte-Carlo SEs (SE * sqrt(1 / (2R)) * 4 ~ 16%) of the information-based SE.
    model, df = _med()
    boot = sem.fit(model, df, se="bootstrap", bootstrap=300, seed=2016).estimates()
    std = sem.fit(model, df).estimates()
    sel = std["op"] == "~"
    np.testing.assert_allclose(boot.loc[sel, "se"], std.loc[sel, "se"], rtol=0.16)


def test_bad_bootstrap_indices():
    model, df = _med()
    with pytest.raises(NrelError, match="R x N"):
        sem.fit(model, df, se="bootstrap", bootstrap_indices=np.zeros((3, 5), dtype=int))
    with pytest.raises(NrelError, match="subtract 1"):
        sem.fit(model, df, se="bootstrap", bootstrap_indices=np.full((3, len(df)), len(df)))
    with pytest.raises(NrelError, match="integer"):
        sem.fit(model, df, se="bootstrap", bootstrap_indices=np.zeros((3, len(df))))
    with pytest.raises(NrelError, match="bootstrap"):
        sem.fit(model, df, se="bootstrap", bootstrap=1)


def test_improper_replications_are_counted_kept_or_dropped():
    # a precise second indicator makes some replications improper (negative residual variance)
    rng = np.random.default_rng(4)
    n = 60
    f = rng.normal(size=n)
    df = data("mediation").iloc[:n].copy()
    df["a1"] = f + rng.normal(scale=0.5, size=n)
    df["a2"] = 0.9 * f + rng.normal(scale=0.4, size=n)
    df["a3"] = 0.3 * f + rng.normal(size=n)
    model = "f =~ a1 + a2 + a3"
    with pytest.warns(ImproperSolutionWarning, match="kept"):
        kept = sem.fit(model, df, se="bootstrap", bootstrap=60, seed=1)
    b = kept.bootstrap
    assert b.n_improper > 0 and b.n_failed == 0
    assert b.n_used == b.r
    assert any("improper" in w for w in kept.warnings)
    assert "improper" in kept.summary().as_text()
    with pytest.warns(ImproperSolutionWarning, match="dropped"):
        dropped = sem.fit(model, df, se="bootstrap", bootstrap=60, seed=1, drop_improper=True)
    assert dropped.bootstrap.n_used == b.r - b.n_improper
    assert not np.allclose(dropped.estimates()["se"], kept.estimates()["se"])


def test_progress_is_printed_to_stderr(capsys):
    model, df = _med()
    sem.fit(model, df, se="bootstrap", bootstrap=20, seed=1, progress=True)
    err = capsys.readouterr().err
    assert "bootstrap: 20/20" in err


def test_confidence_level_changes_percentile_interval():
    model, df = _med()
    res = sem.fit(model, df, se="bootstrap", bootstrap=50, seed=3)
    wide, narrow = res.estimates(level=0.95), res.estimates(level=0.80)
    sel = wide["op"] == "~"
    assert (wide.loc[sel, "ci_lower"] < narrow.loc[sel, "ci_lower"]).all()
    assert (wide.loc[sel, "ci_upper"] > narrow.loc[sel, "ci_upper"]).all()
