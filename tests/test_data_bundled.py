"""The bundled simulated study: loading, round trips in every format, cleaning vs known truth.

Oracle: simulation with known truth. ``firms.csv`` records which rows the simulator planted
as straight-liners, speeders and consent refusals, and the population model
(``population_model.yaml``, section ``respondents``) states their shares and behaviour.
Rates are compared with the model's values by an exact two-sided binomial test; the stated
tolerance is p > 0.001 (the bundled study is one fixed draw, seed 2016).
"""

from __future__ import annotations

import shutil
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from nrel_research import data
from nrel_research.data._schema import schema_of
from nrel_research.data.simulate import load_population_model
from nrel_research.exceptions import DataError, DataQualityWarning

FORMATS = [
    ("csv", "csv"),
    ("xlsx", "xlsx"),
    ("spss", "sav"),
    ("qualtrics", "csv"),
    ("limesurvey", "csv"),
    ("kobo", "csv"),
]
P_MIN = 0.001  # exact binomial test: the stated tolerance


@pytest.fixture(scope="module")
def bundled():
    return data.load_bundled_study()


@pytest.fixture(scope="module")
def cleaned(bundled):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        return data.clean(bundled.responses)


@pytest.fixture(scope="module")
def respondents():
    return load_population_model()["respondents"]


def consistent(k: int, n: int, p: float) -> bool:
    return stats.binomtest(k, n, p).pvalue > P_MIN


# -- loading ----------------------------------------------------------------------------------
def test_load_bundled_study(bundled, root):
    assert bundled.folder == root / "data" / "simulated"
    r = bundled.responses
    assert len(r) == len(bundled.firms) == 631 and r["firm_id"].nunique() == 600
    assert r["response_id"].is_unique and r["response_id"].notna().all()
    assert (r["firm_id"].to_numpy() == bundled.firms["firm_id"].to_numpy()).all()
    assert set(bundled.posts["firm_id"]) <= set(r["firm_id"])
    assert str(bundled.posts["posted_at"].dtype).startswith("datetime64")
    assert set(bundled.truth["part"]) == {"sem", "count", "mean_score"}
    assert not (bundled.import_report["status"] == "unmapped").any()


def test_bundled_study_is_found_from_a_subfolder(root, monkeypatch):
    monkeypatch.chdir(root / "notebooks")
    assert data.bundled_study_dir() == root / "data" / "simulated"
    assert data.bundled_study_dir(root) == root / "data" / "simulated"


def test_missing_bundled_study_is_a_clear_error(tmp_path):
    with pytest.raises(DataError, match=r"not found in .*ships with the repository.*--out"):
        data.load_bundled_study(tmp_path)


def test_mismatched_bundled_files_are_an_error(tmp_path, root):
    folder = tmp_path / "data" / "simulated"
    shutil.copytree(root / "data" / "simulated", folder)
    firms = pd.read_csv(folder / "firms.csv")
    firms.iloc[:-1].to_csv(folder / "firms.csv", index=False)
    with pytest.raises(DataError, match=r"does not match.*row for row"):
        data.load_bundled_study(tmp_path)


def test_loading_never_modifies_the_bundled_files(root):
    folder = root / "data" / "simulated"
    before = {f: data.file_sha256(folder / f) for f in data.bundled.BUNDLED_FILES}
    data.load_bundled_study(root)
    assert {f: data.file_sha256(folder / f) for f in data.bundled.BUNDLED_FILES} == before


# -- round trip: every format, all 631 rows ----------------------------------------------------
@pytest.mark.parametrize(("source", "ext"), FORMATS)
def test_bundled_study_round_trips_in_every_format(tmp_path, bundled, source, ext):
    original = bundled.responses
    path = data.write_responses(original, tmp_path / f"bundled_{source}.{ext}", source)
    before = data.file_sha256(path)
    assert data.detect_source(path) == source
    back, report = data.read_responses(path)
    assert data.file_sha256(path) == before
    assert back.attrs["source"]["sha256"] == before
    assert not (report["status"] == "unmapped").any()
    # exact for every format, including multi-selects shown with nothing ticked (written as
    # Qualtrics' seen-but-unanswered 0 and LimeSurvey's converted N): the bundled study has
    # such answers, so the case is exercised
    schema = schema_of(None)
    n_none = sum(
        int((original[[n for _, n in options]].fillna(-1) == 0).all(axis=1).sum())
        for options in schema.multiple.values()
    )
    assert n_none > 0
    assert not (report["status"] == "ambiguous").any()
    pd.testing.assert_frame_equal(back, original)


# -- clean() and score() against the planted truth --------------------------------------------
def test_planted_shares_match_the_population_model(bundled, respondents):
    kind = bundled.firms["respondent_type"]
    n = len(kind)
    consenting = int((kind != "refused").sum())
    assert consistent(int((kind == "refused").sum()), n, respondents["consent_refusal"])
    for k in ("straight_liner", "speeder"):
        assert consistent(int((kind == k).sum()), consenting, respondents["careless"][k])


def test_straight_liners_are_flagged_exactly(bundled, cleaned, respondents):
    kind = bundled.firms["respondent_type"].to_numpy()
    flag = cleaned.flags["flag_straightlining"].to_numpy()
    consenting = kind != "refused"
    assert (flag == (kind == "straight_liner")).all()  # recall 1, no attentive flagged
    share = respondents["careless"]["straight_liner"]
    assert consistent(int(flag[consenting].sum()), int(consenting.sum()), share)


def test_speeders_are_flagged_at_the_rate_the_duration_model_implies(bundled, cleaned, respondents):
    kind = bundled.firms["respondent_type"].to_numpy()
    flag = cleaned.flags["flag_speeders"].to_numpy()
    D = respondents["duration_minutes"]
    limit = (
        cleaned.flags.loc[kind != "refused", "duration_seconds"].median() / 3 / 60
    )  # clean()'s default speed_fraction = 1/3 of the median, in minutes
    p_detect = stats.norm.cdf(np.log(limit / D["speeder_median"]) / D["sdlog"])
    p_false = stats.norm.cdf(np.log(limit / D["median"]) / D["sdlog"])
    assert 0.8 < p_detect < 0.95 and p_false < 0.005
    speeders, attentive = kind == "speeder", kind == "attentive"
    assert consistent(int(flag[speeders].sum()), int(speeders.sum()), p_detect)
    assert consistent(int(flag[attentive].sum()), int(attentive.sum()), p_false)


def test_attention_failures_match_the_model(bundled, cleaned, respondents):
    """Attentive respondents miss an instructed item with probability 1 - attention_pass
    (the simulator shifts the answer by one; attn_1 = 3, attn_2 = 5 are never clipped), and
    an unanswered instructed item (MCAR) counts as failed; careless respondents answer by
    their pattern (speeders uniformly on 1-7, straight-liners their one code, never 3)."""
    kind = bundled.firms["respondent_type"].to_numpy()
    flag = cleaned.flags["flag_attention"].to_numpy()
    mcar = respondents["missing"]["mcar"]
    p_pass_item = (1 - mcar) * respondents["attention_pass"]["attentive"]
    cases = {
        "attentive": 1 - p_pass_item**2,
        "speeder": 1 - ((1 - mcar) / 7) ** 2,
    }
    for k, p in cases.items():
        rows = kind == k
        assert consistent(int(flag[rows].sum()), int(rows.sum()), p), k
    assert flag[kind == "straight_liner"].all()
    assert not flag[kind == "refused"].any()


def test_cleaning_excludes_the_planted_careless_and_improves_scores(bundled, cleaned):
    kind = pd.Series(
        bundled.firms["respondent_type"].to_numpy(), index=bundled.responses["response_id"]
    )
    kept = cleaned.data["response_id"]
    assert not kind[kept].isin(["straight_liner", "refused"]).any()
    assert (kind[kept] == "speeder").sum() == 0  # missed by the timer, caught by the checks
    scores = data.score(cleaned.data).set_index(kept)
    consenting = bundled.responses[bundled.responses["consent"] == 1]
    raw = data.score(consenting).set_index(consenting["response_id"])
    truth = bundled.firms.set_index(bundled.responses["response_id"])
    for construct in ("transactional_orientation", "relational_orientation",
                      "market_orientation", "R1", "E4", "L1", "social_media_performance",
                      "marketing_performance"):  # fmt: skip
        r_clean = scores[construct].corr(truth.loc[scores.index, construct])
        r_raw = raw[construct].corr(truth.loc[raw.index, construct])
        assert r_clean > 0.75, construct
        assert r_clean > r_raw, construct
