# Oracle for nrel_research.data.little_mcar_test (Little, 1988).
# naniar, norm, mvnmle and misty are not installed here, so the test statistic is computed
# from Little's formula (eq. 5) in base R on the ML mean vector and covariance matrix of
# lavaan's saturated model fitted with missing = "ml" (FIML = the EM estimates).
# Inputs: little_mcar_input_{mcar,mar}.csv (x1-x6 of the bundled Holzinger & Swineford
# data with missing values deleted completely at random / at random given x1 and x4).
# Run from the repository root: Rscript tests/reference/little_mcar.R
suppressPackageStartupMessages(library(lavaan))
little <- function(x) {
  x <- x[rowSums(!is.na(x)) > 0, , drop = FALSE]
  v <- colnames(x)
  model <- paste(c(
    apply(combn(v, 2), 2, function(p) paste(p[1], "~~", p[2])),
    paste(v, "~~", v), paste(v, "~ 1")
  ), collapse = "\n")
  fit <- lavaan(model, data = x, missing = "ml", meanstructure = TRUE,
                control = list(rel.tol = 1e-14))
  imp <- lavInspect(fit, "implied")
  mu <- imp$mean[v]; S <- imp$cov[v, v]
  pat <- apply(!is.na(x), 1, function(r) paste(as.integer(r), collapse = ""))
  d2 <- 0; df <- 0
  for (p in unique(pat)) {
    rows <- x[pat == p, , drop = FALSE]
    o <- !is.na(rows[1, ])
    diff <- colMeans(rows[, o, drop = FALSE]) - mu[o]
    d2 <- d2 + nrow(rows) * as.numeric(t(diff) %*% solve(S[o, o, drop = FALSE]) %*% diff)
    df <- df + sum(o)
  }
  df <- df - ncol(x)
  list(statistic = d2, df = df, p_value = pchisq(d2, df, lower.tail = FALSE),
       missing_patterns = length(unique(pat)), n = nrow(x),
       mean = unname(mu), cov = unname(S))
}
out <- list(
  r_version = R.version.string,
  lavaan_version = as.character(packageVersion("lavaan")),
  method = "Little (1988) eq. 5 on lavaan saturated-model ML (missing = 'ml') moments"
)
for (f in c("mcar", "mar")) {
  x <- read.csv(sprintf("tests/reference/little_mcar_input_%s.csv", f))
  out[[f]] <- little(x)
}
writeLines(jsonlite::toJSON(out, auto_unbox = TRUE, digits = 12, pretty = TRUE),
           "tests/reference/little_mcar.json")
