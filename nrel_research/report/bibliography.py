"""One bibliography for everything the package cites, as a table and as BibTeX.

Works are recorded once, as data: the framework's references (``framework/nrel_framework.yaml``),
the item bank's sources (``instruments/item_bank.yaml``; free-text citations) and the methods
and data references of this module's ``references.yaml`` (structured like the framework's
references; an entry there with an item-bank key gives that source's structured form). The
codebook cites no works of its own (its codes come from the framework file). Every entry
carries ``verified``: true only when its details were checked against the publisher's or an
indexing service's record; unverified entries must be checked before a manuscript cites them.

:func:`references` lists every work with its ``source`` and ``verified`` flag; :func:`to_bibtex`
writes valid BibTeX (LaTeX specials escaped, capitals in sentence-case titles protected) and
:func:`write_bibtex` the ``papers/references.bib`` of the repository. :func:`find_citations`
finds author-year citations in text ("Fornell & Larcker, 1981", "Henseler et al. (2015)",
reference-list entries "Cronbach, L. J. (1951)") and :func:`resolve_citation` maps one to its
key; the test suite uses both to check that every citation in the package has an entry.
In-text citations and reference-list entries follow the APA Publication Manual
(American Psychological Association, 2020, chapters 8 and 9).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path

import pandas as pd

from .._yaml import read_data_yaml
from ..exceptions import FrameworkError, NrelError

__all__ = [
    "NOT_A_WORK",
    "REFERENCES_FILE",
    "BibEntry",
    "bib_entries",
    "cite",
    "find_citations",
    "load_references",
    "references",
    "resolve_citation",
    "to_bibtex",
    "write_bibtex",
]

#: The methods and data references of the package (structured; see its header comment).
REFERENCES_FILE = Path(__file__).with_name("references.yaml")

#: Item-bank reference keys that mark the absence of a published source, with the reason.
NOT_A_WORK = {
    "this_project": "marks items written for the toolkit itself; there is no published source",
}

_TYPES = ("article", "book", "incollection", "manual", "software", "misc")
_REQUIRED = {
    "article": ("journal",),
    "book": ("publisher",),
    "incollection": ("booktitle", "publisher"),
    "manual": (),
    "software": (),
    "misc": (),
}
_TEXT_FIELDS = (
    "journal",
    "booktitle",
    "publisher",
    "edition",
    "volume",
    "issue",
    "pages",
    "doi",
    "url",
    "note",
    "verified_source",
    "year_suffix",
)
_KNOWN = {"key", "type", "authors", "year", "title", "editors", "verified", *_TEXT_FIELDS}
_KEY = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True, slots=True)
class BibEntry:
    """One work: bibliographic fields, where the package records it, and ``verified``.

    ``authors`` are ``"Surname, I. I."``; a corporate author is one name without a comma.
    ``source`` names the data files that cite the work (``"framework"``, ``"item_bank"``,
    ``"methods"``; several joined by ``", "``).
    """

    key: str
    type: str
    authors: tuple[str, ...]
    year: int
    title: str
    verified: bool
    source: str = "methods"
    journal: str = ""
    booktitle: str = ""
    editors: tuple[str, ...] = ()
    publisher: str = ""
    edition: str = ""
    volume: str = ""
    issue: str = ""
    pages: str = ""
    doi: str = ""
    url: str = ""
    note: str = ""
    verified_source: str = ""
    year_suffix: str = ""
    citation: str = field(default="", compare=False)

    @property
    def surnames(self) -> tuple[str, ...]:
        """Surnames of the authors (a corporate author's whole name)."""
        return tuple(a.split(",")[0].strip() for a in self.authors)

    @property
    def year_label(self) -> str:
        """The year as cited, with its letter when one author has two works that year."""
        return f"{self.year}{self.year_suffix}"

    def in_text(self, narrative: bool = False) -> str:
        """APA in-text citation: ``Surname, 2001`` or, narrative, ``Surname (2001)``.

        Examples
        --------
        >>> e = bib_entries()["fornell_larcker1981"]
        >>> e.in_text(), e.in_text(narrative=True)
        ('Fornell & Larcker, 1981', 'Fornell and Larcker (1981)')
        >>> bib_entries()["henseler2015"].in_text()
        'Henseler et al., 2015'
        """
        s = self.surnames
        amp = " and " if narrative else " & "
        who = s[0] if len(s) == 1 else (s[0] + amp + s[1] if len(s) == 2 else s[0] + " et al.")
        return f"{who} ({self.year_label})" if narrative else f"{who}, {self.year_label}"

    def apa(self, markup: str = "markdown") -> str:
        """Format the APA 7 reference-list entry (``markup``: markdown, latex or text).

        Examples
        --------
        >>> print(bib_entries()["fornell_larcker1981"].apa())  # doctest: +NORMALIZE_WHITESPACE
        Fornell, C., & Larcker, D. F. (1981). Evaluating structural equation models with
        unobservable variables and measurement error. *Journal of Marketing Research*,
        *18*(1), 39\u201350. https://doi.org/10.1177/002224378101800104
        """
        if markup not in ("markdown", "latex", "text"):
            raise NrelError(f"markup={markup!r} is not valid; use 'markdown', 'latex' or 'text'.")
        esc = latex_escape if markup == "latex" else (lambda s: s)

        def it(s: str) -> str:
            if markup == "markdown":
                return f"*{s}*"
            if markup == "latex":
                return "\\emph{" + s + "}"
            return s

        def link(u: str) -> str:
            return "\\url{" + _url_escape(u) + "}" if markup == "latex" else u

        if self.citation and not self.title:  # a free-text citation only
            return esc(self.citation)
        who = _apa_authors(self.authors)
        who += "" if who.endswith(".") else "."
        parts = [esc(who) + f" ({self.year_label})."]
        title = esc(self.title)
        ed = f" ({_ordinal(self.edition)} ed.)" if self.edition else ""
        end = "" if title.endswith(("?", "!", ".")) else "."
        if self.type == "article":
            parts.append(title + end)
            src = it(esc(self.journal))
            if self.volume:
                src += ", " + it(esc(self.volume))
                if self.issue:
                    src += f"({esc(self.issue)})"
            if self.pages:
                src += ", " + esc(self.pages)
            parts.append(src + ".")
        elif self.type == "incollection":
            parts.append(title + end)
            eds = _editor_names(self.editors)
            pp = f" (pp. {esc(self.pages)})" if self.pages else ""
            lead = f"In {esc(eds)} (Ed{'s' if len(self.editors) > 1 else ''}.), " if eds else "In "
            parts.append(lead + it(esc(self.booktitle)) + pp + ".")
            parts.append(esc(self.publisher) + ".")
        else:
            note = (
                f" [{esc(self.note)}]" if self.note and self.type in ("software", "manual") else ""
            )
            parts.append(it(title) + ed + note + ".")
            if self.note and self.type not in ("software", "manual"):
                parts.append(esc(self.note) + ".")
            if self.publisher and self.publisher not in self.authors:
                parts.append(esc(self.publisher) + ".")
        if self.doi:
            parts.append(link("https://doi.org/" + self.doi))
        elif self.url:
            parts.append(link(self.url))
        return " ".join(parts)


def _apa_authors(authors: Iterable[str]) -> str:
    a = list(authors)
    if len(a) == 1:
        return a[0]
    if len(a) <= 20:
        return ", ".join(a[:-1]) + ", & " + a[-1]
    return ", ".join(a[:19]) + ", . . . " + a[-1]


def _editor_names(editors: Iterable[str]) -> str:
    """``"Surname, I. I."`` -> ``"I. I. Surname"``, joined APA style."""
    names = []
    for e in editors:
        sur, _, ini = e.partition(",")
        names.append(f"{ini.strip()} {sur.strip()}".strip())
    if len(names) <= 2:
        return " & ".join(names)
    return ", ".join(names[:-1]) + ", & " + names[-1]


def _ordinal(edition: str) -> str:
    if not edition.isdigit():
        return edition
    n = int(edition)
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


# -- loading --------------------------------------------------------------------------------


def _as_text(value, where: str, name: str) -> str:
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise FrameworkError(f"{where}: field {name!r} must be text, got {value!r}.")
    return str(value).strip()


def load_references(path: str | Path | None = None) -> tuple[BibEntry, ...]:
    """Read and check the methods references file (``references.yaml``).

    Parameters
    ----------
    path : str or Path, optional
        Another copy of the file (default :data:`REFERENCES_FILE`).

    Returns
    -------
    tuple of BibEntry
        In file order, ``source="methods"``.

    Raises
    ------
    FrameworkError
        Naming the file, the entry (index and key) and the field: unknown or missing fields,
        an unknown ``type``, a key that is not lower-case snake case or is repeated, a year
        that is not a four-digit integer, ``verified`` that is not true/false, authors not
        written ``"Surname, I."`` (or one corporate name).

    Examples
    --------
    >>> refs = load_references()
    >>> next(r for r in refs if r.key == "rosseel2012").journal
    'Journal of Statistical Software'
    """
    path = Path(path) if path is not None else REFERENCES_FILE
    doc = read_data_yaml(path, "references file")
    if not isinstance(doc, dict) or not isinstance(doc.get("references"), list):
        raise FrameworkError(
            f"references file '{path}' must be a mapping with a list under 'references'."
        )
    out: list[BibEntry] = []
    seen: dict[str, int] = {}
    for i, raw in enumerate(doc["references"]):
        where = f"references file '{path}', entry {i}"
        if not isinstance(raw, dict):
            raise FrameworkError(f"{where} must be a mapping of fields, got {raw!r}.")
        key = raw.get("key")
        if not isinstance(key, str) or not _KEY.match(key):
            raise FrameworkError(
                f"{where}: key {key!r} must be lower-case letters, digits and underscores "
                "(e.g. 'fornell_larcker1981')."
            )
        where += f" ({key})"
        if key in seen:
            raise FrameworkError(f"{where}: key {key!r} repeats entry {seen[key]}; keep one.")
        seen[key] = i
        unknown = sorted(set(raw) - _KNOWN)
        if unknown:
            raise FrameworkError(
                f"{where}: unknown field(s) {', '.join(unknown)}; allowed: "
                f"{', '.join(sorted(_KNOWN))}."
            )
        kind = raw.get("type")
        if kind not in _TYPES:
            raise FrameworkError(f"{where}: type {kind!r} is not one of {', '.join(_TYPES)}.")
        for name in ("authors", "year", "title", "verified", *_REQUIRED[kind]):
            if raw.get(name) in (None, "", []):
                raise FrameworkError(f"{where}: field {name!r} is missing or empty.")
        authors = raw["authors"]
        if not isinstance(authors, list) or not all(isinstance(a, str) for a in authors):
            raise FrameworkError(f"{where}: authors must be a list of 'Surname, I.' strings.")
        for a in authors:
            if a.count(",") > 1 or ("," in a and not re.search(r",\s*\S", a)):
                raise FrameworkError(
                    f"{where}: author {a!r} must be written 'Surname, I. I.' (one comma) or "
                    "as one corporate name without a comma."
                )
        year = raw["year"]
        if isinstance(year, bool) or not isinstance(year, int) or not 1000 <= year <= 2999:
            raise FrameworkError(f"{where}: year {year!r} must be a four-digit integer.")
        if not isinstance(raw["verified"], bool):
            raise FrameworkError(f"{where}: verified {raw['verified']!r} must be true or false.")
        editors = raw.get("editors") or []
        if not isinstance(editors, list) or not all(isinstance(e, str) for e in editors):
            raise FrameworkError(f"{where}: editors must be a list of 'Surname, I.' strings.")
        text = {n: _as_text(raw.get(n), where, n) for n in _TEXT_FIELDS}
        if text["year_suffix"] and not re.fullmatch(r"[a-z]", text["year_suffix"]):
            raise FrameworkError(f"{where}: year_suffix must be one letter a-z.")
        if raw["verified"] and not text["verified_source"]:
            raise FrameworkError(
                f"{where}: verified is true but verified_source is empty; say where the "
                "details were checked (or set verified: false)."
            )
        out.append(
            BibEntry(
                key=key,
                type=kind,
                authors=tuple(a.strip() for a in authors),
                year=year,
                title=_as_text(raw["title"], where, "title"),
                verified=raw["verified"],
                editors=tuple(e.strip() for e in editors),
                **text,
            )
        )
    return tuple(out)


_FREE = re.compile(r"^(?P<authors>.+?)\s*\((?P<year>\d{4})(?P<suffix>[a-z]?)\)\.\s*(?P<rest>.*)$")


def _from_free_text(key: str, citation: str, verified: bool) -> BibEntry:
    """Build a @misc entry from an APA-like free-text citation (authors, year, title parsed)."""
    m = _FREE.match(citation.strip())
    if not m:
        raise FrameworkError(
            f"item-bank reference {key!r}: cannot find 'Authors (Year). Title.' in its "
            f"citation {citation!r}; write it APA style or add a structured entry with key "
            f"{key!r} to {REFERENCES_FILE.name}."
        )
    names = re.findall(r"([^,&]+?,\s*(?:[A-ZÀ-Þ][a-z]?\.[\s\-]*)+)", m["authors"])
    authors = tuple(n.strip().rstrip(",") for n in names) or (m["authors"].strip(),)
    title = re.split(r"(?<=[^A-Z]\.)\s", m["rest"], maxsplit=1)[0].rstrip(".")
    return BibEntry(
        key=key,
        type="misc",
        authors=authors,
        year=int(m["year"]),
        year_suffix=m["suffix"],
        title=title,
        verified=verified,
        note=citation.strip(),
        citation=citation.strip(),
        source="item_bank",
    )


@lru_cache(maxsize=4)
def _all_entries(path: str | None) -> dict[str, BibEntry]:
    from ..framework import load as load_framework
    from ..instruments import load_item_bank

    entries: dict[str, BibEntry] = {}
    for r in load_framework().references:
        entries[r.key] = BibEntry(
            key=r.key,
            type="article",
            authors=tuple(r.authors),
            year=int(r.year),
            title=r.title,
            journal=r.journal,
            volume=str(r.volume or ""),
            issue=str(r.issue or ""),
            pages=str(r.pages or ""),
            doi=str(r.doi or ""),
            verified=bool(r.verified),
            verified_source="framework file" if r.verified else "",
            source="framework",
        )
    methods = {e.key: e for e in load_references(path)}
    clash = sorted(set(methods) & set(entries))
    if clash:
        raise FrameworkError(
            f"references file '{path or REFERENCES_FILE}' repeats framework reference key(s) "
            f"{', '.join(clash)}; the framework file is their single source: remove them."
        )
    bank = load_item_bank()
    item_sources = {it.source for it in bank.items}
    for ref in bank.references:
        if ref.key in NOT_A_WORK:
            continue
        if ref.key in entries:  # the item bank lists the framework's references too
            if ref.key in item_sources:
                entries[ref.key] = replace(entries[ref.key], source="framework, item_bank")
        elif ref.key in methods:
            methods[ref.key] = replace(
                methods[ref.key], source="item_bank, methods", citation=ref.citation
            )
        else:
            entries[ref.key] = _from_free_text(ref.key, ref.citation, ref.verified)
    entries.update(methods)
    return dict(sorted(entries.items(), key=lambda kv: _sort_key(kv[1])))


def _sort_key(e: BibEntry):
    return (e.surnames[0].casefold(), e.year, e.year_suffix, e.key)


def bib_entries(path: str | Path | None = None) -> dict[str, BibEntry]:
    """Every work the package cites, by key, in reference-list order (surname, year).

    Parameters
    ----------
    path : str or Path, optional
        Another copy of the methods references file (default :data:`REFERENCES_FILE`).

    Examples
    --------
    >>> e = bib_entries()
    >>> e["ananda2016"].source, e["williams2010"].source
    ('framework, item_bank', 'item_bank, methods')
    """
    return dict(_all_entries(None if path is None else str(path)))


def references(path: str | Path | None = None) -> pd.DataFrame:
    """Every work the package cites, one row each, de-duplicated by key.

    Parameters
    ----------
    path : str or Path, optional
        Another copy of the methods references file.

    Returns
    -------
    pandas.DataFrame
        ``key, type, authors`` (``"; "``-joined), ``year, title, container`` (journal, book
        or publisher), ``volume, issue, pages, doi, url, source`` (``framework``,
        ``item_bank``, ``methods``, or several) and ``verified``, in reference-list order.

    Examples
    --------
    >>> refs = references()
    >>> refs.loc[refs.key == "ananda2016", ["year", "source", "verified"]].to_numpy().tolist()
    [[2016, 'framework, item_bank', True]]
    >>> bool(refs.key.is_unique)
    True
    """
    rows = []
    for e in bib_entries(path).values():
        rows.append(
            {
                "key": e.key,
                "type": e.type,
                "authors": "; ".join(e.authors),
                "year": e.year,
                "title": e.title,
                "container": e.journal or e.booktitle or e.publisher,
                "volume": e.volume,
                "issue": e.issue,
                "pages": e.pages,
                "doi": e.doi,
                "url": e.url,
                "source": e.source,
                "verified": e.verified,
            }
        )
    return pd.DataFrame(rows)


# -- BibTeX -----------------------------------------------------------------------------------

_LATEX_SPECIALS = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "\u2013": "--",  # en dash
    "\u2014": "---",  # em dash
    "\u2212": "-",  # minus sign
    "“": "``",
    "”": "''",
    "\u2018": "`",
    "\u2019": "'",
    "→": r"$\rightarrow$",
    "←": r"$\leftarrow$",
    "≥": r"$\geq$",
    "≤": r"$\leq$",
    "\u00d7": r"$\times$",
    "±": r"$\pm$",
    "≈": r"$\approx$",
    "…": r"\ldots{}",
    "²": r"\textsuperscript{2}",
    "\u03b1": r"$\alpha$",
    "β": r"$\beta$",
    "χ": r"$\chi$",
    "λ": r"$\lambda$",
    "ω": r"$\omega$",
    "Δ": r"$\Delta$",
    "\u03c1": r"$\rho$",
    "\u03c3": r"$\sigma$",
    "μ": r"$\mu$",
    "ψ": r"$\psi$",
    "θ": r"$\theta$",
    "\u00a0": "~",
}
_LATEX_RE = re.compile("|".join(re.escape(k) for k in _LATEX_SPECIALS))


def latex_escape(text: str) -> str:
    r"""Escape LaTeX special characters (and map common Unicode symbols) in plain text.

    Examples
    --------
    >>> print(latex_escape("R&D: 50% of $ on x_1 {a} ~ b^2, beta " + chr(0x2265) + " .70"))
    R\&D: 50\% of \$ on x\_1 \{a\} \textasciitilde{} b\textasciicircum{}2, beta $\geq$ .70
    """
    return _LATEX_RE.sub(lambda m: _LATEX_SPECIALS[m.group(0)], str(text))


def _url_escape(url: str) -> str:
    # \url{} takes its argument verbatim except for %, # and unbalanced braces.
    return url.replace("%", r"\%").replace("#", r"\#")


def _protect_capitals(title: str) -> str:
    """Brace every word with a capital letter so BibTeX styles keep it (sentence-case titles)."""
    out = []
    for word in re.split(r"(\s+)", title):
        out.append("{" + word + "}" if re.search(r"[A-ZÀ-Þ\u0100-\u017f]", word) else word)
    return "".join(out)


def _bib_name(author: str) -> str:
    return author if "," in author else "{" + author + "}"


def _bib_fields(e: BibEntry) -> list[tuple[str, str]]:
    esc = latex_escape
    f: list[tuple[str, str]] = [
        ("author", " and ".join(_bib_name(esc(a)) for a in e.authors)),
        ("title", _protect_capitals(esc(e.title))),
    ]
    if e.type == "article":
        f.append(("journal", esc(e.journal)))
    if e.type == "incollection":
        f.append(("booktitle", _protect_capitals(esc(e.booktitle))))
        if e.editors:
            f.append(("editor", " and ".join(esc(x) for x in e.editors)))
    f.append(("year", e.year_label))
    if e.edition:
        f.append(("edition", _ordinal(e.edition)))
    for name, value in (("volume", e.volume), ("number", e.issue), ("pages", e.pages)):
        if value:
            f.append((name, esc(value)))
    if e.publisher and e.type in ("book", "incollection"):
        f.append(("publisher", esc(e.publisher)))
    elif e.publisher:
        f.append(("organization", esc(e.publisher)))
    if e.doi:
        f.append(("doi", e.doi))
    if e.url:
        f.append(("url", e.url))
    if e.note:
        f.append(("note", esc(e.note)))
    return f


_BIBTYPE = {"software": "manual"}


def to_bibtex(keys: Iterable[str] | None = None, *, path: str | Path | None = None) -> str:
    r"""BibTeX of every work the package cites (or of ``keys``), in reference-list order.

    Fields are escaped for LaTeX (``&``, ``%``, ``_``...; en dashes become ``--``), words
    with capitals in the sentence-case titles are braced so that styles keep them, corporate
    authors are braced, ``software`` is written ``@manual`` (as R's ``citation()`` does) and
    item-bank sources known only by a free-text citation become ``@misc`` with the citation
    in ``note``. DOIs and URLs are left verbatim (``doi``/``url`` fields). A comment line
    above each entry says whether it was verified.

    Parameters
    ----------
    keys : iterable of str, optional
        The entries to write (default: all).
    path : str or Path, optional
        Another copy of the methods references file.

    Examples
    --------
    >>> print(to_bibtex(["fornell_larcker1981"]).split("\n\n")[1].strip())
    ... # doctest: +NORMALIZE_WHITESPACE
    % verified: no (check before citing)
    @article{fornell_larcker1981,
      author = {Fornell, C. and Larcker, D. F.},
      title = {{Evaluating} structural equation models with unobservable variables and
               measurement error},
      journal = {Journal of Marketing Research},
      year = {1981},
      volume = {18},
      number = {1},
      pages = {39--50},
      doi = {10.1177/002224378101800104},
    }
    """
    entries = bib_entries(path)
    if keys is not None:
        keys = list(keys)
        unknown = [k for k in keys if k not in entries]
        if unknown:
            raise NrelError(
                f"unknown reference key(s) {', '.join(unknown)}; see "
                "nrel_research.report.references() for the keys."
            )
        entries = {k: v for k, v in entries.items() if k in set(keys)}
    chunks = [
        "% references.bib - every work nrel_research cites. Generated by\n"
        "% nrel_research.report.write_bibtex() from the framework file, the item bank and\n"
        "% nrel_research/report/references.yaml: edit those, not this file."
    ]
    for e in entries.values():
        status = (
            f"verified: yes ({e.verified_source})"
            if e.verified
            else "verified: no (check before citing)"
        )
        body = "".join(f"  {k} = {{{v}}},\n" for k, v in _bib_fields(e))
        chunks.append(f"% {status}\n@{_BIBTYPE.get(e.type, e.type)}{{{e.key},\n{body}}}")
    return "\n\n".join(chunks) + "\n"


def write_bibtex(path: str | Path, keys: Iterable[str] | None = None) -> Path:
    """Write :func:`to_bibtex` to ``path`` (UTF-8); returns the path.

    The repository's ``papers/references.bib`` is written by ``python -m nrel_research.report
    papers`` (with the manuscript template).
    """
    path = Path(path)
    path.write_text(to_bibtex(keys), encoding="utf-8")
    return path


# -- citations in text -----------------------------------------------------------------------

_NAME = r"[A-ZÀ-ÞĀ-Ž][A-Za-zÀ-ÖØ-öø-ÿĀ-ž'\u2019\-]*[A-Za-zÀ-ÖØ-öø-ÿĀ-ž]"
# a later author's surname in a reference list may start with a particle ("du Toit")
_PNAME = rf"(?:(?:van|von|der|den|de|du|da|di|le|la|dos|del)[ \t]+)*{_NAME}"
_INIT = r"(?:[A-ZÀ-ÞØ]\.(?:[\s\-]*[A-ZÀ-ÞØ]\.)*)"
_YEAR = r"(?P<year>(?:1[6-9]|20)\d\d)(?P<suffix>[a-z]?)(?![\d\w])"
# a space or a line break, also between implicitly concatenated string literals and in comments
_S = r'[ \t]*(?:",?[ \t]*)?\n?[ \t#*"]*'
_AND = r"(?:&amp;|&|and)"
_CITATION = re.compile(
    # reference-list form: Surname, I. I., Surname, I., & Surname, I. (2001)
    rf"(?P<ref>(?P<rfirst>{_NAME}),{_S}{_INIT}(?:,{_S}(?:&{_S})?{_PNAME},{_S}{_INIT})*"
    rf"(?:,?{_S}{_AND}{_S}{_PNAME},{_S}{_INIT})?{_S}\({_YEAR}\))"
    # in-text forms: Surname (2001), Surname, 2001, Surname & Surname (2001), Surname et al.
    # 2001, Surname, Surname & Surname, 2001, Surname's (2001)
    rf"|(?P<first>{_NAME})(?:'s|\u2019s)?"
    rf"(?P<more>(?:,{_S}{_NAME})*,?{_S}{_AND}{_S}{_NAME}(?:'s|\u2019s)?|{_S}et{_S}al\.?(?:'s)?)?"
    rf"(?:{_S}\((?P<y1>(?:1[6-9]|20)\d\d[a-z]?)[);,:]|,{_S}(?P<y2>(?:1[6-9]|20)\d\d[a-z]?)(?![\d\w])"
    rf"|{_S}(?P<y3>(?:1[6-9]|20)\d\d[a-z]?)(?=[);,:]))"
)


def find_citations(text: str) -> pd.DataFrame:
    """Find author-year citations in text.

    Recognised: ``Surname (2001)``, ``Surname's (2001)``, ``Surname, 2001``, ``Surname &
    Surname, 2001``, ``Surname and Surname (2001)``, ``Surname, Surname & Surname, 2001``,
    ``Surname et al., 2001`` / ``et al. (2001)`` / ``et al. 2001``, ``Surname & Surname
    2001`` before ``)``, ``;``, ``,`` or ``:``, years with a letter (``2001a``), and
    reference-list entries (``Surname, I. J., & Surname, K. (2001)``). Line breaks may occur
    anywhere between the parts. A bare ``Name 2001`` in running text is not a citation
    (``Summit 2024``), unless a multi-author form or a closing bracket makes it one.

    Returns
    -------
    pandas.DataFrame
        ``surname`` (first author), ``year`` (with its letter, as text), ``match`` (the text
        found) and ``line`` (1-based line of the match's start).

    Examples
    --------
    >>> text = "as (Fornell & Larcker, 1981; Henseler et al. 2015) and Holm's (1979) rule"
    >>> find_citations(text)[["surname", "year"]].to_numpy().tolist()
    [['Fornell', '1981'], ['Henseler', '2015'], ['Holm', '1979']]
    >>> found = find_citations("Cronbach, L. J. (1951). Coefficient alpha")
    >>> found[["surname", "year"]].iloc[0].tolist()
    ['Cronbach', '1951']
    """
    rows = []
    for m in _CITATION.finditer(text):
        if m["ref"]:
            surname, year = m["rfirst"], m["year"] + m["suffix"]
        else:
            surname = m["first"]
            year = m["y1"] or m["y2"] or m["y3"]
            if m["y3"] and not m["more"]:
                # bare "Name 2001)" only inside a citation list: after "(", ";" or ","
                before = text[: m.start()].rstrip(' \t\n#*"')
                if not before.endswith(("(", ";", ",")):
                    continue
        surname = re.sub(r"['\u2019]s$", "", surname)
        rows.append(
            {
                "surname": surname,
                "year": year,
                "match": re.sub(r"\s+", " ", m.group(0)),
                "line": text.count("\n", 0, m.start()) + 1,
            }
        )
    return pd.DataFrame(rows, columns=["surname", "year", "match", "line"])


def resolve_citation(surname: str, year: str | int, path: str | Path | None = None) -> str | None:
    """Return the key of the work a citation names, or None.

    A citation matches an entry whose first author's surname is ``surname`` (a corporate
    author also by its last word, e.g. "Division (2008)"; a hyphenated eponym such as
    "Satorra-Bentler (2001)" by its first part when no author has the whole name) and whose
    year (with letter) is ``year``.

    Examples
    --------
    >>> resolve_citation("Fornell", 1981)
    'fornell_larcker1981'
    >>> resolve_citation("Satorra-Bentler", "2001"), resolve_citation("Nobody", 2001)
    ('satorra_bentler2001', None)
    """
    year = str(year)
    entries = bib_entries(path).values()

    def match(name: str) -> list[str]:
        hits = []
        for e in entries:
            if e.year_label != year:
                continue
            first = e.surnames[0]
            if first == name or ("," not in e.authors[0] and first.split()[-1] == name):
                hits.append(e.key)
        return hits

    hits = match(surname)
    if not hits and "-" in surname:
        hits = match(surname.split("-")[0])
    return hits[0] if len(hits) == 1 else (None if not hits else "|".join(hits))


_CITE_TOKEN = re.compile(r"\{(cite|citet):([a-z0-9_,\s]+)\}")


def cite(text: str, markup: str = "markdown", path: str | Path | None = None):
    r"""Resolve ``{cite:key1,key2}`` (parenthetical) and ``{citet:key}`` (narrative) in text.

    Parameters
    ----------
    text : str
    markup : {"markdown", "latex"}
        Markdown gets APA text (``(Fornell & Larcker, 1981)``); LaTeX gets natbib commands
        (``\citep{key}``, ``\citet{key}``).

    Returns
    -------
    (str, list of str)
        The text with citations resolved and the keys cited, in order of first citation.

    Raises
    ------
    NrelError
        If a key is not in :func:`references`.

    Examples
    --------
    >>> cite("Validity {cite:fornell_larcker1981,henseler2015}; see {citet:kline2016}.")[0]
    'Validity (Fornell & Larcker, 1981; Henseler et al., 2015); see Kline (2016).'
    >>> cite("{cite:kline2016}", markup="latex")[0]
    '\\citep{kline2016}'
    """
    entries = bib_entries(path)
    cited: list[str] = []

    def sub(m: re.Match) -> str:
        keys = [k.strip() for k in m.group(2).split(",") if k.strip()]
        unknown = [k for k in keys if k not in entries]
        if unknown:
            raise NrelError(
                f"citation {m.group(0)!r} names unknown key(s) {', '.join(unknown)}; add "
                f"them to {REFERENCES_FILE.name} or fix the key."
            )
        cited.extend(k for k in keys if k not in cited)
        if markup == "latex":
            return f"\\{'citet' if m.group(1) == 'citet' else 'citep'}{{{','.join(keys)}}}"
        if m.group(1) == "citet":
            return "; ".join(entries[k].in_text(narrative=True) for k in keys)
        return "(" + "; ".join(entries[k].in_text() for k in keys) + ")"

    if markup not in ("markdown", "latex"):
        raise NrelError(f"markup={markup!r} is not valid; use 'markdown' or 'latex'.")
    return _CITE_TOKEN.sub(sub, text), cited
