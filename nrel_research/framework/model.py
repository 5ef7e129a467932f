"""Typed, immutable objects for the N-REL framework.

Instances are created by :func:`nrel_research.framework.load`; they are frozen
dataclasses holding tuples, so a loaded framework can be shared and cached safely.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import pandas as pd

from .._validation import lookup
from ..exceptions import FrameworkError

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
]

MarketType = Literal["B2B", "B2C", "both"]


@dataclass(frozen=True, slots=True)
class Reference:
    """A bibliographic reference; ``verified`` says whether it was checked at the source."""

    key: str
    authors: tuple[str, ...]
    year: int
    title: str
    journal: str
    volume: str
    issue: str
    pages: str
    doi: str
    verified: bool

    def apa(self) -> str:
        """Format the reference in APA 7 style (plain text).

        Examples
        --------
        >>> from nrel_research import framework
        >>> framework.load().reference("ananda2016").apa()[:40]
        'Ananda, A. S., Hernández-García, Á., & L'
        """
        names = list(self.authors)
        if len(names) == 1:
            who = names[0]
        elif len(names) == 2:
            who = f"{names[0]}, & {names[1]}"
        else:
            who = ", ".join(names[:-1]) + f", & {names[-1]}"
        issue = f"({self.issue})" if self.issue else ""
        return (
            f"{who} ({self.year}). {self.title}. {self.journal}, {self.volume}{issue}, "
            f"{self.pages}. https://doi.org/{self.doi}"
        )


@dataclass(frozen=True, slots=True)
class Process:
    """A customer-value process of the marketing organisation (Day, 1994; Hult, 2011)."""

    id: str
    name: str
    definition: str
    source: str


@dataclass(frozen=True, slots=True)
class Approach:
    """A marketing approach: transactional or relational."""

    id: str
    name: str
    definition: str


@dataclass(frozen=True, slots=True)
class Category:
    """One of the three action categories: Representation, Engagement, Listening."""

    code: str
    name: str
    definition: str
    renl_level: str
    process: str
    approach: str


@dataclass(frozen=True, slots=True)
class ActionType:
    """One of the ten N-REL strategic action types (R1-R2, E1-E7, L1)."""

    code: str
    name: str
    slug: str
    category: str
    definition: str
    examples: tuple[str, ...]
    b2b_only: bool
    process: str
    approach: str
    citation: str

    def applies_to(self, market_type: MarketType) -> bool:
        """Whether the action type is meaningful for firms of ``market_type``.

        B2B-only actions (E7) apply to ``"B2B"`` and ``"both"`` (mixed) firms only.
        """
        if market_type not in ("B2B", "B2C", "both"):
            raise FrameworkError(
                f"market_type={market_type!r} is not valid; use one of: 'B2B', 'B2C', 'both'."
            )
        return not (self.b2b_only and market_type == "B2C")


@dataclass(frozen=True, slots=True)
class NetworkMeasure:
    """One example measure of a network dimension (e.g. reciprocity)."""

    id: str
    name: str


@dataclass(frozen=True, slots=True)
class NetworkDimension:
    """One of the four network-structure dimensions (after Peters et al., 2013)."""

    id: str
    name: str
    definition: str
    measures: tuple[NetworkMeasure, ...]
    source: str


@dataclass(frozen=True, slots=True)
class DecisionArea:
    """A strategic decision area (after Slater & Olson, 2001)."""

    id: str
    name: str
    definition: str
    source: str


@dataclass(frozen=True, slots=True)
class SpanningActivity:
    """A boundary-spanning activity outside the N-REL taxonomy (social commerce, eWOM)."""

    id: str
    name: str
    definition: str
    process: str


@dataclass(frozen=True, slots=True)
class Construct:
    """A construct outside the taxonomy that a proposition involves (orientation, outcome...)."""

    id: str
    name: str
    kind: str
    level: str
    definition: str


@dataclass(frozen=True, slots=True)
class Proposition:
    """A testable proposition (P1-P8) and the constructs it links, by role."""

    id: str
    statement: str
    level: str
    predictors: tuple[str, ...]
    outcomes: tuple[str, ...]
    moderators: tuple[str, ...]
    mediators: tuple[str, ...]
    expected_sign: str
    data_source: str
    analysis: str

    @property
    def constructs(self) -> tuple[str, ...]:
        """Every reference the proposition involves, in role order, without repeats."""
        seen: dict[str, None] = {}
        for ref in self.predictors + self.mediators + self.moderators + self.outcomes:
            seen.setdefault(ref, None)
        return tuple(seen)


_FRAME_KINDS = (
    "actions",
    "categories",
    "network",
    "propositions",
    "links",
    "constructs",
    "references",
)
_REF_TYPES = {
    "ActionType": "action",
    "Category": "category",
    "NetworkDimension": "network_dimension",
    "DecisionArea": "strategic_decision",
    "SpanningActivity": "spanning_activity",
    "Construct": "construct",
}


@dataclass(frozen=True, slots=True)
class Framework:
    """The N-REL framework: taxonomy, network dimensions, decisions and propositions.

    Obtain it with :func:`nrel_research.framework.load`; do not build it by hand.

    Examples
    --------
    >>> from nrel_research import framework
    >>> fw = framework.load()
    >>> [a.code for a in fw.actions_in("R")]
    ['R1', 'R2']
    >>> fw.action("E7").b2b_only
    True
    """

    name: str
    title: str
    description: str
    source: str
    schema_version: int
    categories: tuple[Category, ...]
    actions: tuple[ActionType, ...]
    network_dimensions: tuple[NetworkDimension, ...]
    strategic_decisions: tuple[DecisionArea, ...]
    tactics: str
    feedback: str
    spanning_activities: tuple[SpanningActivity, ...]
    processes: tuple[Process, ...]
    approaches: tuple[Approach, ...]
    constructs: tuple[Construct, ...]
    propositions: tuple[Proposition, ...]
    references: tuple[Reference, ...]
    path: str = field(default="", compare=False)

    # -- lookups ---------------------------------------------------------------------
    @property
    def codes(self) -> tuple[str, ...]:
        """The action codes in framework order (``R1 R2 E1 ... E7 L1``)."""
        return tuple(a.code for a in self.actions)

    def action(self, code: str) -> ActionType:
        """Return the action type with ``code`` (case-insensitive, e.g. ``"E7"``).

        Raises
        ------
        FrameworkError
            If no action has that code; the message lists the valid codes.
        """
        return lookup(self.actions, "code", code, "action code", casefold=True)

    def category(self, code: str) -> Category:
        """Return the category with ``code`` (``"R"``, ``"E"`` or ``"L"``)."""
        return lookup(self.categories, "code", code, "category code", casefold=True)

    def network_dimension(self, id: str) -> NetworkDimension:
        """Return the network dimension ``id`` (size, connections, distributions, ...)."""
        return lookup(self.network_dimensions, "id", id, "network dimension", casefold=True)

    def proposition(self, id: str) -> Proposition:
        """Return the proposition ``id`` (``"P1"`` ... ``"P8"``)."""
        return lookup(self.propositions, "id", id, "proposition", casefold=True)

    def construct(self, id: str) -> Construct:
        """Return the non-taxonomy construct ``id`` (e.g. ``"marketing_performance"``)."""
        return lookup(self.constructs, "id", id, "construct", casefold=True)

    def reference(self, key: str) -> Reference:
        """Return the bibliographic reference ``key`` (e.g. ``"ananda2016"``)."""
        return lookup(self.references, "key", key, "reference key", casefold=True)

    def actions_in(self, category: str) -> tuple[ActionType, ...]:
        """Return the action types of one category, in framework order."""
        cat = self.category(category)
        return tuple(a for a in self.actions if a.category == cat.code)

    def actions_for(self, market_type: MarketType) -> tuple[ActionType, ...]:
        """Return the action types meaningful for ``"B2B"``, ``"B2C"`` or ``"both"`` firms.

        Examples
        --------
        >>> from nrel_research import framework
        >>> len(framework.load().actions_for("B2C"))
        9
        """
        return tuple(a for a in self.actions if a.applies_to(market_type))

    def resolve(self, ref: str) -> object:
        """Return the object a proposition reference names (action, category, dimension...).

        Raises
        ------
        FrameworkError
            If ``ref`` names nothing in the framework.
        """
        table = self._reference_table()
        if ref in table:
            return table[ref]
        raise FrameworkError(
            f"{ref!r} names nothing in the framework; valid references are action codes, "
            f"category codes, network dimensions, strategic decisions, spanning activities "
            f"and constructs: {', '.join(table)}."
        )

    def _reference_table(self) -> dict[str, object]:
        table: dict[str, object] = {}
        for group, attr in (
            (self.actions, "code"),
            (self.categories, "code"),
            (self.network_dimensions, "id"),
            (self.strategic_decisions, "id"),
            (self.spanning_activities, "id"),
            (self.constructs, "id"),
        ):
            for obj in group:
                table[getattr(obj, attr)] = obj
        return table

    # -- tables ----------------------------------------------------------------------
    def to_frame(self, kind: str = "actions") -> pd.DataFrame:
        """Return a tidy table of one part of the framework.

        Parameters
        ----------
        kind : {"actions", "categories", "network", "propositions", "links", \
"constructs", "references"}
            Which part. ``"actions"`` (default) gives one row per action type with columns
            ``code, name, slug, category, category_name, definition, examples, b2b_only,
            process, approach, citation``; ``examples`` are joined with ``" | "``.
            ``"links"`` gives one row per proposition and construct it involves, with
            columns ``proposition, role, ref, ref_type, ref_name`` (``role`` is
            predictor, mediator, moderator or outcome).

        Returns
        -------
        pandas.DataFrame
            Columns are stable snake_case names, in the order documented here.

        Examples
        --------
        >>> from nrel_research import framework
        >>> framework.load().to_frame().shape
        (10, 11)
        """
        from .._validation import check_choice

        kind = check_choice(kind, "kind", _FRAME_KINDS, error=FrameworkError)
        if kind == "actions":
            names = {c.code: c.name for c in self.categories}
            rows = [
                {
                    "code": a.code,
                    "name": a.name,
                    "slug": a.slug,
                    "category": a.category,
                    "category_name": names[a.category],
                    "definition": a.definition,
                    "examples": " | ".join(a.examples),
                    "b2b_only": a.b2b_only,
                    "process": a.process,
                    "approach": a.approach,
                    "citation": a.citation,
                }
                for a in self.actions
            ]
        elif kind == "categories":
            rows = [
                {
                    "code": c.code,
                    "name": c.name,
                    "definition": c.definition,
                    "renl_level": c.renl_level,
                    "process": c.process,
                    "approach": c.approach,
                    "n_actions": len(self.actions_in(c.code)),
                }
                for c in self.categories
            ]
        elif kind == "network":
            rows = [
                {
                    "dimension": d.id,
                    "dimension_name": d.name,
                    "measure": m.id,
                    "measure_name": m.name,
                    "source": d.source,
                }
                for d in self.network_dimensions
                for m in d.measures
            ]
        elif kind == "propositions":
            rows = [
                {
                    "id": p.id,
                    "statement": p.statement,
                    "level": p.level,
                    "predictors": " ".join(p.predictors),
                    "mediators": " ".join(p.mediators),
                    "moderators": " ".join(p.moderators),
                    "outcomes": " ".join(p.outcomes),
                    "expected_sign": p.expected_sign,
                    "data_source": p.data_source,
                    "analysis": p.analysis,
                }
                for p in self.propositions
            ]
        elif kind == "links":
            table = self._reference_table()
            rows = [
                {
                    "proposition": p.id,
                    "role": role[:-1],
                    "ref": ref,
                    "ref_type": _REF_TYPES[type(table[ref]).__name__],
                    "ref_name": table[ref].name,
                }
                for p in self.propositions
                for role in ("predictors", "mediators", "moderators", "outcomes")
                for ref in getattr(p, role)
            ]
        elif kind == "constructs":
            rows = [
                {
                    "id": c.id,
                    "name": c.name,
                    "kind": c.kind,
                    "level": c.level,
                    "definition": c.definition,
                }
                for c in self.constructs
            ]
        else:
            rows = [
                {
                    "key": r.key,
                    "citation": r.apa(),
                    "year": r.year,
                    "doi": r.doi,
                    "verified": r.verified,
                }
                for r in self.references
            ]
        return pd.DataFrame(rows)

    def __repr__(self) -> str:
        return (
            f"<Framework {self.name}: {len(self.categories)} categories, "
            f"{len(self.actions)} action types, {len(self.network_dimensions)} network "
            f"dimensions, {len(self.propositions)} propositions>"
        )
