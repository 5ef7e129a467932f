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
#   binary          HS ordinal x1..x6 dichotomised (category <= 2 -> 1, else 2): 2 x 2 tables,
#                   plus z = 1 where x1, x2 and x3 are all 1, else 2: the x1 x z table has one
#                   empty cell
#                   (lavaan adds 0.5 to the cells, keeping the margins)
#   split_half      200 simulated rows (seed 1984; stored in the JSON as `data`): u and v split
#                   exactly 100 / 100 (both thresholds 0: lavaan's closed form -cos(2 pi p11))
#                   and a third binary w
#   mixed_pairwise  HS ordinal x1..x6 with the missing cells of the bundled HS-missing data
#                   set to NA, x7..x9 continuous from the HS-missing data (NA kept), missing =
#                   "pairwise": pairwise polyserial and Pearson (ML with fixed margins)
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
binary$z <- ifelse(binary$x1 == 1L & binary$x2 == 1L & binary$x3 == 1L, 1L, 2L)
set.seed(1984)
split_half <- data.frame(u = rep(1:2, each = 100), v = c(rep(1:2, c(70, 30)), rep(1:2, c(30, 70))))
split_half$w <- ifelse(runif(200) < 0.3 + 0.3 * (split_half$u == 2), 2L, 1L)
hs_na <- read.csv(file.path("nrel_research", "datasets", "holzinger_swineford_1939_missing.csv"))
mixed_pw <- hs_ord[, xs]
for (v in xs) mixed_pw[[v]][is.na(hs_na[[v]])] <- NA
for (v in c("x7", "x8", "x9")) mixed_pw[[v]] <- hs_na[[v]]

cases <- list(
  hs_ordinal = list(data = hs_ord[, xs], ordered = xs, missing = "listwise"),
  hs_mixed = list(data = mixed, ordered = paste0("x", 1:8), missing = "listwise"),
  skewed_A = list(data = sk[sk$group == "A", ys], ordered = ys, missing = "listwise"),
  skewed_all = list(data = sk[, ys], ordered = ys, missing = "listwise"),
  skewed_pairwise = list(data = skm[, ys], ordered = ys, missing = "pairwise"),
  gap = list(data = gap, ordered = ys, missing = "listwise"),
  binary = list(data = binary, ordered = names(binary), missing = "listwise"),
  split_half = list(data = split_half, ordered = c("u", "v", "w"), missing = "listwise",
                    store_data = TRUE),
  mixed_pairwise = list(data = mixed_pw, ordered = paste0("x", 1:6), missing = "pairwise")
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
    estimates = pe,
    data = if (isTRUE(cs$store_data)) cs$data else NULL
  )
}

out <- list(
  r_version = paste(R.version$major, R.version$minor, sep = "."),
  lavaan_version = as.character(packageVersion("lavaan")),
  cases = lapply(cases, run_case)
)
write_json(out, file.path("tests", "reference", "sem_ordinal_stats.json"), digits = NA,
           auto_unbox = TRUE, pretty = FALSE, matrix = "rowmajor")
