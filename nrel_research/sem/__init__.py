"""Structural equation modelling with lavaan syntax and lavaan's numbers.

A generic engine (it knows nothing of N-REL): :func:`fit` estimates CFA/SEM models written in
lavaan syntax by normal-theory maximum likelihood (listwise or FIML with missing values; ML or
robust MLR; one or several groups), or with ordered (Likert) indicators by lavaan's two-step
WLSMV/WLSM/DWLS/ULSMV (``fit(..., ordered=True)``), and returns a :class:`SEMResult` with
``estimates()``, ``fit_measures()``, ``modification_indices()``, ``implied_cov()`` and
``summary()``;
:func:`invariance` runs the configural -> metric -> scalar -> strict sequence (lavaan's
``group_equal``) with difference tests and Chen's (2007) cut-offs, :func:`partial_invariance`
searches for the constraints to free and :func:`compare_paths` tests equal paths across groups;
:func:`standardized_solution` adds delta-method SEs of the standardized solution;
:func:`lrt` compares nested fits (lavaan's ``lavTestLRT``), :func:`score_test` and
:func:`wald_test` test equality constraints (``lavTestScore``/``lavTestWald``);
:func:`reliability`, :func:`htmt` and :func:`fornell_larcker` assess a measurement model and
:func:`plot_path_diagram` draws it; :func:`polychoric` estimates polychoric/polyserial
correlations of ordered items with thresholds and their asymptotic covariance (lavaan's
``lavCor``). Numbers are checked against lavaan 0.6.14 and semTools 0.5-6
(``tests/reference/sem_ml.R``, ``sem_missing_robust.R``, ``sem_integrate.R``,
``sem_groups.R``, ``sem_groups_robust.R``, ``sem_group_equal.R``, ``sem_score_wald.R``,
``sem_standardized.R``, ``validity.R``, ``sem_ordinal_stats.R``, ``sem_ordinal.R``).

Examples
--------
>>> from nrel_research import sem
>>> from nrel_research.datasets import load_dataset
>>> pd_data = load_dataset("political_democracy")
>>> res = sem.fit('''
...     ind60 =~ x1 + x2 + x3
...     dem60 =~ y1 + y2 + y3 + y4
...     dem60 ~ ind60
... ''', pd_data)
>>> res.converged
True
>>> float(round(res.fit_measures()["cfi"], 3))
0.972
"""

from .api import fit
from .compare import lrt
from .group_tests import compare_paths, partial_invariance
from .invariance import INVARIANCE_LEVELS, invariance
from .measurement import fornell_larcker, htmt, reliability
from .model import Model
from .plot import plot_path_diagram
from .polychoric import PolychoricResult, polychoric
from .result import SEMResult
from .score import ScoreTestResult, score_test, wald_test
from .standardize import standardized_solution
from .syntax import ParTable, parse_model

__all__ = [
    "INVARIANCE_LEVELS",
    "Model",
    "ParTable",
    "PolychoricResult",
    "SEMResult",
    "ScoreTestResult",
    "compare_paths",
    "fit",
    "fornell_larcker",
    "htmt",
    "invariance",
    "lrt",
    "parse_model",
    "partial_invariance",
    "plot_path_diagram",
    "polychoric",
    "reliability",
    "score_test",
    "standardized_solution",
    "wald_test",
]
