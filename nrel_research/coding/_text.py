r"""Script-aware text normalisation shared by the dictionary and the supervised coder.

Both the dictionary patterns and the post texts go through :func:`normalize`, so a
pattern written with or without accents, or with either Arabic or Persian letter forms,
matches every spelling of the word:

- Unicode NFKC (presentation forms, full-width letters and ligatures become plain letters);
- combining marks removed after canonical decomposition: Greek tonos and dialytika,
  Spanish acute accents and tilde, Arabic-script harakat, hamza and madda above;
- Greek final sigma as sigma;
- Persian variants unified: Arabic kaf and yeh (and alef maksura) as Persian kaf and yeh,
  teh marbuta and the ae/heh-with-yeh forms as heh, tatweel and the zero-width
  (non-)joiners removed;
- Persian and Arabic-Indic digits as 0-9, the Arabic percent sign as ``%``.

Case is kept (patterns are matched case-insensitively), so regular expressions such as
``\S`` are not altered by normalising a pattern.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["normalize"]

_MARKS = re.compile(
    r"[\u0300-\u036f\u0483-\u0489\u0591-\u05c7\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed]"
)
_TABLE = str.maketrans(
    {
        "\u03c2": "\u03c3",  # Greek final sigma -> sigma
        "\u0643": "\u06a9",  # Arabic kaf -> Persian keheh
        "\u064a": "\u06cc",  # Arabic yeh -> Persian yeh
        "\u0649": "\u06cc",  # alef maksura -> Persian yeh
        "\u0629": "\u0647",  # teh marbuta -> heh
        "\u06c0": "\u0647",  # heh with yeh above -> heh
        "\u06d5": "\u0647",  # ae -> heh
        "\u06c1": "\u0647",  # heh goal -> heh
        "\u0671": "\u0627",  # alef wasla -> alef
        "\u0640": None,  # tatweel
        "\u200c": None,  # zero-width non-joiner
        "\u200d": None,  # zero-width joiner
        "\u200f": None,  # right-to-left mark
        "\u200e": None,  # left-to-right mark
        "\u066a": "%",  # Arabic percent sign
        **{chr(0x06F0 + i): str(i) for i in range(10)},  # Persian digits
        **{chr(0x0660 + i): str(i) for i in range(10)},  # Arabic-Indic digits
    }
)

_MAPPED = re.compile("[" + "".join(re.escape(chr(c)) for c in _TABLE) + "]")


def normalize(text: str) -> str:
    """Normalise ``text`` for matching across accents and Arabic/Persian script variants.

    Parameters
    ----------
    text : str
        Any text (a post or a dictionary pattern).

    Returns
    -------
    str
        The normalised text; case is preserved.

    Examples
    --------
    >>> normalize("Προσφορά ΕΚΠΤΩΣΕΙΣ τέλος")
    'Προσφορα ΕΚΠΤΩΣΕΙΣ τελοσ'
    >>> normalize("Promoción de año nuevo")
    'Promocion de ano nuevo'
    >>> normalize("نظر" + chr(0x200C) + "سنجي") == "نظرسنجی"  # ZWNJ, Arabic yeh
    True
    >>> normalize("۲۰٪ تخفيف")
    '20% تخفیف'
    """
    if text.isascii():  # nothing to normalise (fast path for most English posts)
        return text
    text = unicodedata.normalize("NFD", unicodedata.normalize("NFKC", text))
    text = _MARKS.sub("", text)
    if _MAPPED.search(text):
        text = text.translate(_TABLE)
    return unicodedata.normalize("NFC", text)
