# Reference values for nrel_research.analysis.posts.engagement_model (NB2 count regression).
#
# Run from the repository root:   Rscript tests/reference/posts_nb.R
# Writes tests/reference/posts_nb.json (seconds).
# Oracle: MASS::glm.nb (ML estimate of theta by alternating IRLS for beta and theta.ml for
# theta, here to a tight tolerance: glm.control(epsilon = 1e-12, maxit = 100)), model-based
# SEs from summary() (expected information of beta at theta-hat, dispersion 1; SE of theta
# from MASS's observed information of theta), logLik/AIC (df = rank + 1), a Poisson GLM
# for the LR test of alpha = 0 (boundary: p = P(chi2_1 > LR) / 2), and sandwich::vcovCL(fit,
# cluster = ~firm_id, type = "HC1") - the CR1 cluster-robust covariance with the small-sample
# factor G/(G-1) * (n-1)/(n-k) (cadjust = TRUE; k = number of coefficients, theta held fixed),
# and the joint Wald test of the action-type coefficients with either covariance matrix.
# Data: the committed CSV files the Python tests read (the bundled simulated study's posts and
# the coding layer's illustrative posts), so both sides see identical numbers.
suppressPackageStartupMessages({
  library(MASS)
  library(sandwich)
  library(jsonlite)
})

tidy_names <- function(x) {
  x <- sub("^\\(Intercept\\)$", "intercept", x)
  x <- sub("^(action|intended_code|platform|format)(.+)$", "\\1_\\2", x)
  x <- sub("^paidTRUE$", "paid", x)
  x
}

# joint Wald test that every action-type coefficient is zero: b' V^-1 b, chi-square(q)
wald <- function(b, V, idx) {
  w <- as.numeric(t(b[idx]) %*% solve(V[idx, idx], b[idx]))
  list(statistic = w, df = length(idx), pvalue = pchisq(w, length(idx), lower.tail = FALSE))
}

fit_case <- function(data, formula, outcome, action) {
  f <- as.formula(paste(outcome, "~", formula))
  fit <- glm.nb(f, data = data, control = glm.control(epsilon = 1e-12, maxit = 100))
  pois <- glm(f, data = data, family = poisson(), control = glm.control(epsilon = 1e-12))
  s <- coef(summary(fit))
  vc <- vcovCL(fit, cluster = ~firm_id, type = "HC1")
  lr <- 2 * (as.numeric(logLik(fit)) - as.numeric(logLik(pois)))
  idx <- grep(paste0("^", action), names(coef(fit)))
  list(
    outcome = outcome,
    terms = tidy_names(rownames(s)),
    estimate = unname(s[, 1]),
    se = unname(s[, 2]),
    z = unname(s[, 3]),
    pvalue = unname(s[, 4]),
    se_cluster = unname(sqrt(diag(vc))),
    vcov_cluster = unname(vc),
    theta = fit$theta,
    theta_se = fit$SE.theta,
    loglik = as.numeric(logLik(fit)),
    df_loglik = attr(logLik(fit), "df"),
    aic = AIC(fit),
    bic = BIC(fit),
    loglik_poisson = as.numeric(logLik(pois)),
    lr_overdispersion = lr,
    p_overdispersion = 0.5 * pchisq(lr, df = 1, lower.tail = FALSE),
    wald_action_cluster = wald(coef(fit), vc, idx),
    wald_action_model = wald(coef(fit), vcov(fit), idx),
    n_posts = nobs(fit),
    n_firms = length(unique(data$firm_id[as.integer(rownames(model.frame(fit)))])),
    converged = fit$converged,
    iter = fit$iter
  )
}

out <- list(
  versions = list(
    R = R.version.string,
    MASS = as.character(packageVersion("MASS")),
    sandwich = as.character(packageVersion("sandwich"))
  ),
  cases = list()
)

# 1. the bundled simulated study: action (reference R1), platform (reference fb, the first
#    level in alphabetical order), log followers as a covariate
posts <- read.csv(file.path("data", "simulated", "posts.csv"), stringsAsFactors = FALSE)
posts$action <- relevel(factor(posts$action), ref = "R1")
posts$platform <- factor(posts$platform)
posts$log_followers <- log(posts$followers)
for (y in c("likes", "comments", "shares")) {
  out$cases[[paste0("simulated_", y)]] <- c(
    list(data = "data/simulated/posts.csv", action = "action", reference = "R1",
         covariates = list("log_followers"), references = list(platform = "fb")),
    fit_case(posts, "action + platform + log_followers", y, "action")
  )
}

# 2. the illustrative coded posts of the coding layer: intended code (reference R1), platform,
#    log followers, format (reference text, not the alphabetical first) and paid (logical)
ill <- read.csv(file.path("nrel_research", "coding", "data", "illustrative_posts.csv"),
                stringsAsFactors = FALSE)
ill$intended_code <- relevel(factor(ill$intended_code), ref = "R1")
ill$platform <- factor(ill$platform)
ill$format <- relevel(factor(ill$format), ref = "text")
ill$paid <- as.logical(ill$paid)
ill$log_followers <- log(ill$followers)
out$cases[["illustrative_likes"]] <- c(
  list(data = "nrel_research/coding/data/illustrative_posts.csv", action = "intended_code",
       reference = "R1", covariates = list("log_followers", "format", "paid"),
       references = list(platform = "facebook", format = "text")),
  fit_case(ill, "intended_code + platform + log_followers + format + paid", "likes",
           "intended_code")
)

write_json(out, file.path("tests", "reference", "posts_nb.json"), digits = NA,
           auto_unbox = TRUE, pretty = TRUE, na = "null")
