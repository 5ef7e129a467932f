"""Input-validation helpers used by every module (one place, one message style).

Each helper either returns the validated (possibly normalised) value or raises a
subclass of :class:`~nrel_research.exceptions.NrelError` whose message names what was
wrong, where (file, row, column) and how to fix it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from .exceptions import DataError, FrameworkError, NrelError

__all__ = [
    "check_choice",
    "check_columns",
    "check_positive_int",
    "check_rng",
    "locate",
]


def locate(
    *,
    file: object | None = None,
    row: object | None = None,
    column: object | None = None,
    value: object = None,
    has_value: bool = False,
) -> str:
    """Format where a problem is, e.g. ``"file 'x.csv', row 3, column 'age', value -1"``.

    Parameters
    ----------
    file, row, column : object, optional
        Parts of the location; the ones that are ``None`` are left out.
    value : object, optional
        The offending value, shown with :func:`repr` when ``has_value`` is true.
    has_value : bool, default False
        Whether ``value`` should be shown (so that ``None`` itself can be reported).

    Returns
    -------
    str
        The location, or ``""`` if nothing was given.

    Examples
    --------
    >>> locate(file="responses.csv", row=3, column="age", value=-1, has_value=True)
    "file 'responses.csv', row 3, column 'age', value -1"
    """
    parts = []
    if file is not None:
        parts.append(f"file '{file}'")
    if row is not None:
        parts.append(f"row {row}")
    if column is not None:
        parts.append(f"column '{column}'")
    if has_value:
        parts.append(f"value {value!r}")
    return ", ".join(parts)


def check_choice(
    value: Any,
    name: str,
    options: Iterable[Any],
    *,
    error: type[NrelError] = NrelError,
    normalize: bool = False,
) -> Any:
    """Check that ``value`` is one of ``options``.

    Parameters
    ----------
    value : object
        The value given by the user.
    name : str
        The argument or field name, used in the message.
    options : iterable
        The allowed values.
    error : type, default NrelError
        The exception class to raise (a subclass of :class:`NrelError`).
    normalize : bool, default False
        If true and ``value`` is a string, compare case-insensitively after stripping
        white space, and return the matching option as spelled in ``options``.

    Returns
    -------
    object
        The matching option.

    Raises
    ------
    NrelError
        If ``value`` is not one of ``options``; the message lists the valid values.

    Examples
    --------
    >>> check_choice("ml", "estimator", ["ML", "MLR"], normalize=True)
    'ML'
    """
    opts = list(options)
    if normalize and isinstance(value, str):
        key = value.strip().casefold()
        for opt in opts:
            if isinstance(opt, str) and opt.casefold() == key:
                return opt
    elif value in opts:
        return value
    valid = ", ".join(repr(o) for o in opts)
    raise error(f"{name}={value!r} is not valid; use one of: {valid}.")


def check_columns(
    data: Any,
    columns: Sequence[str],
    *,
    data_name: str = "data",
) -> None:
    """Check that a DataFrame has all ``columns``.

    Parameters
    ----------
    data : pandas.DataFrame
        The data set.
    columns : sequence of str
        Required column names.
    data_name : str, default "data"
        How to call the data set in the message (e.g. its file name).

    Raises
    ------
    DataError
        If ``data`` is not a DataFrame or lacks columns; the message lists the missing
        and the available columns and how to rename.
    """
    import pandas as pd

    if not isinstance(data, pd.DataFrame):
        raise DataError(
            f"{data_name} must be a pandas DataFrame, got {type(data).__name__}; "
            "convert it with pandas.DataFrame(...) first."
        )
    missing = [c for c in columns if c not in data.columns]
    if missing:
        available = ", ".join(map(str, data.columns[:30]))
        more = " ..." if len(data.columns) > 30 else ""
        raise DataError(
            f"{data_name} lacks column(s) {', '.join(map(repr, missing))}; available: "
            f"{available}{more}. Rename with data.rename(columns={{'old': 'new'}})."
        )


def check_positive_int(value: Any, name: str, *, minimum: int = 1) -> int:
    """Check that ``value`` is an integer >= ``minimum`` and return it as ``int``.

    Examples
    --------
    >>> check_positive_int(1000, "bootstrap")
    1000
    """
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        raise NrelError(f"{name}={value!r} is not valid; use a whole number >= {minimum}.")
    return int(value)


def check_rng(seed: Any, name: str = "seed") -> np.random.Generator:
    """Turn ``seed`` into a local :class:`numpy.random.Generator` (never the global state).

    Parameters
    ----------
    seed : int, numpy.random.Generator or None
        A non-negative integer seed, an existing generator (used as is), or ``None``
        for fresh entropy (results then differ between runs).
    name : str, default "seed"
        The argument name, used in the message.

    Returns
    -------
    numpy.random.Generator

    Examples
    --------
    >>> check_rng(42).integers(0, 100, 3).tolist() == check_rng(42).integers(0, 100, 3).tolist()
    True
    """
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None:
        return np.random.default_rng()
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise NrelError(
            f"{name}={seed!r} is not valid; pass a non-negative integer (e.g. {name}=2016) "
            "or a numpy.random.Generator."
        )
    return np.random.default_rng(int(seed))


def lookup(items: Iterable[Any], attr: str, key: Any, what: str, *, casefold: bool = False):
    """Return the item whose ``attr`` equals ``key``, or raise a :class:`FrameworkError`.

    The message lists the valid values. With ``casefold=True`` the comparison ignores case
    and surrounding white space (framework codes such as ``"e7"``).

    Examples
    --------
    >>> from types import SimpleNamespace as NS
    >>> lookup([NS(code="R1"), NS(code="E7")], "code", "e7", "action code", casefold=True).code
    'E7'
    """
    items = list(items)
    if isinstance(key, str):
        wanted = key.strip().casefold() if casefold else key
        for item in items:
            value = getattr(item, attr)
            if (value.casefold() if casefold else value) == wanted:
                return item
    valid = ", ".join(getattr(i, attr) for i in items)
    raise FrameworkError(f"unknown {what} {key!r}; valid: {valid}.")
