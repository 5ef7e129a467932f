# Reference values for nrel_research.sem.standardized_solution on fits with ordered
# indicators (WLSMV): the delta-method SEs of std.all values that the ordinal Monte Carlo
# recovery check (benchmarks/recovery_study.py --part ordinal) builds its CIs from.
#
# Run from the repository root:   Rscript tests/reference/sem_ordinal_standardized.R
# Writes tests/reference/sem_ordinal_standardized.json.
# Oracle: lavaan 0.6.14 standardizedSolution(fit, type = "std.all") (delta method with
# lavaan's Jacobian and vcov(fit), robust under WLSMV):
#   hs_sem_delta   HS x1-x9 cut at quintiles (bundled ordinal HS data), three factors,
#                  textual ~ visual, speed ~ visual + textual + ageyr with the numeric
#                  covariate ageyr random (fixed.x = FALSE, conditional.x = FALSE, the
#                  setting of the recovery model's log_employees), delta parameterization
#   hs_sem_theta   the same model, theta parameterization
suppressPackageStartupMessages({
  library(lavaan)
  library(jsonlite)
})

hs <- read.csv(file.path("nrel_research", "datasets", "holzinger_swineford_1939_ordinal.csv"))
model <- "
  visual =~ x1 + x2 + x3
  textual =~ x4 + x5 + x6
  speed =~ x7 + x8 + x9
  textual ~ visual
  speed ~ visual + textual + ageyr
"
ord <- paste0("x", 1:9)
out <- list(meta = list(R = paste(R.version$major, R.version$minor, sep = "."),
                        lavaan = as.character(packageVersion("lavaan")),
                        script = "tests/reference/sem_ordinal_standardized.R"))
for (par in c("delta", "theta")) {
  fit <- sem(model, data = hs, ordered = ord, estimator = "WLSMV", parameterization = par,
             fixed.x = FALSE, conditional.x = FALSE)
  ss <- standardizedSolution(fit, type = "std.all")
  out[[paste0("hs_sem_", par)]] <- list(
    model = model, data = "holzinger_swineford_1939_ordinal", ordered = ord,
    parameterization = par,
    std_all = ss[, c("lhs", "op", "rhs", "est.std", "se", "z", "pvalue", "ci.lower",
                     "ci.upper")])
}
writeLines(toJSON(out, digits = NA, na = "null", auto_unbox = TRUE, pretty = TRUE),
           file.path("tests", "reference", "sem_ordinal_standardized.json"))
