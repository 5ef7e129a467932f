"""The N-REL framework as data: categories, action types, network, propositions.

The taxonomy lives once, in the bundled ``nrel_framework.yaml``; everything else in the
toolkit (item bank, codebook, instruments, notebooks) reads it through :func:`load`.

Source: Ananda, A. S., Hernández-García, Á., & Lamberti, L. (2016). N-REL: A
comprehensive framework of social media marketing strategic actions for marketing
organizations. *Journal of Innovation & Knowledge*, 1(3), 170-180.
https://doi.org/10.1016/j.jik.2016.01.003

Examples
--------
>>> import nrel_research as nr
>>> fw = nr.framework.load()
>>> fw.codes
('R1', 'R2', 'E1', 'E2', 'E3', 'E4', 'E5', 'E6', 'E7', 'L1')
>>> fw.action("e7").name
'Suppliers & business partners'
"""

from __future__ import annotations

import functools
from importlib import resources
from os import PathLike
from pathlib import Path

from ._loader import parse, read_yaml
from .figure import draw_framework
from .model import (
    ActionType,
    Approach,
    Category,
    Construct,
    DecisionArea,
    Framework,
    NetworkDimension,
    NetworkMeasure,
    Process,
    Proposition,
    Reference,
    SpanningActivity,
)

__all__ = [
    "ActionType",
    "Approach",
    "Category",
    "Construct",
    "DecisionArea",
    "Framework",
    "NetworkDimension",
    "NetworkMeasure",
    "Process",
    "Proposition",
    "Reference",
    "SpanningActivity",
    "default_path",
    "draw_framework",
    "load",
]


def default_path() -> Path:
    """Path of the framework data file bundled with the package."""
    return Path(str(resources.files(__package__).joinpath("nrel_framework.yaml")))


def load(path: str | PathLike[str] | None = None) -> Framework:
    """Load and validate the N-REL framework.

    Parameters
    ----------
    path : str or path-like, optional
        A framework YAML file with the same layout as the bundled one (e.g. an edited
        copy), read afresh on every call. By default the bundled file is read; it is
        parsed once per session and cached, which is safe because :class:`Framework` is
        immutable.

    Returns
    -------
    Framework
        The validated framework.

    Raises
    ------
    FrameworkError
        If the file cannot be read, is not valid YAML, or breaks the schema (duplicate
        codes or keys, unknown categories or references, missing required fields). The
        message names the file, the entry and the field.

    Examples
    --------
    >>> from nrel_research import framework
    >>> fw = framework.load()
    >>> len(fw.actions), len(fw.categories), len(fw.propositions)
    (10, 3, 8)
    """
    if path is None:
        return _load_bundled()
    path = Path(path)
    return parse(read_yaml(path), path)


@functools.cache
def _load_bundled() -> Framework:
    path = default_path()
    return parse(read_yaml(path), path)
