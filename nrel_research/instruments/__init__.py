"""Survey instruments for the N-REL framework: item bank, builder and exporters.

The item bank lives once, in the bundled ``item_bank.yaml``; it is validated against
the framework (:func:`nrel_research.framework.load`) when loaded. Instruments for every
survey platform are generated from it:

- :func:`load_item_bank` -> :class:`ItemBank` (constructs, measurement models, items,
  scales, translations);
- :func:`build` -> :class:`Instrument` (blocks in framework order, skip logic,
  randomised batteries, :meth:`Instrument.data_dictionary`,
  :meth:`Instrument.table_schema`);
- :func:`export` writes XLSForm, LimeSurvey, Qualtrics, REDCap, HTML and Markdown files
  (see :mod:`.exporters`), checked by the validators in :mod:`.validators`.

Examples
--------
>>> from nrel_research import instruments
>>> bank = instruments.load_item_bank()
>>> len(bank.items_of("R1")), bank.construct("E7").framework_type
(3, 'action')
>>> inst = instruments.build(["E7"], randomize_within_blocks=False)
>>> inst
<Instrument: 5 questions in 3 blocks, languages en>
"""

from __future__ import annotations

import functools
from importlib import resources
from os import PathLike
from pathlib import Path

from .. import framework
from ._loader import parse_item_bank, read_item_bank_yaml
from .model import (
    Block,
    Choice,
    Condition,
    Construct,
    HigherOrder,
    Item,
    ItemBank,
    Language,
    Scale,
    SourceReference,
)

__all__ = [
    "FORMATS",
    "Block",
    "Choice",
    "Condition",
    "Construct",
    "HigherOrder",
    "Instrument",
    "Item",
    "ItemBank",
    "Language",
    "Scale",
    "SourceReference",
    "build",
    "default_path",
    "export",
    "load_item_bank",
    "validate_limesurvey",
    "validate_qualtrics",
    "validate_redcap",
    "validate_xlsform",
]


def default_path() -> Path:
    """Path of the item bank file bundled with the package."""
    return Path(str(resources.files(__package__).joinpath("item_bank.yaml")))


def load_item_bank(
    path: str | PathLike[str] | None = None,
    *,
    framework_path: str | PathLike[str] | None = None,
) -> ItemBank:
    """Load and validate the N-REL survey item bank.

    Parameters
    ----------
    path : str or path-like, optional
        An item bank YAML file with the layout of the bundled one (e.g. an edited copy).
        By default the bundled file is read (parsed once per session and cached).
    framework_path : str or path-like, optional
        The framework file to validate against; by default the bundled framework.

    Returns
    -------
    ItemBank

    Raises
    ------
    FrameworkError
        If the file cannot be read or breaks the schema: unknown construct, scale,
        language or reference; duplicate item ids; an item with no scale; a skip-logic
        reference to a missing item; a translation declared complete with missing
        texts. The message names the file, the entry and the field.

    Examples
    --------
    >>> from nrel_research import instruments
    >>> bank = instruments.load_item_bank()
    >>> [lang.code for lang in bank.languages]
    ['en', 'es', 'fa', 'el']
    """
    if path is None and framework_path is None:
        return _load_bundled()
    path = default_path() if path is None else Path(path)
    return parse_item_bank(read_item_bank_yaml(path), path, framework.load(framework_path))


@functools.cache
def _load_bundled() -> ItemBank:
    path = default_path()
    return parse_item_bank(read_item_bank_yaml(path), path, framework.load())


from .builder import Instrument, build  # noqa: E402  (needs load_item_bank above)
from .exporters import FORMATS, export  # noqa: E402
from .validators import (  # noqa: E402
    validate_limesurvey,
    validate_qualtrics,
    validate_redcap,
    validate_xlsform,
)
