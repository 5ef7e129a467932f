# Reference values for nrel_research.sem.compare_paths, partial_invariance and invariance()
# with MLR / FIML (scaled difference tests).
#
# Run from the repository root:   Rscript tests/reference/sem_group_tests.R
# Writes tests/reference/sem_group_tests.json.
# Oracle: lavaan 0.6.14 on the bundled Holzinger-Swineford data by school:
#   paths_*      an SEM with textual ~ visual and speed ~ textual: free across schools vs
#                held equal (group.equal = "regressions", group.partial for the other path);
#                lavTestLRT (ML: plain difference; MLR: Satorra-Bentler 2001, the default) and
#                lavTestWald of the labelled equality (c(b1, b2) with "b1 == b2").
#   search       partial scalar invariance found by the sequential score-test search that
#                nrel_research.sem.partial_invariance implements: at each step lavTestScore of
#                the current model, the univariate statistics grouped by parameter (a
#                parameter's constraints released together, release = ...), Holm-adjusted
#                p-values, free the parameter with the largest statistic if its adjusted p <
#                .05 (group.partial), refit, repeat.
#   markers      the std.lv = TRUE metric model: lavTestScore of the marker indicators'
#                loading constraints.
#   inv_mlr      the configural/metric/scalar sequence with estimator = "MLR" and with
#                missing = "ml" (HS with missing values, with the complete file's school column
#                attached): fit measures and lavTestLRT, on fits polished with BFGS
#                (reltol 1e-14) from lavaan's default solution, as sem_groups_robust.R does.
suppressPackageStartupMessages({
  library(lavaan)
  library(jsonlite)
})
hs <- read.csv(file.path("nrel_research", "datasets", "holzinger_swineford_1939.csv"))
hs_na <- read.csv(file.path("nrel_research", "datasets", "holzinger_swineford_1939_missing.csv"))
hs_na$school <- hs$school  # x1-x9 only, rows in the order of the complete file
cfa_model <- "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"
sem_model <- paste(cfa_model, "textual ~ visual", "speed ~ textual", sep = "\n")
lab_model <- paste(cfa_model, "textual ~ c(b1, b2)*visual", "speed ~ textual", sep = "\n")
fm_keys <- c("npar", "chisq", "df", "pvalue", "chisq.scaled", "chisq.scaling.factor", "cfi",
             "tli", "rmsea", "srmr", "cfi.robust", "tli.robust", "rmsea.robust", "aic", "bic")
get_fm <- function(f) {
  v <- fitMeasures(f)
  as.list(v[intersect(fm_keys, names(v))])
}
lrt_rows <- function(...) {
  t <- as.data.frame(lavTestLRT(...))
  list(df = t$Df, chisq = t$Chisq, chisq_diff = t[["Chisq diff"]], df_diff = t[["Df diff"]],
       pvalue_diff = t[["Pr(>Chisq)"]])
}
out <- list(meta = list(R = paste(R.version$major, R.version$minor, sep = "."),
                        lavaan = as.character(packageVersion("lavaan")),
                        script = "tests/reference/sem_group_tests.R"))
for (est in c("ML", "MLR")) {
  free <- sem(sem_model, hs, group = "school", estimator = est,
              group.equal = c("loadings", "intercepts"))
  eq <- sem(sem_model, hs, group = "school", estimator = est,
            group.equal = c("loadings", "intercepts", "regressions"),
            group.partial = "speed~textual")
  both <- sem(sem_model, hs, group = "school", estimator = est,
              group.equal = c("loadings", "intercepts", "regressions"))
  lab <- sem(lab_model, hs, group = "school", estimator = est,
             group.equal = c("loadings", "intercepts"))
  w <- lavTestWald(lab, constraints = "b1 == b2")
  out[[paste0("paths_", est)]] <- list(
    estimator = est, model = sem_model, group_equal = c("loadings", "intercepts"),
    one = lrt_rows(free, eq), two = lrt_rows(free, both),
    wald = list(stat = w$stat, df = w$df, p_value = w$p.value),
    fit_free = get_fm(free)
  )
}

# sequential score-test search for partial scalar invariance
search <- function(model, data, group, ge, alpha = 0.05) {
  partial <- character(0)
  steps <- list()
  repeat {
    f <- cfa(model, data, group = group, group.equal = ge, group.partial = partial)
    pt <- parTable(f)
    con <- pt[pt$op == "==", ]
    name_of <- function(pl) {
      r <- pt[pt$plabel == pl, ]
      paste0(r$lhs, r$op, ifelse(r$op == "~1", "", r$rhs))
    }
    pars <- vapply(con$lhs, name_of, "")
    ups <- unique(pars)
    stat <- dfs <- p <- numeric(length(ups))
    for (k in seq_along(ups)) {
      idx <- which(pars == ups[k])
      t <- lavTestScore(f, release = idx)$test
      stat[k] <- t$X2; dfs[k] <- t$df; p[k] <- t$p.value
    }
    padj <- p.adjust(p, "holm")
    best <- which.max(stat)
    steps[[length(steps) + 1]] <- list(
      parameters = ups, x2 = stat, df = dfs, p_value = p, p_adjusted = padj,
      chisq = fitMeasures(f, "chisq")[[1]], dof = fitMeasures(f, "df")[[1]],
      freed = if (padj[best] < alpha) ups[best] else NULL
    )
    if (padj[best] >= alpha) break
    partial <- c(partial, ups[best])
  }
  list(group_equal = ge, steps = steps, final_partial = partial)
}
out$search_scalar <- search(cfa_model, hs, "school", c("loadings", "intercepts"))
out$search_metric <- search(cfa_model, hs, "school", "loadings")

# markers: std.lv metric model, score tests of the first indicators' loading constraints
f_std <- cfa(cfa_model, hs, group = "school", group.equal = "loadings", std.lv = TRUE)
pt <- parTable(f_std)
con <- pt[pt$op == "==", ]
nm <- vapply(con$lhs, function(pl) {
  r <- pt[pt$plabel == pl, ]; paste0(r$lhs, r$op, r$rhs)
}, "")
uni <- lavTestScore(f_std)$uni
out$markers <- list(parameters = unname(nm), x2 = uni$X2, p_value = uni$p.value)

for (case in c("MLR", "FIML")) {
  dat <- if (case == "FIML") hs_na else hs
  miss <- if (case == "FIML") "ml" else "listwise"
  fits <- lapply(list(configural = "", metric = "loadings",
                      scalar = c("loadings", "intercepts")), function(ge) {
    f0 <- cfa(cfa_model, data = dat, group = "school", group.equal = ge, estimator = "MLR",
              missing = miss)
    # polished as in sem_groups_robust.R: lavaan's default nlminb stops ~1e-5 from the
    # optimum, which moves the scaled statistics by up to ~1e-3; refit from its estimates
    cfa(cfa_model, data = dat, group = "school", group.equal = ge, estimator = "MLR",
        missing = miss, start = f0, optim.method = "BFGS",
        control = list(reltol = 1e-14, maxit = 10000))
  })
  sc <- lavTestScore(fits$scalar)
  out[[paste0("inv_", case)]] <- list(
    fit = lapply(fits, get_fm),
    score_scalar = list(total = sc$test$X2, x2 = sc$uni$X2, lhs = sc$uni$lhs,
                        rhs = sc$uni$rhs),
    lrt_metric = lrt_rows(fits$configural, fits$metric),
    lrt_scalar = lrt_rows(fits$metric, fits$scalar)
  )
}
writeLines(toJSON(out, digits = NA, na = "null", auto_unbox = TRUE, pretty = TRUE, null = "null"),
           file.path("tests", "reference", "sem_group_tests.json"))
