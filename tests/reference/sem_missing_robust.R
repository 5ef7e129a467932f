# Oracle for nrel_research.sem._fiml and nrel_research.sem._robust (FIML, MLR, robust fit).
#
# Run from the repository root:  Rscript tests/reference/sem_missing_robust.R
# Writes tests/reference/data/hs_missing.csv, tests/reference/data/likert_missing.csv and
# tests/reference/sem_missing_robust.json. Needs lavaan 0.6-14 and jsonlite (Debian bookworm:
# apt-get install r-base-core r-cran-lavaan r-cran-jsonlite).
#
# Options that change numbers, named explicitly:
#   missing = "ml" (FIML; information = "observed" with observed.information = "hessian",
#   h1.information = "structured"; EM for the h1 model with em.h1.iter.max = 500, em.h1.tol = 1e-5);
#   estimator = "MLR" (se = "robust.huber.white", information.meat = "first.order",
#   test = "yuan.bentler.mplus"); complete-data MLR has meanstructure = FALSE (lavaan default).
suppressPackageStartupMessages({
  library(lavaan)
  library(jsonlite)
})

hs_all <- read.csv("nrel_research/datasets/holzinger_swineford_1939.csv")
vars <- paste0("x", 1:9)
hs <- hs_all[, vars]

# ---- HS with ~10% missing values: MCAR (4% of every cell) + MAR (x2, x3, x5, x6, x8, x9 more
# often missing when the always-observed x1, x4, x7 of the same factor are high).
set.seed(20160101)
hs_miss <- hs
n <- nrow(hs)
z <- function(v) (v - mean(v)) / sd(v)
for (pair in list(c("x1", "x2", "x3"), c("x4", "x5", "x6"), c("x7", "x8", "x9"))) {
  p_mar <- plogis(-2.6 + 1.2 * z(hs[[pair[1]]]))
  for (v in pair[2:3]) {
    hs_miss[[v]][runif(n) < p_mar] <- NA
  }
}
for (v in vars) {
  hs_miss[[v]][runif(n) < 0.04] <- NA
}
empty <- rowSums(!is.na(hs_miss)) == 0
stopifnot(!any(empty))
write.csv(hs_miss, "tests/reference/data/hs_missing.csv", row.names = FALSE, na = "")
hs_miss <- read.csv("tests/reference/data/hs_missing.csv")

# ---- Larger case: 2,500 x 25 Likert (1-5) items, five correlated factors, ~8% missing
set.seed(20161)
N_big <- 2500L
k <- 5L
phi <- matrix(0.4, k, k)
diag(phi) <- 1
eta <- matrix(rnorm(N_big * k), N_big, k) %*% chol(phi)
big <- matrix(NA_real_, N_big, 25)
lam <- c(0.8, 0.75, 0.7, 0.65, 0.6)
cuts <- c(-Inf, -1.5, -0.5, 0.4, 1.3, Inf)
for (f in 1:k) {
  for (j in 1:5) {
    col <- (f - 1) * 5 + j
    ystar <- lam[j] * eta[, f] + sqrt(1 - lam[j]^2) * rnorm(N_big) + 0.1 * (j - 3)
    big[, col] <- as.numeric(cut(ystar, cuts, labels = FALSE))
  }
}
colnames(big) <- paste0("i", rep(1:5, each = 5), "_", rep(1:5, 5))
big <- as.data.frame(big)
# MAR: items 2-5 of each block missing more often when item 1 of that block is high; plus MCAR
for (f in 1:k) {
  anchor <- big[[(f - 1) * 5 + 1]]
  p_mar <- plogis(-3.3 + 0.5 * (anchor - 3))
  for (j in 2:5) {
    big[[(f - 1) * 5 + j]][runif(N_big) < p_mar] <- NA
  }
}
for (v in names(big)) big[[v]][runif(N_big) < 0.05] <- NA
big <- big[rowSums(!is.na(big)) > 0, ]
write.csv(big, "tests/reference/data/likert_missing.csv", row.names = FALSE, na = "")
big <- read.csv("tests/reference/data/likert_missing.csv")

hs_model <- "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"
big_model <- paste(
  sapply(1:5, function(f) paste0("f", f, " =~ ", paste0("i", f, "_", 1:5, collapse = " + "))),
  collapse = "\n"
)

mat <- function(m) unname(lapply(seq_len(nrow(m)), function(i) as.numeric(m[i, ])))

dump_fit <- function(fit, full = TRUE) {
  pt <- parTable(fit)
  pe <- parameterEstimates(fit)
  fm <- fitMeasures(fit)
  implied <- lavInspect(fit, "implied")
  delta <- lavInspect(fit, "delta")
  out <- list(
    options = lavInspect(fit, "options")[c(
      "estimator", "missing", "information", "h1.information", "observed.information",
      "meanstructure", "se", "test", "information.meat", "em.h1.iter.max", "em.h1.tol"
    )],
    nobs = lavInspect(fit, "nobs"),
    npatterns = if (lavInspect(fit, "options")$missing == "ml") nrow(lavInspect(fit, "pattern")) else 1L,
    partable = list(
      lhs = pt$lhs, op = pt$op, rhs = pt$rhs, free = pt$free, est = pt$est, se = pt$se
    ),
    estimates = list(lhs = pe$lhs, op = pe$op, rhs = pe$rhs, est = pe$est, se = pe$se),
    fit_measures = as.list(fm),
    implied_cov = mat(implied$cov),
    implied_mean = if (is.null(implied$mean)) NULL else as.numeric(implied$mean),
    ov_names = lavNames(fit, "ov"),
    delta_rownames = rownames(delta),
    delta_colnames = colnames(delta),
    delta = mat(delta),
    vcov = mat(lavInspect(fit, "vcov")),
    test = lapply(fit@test, function(t) t[setdiff(names(t), "label")])
  )
  if (full) {
    out$information_observed <- mat(lavInspect(fit, "information.observed"))
    out$information_first_order <- mat(lavInspect(fit, "information.first.order"))
    out$information_expected <- mat(lavInspect(fit, "information.expected"))
    h1 <- lavInspect(fit, "h1")
    out$h1_cov <- mat(h1$cov)
    out$h1_mean <- as.numeric(h1$mean)
  }
  out
}

fiml_parts <- function(fit, version) {
  r <- lavaan:::lav_fit_fiml_corrected(fit, version = version)
  fitB <- lavaan:::lav_object_independence(fit)
  peB <- parameterEstimates(fitB)
  r$baseline <- list(lhs = peB$lhs, op = peB$op, rhs = peB$rhs, est = peB$est)
  r$baseline_logl <- as.numeric(logLik(fitB))
  r
}

fit_fiml <- cfa(hs_model, data = hs_miss, missing = "ml")
fit_mlr_miss <- cfa(hs_model, data = hs_miss, missing = "ml", estimator = "MLR")
fit_mlr_comp <- cfa(hs_model, data = hs, estimator = "MLR")
fit_big <- cfa(big_model, data = big, missing = "ml", estimator = "MLR")
# two groups (school; rows in the order of the bundled HS file), FIML + MLR
hs_miss_g <- cbind(hs_miss, school = hs_all$school)
fit_mg <- cfa(hs_model, data = hs_miss_g, group = "school", missing = "ml", estimator = "MLR")

# EM h1 computed directly (lavaan's own routine), and its log-likelihood
Y <- as.matrix(hs_miss)
em <- lavaan:::lav_mvnorm_missing_h1_estimate_moments(Y = Y)
em_logl <- lavaan:::lav_mvnorm_missing_loglik_data(Y = Y, Mu = em$Mu, Sigma = em$Sigma)

# complete-data MLR baseline (independence model) for the robust CFI/TLI
fitB_comp <- lavaan:::lav_object_independence(fit_mlr_comp)
big_fm <- fitMeasures(fit_big)

dump_mg <- function(fit) {
  pt <- parTable(fit)
  implied <- lavInspect(fit, "implied")
  h1 <- lavInspect(fit, "h1")
  delta <- lavInspect(fit, "delta")
  groups <- lavInspect(fit, "group.label")
  list(
    group_label = groups,
    nobs = lavInspect(fit, "nobs"),
    partable = list(
      lhs = pt$lhs, op = pt$op, rhs = pt$rhs, group = pt$group, free = pt$free, est = pt$est,
      se = pt$se
    ),
    ov_names = lavNames(fit, "ov"),
    fit_measures = as.list(fitMeasures(fit)),
    implied_cov = lapply(groups, function(g) mat(implied[[g]]$cov)),
    implied_mean = lapply(groups, function(g) as.numeric(implied[[g]]$mean)),
    h1_cov = lapply(groups, function(g) mat(h1[[g]]$cov)),
    h1_mean = lapply(groups, function(g) as.numeric(h1[[g]]$mean)),
    delta = lapply(groups, function(g) mat(delta[[g]])),
    vcov = mat(lavInspect(fit, "vcov")),
    information_observed = mat(lavInspect(fit, "information.observed")),
    information_first_order = mat(lavInspect(fit, "information.first.order")),
    test = lapply(fit@test, function(t) t[setdiff(names(t), "label")]),
    fiml_corrected_v3 = lavaan:::lav_fit_fiml_corrected(fit, version = "V3")
  )
}

ref <- list(
  versions = list(
    R = R.version.string,
    lavaan = as.character(packageVersion("lavaan")),
    jsonlite = as.character(packageVersion("jsonlite"))
  ),
  model_hs = hs_model,
  model_big = big_model,
  hs_missing_fraction = mean(is.na(hs_miss)),
  big_missing_fraction = mean(is.na(big)),
  em_direct = list(mu = as.numeric(em$Mu), sigma = mat(em$Sigma), logl = em_logl),
  fiml = c(dump_fit(fit_fiml), list(fiml_corrected_v6 = fiml_parts(fit_fiml, "V6"))),
  mlr_missing = c(dump_fit(fit_mlr_miss), list(fiml_corrected_v3 = fiml_parts(fit_mlr_miss, "V3"))),
  mlr_complete = c(dump_fit(fit_mlr_comp), list(
    baseline = list(
      estimates = with(parameterEstimates(fitB_comp), list(lhs = lhs, op = op, rhs = rhs, est = est)),
      test = lapply(fitB_comp@test, function(t) t[setdiff(names(t), "label")])
    )
  )),
  big = c(
    dump_fit(fit_big, full = TRUE),
    list(fiml_corrected_v3 = fiml_parts(fit_big, "V3"))
  ),
  multigroup = dump_mg(fit_mg)
)

writeLines(
  toJSON(ref, auto_unbox = TRUE, digits = NA, null = "null", na = "null", pretty = FALSE),
  "tests/reference/sem_missing_robust.json"
)
cat("wrote tests/reference/sem_missing_robust.json\n")
