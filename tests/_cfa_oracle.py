"""A minimal CFA parametrisation built from a lavaan parameter table, for tests only.

The SEM engine proper lives elsewhere; the tests of the moment-level modules (_fiml, _robust)
need μ(θ), Σ(θ) and Δ(θ) of lavaan's fitted CFA models to check the chain rule, so this helper
rebuilds them from lavaan's own parameter table (lhs, op, rhs, free, est) stored in the JSON.
"""

from __future__ import annotations

import numpy as np

from nrel_research.sem._fiml import vech


class CFA:
    """Σ = ΛΦΛᵀ + Θ, μ = nu for the parameter table of a lavaan CFA."""

    def __init__(self, partable: dict, ov_names: list[str], group: int | None = None):
        self.ov = list(ov_names)
        n = len(partable["lhs"])
        groups = partable.get("group", [1] * n)
        keep = [i for i in range(n) if group is None or groups[i] == group]
        cols = ("lhs", "op", "rhs", "free", "est")
        self.rows = [tuple(partable[c][i] for c in cols) for i in keep]
        self.lv = []
        for a, o, *_ in self.rows:
            if o == "=~" and a not in self.lv:
                self.lv.append(a)
        # global parameter vector (lavaan's free numbering, all groups); this group's share
        self.npar = max(partable["free"])
        self.theta_hat = np.zeros(self.npar)
        for f, e in zip(partable["free"], partable["est"], strict=True):
            if f > 0:
                self.theta_hat[f - 1] = e
        self.free = sorted((f, i) for i, (_, _, _, f, _) in enumerate(self.rows) if f > 0)

    def matrices(self, theta):
        p, m = len(self.ov), len(self.lv)
        lam, phi, th, nu = np.zeros((p, m)), np.zeros((m, m)), np.zeros((p, p)), np.zeros(p)
        vals = [r[4] for r in self.rows]
        for f, i in self.free:
            vals[i] = theta[f - 1]
        for (a, o, b, _, _), v in zip(self.rows, vals, strict=True):
            if o == "=~":
                lam[self.ov.index(b), self.lv.index(a)] = v
            elif o == "~~" and a in self.lv:
                i, j = self.lv.index(a), self.lv.index(b)
                phi[i, j] = phi[j, i] = v
            elif o == "~~":
                i, j = self.ov.index(a), self.ov.index(b)
                th[i, j] = th[j, i] = v
            elif o == "~1" and a in self.ov:
                nu[self.ov.index(a)] = v
        return lam, phi, th, nu

    def moments(self, theta):
        lam, phi, th, nu = self.matrices(theta)
        return nu, lam @ phi @ lam.T + th

    def delta(self, theta, meanstructure=True):
        """Analytic ∂(μ, vech Σ)/∂θ (columns: all free parameters, in lavaan's order)."""
        lam, phi, _, _ = self.matrices(theta)
        p = len(self.ov)
        nrow = p + p * (p + 1) // 2 if meanstructure else p * (p + 1) // 2
        out = np.zeros((nrow, self.npar))
        for f, i in self.free:
            a, o, b, _, _ = self.rows[i]
            dmu, ds = np.zeros(p), np.zeros((p, p))
            if o == "=~":
                e = np.zeros_like(lam)
                e[self.ov.index(b), self.lv.index(a)] = 1.0
                ds = e @ phi @ lam.T + lam @ phi @ e.T
            elif o == "~~" and a in self.lv:
                e = np.zeros_like(phi)
                i1, j1 = self.lv.index(a), self.lv.index(b)
                e[i1, j1] = e[j1, i1] = 1.0
                ds = lam @ e @ lam.T
            elif o == "~~":
                i1, j1 = self.ov.index(a), self.ov.index(b)
                ds[i1, j1] = ds[j1, i1] = 1.0
            elif o == "~1":
                dmu[self.ov.index(a)] = 1.0
            out[:, f - 1] = np.concatenate([dmu, vech(ds)]) if meanstructure else vech(ds)
        return out
