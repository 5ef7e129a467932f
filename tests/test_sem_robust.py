"""Robust ML building blocks (nrel_research.sem._robust) against lavaan 0.6-14.

Oracle: tests/reference/sem_missing_robust.R -> sem_missing_robust.json. The θ-space pieces use
lavaan's own parameter table (tests/_cfa_oracle.py rebuilds μ(θ), Σ(θ), Δ(θ) of the CFA from it).
"""

from __future__ import annotations

import functools
import json

import numpy as np
import pandas as pd
import pytest
from _cfa_oracle import CFA
from threadpoolctl import threadpool_limits

from nrel_research.exceptions import DataError
from nrel_research.sem._fiml import (
    em_saturated,
    fiml_gradient,
    fiml_information,
    fiml_loglik,
    missing_patterns,
)
from nrel_research.sem._robust import (
    baseline_test,
    fiml_corrected,
    hessian_information,
    independence_delta,
    independence_moments,
    observed_information,
    robust_cfi,
    robust_rmsea,
    robust_rmsea_ci,
    robust_rmsea_pvalue,
    robust_tli,
    sandwich_vcov,
    yuan_bentler_mplus,
)

CASES = {
    "fiml": "tests/reference/data/hs_missing.csv",
    "mlr_missing": "tests/reference/data/hs_missing.csv",
    "mlr_complete": "nrel_research/datasets/holzinger_swineford_1939.csv",
    "big": "tests/reference/data/likert_missing.csv",
}


@pytest.fixture(scope="module")
def ref(root):
    return json.loads((root / "tests/reference/sem_missing_robust.json").read_text())


class Fitted:
    """Everything the engine would hand to _fiml/_robust for one of lavaan's fits."""

    def __init__(self, fit, data):
        self.fit = fit
        self.ms = fit["options"]["meanstructure"]
        self.model = CFA(fit["partable"], fit["ov_names"])
        self.theta = self.model.theta_hat
        self.data = data[fit["ov_names"]]
        self.pat = missing_patterns(self.data)
        self.n = self.pat.n_obs
        self.ybar = self.data.mean().to_numpy()
        self.mu, self.sigma = self.moments(self.theta)
        self.delta = self.model.delta(self.theta, self.ms)
        if self.pat.n_patterns == 1:
            self.h1_mu = self.ybar
            self.h1_sigma = np.cov(self.data.to_numpy().T, bias=True)
        else:
            h1 = em_saturated(self.pat)
            self.h1_mu, self.h1_sigma = h1.mu, h1.sigma

    def moments(self, theta):
        mu, sigma = self.model.moments(theta)
        return (mu if self.ms else self.ybar), sigma

    def gradient(self, theta):
        mu, sigma = self.moments(theta)
        _, g = fiml_gradient(self.pat, mu, sigma, meanstructure=self.ms)
        return -self.model.delta(theta, self.ms).T @ g / self.n

    @functools.cached_property
    def _information(self):
        return observed_information(
            self.pat,
            self.mu,
            self.sigma,
            lambda t: self.model.delta(t, self.ms),
            self.theta,
            meanstructure=self.ms,
        )

    def information(self):
        """lavaan's observed information (chain-rule form; the Hessian form is tested below)."""
        return self._information

    def meat(self):
        j = fiml_information(self.pat, self.mu, self.sigma, "first.order", meanstructure=self.ms)
        return self.delta.T @ j @ self.delta

    def chisq(self):
        return 2 * (
            fiml_loglik(self.pat, self.h1_mu, self.h1_sigma)
            - fiml_loglik(self.pat, self.mu, self.sigma)
        )

    def lavaan_se(self):
        pt = self.fit["partable"]
        free = np.array(pt["free"])
        se = np.array(pt["se"], dtype=float)
        order = np.argsort(free[free > 0])
        return se[free > 0][order]


@pytest.fixture(scope="module")
def fitted(ref, root):
    return {k: Fitted(ref[k], pd.read_csv(root / path)) for k, path in CASES.items()}


@pytest.mark.parametrize("case", ["fiml", "mlr_complete"])
def test_observed_information_is_lavaans_numerical_hessian(fitted, case):
    f = fitted[case]
    with threadpool_limits(1):  # small matrices: single-threaded BLAS is faster
        info = hessian_information(f.gradient, f.theta)
    np.testing.assert_allclose(info, f.fit["information_observed"], atol=1e-7, rtol=0)


def test_observed_information_is_not_delta_i_delta(fitted):
    """lavaan's default observed information holds the second derivatives of Σ(θ) too."""
    f = fitted["fiml"]
    h1_type = f.delta.T @ fiml_information(f.pat, f.mu, f.sigma, "observed") @ f.delta
    assert np.abs(h1_type - np.array(f.fit["information_observed"])).max() > 0.1


@pytest.mark.parametrize("case", ["mlr_missing", "mlr_complete", "big"])
def test_robust_standard_errors(fitted, case):
    f = fitted[case]
    assert f.fit["options"]["se"] == "robust.huber.white"
    vcov = sandwich_vcov(f.information(), f.meat(), f.n)
    np.testing.assert_allclose(np.sqrt(np.diag(vcov)), f.lavaan_se(), atol=1e-4, rtol=0)
    np.testing.assert_allclose(vcov, f.fit["vcov"], atol=1e-8, rtol=0)
    # first-order information in θ is lavaan's
    np.testing.assert_allclose(f.meat(), f.fit["information_first_order"], atol=1e-8, rtol=0)


def test_standard_fiml_standard_errors(fitted):
    f = fitted["fiml"]
    vcov = np.linalg.inv(f.information()) / f.n
    np.testing.assert_allclose(np.sqrt(np.diag(vcov)), f.lavaan_se(), atol=1e-4, rtol=0)


@pytest.mark.parametrize("case", ["mlr_missing", "mlr_complete", "big"])
def test_yuan_bentler_mplus_scaling(fitted, case):
    f = fitted[case]
    fm = f.fit["fit_measures"]
    chisq = f.chisq()
    assert chisq == pytest.approx(fm["chisq"], abs=1e-4)
    a1 = fiml_information(f.pat, f.h1_mu, f.h1_sigma, "observed", meanstructure=f.ms)
    b1 = fiml_information(f.pat, f.h1_mu, f.h1_sigma, "first.order", meanstructure=f.ms)
    yb = yuan_bentler_mplus(chisq, int(fm["df"]), a1, b1, f.meat(), np.linalg.inv(f.information()))
    t = f.fit["test"]["yuan.bentler.mplus"]
    assert yb.scaling_factor == pytest.approx(fm["chisq.scaling.factor"], abs=1e-4)
    assert yb.chisq_scaled == pytest.approx(fm["chisq.scaled"], abs=1e-4)
    assert yb.pvalue_scaled == pytest.approx(fm["pvalue.scaled"], abs=1e-6)
    assert yb.scaling_factor_h1 == pytest.approx(t["scaling.factor.h1"], abs=1e-6)
    assert yb.scaling_factor_h0 == pytest.approx(t["scaling.factor.h0"], abs=1e-6)
    assert yb.trace_ugamma == pytest.approx(t["trace.UGamma"], abs=1e-4)


@pytest.mark.parametrize(
    ("case", "version"), [("fiml", "V6"), ("mlr_missing", "V3"), ("big", "V3")]
)
def test_fiml_corrected_robust_fit(fitted, case, version):
    f = fitted[case]
    fm = f.fit["fit_measures"]
    df = int(fm["df"])
    fc = fiml_corrected(f.pat, f.h1_mu, f.h1_sigma, f.mu, f.sigma, f.delta, df, version=version)
    r = f.fit[f"fiml_corrected_{version.lower()}"]
    assert fc.xx3 == pytest.approx(r["XX3"], abs=1e-6)
    assert fc.c_hat3 == pytest.approx(r["c.hat3"], abs=1e-8)
    assert fc.c_hat3_null == pytest.approx(r["c.hat3.null"], abs=1e-8)
    assert fc.df3_null == r["df3.null"]
    # lavaan's baseline comes from its optimiser; ours is the closed-form ML (see below)
    assert fc.xx3_null == pytest.approx(r["XX3.null"], abs=1e-3)
    args = (fc.xx3, df, fc.xx3_null, fc.df3_null, fc.c_hat3, fc.c_hat3_null)
    assert robust_cfi(*args) == pytest.approx(fm["cfi.robust"], abs=1e-6)
    assert robust_tli(*args) == pytest.approx(fm["tli.robust"], abs=1e-6)
    assert robust_rmsea(fc.xx3, df, f.n, fc.c_hat3) == pytest.approx(fm["rmsea.robust"], abs=1e-8)


def test_independence_model_estimates_are_lavaans(fitted):
    f = fitted["mlr_missing"]
    mu_b, sigma_b = independence_moments(f.pat)
    b = f.fit["fiml_corrected_v3"]["baseline"]
    est = np.array(b["est"])
    ops = np.array(b["op"])
    # lavaan fits the baseline with its optimiser (accurate to ~1e-5); ours is closed form
    np.testing.assert_allclose(np.diag(sigma_b), est[ops == "~~"], atol=1e-4)
    np.testing.assert_allclose(mu_b, est[ops == "~1"], atol=1e-4)


def test_complete_data_robust_cfi_tli_rmsea(fitted):
    """Complete data: Brosseau-Liard & Savalei with the model and baseline scaling factors."""
    f = fitted["mlr_complete"]
    fm = f.fit["fit_measures"]
    p = f.pat.p
    # baseline (independence) model under MLR: linear in θ, so its Hessian is Δᵀ I Δ exactly
    mu_b, sigma_b = independence_moments(f.pat)
    d_b = independence_delta(p, meanstructure=False)
    e_b = d_b.T @ fiml_information(f.pat, f.ybar, sigma_b, "observed", meanstructure=False) @ d_b
    b0_b = (
        d_b.T @ fiml_information(f.pat, f.ybar, sigma_b, "first.order", meanstructure=False) @ d_b
    )
    a1 = fiml_information(f.pat, f.h1_mu, f.h1_sigma, "observed", meanstructure=False)
    b1 = fiml_information(f.pat, f.h1_mu, f.h1_sigma, "first.order", meanstructure=False)
    chisq_b = 2 * (fiml_loglik(f.pat, f.h1_mu, f.h1_sigma) - fiml_loglik(f.pat, f.ybar, sigma_b))
    df_b = p * (p - 1) // 2
    yb_b = yuan_bentler_mplus(chisq_b, df_b, a1, b1, b0_b, np.linalg.inv(e_b))
    base = f.fit["baseline"]["test"]
    assert chisq_b == pytest.approx(base["standard"]["stat"], abs=1e-4)
    assert yb_b.scaling_factor == pytest.approx(
        base["yuan.bentler.mplus"]["scaling.factor"], abs=1e-6
    )
    assert mu_b == pytest.approx(f.ybar)
    yb = yuan_bentler_mplus(
        f.chisq(), int(fm["df"]), a1, b1, f.meat(), np.linalg.inv(f.information())
    )
    args = (f.chisq(), int(fm["df"]), chisq_b, df_b, yb.scaling_factor, yb_b.scaling_factor)
    assert robust_cfi(*args) == pytest.approx(fm["cfi.robust"], abs=1e-6)
    assert robust_tli(*args) == pytest.approx(fm["tli.robust"], abs=1e-6)
    assert robust_rmsea(f.chisq(), int(fm["df"]), f.n, yb.scaling_factor) == pytest.approx(
        fm["rmsea.robust"], abs=1e-6
    )


def test_robust_fit_edge_cases():
    assert robust_rmsea(10.0, 0, 100, 1.2) == 0.0
    assert robust_rmsea(10.0, 20, 100, 1.2) == 0.0  # chi2 below c*df: truncated at zero
    assert robust_cfi(10.0, 20, 500.0, 36, 1.2, 1.1) == 1.0
    assert np.isnan(robust_cfi(np.nan, 20, 500.0, 36, 1.2, 1.1))
    # c == 1 falls back to the ordinary CFI, as lavaan
    assert robust_cfi(50.0, 20, 500.0, 36, 1.0, 1.1) == pytest.approx(1 - 30 / 464)


def test_singular_information_raises():
    with pytest.raises(DataError, match="cannot be inverted"):
        sandwich_vcov(np.zeros((2, 2)), np.eye(2), 10)
    with pytest.raises(DataError, match="version"):
        fiml_corrected(None, None, None, None, None, None, 1, version="V9")


@pytest.mark.parametrize("case", ["fiml", "mlr_missing", "mlr_complete", "big"])
def test_baseline_model(fitted, case):
    f = fitted[case]
    fm = f.fit["fit_measures"]
    b = baseline_test(f.pat, f.h1_mu, f.h1_sigma, meanstructure=f.ms)
    assert b.df == fm["baseline.df"]
    assert b.chisq == pytest.approx(fm["baseline.chisq"], abs=1e-4)
    if "baseline.chisq.scaled" not in fm:
        return
    # lavaan's FIML baseline comes from its optimiser (variances off by ~1e-5); our closed-form
    # ML estimates move the scaled statistic by ~2e-7 relative
    assert b.scaled.chisq_scaled == pytest.approx(fm["baseline.chisq.scaled"], rel=1e-6)
    assert b.scaled.scaling_factor == pytest.approx(fm["baseline.chisq.scaling.factor"], rel=1e-6)
    key = "fiml_corrected_v3"
    if key in f.fit:  # at lavaan's own baseline estimates the numbers agree to 1e-10
        est = np.array(f.fit[key]["baseline"]["est"])
        ops = np.array(f.fit[key]["baseline"]["op"])
        lav = (est[ops == "~1"], np.diag(est[ops == "~~"]))
        b = baseline_test(f.pat, f.h1_mu, f.h1_sigma, estimates=lav)
        assert b.scaled.chisq_scaled == pytest.approx(fm["baseline.chisq.scaled"], rel=1e-10)
        assert b.scaled.scaling_factor == pytest.approx(
            fm["baseline.chisq.scaling.factor"], rel=1e-10
        )


@pytest.mark.parametrize(
    ("case", "version"), [("fiml", "V6"), ("mlr_missing", "V3"), ("big", "V3")]
)
def test_robust_rmsea_ci_and_pvalues_missing(fitted, case, version):
    f = fitted[case]
    fm = f.fit["fit_measures"]
    fc = fiml_corrected(
        f.pat, f.h1_mu, f.h1_sigma, f.mu, f.sigma, f.delta, int(fm["df"]), version=version
    )
    lo, up = robust_rmsea_ci(fc.xx3_scaled, fc.df3, f.n, fc.c_hat3)
    assert lo == pytest.approx(fm["rmsea.ci.lower.robust"], abs=1e-6)
    assert up == pytest.approx(fm["rmsea.ci.upper.robust"], abs=1e-6)
    p_close = robust_rmsea_pvalue(fc.xx3_scaled, fc.df3, f.n, fc.c_hat3)
    p_notclose = robust_rmsea_pvalue(fc.xx3_scaled, fc.df3, f.n, fc.c_hat3, h0=0.08, close=False)
    assert p_close == pytest.approx(fm["rmsea.pvalue.robust"], abs=1e-6)
    assert p_notclose == pytest.approx(fm["rmsea.notclose.pvalue.robust"], abs=1e-6)


def test_robust_rmsea_ci_and_pvalues_complete(fitted):
    f = fitted["mlr_complete"]
    fm = f.fit["fit_measures"]
    c, t, df = fm["chisq.scaling.factor"], fm["chisq.scaled"], int(fm["df"])
    lo, up = robust_rmsea_ci(t, df, f.n, c)
    assert lo == pytest.approx(fm["rmsea.ci.lower.robust"], abs=1e-6)
    assert up == pytest.approx(fm["rmsea.ci.upper.robust"], abs=1e-6)
    assert robust_rmsea_pvalue(t, df, f.n, c) == pytest.approx(fm["rmsea.pvalue.robust"], abs=1e-6)
    assert robust_rmsea_pvalue(t, df, f.n, c, h0=0.08, close=False) == pytest.approx(
        fm["rmsea.notclose.pvalue.robust"], abs=1e-6
    )
    # with c = 1 and the ordinary statistic: the ordinary RMSEA interval
    lo, up = robust_rmsea_ci(fm["chisq"], df, f.n, 1.0)
    assert lo == pytest.approx(fm["rmsea.ci.lower"], abs=1e-6)
    assert up == pytest.approx(fm["rmsea.ci.upper"], abs=1e-6)


@pytest.mark.parametrize("case", ["fiml", "mlr_complete", "big"])
def test_chain_rule_observed_information_is_lavaans(fitted, case):
    f = fitted[case]
    info = observed_information(
        f.pat,
        f.mu,
        f.sigma,
        lambda t: f.model.delta(t, f.ms),
        f.theta,
        meanstructure=f.ms,
    )
    np.testing.assert_allclose(info, f.fit["information_observed"], atol=1e-7, rtol=0)


def test_sandwich_from_lavaans_own_delta_and_information(ref, root):
    """The engine interface: lavaan's Δ and bread, our first-order meat -> lavaan's MLR SEs."""
    fit = ref["mlr_missing"]
    pat = missing_patterns(pd.read_csv(root / CASES["mlr_missing"])[fit["ov_names"]])
    delta = np.array(fit["delta"])
    mu, sigma = np.array(fit["implied_mean"]), np.array(fit["implied_cov"])
    meat = delta.T @ fiml_information(pat, mu, sigma, "first.order") @ delta
    vcov = sandwich_vcov(np.array(fit["information_observed"]), meat, pat.n_obs)
    np.testing.assert_allclose(vcov, fit["vcov"], atol=1e-10, rtol=0)


@pytest.fixture(scope="module")
def multigroup(ref, root):
    """HS with missing values, two groups (school), FIML + MLR: per-group pieces."""
    fit = ref["multigroup"]
    school = pd.read_csv(root / CASES["mlr_complete"])["school"]
    miss = pd.read_csv(root / CASES["mlr_missing"])
    groups = []
    for k, label in enumerate(fit["group_label"]):
        data = miss.loc[(school == label).to_numpy(), fit["ov_names"]]
        model = CFA(fit["partable"], fit["ov_names"], group=k + 1)
        pat = missing_patterns(data)
        mu, sigma = model.moments(model.theta_hat)
        h1 = em_saturated(pat)
        groups.append(
            {
                "pat": pat,
                "model": model,
                "mu": mu,
                "sigma": sigma,
                "delta": model.delta(model.theta_hat),
                "h1": h1,
            }
        )
    return fit, groups


def test_multigroup_moments_and_delta(multigroup):
    fit, groups = multigroup
    fm = fit["fit_measures"]
    ll = sum(fiml_loglik(g["pat"], g["mu"], g["sigma"]) for g in groups)
    ll_h1 = sum(g["h1"].loglik for g in groups)
    assert ll == pytest.approx(fm["logl"], abs=1e-6)
    assert ll_h1 == pytest.approx(fm["unrestricted.logl"], abs=1e-4)
    assert 2 * (ll_h1 - ll) == pytest.approx(fm["chisq"], abs=1e-4)
    for k, g in enumerate(groups):
        np.testing.assert_allclose(g["delta"], fit["delta"][k], atol=1e-10)
        np.testing.assert_allclose(g["h1"].sigma, fit["h1_cov"][k], atol=1e-4)


def test_multigroup_sandwich_and_yuan_bentler(multigroup):
    fit, groups = multigroup
    fm = fit["fit_measures"]
    n_g = np.array([g["pat"].n_obs for g in groups], dtype=float)
    fg = n_g / n_g.sum()
    # bread and meat: per-group per-observation matrices weighted by N_g / N
    e = sum(
        f
        * observed_information(
            g["pat"], g["mu"], g["sigma"], g["model"].delta, g["model"].theta_hat
        )
        for f, g in zip(fg, groups, strict=True)
    )
    b0_g = [
        g["delta"].T @ fiml_information(g["pat"], g["mu"], g["sigma"], "first.order") @ g["delta"]
        for g in groups
    ]
    b0 = sum(f * b for f, b in zip(fg, b0_g, strict=True))
    np.testing.assert_allclose(e, fit["information_observed"], atol=1e-7, rtol=0)
    np.testing.assert_allclose(b0, fit["information_first_order"], atol=1e-8, rtol=0)
    vcov = sandwich_vcov(e, b0, int(n_g.sum()))
    np.testing.assert_allclose(vcov, fit["vcov"], atol=1e-8, rtol=0)
    chisq = 2 * sum(g["h1"].loglik - fiml_loglik(g["pat"], g["mu"], g["sigma"]) for g in groups)
    a1 = [fiml_information(g["pat"], g["h1"].mu, g["h1"].sigma, "observed") for g in groups]
    b1 = [fiml_information(g["pat"], g["h1"].mu, g["h1"].sigma, "first.order") for g in groups]
    yb = yuan_bentler_mplus(chisq, int(fm["df"]), a1, b1, b0_g, np.linalg.inv(e), group_weights=fg)
    assert yb.scaling_factor == pytest.approx(fm["chisq.scaling.factor"], abs=1e-6)
    assert yb.chisq_scaled == pytest.approx(fm["chisq.scaled"], abs=1e-4)


def test_multigroup_fiml_corrected_robust_fit(multigroup):
    fit, groups = multigroup
    fm = fit["fit_measures"]
    df = int(fm["df"])
    fc = fiml_corrected(
        [g["pat"] for g in groups],
        [g["h1"].mu for g in groups],
        [g["h1"].sigma for g in groups],
        [g["mu"] for g in groups],
        [g["sigma"] for g in groups],
        [g["delta"] for g in groups],
        df,
    )
    r = fit["fiml_corrected_v3"]
    assert fc.xx3 == pytest.approx(r["XX3"], abs=1e-6)
    assert fc.c_hat3 == pytest.approx(r["c.hat3"], abs=1e-8)
    assert fc.df3_null == r["df3.null"]
    assert fc.c_hat3_null == pytest.approx(r["c.hat3.null"], abs=1e-8)
    assert fc.xx3_null == pytest.approx(r["XX3.null"], abs=1e-3)
    n = sum(g["pat"].n_obs for g in groups)
    args = (fc.xx3, df, fc.xx3_null, fc.df3_null, fc.c_hat3, fc.c_hat3_null)
    assert robust_cfi(*args) == pytest.approx(fm["cfi.robust"], abs=1e-6)
    assert robust_tli(*args) == pytest.approx(fm["tli.robust"], abs=1e-6)
    assert robust_rmsea(fc.xx3, df, n, fc.c_hat3, n_groups=2) == pytest.approx(
        fm["rmsea.robust"], abs=1e-8
    )
    lo, up = robust_rmsea_ci(fc.xx3_scaled, df, n, fc.c_hat3, n_groups=2)
    assert lo == pytest.approx(fm["rmsea.ci.lower.robust"], abs=1e-6)
    assert up == pytest.approx(fm["rmsea.ci.upper.robust"], abs=1e-6)
