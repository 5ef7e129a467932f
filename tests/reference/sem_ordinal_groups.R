# Reference values for nrel_research.sem multiple-group models with ordered indicators:
# group.equal = "thresholds" (with "loadings", "intercepts", "residuals"), group.partial of a
# threshold, the delta and theta parameterizations, the Wu & Estabrook (2016) invariance
# sequence, and lavTestLRT() of WLSMV / WLSM / ULSMV fits.
#
# Run from the repository root:   Rscript tests/reference/sem_ordinal_groups.R
# Writes tests/reference/sem_ordinal_groups.json (R, lavaan and semTools versions recorded
# there; ~1 min).
# Oracle: lavaan 0.6.14 cfa(..., ordered =, group =, group.equal =, group.partial =,
# parameterization =) with estimator "WLSMV" (also "WLSM", "ULSMV"), lavTestLRT() with its
# defaults (method "satorra.2000", A.method "delta", scaled.shifted = TRUE for WLSMV/ULSMV;
# "satorra.bentler.2001" for WLSM), and semTools 0.5.6 measEq.syntax(ID.cat =
# "Wu.Estabrook.2016") for the Wu & Estabrook levels.
#
# Data: tests/reference/data/ordinal_skewed.csv (group A n = 450, B n = 350; y1..y8 6-point
# skewed items, two factors y1-y4 and y5-y8, y3's thresholds shifted +0.35 in B) and the
# bundled nrel_research/datasets/holzinger_swineford_1939_ordinal.csv (x1..x9 in 5 ordered
# categories, by school; groups in order of first appearance: Pasteur, Grant-White).
#
# Two invariance sequences are stored:
#   "lavaan"  - lavaan's group.equal semantics: "thresholds" equates every threshold and (in
#               lav_partable_flat) frees, in groups 2..G, the latent means and the scale
#               factors (~*~, delta) or the ordered items' residual variances (theta); the
#               ordered items' intercepts stay fixed at 0 in every group.
#   "we"      - Wu & Estabrook (2016) as semTools measEq.syntax(ID.cat = "Wu.Estabrook.2016")
#               builds it: at the threshold and threshold+loading levels the ordered items'
#               intercepts are free in groups 2..G and the latent means stay fixed at 0.
#               Written here as lavaan syntax the engine reproduces: the model plus
#               "y ~ c(0, NA)*1 + c(nu.y.g1, nu.y.g2)*1" per ordered indicator (the labels
#               are needed: for categorical models lav_options_set adds "intercepts" to
#               group.equal whenever it holds "thresholds", and vice versa, and an unlabelled
#               intercept would be tied to group 1's fixed 0) and "f ~ c(0, 0)*1" per factor,
#               with group.equal = "thresholds" (+ "loadings"). Its chi-square equals
#               semTools' (stored in "we_check"). The configural and the scalar (thresholds +
#               loadings + intercepts) levels of the two sequences are the same model; so are
#               lavaan's "thresholds + loadings" and its "scalar" (lavaan adds "intercepts").
suppressPackageStartupMessages({
  library(lavaan)
  library(semTools)
  library(jsonlite)
})

sk <- read.csv(file.path("tests", "reference", "data", "ordinal_skewed.csv"))
hs <- read.csv(file.path("nrel_research", "datasets", "holzinger_swineford_1939_ordinal.csv"))

m2 <- "f1 =~ y1 + y2 + y3 + y4\nf2 =~ y5 + y6 + y7 + y8"
ov2 <- paste0("y", 1:8)
m3 <- "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"
ov3 <- paste0("x", 1:9)

# Wu & Estabrook (2016) threshold / threshold+loading levels as lavaan syntax (2 groups)
we_syntax <- function(model, ov, lv) {
  paste0(model, "\n",
         paste0(ov, " ~ c(0, NA)*1 + c(nu.", ov, ".g1, nu.", ov, ".g2)*1", collapse = "\n"),
         "\n",
         paste0(lv, " ~ c(0, 0)*1", collapse = "\n"))
}
m2_we <- we_syntax(m2, ov2, c("f1", "f2"))
m3_we <- we_syntax(m3, ov3, c("visual", "textual", "speed"))

TH <- "thresholds"
TL <- c("thresholds", "loadings")
TLI <- c("thresholds", "loadings", "intercepts")
TLIR <- c("thresholds", "loadings", "intercepts", "residuals")
sk_case <- function(model = m2, equal = character(0), partial = character(0),
                    param = "delta", estimator = "WLSMV", data = "skewed") {
  list(model = model, equal = equal, partial = partial, param = param,
       estimator = estimator, data = data)
}
hs_case <- function(model = m3, equal = character(0), partial = character(0)) {
  list(model = model, equal = equal, partial = partial, param = "delta",
       estimator = "WLSMV", data = "hs")
}
cases <- list(
  configural = sk_case(),
  thresholds = sk_case(equal = TH),
  thresholds_loadings = sk_case(equal = TL),
  scalar = sk_case(equal = TLI),
  we_thresholds = sk_case(model = m2_we, equal = TH),
  we_thresholds_loadings = sk_case(model = m2_we, equal = TL),
  # the planted non-invariance: y3's first threshold freed in group B
  partial_y3t1 = sk_case(equal = TLI, partial = "y3|t1"),
  thresholds_partial_y3t1 = sk_case(equal = TH, partial = "y3|t1"),
  configural_theta = sk_case(param = "theta"),
  thresholds_theta = sk_case(equal = TH, param = "theta"),
  thresholds_loadings_theta = sk_case(equal = TL, param = "theta"),
  scalar_theta = sk_case(equal = TLI, param = "theta"),
  strict_theta = sk_case(equal = TLIR, param = "theta"),
  we_thresholds_theta = sk_case(model = m2_we, equal = TH, param = "theta"),
  we_thresholds_loadings_theta = sk_case(model = m2_we, equal = TL, param = "theta"),
  partial_y3t1_theta = sk_case(equal = TLI, partial = "y3|t1", param = "theta"),
  hs_configural = hs_case(),
  hs_thresholds = hs_case(equal = TH),
  hs_metric = hs_case(equal = TL),
  hs_scalar = hs_case(equal = TLI),
  hs_we_thresholds = hs_case(model = m3_we, equal = TH),
  hs_we_metric = hs_case(model = m3_we, equal = TL),
  wlsm_configural = sk_case(estimator = "WLSM"),
  wlsm_we_thresholds_loadings = sk_case(model = m2_we, equal = TL, estimator = "WLSM"),
  wlsm_scalar = sk_case(equal = TLI, estimator = "WLSM"),
  ulsmv_configural = sk_case(estimator = "ULSMV"),
  ulsmv_we_thresholds_loadings = sk_case(model = m2_we, equal = TL, estimator = "ULSMV"),
  ulsmv_scalar = sk_case(equal = TLI, estimator = "ULSMV")
)
sequences <- list(
  lavaan_delta = c("configural", "thresholds", "thresholds_loadings", "scalar"),
  we_delta = c("configural", "we_thresholds", "we_thresholds_loadings", "scalar"),
  lavaan_theta = c("configural_theta", "thresholds_theta", "thresholds_loadings_theta",
                   "scalar_theta", "strict_theta"),
  we_theta = c("configural_theta", "we_thresholds_theta", "we_thresholds_loadings_theta",
               "scalar_theta", "strict_theta"),
  partial = c("thresholds_loadings", "partial_y3t1", "scalar"),
  hs_lavaan = c("hs_configural", "hs_thresholds", "hs_metric", "hs_scalar"),
  hs_we = c("hs_configural", "hs_we_thresholds", "hs_we_metric", "hs_scalar"),
  wlsm = c("wlsm_configural", "wlsm_we_thresholds_loadings", "wlsm_scalar"),
  ulsmv = c("ulsmv_configural", "ulsmv_we_thresholds_loadings", "ulsmv_scalar")
)

out <- list(
  versions = list(R = R.version.string, lavaan = as.character(packageVersion("lavaan")),
                  semTools = as.character(packageVersion("semTools"))),
  cases = list(),
  lrt = list(),
  we_check = list(),
  single_group = list(),
  errors = list()
)

fit_case <- function(cs) {
  dat <- if (cs$data == "hs") hs else sk
  grp <- if (cs$data == "hs") "school" else "group"
  ov <- if (cs$data == "hs") ov3 else ov2
  equal_arg <- if (length(cs$equal)) cs$equal else ""
  partial_arg <- if (length(cs$partial)) cs$partial else ""
  cfa(cs$model, data = dat, group = grp, ordered = ov, estimator = cs$estimator,
      parameterization = cs$param, group.equal = equal_arg, group.partial = partial_arg)
}

store_fit <- function(f) {
  pe <- parameterEstimates(f, remove.nonfree = FALSE)
  if (is.null(pe$label)) pe$label <- ""
  if (is.null(pe$group)) pe$group <- 1L
  pe <- pe[, c("lhs", "op", "rhs", "group", "label", "est", "se")]
  pt <- parTable(f)
  pt <- pt[, c("id", "lhs", "op", "rhs", "user", "block", "group", "free", "ustart", "exo",
               "label", "plabel")]
  fm <- fitMeasures(f)
  fm <- fm[is.finite(fm)]
  list(
    group_labels = lavInspect(f, "group.label"),
    group_n = as.list(lavInspect(f, "nobs")),
    converged = lavInspect(f, "converged"),
    estimates = pe,
    partable = pt,
    fit = as.list(setNames(as.numeric(fm), gsub(".", "_", names(fm), fixed = TRUE)))
  )
}

fits <- list()
for (name in names(cases)) {
  cs <- cases[[name]]
  f <- fit_case(cs)
  fits[[name]] <- f
  out$cases[[name]] <- c(
    list(syntax = cs$model, data = cs$data, group = if (cs$data == "hs") "school" else "group",
         ordered = I(if (cs$data == "hs") ov3 else ov2), estimator = cs$estimator,
         parameterization = cs$param, group_equal = I(cs$equal),
         group_partial = I(cs$partial)),
    store_fit(f)
  )
}

for (sname in names(sequences)) {
  seq_names <- sequences[[sname]]
  lrt <- do.call(lavTestLRT, c(unname(fits[seq_names]), list(model.names = seq_names)))
  out$lrt[[sname]] <- list(
    models = seq_names,
    rows = rownames(lrt),  # sorted by df as lavTestLRT does (stable)
    method = sub('.*method = \u201c?"?([a-z.0-9]+).*', "\\1",
                 gsub("\n", " ", attr(lrt, "heading"))),
    df = lrt[["Df"]],
    chisq = lrt[["Chisq"]],
    chisq_diff = lrt[["Chisq diff"]],
    df_diff = lrt[["Df diff"]],
    pvalue_diff = lrt[["Pr(>Chisq)"]],
    scale = if (is.null(attr(lrt, "scale"))) NULL else attr(lrt, "scale"),
    shift = if (is.null(attr(lrt, "shift"))) NULL else attr(lrt, "shift")
  )
}

# the ingredients of lav_test_diff_Satorra2000 for three comparisons, so that the difference
# test itself is checked apart from the estimation: computeDelta() of both models per group
# (at their own estimates), eq.constraints.K (identity without constraints), WLS.V, Gamma,
# the unscaled statistics and df
ingredients <- function(m1, m0) {
  kmat <- function(f) {
    if (f@Model@eq.constraints) f@Model@eq.constraints.K else diag(f@Model@nx.free)
  }
  list(t1 = m1@test[[1]]$stat, t0 = m0@test[[1]]$stat, df1 = m1@test[[1]]$df,
       df0 = m0@test[[1]]$df, delta1 = unname(lavaan:::computeDelta(m1@Model)),
       delta0 = unname(lavaan:::computeDelta(m0@Model)), k1 = kmat(m1), k0 = kmat(m0),
       weights = unname(lavTech(m1, "WLS.V")), gammas = unname(lavTech(m1, "Gamma")),
       nobs = unlist(m1@SampleStats@nobs),
       lrt = as.list(lavTestLRT(m1, m0)[2, c("Chisq diff", "Df diff", "Pr(>Chisq)")]))
}
out$satorra2000_ingredients <- list(
  configural_scalar = ingredients(fits$configural, fits$scalar),
  we_thresholds_metric = ingredients(fits$we_thresholds, fits$we_thresholds_loadings),
  ulsmv_configural_metric = ingredients(fits$ulsmv_configural,
                                        fits$ulsmv_we_thresholds_loadings)
)

# the Wu & Estabrook levels written as syntax above equal semTools' measEq.syntax models
we_levels <- list(
  list(name = "we_thresholds", data = "skewed", equal = TH, param = "delta"),
  list(name = "we_thresholds_loadings", data = "skewed", equal = TL, param = "delta"),
  list(name = "we_thresholds_theta", data = "skewed", equal = TH, param = "theta"),
  list(name = "we_thresholds_loadings_theta", data = "skewed", equal = TL, param = "theta"),
  list(name = "hs_we_thresholds", data = "hs", equal = TH, param = "delta"),
  list(name = "hs_we_metric", data = "hs", equal = TL, param = "delta"),
  list(name = "configural", data = "skewed", equal = "", param = "delta"),
  list(name = "scalar", data = "skewed", equal = TLI, param = "delta"),
  list(name = "strict_theta", data = "skewed", equal = TLIR, param = "theta")
)
for (lev in we_levels) {
  dat <- if (lev$data == "hs") hs else sk
  mod <- if (lev$data == "hs") m3 else m2
  ov <- if (lev$data == "hs") ov3 else ov2
  grp <- if (lev$data == "hs") "school" else "group"
  s <- suppressWarnings(measEq.syntax(mod, data = dat, group = grp, ordered = ov,
                                      ID.cat = "Wu.Estabrook.2016", ID.fac = "std.lv",
                                      group.equal = lev$equal, parameterization = lev$param,
                                      return.fit = TRUE))
  out$we_check[[lev$name]] <- list(
    semtools_chisq = unname(fitMeasures(s, "chisq")),
    semtools_df = unname(fitMeasures(s, "df")),
    semtools_chisq_scaled = unname(fitMeasures(s, "chisq.scaled")),
    lavaan_chisq = unname(fitMeasures(fits[[lev$name]], "chisq")),
    lavaan_df = unname(fitMeasures(fits[[lev$name]], "df"))
  )
}

# one group (group A): two correlated factors vs orthogonal factors; and the one-model table
ska <- sk[sk$group == "A", ]
fa <- cfa(m2, data = ska, ordered = ov2, estimator = "WLSMV")
fo <- cfa(paste0(m2, "\nf1 ~~ 0*f2"), data = ska, ordered = ov2, estimator = "WLSMV")
lrt1 <- lavTestLRT(fa, fo)
lrt_one <- lavTestLRT(fa)
out$single_group <- list(
  free = c(list(syntax = m2), store_fit(fa)),
  orthogonal = c(list(syntax = paste0(m2, "\nf1 ~~ 0*f2")), store_fit(fo)),
  lrt = list(df = lrt1[["Df"]], chisq = lrt1[["Chisq"]], chisq_diff = lrt1[["Chisq diff"]],
             df_diff = lrt1[["Df diff"]], pvalue_diff = lrt1[["Pr(>Chisq)"]],
             scale = attr(lrt1, "scale"), shift = attr(lrt1, "shift")),
  lrt_one_model = list(df = lrt_one[["Df"]], chisq = lrt_one[["Chisq"]],
                       chisq_diff = lrt_one[["Chisq diff"]], df_diff = lrt_one[["Df diff"]],
                       pvalue_diff = lrt_one[["Pr(>Chisq)"]])
)

# a category unobserved in one group: y6's top category (6) collapsed into 5 in group B of a
# copy of the data; lavaan refuses the data in lav_samplestats_step1
sk2 <- sk
sk2$y6[sk2$group == "B" & sk2$y6 == 6] <- 5
err <- tryCatch({
  cfa(m2, data = sk2, group = "group", ordered = ov2, group.equal = TH)
  ""
}, error = function(e) conditionMessage(e))
out$errors$unobserved_category <- list(
  what = "y6 values 6 set to 5 in group B",
  frequencies = lapply(split(sk2$y6, sk2$group), function(v) as.integer(table(factor(v, 1:6)))),
  message = err
)
# the same collapse in both groups: y6 then has 5 categories everywhere and fits
sk3 <- sk
sk3$y6[sk3$y6 == 6] <- 5
f3 <- cfa(m2, data = sk3, group = "group", ordered = ov2, group.equal = TH)
out$errors$collapsed_everywhere <- c(list(what = "y6 values 6 set to 5 in both groups"),
                                     store_fit(f3))

write_json(out, file.path("tests", "reference", "sem_ordinal_groups.json"), digits = NA,
           auto_unbox = TRUE, pretty = TRUE, na = "null")
