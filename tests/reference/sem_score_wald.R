# Reference values for nrel_research.sem.score_test / wald_test (lavTestScore / lavTestWald).
#
# Run from the repository root:   Rscript tests/reference/sem_score_wald.R
# Writes tests/reference/sem_score_wald.json.
# Oracle: lavaan 0.6.14 lavTestScore(fit, univariate = TRUE, cumulative = TRUE, epc = TRUE)
# (information = "expected", the default) and lavTestWald(fit, constraints) on the bundled
# Holzinger-Swineford data (nrel_research/datasets/holzinger_swineford_1939.csv), with lavaan's
# defaults otherwise (estimator = "ML", likelihood = "normal", group order = first appearance).
suppressPackageStartupMessages({
  library(lavaan)
  library(jsonlite)
})

hs <- read.csv(file.path("nrel_research", "datasets", "holzinger_swineford_1939.csv"))

configural <- "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"
# scalar invariance written with group-specific shared labels (equal labels = equality)
labelled <- paste(
  "visual =~ x1 + c(l2,l2)*x2 + c(l3,l3)*x3",
  "textual =~ x4 + c(l5,l5)*x5 + c(l6,l6)*x6",
  "speed =~ x7 + c(l8,l8)*x8 + c(l9,l9)*x9",
  paste0("x", 1:9, " ~ c(i", 1:9, ",i", 1:9, ")*1", collapse = "\n"),
  "visual ~ c(0,NA)*1\ntextual ~ c(0,NA)*1\nspeed ~ c(0,NA)*1",
  sep = "\n"
)
single <- "visual =~ x1 + a*x2 + b*x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9\na == b"

score_out <- function(f) {
  s <- lavTestScore(f, univariate = TRUE, cumulative = TRUE, epc = TRUE, warn = FALSE)
  uni <- as.data.frame(s$uni)
  uni$constraint <- as.integer(rownames(s$uni))
  cum <- as.data.frame(s$cumulative)
  cum$constraint <- as.integer(rownames(s$cumulative))
  epc <- as.data.frame(s$epc)
  if (is.null(epc$label)) epc$label <- ""
  if (is.null(epc$group)) epc$group <- 1L
  epc <- epc[, c("lhs", "op", "rhs", "group", "label", "plabel", "free", "est", "epc", "epv",
                 "sepc.lv", "sepc.all", "sepc.nox")]
  names(epc) <- gsub(".", "_", names(epc), fixed = TRUE)
  names(uni) <- gsub(".", "_", names(uni), fixed = TRUE)
  names(cum) <- gsub(".", "_", names(cum), fixed = TRUE)
  list(
    test = list(stat = s$test$X2, df = s$test$df, pvalue = s$test$p.value),
    uni = uni,
    cumulative = cum,
    epc = epc
  )
}

out <- list(
  versions = list(R = R.version.string, lavaan = as.character(packageVersion("lavaan"))),
  score = list(),
  wald = list()
)

# (a) multi-group, loadings and intercepts equal through shared labels
f <- cfa(labelled, data = hs, group = "school")
out$score$mg_labels <- c(list(syntax = labelled, group = "school", group_equal = list(),
                              estimator = "ML", missing = "listwise"), score_out(f))
# (a') releasing constraints 1 and 3 (lavaan's numbering)
s <- lavTestScore(f, release = c(1, 3), warn = FALSE)
out$score$mg_labels$release_1_3 <- list(
  release = c(1L, 3L),
  test = list(stat = s$test$X2, df = s$test$df, pvalue = s$test$p.value),
  uni = as.data.frame(s$uni)
)

# (b) the same model through group.equal
f <- cfa(configural, data = hs, group = "school", group.equal = c("loadings", "intercepts"))
out$score$mg_group_equal <- c(list(syntax = configural, group = "school",
                                   group_equal = c("loadings", "intercepts"),
                                   estimator = "ML", missing = "listwise"), score_out(f))

# (c) single group with a == b
f <- cfa(single, data = hs)
out$score$single <- c(list(syntax = single, group = NULL, group_equal = list(),
                           estimator = "ML", missing = "listwise"), score_out(f))
# (c') MLR: lavaan falls back to the ordinary (expected-information) score test
f <- cfa(single, data = hs, estimator = "MLR")
out$score$single_mlr <- c(list(syntax = single, group = NULL, group_equal = list(),
                               estimator = "MLR", missing = "listwise"), score_out(f))

# (d) FIML on the bundled HS data with values missing (lavaan's default information =
# "expected" for the score test: the expected FIML information at the implied moments)
hs_miss <- read.csv(file.path("nrel_research", "datasets", "holzinger_swineford_1939_missing.csv"))
f <- cfa(single, data = hs_miss, missing = "ml")
out$score$single_fiml <- c(list(syntax = single, group = NULL, group_equal = list(),
                                estimator = "ML", missing = "fiml"), score_out(f))
f <- cfa(single, data = hs_miss, missing = "ml", estimator = "MLR")
out$score$single_fiml_mlr <- c(list(syntax = single, group = NULL, group_equal = list(),
                                    estimator = "MLR", missing = "fiml"), score_out(f))

# Wald tests
structural <- paste(
  "visual =~ x1 + c(a1,a2)*x2 + c(a3,a4)*x3",
  "textual =~ x4 + x5 + x6",
  "speed =~ x7 + x8 + x9",
  "textual ~ c(b1,b2)*visual",
  "speed ~ c(c1,c2)*visual",
  sep = "\n"
)
wald_cases <- list(
  mg_ml = list(syntax = structural, group = "school", estimator = "ML",
               constraints = c("b1 == b2", "b1 == b2; c1 == c2",
                               "a1 == a2\na3 == a4\nb1 == b2", "b1 - b2 == 0",
                               "b1 == 0.5", "2*b1 - c1 == 0.3")),
  single_ml = list(syntax = "visual =~ x1 + a*x2 + b*x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9\ntextual ~ p*visual\nspeed ~ q*visual",
                   group = NULL, estimator = "ML",
                   constraints = c("a == b", "p == q", "a == b; p == q", "a == 1")),
  single_fiml_mlr = list(syntax = "visual =~ x1 + a*x2 + b*x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9\ntextual ~ p*visual\nspeed ~ q*visual",
                         group = NULL, estimator = "MLR", missing = "fiml",
                         constraints = c("a == b", "a == b; p == q")),
  single_mlr = list(syntax = "visual =~ x1 + a*x2 + b*x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9\ntextual ~ p*visual\nspeed ~ q*visual",
                    group = NULL, estimator = "MLR",
                    constraints = c("a == b", "p == q", "a == b; p == q", "a == 1"))
)
for (name in names(wald_cases)) {
  w <- wald_cases[[name]]
  if (!is.null(w$missing)) {
    f <- sem(w$syntax, data = hs_miss, estimator = w$estimator, missing = "ml")
  } else if (is.null(w$group)) {
    f <- sem(w$syntax, data = hs, estimator = w$estimator)
  } else {
    f <- sem(w$syntax, data = hs, group = w$group, estimator = w$estimator)
  }
  res <- lapply(w$constraints, function(con) {
    t <- lavTestWald(f, constraints = con)
    list(constraints = con, stat = t$stat, df = t$df, pvalue = t$p.value, se = t$se)
  })
  out$wald[[name]] <- list(syntax = w$syntax, group = w$group, estimator = w$estimator,
                           missing = if (is.null(w$missing)) "listwise" else "fiml",
                           tests = res)
}

write_json(out, file.path("tests", "reference", "sem_score_wald.json"), digits = NA,
           auto_unbox = TRUE, pretty = TRUE, na = "null", null = "null")
