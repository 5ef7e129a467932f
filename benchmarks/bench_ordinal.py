"""Time the ordinal (WLSMV) machinery against lavaan 0.6.14 side by side (single-threaded BLAS).

Run from the repository root:  .venv/bin/python benchmarks/bench_ordinal.py [--reps 10]

Sections (issue 9 targets: ratio ours/lavaan <= 1.0):

1. polychoric -- ``sem.polychoric`` on 25 simulated five-point items x 2,500 rows (seeded, numpy;
   five factors of five items, loadings 0.55-0.8, skewed thresholds) against
   ``lavaan::lavCor(d, ordered = names(d))``. Ours always computes the asymptotic covariance
   matrix (gamma) too; lavCor's default output ("cor") skips it, so a second lavaan timing,
   ``lavCor(..., output = "fit", se = "robust.sem")`` (thresholds, correlations, gamma and the
   saturated WLSMV fit), is printed for reference. Also printed: the largest absolute
   difference between the two correlation matrices.
2. (WLSMV fit: added by the WLSMV estimation work.)

Prints the median wall time of repeated runs (lavaan times itself in an Rscript subprocess, so
R's start-up is excluded) and writes ``benchmarks/results/bench_ordinal.json``. Skipped with a
message when R/lavaan is absent. Not part of ``make test``.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from _lavaan import lavaan_version, time_lavaan
from threadpoolctl import threadpool_limits

from nrel_research import sem

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "bench_ordinal.json"
SEED = 20240909


def simulate_items(n: int = 2500, n_factors: int = 5, per_factor: int = 5, seed: int = SEED):
    """Five-point items from a correlated-factor model cut at skewed thresholds (seeded)."""
    rng = np.random.default_rng(seed)
    phi = np.full((n_factors, n_factors), 0.3) + 0.7 * np.eye(n_factors)
    f = rng.multivariate_normal(np.zeros(n_factors), phi, size=n)
    p = n_factors * per_factor
    lam = rng.uniform(0.55, 0.8, p)
    ystar = f[:, np.arange(p) // per_factor] * lam + rng.standard_normal((n, p)) * np.sqrt(
        1 - lam**2
    )
    base = np.array([-1.2, -0.4, 0.3, 1.1])
    shift = rng.uniform(-0.4, 0.4, p)
    items = np.empty((n, p), dtype=int)
    for j in range(p):
        items[:, j] = 1 + np.searchsorted(base + shift[j], ystar[:, j])
    cols = [f"i{k + 1:02d}" for k in range(p)]
    return pd.DataFrame(items, columns=cols)


R_POLYCHORIC = r"""
suppressPackageStartupMessages(library(lavaan))
args <- jsonlite::fromJSON("%s", simplifyVector = FALSE)
cs <- args$cases[[1]]
d <- read.csv(cs$csv)
time_it <- function(f, reps) {
  tt <- numeric(reps)
  for (i in seq_len(reps)) {
    t0 <- proc.time()[["elapsed"]]
    res <- f()
    tt[i] <- proc.time()[["elapsed"]] - t0
  }
  list(time = median(tt), res = res)
}
cor_only <- time_it(function() lavCor(d, ordered = names(d)), cs$reps)
with_gamma <- time_it(function() lavCor(d, ordered = names(d), se = "robust.sem",
                                        output = "fit"), cs$reps_fit)
cat(jsonlite::toJSON(list(cor_only = cor_only$time, with_gamma = with_gamma$time,
                          cor = unname(cor_only$res)), digits = NA, auto_unbox = TRUE))
"""


def bench_polychoric(reps: int, version: str) -> dict:
    data = simulate_items()
    times = []
    with threadpool_limits(limits=1):
        for _ in range(reps):
            t0 = time.perf_counter()
            res = sem.polychoric(data)
            times.append(time.perf_counter() - t0)
    ours = statistics.median(times)
    with tempfile.TemporaryDirectory() as tmp:
        csv = Path(tmp) / "items.csv"
        data.to_csv(csv, index=False)
        lav = time_lavaan(
            R_POLYCHORIC,
            [{"csv": csv.as_posix(), "reps": reps, "reps_fit": max(1, reps // 3)}],
        )
    diff = float(np.abs(res.cor.to_numpy() - np.array(lav["cor"])).max())
    out = {
        "case": "polychoric, 25 five-point items x 2,500 rows",
        "ours_s": ours,
        "lavaan_lavcor_s": lav["cor_only"],
        "ratio": ours / lav["cor_only"],
        "lavaan_lavcor_with_gamma_s": lav["with_gamma"],
        "ratio_with_gamma": ours / lav["with_gamma"],
        "max_abs_diff_cor": diff,
        "reps": reps,
    }
    print(f"lavaan {version}, single-threaded BLAS, median of {reps} runs")
    print(f"{'case':48s} {'ours (s)':>9s} {'lavaan (s)':>11s} {'ratio':>7s}")
    print(f"{'polychoric 25 x 2,500 vs lavCor (cor only)':48s} {ours:9.4f} "
          f"{lav['cor_only']:11.4f} {out['ratio']:7.2f}")  # fmt: skip
    print(f"{'  same vs lavCor + gamma (saturated WLSMV fit)':48s} {ours:9.4f} "
          f"{lav['with_gamma']:11.4f} {out['ratio_with_gamma']:7.2f}")  # fmt: skip
    print(f"largest |difference| between the correlation matrices: {diff:.2e}")
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=10, help="runs per timing (median)")
    args = ap.parse_args(argv)
    version, why = lavaan_version()
    if why:
        print(f"benchmark skipped: {why}")
        return 0
    results = {
        "lavaan_version": version,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "machine": f"{platform.system()} {platform.machine()}",
        "sections": {"polychoric": bench_polychoric(args.reps, version)},
    }
    # section 2 (WLSMV fit) goes here: results["sections"]["wlsmv"] = bench_wlsmv(...)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {RESULTS.relative_to(ROOT).as_posix()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
