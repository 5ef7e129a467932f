# Oracle for nrel_research.sem.fit() with missing = "ml" (FIML), estimator = "MLR" and
# se = "robust" end to end: estimates, SEs, std.all and fit measures of whole fits, including
# the parts not in sem_missing_robust.json (std.all, defined parameters under FIML, ML with
# se = "robust.huber.white", a FIML model with a regression).
#
# Run from the repository root:  Rscript tests/reference/sem_integrate.R   (~6 min: lavaan's
# numerical Hessian on the 2,500 x 25 FIML fits takes most of it)
# Reads nrel_research/datasets/holzinger_swineford_1939.csv, tests/reference/data/hs_missing.csv
# and tests/reference/data/likert_missing.csv; writes tests/reference/sem_integrate.json.
# Options that change numbers: missing = "ml" (observed information, h1 by EM with
# em.h1.tol = 1e-5), estimator = "MLR" (Yuan-Bentler Mplus test, first-order meat),
# se = "robust.huber.white" with estimator = "ML" (lavaan switches to the observed information
# for the bread; standard test). Also semTools 0.5-6 compRelSEM/AVE of the FIML HS fit.
suppressPackageStartupMessages({
  library(lavaan)
  library(semTools)
  library(jsonlite)
})

hs <- read.csv("nrel_research/datasets/holzinger_swineford_1939.csv")[, paste0("x", 1:9)]
hs_miss <- read.csv("tests/reference/data/hs_missing.csv")
big <- read.csv("tests/reference/data/likert_missing.csv")

hs_model <- "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"
sem_model <- paste(
  "visual =~ x1 + x2 + x3", "textual =~ x4 + x5 + x6", "speed =~ x7 + x8 + x9",
  "textual ~ a*visual", "speed ~ b*textual", "ind := a*b",
  sep = "\n"
)
big_model <- paste(
  sapply(1:5, function(f) paste0("f", f, " =~ ", paste0("i", f, "_", 1:5, collapse = " + "))),
  collapse = "\n"
)

dump_fit <- function(fit, syntax, data_name) {
  pe <- parameterEstimates(fit, standardized = TRUE, remove.eq = FALSE, remove.ineq = FALSE,
                           remove.def = FALSE)
  fm <- fitMeasures(fit)
  list(
    model = syntax,
    data = data_name,
    options = lavInspect(fit, "options")[c("estimator", "missing", "se", "test", "information",
                                           "meanstructure")],
    estimates = list(lhs = pe$lhs, op = pe$op, rhs = pe$rhs, est = pe$est, se = pe$se,
                     std_all = pe$std.all),
    fit_measures = as.list(setNames(as.numeric(fm), names(fm)))
  )
}

fits <- list(
  fiml_hs = dump_fit(cfa(hs_model, data = hs_miss, missing = "ml"), hs_model, "hs_missing"),
  fiml_sem = dump_fit(sem(sem_model, data = hs_miss, missing = "ml"), sem_model, "hs_missing"),
  mlr_fiml_hs = dump_fit(cfa(hs_model, data = hs_miss, missing = "ml", estimator = "MLR"),
                         hs_model, "hs_missing"),
  mlr_hs = dump_fit(cfa(hs_model, data = hs, estimator = "MLR"), hs_model, "hs"),
  mlr_sem = dump_fit(sem(sem_model, data = hs, estimator = "MLR"), sem_model, "hs"),
  ml_robust_hs = dump_fit(cfa(hs_model, data = hs, se = "robust.huber.white"), hs_model, "hs"),
  mlr_fiml_big = dump_fit(cfa(big_model, data = big, missing = "ml", estimator = "MLR"),
                          big_model, "likert_missing"),
  fiml_big = dump_fit(cfa(big_model, data = big, missing = "ml"), big_model, "likert_missing")
)

# semTools reliability of a FIML fit: obs.var = TRUE uses lavaan's sampstat, the EM moments
fit_fiml <- cfa(hs_model, data = hs_miss, missing = "ml")
validity_fiml <- list(
  omega = as.list(compRelSEM(fit_fiml)),
  ave = as.list(AVE(fit_fiml))
)

ref <- list(
  versions = list(R = R.version.string, lavaan = as.character(packageVersion("lavaan")),
                  semTools = as.character(packageVersion("semTools")),
                  jsonlite = as.character(packageVersion("jsonlite"))),
  fits = fits,
  validity_fiml = validity_fiml
)
writeLines(
  toJSON(ref, auto_unbox = TRUE, digits = NA, null = "null", na = "null", pretty = FALSE),
  "tests/reference/sem_integrate.json"
)
