# Reference values for nrel_research.sem cross-group equality constraints (group.equal,
# group.partial) and the measurement-invariance sequence.
#
# Run from the repository root:   Rscript tests/reference/sem_group_equal.R
# Writes tests/reference/sem_group_equal.json (R and lavaan versions recorded there; seconds).
# Oracle: lavaan 0.6.14 cfa()/sem() with group = ..., group.equal = ..., group.partial = ...,
# and lavTestLRT() on the nested sequences, with defaults: estimator = "ML", likelihood =
# "normal" (S_g with divisor N_g), information = "expected", group order = first appearance
# in the data. Every case stores parTable() (which rows are free, labelled, fixed, and the
# "==" rows), parameterEstimates() (est, se, std.all, label) and fitMeasures().
#
# Groupings (the tests build the same columns from the bundled CSV):
#   school  - the two schools (Pasteur 156, Grant-White 145 rows: unequal sizes)
#   ageband - three age bands from ageyr: "le12" (ageyr <= 12, 109 rows), "13" (110 rows),
#             "ge14" (ageyr >= 14, 82 rows); first appearance order is "13", "le12", "ge14".
suppressPackageStartupMessages({
  library(lavaan)
  library(jsonlite)
})

hs <- read.csv(file.path("nrel_research", "datasets", "holzinger_swineford_1939.csv"))
hs$ageband <- ifelse(hs$ageyr <= 12, "le12", ifelse(hs$ageyr == 13, "13", "ge14"))

hs3 <- "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"
hs3_rescov <- paste0(hs3, "\nx7 ~~ x8")
hs_sem <- paste0(hs3, "\ntextual ~ visual\nspeed ~ textual")
hs_cov <- paste0("visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\n",
                 "visual ~ ageyr\ntextual ~ visual + ageyr")
hs3_user <- "visual =~ x1 + c(a,b)*x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"
hs3_fixed2 <- paste0(hs3, "\nx1 ~~ c(NA, 0.5)*x1")

L <- "loadings"
I <- c("loadings", "intercepts")
S <- c("loadings", "intercepts", "residuals")
cases <- list(
  configural = list(model = hs3, group = "school", equal = character(0)),
  metric = list(model = hs3, group = "school", equal = L),
  scalar = list(model = hs3, group = "school", equal = I),
  strict = list(model = hs3, group = "school", equal = S),
  # the two intercepts lavTestLRT's companion lavTestScore() flags on the scalar model
  partial_scalar = list(model = hs3, group = "school", equal = I,
                        partial = c("x3~1", "x7~1")),
  partial_metric = list(model = hs3, group = "school", equal = L, partial = "visual=~x3"),
  means = list(model = hs3, group = "school", equal = c(I, "means")),
  lv_var_cov = list(model = hs3, group = "school",
                    equal = c(I, "lv.variances", "lv.covariances")),
  residual_covariances = list(model = hs3_rescov, group = "school",
                              equal = c(L, "residuals", "residual.covariances")),
  regressions = list(model = hs_sem, group = "school", equal = c(L, "regressions")),
  # a fixed.x covariate: its mean/variance are not "intercepts"/"residuals"
  covariate = list(model = hs_cov, group = "school",
                   equal = c(I, "regressions", "residuals", "lv.variances")),
  std_lv_metric = list(model = hs3, group = "school", equal = L, std_lv = TRUE),
  std_lv_scalar = list(model = hs3, group = "school", equal = I, std_lv = TRUE),
  std_lv_lv_variances = list(model = hs3, group = "school", equal = c(L, "lv.variances"),
                             std_lv = TRUE),
  # user labels override group.equal (x2's loading differs across schools)
  user_labels = list(model = hs3_user, group = "school", equal = I),
  # a parameter fixed in group 2 only: with "residuals" lavaan fixes it in every group
  fixed_in_group2 = list(model = hs3_fixed2, group = "school", equal = S),
  three_configural = list(model = hs3, group = "ageband", equal = character(0)),
  three_metric = list(model = hs3, group = "ageband", equal = L),
  three_scalar = list(model = hs3, group = "ageband", equal = I),
  three_strict = list(model = hs3, group = "ageband", equal = S)
)
sequences <- list(
  school = c("configural", "metric", "scalar", "strict"),
  partial = c("metric", "partial_scalar"),
  ageband = c("three_configural", "three_metric", "three_scalar", "three_strict")
)
measures <- c("npar", "chisq", "df", "pvalue", "baseline.chisq", "baseline.df", "cfi", "tli",
              "rmsea", "rmsea.ci.lower", "rmsea.ci.upper", "srmr", "logl",
              "unrestricted.logl", "aic", "bic", "ntotal")

out <- list(
  versions = list(R = R.version.string, lavaan = as.character(packageVersion("lavaan"))),
  cases = list(),
  lrt = list()
)
fits <- list()
for (name in names(cases)) {
  cs <- cases[[name]]
  partial <- if (is.null(cs$partial)) character(0) else cs$partial
  std_lv <- isTRUE(cs$std_lv)
  # lavaan 0.6.14 needs "" (not character(0)) for "no constraints"
  equal_arg <- if (length(cs$equal)) cs$equal else ""
  partial_arg <- if (length(partial)) partial else ""
  f <- suppressWarnings(
    sem(cs$model, data = hs, group = cs$group, group.equal = equal_arg,
        group.partial = partial_arg, std.lv = std_lv)
  )
  fits[[name]] <- f
  pe <- parameterEstimates(f, standardized = TRUE, remove.nonfree = FALSE)
  if (is.null(pe$label)) pe$label <- ""
  pe <- pe[, c("lhs", "op", "rhs", "group", "label", "est", "se", "std.all")]
  pt <- parTable(f)
  pt <- pt[, c("id", "lhs", "op", "rhs", "user", "block", "group", "free", "ustart", "exo",
               "label", "plabel")]
  fm <- fitMeasures(f, measures)
  out$cases[[name]] <- list(
    syntax = cs$model,
    group = cs$group,
    group_equal = I(cs$equal),
    group_partial = I(partial),
    std_lv = std_lv,
    group_labels = lavInspect(f, "group.label"),
    group_n = as.list(setNames(lavInspect(f, "nobs"), lavInspect(f, "group.label"))),
    converged = lavInspect(f, "converged"),
    estimates = pe,
    partable = pt,
    fit = as.list(setNames(as.numeric(fm), gsub(".", "_", names(fm), fixed = TRUE)))
  )
}
for (sname in names(sequences)) {
  seq_names <- sequences[[sname]]
  lrt <- do.call(lavTestLRT, unname(fits[seq_names]))
  out$lrt[[sname]] <- list(
    models = seq_names,
    df = lrt[["Df"]],
    aic = lrt[["AIC"]],
    bic = lrt[["BIC"]],
    chisq = lrt[["Chisq"]],
    chisq_diff = lrt[["Chisq diff"]],
    df_diff = lrt[["Df diff"]],
    pvalue_diff = lrt[["Pr(>Chisq)"]]
  )
}
write_json(out, file.path("tests", "reference", "sem_group_equal.json"), digits = NA,
           auto_unbox = TRUE, pretty = TRUE, na = "null")
