# Reference values for nrel_research.sem multiple-group ML (complete data, no group.equal).
#
# Run from the repository root:   Rscript tests/reference/sem_groups.R
# Writes tests/reference/sem_groups.json.
# Oracle: lavaan 0.6.14 cfa(model, data, group = ...) by school and by school x grade (four
# groups of unequal size, group-specific labels), with defaults: estimator = "ML",
# likelihood = "normal" (S_g with divisor N_g), information = "expected", meanstructure added
# with groups (intercepts free per group, latent means fixed at 0), group order = first
# appearance in the data.
suppressPackageStartupMessages({
  library(lavaan)
  library(jsonlite)
})

hs <- read.csv(file.path("nrel_research", "datasets", "holzinger_swineford_1939.csv"))
# a four-group case with unequal sizes: school x grade (tests build the same column)
# (lavaan drops the row whose grade, hence group, is missing)
hs$school_grade <- ifelse(is.na(hs$grade), NA, paste(hs$school, hs$grade, sep = "_"))

models <- list(
  configural = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9",
  labelled = "visual =~ x1 + c(a,a)*x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9",
  four_groups = paste0("visual =~ x1 + c(a1,a1,a2,a2)*x2 + x3\ntextual =~ x4 + x5 + x6\n",
                       "speed =~ x7 + x8 + x9")
)
group_of <- c(configural = "school", labelled = "school", four_groups = "school_grade")
measures <- c("npar", "chisq", "df", "pvalue", "baseline.chisq", "baseline.df", "cfi", "tli",
              "rmsea", "rmsea.ci.lower", "rmsea.ci.upper", "srmr", "logl",
              "unrestricted.logl", "aic", "bic", "ntotal")

out <- list(
  versions = list(R = R.version.string, lavaan = as.character(packageVersion("lavaan"))),
  models = list()
)
for (name in names(models)) {
  f <- cfa(models[[name]], data = hs, group = group_of[[name]])
  pe <- parameterEstimates(f, standardized = TRUE, remove.nonfree = FALSE)
  if (is.null(pe$label)) pe$label <- ""
  pe <- pe[, c("lhs", "op", "rhs", "group", "label", "est", "se", "std.all")]
  fm <- fitMeasures(f, measures)
  out$models[[name]] <- list(
    syntax = models[[name]],
    group = group_of[[name]],
    group_labels = lavInspect(f, "group.label"),
    estimates = pe,
    fit = as.list(setNames(as.numeric(fm), gsub(".", "_", names(fm), fixed = TRUE))),
    group_n = as.list(setNames(lavInspect(f, "nobs"), lavInspect(f, "group.label")))
  )
}
write_json(out, file.path("tests", "reference", "sem_groups.json"), digits = NA,
           auto_unbox = TRUE, pretty = TRUE, na = "null")
