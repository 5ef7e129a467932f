"""Benchmark the FIML moment-level building blocks on the large missing-data case.

Times, on tests/reference/data/likert_missing.csv (2,500 x 25 Likert items, ~8% missing, about
1,000 missing-data patterns) at lavaan's fitted moments: grouping rows by pattern, the FIML
log-likelihood, log-likelihood + analytic gradient (what an optimiser calls), casewise scores,
the observed/expected/first-order information matrices and the EM saturated model. When R with
lavaan is on the PATH, lavaan's own moment-level functions are timed on the same data and moments
and the ratio ours/lavaan is printed; otherwise that column is skipped with a message.

Run:  .venv/bin/python benchmarks/bench_fiml.py [--repeat 20]
Not part of `make test`.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from nrel_research.sem._fiml import (
    em_saturated,
    fiml_gradient,
    fiml_information,
    fiml_loglik,
    fiml_scores,
    missing_patterns,
)

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests/reference/data/likert_missing.csv"
REF = ROOT / "tests/reference/sem_missing_robust.json"

R_SCRIPT = r"""
suppressPackageStartupMessages(library(lavaan))
args <- commandArgs(TRUE)
Y <- as.matrix(read.csv(args[1]))
mom <- jsonlite::fromJSON(args[2])
Mu <- mom$mu; Sigma <- mom$sigma; reps <- as.integer(args[3])
tm <- function(expr) {
  e <- substitute(expr); pf <- parent.frame()
  min(sapply(seq_len(reps), function(i) system.time(eval(e, pf))[["elapsed"]]))
}
Mp <- lavaan:::lav_data_missing_patterns(Y)
Yp <- lavaan:::lav_samplestats_missing_patterns(Y = Y, Mp = Mp)
out <- list(
  patterns = tm(lavaan:::lav_samplestats_missing_patterns(Y = Y,
                 Mp = lavaan:::lav_data_missing_patterns(Y))),
  loglik = tm(lavaan:::lav_mvnorm_missing_loglik_samplestats(Yp = Yp, Mu = Mu, Sigma = Sigma)),
  loglik_gradient = tm({
    lavaan:::lav_mvnorm_missing_loglik_samplestats(Yp = Yp, Mu = Mu, Sigma = Sigma)
    lavaan:::lav_mvnorm_missing_dlogl_dmu_samplestats(Yp = Yp, Mu = Mu, Sigma = Sigma)
    lavaan:::lav_mvnorm_missing_dlogl_dvechSigma_samplestats(Yp = Yp, Mu = Mu, Sigma = Sigma)
  }),
  scores = tm(lavaan:::lav_mvnorm_missing_scores_mu_vech_sigma(Y = Y, Mp = Mp, Mu = Mu,
                                                               Sigma = Sigma)),
  information_observed = tm(lavaan:::lav_mvnorm_missing_information_observed_samplestats(
    Yp = Yp, Mu = Mu, Sigma = Sigma)),
  information_expected = tm(lavaan:::lav_mvnorm_missing_information_expected(
    Y = Y, Mp = Mp, Mu = Mu, Sigma = Sigma)),
  information_first_order = tm(lavaan:::lav_mvnorm_missing_information_firstorder(
    Y = Y, Mp = Mp, Mu = Mu, Sigma = Sigma)),
  em_h1 = tm(lavaan:::lav_mvnorm_missing_h1_estimate_moments(Y = Y, Mp = Mp, Yp = Yp))
)
cat(jsonlite::toJSON(out, auto_unbox = TRUE))
"""


def best(fn, repeat):
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def lavaan_times(mu, sigma, repeat):
    if shutil.which("Rscript") is None:
        print("Rscript not found: lavaan timings skipped.")
        return None
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "bench.R"
        script.write_text(R_SCRIPT)
        mom = Path(tmp) / "moments.json"
        mom.write_text(json.dumps({"mu": mu.tolist(), "sigma": sigma.tolist()}))
        res = subprocess.run(
            ["Rscript", str(script), str(DATA), str(mom), str(max(3, repeat // 4))],
            capture_output=True,
            text=True,
            check=False,
        )
    if res.returncode != 0:
        print(f"lavaan timings skipped (R failed: {res.stderr.strip()[:200]})")
        return None
    return json.loads(res.stdout)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=20)
    args = ap.parse_args()
    data = pd.read_csv(DATA)
    fit = json.loads(REF.read_text())["big"]
    mu, sigma = np.array(fit["implied_mean"]), np.array(fit["implied_cov"])
    with threadpool_limits(1):
        pat = missing_patterns(data)
        print(
            f"data: {pat.n_obs} rows x {pat.p} variables, {pat.n_patterns} missing-data "
            f"patterns, {data.isna().to_numpy().mean():.1%} missing"
        )
        ours = {
            "patterns": best(lambda: missing_patterns(data), args.repeat),
            "loglik": best(lambda: fiml_loglik(pat, mu, sigma), args.repeat),
            "loglik_gradient": best(lambda: fiml_gradient(pat, mu, sigma), args.repeat),
            "scores": best(lambda: fiml_scores(pat, mu, sigma), args.repeat),
            "information_observed": best(
                lambda: fiml_information(pat, mu, sigma, "observed"), args.repeat
            ),
            "information_expected": best(
                lambda: fiml_information(pat, mu, sigma, "expected"), args.repeat
            ),
            "information_first_order": best(
                lambda: fiml_information(pat, mu, sigma, "first.order"), args.repeat
            ),
            "em_h1": best(lambda: em_saturated(pat), max(3, args.repeat // 4)),
        }
    lav = lavaan_times(mu, sigma, args.repeat)
    print(f"{'step':<26}{'ours (s)':>12}{'lavaan (s)':>12}{'ours/lavaan':>13}")
    for k, v in ours.items():
        if lav is None:
            print(f"{k:<26}{v:>12.4f}")
        else:
            ratio = v / lav[k] if lav[k] > 0 else float("nan")
            print(f"{k:<26}{v:>12.4f}{lav[k]:>12.4f}{ratio:>13.2f}")


if __name__ == "__main__":
    main()
