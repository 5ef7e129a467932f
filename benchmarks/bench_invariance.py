"""Time the measurement-invariance sequence against lavaan 0.6.14 side by side.

Run from the repository root:  .venv/bin/python benchmarks/bench_invariance.py [--reps 5]

The four-level sequence (configural, metric, scalar, strict) as ``sem.invariance()`` and as
lavaan's ``cfa(..., group = , group.equal = )`` fits followed by ``lavTestLRT`` (an Rscript
subprocess timing its own work, so R's start-up is excluded), on the Holzinger-Swineford data
by school and on a simulated 2,500-row, 25-indicator (5 factors x 5), 2-group data set (seed
2024; group 2 has shifted intercepts on two items and a shifted loading on one). Prints the
median wall time of each side and the ratio ours/lavaan; target (issue 7) <= 1.0. Our fits
run with single-threaded BLAS (``sem.fit`` uses threadpoolctl), lavaan with
``OMP/OPENBLAS/MKL_NUM_THREADS=1``. Skipped with a message when R/lavaan is absent.
Not part of `make test`.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from _lavaan import lavaan_version, time_lavaan

from nrel_research import sem
from nrel_research.datasets import dataset_path

HS = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"
BIG = "\n".join(f"f{f} =~ " + " + ".join(f"i{f}_{j}" for j in range(1, 6)) for f in range(1, 6))
LEVELS = {
    "configural": [],
    "metric": ["loadings"],
    "scalar": ["loadings", "intercepts"],
    "strict": ["loadings", "intercepts", "residuals"],
}


def simulate(n=2500, seed=2024) -> pd.DataFrame:
    """Two groups (1,300 and 1,200 rows) of a 5-factor CFA with 5 indicators each."""
    rng = np.random.default_rng(seed)
    out = []
    for g, ng in (("A", 1300), ("B", n - 1300)):
        phi = np.full((5, 5), 0.3) + 0.7 * np.eye(5)
        mean = np.zeros(5) if g == "A" else np.full(5, 0.2)
        eta = rng.multivariate_normal(mean, phi, size=ng)
        cols = {}
        for f in range(5):
            for j in range(5):
                lam = 0.6 + 0.05 * j
                nu = 3.0 + 0.1 * j
                if g == "B" and (f, j) in ((0, 2), (3, 4)):
                    nu += 0.3  # intercept non-invariance
                if g == "B" and (f, j) == (2, 1):
                    lam += 0.15  # loading non-invariance
                cols[f"i{f + 1}_{j + 1}"] = nu + lam * eta[:, f] + rng.normal(0, 0.7, ng)
        out.append(pd.DataFrame(cols).assign(grp=g))
    return pd.concat(out, ignore_index=True)


def time_ours(model, df, group, reps):
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tab = sem.invariance(model, df, group=group)
        times.append(time.perf_counter() - t0)
    return statistics.median(times), tab


R_TEMPLATE = r"""
suppressPackageStartupMessages(library(lavaan))
args <- jsonlite::fromJSON("%s", simplifyVector = FALSE)
out <- list()
for (k in seq_along(args$cases)) {
  cs <- args$cases[[k]]
  d <- read.csv(cs$csv)
  tt <- numeric(cs$reps)
  for (i in seq_len(cs$reps)) {
    t0 <- proc.time()[["elapsed"]]
    fits <- lapply(cs$levels, function(ge) {
      if (length(ge) == 0) ge <- ""
      f <- cfa(cs$model, data = d, group = cs$group, group.equal = unlist(ge))
      fitMeasures(f)
      f
    })
    lrt <- do.call(lavTestLRT, unname(fits))
    tt[i] <- proc.time()[["elapsed"]] - t0
  }
  out[[k]] <- list(time = median(tt), chisq = lrt[["Chisq"]])
}
cat(jsonlite::toJSON(out, digits = NA, auto_unbox = TRUE))
"""


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=5, help="sequences per data set")
    args = ap.parse_args(argv)
    version, why = lavaan_version()
    if why:
        print(f"benchmark skipped: {why}")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        big_csv = Path(tmp) / "invariance_2500x25.csv"
        simulate().to_csv(big_csv, index=False)
        cases = [
            ("HS 3-factor by school (301 rows)", HS, str(dataset_path("holzinger_swineford_1939")),
             "school"),
            ("simulated 2,500 x 25, 2 groups", BIG, str(big_csv), "grp"),
        ]  # fmt: skip
        rows, specs = [], []
        for name, model, csv, group in cases:
            df = pd.read_csv(csv)
            ours, tab = time_ours(model, df, group, args.reps)
            rows.append((name, ours, tab))
            specs.append(
                {
                    "model": model,
                    "csv": csv,
                    "group": group,
                    "reps": args.reps,
                    "levels": list(LEVELS.values()),
                }
            )
        lav = time_lavaan(R_TEMPLATE, specs)
    print(f"lavaan {version}, single-threaded BLAS, median of {args.reps} sequences")
    print("4-level invariance sequence (configural, metric, scalar, strict) incl. LRTs")
    head = f"{'data set':34s} {'ours (s)':>10s} {'lavaan (s)':>11s} {'ratio':>7s}"
    print(f"{head} {'max|dchisq|':>12s}")
    for (name, ours, tab), theirs in zip(rows, lav, strict=True):
        dchi = float(np.max(np.abs(tab["chisq"].to_numpy() - np.asarray(theirs["chisq"]))))
        print(f"{name:34s} {ours:10.4f} {theirs['time']:11.4f} {ours / theirs['time']:7.2f} "
              f"{dchi:12.2e}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
