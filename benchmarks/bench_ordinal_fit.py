"""Benchmark the full WLSMV fit (issue 9): 25 five-point items x 2,500 rows, a 5-factor CFA.

Simulates (seeded) five correlated factors with five items each, cuts the item responses into
five ordered categories, and times ``nrel_research.sem.fit(model, data, ordered=True)`` (first
step: thresholds, polychoric correlations and their asymptotic covariance; second step: DWLS,
robust standard errors, scaled-shifted test, fit measures) against lavaan's
``cfa(model, data, ordered = TRUE)`` on the same data, both single-threaded (threadpoolctl;
``OMP/OPENBLAS_NUM_THREADS=1`` for R). Prints the best-of-``--repeat`` times, the ratio
ours/lavaan and the largest estimate/SE difference, and writes them to
``benchmarks/results/bench_ordinal_fit.json``.

Run:  .venv/bin/python benchmarks/bench_ordinal_fit.py [--repeat 3]
Not part of `make test`.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from _lavaan import lavaan_version, time_lavaan
from threadpoolctl import threadpool_limits

from nrel_research.sem import fit

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "results" / "bench_ordinal_fit.json"
N, NF, NI = 2500, 5, 5

R_TEMPLATE = r"""
suppressPackageStartupMessages({library(lavaan); library(jsonlite)})
spec <- fromJSON("%s")$cases
dat <- read.csv(spec$data)
reps <- as.integer(spec$reps)
times <- numeric(reps)
for (i in seq_len(reps)) {
  times[i] <- system.time(fit <- cfa(spec$model, data = dat, ordered = TRUE))[["elapsed"]]
}
pe <- parameterEstimates(fit)
cat(toJSON(list(seconds = min(times), est = pe$est, se = pe$se,
                chisq_scaled = unname(fitMeasures(fit, "chisq.scaled"))),
           digits = NA, auto_unbox = TRUE), "\n")
"""


def simulate(seed=20260101):
    """Five correlated factors (r = 0.3), loadings 0.5-0.8, skewed five-point items."""
    rng = np.random.default_rng(seed)
    phi = np.full((NF, NF), 0.3) + 0.7 * np.eye(NF)
    eta = rng.multivariate_normal(np.zeros(NF), phi, size=N)
    cols = {}
    cuts = np.array([-1.2, -0.4, 0.3, 1.1])
    for f in range(NF):
        for j, lam in enumerate(np.linspace(0.5, 0.8, NI)):
            ystar = lam * eta[:, f] + np.sqrt(1 - lam**2) * rng.standard_normal(N)
            cols[f"i{f + 1}{j + 1}"] = 1 + np.searchsorted(cuts + 0.1 * j, ystar)
    return pd.DataFrame(cols)


def model_syntax():
    return "\n".join(
        f"f{f + 1} =~ " + " + ".join(f"i{f + 1}{j + 1}" for j in range(NI)) for f in range(NF)
    )


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    data = simulate()
    model = model_syntax()
    times = []
    with threadpool_limits(1), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            res = fit(model, data, ordered=True)
            times.append(time.perf_counter() - t0)
    ours = min(times)
    est = res.estimates()
    out = {
        "rows": N,
        "items": NF * NI,
        "factors": NF,
        "ours_seconds": ours,
        "chisq_scaled": float(res.fit_measures()["chisq_scaled"]),
    }
    print(f"WLSMV fit, {N} rows x {NF * NI} five-point items, {NF}-factor CFA")
    print(f"ours:   {ours:.3f} s (best of {args.repeat})")
    version, why = lavaan_version()
    if version is None:
        print(f"lavaan timing skipped: {why}")
    else:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "data.csv"
            data.to_csv(path, index=False)
            lav = time_lavaan(
                R_TEMPLATE,
                {"data": path.as_posix(), "model": model, "reps": args.repeat},
            )
        ratio = ours / lav["seconds"]
        d_est = float(np.max(np.abs(est["est"].to_numpy() - np.array(lav["est"]))))
        d_se = float(np.max(np.abs(est["se"].to_numpy() - np.array(lav["se"]))))
        print(f"lavaan: {lav['seconds']:.3f} s (lavaan {version}, best of {args.repeat})")
        print(f"ratio ours/lavaan: {ratio:.2f}")
        print(
            f"max |est diff| {d_est:.1e}, max |se diff| {d_se:.1e}, chisq_scaled "
            f"{out['chisq_scaled']:.4f} vs {lav['chisq_scaled']:.4f}"
        )
        out.update(
            lavaan_version=version,
            lavaan_seconds=lav["seconds"],
            ratio=ratio,
            max_abs_est_diff=d_est,
            max_abs_se_diff=d_se,
            lavaan_chisq_scaled=lav["chisq_scaled"],
        )
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    print(f"written: {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
