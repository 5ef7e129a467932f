# Reference values for nrel_research.sem (single-group, complete-data ML).
#
# Run from the repository root:   Rscript tests/reference/sem_ml.R
# Writes tests/reference/sem_ml.json (and the simulated CSVs under tests/reference/data/).
# Oracle: lavaan 0.6.14 as packaged by Debian bookworm (r-cran-lavaan), R 4.2.
#
# lavaan options that change numbers, all left at the sem()/cfa() defaults and matched by the
# Python engine: estimator = "ML", likelihood = "normal" (S with divisor N), information =
# "expected" (complete data), h1 = TRUE, fixed.x = TRUE, missing = "listwise", meanstructure =
# "default" (TRUE only when the syntax uses ~1), auto.fix.first = TRUE, auto.var = TRUE,
# auto.cov.lv.x = TRUE, auto.cov.y = TRUE, int.ov.free = TRUE, int.lv.free = FALSE,
# boot.ci.type = "perc" (parameterEstimates default for se = "bootstrap").
suppressPackageStartupMessages({
  library(lavaan)
  library(jsonlite)
})

ds <- function(name) read.csv(file.path("nrel_research", "datasets", paste0(name, ".csv")))
dir.create(file.path("tests", "reference", "data"), showWarnings = FALSE)

hs <- ds("holzinger_swineford_1939")
pd <- ds("political_democracy")

# --- simulated data sets (seeded; written with 6 significant digits, read back) ------------
set.seed(20160101)
n <- 200
X <- rnorm(n)
M <- 0.5 * X + rnorm(n)
Y <- 0.4 * M + 0.2 * X + rnorm(n)
med <- data.frame(X = X, M = M, Y = Y)
write.csv(signif(med, 6), file.path("tests", "reference", "data", "mediation.csv"),
          row.names = FALSE)
med <- read.csv(file.path("tests", "reference", "data", "mediation.csv"))

set.seed(20160102)
n <- 1200
nf <- 5
phi <- matrix(0.3, 3, 3); diag(phi) <- 1
f1to3 <- MASS::mvrnorm(n, rep(0, 3), phi)
f4 <- 0.4 * f1to3[, 1] + 0.3 * f1to3[, 2] + rnorm(n, sd = sqrt(0.7))
f5 <- 0.3 * f1to3[, 3] + 0.5 * f4 + rnorm(n, sd = sqrt(0.6))
FF <- cbind(f1to3, f4, f5)
large <- list()
for (k in 1:nf) {
  lam <- c(1, 0.9, 0.8, 0.7, 0.6)
  for (j in 1:5) {
    large[[sprintf("i%d%d", k, j)]] <- lam[j] * FF[, k] + rnorm(n, sd = sqrt(0.6))
  }
}
large <- as.data.frame(large)
# one cross-loading and one correlated residual the model below omits (for misfit / MIs)
large$i15 <- large$i15 + 0.3 * FF[, 2]
large$i23 <- large$i23 + 0.4 * large$i24 - 0.4 * FF[, 2] * 0.7
write.csv(signif(large, 6), file.path("tests", "reference", "data", "large_sem.csv"),
          row.names = FALSE)
large <- read.csv(file.path("tests", "reference", "data", "large_sem.csv"))

set.seed(20160103)
n <- 80
f <- rnorm(n)
heywood <- data.frame(a1 = f + rnorm(n, sd = 0.5), a2 = 0.9 * f + rnorm(n, sd = 0.3),
                      a3 = 0.4 * f + rnorm(n), a4 = 0.5 * f + rnorm(n))
write.csv(signif(heywood, 6), file.path("tests", "reference", "data", "heywood.csv"),
          row.names = FALSE)
heywood <- read.csv(file.path("tests", "reference", "data", "heywood.csv"))

# --- models --------------------------------------------------------------------------------
models <- list(
  hs_cfa = list(
    fun = "cfa", data = "holzinger_swineford_1939",
    model = "
      visual  =~ x1 + x2 + x3
      textual =~ x4 + x5 + x6
      speed   =~ x7 + x8 + x9
    "),
  poldem = list(
    fun = "sem", data = "political_democracy",
    model = "
      # measurement model
      ind60 =~ x1 + x2 + x3
      dem60 =~ y1 + y2 + y3 + y4
      dem65 =~ y5 + y6 + y7 + y8
      # regressions
      dem60 ~ ind60
      dem65 ~ ind60 + dem60
      # residual correlations
      y1 ~~ y5
      y2 ~~ y4 + y6
      y3 ~~ y7
      y4 ~~ y8
      y6 ~~ y8
    "),
  mediation = list(
    fun = "sem", data = "mediation",
    model = "
      M ~ a*X
      Y ~ b*M + cp*X
      ind := a*b
      total := cp + a*b
    "),
  hs_mimic = list(
    fun = "sem", data = "holzinger_swineford_1939",
    model = "
      visual  =~ x1 + x2 + x3
      textual =~ x4 + x5 + x6
      visual  ~ ageyr + sex
      textual ~ grade + visual
    "),
  hs_means_constraints = list(
    fun = "cfa", data = "holzinger_swineford_1939",
    model = "
      visual  =~ x1 + start(0.5)*x2 + x3 ! exclamation comment
      textual =~ x4 + b*x5 +
                 b*x6
      speed   =~ NA*x7 + x8 + x9; speed ~~ 1*speed
      x1 ~ 1
      x9 ~~ 0.4*x9
      rel := b / 2
    "),
  hs_second_order = list(
    fun = "cfa", data = "holzinger_swineford_1939",
    model = "
      visual  =~ x1 + x2 + x3
      textual =~ x4 + x5 + x6
      speed   =~ x7 + x8 + x9
      g =~ visual + textual + speed
    "),
  pd_path_means = list(
    fun = "sem", data = "political_democracy",
    model = "
      y5 ~ y1 + x1
      y6 ~ y5 + y2
      y8 ~ y6 + y5 + x1
      y5 ~ 1
    "),
  hs_lv_regression_means = list(
    fun = "sem", data = "holzinger_swineford_1939",
    model = "
      visual  =~ x1 + x2 + x3
      textual =~ x4 + x5 + x6
      textual ~ visual + ageyr
      x1 ~ 1
      x4 ~~ x1
    "),
  hs_single_indicator_orthogonal = list(
    fun = "sem", data = "holzinger_swineford_1939",
    model = "
      visual  =~ x1 + x2 + x3
      textual =~ x4 + x5 + x6
      single  =~ x9
      visual ~~ 0*textual
      x7 ~ visual + textual
      visual ~ single
      textual ~ 1
      x4 ~ 0*1
      cv := 2 * 0.5
      r := sqrt(abs(cv)) ^ 2 + 0 * cv
    "),
  pd_random_x_equality = list(
    fun = "sem", data = "political_democracy",
    model = "
      y1 ~ b1*x1 + b2*x2
      y5 ~ b3*y1 + x1
      x1 ~~ x2
      b1 == b2
      diff := b3 - b1
    "),
  poldem_equal_loadings = list(
    fun = "sem", data = "political_democracy",
    model = "
      ind60 =~ x1 + x2 + x3
      dem60 =~ y1 + a*y2 + b*y3 + c*y4
      dem65 =~ y5 + a*y6 + b*y7 + c*y8
      dem60 ~ ind60
      dem65 ~ ind60 + dem60
      y1 ~~ y5
      y2 ~~ y4 + y6
      y3 ~~ y7
      y4 ~~ y8
      y6 ~~ y8
    "),
  hs_std_lv_cross_loading = list(
    fun = "cfa", data = "holzinger_swineford_1939",
    model = "
      visual  =~ NA*x1 + x2 + x3 + x9
      textual =~ NA*x4 + x5 + x6
      speed   =~ NA*x7 + x8 + x9
      visual ~~ 1*visual
      textual ~~ 1*textual
      speed ~~ 1*speed
    "),
  hs_cfa_std_lv = list(
    fun = "cfa", data = "holzinger_swineford_1939", args = list(std.lv = TRUE),
    model = "
      visual  =~ x1 + x2 + x3
      textual =~ x4 + x5 + x6
      speed   =~ x7 + x8 + x9
      speed ~ visual
    "),
  hs_nonrecursive = list(
    fun = "sem", data = "holzinger_swineford_1939",
    model = "
      x4 ~ x6 + x1
      x6 ~ x4 + x9
    "),
  heywood = list(
    fun = "cfa", data = "heywood",
    model = "f =~ a1 + a2 + a3 + a4"),
  large = list(
    fun = "sem", data = "large_sem",
    model = "
      f1 =~ i11 + i12 + i13 + i14 + i15
      f2 =~ i21 + i22 + i23 + i24 + i25
      f3 =~ i31 + i32 + i33 + i34 + i35
      f4 =~ i41 + i42 + i43 + i44 + i45
      f5 =~ i51 + i52 + i53 + i54 + i55
      f4 ~ f1 + f2
      f5 ~ f3 + f4
    ")
)
datasets <- list(holzinger_swineford_1939 = hs, political_democracy = pd,
                 mediation = med, large_sem = large, heywood = heywood)

pt_cols <- c("id", "lhs", "op", "rhs", "user", "block", "group", "free", "ustart",
             "exo", "label", "plabel")
clean_pt <- function(pt) {
  pt <- as.data.frame(pt)[, intersect(pt_cols, names(pt))]
  pt
}

out <- list(
  meta = list(
    R = R.version.string,
    lavaan = as.character(packageVersion("lavaan")),
    script = "tests/reference/sem_ml.R",
    created = format(Sys.time(), tz = "UTC", usetz = TRUE)
  ),
  fits = list()
)

fm_names <- c("npar", "ntotal", "chisq", "df", "pvalue", "baseline.chisq", "baseline.df",
              "baseline.pvalue", "cfi", "tli", "rmsea", "rmsea.ci.lower", "rmsea.ci.upper",
              "rmsea.pvalue", "srmr", "logl", "unrestricted.logl", "aic", "bic", "bic2")

for (nm in names(models)) {
  m <- models[[nm]]
  fun <- get(m$fun)
  extra <- if (is.null(m$args)) list() else m$args
  fit <- do.call(m$fun, c(list(model = m$model, data = datasets[[m$data]]), extra))
  pe <- parameterEstimates(fit, standardized = TRUE, remove.eq = FALSE,
                           remove.system.eq = TRUE)
  fm <- fitMeasures(fit, fm_names)
  mi <- modindices(fit, sort. = FALSE)
  mi <- mi[, c("lhs", "op", "rhs", "mi", "epc", "sepc.all")]
  out$fits[[nm]] <- list(
    fun = m$fun, data = m$data, model = m$model, args = extra,
    converged = lavInspect(fit, "converged"),
    nobs = lavInspect(fit, "nobs"),
    partable = clean_pt(parTable(fit)),
    estimates = pe[, intersect(c("lhs", "op", "rhs", "label", "est", "se", "z", "pvalue",
                                 "ci.lower", "ci.upper", "std.lv", "std.all"), names(pe))],
    fit_measures = as.list(fm),
    modindices = mi,
    implied_cov = unclass(lavInspect(fit, "cov.ov")),
    ov_names = lavNames(fit, "ov")
  )
}

# --- bootstrap with exported resample indices ------------------------------------------
# For each case: the se = "bootstrap" fit and bootstrapLavaan(keep.idx = TRUE) on the ML fit
# are run from the same seed; the script stops unless their replications agree, so the
# exported indices are the resamples behind the se = "bootstrap" numbers.
boot_cases <- list(
  mediation = list(fit = "mediation", R = 200L, seed = 2016),
  hs_cfa = list(fit = "hs_cfa", R = 100L, seed = 1939),
  hs_single_indicator_orthogonal = list(fit = "hs_single_indicator_orthogonal", R = 100L,
                                        seed = 7),
  heywood = list(fit = "heywood", R = 200L, seed = 11)
)
out$bootstrap <- list()
for (bn in names(boot_cases)) {
  bc <- boot_cases[[bn]]
  m <- models[[bc$fit]]
  fun <- get(m$fun)
  dat <- datasets[[m$data]]
  set.seed(bc$seed)
  fit_boot <- fun(m$model, data = dat, se = "bootstrap", bootstrap = bc$R)
  fit_ml <- fun(m$model, data = dat)
  set.seed(bc$seed)
  bl <- bootstrapLavaan(fit_ml, R = bc$R, FUN = "coef", keep.idx = TRUE)
  boot_coef <- lavInspect(fit_boot, "boot")
  stopifnot(isTRUE(all.equal(unclass(boot_coef)[, ], unclass(bl)[, ],
                             check.attributes = FALSE, tolerance = 1e-6)))
  pe_boot <- parameterEstimates(fit_boot, boot.ci.type = "perc")
  keep <- intersect(c("lhs", "op", "rhs", "label", "est", "se", "z", "pvalue", "ci.lower",
                      "ci.upper"), names(pe_boot))
  out$bootstrap[[bn]] <- list(
    fit = bc$fit, R = bc$R, seed = bc$seed,
    note = paste("boot_idx are 1-based row indices into the complete cases, one row per",
                 "replication, identical to the resamples behind the se='bootstrap' fit"),
    boot_idx = attr(bl, "boot.idx")[[1]],
    boot_coef = unname(unclass(boot_coef)[, ]),
    n_error = length(attr(bl, "error.idx")),
    n_nonadmissible = length(attr(bl, "nonadmissible")),
    estimates = pe_boot[, keep]
  )
}

# --- parameter tables straight from the syntax (lavaanify with sem() defaults) ---------
syntax_cases <- list(
  multi_line_and_separators = list(ngroups = 1L, meanstructure = FALSE, model = "
    # comment line
    f1 =~ y1 + y2 +
          y3 ; f2 =~ y4 + l5*y5 + 0.8*y6   # trailing comment
    f2 ~ f1 + x1 + x2
    y1 ~~ y4
    "),
  means_and_defined = list(ngroups = 1L, meanstructure = TRUE, model = "
    f1 =~ NA*y1 + a*y2 + a*y3
    f1 ~~ 1*f1
    y1 ~ 1
    f1 ~ x1
    d := a^2 - 1
    "),
  group_vectors = list(ngroups = 2L, meanstructure = FALSE, model = "
    f1 =~ y1 + c(l2a, l2b)*y2 + c(1, NA)*y3
    y2 ~~ c(v2, v2)*y2
    "),
  observed_regression_chain = list(ngroups = 1L, meanstructure = FALSE, model = "
    y2 ~ y1 + x1
    y3 ~ y2 + x1 + x2
    "),
  equality_constraint = list(ngroups = 1L, meanstructure = FALSE, model = "
    f1 =~ y1 + a1*y2 + a2*y3
    a1 == a2
    ")
)
out$syntax <- list()
for (nm in names(syntax_cases)) {
  sc <- syntax_cases[[nm]]
  pt <- lavaanify(sc$model, ngroups = sc$ngroups, meanstructure = sc$meanstructure,
                  int.ov.free = TRUE, int.lv.free = FALSE, auto.fix.first = TRUE,
                  auto.fix.single = TRUE, auto.var = TRUE, auto.cov.lv.x = TRUE,
                  auto.efa = TRUE, auto.th = TRUE, auto.delta = TRUE, auto.cov.y = TRUE,
                  fixed.x = TRUE)
  out$syntax[[nm]] <- list(model = sc$model, ngroups = sc$ngroups,
                           meanstructure = sc$meanstructure, partable = clean_pt(pt))
}

write_json(out, file.path("tests", "reference", "sem_ml.json"), digits = NA, auto_unbox = TRUE,
           pretty = TRUE, na = "null")
cat("wrote tests/reference/sem_ml.json\n")
