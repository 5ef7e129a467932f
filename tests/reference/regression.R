# Reference values for nrel_research.analysis.regression (OLS, robust SEs, VIF, moderation).
#
# Run from the repository root:   Rscript tests/reference/regression.R
# Writes tests/reference/regression.json.
# Reads the bundled simulated study as committed (data/simulated/firms.csv: one row per
# response with the firms' true construct scores, log size and age, sector and market type),
# so that Python and R see the same numbers.
# Oracles: lm(); sandwich::vcovHC(type = "HC3"/"HC1"), sandwich::vcovCL(type = "HC1") (CR1,
# Stata's small-sample factor G/(G-1) (n-1)/(n-k)); lmtest::waldtest(vcov = ...) for the model
# F test; car::vif() for VIF/GVIF; simple slopes and Johnson-Neyman bounds computed from
# coef() and the sandwich vcov with the same linear combinations; standardized coefficients by
# refitting on z-scored continuous variables (factors left as they are).
suppressPackageStartupMessages({
  library(sandwich)
  library(lmtest)
  library(car)
  library(jsonlite)
})

firms <- read.csv(file.path("data", "simulated", "firms.csv"))
firms$sector <- factor(firms$sector)
firms$market_type <- factor(firms$market_type)
first <- firms[firms$second_informant == 0, ]

cases <- list(
  controls_fe = list(
    formula = paste("marketing_performance ~ R1 + R2 + E1 + E2 + E3 + E4 + E5 + E6 + L1 +",
                    "log_employees + log_firm_age + C(sector)"),
    data = "first", cluster = NULL),
  market_interaction = list(
    formula = paste("marketing_performance ~ E1 * C(market_type) + E4 + log_employees +",
                    "log_firm_age + C(sector)"),
    data = "first", cluster = NULL),
  continuous_moderation = list(
    formula = paste("customer_relationship_performance ~ E1 * relational_orientation +",
                    "log_employees + C(sector)"),
    data = "first", cluster = NULL),
  e7_listwise = list(
    formula = "marketing_performance ~ E7 + E1 + log_employees + C(market_type)",
    data = "first", cluster = NULL),
  cluster_firm = list(
    formula = paste("marketing_performance ~ R1 + E1 + E4 + log_employees + log_firm_age +",
                    "C(sector)"),
    data = "all", cluster = "firm_id"),
  cluster_sector = list(
    formula = "marketing_performance ~ E1 + log_employees + log_firm_age + C(market_type)",
    data = "first", cluster = "sector")
)

zscore_fit <- function(f, d) {
  mf <- model.frame(f, d)
  vars <- all.vars(f)
  z <- d[rownames(mf), vars, drop = FALSE]
  for (v in vars) {
    x <- z[[v]]
    if (is.numeric(x) && length(unique(x)) > 2) z[[v]] <- (x - mean(x)) / sd(x)
  }
  coef(lm(f, z))
}

inference <- function(b, V, df, level = 0.95) {
  se <- sqrt(diag(V))
  t <- b / se
  crit <- qt((1 + level) / 2, df)
  list(se = as.list(se), pvalue = as.list(2 * pt(-abs(t), df)),
       ci_lower = as.list(b - crit * se), ci_upper = as.list(b + crit * se))
}

wald <- function(fit, V, df2) {
  keep <- names(coef(fit)) != "(Intercept)"
  b <- coef(fit)[keep]
  q <- sum(keep)
  Fs <- as.numeric(t(b) %*% solve(V[keep, keep], b)) / q
  list(f_statistic = Fs, f_df1 = q, f_df2 = df2, f_pvalue = pf(Fs, q, df2, lower.tail = FALSE))
}

out <- list(
  versions = list(R = R.version.string,
                  sandwich = as.character(packageVersion("sandwich")),
                  lmtest = as.character(packageVersion("lmtest")),
                  car = as.character(packageVersion("car"))),
  cases = list()
)

for (name in names(cases)) {
  cs <- cases[[name]]
  d <- if (cs$data == "first") first else firms
  f <- as.formula(cs$formula)
  fit <- lm(f, d)
  b <- coef(fit)
  n <- nobs(fit)
  res <- list(formula = cs$formula, data = cs$data, cluster = cs$cluster, nobs = n,
              df_resid = fit$df.residual, coef = as.list(b),
              r2 = summary(fit)$r.squared, adj_r2 = summary(fit)$adj.r.squared,
              sigma = summary(fit)$sigma, std_coef = as.list(zscore_fit(f, d)))
  V <- list(classical = vcov(fit), HC3 = vcovHC(fit, type = "HC3"),
            HC1 = vcovHC(fit, type = "HC1"))
  df_inf <- list(classical = fit$df.residual, HC3 = fit$df.residual, HC1 = fit$df.residual)
  if (!is.null(cs$cluster)) {
    cl <- d[rownames(model.frame(fit)), cs$cluster]
    V$cluster <- vcovCL(fit, cluster = cl, type = "HC1")
    res$n_clusters <- length(unique(cl))
    df_inf$cluster <- res$n_clusters - 1
  }
  res$se <- list()
  for (type in names(V)) {
    inf <- inference(b, V[[type]], df_inf[[type]])
    inf$f_test <- if (type == "cluster" && sum(names(b) != "(Intercept)") >= res$n_clusters) {
      NULL
    } else {
      wald(fit, V[[type]], df_inf[[type]])
    }
    if (type != "cluster") {
      wt <- waldtest(fit, vcov = V[[type]], test = "F")
      inf$waldtest_f <- wt$F[2]
    }
    inf$vcov <- unname(V[[type]])
    res$se[[type]] <- inf
  }
  v <- suppressWarnings(vif(fit))
  if (is.matrix(v)) {
    res$vif <- list(term = rownames(v), gvif = unname(v[, 1]), df = unname(v[, 2]),
                    gvif_adj = unname(v[, 3]))
  } else {
    res$vif <- list(term = names(v), gvif = unname(v), df = rep(1, length(v)),
                    gvif_adj = unname(sqrt(v)))
  }
  out$cases[[name]] <- res
}

# simple slopes of E1 by market type (HC3): B2B is the reference level
fit <- lm(as.formula(cases$market_interaction$formula), first)
b <- coef(fit)
V <- vcovHC(fit, type = "HC3")
slopes <- list()
for (lev in levels(first$market_type)) {
  g <- setNames(numeric(length(b)), names(b))
  g["E1"] <- 1
  inter <- paste0("E1:C(market_type)", lev)
  if (inter %in% names(g)) g[inter] <- 1
  est <- sum(g * b)
  se <- sqrt(as.numeric(t(g) %*% V %*% g))
  slopes[[lev]] <- list(slope = est, se = se,
                        pvalue = 2 * pt(-abs(est / se), fit$df.residual))
}
out$simple_slopes_market <- slopes

# continuous moderator: simple slopes at mean +- 1 SD and Johnson-Neyman bounds
fit <- lm(as.formula(cases$continuous_moderation$formula), first)
b <- coef(fit)
inter <- "E1:relational_orientation"
mod <- model.frame(fit)$relational_orientation
jn <- list()
for (type in c("HC3", "classical")) {
  V <- if (type == "HC3") vcovHC(fit, type = "HC3") else vcov(fit)
  s0 <- b[["E1"]]; s1 <- b[[inter]]
  v00 <- V["E1", "E1"]; v01 <- V["E1", inter]; v11 <- V[inter, inter]
  at <- c(mean(mod) - sd(mod), mean(mod), mean(mod) + sd(mod))
  slope <- s0 + s1 * at
  se <- sqrt(v00 + 2 * at * v01 + at^2 * v11)
  t2 <- qt(0.975, fit$df.residual)^2
  qa <- s1^2 - t2 * v11; qb <- 2 * (s0 * s1 - t2 * v01); qc <- s0^2 - t2 * v00
  roots <- sort(Re(polyroot(c(qc, qb, qa))))
  # refine with the closed form (polyroot is accurate to ~1e-10)
  disc <- qb^2 - 4 * qa * qc
  roots <- sort(c((-qb - sqrt(disc)) / (2 * qa), (-qb + sqrt(disc)) / (2 * qa)))
  jn[[type]] <- list(at = at, slope = slope, se = se,
                     pvalue = 2 * pt(-abs(slope / se), fit$df.residual),
                     bounds = roots, a = qa)
}
out$continuous_moderation_probe <- jn

write_json(out, file.path("tests", "reference", "regression.json"), digits = NA,
           auto_unbox = TRUE, pretty = TRUE, na = "null")
