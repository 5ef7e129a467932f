"""Read and validate the framework data file into :class:`~.model.Framework` objects.

The validation is deliberately strict: a bad edit of the YAML file (a duplicate code,
an action in an unknown category, a missing definition, a proposition naming a
construct that does not exist, a duplicated YAML key) fails with a
:class:`~nrel_research.exceptions.FrameworkError` naming the file, the entry, the
field and the value, and saying how to fix it.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from .._yaml import read_data_yaml
from ..exceptions import FrameworkError
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

SCHEMA_VERSION = 1
ACTION_CODE_PATTERN = r"^[A-Z][0-9]+$"
_CONSTRUCT_KINDS = ("orientation", "outcome", "alignment", "grouping", "coding")
_LEVELS = ("firm", "post")
_SIGNS = ("positive", "negative", "differs")
_DATA_SOURCES = ("survey", "content_analysis", "both")
_RENL_LEVELS = ("content", "platform")
_REFERENCE_FIELDS = (
    "key",
    "authors",
    "year",
    "title",
    "journal",
    "volume",
    "issue",
    "pages",
    "doi",
    "verified",
)
_CATEGORY_FIELDS = ("code", "name", "renl_level", "process", "approach", "definition")
_ACTION_FIELDS = (
    "code",
    "name",
    "slug",
    "category",
    "process",
    "approach",
    "b2b_only",
    "definition",
    "examples",
    "citation",
)
_DIMENSION_FIELDS = ("id", "name", "definition", "measures", "source")
_PROPOSITION_FIELDS = (
    "id",
    "statement",
    "level",
    "predictors",
    "outcomes",
    "moderators",
    "mediators",
    "expected_sign",
    "data_source",
    "analysis",
)
_TOP_LEVEL = (
    "schema_version",
    "framework",
    "references",
    "processes",
    "approaches",
    "categories",
    "actions",
    "network_dimensions",
    "strategic_decisions",
    "tactics",
    "feedback",
    "spanning_activities",
    "constructs",
    "propositions",
)


def read_yaml(path: Path) -> Any:
    """Parse the framework YAML file (see :func:`nrel_research._yaml.read_data_yaml`)."""
    return read_data_yaml(path, "framework file")


class _Checker:
    """Field accessors that raise :class:`FrameworkError` with the file and entry named."""

    def __init__(self, path: Path):
        self.path = path

    def fail(self, where: str, problem: str, fix: str) -> FrameworkError:
        return FrameworkError(f"framework file '{self.path}', {where}: {problem}; {fix}.")

    def fields(self, entry: Any, allowed: tuple[str, ...], where: str) -> None:
        """Reject unknown fields, which are usually misspellings of known ones."""
        if not isinstance(entry, dict):
            raise self.fail(where, f"expected a mapping, got {entry!r}", "write 'field: value'")
        unknown = [k for k in entry if k not in allowed]
        if unknown:
            raise self.fail(
                where,
                f"unknown field(s) {', '.join(map(repr, unknown))}",
                f"allowed fields are: {', '.join(allowed)} (check the spelling; quote "
                "text that contains ', ' inside {...})",
            )

    def section(self, doc: dict, name: str, kind: type) -> Any:
        if name not in doc:
            raise self.fail("top level", f"required section '{name}' is missing", "add it")
        value = doc[name]
        if not isinstance(value, kind) or not value:
            raise self.fail(
                f"section '{name}'",
                f"expected a non-empty {'list' if kind is list else 'mapping'}, "
                f"got {type(value).__name__}",
                "see the shipped nrel_framework.yaml for the layout",
            )
        return value

    def entries(self, doc: dict, name: str, allowed: tuple[str, ...]):
        """Yield ``(where, entry)`` for each entry of a list section, checking its fields."""
        for i, entry in enumerate(self.section(doc, name, list)):
            where = f"{name}[{i}]"
            if isinstance(entry, dict) and isinstance(entry.get(allowed[0]), str):
                where += f" ({entry[allowed[0]]})"
            self.fields(entry, allowed, where)
            yield where, entry

    def text(self, entry: Any, field: str, where: str, *, required: bool = True) -> str:
        if not isinstance(entry, dict):
            raise self.fail(where, f"expected a mapping, got {entry!r}", "write 'field: value'")
        value = entry.get(field)
        if value is None or (isinstance(value, str) and not value.strip()):
            if not required:
                return ""
            raise self.fail(where, f"required field '{field}' is missing or empty", "fill it in")
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            raise self.fail(
                where, f"field '{field}' must be text, got {value!r}", "quote the value"
            )
        return " ".join(str(value).split())

    def choice(self, entry: dict, field: str, where: str, options) -> str:
        value = self.text(entry, field, where)
        options = tuple(options)
        if value not in options:
            raise self.fail(
                where,
                f"field '{field}' has unknown value {value!r}",
                f"use one of: {', '.join(options)}",
            )
        return value

    def flag(self, entry: dict, field: str, where: str) -> bool:
        value = entry.get(field)
        if not isinstance(value, bool):
            raise self.fail(
                where,
                f"field '{field}' must be true or false, got {value!r}",
                "write true or false without quotes",
            )
        return value

    def texts(self, entry: dict, field: str, where: str, *, min_len: int = 1) -> tuple[str, ...]:
        value = entry.get(field, [] if min_len == 0 else None)
        if not isinstance(value, list) or len(value) < min_len:
            raise self.fail(
                where,
                f"field '{field}' must be a list of at least {min_len} item(s), got {value!r}",
                "write it as [a, b] or as '- item' lines",
            )
        out = []
        for i, v in enumerate(value):
            if not isinstance(v, str | int) or isinstance(v, bool) or not str(v).strip():
                raise self.fail(
                    where, f"item {i} of '{field}' is not text: {v!r}", "write text items"
                )
            out.append(" ".join(str(v).split()))
        return tuple(out)

    def unique(self, items: list, key: str, section: str) -> None:
        first: dict[str, int] = {}
        for i, item in enumerate(items):
            value = getattr(item, key)
            if value in first:
                label = next(
                    (getattr(item, k) for k in ("code", "id", "key") if hasattr(item, k)), None
                )
                raise self.fail(
                    f"{section}[{i}]" + (f" ({label})" if label else ""),
                    f"duplicate {key} {value!r} (also at {section}[{first[value]}])",
                    f"every {key} in '{section}' must be unique: rename or remove one",
                )
            first[value] = i

    def known(self, value: str, valid, where: str, field: str, what: str) -> None:
        valid = tuple(valid)
        if value not in valid:
            raise self.fail(
                where,
                f"field '{field}' refers to unknown {what} {value!r}",
                f"use one of: {', '.join(valid)}",
            )


def parse(doc: Any, path: Path) -> Framework:
    """Validate a parsed framework document and build the :class:`Framework`."""
    c = _Checker(path)
    if not isinstance(doc, dict):
        raise c.fail("top level", "the file must hold a mapping of sections", "check the file")
    c.fields(doc, _TOP_LEVEL, "top level")
    version = doc.get("schema_version")
    if version != SCHEMA_VERSION:
        raise c.fail(
            "top level",
            f"schema_version is {version!r}, this version of nrel_research reads {SCHEMA_VERSION}",
            f"set schema_version: {SCHEMA_VERSION} or upgrade nrel_research",
        )
    head = c.section(doc, "framework", dict)
    c.fields(head, ("name", "title", "acronym", "source", "status", "description"), "framework")

    references = []
    for w, e in c.entries(doc, "references", _REFERENCE_FIELDS):
        year = e.get("year") if isinstance(e, dict) else None
        if not isinstance(year, int) or isinstance(year, bool):
            raise c.fail(w, f"field 'year' must be a whole number, got {year!r}", "fix it")
        authors = c.texts(e, "authors", w)
        for name in authors:
            if not re.match(r"^[^,]+, \S.*$", name):
                raise c.fail(
                    w,
                    f"author {name!r} is not written 'Family, Initials'",
                    'quote each author, e.g. ["Day, G. S.", "Hult, G. T. M."]',
                )
        references.append(
            Reference(
                key=c.text(e, "key", w),
                authors=authors,
                year=year,
                title=c.text(e, "title", w),
                journal=c.text(e, "journal", w),
                volume=c.text(e, "volume", w),
                issue=c.text(e, "issue", w, required=False),
                pages=c.text(e, "pages", w),
                doi=c.text(e, "doi", w),
                verified=c.flag(e, "verified", w),
            )
        )
    c.unique(references, "key", "references")
    ref_keys = [r.key for r in references]

    def source(e: dict, w: str, field: str = "source") -> str:
        value = c.text(e, field, w)
        c.known(value, ref_keys, w, field, "reference")
        return value

    processes = [
        Process(
            id=c.text(e, "id", w),
            name=c.text(e, "name", w),
            definition=c.text(e, "definition", w),
            source=source(e, w),
        )
        for w, e in c.entries(doc, "processes", ("id", "name", "definition", "source"))
    ]
    c.unique(processes, "id", "processes")
    approaches = [
        Approach(
            id=c.text(e, "id", w),
            name=c.text(e, "name", w),
            definition=c.text(e, "definition", w),
        )
        for w, e in c.entries(doc, "approaches", ("id", "name", "definition"))
    ]
    c.unique(approaches, "id", "approaches")
    process_ids = [p.id for p in processes]
    approach_ids = [a.id for a in approaches]

    categories = []
    for w, e in c.entries(doc, "categories", _CATEGORY_FIELDS):
        categories.append(
            Category(
                code=c.text(e, "code", w),
                name=c.text(e, "name", w),
                definition=c.text(e, "definition", w),
                renl_level=c.choice(e, "renl_level", w, _RENL_LEVELS),
                process=c.choice(e, "process", w, process_ids),
                approach=c.choice(e, "approach", w, approach_ids),
            )
        )
    c.unique(categories, "code", "categories")
    category_codes = [k.code for k in categories]

    actions = []
    for w, e in c.entries(doc, "actions", _ACTION_FIELDS):
        action = ActionType(
            code=c.text(e, "code", w),
            name=c.text(e, "name", w),
            slug=c.text(e, "slug", w),
            category=c.text(e, "category", w),
            definition=c.text(e, "definition", w),
            examples=c.texts(e, "examples", w),
            b2b_only=c.flag(e, "b2b_only", w),
            process=c.choice(e, "process", w, process_ids),
            approach=c.choice(e, "approach", w, approach_ids),
            citation=source(e, w, "citation"),
        )
        c.known(action.category, category_codes, w, "category", "category")
        if not re.match(ACTION_CODE_PATTERN, action.code) or not action.code.startswith(
            action.category
        ):
            raise c.fail(
                w,
                f"code {action.code!r} does not fit its category {action.category!r}",
                f"codes are the category letter plus a number, e.g. {action.category}1",
            )
        if not re.match(r"^[a-z][a-z0-9_]*$", action.slug):
            raise c.fail(
                w, f"slug {action.slug!r} is not snake_case", "use lower-case letters and _"
            )
        actions.append(action)
    c.unique(actions, "code", "actions")
    c.unique(actions, "slug", "actions")
    for k in categories:
        if not any(a.category == k.code for a in actions):
            raise c.fail(
                f"category {k.code}",
                "has no action types",
                "add an action to it or remove the category",
            )

    dimensions = []
    for w, e in c.entries(doc, "network_dimensions", _DIMENSION_FIELDS):
        raw_measures = e.get("measures")
        if not isinstance(raw_measures, list) or not raw_measures:
            raise c.fail(w, "field 'measures' must be a non-empty list", "list its measures")
        measures = []
        for j, m in enumerate(raw_measures):
            mw = f"{w}.measures[{j}]"
            c.fields(m, ("id", "name"), mw)
            measures.append(NetworkMeasure(id=c.text(m, "id", mw), name=c.text(m, "name", mw)))
        c.unique(measures, "id", f"{w}.measures")
        dimensions.append(
            NetworkDimension(
                id=c.text(e, "id", w),
                name=c.text(e, "name", w),
                definition=c.text(e, "definition", w),
                measures=tuple(measures),
                source=source(e, w),
            )
        )
    c.unique(dimensions, "id", "network_dimensions")

    decisions = [
        DecisionArea(
            id=c.text(e, "id", w),
            name=c.text(e, "name", w),
            definition=c.text(e, "definition", w),
            source=source(e, w),
        )
        for w, e in c.entries(doc, "strategic_decisions", ("id", "name", "definition", "source"))
    ]
    c.unique(decisions, "id", "strategic_decisions")

    tactics = c.section(doc, "tactics", dict)
    c.fields(tactics, ("name", "definition"), "tactics")
    feedback = c.section(doc, "feedback", dict)
    c.fields(feedback, ("name", "from", "to", "definition"), "feedback")
    c.known(c.text(feedback, "from", "feedback"), category_codes, "feedback", "from", "category")
    if c.text(feedback, "to", "feedback") != "strategic_decisions":
        raise c.fail("feedback", "field 'to' must be 'strategic_decisions'", "fix it")

    spanning = [
        SpanningActivity(
            id=c.text(e, "id", w),
            name=c.text(e, "name", w),
            definition=c.text(e, "definition", w),
            process=c.choice(e, "process", w, process_ids),
        )
        for w, e in c.entries(doc, "spanning_activities", ("id", "name", "process", "definition"))
    ]
    c.unique(spanning, "id", "spanning_activities")

    constructs = [
        Construct(
            id=c.text(e, "id", w),
            name=c.text(e, "name", w),
            kind=c.choice(e, "kind", w, _CONSTRUCT_KINDS),
            level=c.choice(e, "level", w, _LEVELS),
            definition=c.text(e, "definition", w),
        )
        for w, e in c.entries(doc, "constructs", ("id", "name", "kind", "level", "definition"))
    ]
    c.unique(constructs, "id", "constructs")

    # Every id a proposition may name must be unique across the groups it can come from.
    refs: dict[str, str] = {}
    for group, items, attr in (
        ("actions", actions, "code"),
        ("categories", categories, "code"),
        ("network_dimensions", dimensions, "id"),
        ("strategic_decisions", decisions, "id"),
        ("spanning_activities", spanning, "id"),
        ("constructs", constructs, "id"),
    ):
        for item in items:
            key = getattr(item, attr)
            if key in refs:
                raise c.fail(
                    f"{group} '{key}'",
                    f"the id is also used in '{refs[key]}'",
                    "ids must be unique across the framework so references stay unambiguous",
                )
            refs[key] = group

    propositions = []
    for w, e in c.entries(doc, "propositions", _PROPOSITION_FIELDS):
        roles = {}
        for role in ("predictors", "outcomes", "moderators", "mediators"):
            needed = 1 if role in ("predictors", "outcomes") else 0
            roles[role] = c.texts(e, role, w, min_len=needed)
            for ref in roles[role]:
                c.known(ref, refs, w, role, "construct or code")
        propositions.append(
            Proposition(
                id=c.text(e, "id", w),
                statement=c.text(e, "statement", w),
                level=c.choice(e, "level", w, _LEVELS),
                expected_sign=c.choice(e, "expected_sign", w, _SIGNS),
                data_source=c.choice(e, "data_source", w, _DATA_SOURCES),
                analysis=c.text(e, "analysis", w),
                **roles,
            )
        )
    c.unique(propositions, "id", "propositions")

    head_source = c.text(head, "source", "framework")
    c.known(head_source, ref_keys, "framework", "source", "reference")
    return Framework(
        name=c.text(head, "name", "framework"),
        title=c.text(head, "title", "framework"),
        description=c.text(head, "description", "framework"),
        source=head_source,
        schema_version=version,
        categories=tuple(categories),
        actions=tuple(actions),
        network_dimensions=tuple(dimensions),
        strategic_decisions=tuple(decisions),
        tactics=c.text(tactics, "definition", "tactics"),
        feedback=c.text(feedback, "definition", "feedback"),
        spanning_activities=tuple(spanning),
        processes=tuple(processes),
        approaches=tuple(approaches),
        constructs=tuple(constructs),
        propositions=tuple(propositions),
        references=tuple(references),
        path=str(path),
    )
