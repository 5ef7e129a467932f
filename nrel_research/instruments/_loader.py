"""Read and validate the item bank file into :class:`~.model.ItemBank` objects.

Validation is strict and checks the item bank against the framework
(:func:`nrel_research.framework.load`): constructs marked ``framework: true`` must name
an action code, network dimension, strategic decision area or construct of the
framework, and every action type of the framework must have a construct. Errors are
:class:`~nrel_research.exceptions.FrameworkError` naming the file, the entry (item,
construct, scale...) and the field, and saying how to fix it.
"""

from __future__ import annotations

import re
from pathlib import Path
from types import MappingProxyType
from typing import Any

from .._yaml import read_data_yaml
from ..exceptions import FrameworkError
from ..framework import Framework
from ..framework._loader import _Checker
from .model import (
    AUDIENCES,
    MEASUREMENT_MODELS,
    SCALE_LEVELS,
    VALUE_LEVELS,
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

SCHEMA_VERSION = 1
NAME_PATTERN = r"^[a-z][a-z0-9_]*[a-z0-9]$"
CODE_PATTERN = r"^[A-Za-z0-9]{1,5}$"
VALUE_TYPES = ("integer", "decimal", "text", "start", "end")
CONSTRUCT_KINDS = (
    "action",
    "decision",
    "network",
    "orientation",
    "outcome",
    "alignment",
    "grouping",
    "control",
    "marker",
    "data_quality",
    "consent",
    "linkage",
    "paradata",
    "archival",
)
_TOP = (
    "schema_version",
    "languages",
    "references",
    "scales",
    "messages",
    "platforms_item",
    "blocks",
    "constructs",
    "higher_order",
    "items",
)
MESSAGES = {
    "title": (),
    "range": ("min", "max"),
    "only_if": ("condition",),
    "answer_is": ("question", "values"),
    "includes": ("question", "value"),
    "or": (),
    "and": (),
    "research_team": (),
    "automatic": (),
    "select_all": (),
}
_ITEM_FIELDS = (
    "id",
    "construct",
    "text",
    "scale",
    "type",
    "multiple",
    "reverse",
    "source",
    "required",
    "relevant",
    "constraint",
    "correct",
    "audience",
    "identifier",
    "per_platform",
    "level",
)
_CONSTRUCT_FIELDS = (
    "id",
    "name",
    "kind",
    "framework",
    "measurement",
    "justification",
    "stem",
)


class _BankChecker(_Checker):
    def fail(self, where: str, problem: str, fix: str) -> FrameworkError:
        return FrameworkError(f"item bank file '{self.path}', {where}: {problem}; {fix}.")

    def optional_flag(self, entry: dict, name: str, where: str) -> bool:
        return self.flag(entry, name, where) if name in entry else False


def read_item_bank_yaml(path: Path) -> Any:
    """Parse the item bank YAML, turning read and syntax errors into FrameworkError."""
    return read_data_yaml(path, "item bank file")


def _framework_type(fw: Framework, ref: str) -> str:
    if ref in fw.codes:
        return "action"
    if ref in {d.id for d in fw.network_dimensions}:
        return "network_dimension"
    if ref in {d.id for d in fw.strategic_decisions}:
        return "strategic_decision"
    if ref in {c.id for c in fw.constructs}:
        return "construct"
    return ""


def parse_item_bank(doc: Any, path: Path, fw: Framework) -> ItemBank:
    """Validate a parsed item bank document against ``fw`` and build the ItemBank."""
    c = _BankChecker(path)
    if not isinstance(doc, dict):
        raise c.fail("top level", "the file must hold a mapping of sections", "check the file")
    c.fields(doc, _TOP, "top level")
    if doc.get("schema_version") != SCHEMA_VERSION:
        raise c.fail(
            "top level",
            f"schema_version is {doc.get('schema_version')!r}, this version reads {SCHEMA_VERSION}",
            f"set schema_version: {SCHEMA_VERSION}",
        )

    # -- languages -----------------------------------------------------------------------
    languages = []
    for w, e in c.entries(
        doc, "languages", ("code", "name", "native", "direction", "status", "complete")
    ):
        lang = Language(
            code=c.text(e, "code", w),
            name=c.text(e, "name", w),
            native=c.text(e, "native", w),
            direction=c.choice(e, "direction", w, ("ltr", "rtl")),
            status=c.text(e, "status", w),
            complete=c.flag(e, "complete", w),
        )
        if not re.match(r"^[a-z]{2,3}(-[A-Za-z0-9]+)?$", lang.code):
            raise c.fail(w, f"code {lang.code!r} is not an IANA language tag", "use e.g. 'es'")
        if lang.status != "source" and not lang.status.startswith(("draft", "reviewed")):
            raise c.fail(
                w,
                f"status {lang.status!r} is not recognised",
                "use 'source', 'draft — needs forward/back-translation review' or "
                "'reviewed: <how>'",
            )
        languages.append(lang)
    c.unique(languages, "code", "languages")
    if languages[0].status != "source":
        raise c.fail("languages[0]", "the first language must have status 'source'", "fix it")
    lang_codes = [lg.code for lg in languages]
    complete = {lg.code for lg in languages if lg.complete}

    def texts(e: dict, field: str, where: str, *, required: bool = True) -> MappingProxyType:
        value = e.get(field)
        if value is None and not required:
            return MappingProxyType({})
        if not isinstance(value, dict) or not value:
            raise c.fail(
                where,
                f"field '{field}' must map language codes to text, got {value!r}",
                f"write e.g. '{field}: {{en: ..., es: ...}}'",
            )
        out = {}
        for lang, txt in value.items():
            if lang not in lang_codes:
                raise c.fail(
                    where,
                    f"field '{field}' has text in unknown language {lang!r}",
                    f"declare it under 'languages' or use one of: {', '.join(lang_codes)}",
                )
            if not isinstance(txt, str) or not txt.strip():
                raise c.fail(where, f"{field}.{lang} is empty or not text", "fill it in")
            out[lang] = " ".join(txt.split())
        missing = [lg for lg in lang_codes if lg in complete and lg not in out]
        if missing:
            raise c.fail(
                where,
                f"field '{field}' lacks the translation(s) {', '.join(missing)}, declared "
                "complete under 'languages'",
                "add the missing text or set 'complete: false' on that language",
            )
        return MappingProxyType(out)

    # -- messages ------------------------------------------------------------------------
    raw_messages = c.section(doc, "messages", dict)
    c.fields(raw_messages, tuple(MESSAGES), "messages")
    messages = {}
    for key, placeholders in MESSAGES.items():
        if key not in raw_messages:
            raise c.fail("messages", f"message '{key}' is missing", "add it in every language")
        messages[key] = texts(raw_messages, key, f"messages.{key}")
        for lang, t in messages[key].items():
            found = set(re.findall(r"\{(\w+)\}", t))
            if found != set(placeholders):
                raise c.fail(
                    f"messages.{key}.{lang}",
                    f"placeholders {sorted(found)} differ from {sorted(placeholders)}",
                    "keep the {...} placeholders of the English text",
                )

    # -- references ----------------------------------------------------------------------
    references = [
        SourceReference(
            key=c.text(e, "key", w),
            citation=c.text(e, "citation", w),
            verified=c.flag(e, "verified", w),
        )
        for w, e in c.entries(doc, "references", ("key", "citation", "verified"))
    ]
    for r in fw.references:
        references.append(SourceReference(key=r.key, citation=r.apa(), verified=r.verified))
    c.unique(references, "key", "references (including the framework's references)")
    ref_by_key = {r.key: r for r in references}

    # -- scales --------------------------------------------------------------------------
    scales = []
    for w, e in c.entries(doc, "scales", ("id", "kind", "level", "choices")):
        raw = e.get("choices")
        if not isinstance(raw, list) or len(raw) < 2:
            raise c.fail(w, "field 'choices' must list at least 2 options", "add them")
        choices = []
        for j, ch in enumerate(raw):
            cw = f"{w}.choices[{j}]"
            c.fields(ch, ("code", "key", "other", "label"), cw)
            code = c.text(ch, "code", cw)
            if not re.match(CODE_PATTERN, code):
                raise c.fail(
                    cw,
                    f"code {code!r} is not 1-5 letters or digits",
                    "short alphanumeric codes import into every survey platform",
                )
            choices.append(
                Choice(
                    code=code,
                    labels=texts(ch, "label", cw),
                    key=c.text(ch, "key", cw, required=False),
                    other=c.optional_flag(ch, "other", cw),
                )
            )
        c.unique(choices, "code", f"{w}.choices")
        kind = c.choice(e, "kind", w, tuple(SCALE_LEVELS))
        if "level" not in e:
            raise c.fail(
                w,
                "field 'level' (the measurement level of the answers) is missing",
                f"add 'level: {SCALE_LEVELS[kind][0]}' (a {kind} scale takes "
                f"{' or '.join(SCALE_LEVELS[kind])})",
            )
        scales.append(
            Scale(
                id=c.text(e, "id", w),
                kind=kind,
                choices=tuple(choices),
                level=c.choice(e, "level", w, SCALE_LEVELS[kind]),
            )
        )
    c.unique(scales, "id", "scales")
    scale_by_id = {s.id: s for s in scales}

    # -- constructs ----------------------------------------------------------------------
    constructs = []
    for w, e in c.entries(doc, "constructs", _CONSTRUCT_FIELDS):
        cid = c.text(e, "id", w)
        in_fw = c.flag(e, "framework", w)
        ftype = _framework_type(fw, cid)
        if in_fw and not ftype:
            raise c.fail(
                w,
                f"construct {cid!r} is marked 'framework: true' but names nothing in the "
                f"framework file '{fw.path}'",
                "use an action code (R1..L1), a network dimension, a strategic decision "
                "area or a framework construct id, or set 'framework: false'",
            )
        if not in_fw and ftype:
            raise c.fail(
                w,
                f"construct {cid!r} is a framework {ftype} but is marked 'framework: false'",
                "set 'framework: true' so it is validated against the framework",
            )
        constructs.append(
            Construct(
                id=cid,
                name=c.text(e, "name", w),
                kind=c.choice(e, "kind", w, CONSTRUCT_KINDS),
                framework=in_fw,
                framework_type=ftype,
                measurement=c.choice(e, "measurement", w, MEASUREMENT_MODELS),
                justification=c.text(e, "justification", w),
                stem=texts(e, "stem", w, required=False),
            )
        )
    c.unique(constructs, "id", "constructs")
    construct_ids = [k.id for k in constructs]
    missing_actions = [code for code in fw.codes if code not in construct_ids]
    if missing_actions:
        raise c.fail(
            "constructs",
            f"the framework's action type(s) {', '.join(missing_actions)} have no construct",
            "add a construct (and at least 3 items) for each action code",
        )

    # -- blocks --------------------------------------------------------------------------
    blocks = []
    placed: dict[str, str] = {}
    for w, e in c.entries(doc, "blocks", ("id", "constructs", "title", "intro")):
        b = Block(
            id=c.text(e, "id", w),
            constructs=c.texts(e, "constructs", w),
            title=texts(e, "title", w),
            intro=texts(e, "intro", w, required=False),
        )
        for k in b.constructs:
            c.known(k, construct_ids, w, "constructs", "construct")
            if k in placed:
                raise c.fail(w, f"construct {k!r} is also in block {placed[k]!r}", "place it once")
            placed[k] = b.id
        blocks.append(b)
    c.unique(blocks, "id", "blocks")
    unplaced = [k for k in construct_ids if k not in placed]
    if unplaced:
        raise c.fail("blocks", f"construct(s) {', '.join(unplaced)} are in no block", "add them")
    order = [k for b in blocks for k in b.constructs if k in fw.codes]
    if order != [code for code in fw.codes if code in order]:
        raise c.fail(
            "blocks",
            f"action constructs appear in the order {order}, not the framework's {list(fw.codes)}",
            "list the action types in framework order",
        )

    # -- higher-order --------------------------------------------------------------------
    higher = []
    for w, e in c.entries(
        doc, "higher_order", ("id", "category", "components", "measurement", "justification")
    ):
        h = HigherOrder(
            id=c.text(e, "id", w),
            category=c.choice(e, "category", w, [k.code for k in fw.categories]),
            components=c.texts(e, "components", w),
            measurement=c.choice(e, "measurement", w, MEASUREMENT_MODELS[:3]),
            justification=c.text(e, "justification", w),
        )
        expected = [a.code for a in fw.actions_in(h.category)]
        if list(h.components) != expected:
            raise c.fail(
                w,
                f"components {list(h.components)} differ from the framework's action types of "
                f"category {h.category}: {expected}",
                "list exactly the category's action codes",
            )
        higher.append(h)
    c.unique(higher, "id", "higher_order")

    # -- items ---------------------------------------------------------------------------
    platforms_item = c.text(doc, "platforms_item", "top level")
    raw_items = c.section(doc, "items", list)
    platform_scale = None
    for e in raw_items:
        if isinstance(e, dict) and e.get("id") == platforms_item:
            platform_scale = scale_by_id.get(e.get("scale"))
    if platform_scale is None:
        raise c.fail(
            "top level",
            f"platforms_item {platforms_item!r} is not an item with a known scale",
            "name the multi-select item that lists the platforms",
        )
    platforms = [ch for ch in platform_scale.choices if not ch.other]

    items: list[Item] = []
    pending_relevance: list[tuple[str, Item, dict]] = []
    for i, e in enumerate(raw_items):
        w = f"items[{i}]"
        if isinstance(e, dict) and isinstance(e.get("id"), str):
            w += f" ({e['id']})"
        c.fields(e, _ITEM_FIELDS, w)
        iid = c.text(e, "id", w)
        construct = c.text(e, "construct", w)
        c.known(construct, construct_ids, w, "construct", "construct")
        per_platform = c.optional_flag(e, "per_platform", w)
        multiple = c.optional_flag(e, "multiple", w)
        scale_id = e.get("scale")
        type_ = e.get("type")
        if scale_id is None and type_ is None:
            raise c.fail(
                w,
                "item has no scale: neither 'scale' nor 'type' is given",
                f"add 'scale: <one of {', '.join(scale_by_id)}>' or 'type: <one of "
                f"{', '.join(VALUE_TYPES)}>'",
            )
        if scale_id is not None and type_ is not None:
            raise c.fail(w, "give either 'scale' or 'type', not both", "remove one")
        if scale_id is not None:
            c.known(str(scale_id), scale_by_id, w, "scale", "scale")
            kind = "select_multiple" if multiple else "select_one"
            rating = scale_by_id[scale_id].kind == "rating" and not multiple
            if "level" in e:
                raise c.fail(
                    w,
                    "an item with a 'scale' takes its measurement level from the scale",
                    f"remove 'level' here or set it on scale {scale_id!r}",
                )
            # a multi-select answer is a set of 0/1 indicators, one per option: nominal
            level = "nominal" if multiple else scale_by_id[scale_id].level
        else:
            kind = c.choice(e, "type", w, VALUE_TYPES)
            rating = False
            if multiple:
                raise c.fail(w, "'multiple: true' needs a 'scale'", "add the choice list")
            default, allowed = VALUE_LEVELS[kind]
            level = c.choice(e, "level", w, allowed) if "level" in e else default
        source = c.text(e, "source", w)
        c.known(source, ref_by_key, w, "source", "reference")
        minimum = maximum = None
        if "constraint" in e:
            con = e["constraint"]
            c.fields(con, ("min", "max"), f"{w}.constraint")
            if kind not in ("integer", "decimal"):
                raise c.fail(w, "'constraint' applies to integer/decimal items only", "remove it")
            minimum, maximum = con.get("min"), con.get("max")
            for v in (minimum, maximum):
                if not isinstance(v, int | float) or isinstance(v, bool):
                    raise c.fail(w, f"constraint bound {v!r} is not a number", "write numbers")
            if minimum >= maximum:
                raise c.fail(w, f"constraint min {minimum} >= max {maximum}", "swap them")
        correct = None
        if "correct" in e:
            correct = c.text(e, "correct", w)
            if scale_id is None or correct not in scale_by_id[scale_id].codes:
                raise c.fail(w, f"correct answer {correct!r} is not a code of the scale", "fix it")
        text = texts(e, "text", w)
        if per_platform != ("{platform}" in iid):
            raise c.fail(
                w,
                "an item with 'per_platform: true' must have '{platform}' in its id (and only "
                "such items may)",
                "e.g. id: net_followers_{platform}",
            )
        if per_platform:
            for lang, t in text.items():
                if "{platform}" not in t:
                    raise c.fail(w, f"text.{lang} lacks the '{{platform}}' placeholder", "add it")
        common = {
            "construct": construct,
            "type": kind,
            "scale": scale_id,
            "reverse": c.optional_flag(e, "reverse", w),
            "source": source,
            "citation": ref_by_key[source].citation,
            "verified": ref_by_key[source].verified,
            "required": c.optional_flag(e, "required", w),
            "minimum": minimum,
            "maximum": maximum,
            "correct": correct,
            "audience": c.choice(e, "audience", w, AUDIENCES) if "audience" in e else "respondent",
            "identifier": c.optional_flag(e, "identifier", w),
            "rating": rating,
            "level": level,
        }
        expanded = []
        if per_platform:
            for p in platforms:
                expanded.append(
                    Item(
                        id=iid.replace("{platform}", p.code),
                        text=MappingProxyType(
                            {
                                lg: t.replace("{platform}", p.labels.get(lg, p.code))
                                for lg, t in text.items()
                            }
                        ),
                        platform=p.code,
                        template=iid,
                        relevant=(Condition(platforms_item, "selected", (p.code,)),),
                        **common,
                    )
                )
        else:
            expanded.append(Item(id=iid, text=text, **common))
        for item in expanded:
            if not re.match(NAME_PATTERN, item.id) or len(item.id) > 26:
                raise c.fail(
                    w,
                    f"id {item.id!r} is not a valid variable name",
                    "use lower-case letters, digits and _ (start with a letter, at most 26 "
                    "characters) so it is valid in XLSForm, REDCap and LimeSurvey",
                )
            items.append(item)
            if "relevant" in e:
                pending_relevance.append((w, item, e["relevant"]))
    c.unique(items, "id", "items")

    # -- skip logic (after all items are known) ------------------------------------------
    by_id = {it.id: it for it in items}
    position = {it.id: n for n, it in enumerate(items)}
    for w, item, rel in pending_relevance:
        rw = f"{w}.relevant"
        if not isinstance(rel, dict):
            raise c.fail(rw, f"expected a mapping, got {rel!r}", "write {item: x, in: [codes]}")
        c.fields(rel, ("item", "in", "selected"), rw)
        target = c.text(rel, "item", rw)
        if target not in by_id:
            raise c.fail(
                rw,
                f"skip logic refers to missing item {target!r}",
                "name an existing item id (check the spelling)",
            )
        ref = by_id[target]
        if ref.scale is None:
            raise c.fail(rw, f"skip logic item {target!r} has no choices", "refer to a choice item")
        block_index = {k: n for n, b in enumerate(blocks) for k in b.constructs}
        before = (block_index[ref.construct], position[target]) < (
            block_index[item.construct],
            position[item.id],
        )
        if not before:
            raise c.fail(
                rw,
                f"skip logic item {target!r} is not asked before this item",
                "move the item (or its construct's block) after the item it depends on",
            )
        codes = scale_by_id[ref.scale].codes
        if ("in" in rel) == ("selected" in rel):
            raise c.fail(rw, "give exactly one of 'in' or 'selected'", "fix it")
        if "in" in rel:
            if ref.type != "select_one":
                raise c.fail(
                    rw, f"'in' needs a single-choice item; {target!r} is not", "use 'selected'"
                )
            values = tuple(str(v) for v in (rel["in"] or []))
            op = "in"
        else:
            if ref.type != "select_multiple":
                raise c.fail(
                    rw, f"'selected' needs a multi-select item; {target!r} is not", "use 'in'"
                )
            values = (str(rel["selected"]),)
            op = "selected"
        bad = [v for v in values if v not in codes] or ([] if values else ["(none)"])
        if bad:
            raise c.fail(
                rw,
                f"code(s) {', '.join(bad)} are not codes of item {target!r}",
                f"use codes of scale {ref.scale}: {', '.join(codes)}",
            )
        cond = Condition(target, op, values)
        new = Item(**{**_fields(item), "relevant": (*item.relevant, cond)})
        items[position[item.id]] = new

    counts = {k: sum(1 for it in items if it.construct == k) for k in construct_ids}
    empty = [k for k, n in counts.items() if n == 0]
    if empty:
        raise c.fail("items", f"construct(s) {', '.join(empty)} have no items", "add items")
    for k in constructs:
        if k.measurement in ("reflective", "formative", "composite") and counts[k.id] < 3:
            raise c.fail(
                f"construct {k.id!r}",
                f"a {k.measurement} construct has only {counts[k.id]} item(s)",
                "give multi-item constructs at least 3 items",
            )

    return ItemBank(
        languages=tuple(languages),
        references=tuple(references),
        scales=tuple(scales),
        blocks=tuple(blocks),
        constructs=tuple(constructs),
        higher_order=tuple(higher),
        items=tuple(items),
        platforms_item=platforms_item,
        messages=MappingProxyType(messages),
        path=str(path),
    )


def _fields(item: Item) -> dict:
    return {name: getattr(item, name) for name in Item.__dataclass_fields__}
