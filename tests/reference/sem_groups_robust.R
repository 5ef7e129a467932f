# Reference values for nrel_research.sem multiple-group FIML / MLR / robust SEs and for
# nrel_research.sem.lrt() (lavaan's lavTestLRT) on one and several groups.
#
# Run from the repository root:   Rscript tests/reference/sem_groups_robust.R   (~2 min)
# Writes tests/reference/sem_groups_robust.json.
# Data: the bundled Holzinger-Swineford CSV (complete) and its missing-data variant
# (nrel_research/datasets/holzinger_swineford_1939_missing.csv: x1-x9 only, rows in the same
# order as the complete file), to which the complete file's `school` and `ageyr` are attached.
# Grouping columns: `school` (Pasteur, Grant-White) and a three-level age group built from
# `ageyr` (the tests build the same column):
#   age_group = "12 or younger" (ageyr <= 12, n = 109), "13" (n = 110), "14 or older" (n = 82)
# Oracle: lavaan 0.6.14 cfa(model, data, group = ...) with
#   missing = "ml"                 (FIML: observed information, h1 by EM),
#   estimator = "MLR"              (Huber-White SEs, Yuan-Bentler Mplus scaled test),
#   se = "robust.huber.white"      (ML with robust SEs, standard test),
# and lavTestLRT(..., method = "default" | "satorra.bentler.2001" | "satorra.bentler.2010").
suppressPackageStartupMessages({
  library(lavaan)
  library(jsonlite)
})

hs <- read.csv(file.path("nrel_research", "datasets", "holzinger_swineford_1939.csv"))
hs_miss <- read.csv(file.path("nrel_research", "datasets", "holzinger_swineford_1939_missing.csv"))
age_group <- ifelse(hs$ageyr <= 12, "12 or younger", ifelse(hs$ageyr == 13, "13", "14 or older"))
hs$age_group <- age_group
hs_miss$school <- hs$school
hs_miss$age_group <- age_group

three <- "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"
syntax <- list(
  configural = three,
  # one loading held equal across the two schools by a shared label
  labelled = "visual =~ x1 + c(a,a)*x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9",
  # every loading held equal across the two schools (metric invariance by labels)
  metric = paste0(
    "visual =~ x1 + c(a2,a2)*x2 + c(a3,a3)*x3\n",
    "textual =~ x4 + c(b5,b5)*x5 + c(b6,b6)*x6\n",
    "speed =~ x7 + c(c8,c8)*x8 + c(c9,c9)*x9"
  ),
  # single-group nested pair: the x2 and x3 loadings equal
  single_equal = "visual =~ x1 + a*x2 + a*x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"
)

cases <- list(
  fiml_configural = list(model = "configural", data = "missing", group = "school",
                         missing = "ml", estimator = "ML", se = "default"),
  fiml_labelled = list(model = "labelled", data = "missing", group = "school",
                       missing = "ml", estimator = "ML", se = "default"),
  mlr_configural = list(model = "configural", data = "complete", group = "school",
                        missing = "listwise", estimator = "MLR", se = "default"),
  mlr_labelled = list(model = "labelled", data = "complete", group = "school",
                      missing = "listwise", estimator = "MLR", se = "default"),
  mlr_metric = list(model = "metric", data = "complete", group = "school",
                    missing = "listwise", estimator = "MLR", se = "default"),
  mlr_fiml_configural = list(model = "configural", data = "missing", group = "school",
                             missing = "ml", estimator = "MLR", se = "default"),
  mlr_fiml_labelled = list(model = "labelled", data = "missing", group = "school",
                           missing = "ml", estimator = "MLR", se = "default"),
  mlr_fiml_metric = list(model = "metric", data = "missing", group = "school",
                         missing = "ml", estimator = "MLR", se = "default"),
  ml_robust_configural = list(model = "configural", data = "complete", group = "school",
                              missing = "listwise", estimator = "ML",
                              se = "robust.huber.white"),
  ml_metric = list(model = "metric", data = "complete", group = "school",
                   missing = "listwise", estimator = "ML", se = "default"),
  ml_configural = list(model = "configural", data = "complete", group = "school",
                       missing = "listwise", estimator = "ML", se = "default"),
  mlr_three_groups = list(model = "configural", data = "complete", group = "age_group",
                          missing = "listwise", estimator = "MLR", se = "default"),
  mlr_fiml_three_groups = list(model = "configural", data = "missing", group = "age_group",
                               missing = "ml", estimator = "MLR", se = "default"),
  mlr_single = list(model = "configural", data = "complete", group = "",
                    missing = "listwise", estimator = "MLR", se = "default"),
  mlr_single_equal = list(model = "single_equal", data = "complete", group = "",
                          missing = "listwise", estimator = "MLR", se = "default")
)

# Every case is fitted with lavaan's defaults and then "polished": refitted from those estimates
# with optim.method = "BFGS" and reltol = 1e-14. lavaan's default nlminb stops 1e-5 to 5e-5 away
# from the optimum on these multiple-group fits (its chi-square is 2e-8 to 8e-8 above the
# minimum), which moves SEs and scaled statistics by up to 2e-4 / 3e-3; the polished fit is the
# same ML solution to ~1e-7 and is what the tests compare with (the default fits' distance is
# recorded as `default_fit`). (nlminb with a smaller rel.tol reports false convergence.)
run_case <- function(case, polish = TRUE) {
  dat <- if (case$data == "missing") hs_miss else hs
  args <- list(model = syntax[[case$model]], data = dat, missing = case$missing,
               estimator = case$estimator, se = case$se)
  if (nzchar(case$group)) args$group <- case$group
  fit <- do.call("cfa", args)
  if (!polish) return(fit)
  args$start <- fit
  args$optim.method <- "BFGS"
  args$control <- list(reltol = 1e-14, maxit = 10000)
  do.call("cfa", args)
}

fits <- lapply(cases, run_case)
default_fits <- lapply(cases, run_case, polish = FALSE)

dump_fit <- function(fit, case, name) {
  pe <- parameterEstimates(fit, standardized = TRUE, remove.nonfree = FALSE)
  if (is.null(pe$label)) pe$label <- ""
  if (is.null(pe$group)) pe$group <- 1L
  pe <- pe[, c("lhs", "op", "rhs", "group", "label", "est", "se", "std.all")]
  fm <- fitMeasures(fit)
  tests <- lapply(fit@test, function(t) {
    list(test = t$test, stat = t$stat, df = t$df,
         scaling_factor = if (is.null(t$scaling.factor)) NA else t$scaling.factor)
  })
  list(
    syntax = syntax[[case$model]],
    case = case,
    group_labels = if (nzchar(case$group)) lavInspect(fit, "group.label") else list(),
    group_n = as.list(lavInspect(fit, "nobs")),
    converged = lavInspect(fit, "converged"),
    default_fit = list(
      max_abs_est_diff = max(abs(coef(default_fits[[name]]) - coef(fit))),
      chisq_excess = fitMeasures(default_fits[[name]], "chisq") - fitMeasures(fit, "chisq")
    ),
    estimates = pe,
    fit = as.list(setNames(as.numeric(fm), gsub(".", "_", names(fm), fixed = TRUE))),
    test = tests
  )
}

dumped <- mapply(dump_fit, fits, cases, names(cases), SIMPLIFY = FALSE)

# ---- likelihood-ratio (difference) tests ------------------------------------------------------
lrt_sets <- list(
  mlr = c("mlr_metric", "mlr_configural", "mlr_labelled"),  # deliberately not in df order
  mlr_fiml = c("mlr_fiml_configural", "mlr_fiml_labelled", "mlr_fiml_metric"),
  ml = c("ml_metric", "ml_configural"),
  fiml = c("fiml_configural", "fiml_labelled"),
  mlr_single = c("mlr_single", "mlr_single_equal")
)
methods <- c("default", "satorra.bentler.2001", "satorra.bentler.2010")

dump_lrt <- function(names, method) {
  mods <- fits[names]
  tab <- suppressWarnings(do.call("lavTestLRT", c(unname(mods), list(method = method,
                                                                    model.names = names))))
  # the difference-test scaling factors (lavaan computes them but does not print them)
  ord <- order(sapply(mods, function(m) m@test[[1]]$df))
  sorted <- mods[ord]
  scaled <- all(sapply(sorted, function(m) length(m@test) > 1L))
  cd <- rep(NA_real_, length(sorted))
  if (scaled && method != "default") {
    for (m in seq_len(length(sorted) - 1L)) {
      out <- if (method == "satorra.bentler.2010") {
        suppressWarnings(lavaan:::lav_test_diff_SatorraBentler2010(sorted[[m]], sorted[[m + 1]],
                                                                  H1 = FALSE))
      } else {
        lavaan:::lav_test_diff_SatorraBentler2001(sorted[[m]], sorted[[m + 1]])
      }
      cd[m + 1] <- out$scaling.factor
    }
  } else if (scaled) {
    for (m in seq_len(length(sorted) - 1L)) {
      cd[m + 1] <- lavaan:::lav_test_diff_SatorraBentler2001(sorted[[m]],
                                                             sorted[[m + 1]])$scaling.factor
    }
  }
  list(
    models = names,
    method = method,
    heading = attr(tab, "heading"),
    rows = rownames(tab),
    df = tab[["Df"]],
    aic = tab[["AIC"]],
    bic = tab[["BIC"]],
    chisq = tab[["Chisq"]],
    chisq_diff = tab[["Chisq diff"]],
    rmsea = if (is.null(tab[["RMSEA"]])) rep(NA_real_, nrow(tab)) else tab[["RMSEA"]],
    df_diff = tab[["Df diff"]],
    pvalue_diff = tab[["Pr(>Chisq)"]],
    scaling_factor = cd
  )
}

lrt <- list()
for (set in names(lrt_sets)) {
  for (method in methods) {
    if (set %in% c("ml", "fiml") && method != "default") next
    lrt[[paste(set, method, sep = ":")]] <- dump_lrt(lrt_sets[[set]], method)
  }
}

out <- list(
  versions = list(R = R.version.string, lavaan = as.character(packageVersion("lavaan")),
                  jsonlite = as.character(packageVersion("jsonlite"))),
  fits = dumped,
  lrt = lrt
)
write_json(out, file.path("tests", "reference", "sem_groups_robust.json"), digits = NA,
           auto_unbox = TRUE, pretty = TRUE, na = "null", null = "null")
cat("wrote tests/reference/sem_groups_robust.json\n")
