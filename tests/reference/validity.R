# Oracle for nrel_research.sem.validity: reliability and validity on the HS 3-factor CFA.
#
# Run from the repository root:  Rscript tests/reference/validity.R
# Writes tests/reference/validity.json. Needs lavaan 0.6-14, semTools 0.5-6, psych 2.2.9 and
# jsonlite (Debian bookworm: r-cran-lavaan r-cran-semtools r-cran-psych r-cran-jsonlite).
#
# Defaults that change numbers, named explicitly: compRelSEM(obs.var = TRUE, tau.eq = FALSE,
# dropSingle = TRUE) -- omega's denominator is the *sample* covariance (divisor N) of the
# indicators; AVE(obs.var = TRUE) likewise; htmt(absolute = TRUE, htmt2 = TRUE,
# missing = "listwise") -- semTools 0.5-6 returns HTMT2 (geometric means) unless htmt2 = FALSE.
suppressPackageStartupMessages({
  library(lavaan)
  library(semTools)
  library(psych)
  library(jsonlite)
})

hs <- read.csv("nrel_research/datasets/holzinger_swineford_1939.csv")
hs_miss <- read.csv("tests/reference/data/hs_missing.csv")  # written by sem_missing_robust.R
model <- "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"
blocks <- list(visual = c("x1", "x2", "x3"), textual = c("x4", "x5", "x6"),
               speed = c("x7", "x8", "x9"))

fit <- cfa(model, data = hs)
est <- lavInspect(fit, "est")
mat <- function(m) unname(lapply(seq_len(nrow(m)), function(i) as.numeric(m[i, ])))

psych_alpha <- lapply(blocks, function(v) {
  a <- psych::alpha(hs[, v])
  list(raw_alpha = a$total$raw_alpha, std_alpha = a$total$std.alpha)
})

# psych::alpha with missing values (use = "pairwise", its default)
psych_alpha_missing <- lapply(blocks, function(v) {
  a <- psych::alpha(hs_miss[, v])
  list(raw_alpha = a$total$raw_alpha, std_alpha = a$total$std.alpha)
})

std <- lavInspect(fit, "std")
ref <- list(
  versions = list(
    R = R.version.string,
    lavaan = as.character(packageVersion("lavaan")),
    semTools = as.character(packageVersion("semTools")),
    psych = as.character(packageVersion("psych")),
    jsonlite = as.character(packageVersion("jsonlite"))
  ),
  model = model,
  blocks = blocks,
  lambda = mat(est$lambda),
  lambda_rownames = rownames(est$lambda),
  lambda_colnames = colnames(est$lambda),
  psi = mat(lavInspect(fit, "cov.lv")),
  theta = mat(est$theta),
  cor_lv = mat(lavInspect(fit, "cor.lv")),
  sampstat_cov = mat(lavInspect(fit, "sampstat")$cov),
  implied_cov = mat(lavInspect(fit, "implied")$cov),
  std_lambda = mat(std$lambda),
  std_theta = mat(std$theta),
  std_psi = mat(std$psi),
  omega = as.list(compRelSEM(fit)),
  omega_fitted = as.list(compRelSEM(fit, obs.var = FALSE)),
  alpha_tau_eq = as.list(compRelSEM(fit, tau.eq = TRUE)),
  ave = as.list(AVE(fit)),
  ave_fitted = as.list(AVE(fit, obs.var = FALSE)),
  htmt2 = mat(htmt(model, data = hs)),
  htmt_classic = mat(htmt(model, data = hs, htmt2 = FALSE)),
  htmt_classic_missing_ml = mat(htmt(model, data = hs_miss, missing = "ml", htmt2 = FALSE)),
  htmt_classic_missing_listwise = mat(htmt(model, data = hs_miss, htmt2 = FALSE)),
  psych_alpha = psych_alpha,
  psych_alpha_missing = psych_alpha_missing
)
writeLines(
  toJSON(ref, auto_unbox = TRUE, digits = NA, pretty = TRUE),
  "tests/reference/validity.json"
)
cat("wrote tests/reference/validity.json\n")
