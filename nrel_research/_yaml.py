"""Strict reading of the package's YAML data files (framework, item bank, codebook).

One reader for every data file, so that all of them fail the same way: a missing or
unreadable file, a file that is not UTF-8, invalid YAML, or a key written twice in one
mapping (which plain YAML silently resolves by keeping the last one) raises a
:class:`~nrel_research.exceptions.FrameworkError` naming the file and the line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from .exceptions import FrameworkError

__all__ = ["read_data_yaml"]


class _UniqueKeyLoader(yaml.SafeLoader):
    """A safe YAML loader that rejects duplicate keys instead of keeping the last one."""


def _construct_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False):
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        line = key_node.start_mark.line + 1
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"duplicate key {key!r} (first at line {seen[key]}); keep only one",
                key_node.start_mark,
            )
        seen[key] = line
    return loader.construct_mapping(node, deep=deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def read_data_yaml(path: Path, kind: str) -> Any:
    """Parse a YAML data file strictly.

    Parameters
    ----------
    path : pathlib.Path
        The file.
    kind : str
        What the file is, for messages (e.g. ``"framework file"``).

    Returns
    -------
    object
        The parsed document.

    Raises
    ------
    FrameworkError
        If the file cannot be read, is not UTF-8, is not valid YAML or repeats a key.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "x.yaml"
    >>> _ = p.write_text("a: 1" + chr(10) + "a: 2" + chr(10), encoding="utf-8")
    >>> try:
    ...     read_data_yaml(p, "test file")
    ... except FrameworkError as exc:
    ...     print("duplicate key 'a' (first at line 1)" in str(exc))
    True
    """
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise FrameworkError(
            f"{kind} '{path}' is not UTF-8 (byte {exc.start}); save it as UTF-8."
        ) from exc
    except OSError as exc:
        raise FrameworkError(f"cannot read {kind} '{path}': {exc.strerror}.") from exc
    try:
        return yaml.load(text, Loader=_UniqueKeyLoader)  # a SafeLoader subclass
    except yaml.YAMLError as exc:
        raise FrameworkError(
            f"{kind} '{path}' is not valid YAML: {exc}. Fix the line shown."
        ) from exc
