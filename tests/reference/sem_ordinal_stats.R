# Reference values for nrel_research.sem.polychoric and the categorical sample statistics
# (thresholds, polychoric / polyserial / Pearson correlations, their asymptotic covariance).
#
# Run from the repository root:   Rscript tests/reference/sem_ordinal_stats.R
# Writes tests/reference/sem_ordinal_stats.json.
# Oracle: lavaan 0.6.14. For each case:
#   lavCor(data, ordered =, missing =, output = "cor") and output = "th" (two-step estimates:
#   probit thresholds from the univariate margins, then ML on each correlation with the
#   thresholds fixed; Olsson 1979, Olsson, Drasgow & Dorans 1982), and the saturated model
#   lavCor(..., se = "robust.sem", output = "fit") (estimator WLSMV), from which
#   lavInspect(fit, "wls.obs"), "gamma" (NACOV, Muthen 1984 / Muthen, du Toit & Spisic 1997),
#   "wls.v" (its diagonal: DWLS weights), "sampstat", "nobs" and parameterEstimates() (the
#   robust SEs of the saturated model, sqrt(diag(gamma) / n)).
# Cases:
#   hs_ordinal      bundled HS ordinal data, x1..x9 all ordered (5 categories)
#   hs_mixed        x1..x8 ordered, x9 the continuous score of the bundled HS data (polyserial
#                   and one numeric variable: mean, variance)
#   skewed_A        tests/reference/data/ordinal_skewed.csv, group A rows, y1..y8 ordered
#   skewed_all      the same file, all 800 rows as one group
#   skewed_pairwise tests/reference/data/ordinal_skewed_missing.csv, all rows, missing =
#                   "pairwise" (lavaan keeps every row with at least one value: nobs = 800)
#   gap             group A of ordinal_skewed.csv with y1's category 3 recoded to 4 (observed
#                   values 1, 2, 4, 5, 6): lavaan uses the observed levels, 4 thresholds
#   binary          HS ordinal x1..x6 dichotomised (category <= 2 -> 1, else 2): 2 x 2 tables
suppressPackageStartupMessages({
  library(lavaan)
  library(jsonlite)
})

hs_ord <- read.csv(file.path("nrel_research", "datasets", "holzinger_swineford_1939_ordinal.csv"))
hs <- read.csv(file.path("nrel_research", "datasets", "holzinger_swineford_1939.csv"))
sk <- read.csv(file.path("tests", "reference", "data", "ordinal_skewed.csv"))
skm <- read.csv(file.path("tests", "reference", "data", "ordinal_skewed_missing.csv"))
xs <- paste0("x", 1:9)
ys <- paste0("y", 1:8)

mixed <- hs_ord[, xs]
mixed$x9 <- hs$x9
gap <- sk[sk$group == "A", ys]
gap$y1[gap$y1 == 3] <- 4
binary <- hs_ord[, paste0("x", 1:6)]
for (v in names(binary)) binary[[v]] <- ifelse(binary[[v]] <= 2, 1L, 2L)

cases <- list(
  hs_ordinal = list(data = hs_ord[, xs], ordered = xs, missing = "listwise"),
  hs_mixed = list(data = mixed, ordered = paste0("x", 1:8), missing = "listwise"),
  skewed_A = list(data = sk[sk$group == "A", ys], ordered = ys, missing = "listwise"),
  skewed_all = list(data = sk[, ys], ordered = ys, missing = "listwise"),
  skewed_pairwise = list(data = skm[, ys], ordered = ys, missing = "pairwise"),
  gap = list(data = gap, ordered = ys, missing = "listwise"),
  binary = list(data = binary, ordered = names(binary), missing = "listwise")
)

run_case <- function(cs) {
  cor <- lavCor(cs$data, ordered = cs$ordered, missing = cs$missing, output = "cor")
  th <- lavCor(cs$data, ordered = cs$ordered, missing = cs$missing, output = "th")
  fit <- lavCor(cs$data, ordered = cs$ordered, missing = cs$missing, se = "robust.sem",
                output = "fit")
  ss <- lavInspect(fit, "sampstat")
  pe <- parameterEstimates(fit)
  pe <- pe[pe$op %in% c("|", "~~", "~1"), c("lhs", "op", "rhs", "est", "se")]
  wls_obs <- lavInspect(fit, "wls.obs")
  list(
    columns = names(cs$data), ordered = cs$ordered, missing = cs$missing,
    cor = unname(cor), th = unname(th), th_names = names(th),
    nobs = lavInspect(fit, "nobs"),
    wls_obs = unname(wls_obs), wls_names = names(wls_obs),
    gamma = unname(lavInspect(fit, "gamma")),
    wls_v_diag = unname(diag(lavInspect(fit, "wls.v"))),
    sampstat_cov = unname(ss$cov), sampstat_th = unname(ss$th),
    sampstat_mean = unname(ss$mean),
    estimates = pe
  )
}

out <- list(
  r_version = paste(R.version$major, R.version$minor, sep = "."),
  lavaan_version = as.character(packageVersion("lavaan")),
  cases = lapply(cases, run_case)
)
write_json(out, file.path("tests", "reference", "sem_ordinal_stats.json"), digits = NA,
           auto_unbox = TRUE, pretty = FALSE, matrix = "rowmajor")
