"""Time nrel_research.sem.fit against lavaan 0.6.14 side by side (single-threaded BLAS).

Run from the repository root:  .venv/bin/python benchmarks/bench_sem_ml.py [--reps 20]

Prints, per case, the median wall time of ours and of lavaan (an Rscript subprocess timing its
own fits, so R's start-up is excluded) and the ratio ours/lavaan. Targets (SEM issue, part 1):
single-group ML <= 0.5, bootstrap, FIML and MLR <= 1.0 (FIML on HS with missing values and
FIML / FIML+MLR on the 2,500 x 25 Likert data with missing values of tests/reference/data).
Skipped with a message when R/lavaan is absent.
Not part of `make test`.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import warnings
from pathlib import Path

import pandas as pd
from _lavaan import lavaan_version, time_lavaan

from nrel_research import sem
from nrel_research.datasets import dataset_path

ROOT = Path(__file__).resolve().parents[1]
REF = ROOT / "tests" / "reference"

HS = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"
POLDEM = """
ind60 =~ x1 + x2 + x3
dem60 =~ y1 + y2 + y3 + y4
dem65 =~ y5 + y6 + y7 + y8
dem60 ~ ind60
dem65 ~ ind60 + dem60
y1 ~~ y5
y2 ~~ y4 + y6
y3 ~~ y7
y4 ~~ y8
y6 ~~ y8
"""
LARGE = "\n".join(f"f{k} =~ " + " + ".join(f"i{k}{j}" for j in range(1, 6)) for k in range(1, 6))
LARGE += "\nf4 ~ f1 + f2\nf5 ~ f3 + f4"
BIG = "\n".join(f"f{f} =~ " + " + ".join(f"i{f}_{j}" for j in range(1, 6)) for f in range(1, 6))
MEDIATION = "M ~ a*X\nY ~ b*M + cp*X\nind := a*b\ntotal := cp + a*b"


def cases(boot_r):
    hs = str(dataset_path("holzinger_swineford_1939"))
    pdem = str(dataset_path("political_democracy"))
    hs_na = str(dataset_path("holzinger_swineford_1939_missing"))
    big = str(REF / "data" / "likert_missing.csv")
    return [
        ("HS 3-factor CFA", "cfa", HS, hs, {}),
        ("Political Democracy SEM", "sem", POLDEM, pdem, {}),
        ("25 indicators x 1200 rows SEM", "sem", LARGE, str(REF / "data" / "large_sem.csv"), {}),
        (f"mediation bootstrap R={boot_r}", "sem", MEDIATION, str(REF / "data" / "mediation.csv"),
         {"se": "bootstrap", "bootstrap": boot_r}),
        (f"HS CFA bootstrap R={boot_r}", "cfa", HS, hs, {"se": "bootstrap", "bootstrap": boot_r}),
        ("FIML HS (10.7% missing)", "cfa", HS, hs_na, {"missing": "fiml"}),
        ("FIML 2,500 x 25 Likert (7.7% missing)", "cfa", BIG, big, {"missing": "fiml"}),
        ("FIML+MLR 2,500 x 25 Likert", "cfa", BIG, big, {"missing": "fiml", "estimator": "MLR"}),
        ("MLR HS (complete)", "cfa", HS, hs, {"estimator": "MLR"}),
    ]  # fmt: skip


def time_ours(model, csv, kwargs, reps):
    df = pd.read_csv(csv)
    times = []
    for i in range(reps):
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = sem.fit(model, df, seed=i, **kwargs)
        res.estimates()
        res.fit_measures()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


R_TEMPLATE = r"""
suppressPackageStartupMessages(library(lavaan))
args <- jsonlite::fromJSON("%s", simplifyVector = FALSE)
out <- list()
for (k in seq_along(args$cases)) {
  cs <- args$cases[[k]]
  d <- read.csv(cs$csv)
  reps <- cs$reps
  tt <- numeric(reps)
  for (i in seq_len(reps)) {
    t0 <- proc.time()[["elapsed"]]
    extra <- list()
    if (!is.null(cs$bootstrap)) extra <- list(se = "bootstrap", bootstrap = cs$bootstrap)
    if (!is.null(cs$missing)) extra$missing <- cs$missing
    if (!is.null(cs$estimator)) extra$estimator <- cs$estimator
    fit <- suppressWarnings(do.call(cs$fun, c(list(cs$model, data = d), extra)))
    pe <- parameterEstimates(fit)
    fm <- fitMeasures(fit)
    tt[i] <- proc.time()[["elapsed"]] - t0
  }
  out[[k]] <- median(tt)
}
cat(jsonlite::toJSON(unlist(out), digits = NA))
"""


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=20, help="fits per case (bootstrap: 3)")
    ap.add_argument("--bootstrap", type=int, default=1000, help="bootstrap replications")
    ap.add_argument(
        "--only",
        default="",
        help="comma-separated texts: run only the cases whose name contains one (e.g. FIML,MLR)",
    )
    args = ap.parse_args(argv)
    version, why = lavaan_version()
    if why:
        print(f"benchmark skipped: {why}")
        return 0
    rows, specs = [], []
    for name, fun, model, csv, kwargs in cases(args.bootstrap):
        wanted = [w.strip().lower() for w in args.only.split(",") if w.strip()]
        if wanted and not any(w in name.lower() for w in wanted):
            continue
        reps = 3 if ("se" in kwargs or "2,500" in name) else args.reps
        spec = {"fun": fun, "model": model, "csv": csv, "reps": reps}
        if "bootstrap" in kwargs:
            spec["bootstrap"] = kwargs["bootstrap"]
        if "missing" in kwargs:
            spec["missing"] = "ml"  # lavaan's name for FIML
        if "estimator" in kwargs:
            spec["estimator"] = kwargs["estimator"]
        specs.append(spec)
        rows.append((name, time_ours(model, csv, kwargs, reps)))
    lav = time_lavaan(R_TEMPLATE, specs)
    print(f"lavaan {version}, single-threaded BLAS, median of repeated fits")
    print(f"{'case':34s} {'ours (s)':>10s} {'lavaan (s)':>11s} {'ratio':>7s}")
    for (name, ours), theirs in zip(rows, lav, strict=True):
        print(f"{name:34s} {ours:10.4f} {theirs:11.4f} {ours / theirs:7.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
