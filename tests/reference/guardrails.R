# Reference values for nrel_research.analysis.guardrails (multiplicity adjustment).
#
# Run from the repository root:   Rscript tests/reference/guardrails.R
# Writes tests/reference/guardrails.json.
# Oracle: R's stats::p.adjust (methods "holm", "BH", "bonferroni") on fixed p-value vectors,
# including ties, values near 1 and a missing value (p.adjust leaves NA out of the family
# with its default n = length(p[!is.na(p)])).
suppressPackageStartupMessages(library(jsonlite))

cases <- list(
  propositions = c(0.0004, 0.012, 0.049, 0.051, 0.20, 0.0031, 0.74, 0.030),
  ties = c(0.01, 0.01, 0.02, 0.02, 0.5),
  with_na = c(0.003, NA, 0.04, 0.01, 0.9)
)
out <- list(
  versions = list(R = paste(R.version$major, R.version$minor, sep = "."))
)
for (nm in names(cases)) {
  p <- cases[[nm]]
  out[[nm]] <- list(
    p = p,
    holm = p.adjust(p, "holm"),
    fdr_bh = p.adjust(p, "BH"),
    bonferroni = p.adjust(p, "bonferroni")
  )
}
writeLines(toJSON(out, digits = NA, na = "null", auto_unbox = TRUE, pretty = TRUE),
           file.path("tests", "reference", "guardrails.json"))
