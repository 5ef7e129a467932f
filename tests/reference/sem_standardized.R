# Reference values for nrel_research.sem.standardized_solution (delta-method SEs of the
# standardized solution) and for the joint Wald tests of the propositions table.
#
# Run from the repository root:   Rscript tests/reference/sem_standardized.R
# Writes tests/reference/sem_standardized.json.
# Oracle: lavaan 0.6.14 standardizedSolution(fit, type = "std.all" / "std.lv") (delta method
# with lavaan's own Jacobian and vcov(fit)), and lavTestWald(fit, constraints) for joint
# "b == 0" tests, on the bundled Holzinger-Swineford and political democracy data:
#   poldem      political democracy SEM (ML), with a defined indirect effect
#   poldem_mlr  the same model by MLR (robust vcov)
#   hs_fiml     HS three-factor CFA with missing values, FIML (missing = "ml")
suppressPackageStartupMessages({
  library(lavaan)
  library(jsonlite)
})

hs <- read.csv(file.path("nrel_research", "datasets", "holzinger_swineford_1939.csv"))
hs_na <- read.csv(file.path("nrel_research", "datasets", "holzinger_swineford_1939_missing.csv"))
pd <- read.csv(file.path("nrel_research", "datasets", "political_democracy.csv"))

poldem <- "
  ind60 =~ x1 + x2 + x3
  dem60 =~ y1 + y2 + y3 + y4
  dem65 =~ y5 + y6 + y7 + y8
  dem60 ~ a*ind60
  dem65 ~ c*ind60 + b*dem60
  y1 ~~ y5
  ab := a*b
"
hs_model <- "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"

fits <- list(
  poldem = list(model = poldem, fit = sem(poldem, data = pd), data = "political_democracy"),
  poldem_mlr = list(model = poldem, fit = sem(poldem, data = pd, estimator = "MLR"),
                    data = "political_democracy", estimator = "MLR"),
  hs_fiml = list(model = hs_model, fit = cfa(hs_model, data = hs_na, missing = "ml"),
                 data = "holzinger_swineford_1939_missing", missing = "fiml")
)
out <- list(meta = list(R = paste(R.version$major, R.version$minor, sep = "."),
                        lavaan = as.character(packageVersion("lavaan")),
                        script = "tests/reference/sem_standardized.R"))
for (nm in names(fits)) {
  f <- fits[[nm]]
  ss_all <- standardizedSolution(f$fit, type = "std.all")
  ss_lv <- standardizedSolution(f$fit, type = "std.lv")
  entry <- list(model = f$model, data = f$data,
                estimator = if (is.null(f$estimator)) "ML" else f$estimator,
                missing = if (is.null(f$missing)) "listwise" else f$missing,
                std_all = ss_all[, c("lhs", "op", "rhs", "est.std", "se", "z", "pvalue",
                                     "ci.lower", "ci.upper")],
                std_lv = ss_lv[, c("lhs", "op", "rhs", "est.std", "se")])
  if (grepl("poldem", nm)) {
    w <- lavTestWald(f$fit, constraints = "c == 0\nb == 0")
    entry$wald_c_b <- list(stat = w$stat, df = w$df, p_value = w$p.value)
    w1 <- lavTestWald(f$fit, constraints = "a == 0")
    entry$wald_a <- list(stat = w1$stat, df = w1$df, p_value = w1$p.value)
  }
  out[[nm]] <- entry
}
writeLines(toJSON(out, digits = NA, na = "null", auto_unbox = TRUE, pretty = TRUE),
           file.path("tests", "reference", "sem_standardized.json"))
