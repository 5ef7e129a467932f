"""Little's MCAR test (R oracle), cleaning screens, scoring and provenance."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest

from nrel_research import data, instruments
from nrel_research.exceptions import DataError, DataQualityWarning

REF = "tests/reference"


# -- Little's MCAR test against R ----------------------------------------------------------------
@pytest.mark.parametrize("case", ["mcar", "mar"])
def test_little_mcar_matches_r(root, case):
    ref = json.loads((root / REF / "little_mcar.json").read_text(encoding="utf-8"))[case]
    x = pd.read_csv(root / REF / f"little_mcar_input_{case}.csv")
    mu, sigma, _ = data.em_moments(x, tol=1e-12)
    # lavaan's FIML optimiser stops at rel.tol 1e-14 on the log-likelihood: moments agree
    # to about 1e-6, the statistic to about 1e-6 relative.
    np.testing.assert_allclose(mu, ref["mean"], atol=1e-5)
    np.testing.assert_allclose(sigma, np.array(ref["cov"]), atol=1e-5)
    res = data.little_mcar_test(x)
    assert res.df == ref["df"] and res.n_patterns == ref["missing_patterns"]
    np.testing.assert_allclose(res.statistic, ref["statistic"], rtol=1e-5)
    # a far-tail p-value (1e-26) moves ~200x faster than the statistic: looser rtol
    np.testing.assert_allclose(res.p_value, ref["p_value"], rtol=1e-3)


def test_little_mcar_rejects_mar_and_keeps_mcar(root):
    assert (
        data.little_mcar_test(pd.read_csv(root / REF / "little_mcar_input_mar.csv")).p_value < 1e-6
    )
    assert (
        data.little_mcar_test(pd.read_csv(root / REF / "little_mcar_input_mcar.csv")).p_value > 0.05
    )


def test_em_on_complete_data_is_the_ml_moments():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(50, 3))
    mu, sigma, _ = data.em_moments(x)
    np.testing.assert_allclose(mu, x.mean(axis=0), atol=1e-12)
    np.testing.assert_allclose(sigma, np.cov(x.T, ddof=0), atol=1e-12)


# -- careless-responding indices on hand-built data --------------------------------------------
def test_longstring_by_hand():
    df = pd.DataFrame({"a": [1, 4, 2], "b": [1, 4, None], "c": [2, 4, 2], "d": [2, 4, 3]})
    ls = data.longstring(df, ["a", "b", "c", "d"])
    assert ls["longstring"].tolist() == [2.0, 4.0, 2.0]
    assert ls["avgstring"].tolist() == [2.0, 4.0, 1.5]


def test_even_odd_by_hand():
    # three 2-item scales; person 0 answers consistently, person 1 contradicts itself
    df = pd.DataFrame(
        {"a1": [1, 1], "a2": [1, 7], "b1": [4, 4], "b2": [4, 4], "c1": [7, 7], "c2": [7, 1]}
    )
    eo = data.even_odd_consistency(df, {"a": ["a1", "a2"], "b": ["b1", "b2"], "c": ["c1", "c2"]})
    assert eo[0] == pytest.approx(1.0)
    r = -1.0  # odd (1, 4, 7) vs even (7, 4, 1)
    assert np.isnan(eo[1]) or eo[1] == pytest.approx(2 * r / (1 + r))


def test_mahalanobis_complete_data_matches_closed_form():
    rng = np.random.default_rng(2)
    x = pd.DataFrame(rng.normal(size=(40, 3)), columns=list("abc"))
    md = data.mahalanobis_distance(x)
    mu = x.mean().to_numpy()
    s = np.cov(x.to_numpy().T, ddof=0)
    d = x.to_numpy() - mu
    expected = np.einsum("ij,jk,ik->i", d, np.linalg.inv(s), d)
    np.testing.assert_allclose(md["mahalanobis_d2"], expected, rtol=1e-8)


# -- clean() -----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def raw():
    return data.demo_responses(60, seed=5)


@pytest.fixture(scope="module")
def result(raw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        return data.clean(raw)


def test_clean_finds_the_planted_problems(raw, result):
    planted = raw.attrs["planted"]
    ex = result.exclusions
    assert set(planted["speeder"]) <= set(ex.loc[ex["reason"] == "speeders", "respondent_id"])
    assert set(planted["straightliner"]) <= set(
        ex.loc[ex["reason"] == "straightlining", "respondent_id"]
    )
    excluded = set(ex.loc[ex["excluded"], "respondent_id"])
    assert not excluded & set(result.data["response_id"])
    assert result.rows_in == 60 and result.rows_out == len(result.data) == 60 - len(excluded)


def test_every_step_is_logged_and_optional(raw):
    res = data.clean(raw, attention=None, straightlining="flag", speeders=False, competence=None,
                     mahalanobis=None, even_odd=None, missing=None, mcar_test=False)  # fmt: skip
    rep = res.report.set_index("step")
    assert rep.loc["attention", "setting"].startswith("skipped")
    assert (
        rep.loc["straightlining", "n_flagged"] >= 3 and rep.loc["straightlining", "n_excluded"] == 0
    )
    assert res.rows_out == 60
    assert res.flags["flag_straightlining"].sum() == rep.loc["straightlining", "n_flagged"]


def test_clean_reverse_keys_once(raw, result):
    kept = raw.set_index("response_id").loc[result.data["response_id"]]
    assert (result.data["mo_6"].to_numpy() == (8 - kept["mo_6"]).to_numpy()).all()
    with pytest.raises(DataError, match="already reverse-keyed"):
        data.reverse_key(result.data)
    with pytest.raises(DataError, match="already reverse-keyed"):
        data.clean(result.data)


def test_clean_removes_personal_data(raw):
    df = raw.copy()
    df["IPAddress"] = "192.168.0.1"
    df["resp_role_other"] = df["resp_role_other"].astype(object)
    res = data.clean(df, mahalanobis=None, mcar_test=False, keep_free_text=True)
    assert "IPAddress" not in res.data.columns
    assert not [c for c in res.data.columns if c.startswith("handle_")]
    assert "firm_id" in res.data.columns
    assert set(res.linkage.columns) >= {"firm_id", "response_id", "handle_fb"}
    assert (res.deidentification["column"] == "IPAddress").any()


def test_deidentify_blanks_emails_in_free_text():
    inst = instruments.build(["respondent_role"], randomize_within_blocks=False)
    df = data.blank_responses(2, inst)
    df["resp_role"] = pd.array([6, 6], dtype="Int64")
    df["resp_role_other"] = pd.array(
        ["CMO, write to ana@firm.com", "Head of brand"], dtype="string"
    )
    out, _, log = data.deidentify(df, inst, keep_free_text=True)
    assert (
        pd.isna(out.loc[0, "resp_role_other"]) and out.loc[1, "resp_role_other"] == "Head of brand"
    )
    assert log.iloc[-1]["detail"] == "contains an e-mail"


def test_missing_summary_counts_only_shown_items():
    inst = instruments.build(["E7"], randomize_within_blocks=False)
    df = data.blank_responses(3, inst)
    df["consent"] = pd.array([1, 1, 1], dtype="Int64")
    df["market_type"] = pd.array([1, 2, 1], dtype="Int64")
    df["e7_1"] = pd.array([5, pd.NA, pd.NA], dtype="Int64")
    df["e7_2"] = pd.array([5, pd.NA, 4], dtype="Int64")
    df["e7_3"] = pd.array([5, pd.NA, 4], dtype="Int64")
    m = data.missing_summary(df, inst)
    items = m["items"].set_index("name")
    assert items.loc["e7_1", "n_shown"] == 2 and items.loc["e7_1", "n_missing"] == 1
    assert m["respondents"]["n_shown"].tolist() == [3, 0, 3]


def test_early_late_comparison_uses_waves_and_welch():
    df = pd.DataFrame({"wave": [1, 1, 1, 2, 2, 2]})
    sc = pd.DataFrame({"x": [1.0, 2.0, 3.0, 2.0, 4.0, 6.0]})
    el = data.early_late_comparison(df, sc)
    row = el.iloc[0]
    assert row["basis"] == "wave 1 vs wave 2" and row["difference"] == pytest.approx(2.0)
    # Welch by hand: t = (2 - 4) / sqrt(1/3 + 4/3), df = (5/3)^2 / ((1/3)^2/2 + (4/3)^2/2)
    assert row["statistic"] == pytest.approx(-2 / np.sqrt(5 / 3))
    assert row["df"] == pytest.approx((5 / 3) ** 2 / ((1 / 9) / 2 + (16 / 9) / 2))
    # market type: early 3 B2B, late 1 B2B + 2 B2C -> chi2 = 3.0 on 1 df (by hand)
    sc["market_type"] = pd.Categorical(["B2B", "B2B", "B2B", "B2B", "B2C", "B2C"])
    chi = data.early_late_comparison(df, sc).set_index("variable").loc["market_type"]
    assert chi["test"] == "chi2_independence" and chi["statistic"] == pytest.approx(3.0)
    assert chi["df"] == 1


def test_cleaning_report_html(result, tmp_path):
    text = result.to_html(tmp_path / "r.html")
    assert "<h2>Exclusions</h2>" in text and (tmp_path / "r.html").exists()
    assert "responses in: 60" in result.summary()


# -- score() -----------------------------------------------------------------------------------
def test_score_by_hand():
    inst = instruments.build(
        ["R1", "R2", "E7", "market_orientation"], randomize_within_blocks=False
    )
    df = data.blank_responses(2, inst)
    df["consent"] = pd.array([1, 1], dtype="Int64")
    df["market_type"] = pd.array([1, 2], dtype="Int64")
    for name, vals in {
        "r1_1": [7, 1], "r1_2": [7, 1], "r1_3": [4, pd.NA],
        "r2_1": [4, 4], "r2_2": [4, 4], "r2_3": [4, 4],
        "e7_1": [1, pd.NA], "e7_2": [1, pd.NA], "e7_3": [1, pd.NA],
        "mo_1": [7, 7], "mo_6": [1, 7],
    }.items():  # fmt: skip
        df[name] = pd.array(vals, dtype="Int64")
    s = data.score(df, inst, min_items=2)
    assert s["R1"].tolist() == [6.0, 1.0]
    assert s["E7"].isna().tolist() == [False, True]
    assert s["market_orientation"].tolist() == [7.0, 4.0]  # mo_6 reverse-keyed
    assert s["market_type"].astype(str).tolist() == ["B2B", "B2C"]
    # mix over the action types in the instrument: R1 5, R2 3, E7 0 -> 5/8, 3/8, 0
    assert s.loc[0, ["mix_R1", "mix_R2", "mix_E7"]].tolist() == pytest.approx([5 / 8, 3 / 8, 0])
    # the B2C firm: E7 does not apply; R1 at the floor
    assert s.loc[1, "mix_R2"] == pytest.approx(1.0) and pd.isna(s.loc[1, "mix_E7"])
    s3 = data.score(df, inst, min_items=3)
    assert pd.isna(s3.loc[1, "R1"])
    with pytest.raises(DataError, match="min_items"):
        data.score(df, inst, min_items=0)


def test_score_after_clean_does_not_reverse_twice(result):
    s = data.score(result.data)
    assert s["market_orientation"].notna().all()
    manual = result.data[[f"mo_{k}" for k in range(1, 7)]].astype(float).mean(axis=1)
    np.testing.assert_allclose(s["market_orientation"], manual)


# -- provenance --------------------------------------------------------------------------------
def test_write_processed_manifest_and_read_only_source(tmp_path, result, raw):
    (tmp_path / "raw").mkdir()
    src = data.write_responses(raw, tmp_path / "raw" / "export.csv", "qualtrics")
    before = data.file_sha256(src)
    df, _ = data.read_responses(src)
    res = data.clean(df, mahalanobis=None, mcar_test=False)
    m = data.write_processed(res, tmp_path / "processed", sources=[src],
                             extra={"scores": data.score(res.data)})  # fmt: skip
    manifest = json.loads(m.read_text(encoding="utf-8"))
    assert manifest["sources"] == [{"file": "export.csv", "sha256": before}]
    assert manifest["rows_in"] == 60 and manifest["rows_out"] == res.rows_out
    assert "deidentified" in manifest["steps"]
    files = {o["file"] for o in manifest["outputs"]}
    assert {"responses.csv", "scores.csv", "exclusions.csv", "cleaning_report.html"} <= files
    assert (tmp_path / "interim" / "linkage" / "linkage.csv").exists()
    assert not (tmp_path / "processed" / "linkage.csv").exists()
    assert data.file_sha256(src) == before


def test_write_processed_refuses_personal_data(tmp_path, raw):
    with pytest.raises(DataError, match="identifying columns"):
        data.write_processed({"responses": raw}, tmp_path / "p")
    df = raw.drop(
        columns=[c for c in raw.columns if c.startswith("handle_") or c.endswith("_other")]
    )
    df["note"] = "mail me: x@y.org"
    with pytest.raises(DataError, match="e-mail or IP"):
        data.write_processed({"responses": df}, tmp_path / "p")
