"""nrel_research.sem.model: the analytic Jacobian Delta against finite differences of implied().

Delta is the interface the FIML, robust and multi-group code builds on (chain rule), so it is
checked on its own for every kind of parameter (loadings on ov and on lv, regressions among
latent and observed variables, (residual) variances and covariances, intercepts and means),
with equality constraints and several groups. Central differences with h = 1e-6 are accurate
to ~1e-9 here; tolerance atol=1e-6.
"""

from __future__ import annotations

import numpy as np
import pytest

from nrel_research.sem import Model, parse_model
from nrel_research.sem.model import vech_indices

MODELS = {
    "cfa": ("visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nx1 ~~ x4", 1),
    "sem_means": (
        "ind =~ x1 + x2 + x3\ndem =~ y1 + a*y2 + a*y3\ndem ~ ind + z\ny1 ~ 1\nind ~ 1\n"
        "x1 ~ 0*1\ny3 ~~ x2\nw ~ dem + z",
        1,
    ),
    "second_order": ("f1 =~ a + b + c\nf2 =~ d + e + f\ng =~ f1 + f2\nf ~ c", 1),
    "nonrecursive": ("y1 ~ y2 + x1\ny2 ~ y1 + x2\ny1 ~~ y2", 1),
    "two_groups": ("f =~ y1 + c(l2a, l2b)*y2 + y3\ny1 ~ 1\ny2 ~~ c(v, v)*y2", 2),
}


def _vech(m):
    r, c = vech_indices(m.shape[0])
    return m[r, c]


def _moments(model, theta):
    out = []
    for imp in model.implied(theta):
        parts = [_vech(imp["cov"])]
        if imp["mean"] is not None:
            parts.append(imp["mean"])
        out.append(np.concatenate(parts))
    return out


@pytest.mark.parametrize("name", sorted(MODELS))
def test_delta_equals_numerical_derivative(name):
    syntax, ngroups = MODELS[name]
    model = Model(parse_model(syntax, ngroups=ngroups))
    rng = np.random.default_rng(1)
    theta = rng.uniform(0.2, 0.6, model.n_free)
    analytic = model.delta(theta)
    h = 1e-6
    for j in range(model.n_free):
        tp, tm = theta.copy(), theta.copy()
        tp[j] += h
        tm[j] -= h
        for g, (mp, mm) in enumerate(zip(_moments(model, tp), _moments(model, tm), strict=True)):
            np.testing.assert_allclose(analytic[g][:, j], (mp - mm) / (2 * h), atol=1e-6)


def test_groups_equality_basis_and_shapes():
    syntax, ngroups = MODELS["two_groups"]
    model = Model(parse_model(syntax, ngroups=ngroups))
    p = len(model.ov_names)
    assert len(model.groups) == 2
    for d in model.delta(np.full(model.n_free, 0.3)):
        assert d.shape == (p * (p + 1) // 2 + p, model.n_free)
    # the shared label v ties one parameter of each group: one fewer unique parameter
    assert model.ceq_basis.shape == (model.n_free, model.n_free - 1)
