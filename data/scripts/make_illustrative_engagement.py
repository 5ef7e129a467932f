r"""Build the illustrative N-REL brand-post corpus and simulate its engagement counts.

The texts, firms, platforms, formats, languages and intended codes of the corpus were
written one by one for nrel_research by a single author (they are not real posts) and live
in two source files next to this script:

- ``illustrative_firms.csv``: the fictitious firms (id, name, handle, ISIC Rev.4 section,
  market, languages, platforms, account size class);
- ``illustrative_posts_source.psv``: one hand-written post per line, ``|``-separated, with
  columns ``firm_id|language|platform|format|intended_code|intended_secondary|date|text``
  (``date`` may be empty; a literal ``\n`` in ``text`` is a line break).

This script adds everything that is *simulated*, deterministically from ``--seed``:

- follower counts: each firm x platform account gets a base audience at 2024-01-01,
  ``log(base) ~ Normal(log(size scale) + platform/market shift, 0.5)``, and a yearly
  growth rate ``g ~ Normal(0.15, 0.10)``; followers at posting time are
  ``round(base * exp(g * years since 2024-01-01))``;
- a date (uniform over 2024-01-01 .. 2025-12-31) for posts whose source date is empty;
- paid/organic: ``paid ~ Bernoulli(p_code)`` (promotion is boosted more often);
- engagement counts, each from a negative-binomial (NB2, gamma-Poisson) model::

      log E[y_m] = intercept_m + elasticity_m * log(followers)
                   + code_m[intended_code] + format_m[format]
                   + platform_m[platform] + paid_m * paid
      Var[y_m]   = mu + mu**2 / theta_m

  for m in likes, comments, shares and (video posts only) views. Reference levels are
  code R1, format text, platform facebook and organic (coefficient 0). Only the primary
  ``intended_code`` enters the model; ``intended_secondary`` does not.

Every random draw comes from ``numpy.random.default_rng`` seeded with ``(seed, stream,
index)`` (never global state), so a post's simulated values do not change when other posts
are added. The outputs are ``illustrative_posts.csv`` (RFC 4180, UTF-8, CRLF rows, sorted
by date then source order, ids P0001...) and ``illustrative_engagement_truth.csv`` (the true
coefficients), both written byte-for-byte identically on every run with the same seed.

Run from the repository root::

    python data/scripts/make_illustrative_engagement.py

Options: ``--source-dir`` (default: this script's folder), ``--out-dir`` (default:
``nrel_research/coding/data``), ``--seed`` (default 20240417).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import sys
from pathlib import Path

import numpy as np

from nrel_research.exceptions import DataError

SEED = 20240417
CODES = ("R1", "R2", "E1", "E2", "E3", "E4", "E5", "E6", "E7", "L1")
FORMATS = ("text", "image", "video", "link", "poll")
PLATFORMS = ("facebook", "instagram", "x", "linkedin", "tiktok", "youtube")
LANGUAGES = ("en", "es", "fa", "el")
MARKETS = ("B2B", "B2C")
METRICS = ("likes", "comments", "shares", "views")
FIRST_DAY = dt.date(2024, 1, 1)
LAST_DAY = dt.date(2025, 12, 31)

OUTPUT_COLUMNS = (
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
)
SOURCE_COLUMNS = (
    "firm_id",
    "language",
    "platform",
    "format",
    "intended_code",
    "intended_secondary",
    "date",
    "text",
)
FIRM_COLUMNS = (
    "firm_id",
    "firm_name",
    "handle",
    "sector",
    "sector_name",
    "market",
    "languages",
    "platforms",
    "size",
)

# --- follower model ---------------------------------------------------------------------
SIZE_LOG_SCALE = {"small": np.log(3_000), "medium": np.log(20_000), "large": np.log(150_000)}
PLATFORM_AUDIENCE_SHIFT = {
    # (platform, market) -> shift of log(base followers)
    ("facebook", "B2C"): 0.0,
    ("facebook", "B2B"): -0.7,
    ("instagram", "B2C"): 0.2,
    ("instagram", "B2B"): -0.9,
    ("x", "B2C"): -0.6,
    ("x", "B2B"): -0.8,
    ("linkedin", "B2C"): -1.2,
    ("linkedin", "B2B"): 0.0,
    ("tiktok", "B2C"): 0.1,
    ("tiktok", "B2B"): -1.5,
    ("youtube", "B2C"): -0.8,
    ("youtube", "B2B"): -1.6,
}
BASE_FOLLOWERS_SD = 0.5
GROWTH_MEAN, GROWTH_SD = 0.15, 0.10

# --- paid/organic model ------------------------------------------------------------------
P_PAID = {
    "R1": 0.08,
    "R2": 0.35,
    "E1": 0.15,
    "E2": 0.10,
    "E3": 0.05,
    "E4": 0.25,
    "E5": 0.02,
    "E6": 0.02,
    "E7": 0.05,
    "L1": 0.05,
}

# --- engagement model: true coefficients (log link), per metric ----------------------------
INTERCEPT = {"likes": -3.2, "comments": -5.6, "shares": -5.9, "views": -0.9}
ELASTICITY = {"likes": 0.75, "comments": 0.70, "shares": 0.72, "views": 0.85}
THETA = {"likes": 2.0, "comments": 1.2, "shares": 1.0, "views": 1.5}
PAID_EFFECT = {"likes": 0.40, "comments": 0.10, "shares": 0.20, "views": 0.80}
CODE_EFFECT = {  # likes, comments, shares, views; reference R1
    "R1": (0.00, 0.00, 0.00, 0.00),
    "R2": (-0.25, -0.30, -0.20, 0.05),
    "E1": (0.30, 0.20, 0.35, 0.40),
    "E2": (0.05, 0.25, -0.10, 0.00),
    "E3": (0.20, 0.70, 0.10, 0.10),
    "E4": (0.55, 1.10, 0.90, 0.30),
    "E5": (0.45, 0.40, 0.60, 0.35),
    "E6": (-0.40, 0.45, -0.50, -0.20),
    "E7": (-0.15, -0.30, -0.10, -0.30),
    "L1": (-0.10, 0.60, -0.30, -0.10),
}
FORMAT_EFFECT = {  # likes, comments, shares; reference text (views exist for video only)
    "text": (0.00, 0.00, 0.00),
    "image": (0.30, 0.05, 0.15),
    "video": (0.35, 0.15, 0.40),
    "link": (-0.30, -0.20, 0.05),
    "poll": (0.10, 0.50, -0.40),
}
PLATFORM_EFFECT = {  # likes, comments, shares, views; reference facebook
    "facebook": (0.00, 0.00, 0.00, 0.00),
    "instagram": (0.25, 0.00, -0.30, 0.20),
    "x": (-0.35, -0.10, 0.20, -0.30),
    "linkedin": (-0.20, -0.30, -0.10, -0.60),
    "tiktok": (0.60, 0.30, 0.50, 1.00),
    "youtube": (-0.50, -0.40, -0.60, 0.50),
}

# Random-stream labels for the seed tuple (seed, stream, index).
_STREAM_FOLLOWERS, _STREAM_POST = 0, 1


class CorpusSourceError(DataError):
    """A hand-written source file of the illustrative corpus is malformed."""


def _fail(path: Path, row: int, column: str, value: object, hint: str) -> None:
    raise CorpusSourceError(
        f"{path.name}, row {row}, column {column!r}: value {value!r} is not valid; {hint}."
    )


def read_firms(path: Path) -> dict[str, dict[str, object]]:
    """Read and validate the fictitious firms file; return firms keyed by firm_id."""
    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        if tuple(reader.fieldnames or ()) != FIRM_COLUMNS:
            _fail(path, 1, "header", reader.fieldnames, f"expected {FIRM_COLUMNS}")
        firms: dict[str, dict[str, object]] = {}
        for row_number, row in enumerate(reader, start=2):
            if row["firm_id"] in firms:
                _fail(path, row_number, "firm_id", row["firm_id"], "duplicate firm id")
            if row["market"] not in MARKETS:
                _fail(path, row_number, "market", row["market"], f"use one of {MARKETS}")
            if row["size"] not in SIZE_LOG_SCALE:
                _fail(path, row_number, "size", row["size"], f"use one of {tuple(SIZE_LOG_SCALE)}")
            languages = row["languages"].split()
            platforms = row["platforms"].split()
            if not set(languages) <= set(LANGUAGES) or not 1 <= len(languages) <= 2:
                _fail(path, row_number, "languages", row["languages"], "one or two of en es fa el")
            if not set(platforms) <= set(PLATFORMS) or not 2 <= len(platforms) <= 3:
                _fail(path, row_number, "platforms", row["platforms"], "two or three platforms")
            firms[row["firm_id"]] = {
                **row,
                "languages": languages,
                "platforms": platforms,
                "index": row_number - 1,
            }
    return firms


def read_posts(path: Path, firms: dict[str, dict[str, object]]) -> list[dict[str, str]]:
    """Read and validate the hand-written posts; return them in source order."""
    lines = path.read_text(encoding="utf-8").splitlines()
    if tuple(lines[0].split("|")) != SOURCE_COLUMNS:
        _fail(path, 1, "header", lines[0], f"expected {'|'.join(SOURCE_COLUMNS)}")
    posts = []
    for row_number, line in enumerate(lines[1:], start=2):
        fields = line.split("|")
        if len(fields) != len(SOURCE_COLUMNS):
            _fail(path, row_number, "line", line[:60], f"needs {len(SOURCE_COLUMNS)} fields")
        post = dict(zip(SOURCE_COLUMNS, fields, strict=True))
        firm = firms.get(post["firm_id"])
        if firm is None:
            _fail(path, row_number, "firm_id", post["firm_id"], "not in illustrative_firms.csv")
        if post["language"] not in firm["languages"]:
            _fail(path, row_number, "language", post["language"], f"firm uses {firm['languages']}")
        if post["platform"] not in firm["platforms"]:
            _fail(path, row_number, "platform", post["platform"], f"firm uses {firm['platforms']}")
        if post["format"] not in FORMATS:
            _fail(path, row_number, "format", post["format"], f"use one of {FORMATS}")
        if post["intended_code"] not in CODES:
            _fail(path, row_number, "intended_code", post["intended_code"], f"use {CODES}")
        if post["intended_secondary"] not in ("", *CODES) or (
            post["intended_secondary"] == post["intended_code"]
        ):
            _fail(path, row_number, "intended_secondary", post["intended_secondary"], "bad code")
        if "E7" in (post["intended_code"], post["intended_secondary"]) and firm["market"] != "B2B":
            _fail(path, row_number, "intended_code", "E7", "E7 is for B2B firms only")
        if post["date"]:
            try:
                day = dt.date.fromisoformat(post["date"])
            except ValueError:
                _fail(path, row_number, "date", post["date"], "use YYYY-MM-DD")
            if not FIRST_DAY <= day <= LAST_DAY:
                _fail(path, row_number, "date", post["date"], "must fall in 2024-2025")
        post["text"] = post["text"].replace("\\n", "\n").strip()
        if not post["text"]:
            _fail(path, row_number, "text", "", "empty text")
        posts.append(post)
    return posts


def simulate_accounts(firms: dict[str, dict[str, object]], seed: int) -> dict:
    """Draw each firm x platform account's base followers and yearly growth rate."""
    accounts = {}
    for firm_id, firm in firms.items():
        rng = np.random.default_rng([seed, _STREAM_FOLLOWERS, int(firm["index"])])
        for platform in PLATFORMS:  # fixed order, so a firm's draws do not depend on its list
            log_base = rng.normal(
                SIZE_LOG_SCALE[firm["size"]] + PLATFORM_AUDIENCE_SHIFT[(platform, firm["market"])],
                BASE_FOLLOWERS_SD,
            )
            growth = rng.normal(GROWTH_MEAN, GROWTH_SD)
            accounts[(firm_id, platform)] = (float(np.exp(log_base)), float(growth))
    return accounts


def _nb_draw(rng: np.random.Generator, mu: float, theta: float) -> int:
    """One NB2 draw with mean ``mu`` and variance ``mu + mu**2 / theta``."""
    return int(rng.negative_binomial(theta, theta / (theta + mu)))


def simulate_post(post: dict[str, str], index: int, accounts: dict, seed: int) -> dict:
    """Add the simulated date (if missing), paid flag, followers and engagement to a post."""
    rng = np.random.default_rng([seed, _STREAM_POST, index])
    n_days = (LAST_DAY - FIRST_DAY).days + 1
    drawn_day = FIRST_DAY + dt.timedelta(days=int(rng.integers(n_days)))
    day = dt.date.fromisoformat(post["date"]) if post["date"] else drawn_day
    paid = bool(rng.random() < P_PAID[post["intended_code"]])
    base, growth = accounts[(post["firm_id"], post["platform"])]
    followers = round(base * np.exp(growth * (day - FIRST_DAY).days / 365.25))
    code, fmt, platform = post["intended_code"], post["format"], post["platform"]
    counts: dict[str, object] = {}
    for m, metric in enumerate(METRICS):
        eta = (
            INTERCEPT[metric]
            + ELASTICITY[metric] * np.log(followers)
            + CODE_EFFECT[code][m]
            + (FORMAT_EFFECT[fmt][m] if metric != "views" else 0.0)
            + PLATFORM_EFFECT[platform][m]
            + PAID_EFFECT[metric] * paid
        )
        value = _nb_draw(rng, float(np.exp(eta)), THETA[metric])  # always drawn: fixed stream
        counts[metric] = value if (metric != "views" or fmt == "video") else ""
    simulated = {"date": day.isoformat(), "paid": "true" if paid else "false"}
    return simulated | {"followers": followers} | counts


def truth_rows() -> list[tuple[str, str, str, str]]:
    """Return the true coefficients as (metric, term, level, value) rows."""
    rows = []
    for m, metric in enumerate(METRICS):
        rows.append((metric, "intercept", "", INTERCEPT[metric]))
        rows.append((metric, "log_followers", "", ELASTICITY[metric]))
        rows.extend((metric, "code", code, CODE_EFFECT[code][m]) for code in CODES)
        if metric != "views":
            rows.extend((metric, "format", fmt, FORMAT_EFFECT[fmt][m]) for fmt in FORMATS)
        rows.extend((metric, "platform", p, PLATFORM_EFFECT[p][m]) for p in PLATFORMS)
        rows.append((metric, "paid", "true", PAID_EFFECT[metric]))
        rows.append((metric, "theta", "", THETA[metric]))
    return [(metric, term, level, f"{value:.2f}") for metric, term, level, value in rows]


def _csv_bytes(header: tuple[str, ...], rows: list) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def build(source_dir: Path, out_dir: Path, seed: int = SEED) -> tuple[Path, Path]:
    """Read the hand-written sources, simulate, and write the corpus and truth files."""
    firms = read_firms(source_dir / "illustrative_firms.csv")
    posts = read_posts(source_dir / "illustrative_posts_source.psv", firms)
    accounts = simulate_accounts(firms, seed)
    records = []
    for index, post in enumerate(posts):
        firm = firms[post["firm_id"]]
        simulated = simulate_post(post, index, accounts, seed)
        records.append((simulated["date"], index, {**post, **firm, **simulated}))
    records.sort(key=lambda r: (r[0], r[1]))
    rows = []
    for number, (_, _, record) in enumerate(records, start=1):
        record["post_id"] = f"P{number:04d}"
        rows.append([record[c] for c in OUTPUT_COLUMNS])
    out_dir.mkdir(parents=True, exist_ok=True)
    posts_path = out_dir / "illustrative_posts.csv"
    truth_path = out_dir / "illustrative_engagement_truth.csv"
    posts_path.write_bytes(_csv_bytes(OUTPUT_COLUMNS, rows))
    truth_path.write_bytes(_csv_bytes(("metric", "term", "level", "coefficient"), truth_rows()))
    return posts_path, truth_path


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    here = Path(__file__).resolve().parent
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source-dir", type=Path, default=here)
    parser.add_argument(
        "--out-dir", type=Path, default=here.parents[1] / "nrel_research" / "coding" / "data"
    )
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args(argv)
    try:
        for path in build(args.source_dir, args.out_dir, args.seed):
            print(f"wrote {path}")
    except CorpusSourceError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
