"""Exceptions and warnings shared by every module of :mod:`nrel_research`.

Every error the package raises on bad input derives from :class:`NrelError`, which is
a :class:`ValueError`, so ``except ValueError`` keeps working for callers who do not
know the package. Messages name the offending file, row, column or value and say how
to fix the problem.

Every warning derives from :class:`NrelWarning`. Non-convergence and improper
solutions are never silent: they are raised as (or recorded as) these warnings.
"""

from __future__ import annotations

__all__ = [
    "ConvergenceWarning",
    "DataError",
    "DataQualityWarning",
    "FrameworkError",
    "ImproperSolutionWarning",
    "NrelError",
    "NrelWarning",
    "SpecificationError",
    "SurveyFormatError",
    "TranslationWarning",
    "WeakIdentificationWarning",
]


class NrelError(ValueError):
    """Base class of every error raised by :mod:`nrel_research` on bad input."""


class FrameworkError(NrelError):
    """A framework, item-bank or codebook data file is malformed, or a code is unknown."""


class SpecificationError(NrelError):
    """A model specification (e.g. lavaan syntax) cannot be parsed or is inconsistent."""


class DataError(NrelError):
    """A data set does not match what the analysis or the data dictionary requires."""


class SurveyFormatError(NrelError):
    """An exported survey file breaks the structural rules of its format."""


class NrelWarning(UserWarning):
    """Base class of every warning issued by :mod:`nrel_research`."""


class ConvergenceWarning(NrelWarning):
    """An iterative estimator stopped before meeting its convergence criterion."""


class ImproperSolutionWarning(NrelWarning):
    """A solution is improper: negative variances, or a non-positive-definite matrix."""


class DataQualityWarning(NrelWarning):
    """The data are usable but something deserves the researcher's attention."""


class TranslationWarning(NrelWarning):
    """A survey uses a draft translation, or a translation lacks some texts."""


class WeakIdentificationWarning(NrelWarning):
    """An estimate rests on a weakly identified model.

    For example a Gaussian copula control function for a regressor that is close to
    normally distributed.
    """
