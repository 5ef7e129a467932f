"""The bundled example posts and their codings (illustrative; not real posts).

- ``"illustrative"``: the illustrative corpus of brand posts in en/es/fa/el written for
  this toolkit, with simulated engagement, coded independently by two coders;
- ``"heldout"``: posts by a second author in deliberately different styles, for testing
  whether automatic coders generalise, coded independently by two further coders.

How they were made, and their limits, is documented in ``data/README.md``.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pandas as pd

from .._validation import check_choice
from ..exceptions import DataError
from .io import read_codings, read_posts

__all__ = ["consensus_codes", "example_codings", "example_path", "example_posts"]

_WHICH = ("illustrative", "heldout")


def example_path(which: str = "illustrative", kind: str = "posts") -> Path:
    """Return the path of a bundled example file (``kind`` = ``"posts"`` or ``"codings"``)."""
    which = check_choice(which, "which", _WHICH, error=DataError)
    kind = check_choice(kind, "kind", ("posts", "codings"), error=DataError)
    return Path(str(resources.files(__package__).joinpath("data", f"{which}_{kind}.csv")))


def example_posts(which: str = "illustrative") -> pd.DataFrame:
    """Return the bundled example posts (one row per post).

    Examples
    --------
    >>> from nrel_research.coding import example_posts
    >>> posts = example_posts()
    >>> sorted(posts.language.unique())
    ['el', 'en', 'es', 'fa']
    """
    return read_posts(example_path(which, "posts"))


def example_codings(which: str = "illustrative") -> pd.DataFrame:
    """Return the bundled independent codings (long: post_id, coder, code, secondary_code).

    Examples
    --------
    >>> from nrel_research.coding import example_codings
    >>> example_codings().coder.unique().tolist()
    ['coder_a', 'coder_b']
    """
    return read_codings(example_path(which, "codings"), secondary="secondary_code")


def consensus_codes(
    codes: pd.DataFrame,
    *,
    unit: str = "post_id",
    coder: str = "coder",
    code: str = "code",
    rule: str = "unanimous",
) -> pd.DataFrame:
    """Return one reference code per unit from several coders' codes.

    Parameters
    ----------
    codes : pandas.DataFrame
        Long-format codings.
    unit, coder, code : str
        Column names.
    rule : {"unanimous", "majority"}
        ``"unanimous"``: the code where every coder of the unit agrees, else missing
        (the unit needs adjudication); ``"majority"``: the most frequent code, missing on
        a tie.

    Returns
    -------
    pandas.DataFrame
        ``unit``, ``code``, ``n_coders`` and ``agreement`` (share of the unit's coders
        who gave the reference code).

    Examples
    --------
    >>> import pandas as pd
    >>> from nrel_research.coding import consensus_codes
    >>> long = pd.DataFrame({"post_id": [1, 1, 2, 2], "coder": ["a", "b"] * 2,
    ...                      "code": ["R1", "R1", "R2", "E4"]})
    >>> consensus_codes(long)[["post_id", "code"]].to_dict("records")
    [{'post_id': '1', 'code': 'R1'}, {'post_id': '2', 'code': nan}]
    """
    rule = check_choice(rule, "rule", ("unanimous", "majority"), error=DataError)
    data = read_codings(codes, unit=unit, coder=coder, code=code)
    data = data[data[code].notna()]
    rows = []
    for u, group in data.groupby(unit, sort=False):
        tally = group[code].value_counts()
        top = tally[tally == tally.max()]
        ok = len(tally) == 1 if rule == "unanimous" else len(top) == 1
        rows.append(
            {
                unit: u,
                code: top.index[0] if ok else None,
                "n_coders": len(group),
                "agreement": float(tally.iloc[0] / len(group)),
            }
        )
    return pd.DataFrame(rows, columns=[unit, code, "n_coders", "agreement"])
