"""Matrix representation of a parameter table (LISREL "all-y"), implied moments and Jacobian.

Each group (block) is represented as in lavaan's LISREL representation::

    eta   = alpha + B eta + zeta,        Var(zeta)  = Psi
    y     = nu + Lambda eta + epsilon,   Var(eps)   = Theta
    Sigma = Lambda (I - B)^-1 Psi (I - B)^-T Lambda' + Theta
    mu    = nu + Lambda (I - B)^-1 alpha

Observed variables that take part in a regression (either side) or covary with a latent
variable are carried by a "dummy" latent variable with a unit loading and zero residual
variance, as lavaan does, so that every ``~`` is an element of ``B``.

The public surface other estimators build on (FIML, robust ML, multiple groups):

- :meth:`Model.implied` - per group ``{"cov": Sigma, "mean": mu}`` at a parameter vector;
- :meth:`Model.delta` - per group the analytic Jacobian ``d(vech(Sigma), mu) / d theta``
  (rows: ``vech(Sigma)`` column-wise lower triangle as R's ``lav_matrix_vech``, then ``mu`` when
  the model has a mean structure; columns: the free parameters in lavaan's ``free`` order);
- :attr:`Model.ceq_basis` - the matrix ``K`` with ``theta = K theta_star`` that imposes the
  equality constraints (shared labels, ``a == b``), so constrained estimation runs on
  ``theta_star``.
"""

from __future__ import annotations

import numpy as np

from ..exceptions import SpecificationError
from .syntax import ParTable

__all__ = ["Model", "vech_indices"]

_LAMBDA, _BETA, _PSI, _THETA, _NU, _ALPHA = range(6)


def vech_indices(p: int) -> tuple[np.ndarray, np.ndarray]:
    """Row and column indices of ``vech`` (column-wise lower triangle, as lavaan).

    Examples
    --------
    >>> r, c = vech_indices(3)
    >>> list(zip(r.tolist(), c.tolist()))
    [(0, 0), (1, 0), (2, 0), (1, 1), (2, 1), (2, 2)]
    """
    rows, cols = [], []
    for j in range(p):
        for i in range(j, p):
            rows.append(i)
            cols.append(j)
    return np.array(rows, dtype=int), np.array(cols, dtype=int)


class _GroupRep:
    """Positions of the parameter-table rows of one group in the LISREL matrices."""

    def __init__(self, table, ov_names, lv_names, group):
        self.group = group
        rows = table[(table["group"] == group) & table["op"].isin(["=~", "~", "~~", "~1"])]
        self.row_index = rows.index.to_numpy()
        ov = list(ov_names)
        lv = list(lv_names)
        dummy = []
        for lhs, op, rhs in zip(rows["lhs"], rows["op"], rows["rhs"], strict=True):
            cand = []
            if op == "~" or (op == "~~" and ((lhs in lv) != (rhs in lv))):
                cand = [lhs, rhs]
            elif op == "=~" and lhs not in lv:
                cand = [lhs]
            for v in cand:
                if v in ov and v not in dummy:
                    dummy.append(v)
        # keep dummies in observed-variable order
        dummy = [v for v in ov if v in dummy]
        self.ov = ov
        self.eta = lv + dummy
        self.lv = lv
        self.dummy = dummy
        p, m = len(ov), len(self.eta)
        self.p, self.m = p, m
        oi = {v: k for k, v in enumerate(ov)}
        ei = {v: k for k, v in enumerate(self.eta)}
        mat, ii, jj = [], [], []
        for lhs, op, rhs in zip(rows["lhs"], rows["op"], rows["rhs"], strict=True):
            if op == "=~":
                if rhs in ei:
                    mat.append(_BETA)
                    ii.append(ei[rhs])
                    jj.append(ei[lhs])
                else:
                    mat.append(_LAMBDA)
                    ii.append(oi[rhs])
                    jj.append(ei[lhs])
            elif op == "~":
                if lhs not in ei or rhs not in ei:
                    raise SpecificationError(f"cannot place the regression {lhs} ~ {rhs}.")
                mat.append(_BETA)
                ii.append(ei[lhs])
                jj.append(ei[rhs])
            elif op == "~~":
                if lhs in ei and rhs in ei:
                    mat.append(_PSI)
                    ii.append(ei[lhs])
                    jj.append(ei[rhs])
                else:
                    mat.append(_THETA)
                    ii.append(oi[lhs])
                    jj.append(oi[rhs])
            else:  # ~1
                if lhs in ei:
                    mat.append(_ALPHA)
                    ii.append(ei[lhs])
                else:
                    mat.append(_NU)
                    ii.append(oi[lhs])
                jj.append(0)
        self.mat = np.array(mat, dtype=int)
        self.ii = np.array(ii, dtype=int)
        self.jj = np.array(jj, dtype=int)
        self.lambda0 = np.zeros((p, m))
        for v in dummy:
            self.lambda0[oi[v], ei[v]] = 1.0
        self.vr, self.vc = vech_indices(p)
        self.sel = [np.flatnonzero(self.mat == k) for k in range(6)]
        self.has_beta = len(self.sel[_BETA]) > 0
        self.eye_m = np.eye(m)
        self.eye_p = np.eye(p)

    def matrices(self, values):
        """Fill the LISREL matrices from the values of this group's rows."""
        p, m = self.p, self.m
        lam = self.lambda0.copy()
        beta = np.zeros((m, m))
        psi = np.zeros((m, m))
        theta = np.zeros((p, p))
        nu = np.zeros(p)
        alpha = np.zeros(m)
        ii, jj = self.ii, self.jj
        sel = self.sel[_LAMBDA]
        lam[ii[sel], jj[sel]] = values[sel]
        sel = self.sel[_BETA]
        beta[ii[sel], jj[sel]] = values[sel]
        sel = self.sel[_PSI]
        psi[ii[sel], jj[sel]] = values[sel]
        psi[jj[sel], ii[sel]] = values[sel]
        sel = self.sel[_THETA]
        theta[ii[sel], jj[sel]] = values[sel]
        theta[jj[sel], ii[sel]] = values[sel]
        sel = self.sel[_NU]
        nu[ii[sel]] = values[sel]
        sel = self.sel[_ALPHA]
        alpha[ii[sel]] = values[sel]
        return {"lambda": lam, "beta": beta, "psi": psi, "theta": theta, "nu": nu, "alpha": alpha}

    def ib_inv(self, beta):
        if not self.has_beta:
            return self.eye_m
        return np.linalg.inv(self.eye_m - beta)


class Model:
    """A parameter table turned into per-group LISREL matrices with analytic derivatives.

    Parameters
    ----------
    partable : ParTable
        From :func:`~nrel_research.sem.syntax.parse_model`.

    Attributes
    ----------
    table : pandas.DataFrame
        The parameter table (a copy); column ``value`` holds the current fixed values (user
        fixed values, 0 for unset, sample statistics for exogenous covariates once set with
        :meth:`set_fixed_x`).
    n_free : int
        Number of free parameters (lavaan's ``free`` numbering, before equality constraints).
    ceq_basis : numpy.ndarray
        ``K`` (``n_free x n_unique``): ``theta = K @ theta_star``.
    """

    def __init__(self, partable: ParTable):
        self.partable = partable
        t = partable.table.copy()
        self.table = t
        self.meanstructure = partable.meanstructure
        self.ngroups = partable.ngroups
        self.ov_names = list(partable.ov_names)
        self.lv_names = list(partable.lv_names)
        self.ov_x = list(partable.ov_x)
        par = t["op"].isin(["=~", "~", "~~", "~1"])
        self.par_rows = t.index[par].to_numpy()
        value = t["ustart"].to_numpy(dtype=float).copy()
        freecol = t["free"].to_numpy()
        value[(freecol == 0) & np.isnan(value)] = 0.0
        value[freecol > 0] = np.nan
        self.value = value
        self.free = freecol
        self.n_free = int(freecol.max()) if len(freecol) else 0
        self.groups = [
            _GroupRep(t, self.ov_names, self.lv_names, g) for g in range(1, self.ngroups + 1)
        ]
        self.ceq_basis = self._ceq_basis()
        self.n_unique = self.ceq_basis.shape[1]

    # -- equality constraints ------------------------------------------------------------
    def _ceq_basis(self):
        t = self.table
        n = self.n_free
        parent = list(range(n))

        def find(a):
            while parent[a] != a:
                parent[a] = parent[parent[a]]
                a = parent[a]
            return a

        by_plabel = {pl: f for pl, f in zip(t["plabel"], t["free"], strict=True) if pl}
        by_label = {}
        for lab, f in zip(t["label"], t["free"], strict=True):
            if lab and lab not in by_label:
                by_label[lab] = f
        eq = t[t["op"] == "=="]
        for lhs, rhs in zip(eq["lhs"], eq["rhs"], strict=True):
            a = by_plabel.get(lhs, by_label.get(lhs, 0))
            b = by_plabel.get(rhs, by_label.get(rhs, 0))
            if a == 0 or b == 0:
                raise SpecificationError(
                    f"the equality constraint {lhs} == {rhs} involves a fixed parameter; free "
                    "it or drop the constraint."
                )
            ra, rb = find(a - 1), find(b - 1)
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)
        roots = [find(i) for i in range(n)]
        uniq = sorted(set(roots))
        col = {r: k for k, r in enumerate(uniq)}
        k_mat = np.zeros((n, len(uniq)))
        for i, r in enumerate(roots):
            k_mat[i, col[r]] = 1.0
        return k_mat

    # -- values ---------------------------------------------------------------------------
    def set_fixed_x(self, cov_list, mean_list):
        """Fix the exogenous covariates' (co)variances and means at sample values.

        Parameters
        ----------
        cov_list, mean_list : list of numpy.ndarray
            Per group, the sample covariance matrix (divisor N) and mean vector of the
            observed variables in :attr:`ov_names` order.
        """
        t = self.table
        oi = {v: k for k, v in enumerate(self.ov_names)}
        exo = np.flatnonzero(t["exo"].to_numpy() == 1)
        for r in exo:
            g = int(t.at[r, "group"]) - 1
            lhs, op, rhs = t.at[r, "lhs"], t.at[r, "op"], t.at[r, "rhs"]
            if op == "~~":
                self.value[r] = cov_list[g][oi[lhs], oi[rhs]]
            elif op == "~1":
                self.value[r] = mean_list[g][oi[lhs]]

    def row_values(self, theta):
        """Values of every table row at free parameters ``theta`` (length :attr:`n_free`)."""
        v = self.value.copy()
        f = self.free
        sel = f > 0
        v[sel] = np.asarray(theta, dtype=float)[f[sel] - 1]
        return v

    def group_matrices(self, theta, group=0):
        """LISREL matrices of one group (0-based) at ``theta``."""
        rep = self.groups[group]
        vals = self.row_values(theta)[rep.row_index]
        return rep.matrices(vals)

    # -- implied moments -----------------------------------------------------------------
    def implied(self, theta):
        """Model-implied moments per group.

        Parameters
        ----------
        theta : array_like
            Free parameters (length :attr:`n_free`, lavaan order).

        Returns
        -------
        list of dict
            Per group ``{"cov": Sigma, "mean": mu}`` (``mean`` is ``None`` without a mean
            structure).
        """
        vals_all = self.row_values(theta)
        out = []
        for rep in self.groups:
            mats = rep.matrices(vals_all[rep.row_index])
            a = rep.ib_inv(mats["beta"])
            la = mats["lambda"] @ a
            sigma = la @ mats["psi"] @ la.T + mats["theta"]
            sigma = 0.5 * (sigma + sigma.T)
            mu = mats["nu"] + la @ mats["alpha"] if self.meanstructure else None
            out.append({"cov": sigma, "mean": mu})
        return out

    def veta(self, theta, group=0):
        """Implied covariance matrix of all latent (incl. dummy) variables of a group."""
        rep = self.groups[group]
        mats = self.group_matrices(theta, group)
        a = rep.ib_inv(mats["beta"])
        return a @ mats["psi"] @ a.T, rep.eta

    def delta(self, theta):
        """Analytic Jacobian of the implied moments with respect to the free parameters.

        Returns
        -------
        list of numpy.ndarray
            Per group a ``(p*(p+1)/2 [+ p]) x n_free`` matrix: rows ``vech(Sigma)`` (lavaan's
            column-wise lower triangle) then ``mu`` if the model has a mean structure.
        """
        vals_all = self.row_values(theta)
        out = []
        for rep in self.groups:
            out.append(self._delta_group(rep, vals_all))
        return out

    def _delta_group(self, rep, vals_all):
        mats = rep.matrices(vals_all[rep.row_index])
        p, _m = rep.p, rep.m
        lam, psi = mats["lambda"], mats["psi"]
        a = rep.ib_inv(mats["beta"])
        la = lam @ a  # p x m
        veta = a @ psi @ a.T
        mm = veta @ lam.T  # m x p
        aalpha = a @ mats["alpha"]
        free = self.free[rep.row_index]
        sel = np.flatnonzero(free > 0)
        q = len(sel)
        u = np.zeros((p, q))
        v = np.zeros((p, q))
        fac = np.ones(q)
        dmu = np.zeros((p, q))
        mat, ii, jj = rep.mat[sel], rep.ii[sel], rep.jj[sel]
        eye = rep.eye_p
        k = np.flatnonzero(mat == _LAMBDA)
        u[:, k] = eye[:, ii[k]]
        v[:, k] = mm[jj[k], :].T
        dmu[ii[k], k] = aalpha[jj[k]]
        k = np.flatnonzero(mat == _BETA)
        u[:, k] = la[:, ii[k]]
        v[:, k] = mm[jj[k], :].T
        dmu[:, k] = la[:, ii[k]] * aalpha[jj[k]]
        k = np.flatnonzero(mat == _PSI)
        u[:, k] = la[:, ii[k]]
        v[:, k] = la[:, jj[k]]
        fac[k[ii[k] == jj[k]]] = 0.5
        k = np.flatnonzero(mat == _THETA)
        u[:, k] = eye[:, ii[k]]
        v[:, k] = eye[:, jj[k]]
        fac[k[ii[k] == jj[k]]] = 0.5
        k = np.flatnonzero(mat == _NU)
        dmu[ii[k], k] = 1.0
        k = np.flatnonzero(mat == _ALPHA)
        dmu[:, k] = la[:, ii[k]]
        r, c = rep.vr, rep.vc
        dsig = fac * (u[r, :] * v[c, :] + v[r, :] * u[c, :])
        drows = np.vstack([dsig, dmu]) if self.meanstructure else dsig
        full = np.zeros((drows.shape[0], self.n_free))
        np.add.at(full.T, free[sel] - 1, drows.T)
        return full
