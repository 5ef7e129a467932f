"""The illustrative brand-post corpus (nrel_research/coding/data/illustrative_posts.csv).

The corpus is hand-written (texts, firms, intended codes) with simulated engagement; see
data/README.md. These tests check its promised shape and that the committed CSV is exactly
what data/scripts/make_illustrative_engagement.py produces from the committed sources.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import subprocess
import sys

import pandas as pd
import pytest

from nrel_research import framework

COLUMNS = [
    "post_id",
    "firm_id",
    "firm_name",
    "sector",
    "sector_name",
    "market",
    "platform",
    "format",
    "language",
    "date",
    "paid",
    "text",
    "likes",
    "comments",
    "shares",
    "views",
    "followers",
    "intended_code",
    "intended_secondary",
]
LANGUAGE_TARGETS = {"en": 0.50, "es": 0.20, "fa": 0.15, "el": 0.15}
ISIC_SECTIONS = set("ABCDEFGHIJKLMNOPQRSTU")
PLATFORMS = {"facebook", "instagram", "x", "linkedin", "tiktok", "youtube"}
FORMATS = {"text", "image", "video", "link", "poll"}
MIN_PER_CODE, MIN_PER_CODE_LANGUAGE = 30, 3
SCRIPT = "data/scripts/make_illustrative_engagement.py"


@pytest.fixture(scope="module")
def data_dir(root):
    return root / "nrel_research" / "coding" / "data"


@pytest.fixture(scope="module")
def raw_bytes(data_dir):
    return (data_dir / "illustrative_posts.csv").read_bytes()


@pytest.fixture(scope="module")
def posts(raw_bytes):
    return pd.read_csv(io.BytesIO(raw_bytes), dtype=str, keep_default_na=False, encoding="utf-8")


@pytest.fixture(scope="module")
def codes():
    return framework.load().codes


def test_utf8_and_columns_in_order(raw_bytes):
    text = raw_bytes.decode("utf-8")  # strict: raises on any invalid byte
    assert not text.startswith("\ufeff")
    header = next(csv.reader(io.StringIO(text)))
    assert header == COLUMNS


def test_rfc4180_rows_parse_to_full_width(raw_bytes):
    rows = list(csv.reader(io.StringIO(raw_bytes.decode("utf-8"), newline="")))
    assert {len(r) for r in rows} == {len(COLUMNS)}
    assert raw_bytes.endswith(b"\r\n")


def test_post_ids_unique_and_sequential(posts):
    assert posts["post_id"].is_unique
    assert list(posts["post_id"]) == [f"P{i:04d}" for i in range(1, len(posts) + 1)]


def test_size_and_code_set(posts, codes):
    assert len(posts) >= 480
    assert set(posts["intended_code"]) == set(codes)
    assert codes == ("R1", "R2", "E1", "E2", "E3", "E4", "E5", "E6", "E7", "L1")
    secondary = posts["intended_secondary"]
    assert set(secondary) <= {"", *codes}
    assert not (secondary == posts["intended_code"]).any()


def test_minimum_counts_per_code_and_language(posts, codes):
    per_code = posts["intended_code"].value_counts()
    for code in codes:
        assert per_code.get(code, 0) >= MIN_PER_CODE, code
    table = pd.crosstab(posts["intended_code"], posts["language"])
    for code in codes:
        for language in LANGUAGE_TARGETS:
            assert table.loc[code, language] >= MIN_PER_CODE_LANGUAGE, (code, language)


def test_b2b_only_codes_only_from_b2b_firms(posts):
    b2b_only = {a.code for a in framework.load().actions if a.b2b_only}
    assert b2b_only == {"E7"}
    uses = posts["intended_code"].isin(b2b_only) | posts["intended_secondary"].isin(b2b_only)
    assert uses.any()
    assert set(posts.loc[uses, "market"]) == {"B2B"}


def test_language_shares_near_targets(posts):
    shares = posts["language"].value_counts(normalize=True)
    assert set(shares.index) == set(LANGUAGE_TARGETS)
    for language, target in LANGUAGE_TARGETS.items():
        assert abs(shares[language] - target) <= 0.05, (language, shares[language])


def test_texts_nonempty_unique_and_in_their_script(posts):
    texts = posts["text"].str.strip()
    assert (texts.str.len() > 0).all()
    normalised = texts.str.casefold().str.replace(r"\s+", " ", regex=True)
    assert not normalised.duplicated().any(), posts.loc[normalised.duplicated(), "post_id"]
    persian = posts.loc[posts["language"] == "fa", "text"]
    greek = posts.loc[posts["language"] == "el", "text"]
    assert persian.str.contains(r"[\u0600-\u06FF]").all()
    assert greek.str.contains(r"[\u0370-\u03FF\u1F00-\u1FFF]").all()
    # Spanish and English posts are not written in Persian or Greek script.
    latin = posts.loc[posts["language"].isin(["en", "es"]), "text"]
    assert not latin.str.contains(r"[\u0600-\u06FF\u0370-\u03FF]").any()


def test_post_level_variables_valid(posts):
    assert set(posts["platform"]) <= PLATFORMS
    assert set(posts["format"]) == FORMATS
    assert set(posts["market"]) == {"B2B", "B2C"}
    assert set(posts["sector"]) <= ISIC_SECTIONS
    assert set(posts["paid"]) == {"true", "false"}
    dates = posts["date"].map(dt.date.fromisoformat)
    assert dates.min() >= dt.date(2024, 1, 1) and dates.max() <= dt.date(2025, 12, 31)
    assert dates.is_monotonic_increasing
    for column in ("likes", "comments", "shares", "followers"):
        assert posts[column].str.fullmatch(r"\d+").all(), column
    assert (posts["followers"].astype(int) > 0).all()
    is_video = posts["format"] == "video"
    assert posts.loc[is_video, "views"].str.fullmatch(r"\d+").all()
    assert (posts.loc[~is_video, "views"] == "").all()


def test_firms_are_fictitious_units_with_consistent_attributes(posts):
    firms = posts.groupby("firm_id")
    assert 35 <= firms.ngroups <= 45
    for column in ("firm_name", "sector", "sector_name", "market"):
        assert (firms[column].nunique() == 1).all(), column
    assert firms["language"].nunique().between(1, 2).all()
    assert firms["platform"].nunique().between(2, 3).all()
    assert posts["sector"].nunique() >= 6
    sector_markets = posts.groupby("market")["sector"].nunique()
    assert sector_markets["B2B"] >= 3 and sector_markets["B2C"] >= 3
    assert posts["firm_id"].str.fullmatch(r"F\d{3}").all()


def test_links_are_placeholders_only(posts):
    urls = posts["text"].str.findall(r"https?://\S+").explode().dropna()
    assert len(urls) > 0
    assert urls.str.match(r"https://example\.com/").all()


def test_engagement_truth_file_complete(data_dir, codes):
    truth = pd.read_csv(data_dir / "illustrative_engagement_truth.csv", keep_default_na=False)
    assert list(truth.columns) == ["metric", "term", "level", "coefficient"]
    assert set(truth["metric"]) == {"likes", "comments", "shares", "views"}
    for metric, rows in truth.groupby("metric"):
        assert set(rows.loc[rows["term"] == "code", "level"]) == set(codes), metric
        assert (rows["term"] == "log_followers").sum() == 1
        theta = rows.loc[rows["term"] == "theta", "coefficient"]
        assert len(theta) == 1 and float(theta.iloc[0]) > 0
        reference = rows[(rows["term"] == "code") & (rows["level"] == "R1")]
        assert float(reference["coefficient"].iloc[0]) == 0.0


def test_engagement_script_reproduces_committed_files_byte_for_byte(root, data_dir, tmp_path):
    result = subprocess.run(
        [sys.executable, str(root / SCRIPT), "--out-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
        cwd=root,
    )
    assert result.returncode == 0, result.stderr
    for name in ("illustrative_posts.csv", "illustrative_engagement_truth.csv"):
        assert (tmp_path / name).read_bytes() == (data_dir / name).read_bytes(), name


def test_engagement_script_rejects_e7_from_a_b2c_firm(root, tmp_path):
    source = root / "data" / "scripts"
    (tmp_path / "illustrative_firms.csv").write_bytes(
        (source / "illustrative_firms.csv").read_bytes()
    )
    lines = (source / "illustrative_posts_source.psv").read_text(encoding="utf-8").splitlines()
    b2c_line = next(i for i, line in enumerate(lines) if line.startswith("F002|en|instagram|"))
    fields = lines[b2c_line].split("|")
    fields[4] = "E7"
    lines[b2c_line] = "|".join(fields)
    (tmp_path / "illustrative_posts_source.psv").write_text("\n".join(lines), encoding="utf-8")
    result = subprocess.run(
        [
            sys.executable,
            str(root / SCRIPT),
            "--source-dir",
            str(tmp_path),
            "--out-dir",
            str(tmp_path / "out"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert re.search(rf"row {b2c_line + 1}, column 'intended_code'", result.stderr)
    assert "B2B" in result.stderr
    assert not (tmp_path / "out").exists()
