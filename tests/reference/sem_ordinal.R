# Reference values for ordinal-indicator estimation in nrel_research.sem (issue 9).
#
# Run from the repository root:   Rscript tests/reference/sem_ordinal.R
# Writes tests/reference/sem_ordinal.json. Oracle: lavaan 0.6.14 (R 4.2.2).
#
# Data: the bundled holzinger_swineford_1939_ordinal.csv (HS x1-x9 cut at sample quintiles),
# tests/reference/data/ordinal_skewed.csv and ordinal_skewed_missing.csv (ordinal_data.R).
# Every fit uses lavaan's defaults for cfa()/sem() with ordered = (two-step: thresholds and
# polychoric correlations, then DWLS/ULS on the correlations; estimator "WLSMV" = DWLS +
# se = "robust.sem" + test = "scaled.shifted"), parameterization "delta" unless named.
# Stored per case: parTable(), parameterEstimates(standardized = TRUE), fitMeasures(), the
# scaled-shifted test's shift parameter (lavInspect "test"),
# lavInspect "wls.obs", "gamma", "wls.v" (diagonal), "wls.est", "th.idx", "delta" (Jacobian),
# nobs per group; the step-1 statistics let the Python tests check estimation independently
# of the polychoric code.
suppressPackageStartupMessages({
  library(lavaan)
  library(jsonlite)
})

hs <- read.csv(file.path("nrel_research", "datasets", "holzinger_swineford_1939_ordinal.csv"))
sk <- read.csv(file.path("tests", "reference", "data", "ordinal_skewed.csv"))
skm <- read.csv(file.path("tests", "reference", "data", "ordinal_skewed_missing.csv"))

hs_model <- "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"
hs_sem <- paste(
  "visual =~ x1 + x2 + x3", "textual =~ x4 + x5 + x6", "speed =~ x7 + x8 + x9",
  "textual ~ a*visual", "speed ~ b*textual + visual", "ind := a*b",
  sep = "\n"
)
sk_model <- "f1 =~ y1 + y2 + y3 + y4\nf2 =~ y5 + y6 + y7 + y8"
hs_x <- paste0("x", 1:9)
sk_y <- paste0("y", 1:8)

unname_mat <- function(m) { m <- as.matrix(m); dimnames(m) <- NULL; m }

group_list <- function(x) {
  # lavInspect returns a list per group for multiple groups; make it always a list
  if (is.list(x) && !is.data.frame(x)) x else list(x)
}

one <- function(model, data, ordered, ...) {
  fit <- cfa(model, data = data, ordered = ordered, ...)
  pt <- parTable(fit)
  pe <- parameterEstimates(fit, standardized = TRUE, remove.eq = FALSE,
                           remove.system.eq = FALSE, remove.ineq = FALSE,
                           remove.def = FALSE, remove.nonfree = FALSE)
  fm <- fitMeasures(fit)
  wls_obs <- group_list(lavInspect(fit, "wls.obs"))
  wls_v <- group_list(lavInspect(fit, "wls.v"))
  gamma <- group_list(lavInspect(fit, "gamma"))
  wls_est <- group_list(lavInspect(fit, "wls.est"))
  th_idx <- group_list(lavInspect(fit, "th.idx"))
  dlt <- group_list(lavInspect(fit, "delta"))
  groups <- lapply(seq_along(wls_obs), function(g) list(
    wls_obs = unname(as.numeric(wls_obs[[g]])),
    wls_names = names(wls_obs[[g]]),
    wls_v_diag = unname(diag(as.matrix(wls_v[[g]]))),
    gamma = signif(unname_mat(gamma[[g]]), 12),
    wls_est = unname(as.numeric(wls_est[[g]])),
    th_idx = as.integer(th_idx[[g]]),
    delta = unname_mat(dlt[[g]])
  ))
  list(
    converged = lavInspect(fit, "converged"),
    nobs = as.integer(lavInspect(fit, "nobs")),
    group_labels = lavInspect(fit, "group.label"),
    partable = as.list(pt[, c("id", "lhs", "op", "rhs", "user", "block", "group", "free",
                              "ustart", "exo", "label", "plabel", "est", "se")]),
    estimates = as.list(pe),
    fit_measures = as.list(fm),
    fmin = as.numeric(fm[["fmin"]]),
    shift_parameter = {
      tst <- lavInspect(fit, "test")
      if (!is.null(tst$scaled.shifted)) sum(tst$scaled.shifted$shift.parameter) else NA
    },
    groups = groups
  )
}

cases <- list(
  hs_delta_wlsmv = one(hs_model, hs, hs_x),
  hs_theta_wlsmv = one(hs_model, hs, hs_x, parameterization = "theta"),
  hs_delta_dwls = one(hs_model, hs, hs_x, estimator = "DWLS"),
  hs_delta_wlsm = one(hs_model, hs, hs_x, estimator = "WLSM"),
  hs_delta_ulsmv = one(hs_model, hs, hs_x, estimator = "ULSMV"),
  hs_theta_ulsmv = one(hs_model, hs, hs_x, estimator = "ULSMV", parameterization = "theta"),
  hs_mixed_wlsmv = one(hs_model, hs, paste0("x", 1:8)),
  hs_mixed_theta = one(hs_model, hs, paste0("x", 1:8), parameterization = "theta"),
  hs_sem_wlsmv = one(hs_sem, hs, hs_x),
  hs_stdlv_wlsmv = one(hs_model, hs, hs_x, std.lv = TRUE),
  # an ordered outcome regressed on a factor (a "dummy" latent variable in LISREL terms)
  hs_ordreg_wlsmv = one("visual =~ x1 + x2 + x3\ntextual =~ x5 + x6\nx4 ~ visual + textual",
                        hs, hs_x[1:6]),
  # a numeric covariate declared random (its variance in the syntax)
  hs_covariate_wlsmv = one("visual =~ x1 + x2 + x3\nvisual ~ agemo\nagemo ~~ agemo",
                           hs, hs_x[1:3]),
  sk_wlsmv = one(sk_model, sk, sk_y),
  sk_theta_wlsmv = one(sk_model, sk, sk_y, parameterization = "theta"),
  sk_groups_wlsmv = one(sk_model, sk, sk_y, group = "group"),
  sk_groups_theta = one(sk_model, sk, sk_y, group = "group", parameterization = "theta"),
  sk_groups_wlsm = one(sk_model, sk, sk_y, group = "group", estimator = "WLSM"),
  skm_pairwise_wlsmv = one(sk_model, skm, sk_y, missing = "pairwise")
)

# standardized solution with delta-method SEs, and a Wald test, on WLSMV fits
hs_lab <- "visual =~ x1 + x2 + a*x3\ntextual =~ x4 + x5 + b*x6\nspeed =~ x7 + x8 + x9"
extra <- list()
for (param in c("delta", "theta")) {
  fit <- cfa(hs_lab, data = hs, ordered = hs_x, parameterization = param)
  ss <- standardizedSolution(fit, type = "std.all")
  wt <- lavTestWald(fit, constraints = "a == b")
  extra[[param]] <- list(
    std = as.list(ss[, c("lhs", "op", "rhs", "est.std", "se", "z", "pvalue", "ci.lower",
                         "ci.upper")]),
    wald = list(stat = wt$stat, df = wt$df, p_value = wt$p.value, se = wt$se)
  )
}

out <- list(
  r_version = R.version.string,
  lavaan_version = as.character(packageVersion("lavaan")),
  cases = cases,
  std_wald = extra
)
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, null = "null", na = "null",
                  matrix = "rowmajor"),
           file.path("tests", "reference", "sem_ordinal.json"))
