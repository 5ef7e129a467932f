# Oracle for the ordinal reliability and validity of nrel_research.sem (issue 9):
# ordinal alpha, categorical omega and AVE of WLSMV fits (semTools), HTMT on polychoric
# correlations (semTools htmt with ordered =).
#
# Run from the repository root:  Rscript tests/reference/ordinal_validity.R
# Writes tests/reference/ordinal_validity.json. Needs lavaan 0.6-14, semTools 0.5-6,
# psych 2.2.9 and jsonlite. Seconds.
#
# Cases (every item declared ordered, estimator = "WLSMV", lavaan's defaults otherwise):
#   hs        the bundled HS data cut at quintiles (holzinger_swineford_1939_ordinal.csv),
#             3-factor CFA, delta parameterization (lavaan's default);
#   hs_theta  the same with parameterization = "theta" (scales != 1: checks their use);
#   skewed    tests/reference/data/ordinal_skewed.csv pooled over its two groups,
#             f1 =~ y1-y4, f2 =~ y5-y8 (6-point right-skewed items);
#   study     the bundled simulated N-REL study (data/simulated/responses.csv): consenting key
#             informants (consent == 1, second_informant == 0), R1 =~ r1_1-r1_3 and
#             E6 =~ e6_1-e6_3 (7-point items, none reverse-keyed), complete rows only.
#
# What each number is (semTools 0.5-6 defaults named explicitly):
#   omega         compRelSEM(fit)  -- obs.var = TRUE, tau.eq = FALSE, ord.scale = TRUE:
#                 categorical omega of Green & Yang (2009) via semTools:::omegaCat, from the
#                 model's thresholds (lavInspect(fit, "est")$tau), scales (est$delta), the
#                 implied common covariance Lambda Phi Lambda' and, as the denominator, the
#                 sample polychoric correlations (lavInspect(fit, "sampstat")$cov);
#   omega_latent  compRelSEM(fit, ord.scale = FALSE): omega on the latent-response scale;
#   alpha_ordinal compRelSEM(fit, tau.eq = TRUE, ord.scale = FALSE): Cronbach's alpha of the
#                 polychoric correlation matrix = ordinal alpha (Zumbo, Gadermann & Zeisser,
#                 2007); also psych::alpha() of lavCor(ordered = ...)'s matrix (psych_alpha);
#   ave           AVE(fit) (obs.var = TRUE; polychoric diagonal rescaled by the scales);
#   htmt, htmt2   htmt(model, data, ordered = items, htmt2 = FALSE / TRUE) -- lavCor's
#                 two-step polychoric correlations (missing = "listwise").
# lavaan's inputs (lambda, cov.lv, thresholds, scales, polychoric matrix) are stored so the
# moment-level Python functions can be checked independently of the estimator.
suppressPackageStartupMessages({
  library(lavaan)
  library(semTools)
  library(psych)
  library(jsonlite)
})

mat <- function(m) unname(lapply(seq_len(nrow(m)), function(i) as.numeric(m[i, ])))

one_case <- function(model, data, items, ...) {
  data <- data[, items]
  fit <- cfa(model, data = data, ordered = items, estimator = "WLSMV", ...)
  est <- lavInspect(fit, "est")
  pc <- lavCor(data, ordered = items, output = "cor")
  blocks <- lapply(split(parTable(fit)[parTable(fit)$op == "=~", ], ~lhs), function(d) d$rhs)
  blocks <- blocks[unique(parTable(fit)$lhs[parTable(fit)$op == "=~"])]
  psych_alpha <- lapply(blocks, function(v) {
    suppressWarnings(psych::alpha(pc[v, v])$total$raw_alpha)
  })
  tau <- est$tau[, "threshold"]
  list(
    model = model,
    items = items,
    n = lavInspect(fit, "nobs"),
    converged = lavInspect(fit, "converged"),
    blocks = blocks,
    lambda = mat(est$lambda),
    lambda_rownames = rownames(est$lambda),
    lambda_colnames = colnames(est$lambda),
    cov_lv = mat(lavInspect(fit, "cov.lv")),
    thresholds = as.list(tau),
    threshold_names = names(tau),
    scales = as.numeric(est$delta[, "scales"]),
    sampstat_cov = mat(lavInspect(fit, "sampstat")$cov),
    lavcor = mat(pc),
    omega = as.list(compRelSEM(fit)),
    omega_latent = as.list(compRelSEM(fit, ord.scale = FALSE)),
    alpha_ordinal = as.list(compRelSEM(fit, tau.eq = TRUE, ord.scale = FALSE)),
    psych_alpha = psych_alpha,
    ave = as.list(AVE(fit)),
    htmt = mat(htmt(model, data, ordered = items, htmt2 = FALSE)),
    htmt2 = mat(htmt(model, data, ordered = items, htmt2 = TRUE))
  )
}

hs <- read.csv("nrel_research/datasets/holzinger_swineford_1939_ordinal.csv")
hs_model <- "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"
hs_items <- paste0("x", 1:9)

sk <- read.csv("tests/reference/data/ordinal_skewed.csv")
sk_model <- "f1 =~ y1 + y2 + y3 + y4\nf2 =~ y5 + y6 + y7 + y8"

st <- read.csv("data/simulated/responses.csv")
st <- st[st$consent == 1 & st$second_informant == 0, ]
st_items <- c("r1_1", "r1_2", "r1_3", "e6_1", "e6_2", "e6_3")
st <- st[complete.cases(st[, st_items]), ]
st_model <- "R1 =~ r1_1 + r1_2 + r1_3\nE6 =~ e6_1 + e6_2 + e6_3"

ref <- list(
  versions = list(
    R = R.version.string,
    lavaan = as.character(packageVersion("lavaan")),
    semTools = as.character(packageVersion("semTools")),
    psych = as.character(packageVersion("psych")),
    mnormt = as.character(packageVersion("mnormt")),
    jsonlite = as.character(packageVersion("jsonlite"))
  ),
  cases = list(
    hs = one_case(hs_model, hs, hs_items),
    hs_theta = one_case(hs_model, hs, hs_items, parameterization = "theta"),
    skewed = one_case(sk_model, sk, paste0("y", 1:8)),
    study = one_case(st_model, st, st_items)
  )
)
write_json(ref, "tests/reference/ordinal_validity.json", digits = NA, auto_unbox = TRUE,
           pretty = TRUE)
