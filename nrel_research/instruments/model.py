"""Typed, immutable objects for the N-REL item bank.

Instances are created by :func:`nrel_research.instruments.load_item_bank`; they are
frozen dataclasses holding tuples and read-only mappings, so a loaded item bank can be
shared and cached safely.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import pandas as pd

from .._validation import lookup
from ..exceptions import FrameworkError

__all__ = [
    "Block",
    "Choice",
    "Condition",
    "Construct",
    "HigherOrder",
    "Item",
    "ItemBank",
    "Language",
    "Scale",
    "SourceReference",
]

MEASUREMENT_MODELS = ("reflective", "formative", "composite", "observed")
#: Measurement levels of response variables (Stevens' levels plus counts, free text and
#: timestamps). ``ordinal`` items are treated as ordered categorical by default when a
#: model is estimated with WLSMV (:func:`nrel_research.analysis.build_model`).
LEVELS = ("ordinal", "interval", "nominal", "count", "continuous", "text", "datetime")
#: Levels a response scale may declare, by its kind.
SCALE_LEVELS = {"rating": ("ordinal", "interval"), "nominal": ("nominal",)}
#: Default level of value-type items, and the levels such an item may declare instead.
VALUE_LEVELS = {
    "integer": ("count", ("count", "continuous", "interval", "ordinal", "nominal")),
    "decimal": ("continuous", ("continuous", "interval")),
    "text": ("text", ("text",)),
    "start": ("datetime", ("datetime",)),
    "end": ("datetime", ("datetime",)),
}
ITEM_TYPES = ("select_one", "select_multiple", "integer", "decimal", "text", "start", "end")
AUDIENCES = ("respondent", "research_team", "system")


@dataclass(frozen=True, slots=True)
class Language:
    """A survey language; ``status`` is ``"source"`` or a draft note."""

    code: str
    name: str
    native: str
    direction: str
    status: str
    complete: bool

    @property
    def is_draft(self) -> bool:
        """Whether the translation is a draft awaiting forward/back-translation review."""
        return self.status.startswith("draft")

    @property
    def xlsform(self) -> str:
        """The XLSForm language name, e.g. ``"Persian (fa)"``."""
        return f"{self.name} ({self.code})"


@dataclass(frozen=True, slots=True)
class SourceReference:
    """A source an item is adapted from; ``verified`` says whether it was checked."""

    key: str
    citation: str
    verified: bool


@dataclass(frozen=True, slots=True)
class Choice:
    """One answer option: its stored ``code`` and its label per language."""

    code: str
    labels: Mapping[str, str]
    key: str = ""
    other: bool = False

    def label(self, language: str = "en") -> str:
        """Return the label in ``language`` (``""`` when that translation is missing)."""
        return self.labels.get(language, "")


@dataclass(frozen=True, slots=True)
class Scale:
    """A reusable response scale or choice list (e.g. ``agree7``, ``platforms``).

    ``kind`` is ``"rating"`` (a Likert-type rating scale) or ``"nominal"`` (a choice list);
    ``level`` is the declared measurement level of its answers: ``"ordinal"`` (ordered
    categories, the default treatment of rating scales) or ``"interval"`` (a rating scale
    the researcher treats as continuous) for rating scales, ``"nominal"`` for choice lists.
    """

    id: str
    kind: str
    choices: tuple[Choice, ...]
    level: str = "nominal"

    @property
    def codes(self) -> tuple[str, ...]:
        """The stored codes, in order."""
        return tuple(c.code for c in self.choices)

    def choice(self, code: str) -> Choice:
        """Return the choice with ``code``."""
        for c in self.choices:
            if c.code == code:
                return c
        raise FrameworkError(f"scale {self.id!r} has no code {code!r}; codes: {self.codes}.")


@dataclass(frozen=True, slots=True)
class Condition:
    """A skip-logic condition: show when ``item`` takes one of ``values``.

    ``op`` is ``"in"`` (single choice: the answer is one of ``values``) or
    ``"selected"`` (multiple choice: ``values[0]`` is among the selected options).
    """

    item: str
    op: str
    values: tuple[str, ...]

    def describe(self, bank: ItemBank | None = None, language: str = "en") -> str:
        """Describe the condition in words (for printed questionnaires)."""
        labels = list(self.values)
        if bank is not None:
            scale = bank.scale(bank.item(self.item).scale)
            labels = [scale.choice(v).label(language) or v for v in self.values]
        if self.op == "selected":
            return f"{self.item} includes “{labels[0]}”"
        return f"{self.item} is " + " or ".join(f"“{v}”" for v in labels)


@dataclass(frozen=True, slots=True)
class Item:
    """One survey item (question) of the item bank."""

    id: str
    construct: str
    text: Mapping[str, str]
    type: str
    scale: str | None
    reverse: bool
    source: str
    citation: str
    verified: bool
    required: bool = False
    relevant: tuple[Condition, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    correct: str | None = None
    audience: str = "respondent"
    identifier: bool = False
    platform: str | None = None
    template: str | None = None
    rating: bool = False
    level: str = "nominal"

    def label(self, language: str = "en") -> str:
        """Return the item text in ``language`` (``""`` when that translation is missing)."""
        return self.text.get(language, "")

    @property
    def is_rating(self) -> bool:
        """Whether the item is a single-choice rating-scale item (Likert-type)."""
        return self.type == "select_one" and self.rating

    @property
    def is_ordinal(self) -> bool:
        """Whether the item's answers are declared ordinal (ordered categories)."""
        return self.level == "ordinal"


@dataclass(frozen=True, slots=True)
class Construct:
    """A construct of the item bank and how it is measured."""

    id: str
    name: str
    kind: str
    framework: bool
    framework_type: str
    measurement: str
    justification: str
    stem: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class HigherOrder:
    """A second-order construct over first-order constructs (e.g. Engagement over E1-E7)."""

    id: str
    category: str
    components: tuple[str, ...]
    measurement: str
    justification: str


@dataclass(frozen=True, slots=True)
class Block:
    """A block (page/section) of the survey and the constructs it holds, in order."""

    id: str
    constructs: tuple[str, ...]
    title: Mapping[str, str]
    intro: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ItemBank:
    """The N-REL survey item bank: languages, scales, blocks, constructs and items.

    Obtain it with :func:`nrel_research.instruments.load_item_bank`.

    Examples
    --------
    >>> from nrel_research import instruments
    >>> bank = instruments.load_item_bank()
    >>> [i.id for i in bank.items_of("E7")]
    ['e7_1', 'e7_2', 'e7_3']
    >>> bank.construct("R2").measurement
    'formative'
    """

    languages: tuple[Language, ...]
    references: tuple[SourceReference, ...]
    scales: tuple[Scale, ...]
    blocks: tuple[Block, ...]
    constructs: tuple[Construct, ...]
    higher_order: tuple[HigherOrder, ...]
    items: tuple[Item, ...]
    platforms_item: str
    messages: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    path: str = field(default="", compare=False)

    def message(self, key: str, language: str = "en") -> str:
        """Return an interface text (e.g. ``"range"``) in ``language`` (``""`` if missing)."""
        return self.messages[key].get(language, "")

    # -- lookups ---------------------------------------------------------------------
    def item(self, id: str) -> Item:
        """Return the item ``id``."""
        return lookup(self.items, "id", id, "item id")

    def construct(self, id: str) -> Construct:
        """Return the construct ``id``."""
        return lookup(self.constructs, "id", id, "construct")

    def scale(self, id: str) -> Scale:
        """Return the scale or choice list ``id``."""
        return lookup(self.scales, "id", id, "scale")

    def language(self, code: str) -> Language:
        """Return the language ``code`` (e.g. ``"fa"``)."""
        return lookup(self.languages, "code", code, "language")

    def block(self, id: str) -> Block:
        """Return the block ``id``."""
        return lookup(self.blocks, "id", id, "block")

    def items_of(self, construct: str) -> tuple[Item, ...]:
        """Return the items of one construct, in item-bank order."""
        self.construct(construct)
        return tuple(i for i in self.items if i.construct == construct)

    def ordinal_items(self, constructs: Iterable[str] | None = None) -> tuple[str, ...]:
        """Return the ids of the items whose measurement level is declared ordinal.

        The item bank decides which items are ordered categorical by default: single-choice
        items on a scale with ``level: ordinal`` (the 7-point agree, extent, frequency,
        describe and relative-to-competitors rating scales) and value items declared
        ``level: ordinal`` (e.g. the invitation wave). :func:`nrel_research.analysis.
        build_model` passes them as ``ordered=`` when a model is estimated with WLSMV.

        Parameters
        ----------
        constructs : iterable of str, optional
            Restrict to the items of these constructs (default: every item).

        Returns
        -------
        tuple of str
            Item ids in item-bank order.

        Examples
        --------
        >>> from nrel_research import instruments
        >>> bank = instruments.load_item_bank()
        >>> bank.ordinal_items(["R1", "consent"])
        ('r1_1', 'r1_2', 'r1_3')
        >>> bank.item("consent").level, bank.item("employees").level
        ('nominal', 'count')
        """
        keep = None
        if constructs is not None:
            keep = {self.construct(k).id for k in constructs}
        return tuple(
            i.id for i in self.items if i.is_ordinal and (keep is None or i.construct in keep)
        )

    def block_of(self, construct: str) -> Block:
        """Return the block that holds ``construct``."""
        for b in self.blocks:
            if construct in b.constructs:
                return b
        raise FrameworkError(f"construct {construct!r} is in no block.")  # pragma: no cover

    @property
    def platform_codes(self) -> tuple[str, ...]:
        """Codes of the platforms that get per-platform follow-ups (not 'other')."""
        scale = self.scale(self.item(self.platforms_item).scale)
        return tuple(c.code for c in scale.choices if not c.other)

    # -- tables ----------------------------------------------------------------------
    def to_frame(self, kind: str = "items") -> pd.DataFrame:
        """Return a tidy table of the item bank.

        Parameters
        ----------
        kind : {"items", "constructs", "scales", "higher_order", "references"}
            ``"items"`` gives one row per item with columns ``id, construct, block, type,
            scale, level, text, reverse, required, relevant, source, citation, verified,
            audience, identifier`` (``level``: the declared measurement level, one of
            ordinal, interval, nominal, count, continuous, text, datetime); ``"scales"``
            one row per choice with ``scale, kind, level, code, label_<language>...``;
            ``"constructs"`` one row per construct, in block order, with
            ``id, name, kind, framework, framework_type, measurement, justification,
            block, n_items``.

        Examples
        --------
        >>> from nrel_research import instruments
        >>> t = instruments.load_item_bank().to_frame("constructs")
        >>> row = t.set_index("id").loc["E7"]
        >>> row["block"], int(row["n_items"]), row["measurement"]
        ('engagement', 3, 'reflective')
        """
        from .._validation import check_choice

        kind = check_choice(
            kind,
            "kind",
            ("items", "constructs", "scales", "higher_order", "references"),
            error=FrameworkError,
        )
        if kind == "items":
            rows = [
                {
                    "id": i.id,
                    "construct": i.construct,
                    "block": self.block_of(i.construct).id,
                    "type": i.type,
                    "scale": i.scale or "",
                    "level": i.level,
                    "text": i.label("en"),
                    "reverse": i.reverse,
                    "required": i.required,
                    "relevant": " and ".join(c.describe() for c in i.relevant),
                    "source": i.source,
                    "citation": i.citation,
                    "verified": i.verified,
                    "audience": i.audience,
                    "identifier": i.identifier,
                }
                for i in self.items
            ]
        elif kind == "constructs":
            rows = [
                {
                    "id": c.id,
                    "name": c.name,
                    "kind": c.kind,
                    "framework": c.framework,
                    "framework_type": c.framework_type,
                    "measurement": c.measurement,
                    "justification": c.justification,
                    "block": self.block_of(c.id).id,
                    "n_items": len(self.items_of(c.id)),
                }
                for b in self.blocks
                for c in (self.construct(k) for k in b.constructs)
            ]
        elif kind == "scales":
            rows = [
                {
                    "scale": s.id,
                    "kind": s.kind,
                    "level": s.level,
                    "code": ch.code,
                    **{f"label_{lang.code}": ch.label(lang.code) for lang in self.languages},
                }
                for s in self.scales
                for ch in s.choices
            ]
        elif kind == "higher_order":
            rows = [
                {
                    "id": h.id,
                    "category": h.category,
                    "components": " ".join(h.components),
                    "measurement": h.measurement,
                    "justification": h.justification,
                }
                for h in self.higher_order
            ]
        else:
            rows = [
                {"key": r.key, "citation": r.citation, "verified": r.verified}
                for r in self.references
            ]
        return pd.DataFrame(rows)

    def __repr__(self) -> str:
        return (
            f"<ItemBank: {len(self.items)} items, {len(self.constructs)} constructs, "
            f"{len(self.blocks)} blocks, languages {', '.join(lg.code for lg in self.languages)}>"
        )
