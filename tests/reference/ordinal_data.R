# Ordinal test data shared by the ordinal (WLSMV) oracle scripts.
#
# Run from the repository root:   Rscript tests/reference/ordinal_data.R
# Writes
#   nrel_research/datasets/holzinger_swineford_1939_ordinal.csv
#   tests/reference/data/ordinal_skewed.csv
#   tests/reference/data/ordinal_skewed_missing.csv
#
# 1. Holzinger-Swineford cut into 5 ordered categories at the sample quintiles. The rule,
#    exactly: for each of x1..x9 separately, breaks = quantile(x, probs = 0:5/5, type = 7)
#    (R's default quantile: linear interpolation, numpy's default "linear" method), then
#    cut(x, breaks, include.lowest = TRUE, right = TRUE, labels = FALSE): category k (1..5)
#    holds the values in (q_{k-1}, q_k], the lowest category also holds the minimum.
#    Ties make the categories unequal in size. Other columns are copied unchanged.
# 2. Two-factor, 6-point items with skew, two groups (seed 20161205): latent factors
#    f1, f2 (correlation 0.4; in group "B" latent means 0.3 / -0.2 and variances 1.2 / 0.9),
#    y* = lambda f + e with Var(y*) = 1 in group "A", items y1-y4 on f1 and y5-y8 on f2,
#    cut at the right-skewed thresholds (-0.4, 0.3, 0.8, 1.3, 1.8) -- most answers in the
#    lowest categories. Item y3 has its thresholds shifted by +0.35 in group "B" (a planted
#    threshold non-invariance). n = 450 in "A", 350 in "B".
#    ordinal_skewed_missing.csv: the same values with 6% of the item values set missing
#    completely at random (seed 20161206), for pairwise deletion.
suppressPackageStartupMessages(library(MASS))

ds_dir <- file.path("nrel_research", "datasets")
hs <- read.csv(file.path(ds_dir, "holzinger_swineford_1939.csv"))
for (v in paste0("x", 1:9)) {
  br <- quantile(hs[[v]], probs = 0:5 / 5, type = 7)
  hs[[v]] <- cut(hs[[v]], br, include.lowest = TRUE, right = TRUE, labels = FALSE)
}
write.csv(hs, file.path(ds_dir, "holzinger_swineford_1939_ordinal.csv"), row.names = FALSE)

set.seed(20161205)
lam <- c(0.8, 0.7, 0.6, 0.75, 0.7, 0.65, 0.8, 0.55)
tau <- c(-0.4, 0.3, 0.8, 1.3, 1.8)
sim_group <- function(n, mean, var, shift_y3) {
  sd <- sqrt(var)
  cov <- diag(sd) %*% matrix(c(1, 0.4, 0.4, 1), 2) %*% diag(sd)
  f <- mvrnorm(n, mean, cov)
  out <- matrix(0L, n, 8)
  for (j in 1:8) {
    fj <- if (j <= 4) f[, 1] else f[, 2]
    ystar <- lam[j] * fj + rnorm(n, 0, sqrt(1 - lam[j]^2))
    th <- tau + if (j == 3) shift_y3 else 0
    out[, j] <- findInterval(ystar, th) + 1L
  }
  out
}
a <- sim_group(450, c(0, 0), c(1, 1), 0)
b <- sim_group(350, c(0.3, -0.2), c(1.2, 0.9), 0.35)
sk <- data.frame(rbind(a, b))
names(sk) <- paste0("y", 1:8)
sk <- cbind(id = seq_len(nrow(sk)), group = rep(c("A", "B"), c(450, 350)), sk)
dir.create(file.path("tests", "reference", "data"), showWarnings = FALSE)
write.csv(sk, file.path("tests", "reference", "data", "ordinal_skewed.csv"), row.names = FALSE)

set.seed(20161206)
skm <- sk
items <- paste0("y", 1:8)
m <- matrix(runif(nrow(sk) * 8) < 0.06, nrow(sk), 8)
for (j in 1:8) skm[[items[j]]][m[, j]] <- NA
write.csv(skm, file.path("tests", "reference", "data", "ordinal_skewed_missing.csv"),
          row.names = FALSE, na = "")
