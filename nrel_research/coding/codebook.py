"""The N-REL content-analysis codebook: typed, immutable, validated.

The codebook data file (``codebook.yaml``, bundled) holds what coders need on top of the
framework: when to use and when not to use each code, positive and negative examples,
decision rules for confusable pairs, the post-level variables and the dictionary
coder's patterns. The codes themselves - their names, categories and definitions - are
taken from :func:`nrel_research.framework.load` every time the codebook is loaded, so
the two can never drift apart: a code in the codebook that the framework lacks, or a
framework code the codebook does not cover, is an error.

Examples
--------
>>> from nrel_research import coding
>>> cb = coding.load_codebook()
>>> cb.codes
('R1', 'R2', 'E1', 'E2', 'E3', 'E4', 'E5', 'E6', 'E7', 'L1')
>>> cb.code("L1").name
'Market (business) intelligence'
>>> sorted(cb.languages)
['el', 'en', 'es', 'fa']
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from importlib import resources
from os import PathLike
from pathlib import Path
from typing import Any

import pandas as pd

from .._yaml import read_data_yaml
from ..exceptions import FrameworkError
from ..framework import Framework
from ..framework import load as load_framework
from ._text import normalize

__all__ = [
    "Code",
    "Codebook",
    "DecisionRule",
    "DictionaryRule",
    "Example",
    "Variable",
    "default_codebook_path",
    "load_codebook",
]

SCHEMA_VERSION = 1
VARIABLE_KINDS = ("id", "category", "date", "boolean", "count", "text")
_TOP = ("schema_version", "codebook", "variables", "codes", "decision_rules", "dictionary")
_HEAD = ("title", "version", "unit_of_analysis", "instructions", "listening_note")
_CODE_FIELDS = (
    "code",
    "when_to_use",
    "when_not_to_use",
    "positive_examples",
    "negative_examples",
)
MIN_POSITIVE = 3
MIN_NEGATIVE = 2


@dataclass(frozen=True, slots=True)
class Example:
    """An example post; for a negative example, ``code`` is the code it does get, and why."""

    text: str
    code: str
    why: str = ""


@dataclass(frozen=True, slots=True)
class Code:
    """One code of the codebook: the framework's action type plus the coding guidance."""

    code: str
    name: str
    category: str
    category_name: str
    definition: str
    b2b_only: bool
    when_to_use: tuple[str, ...]
    when_not_to_use: tuple[str, ...]
    positive_examples: tuple[Example, ...]
    negative_examples: tuple[Example, ...]


@dataclass(frozen=True, slots=True)
class DecisionRule:
    """How to decide between two confusable codes."""

    codes: tuple[str, str]
    question: str
    rule: str


@dataclass(frozen=True, slots=True)
class Variable:
    """A post-level variable recorded for every unit."""

    name: str
    label: str
    kind: str
    required: bool
    description: str
    values: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class DictionaryRule:
    """One dictionary-coder pattern: ``id`` is ``language:code:number`` (1-based)."""

    id: str
    language: str
    code: str
    pattern: str
    weight: float


@dataclass(frozen=True, slots=True)
class Codebook:
    """The content-analysis codebook. Obtain it with :func:`load_codebook`.

    Examples
    --------
    >>> from nrel_research import coding
    >>> cb = coding.load_codebook()
    >>> cb.decision_rule("R2", "E4").question[:40]
    'Are followers asked to do something that'
    >>> len(cb.rules_for("el")) > 40
    True
    """

    title: str
    version: str
    unit_of_analysis: str
    instructions: tuple[str, ...]
    listening_note: str
    codes_: tuple[Code, ...]
    decision_rules: tuple[DecisionRule, ...]
    variables: tuple[Variable, ...]
    dictionary: tuple[DictionaryRule, ...]
    priority: tuple[str, ...]
    min_score: float
    framework_source: str
    path: str = field(default="", compare=False)

    @property
    def codes(self) -> tuple[str, ...]:
        """The codes in framework order."""
        return tuple(c.code for c in self.codes_)

    @property
    def languages(self) -> tuple[str, ...]:
        """Languages that have dictionary patterns."""
        return tuple(dict.fromkeys(r.language for r in self.dictionary))

    def code(self, code: str) -> Code:
        """Return the :class:`Code` ``code`` (case-insensitive).

        Raises
        ------
        FrameworkError
            If the codebook has no such code; the message lists the valid codes.
        """
        key = str(code).strip().upper()
        for c in self.codes_:
            if c.code == key:
                return c
        raise FrameworkError(
            f"unknown code {code!r}; the codebook's codes are: {', '.join(self.codes)}."
        )

    def variable(self, name: str) -> Variable:
        """Return the post-level variable ``name``."""
        for v in self.variables:
            if v.name == name:
                return v
        names = ", ".join(v.name for v in self.variables)
        raise FrameworkError(f"unknown variable {name!r}; the codebook's variables are: {names}.")

    def decision_rule(self, a: str, b: str) -> DecisionRule:
        """Return the decision rule for the pair ``a``/``b`` (in either order)."""
        pair = {a.upper(), b.upper()}
        for r in self.decision_rules:
            if set(r.codes) == pair:
                return r
        have = ", ".join("/".join(r.codes) for r in self.decision_rules)
        raise FrameworkError(f"no decision rule for {a}/{b}; the codebook has rules for: {have}.")

    def rules_for(self, language: str | None = None) -> tuple[DictionaryRule, ...]:
        """Return the dictionary rules of one language, or of every language when ``None``."""
        if language is None:
            return self.dictionary
        return tuple(r for r in self.dictionary if r.language == language)

    def to_frame(self, kind: str = "codes") -> pd.DataFrame:
        """Return a tidy table of one part of the codebook.

        ``kind`` is ``"codes"``, ``"examples"``, ``"decision_rules"``, ``"variables"``
        or ``"dictionary"``.

        Examples
        --------
        >>> from nrel_research import coding
        >>> coding.load_codebook().to_frame("examples").columns.tolist()
        ['code', 'kind', 'text', 'correct_code', 'why']
        """
        if kind == "codes":
            rows = [
                {
                    "code": c.code,
                    "name": c.name,
                    "category": c.category,
                    "category_name": c.category_name,
                    "b2b_only": c.b2b_only,
                    "definition": c.definition,
                    "when_to_use": " | ".join(c.when_to_use),
                    "when_not_to_use": " | ".join(c.when_not_to_use),
                }
                for c in self.codes_
            ]
        elif kind == "examples":
            rows = [
                {
                    "code": c.code,
                    "kind": kind_,
                    "text": e.text,
                    "correct_code": e.code,
                    "why": e.why,
                }
                for c in self.codes_
                for kind_, examples in (
                    ("positive", c.positive_examples),
                    ("negative", c.negative_examples),
                )
                for e in examples
            ]
        elif kind == "decision_rules":
            rows = [
                {"code_a": r.codes[0], "code_b": r.codes[1], "question": r.question, "rule": r.rule}
                for r in self.decision_rules
            ]
        elif kind == "variables":
            rows = [
                {
                    "name": v.name,
                    "label": v.label,
                    "kind": v.kind,
                    "required": v.required,
                    "values": ", ".join(v.values),
                    "description": v.description,
                }
                for v in self.variables
            ]
        elif kind == "dictionary":
            rows = [
                {
                    "id": r.id,
                    "language": r.language,
                    "code": r.code,
                    "pattern": r.pattern,
                    "weight": r.weight,
                }
                for r in self.dictionary
            ]
        else:
            raise FrameworkError(
                f"kind={kind!r} is not valid; use one of: 'codes', 'examples', "
                "'decision_rules', 'variables', 'dictionary'."
            )
        return pd.DataFrame(rows)

    def __repr__(self) -> str:
        return (
            f"Codebook({self.title!r}, version {self.version}, {len(self.codes_)} codes, "
            f"{len(self.decision_rules)} decision rules, {len(self.dictionary)} dictionary "
            f"rules in {len(self.languages)} languages)"
        )


def default_codebook_path() -> Path:
    """Path of the codebook data file bundled with the package."""
    return Path(str(resources.files(__package__).joinpath("codebook.yaml")))


def load_codebook(
    path: str | PathLike[str] | None = None, *, framework: Framework | None = None
) -> Codebook:
    """Load and validate the content-analysis codebook.

    Parameters
    ----------
    path : str or path-like, optional
        A codebook YAML file with the layout of the bundled one (e.g. an adapted copy).
        By default the bundled ``codebook.yaml`` is read (and cached: the result is
        immutable).
    framework : Framework, optional
        The framework whose codes, names and definitions the codebook uses; by default
        :func:`nrel_research.framework.load`.

    Returns
    -------
    Codebook

    Raises
    ------
    FrameworkError
        If the file cannot be read, is not valid YAML, or breaks the schema: a code the
        framework lacks or a framework code without an entry, fewer than 3 positive or 2
        negative examples, a negative example pointing to an unknown code or to its own
        code, a decision rule on unknown codes, a dictionary pattern that is not a valid
        regular expression. The message names the file, the entry and the field.

    Examples
    --------
    >>> from nrel_research import coding
    >>> cb = coding.load_codebook()
    >>> [c for c in cb.codes if cb.code(c).b2b_only]
    ['E7']
    """
    if path is None and framework is None:
        return _load_bundled()
    fw = framework if framework is not None else load_framework()
    p = Path(path) if path is not None else default_codebook_path()
    return _parse(_read(p), p, fw)


@functools.cache
def _load_bundled() -> Codebook:
    p = default_codebook_path()
    return _parse(_read(p), p, load_framework())


def _read(path: Path) -> Any:
    return read_data_yaml(path, "codebook file")


class _Check:
    def __init__(self, path: Path):
        self.path = path

    def fail(self, where: str, problem: str, fix: str) -> FrameworkError:
        return FrameworkError(f"codebook file '{self.path}', {where}: {problem}; {fix}.")

    def mapping(self, entry: Any, allowed: tuple[str, ...], where: str) -> dict:
        if not isinstance(entry, dict):
            raise self.fail(where, f"expected a mapping, got {entry!r}", "write 'field: value'")
        unknown = [k for k in entry if k not in allowed]
        if unknown:
            raise self.fail(
                where,
                f"unknown field(s) {', '.join(map(repr, unknown))}",
                f"allowed fields are: {', '.join(allowed)}",
            )
        return entry

    def text(self, entry: dict, key: str, where: str, *, required: bool = True) -> str:
        value = entry.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                raise self.fail(where, f"required field '{key}' is missing or empty", "fill it in")
            return ""
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise self.fail(where, f"field '{key}' must be text, got {value!r}", "quote it")
        return " ".join(str(value).split())

    def texts(self, entry: dict, key: str, where: str, *, min_len: int = 1) -> tuple[str, ...]:
        value = entry.get(key)
        if not isinstance(value, list) or len(value) < min_len:
            raise self.fail(
                where,
                f"field '{key}' must be a list of at least {min_len} item(s), got {value!r}",
                "write one '- item' line per entry",
            )
        out = []
        for i, v in enumerate(value):
            if isinstance(v, bool) or not isinstance(v, str | int) or not str(v).strip():
                raise self.fail(where, f"item {i + 1} of '{key}' is not text: {v!r}", "fix it")
            out.append(" ".join(str(v).split()))
        return tuple(out)


def _parse(doc: Any, path: Path, fw: Framework) -> Codebook:
    c = _Check(path)
    doc = c.mapping(doc, _TOP, "top level")
    for key in _TOP:
        if key not in doc:
            raise c.fail("top level", f"required section '{key}' is missing", "add it")
    if doc["schema_version"] != SCHEMA_VERSION:
        raise c.fail(
            "top level",
            f"schema_version is {doc['schema_version']!r}, this version reads {SCHEMA_VERSION}",
            f"set schema_version: {SCHEMA_VERSION}",
        )
    head = c.mapping(doc["codebook"], _HEAD, "codebook")
    framework_codes = fw.codes

    def known_code(value: Any, where: str, fld: str) -> str:
        code = str(value).strip().upper() if isinstance(value, str) else value
        if code not in framework_codes:
            raise c.fail(
                where,
                f"field '{fld}' has unknown code {value!r}",
                f"use one of the framework's codes: {', '.join(framework_codes)}",
            )
        return code

    # -- variables
    if not isinstance(doc["variables"], list) or not doc["variables"]:
        raise c.fail("variables", "expected a non-empty list", "list the post-level variables")
    variables = []
    for i, e in enumerate(doc["variables"]):
        w = f"variables[{i + 1}]"
        e = c.mapping(e, ("name", "label", "kind", "values", "required", "description"), w)
        name = c.text(e, "name", w)
        w = f"variables[{i + 1}] ({name})"
        kind = c.text(e, "kind", w)
        if kind not in VARIABLE_KINDS:
            raise c.fail(w, f"field 'kind' has unknown value {kind!r}", f"use {VARIABLE_KINDS}")
        values = c.texts(e, "values", w) if kind == "category" else ()
        if kind != "category" and "values" in e:
            raise c.fail(w, "only category variables take 'values'", "remove 'values'")
        if not isinstance(e.get("required"), bool):
            raise c.fail(w, "field 'required' must be true or false", "write true or false")
        if name in {v.name for v in variables}:
            raise c.fail(w, f"duplicate variable {name!r}", "keep one")
        variables.append(
            Variable(
                name=name,
                label=c.text(e, "label", w),
                kind=kind,
                required=e["required"],
                description=c.text(e, "description", w),
                values=values,
            )
        )

    # -- codes
    if not isinstance(doc["codes"], list):
        raise c.fail("codes", "expected a list of code entries", "see the bundled codebook")
    entries: dict[str, Code] = {}
    for i, e in enumerate(doc["codes"]):
        w = f"codes[{i + 1}]"
        e = c.mapping(e, _CODE_FIELDS, w)
        code = known_code(c.text(e, "code", w), w, "code")
        w = f"codes[{i + 1}] ({code})"
        if code in entries:
            raise c.fail(w, f"duplicate entry for code {code}", "merge the two entries")
        action = fw.action(code)
        positives = tuple(
            Example(text=t, code=code) for t in c.texts(e, "positive_examples", w, min_len=3)
        )
        raw_neg = e.get("negative_examples")
        if not isinstance(raw_neg, list) or len(raw_neg) < MIN_NEGATIVE:
            raise c.fail(
                w,
                f"field 'negative_examples' needs at least {MIN_NEGATIVE} entries, got {raw_neg!r}",
                "add '- {text: ..., code: ..., why: ...}' entries",
            )
        negatives = []
        for j, ne in enumerate(raw_neg):
            nw = f"{w}.negative_examples[{j + 1}]"
            ne = c.mapping(ne, ("text", "code", "why"), nw)
            correct = known_code(c.text(ne, "code", nw), nw, "code")
            if correct == code:
                raise c.fail(
                    nw,
                    f"a negative example of {code} cannot be coded {code}",
                    "give the code the post does get",
                )
            negatives.append(
                Example(text=c.text(ne, "text", nw), code=correct, why=c.text(ne, "why", nw))
            )
        entries[code] = Code(
            code=code,
            name=action.name,
            category=action.category,
            category_name=fw.category(action.category).name,
            definition=action.definition,
            b2b_only=action.b2b_only,
            when_to_use=c.texts(e, "when_to_use", w),
            when_not_to_use=c.texts(e, "when_not_to_use", w),
            positive_examples=positives,
            negative_examples=tuple(negatives),
        )
    missing = [k for k in framework_codes if k not in entries]
    if missing:
        raise c.fail(
            "codes",
            f"no entry for the framework code(s) {', '.join(missing)}",
            "add an entry for every code of the framework",
        )

    # -- decision rules
    if not isinstance(doc["decision_rules"], list) or not doc["decision_rules"]:
        raise c.fail("decision_rules", "expected a non-empty list", "add the decision rules")
    rules = []
    for i, e in enumerate(doc["decision_rules"]):
        w = f"decision_rules[{i + 1}]"
        e = c.mapping(e, ("codes", "question", "rule"), w)
        pair = c.texts(e, "codes", w, min_len=2)
        if len(pair) != 2 or pair[0] == pair[1]:
            raise c.fail(w, f"field 'codes' must name two different codes, got {pair!r}", "fix it")
        pair = (known_code(pair[0], w, "codes"), known_code(pair[1], w, "codes"))
        if any(set(pair) == set(r.codes) for r in rules):
            raise c.fail(w, f"duplicate decision rule for {pair[0]}/{pair[1]}", "merge them")
        rules.append(
            DecisionRule(codes=pair, question=c.text(e, "question", w), rule=c.text(e, "rule", w))
        )

    # -- dictionary
    d = c.mapping(doc["dictionary"], ("priority", "min_score", "patterns"), "dictionary")
    priority = tuple(
        known_code(p, "dictionary", "priority") for p in c.texts(d, "priority", "dictionary")
    )
    if sorted(priority) != sorted(framework_codes):
        raise c.fail(
            "dictionary",
            f"field 'priority' must list every code once, got {', '.join(priority)}",
            f"list all of: {', '.join(framework_codes)}",
        )
    min_score = d.get("min_score", 1)
    if isinstance(min_score, bool) or not isinstance(min_score, int | float) or min_score <= 0:
        raise c.fail(
            "dictionary", f"min_score must be a positive number, got {min_score!r}", "fix it"
        )
    patterns = d.get("patterns")
    if not isinstance(patterns, dict) or not patterns:
        raise c.fail("dictionary", "field 'patterns' must map languages to codes", "see the file")
    dictionary = []
    for lang, by_code in patterns.items():
        lw = f"dictionary.patterns.{lang}"
        if not isinstance(lang, str) or not re.fullmatch(r"[a-z]{2,3}", lang):
            raise c.fail(lw, f"language {lang!r} is not an ISO 639 code", "use e.g. en, es, fa, el")
        if not isinstance(by_code, dict):
            raise c.fail(lw, "expected a mapping of codes to pattern lists", "see the file")
        for code_key, items in by_code.items():
            code = known_code(code_key, lw, "code")
            cw = f"{lw}.{code}"
            if not isinstance(items, list) or not items:
                raise c.fail(cw, "expected a non-empty list of patterns", "add patterns")
            for k, item in enumerate(items):
                rw = f"{cw}[{k + 1}]"
                weight: Any = 1
                if isinstance(item, dict):
                    c.mapping(item, ("pattern", "weight"), rw)
                    weight = item.get("weight", 1)
                    item = item.get("pattern")
                if not isinstance(item, str) or not item.strip():
                    raise c.fail(rw, f"pattern must be non-empty text, got {item!r}", "quote it")
                if isinstance(weight, bool) or not isinstance(weight, int | float) or weight <= 0:
                    raise c.fail(rw, f"weight must be a positive number, got {weight!r}", "fix it")
                try:
                    re.compile(normalize(item), re.IGNORECASE)
                except re.error as exc:
                    raise c.fail(
                        rw, f"pattern {item!r} is not a valid regular expression ({exc})", "fix it"
                    ) from exc
                dictionary.append(
                    DictionaryRule(
                        id=f"{lang}:{code}:{k + 1}",
                        language=lang,
                        code=code,
                        pattern=item,
                        weight=float(weight),
                    )
                )

    return Codebook(
        title=c.text(head, "title", "codebook"),
        version=c.text(head, "version", "codebook"),
        unit_of_analysis=c.text(head, "unit_of_analysis", "codebook"),
        instructions=c.texts(head, "instructions", "codebook"),
        listening_note=c.text(head, "listening_note", "codebook"),
        codes_=tuple(entries[k] for k in framework_codes),
        decision_rules=tuple(rules),
        variables=tuple(variables),
        dictionary=tuple(dictionary),
        priority=priority,
        min_score=float(min_score),
        framework_source=fw.path,
        path=str(path),
    )
