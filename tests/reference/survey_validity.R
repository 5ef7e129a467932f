# Oracle for nrel_research.analysis.validity (survey-validity checks, issue 8 part 5).
#
# Run from the repository root:  Rscript tests/reference/survey_validity.R
# Writes tests/reference/survey_validity.json. Needs lavaan 0.6-14, psych 2.2.9, jsonlite
# (Debian bookworm: r-cran-lavaan r-cran-psych r-cran-jsonlite). Takes a few seconds.
#
# Data: the bundled simulated study, data/simulated/responses.csv, read directly.
# Row selection (the same in tests/test_analysis_validity.py): respondents who consented
# (consent == 1) and key informants only (second_informant == 0); then listwise deletion on
# the variables of each analysis. Reverse keying: mo_6 is the only reverse-keyed item (item
# bank flag `reverse: true`) among the items used here; on its 7-point scale it is recoded
# x -> 8 - x (the test checks this list against the item bank).
# A second input, tests/reference/data/ulmc_sim.csv (continuous indicators drawn with
# nrel_research.data.simulate_study, seed and call documented in the test), a second input
# for the unmeasured latent method construct.
#
# Defaults that change numbers, named explicitly: every marker-technique model is fitted with
# cfa(..., std.lv = TRUE) (all factor variances fixed at 1), ML, listwise; fixed values are
# written with sprintf("%.12f"); chi-square differences are lavTestLRT() (method "default")
# on ML fits (the plain difference).
suppressPackageStartupMessages({
  library(lavaan)
  library(psych)
  library(jsonlite)
})

raw <- read.csv("data/simulated/responses.csv")
d <- raw[raw$consent %in% 1 & raw$second_informant %in% 0, ]
reverse_keyed <- c("mo_6")
d$mo_6 <- 8 - d$mo_6

factors <- list(
  market_orientation = paste0("mo_", 1:6),
  E1 = paste0("e1_", 1:3),
  E6 = paste0("e6_", 1:3),
  customer_relationship_performance = paste0("crp_", 1:4),
  marketing_performance = paste0("mp_", 1:6)
)
marker <- c("mk_1", "mk_2", "mk_3")
items <- unname(unlist(factors))
fmt <- function(v) sprintf("%.12f", v)
meas <- paste(names(factors), "=~", sapply(factors, paste, collapse = " + "), collapse = "\n")

fit_row <- function(f) {
  fm <- fitMeasures(f, c("chisq", "df", "pvalue", "cfi", "tli", "rmsea", "srmr", "aic", "bic",
                         "npar"))
  as.list(fm)
}
lrt <- function(restricted, general) {
  a <- lavTestLRT(general, restricted)  # ML fits: the plain chi-square difference
  list(delta_chisq = a[["Chisq diff"]][2], delta_df = a[["Df diff"]][2],
       delta_pvalue = a[["Pr(>Chisq)"]][2])
}
pe_val <- function(pe, lhs, op, rhs, col = "est") {
  v <- pe[pe$lhs == lhs & pe$op == op & pe$rhs == rhs, col]
  if (length(v) == 0) v <- pe[pe$lhs == rhs & pe$op == op & pe$rhs == lhs, col]
  v
}

# ---- CFA marker technique (Williams, Hartman & Cavazotte, 2010) ---------------------------
marker_sequence <- function(x, missing) {
syn <- list()
syn$CFA <- paste0(meas, "\nmarker =~ ", paste(marker, collapse = " + "), "\n")
fits <- list()
fits$CFA <- cfa(syn$CFA, data = x, std.lv = TRUE, missing = missing)
pe <- parameterEstimates(fits$CFA)
load <- sapply(marker, function(m) pe_val(pe, "marker", "=~", m))
ev <- sapply(marker, function(m) pe_val(pe, m, "~~", m))
syn$Baseline <- paste0(
  meas, "\nmarker =~ ", paste0(fmt(load), "*", marker, collapse = " + "), "\n",
  paste0(marker, " ~~ ", fmt(ev), "*", marker, collapse = "\n"), "\n",
  paste0("marker ~~ 0*", names(factors), collapse = "\n"), "\n"
)
fits$Baseline <- cfa(syn$Baseline, data = x, std.lv = TRUE, missing = missing)
syn[["Method-C"]] <- paste0(syn$Baseline, "marker =~ ", paste0("mthd*", items, collapse = " + "),
                            "\n")
syn[["Method-U"]] <- paste0(syn$Baseline, "marker =~ ", paste(items, collapse = " + "), "\n")
fits[["Method-C"]] <- cfa(syn[["Method-C"]], data = x, std.lv = TRUE, missing = missing)
fits[["Method-U"]] <- cfa(syn[["Method-U"]], data = x, std.lv = TRUE, missing = missing)
t_bc <- lrt(fits$Baseline, fits[["Method-C"]])
t_cu <- lrt(fits[["Method-C"]], fits[["Method-U"]])
chosen <- if (t_cu$delta_pvalue < 0.05) "Method-U" else "Method-C"
pb <- parameterEstimates(fits$Baseline)
fn <- names(factors)
pairs <- list()
for (i in seq_along(fn)) for (j in seq_along(fn)) if (i < j) pairs[[length(pairs) + 1]] <- c(fn[i], fn[j])
base_cor <- sapply(pairs, function(p) pe_val(pb, p[1], "~~", p[2]))
syn[["Method-R"]] <- paste0(
  syn[[chosen]],
  paste(sapply(seq_along(pairs), function(k)
    sprintf("%s ~~ %s*%s", pairs[[k]][1], fmt(base_cor[k]), pairs[[k]][2])), collapse = "\n"),
  "\n"
)
fits[["Method-R"]] <- cfa(syn[["Method-R"]], data = x, std.lv = TRUE, missing = missing)
t_r <- lrt(fits[["Method-R"]], fits[[chosen]])
std_method <- function(f) {
  s <- standardizedSolution(f)
  p <- parameterEstimates(f)
  data.frame(
    indicator = items,
    est = sapply(items, function(i) pe_val(p, "marker", "=~", i)),
    std_all = sapply(items, function(i) pe_val(s, "marker", "=~", i, "est.std")),
    substantive_std = unname(unlist(lapply(fn, function(f0) sapply(factors[[f0]], function(i)
      pe_val(s, f0, "=~", i, "est.std"))))),
    error_std = sapply(items, function(i) pe_val(s, i, "~~", i, "est.std"))
  )
}
pm <- parameterEstimates(fits[[chosen]])
list(
  nobs = lavInspect(fits$CFA, "nobs"),
  missing = missing,
  reverse_keyed = I(reverse_keyed),
  factors = factors,
  marker = marker,
  syntax = syn,
  fit = lapply(fits, fit_row),
  tests = list(`Method-C` = t_bc, `Method-U` = t_cu, `Method-R` = t_r),
  chosen = chosen,
  marker_loadings = as.list(load),
  marker_error_variances = as.list(ev),
  marker_cfa_correlations = as.list(sapply(names(factors), function(f)
    pe_val(pe, "marker", "~~", f))),
  baseline_correlations = lapply(seq_along(pairs), function(k)
    list(lhs = pairs[[k]][1], rhs = pairs[[k]][2], baseline = base_cor[k],
         method = pe_val(pm, pairs[[k]][1], "~~", pairs[[k]][2]))),
  method_c = std_method(fits[["Method-C"]]),
  method_u = std_method(fits[["Method-U"]])
)
}
x <- d[complete.cases(d[, c(items, marker)]), c(items, marker)]
marker_ref <- marker_sequence(x, "listwise")
# FIML (lavaan missing = "ml"): every consenting key informant; rows without any observed
# model variable are dropped by lavaan (and by the package)
marker_fiml <- marker_sequence(d[, c(items, marker)], "ml")
fn <- names(factors)

# ---- Harman's single factor (legacy): PCA of the correlation matrix ----------------------
h <- d[complete.cases(d[, items]), items]
pc <- psych::principal(h, nfactors = 1, rotate = "none")
ev_h <- eigen(cor(h), only.values = TRUE)$values
one <- cfa(paste("common =~", paste(items, collapse = " + ")), data = h, std.lv = TRUE)
harman_ref <- list(
  n = nrow(h),
  psych_first_eigenvalue = pc$values[1],
  eigen_first = ev_h[1],
  first_share = ev_h[1] / length(items),
  n_eigen_above_1 = sum(ev_h > 1),
  cfa = fit_row(one)
)

# ---- Unmeasured latent method construct ---------------------------------------------------
# (a) the structural model of the bundled study (build_model(antecedents=
#     ["market_orientation"], actions=["E1", "E6"], outcomes=[crp, mp])), equal loadings:
#     method loadings fixed at 1, method variance free.
structural <- paste0(meas, "\n",
  "E1 ~ market_orientation\nE6 ~ market_orientation\n",
  "marketing_performance ~ E1 + E6\ncustomer_relationship_performance ~ E1 + E6\n")
u <- d[complete.cases(d[, items]), items]
ulmc_eq <- paste0(structural, "method =~ ", paste0("1*", items, collapse = " + "), "\n",
                  "method ~~ method\n", paste0("method ~~ 0*", fn, collapse = "\n"), "\n")
f0 <- sem(structural, data = u)
f1 <- sem(ulmc_eq, data = u)
p1 <- parameterEstimates(f1)
ulmc_bundled <- list(
  nobs = nrow(u), syntax = structural, fit_without = fit_row(f0), fit_with = fit_row(f1),
  method_variance = pe_val(p1, "method", "~~", "method"),
  regressions = lapply(which(p1$op == "~"), function(k)
    list(lhs = p1$lhs[k], rhs = p1$rhs[k], est = p1$est[k]))
)
# (b) simulated continuous indicators (tests/reference/data/ulmc_sim.csv), equal loadings.
#     (Free loadings are empirically under-identified on these data in lavaan as in the
#     package -- information matrix not invertible -- so they are not an oracle.)
sim <- read.csv("tests/reference/data/ulmc_sim.csv")
sim_factors <- list(E2 = paste0("e2_", 1:3), E3 = paste0("e3_", 1:3), E6 = paste0("e6_", 1:3),
                    customer_relationship_performance = paste0("crp_", 1:4))
sim_items <- unname(unlist(sim_factors))
sim_meas <- paste(names(sim_factors), "=~", sapply(sim_factors, paste, collapse = " + "),
                  collapse = "\n")
sim_struct <- paste0(sim_meas, "\ncustomer_relationship_performance ~ E2 + E3 + E6\n")
orth <- paste0("method ~~ 0*", names(sim_factors), collapse = "\n")
s_eq <- paste0(sim_struct, "method =~ ", paste0("1*", sim_items, collapse = " + "),
               "\nmethod ~~ method\n", orth, "\n")
g0 <- sem(sim_struct, data = sim)
g_eq <- sem(s_eq, data = sim)
method_std <- function(f) {
  s <- standardizedSolution(f)
  sapply(sim_items, function(i) pe_val(s, "method", "=~", i, "est.std"))
}
ulmc_sim <- list(
  nobs = nrow(sim), syntax = sim_struct,
  fit_without = fit_row(g0), fit_equal = fit_row(g_eq),
  method_variance_equal = pe_val(parameterEstimates(g_eq), "method", "~~", "method"),
  method_std_equal = as.list(method_std(g_eq))
)

# ---- Scores (item means of the answered items) for the nonresponse and copula checks ----
mean_of <- function(cols) rowMeans(d[, cols], na.rm = TRUE)
sc <- data.frame(
  market_orientation = mean_of(paste0("mo_", 1:6)),
  E1 = mean_of(paste0("e1_", 1:3)),
  customer_relationship_performance = mean_of(paste0("crp_", 1:4)),
  marketing_performance = mean_of(paste0("mp_", 1:6)),
  R2 = mean_of(paste0("r2_", 1:3)),
  E4 = mean_of(paste0("e4_", 1:3)),
  social_media_performance = mean_of(paste0("smp_", 1:4)),
  employees = d$employees, wave = d$wave, sector = d$sector, market_type = d$market_type
)
sc[is.na(sc)] <- NA  # NaN (no item answered) -> NA

# ---- Nonresponse: wave 1 (early) vs wave 3 (late) ----------------------------------------
early <- sc$wave == 1
late <- sc$wave == 3
hedges <- function(a, b) {  # pingouin.compute_effsize(a, b, eftype = "hedges")
  a <- a[!is.na(a)]; b <- b[!is.na(b)]
  na <- length(a); nb <- length(b)
  sp <- sqrt(((na - 1) * var(a) + (nb - 1) * var(b)) / (na + nb - 2))
  (mean(a) - mean(b)) / sp * (1 - 3 / (4 * (na + nb) - 9))
}
nr <- list()
for (v in c("market_orientation", "E1", "customer_relationship_performance", "employees")) {
  tt <- t.test(sc[late, v], sc[early, v], var.equal = FALSE)
  nr[[length(nr) + 1]] <- list(variable = v, test = "welch_t", statistic = unname(tt$statistic),
                               df = unname(tt$parameter), p_value = tt$p.value,
                               effect_size = hedges(sc[late, v], sc[early, v]))
}
for (v in c("sector", "market_type")) {
  sel <- early | late
  ct <- chisq.test(table(ifelse(early[sel], "early", "late"), sc[sel, v]), correct = FALSE)
  nr[[length(nr) + 1]] <- list(variable = v, test = "chi2", statistic = unname(ct$statistic),
                               df = unname(ct$parameter), p_value = ct$p.value)
}
p_holm <- p.adjust(sapply(nr, function(r) r$p_value), method = "holm")
for (k in seq_along(nr)) nr[[k]]$p_adjusted <- p_holm[k]

# ---- Gaussian copula control function (Park & Gupta, 2012) -------------------------------
cv <- c("marketing_performance", "R2", "E4", "customer_relationship_performance",
        "social_media_performance")
cd <- sc[complete.cases(sc[, cv]), cv]
n <- nrow(cd)
cd$copula_R2 <- qnorm(ecdf(cd$R2)(cd$R2) * n / (n + 1))
m0 <- lm(marketing_performance ~ R2 + E4 + customer_relationship_performance +
           social_media_performance, data = cd)
m1 <- lm(marketing_performance ~ R2 + E4 + customer_relationship_performance +
           social_media_performance + copula_R2, data = cd)
cvm_normal <- function(x) {  # transcription of nortest::cvm.test (nortest not installed)
  x <- sort(x); n <- length(x)
  p <- pnorm((x - mean(x)) / sd(x))
  W <- 1 / (12 * n) + sum((p - (2 * seq_len(n) - 1) / (2 * n))^2)
  WW <- (1 + 0.5 / n) * W
  pval <- if (WW < 0.0275) 1 - exp(-13.953 + 775.5 * WW - 12542.61 * WW^2)
    else if (WW < 0.051) 1 - exp(-5.903 + 179.546 * WW - 1515.29 * WW^2)
    else if (WW < 0.092) exp(0.886 - 31.62 * WW + 10.897 * WW^2)
    else if (WW < 1.1) exp(1.111 - 34.242 * WW + 12.832 * WW^2)
    else 7.37e-10
  list(statistic = W, p_value = pval)
}
sw <- shapiro.test(cd$R2)
copula_ref <- list(
  formula = "marketing_performance ~ R2 + E4 + customer_relationship_performance + social_media_performance",
  endogenous = "R2", n = n,
  copula_first = head(cd$copula_R2, 10),
  coef_without = as.list(coef(m0)), coef_with = as.list(coef(m1)),
  ols_se_with = as.list(summary(m1)$coefficients[, 2]),
  shapiro_w = unname(sw$statistic), shapiro_p = sw$p.value,
  cvm = cvm_normal(cd$R2)
)

ref <- list(
  versions = list(
    R = R.version.string,
    lavaan = as.character(packageVersion("lavaan")),
    psych = as.character(packageVersion("psych")),
    jsonlite = as.character(packageVersion("jsonlite"))
  ),
  rows = "consent == 1 & second_informant == 0; listwise per analysis",
  marker_technique = marker_ref,
  marker_technique_fiml = marker_fiml,
  harman = harman_ref,
  ulmc_bundled = ulmc_bundled,
  ulmc_sim = ulmc_sim,
  nonresponse = nr,
  copula = copula_ref
)
writeLines(toJSON(ref, auto_unbox = TRUE, digits = NA, pretty = TRUE, na = "null"),
           "tests/reference/survey_validity.json")
cat("wrote tests/reference/survey_validity.json\n")
