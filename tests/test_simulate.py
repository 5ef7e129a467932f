"""Tests of the study simulator (nrel_research.data.simulate).

Oracle: simulation with known truth. Every tolerance is a Monte Carlo tolerance stated
next to the check (a multiple of the sampling standard error at the draw size used).
"""

from __future__ import annotations

import filecmp
import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from nrel_research import instruments
from nrel_research.data import simulate as sim
from nrel_research.exceptions import DataError, DataQualityWarning, FrameworkError, NrelError

REVERSED = ("mo_6", "saa_4")


@pytest.fixture(scope="module")
def dictionary():
    return instruments.build(randomize_within_blocks=False).data_dictionary()


@pytest.fixture(scope="module")
def study():
    return sim.simulate_study(n_firms=600, seed=11)


# ---------------------------------------------------------------------------------------
# reproducibility
# ---------------------------------------------------------------------------------------
def test_same_seed_gives_identical_study(study):
    again = sim.simulate_study(n_firms=600, seed=11)
    for name in ("responses", "posts", "truth", "latent", "firms"):
        pd.testing.assert_frame_equal(getattr(study, name), getattr(again, name))
    assert study.syntax == again.syntax


def test_different_seeds_differ(study):
    other = sim.simulate_study(n_firms=600, seed=12)
    assert not study.responses.equals(other.responses)
    assert not study.posts.equals(other.posts)
    assert not study.latent.equals(other.latent)
    items = ["r1_1", "e4_2", "mp_3"]
    a, b = (
        x.responses.loc[x.responses["second_informant"] == 0, items].fillna(0).to_numpy()
        for x in (study, other)
    )
    assert (a != b).mean() > 0.3


def test_generator_seed_is_accepted_and_bad_seed_raises():
    rng = np.random.default_rng(3)
    s = sim.simulate_study(n_firms=5, seed=rng, posts=False)
    assert len(s.responses) == 5
    with pytest.raises(NrelError, match="seed"):
        sim.simulate_study(n_firms=5, seed=-1)


def test_bad_levels_raise_data_error():
    with pytest.raises(DataError, match="sectors"):
        sim.simulate_study(n_firms=5, sectors=["Z"])
    with pytest.raises(DataError, match="market_types"):
        sim.simulate_study(n_firms=5, market_types=["B2G"])
    with pytest.raises(NrelError, match="n_firms"):
        sim.simulate_study(n_firms=0)


def test_malformed_population_model_file_raises(tmp_path):
    bad = tmp_path / "pm.yaml"
    bad.write_text("sectors: {}\n", encoding="utf-8")
    with pytest.raises(FrameworkError, match="lacks the section"):
        sim.load_population_model(bad)
    pm = sim.load_population_model()
    pm["measurement"]["R1"]["items"]["r1_9"] = 0.5
    import yaml

    bad.write_text(yaml.safe_dump(pm), encoding="utf-8")
    with pytest.raises(FrameworkError, match="r1_9"):
        sim.load_population_model(bad)


# ---------------------------------------------------------------------------------------
# the data look like a real study and validate against the data dictionary
# ---------------------------------------------------------------------------------------
def test_columns_are_the_data_dictionary(study, dictionary):
    assert list(study.responses.columns) == dictionary["name"].tolist()


def test_values_respect_codes_ranges_and_types(study, dictionary):
    df = study.responses
    for r in dictionary.itertuples():
        v = df[r.name].dropna()
        if r.values:
            allowed = set(r.values.split("|"))
            bad = set(v.astype(str)) - allowed
            assert not bad, f"{r.name}: codes {bad} not in {allowed}"
        if r.type in ("integer", "number"):
            num = pd.to_numeric(v)
            if pd.notna(r.minimum):
                assert (num >= r.minimum).all(), r.name
            if pd.notna(r.maximum):
                assert (num <= r.maximum).all(), r.name
            if r.type == "integer":
                assert (num == np.round(num)).all(), r.name
        if r.type == "datetime":
            assert pd.api.types.is_datetime64_any_dtype(df[r.name]), r.name
        if r.required:
            answered = df.loc[df["consent"] == 1, r.name]
            assert answered.notna().all(), f"required {r.name} missing"


def test_skip_logic_is_respected(study, dictionary):
    df = study.responses
    consented = df["consent"] == 1
    b2c = df["market_type"] == 2
    e7 = [c for c in df.columns if c.startswith("e7_")]
    assert df.loc[b2c, e7].isna().all().all(), "E7 answered by a B2C firm"
    assert df.loc[~b2c & consented, e7].notna().mean().mean() > 0.9
    for p in ("fb", "ig", "li", "x", "yt", "tt"):
        off = df[f"smx_platforms_{p}"] != 1
        dependent = [f"handle_{p}", f"net_followers_{p}"]
        dependent += [c for c in df.columns if c.startswith(f"smx_feat_{p}_")]
        assert df.loc[off, dependent].isna().all().all(), p
    assert df.loc[df["resp_role"].fillna(0) != 6, "resp_role_other"].isna().all()
    assert df.loc[df["smx_platforms_oth"] != 1, "smx_platforms_other"].isna().all()
    assert df.loc[df["sector"] != "X", "sector_other"].isna().all()
    respondent_items = dictionary.loc[dictionary["audience"] == "respondent", "name"]
    refused = df.loc[~consented, [c for c in respondent_items if c != "consent"]]
    assert len(refused) > 0 and refused.isna().all().all()


def _condition_holds(df, text):
    """Evaluate a data-dictionary ``relevant`` string (a conjunction of three forms)."""
    import re

    holds = pd.Series(True, index=df.index)
    for part in text.split(" and "):
        if m := re.fullmatch(r"(\w+) = '([^']*)'", part):
            col, vals = m.group(1), [m.group(2)]
        elif m := re.fullmatch(r"(\w+) in \((.*)\)", part):
            col, vals = m.group(1), re.findall(r"'([^']*)'", m.group(2))
        elif m := re.fullmatch(r"'([^']*)' in (\w+)", part):
            col, vals = f"{m.group(2)}_{m.group(1)}", ["1"]
        else:
            raise AssertionError(f"unparsed condition {part!r}")
        shown = df[col].astype(object).map(lambda v: None if pd.isna(v) else str(v))
        holds &= shown.isin(vals)
    return holds


def test_every_skip_condition_of_the_dictionary_is_respected(study, dictionary):
    df = study.responses
    checked = 0
    for r in dictionary.itertuples():
        if not r.relevant:
            continue
        hidden = ~_condition_holds(df, r.relevant)
        assert df.loc[hidden, r.name].isna().all(), f"{r.name} answered when {r.relevant} fails"
        checked += 1
    assert checked > 150


def test_study_design_features(study):
    df, firms = study.responses, study.firms
    assert df["sector"].nunique() >= 6
    assert set(df["market_type"].dropna()) == {1, 2, 3}
    assert not df.duplicated(["firm_id", "second_informant"]).any()
    assert df["firm_id"].nunique() == 600
    key = ["firm_id", "second_informant"]
    assert (firms[key].to_numpy() == df[key].to_numpy()).all()
    types = firms["respondent_type"].value_counts()
    assert {"attentive", "straight_liner", "speeder", "refused"} <= set(types.index)
    # straight-liners: one code on every rating item; they rarely pass both checks
    sl = firms["respondent_type"] == "straight_liner"
    rating = [c for c in df.columns if c.startswith(("r1_", "e6_", "mp_", "mo_"))]
    assert (df.loc[sl, rating].nunique(axis=1) == 1).all()
    # speeders are fast
    minutes = (df["end_time"] - df["start_time"]).dt.total_seconds() / 60
    sp = firms["respondent_type"] == "speeder"
    att = firms["respondent_type"] == "attentive"
    assert minutes[sp].median() < 0.5 * minutes[att].median()
    # attentive respondents pass the checks with the model's probability (0.97 each)
    passed = (df.loc[att, "attn_1"] == 3) & (df.loc[att, "attn_2"] == 5)
    assert passed.mean() == pytest.approx(0.97**2, abs=0.04)
    # skew: performance items pile up at the top, competitor engagement at the bottom
    assert df["crp_3"].astype(float).median() >= 5
    assert df["e5_1"].astype(float).median() <= 3
    # reverse-keyed items are answered reversed (negative item-rest correlation)
    assert df["mo_6"].astype(float).corr(df[["mo_1", "mo_2", "mo_5"]].mean(axis=1)) < -0.2
    # missingness: MCAR everywhere, MAR outcome-block skips more frequent in small firms
    small = df["employees"] < df["employees"].median()
    out_missing = df[["mp_1", "mp_2", "crp_1"]].isna().all(axis=1) & (df["consent"] == 1)
    assert out_missing[small].mean() > out_missing[~small].mean()
    assert 0 < df.loc[att, "r1_1"].isna().mean() < 0.06
    assert set(df["wave"]) == {1, 2, 3}
    assert (df["reminder"] == df["wave"] - 1).all()


def test_late_respondents_have_lower_market_orientation():
    """The population model's nonresponse bias (Armstrong & Overton, 1977) is in the data.

    Wave 3 vs wave 1 mean of the true market orientation: expected about -0.4 SD; with
    3,000 firms the standard error is about 0.05, so < -0.2 is a safe check; wave shares
    within 0.03 of the model's (binomial se < 0.01).
    """
    s = sim.simulate_study(3000, seed=17, posts=False, careless=False, missing=False)
    first = s.responses[s.responses["second_informant"] == 0]
    mo = s.latent.loc[s.latent["second_informant"] == 0, "market_orientation"].to_numpy()
    wave = first["wave"].to_numpy()
    assert mo[wave == 3].mean() - mo[wave == 1].mean() < -0.2
    shares = np.bincount(wave)[1:] / len(wave)
    np.testing.assert_allclose(shares, [0.55, 0.30, 0.15], atol=0.03)


def test_second_informants_describe_the_same_firm():
    """Kumar et al. (1993) design: two informants of one firm share the firm's latent scores.

    Their R1 mean scores correlate (the true-score correlation is about 0.6 here; with
    ~150 pairs > 0.3 is safe), firm facts are copied, personal answers differ.
    """
    s = sim.simulate_study(3000, seed=23, careless=False, missing=False, posts=False)
    df = s.responses
    pairs = df[df["firm_id"].duplicated(keep=False)]
    first = pairs[pairs["second_informant"] == 0].set_index("firm_id")
    second = pairs[pairs["second_informant"] == 1].set_index("firm_id").loc[first.index]
    assert 100 < len(first) < 220
    for col in ("market_type", "sector", "employees", "smx_platforms_li", "net_followers_li"):
        pd.testing.assert_series_equal(first[col], second[col], check_names=False)
    r1 = ["r1_1", "r1_2", "r1_3"]
    a, b = first[r1].astype(float).mean(axis=1), second[r1].astype(float).mean(axis=1)
    assert a.corr(b) > 0.3
    assert (first["r1_1"] != second["r1_1"]).mean() > 0.3
    assert (second["start_time"] > first["start_time"]).all()
    lat = s.latent.set_index(["firm_id", "second_informant"])
    ids = first.index
    for v in ("E4", "marketing_performance"):
        np.testing.assert_array_equal(lat.loc[(ids, 0), v], lat.loc[(ids, 1), v])
    assert not np.allclose(lat.loc[(ids, 0), "method"], lat.loc[(ids, 1), "method"])


def test_posts_link_to_firms_and_use_their_platforms(study):
    posts, df = study.posts, study.responses
    assert 3000 < len(posts) < 8000 and posts["post_id"].is_unique
    assert set(posts["firm_id"]) <= set(df.loc[df["consent"] == 1, "firm_id"])
    merged = posts.merge(df, on="firm_id")
    for p, g in merged.groupby("platform"):
        assert (g[f"smx_platforms_{p}"] == 1).all()
    b2c = merged["market_type"] == 2
    assert not (merged.loc[b2c, "action"] == "E7").any()
    assert set(posts["action"]) == set(sim.ACTIONS)
    assert posts["text"].str.len().min() > 20 and not posts["text"].str.contains("{").any()
    # action mix follows the latent intensities: firms high on E4 post more E4
    firm_latent = study.latent[study.latent["second_informant"] == 0].set_index("firm_id")
    e4 = firm_latent["E4"]
    share = posts.assign(is_e4=posts["action"] == "E4").groupby("firm_id")["is_e4"].mean()
    assert np.corrcoef(share, e4.loc[share.index])[0, 1] > 0.1
    # overdispersion
    assert posts["likes"].var() > 3 * posts["likes"].mean()


def test_discretize_false_returns_continuous_indicators():
    s = sim.simulate_study(n_firms=200, seed=4, discretize=False, posts=False, careless=False)
    assert (s.responses["attn_1"].dropna() == 3).all()  # careless=False: all pass
    v = s.responses["r1_1"].dropna()
    assert v.dtype == float and v.nunique() > 150
    assert s.responses["attn_1"].dropna().isin([1, 2, 3, 4, 5, 6, 7]).all()


def test_misspecified_variant_adds_cross_loading_and_correlated_error():
    s = sim.simulate_study(n_firms=20, seed=1, misspecified=True, posts=False)
    t = s.truth.query("part == 'sem' and group == 'B2C'")
    cross = t.query("lhs == 'marketing_performance' and op == '=~' and rhs == 'crp_1'")
    assert cross["est"].tolist() == [0.35]
    corr = t.query("lhs == 'mp_5' and op == '~~' and rhs == 'mp_6'")
    assert corr["est"].tolist() == [0.25]
    plain = sim.simulate_study(n_firms=20, seed=1, posts=False).truth
    assert plain.query("lhs == 'mp_5' and op == '~~' and rhs == 'mp_6'").empty
    mp_line = sim.model_syntax("B2C").split("marketing_performance =~")[1].split("\n")[0]
    assert "crp_1" not in mp_line


def test_truth_shape_and_group_differences():
    s = sim.simulate_study(n_firms=50, seed=2, posts=False)
    t = s.truth
    assert list(t.columns) == ["part", "group", "sector", "lhs", "op", "rhs", "est"]
    assert set(t["part"]) == {"sem", "count", "mean_score"}
    sem = t[t["part"] == "sem"]

    def est(group, lhs, op, rhs, sector="all"):
        row = sem.query("group == @group and lhs == @lhs and op == @op and rhs == @rhs")
        row = row[row["sector"] == sector]
        return row["est"].item()

    # P4: market-type moderation; E7 only for B2B and both
    assert est("B2C", "marketing_performance", "~", "R2") == 0.30
    assert est("B2B", "marketing_performance", "~", "R2") == 0.05
    assert sem.query("group == 'B2C' and (lhs == 'E7' or rhs == 'E7')").empty
    assert est("B2B", "customer_relationship_performance", "~", "E7") == 0.25
    # P5: one sector-moderated path; non-invariant item crp_2 in B2B only
    assert est("B2C", "social_media_performance", "~", "E4", sector="I") == 0.40
    assert est("B2C", "social_media_performance", "~", "E4", sector="C") == 0.20
    assert est("B2B", "customer_relationship_performance", "=~", "crp_2") == 0.45
    assert est("B2C", "customer_relationship_performance", "=~", "crp_2") == 0.75


# ---------------------------------------------------------------------------------------
# recovery (a): latent-variable parameters
# ---------------------------------------------------------------------------------------
def _implied_from_truth(truth: pd.DataFrame, group: str, sector: str):
    """Model-implied mean and covariance of the indicators, computed from truth rows only.

    RAM formulation (McArdle & McDonald, 1984): all variables v = A v + u, Cov(u) = S;
    Sigma_vv = (I - A)^-1 S (I - A)^-T, observed part selected afterwards.
    """
    t = truth[(truth["part"] == "sem") & (truth["group"] == group)]
    t = t[t["sector"].isin(["all", sector]) & (t["op"] != "|")]
    names = sorted(set(t["lhs"]) | set(t.loc[t["rhs"] != "", "rhs"]))
    ix = {v: i for i, v in enumerate(names)}
    p = len(names)
    A, S, m = np.zeros((p, p)), np.zeros((p, p)), np.zeros(p)
    for r in t.itertuples():
        if r.op == "=~":
            A[ix[r.rhs], ix[r.lhs]] = r.est
        elif r.op == "~":
            A[ix[r.lhs], ix[r.rhs]] = r.est
        elif r.op == "~~":
            S[ix[r.lhs], ix[r.rhs]] = S[ix[r.rhs], ix[r.lhs]] = r.est
        elif r.op == "~1":
            m[ix[r.lhs]] = r.est
    inv = np.linalg.inv(np.eye(p) - A)
    sigma = inv @ S @ inv.T
    mean = inv @ m
    items = sorted(set(t.loc[t["op"] == "=~", "rhs"]))
    k = [ix[i] for i in items]
    return items, mean[k], sigma[np.ix_(k, k)]


@pytest.mark.parametrize("group", ["B2B", "B2C"])
def test_sample_covariance_matches_truth_implied_covariance(group):
    """Estimand (a): n = 10,000 firms of one cell, continuous indicators.

    Tolerance: every standardised difference (s_ij - sigma_ij) / se_ij, with the normal
    theory se_ij = sqrt((sigma_ii sigma_jj + sigma_ij^2) / n), is below 5.5 in absolute
    value (about 4,000 distinct elements; P(|z| > 5.5) < 4e-8 each); means likewise.
    """
    n = 10_000
    s = sim.simulate_study(
        n,
        sectors=["G"],
        market_types=[group],
        seed=21,
        discretize=False,
        careless=False,
        missing=False,
        posts=False,
    )
    items, mu, sigma = _implied_from_truth(s.truth, group, "G")
    X = s.responses[items].astype(float)
    for c in REVERSED:
        X[c] = -X[c]  # truth is in the scored metric
    S = X.cov().to_numpy()
    d = np.sqrt(np.diag(sigma))
    se = np.sqrt((np.outer(d**2, d**2) + sigma**2) / n)
    assert np.max(np.abs((S - sigma) / se)) < 5.5
    assert np.max(np.abs((X.mean().to_numpy() - mu) / (d / np.sqrt(n)))) < 5.5
    assert np.max(np.abs(S - sigma)) < 0.06
    # and the module's own implied_moments agrees with the truth rows exactly
    mu2, sigma2 = sim.implied_moments(group, "G")
    np.testing.assert_allclose(sigma2.loc[items, items].to_numpy(), sigma, atol=1e-12)
    np.testing.assert_allclose(mu2.loc[items].to_numpy(), mu, atol=1e-12)


def test_ordinal_answers_follow_the_thresholds():
    """Ordinal part: P(answer <= k) = Phi((tau_k - mu_i) / sigma_i) from the truth rows.

    n = 10,000 firms of one cell (attentive, complete); tolerance 4.5 binomial standard
    errors for every item and category.
    """
    from scipy.stats import norm

    n = 10_000
    s = sim.simulate_study(
        n,
        sectors=["I"],
        market_types=["B2C"],
        seed=13,
        careless=False,
        missing=False,
        posts=False,
    )
    items, mu, sigma = _implied_from_truth(s.truth, "B2C", "I")
    tau = s.truth[(s.truth["part"] == "sem") & (s.truth["op"] == "|")]
    worst = 0.0
    for i, item in enumerate(items):
        answers = s.responses[item].astype(float)
        if item in REVERSED:
            answers = 8 - answers
        t = tau.loc[tau["lhs"] == item, "est"].to_numpy()
        assert len(t) == 6
        p = norm.cdf((t - mu[i]) / np.sqrt(sigma[i, i]))
        observed = np.array([(answers <= k).mean() for k in range(1, 7)])
        z = np.abs(observed - p) / np.sqrt(np.maximum(p * (1 - p), 1e-4) / n)
        worst = max(worst, z.max())
    assert worst < 4.5


def test_misspecified_covariance_matches_its_truth():
    n = 10_000
    s = sim.simulate_study(
        n,
        sectors=["C"],
        market_types=["both"],
        seed=5,
        discretize=False,
        careless=False,
        missing=False,
        posts=False,
        misspecified=True,
    )
    items, _, sigma = _implied_from_truth(s.truth, "both", "C")
    X = s.responses[items].astype(float)
    for c in REVERSED:
        X[c] = -X[c]
    S = X.cov().to_numpy()
    d = np.sqrt(np.diag(sigma))
    se = np.sqrt((np.outer(d**2, d**2) + sigma**2) / n)
    assert np.max(np.abs((S - sigma) / se)) < 5.5
    i, j = items.index("mp_5"), items.index("mp_6")
    _, plain = sim.implied_moments("both", "C")
    assert sigma[i, j] - plain.loc["mp_5", "mp_6"] == pytest.approx(0.25)


def test_structural_paths_recovered_from_true_latent_scores():
    """Estimand (a), structural part: OLS of each endogenous latent on its true predictors.

    n = 20,000 firms (sector J, B2B), no measurement error involved; tolerance 4.5 OLS
    standard errors for every path and 0.03 for every disturbance variance.
    """
    s = sim.simulate_study(
        20_000,
        sectors=["J"],
        market_types=["B2B"],
        seed=8,
        discretize=False,
        careless=False,
        missing=False,
        posts=False,
    )
    t = s.truth.query("part == 'sem' and group == 'B2B' and op == '~'")
    lat = s.latent[s.latent["second_informant"] == 0]  # one row per firm
    for lhs, g in t.groupby("lhs"):
        X = sm.add_constant(lat[g["rhs"].tolist()])
        fit = sm.OLS(lat[lhs], X).fit()
        z = (fit.params[g["rhs"]].to_numpy() - g["est"].to_numpy()) / fit.bse[g["rhs"]].to_numpy()
        assert np.max(np.abs(z)) < 4.5, (lhs, fit.params)
        resid = s.truth.query(
            "part == 'sem' and group == 'B2B' and op == '~~' and lhs == @lhs and rhs == @lhs"
        )["est"].item()
        assert fit.mse_resid == pytest.approx(resid, abs=0.03)


# ---------------------------------------------------------------------------------------
# recovery (b): mean-score regressions
# ---------------------------------------------------------------------------------------
def test_edited_model_drops_stale_population_values_with_a_warning():
    pm = sim.load_population_model()
    pm["structural"]["R2"]["paths"]["transactional_orientation"] = 0.6
    with pytest.warns(DataQualityWarning, match="population values"):
        s = sim.simulate_study(n_firms=10, seed=1, posts=False, model=pm)
    assert "mean_score" not in set(s.truth["part"])
    assert s.truth.query(
        "group == 'B2C' and lhs == 'R2' and op == '~' and rhs == 'transactional_orientation'"
    )["est"].tolist() == [0.6]


def test_population_values_are_current():
    pm = sim.load_population_model()
    pv = pm["population_values"]
    assert pv["model_hash"] == sim.model_hash(), (
        "the population model changed: recompute the mean-score population values with "
        "`python -m nrel_research.data.simulate --population-values` and paste them in"
    )
    assert pv["n_firms"] >= 1_000_000


def test_compute_population_values_agrees_with_stored_values():
    """The chunked computation on a small draw (2 chunks, 16,000 firms) lands near the
    stored values from 1,000,000 firms: slopes within 0.05 and intercepts within 0.15
    (each about 4.5 OLS standard errors at this size)."""
    small = sim.compute_population_values(n_firms=16_000, seed=5, chunk=8_000)
    stored = sim.load_population_model()["population_values"]["mean_score"]
    stored = pd.DataFrame(stored)
    merged = small.merge(stored, on=["lhs", "op", "rhs"], suffixes=("", "_stored"))
    assert len(merged) == len(stored) == 10
    slopes = merged[merged["op"] == "~"]
    np.testing.assert_allclose(slopes["est"], slopes["est_stored"], atol=0.05)
    intercepts = merged[merged["op"] == "~1"]
    np.testing.assert_allclose(intercepts["est"], intercepts["est_stored"], atol=0.15)


def test_mean_score_regressions_recover_population_values():
    """Estimand (b): n = 20,000 attentive, complete respondents, default sector mix.

    Tolerance: 4.5 OLS standard errors (at n = 20,000 about 0.03) plus the Monte Carlo
    error of the stored population value (1,000,000 firms: ~0.001).
    """
    s = sim.simulate_study(20_000, seed=99, careless=False, missing=False, posts=False)
    pm = sim.load_population_model()
    truth = s.truth[s.truth["part"] == "mean_score"]
    for y, xs in pm["mean_score_regressions"].items():
        scores = sim.mean_scores(s.responses, [y, *xs]).dropna()
        fit = sm.OLS(scores[y], sm.add_constant(scores[xs])).fit()
        t = truth[truth["lhs"] == y]
        for r in t.itertuples():
            term = "const" if r.op == "~1" else r.rhs
            assert abs(fit.params[term] - r.est) < 4.5 * fit.bse[term] + 0.002, (y, term)
        # attenuation: the mean-score slope differs from the latent path where one exists
    lat_path = s.truth.query(
        "part == 'sem' and group == 'B2C' and lhs == 'marketing_performance' and rhs == 'R2'"
    )["est"].item()
    ms = truth.query("lhs == 'marketing_performance' and rhs == 'R2'")["est"].item()
    assert ms != pytest.approx(lat_path, abs=0.01)


# ---------------------------------------------------------------------------------------
# recovery (c): the post-level count model
# ---------------------------------------------------------------------------------------
def test_negative_binomial_recovers_count_coefficients():
    """Estimand (c): statsmodels NB2 on ~32,000 posts of 4,000 firms.

    Tolerance: 4.5 standard errors reported by statsmodels for every coefficient and
    for alpha.
    """
    s = sim.simulate_study(4_000, seed=31, discretize=False, careless=False, missing=False)
    posts = s.posts
    X = pd.get_dummies(posts["action"], prefix="action", dtype=float).drop(columns="action_R1")
    X = X.join(
        pd.get_dummies(posts["platform"], prefix="platform", dtype=float).drop(
            columns="platform_fb"
        )
    )
    X["log_followers"] = np.log(posts["followers"])
    X = sm.add_constant(X)
    truth = s.truth[s.truth["part"] == "count"]
    for outcome in ("likes", "comments", "shares"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = sm.NegativeBinomial(posts[outcome], X, loglike_method="nb2").fit(
                disp=0, maxiter=200
            )
        t = truth[truth["lhs"] == outcome]
        for r in t.itertuples():
            term = {"~1": "const", "alpha": "alpha"}.get(r.op, r.rhs)
            z = (fit.params[term] - r.est) / fit.bse[term]
            assert abs(z) < 4.5, (outcome, term, fit.params[term], r.est)


# ---------------------------------------------------------------------------------------
# syntax and bundled data
# ---------------------------------------------------------------------------------------
def test_population_syntax_lists_every_sem_truth_row():
    s = sim.simulate_study(n_firms=10, sectors=["I"], market_types=["B2C"], seed=1, posts=False)
    text = sim.model_syntax("B2C", "I")
    n_terms = sum(line.count("*") for line in text.splitlines())
    assert n_terms == len(s.truth[s.truth["part"] == "sem"])
    assert "0.4*E4" in text  # the sector-I value of the moderated path


def test_bundled_study_regenerates_identically(root, tmp_path):
    shipped = root / "data" / "simulated"
    written = sim.write_bundled_study(tmp_path)
    names = sorted(p.name for p in written)
    assert names == ["firms.csv", "posts.csv", "responses.csv", "truth.csv"]
    for name in names:
        assert filecmp.cmp(shipped / name, tmp_path / name, shallow=False), name
    total = sum((shipped / n).stat().st_size for n in names)
    assert total < 3_000_000
    back = pd.read_csv(shipped / "responses.csv")
    assert back["firm_id"].nunique() == sim.BUNDLED_N_FIRMS


def test_command_line_writes_the_bundle(tmp_path, capsys):
    assert sim.main(["--out", str(tmp_path), "--n-firms", "20", "--seed", "1"]) == 0
    assert (tmp_path / "responses.csv").exists()
    assert "responses.csv" in capsys.readouterr().out
