"""Build a survey :class:`Instrument` from the item bank.

An instrument is the item bank cut to the constructs and languages a study needs, in
the framework's block order, with the skip logic every exporter writes: the B2B-only
action types of the framework (E7) are shown only when the market-type answer is one of
the market types the action applies to (:meth:`ActionType.applies_to`), per-platform
follow-ups only when the platform is selected, and every respondent question only after
consent is given.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import pandas as pd

from .. import framework
from .._validation import check_rng
from ..exceptions import FrameworkError, TranslationWarning
from . import load_item_bank
from .model import Condition, Item, ItemBank, Language

__all__ = ["Instrument", "InstrumentBlock", "Question", "build"]

CONSENT_ITEM = "consent"
CONSENT_YES = "1"


@dataclass(frozen=True, slots=True)
class Question:
    """An item as placed in an instrument, with its effective skip logic.

    ``relevant`` holds every condition that must hold (joined with *and*); ``run`` numbers
    the battery (consecutive rating items sharing a scale) the question belongs to within
    its block, or is ``None`` for other questions; ``number`` is the question number in
    printed questionnaires.
    """

    item: Item
    block: str
    relevant: tuple[Condition, ...]
    number: int
    run: int | None = None

    @property
    def name(self) -> str:
        """The variable name (the item id)."""
        return self.item.id


@dataclass(frozen=True, slots=True)
class InstrumentBlock:
    """A block of an instrument and its questions, in presentation order."""

    id: str
    title: Mapping[str, str]
    intro: Mapping[str, str]
    questions: tuple[Question, ...]

    def runs(self) -> list[tuple[int | None, list[Question]]]:
        """Group the questions into consecutive runs (batteries share a run number)."""
        out: list[tuple[int | None, list[Question]]] = []
        for q in self.questions:
            if out and q.run is not None and out[-1][0] == q.run:
                out[-1][1].append(q)
            else:
                out.append((q.run, [q]))
        return out


@dataclass(frozen=True)
class Instrument:
    """A survey instrument built from the item bank; exporters write it to files.

    Create it with :func:`build`. ``missing_translations`` lists, per language, every
    text of the instrument that has no translation (exporters leave those texts empty;
    they are never replaced by English).
    """

    bank: ItemBank
    languages: tuple[Language, ...]
    blocks: tuple[InstrumentBlock, ...]
    constructs: tuple[str, ...]
    seed: int | None
    randomized: bool
    missing_translations: pd.DataFrame = field(compare=False, repr=False)

    @property
    def questions(self) -> tuple[Question, ...]:
        """All questions in presentation order."""
        return tuple(q for b in self.blocks for q in b.questions)

    def question(self, name: str) -> Question:
        """Return the question whose variable is ``name``."""
        for q in self.questions:
            if q.name == name:
                return q
        raise FrameworkError(f"the instrument has no question {name!r}.")

    @property
    def language_codes(self) -> tuple[str, ...]:
        """The instrument's language codes, source language first."""
        return tuple(lang.code for lang in self.languages)

    def stem(self, block: InstrumentBlock, run: list[Question], language: str) -> str:
        """Return the stem shown above a run of questions ("" if none)."""
        for q in run:
            stem = self.bank.construct(q.item.construct).stem
            if stem:
                return stem.get(language, "")
        return ""

    def item_counts(self) -> pd.DataFrame:
        """Return the number of questions per construct, in instrument order.

        Returns
        -------
        pandas.DataFrame
            Columns ``block, construct, name, kind, measurement, n_items``.
        """
        rows = []
        for b in self.blocks:
            seen: dict[str, int] = {}
            for q in b.questions:
                seen[q.item.construct] = seen.get(q.item.construct, 0) + 1
            for k, n in seen.items():
                c = self.bank.construct(k)
                rows.append(
                    {
                        "block": b.id,
                        "construct": k,
                        "name": c.name,
                        "kind": c.kind,
                        "measurement": c.measurement,
                        "n_items": n,
                    }
                )
        return pd.DataFrame(rows)

    def data_dictionary(self) -> pd.DataFrame:
        """Return the data dictionary of the response data this instrument produces.

        One row per variable. Multi-select questions give one 0/1 variable per option,
        named ``<item>_<code>`` (as REDCap, LimeSurvey and split XLSForm exports do).

        Returns
        -------
        pandas.DataFrame
            Columns ``name, item, label, type, construct, block, scale, level, values,
            value_labels, minimum, maximum, reverse_keyed, required, relevant, audience,
            identifier, measurement, source, verified, redcap_name, limesurvey_name``
            (the column each variable has in REDCap and LimeSurvey exports; ``""`` where
            the platform records it under its own name or not at all; ``type`` is a Frictionless
            type: integer, number, string or datetime; ``level`` the item bank's declared
            measurement level: ordinal, interval, nominal, count, continuous, text or
            datetime; ``values`` joins the allowed codes with ``|``; ``value_labels`` joins
            ``code=label`` pairs with ``; ``).

        Examples
        --------
        >>> from nrel_research import instruments
        >>> dd = instruments.build(["E7"], randomize_within_blocks=False).data_dictionary()
        >>> dd.loc[dd["name"] == "e7_1", ["type", "values", "relevant"]].to_numpy().tolist()
        [['integer', '1|2|3|4|5|6|7', "consent = '1' and market_type in ('1', '3')"]]
        """
        lang = self.language_codes[0]
        rows = []
        for q in self.questions:
            it = q.item
            k = self.bank.construct(it.construct)
            base = {
                "item": it.id,
                "construct": it.construct,
                "block": q.block,
                "scale": it.scale or "",
                "level": it.level,
                "minimum": it.minimum,
                "maximum": it.maximum,
                "reverse_keyed": it.reverse,
                "required": it.required,
                "relevant": relevance_text(q.relevant),
                "audience": it.audience,
                "identifier": it.identifier,
                "measurement": k.measurement,
                "source": it.source,
                "verified": it.verified,
            }
            if it.type == "select_multiple":
                for ch in self.bank.scale(it.scale).choices:
                    rows.append(
                        {
                            **base,
                            "name": f"{it.id}_{ch.code}",
                            "label": f"{it.label(lang)} [{ch.label(lang)}]",
                            "type": "integer",
                            "values": "0|1",
                            "value_labels": "0=not selected; 1=selected",
                            "redcap_name": f"{it.id}___{ch.code}",
                            "limesurvey_name": f"{it.id.replace('_', '')}_{ch.code}",
                        }
                    )
                continue
            if it.type == "select_one":
                scale = self.bank.scale(it.scale)
                typ = "integer" if all(c.lstrip("-").isdigit() for c in scale.codes) else "string"
                values = "|".join(scale.codes)
                labels = "; ".join(f"{c.code}={c.label(lang)}" for c in scale.choices)
            else:
                typ = {
                    "integer": "integer",
                    "decimal": "number",
                    "text": "string",
                    "start": "datetime",
                    "end": "datetime",
                }[it.type]
                values = labels = ""
            rows.append(
                {
                    **base,
                    "name": it.id,
                    "label": it.label(lang),
                    "type": typ,
                    "values": values,
                    "value_labels": labels,
                    "redcap_name": it.id,
                    "limesurvey_name": {"start": "startdate", "end": "submitdate"}.get(
                        it.type, it.id.replace("_", "")
                    ),
                }
            )
        columns = [
            "name",
            "item",
            "label",
            "type",
            "construct",
            "block",
            "scale",
            "level",
            "values",
            "value_labels",
            "minimum",
            "maximum",
            "reverse_keyed",
            "required",
            "relevant",
            "audience",
            "identifier",
            "measurement",
            "source",
            "verified",
            "redcap_name",
            "limesurvey_name",
        ]
        return pd.DataFrame(rows, columns=columns)

    def table_schema(self) -> dict:
        """Return the data dictionary as a Frictionless Table Schema (a JSON-able dict).

        Each field has ``name``, ``title``, ``type``, ``constraints`` (``enum`` of the
        allowed codes, ``minimum``/``maximum``, ``required``) and the N-REL metadata
        (construct, reverse keying, identifier...) under ``nrel``.

        Examples
        --------
        >>> from nrel_research import instruments
        >>> schema = instruments.build(["R1"], randomize_within_blocks=False).table_schema()
        >>> field = next(f for f in schema["fields"] if f["name"] == "r1_1")
        >>> field["type"], field["constraints"]["enum"]
        ('integer', [1, 2, 3, 4, 5, 6, 7])
        """
        fields = []
        for row in self.data_dictionary().itertuples(index=False):
            constraints: dict = {}
            if row.values:
                codes = row.values.split("|")
                constraints["enum"] = [int(c) for c in codes] if row.type == "integer" else codes
            if row.minimum is not None and not pd.isna(row.minimum):
                constraints["minimum"] = _num(row.minimum)
            if row.maximum is not None and not pd.isna(row.maximum):
                constraints["maximum"] = _num(row.maximum)
            if row.required:
                constraints["required"] = True
            f = {"name": row.name, "title": row.label, "type": row.type}
            if row.value_labels:
                f["description"] = row.value_labels
            if constraints:
                f["constraints"] = constraints
            f["nrel"] = {
                "item": row.item,
                "construct": row.construct,
                "block": row.block,
                "level": row.level,
                "reverse_keyed": bool(row.reverse_keyed),
                "relevant": row.relevant,
                "audience": row.audience,
                "identifier": bool(row.identifier),
                "measurement": row.measurement,
                "source": row.source,
                "verified": bool(row.verified),
            }
            fields.append(f)
        return {"fields": fields, "missingValues": [""]}

    def __repr__(self) -> str:
        return (
            f"<Instrument: {len(self.questions)} questions in {len(self.blocks)} blocks, "
            f"languages {', '.join(self.language_codes)}>"
        )


def _num(v):
    v = float(v)
    return int(v) if v.is_integer() else v


def relevance_text(conditions: Iterable[Condition]) -> str:
    """Write conditions in a neutral notation, e.g. ``consent = '1' and x in ('1', '3')``."""
    parts = []
    for c in conditions:
        if c.op == "selected":
            parts.append(f"'{c.values[0]}' in {c.item}")
        elif len(c.values) == 1:
            parts.append(f"{c.item} = '{c.values[0]}'")
        else:
            parts.append(f"{c.item} in ({', '.join(repr(v) for v in c.values)})")
    return " and ".join(parts)


def _resolve_constructs(bank: ItemBank, constructs) -> list[str]:
    if constructs is None:
        return [k.id for k in bank.constructs]
    if isinstance(constructs, str):
        constructs = [constructs]
    blocks = {b.id: b for b in bank.blocks}
    ids = [k.id for k in bank.constructs]
    wanted: list[str] = []
    for ref in constructs:
        if ref in blocks:
            wanted.extend(blocks[ref].constructs)
        elif ref in ids:
            wanted.append(ref)
        else:
            raise FrameworkError(
                f"unknown construct {ref!r} (item bank '{bank.path}'); use construct ids "
                f"({', '.join(ids)}) or block ids ({', '.join(blocks)})."
            )
    return wanted


def build(
    constructs: Sequence[str] | str | None = None,
    languages: Sequence[str] | str = ("en",),
    randomize_within_blocks: bool = True,
    seed: int | None = 0,
    *,
    market_type: str | None = None,
    bank: ItemBank | None = None,
) -> Instrument:
    """Build a survey instrument from the item bank.

    Parameters
    ----------
    constructs : sequence of str, optional
        Construct ids (``"R1"``, ``"marketing_performance"``...) or block ids
        (``"engagement"``, ``"outcomes"``) to include; by default every construct.
        Consent and the items that skip logic depends on (market type for E7, the
        platform multi-select for per-platform follow-ups) are added automatically.
    languages : sequence of str, default ("en",)
        Language codes of the item bank; the first is the instrument's default.
    randomize_within_blocks : bool, default True
        Shuffle the order of the rating items within each battery (consecutive items of
        one block sharing a response scale), to spread order effects (Podsakoff et al.,
        2003). Other questions keep their place.
    seed : int, optional
        Seed of the shuffle; the same seed gives the same order.
    market_type : {"B2B", "B2C", "both"}, optional
        Build for one market type only: action types that do not apply to it (E7 for
        ``"B2C"``) are left out. The skip logic on market type is kept either way.
    bank : ItemBank, optional
        An item bank (e.g. an edited copy); by default the bundled one.

    Returns
    -------
    Instrument

    Raises
    ------
    FrameworkError
        If a construct or language is unknown.

    Warns
    -----
    TranslationWarning
        When a draft translation is used, and when a language lacks texts (listed in
        ``Instrument.missing_translations``; they are left empty, never filled with
        English).

    Examples
    --------
    >>> from nrel_research import instruments
    >>> inst = instruments.build(["E7"], randomize_within_blocks=False)
    >>> [q.name for q in inst.questions]
    ['consent', 'market_type', 'e7_1', 'e7_2', 'e7_3']
    >>> inst.question("e7_1").relevant[1].values  # B2B and mixed firms
    ('1', '3')
    """
    bank = load_item_bank() if bank is None else bank
    fw = framework.load()
    if isinstance(languages, str):
        languages = [lg.strip() for lg in languages.split(",")]
    langs = []
    known = [lg.code for lg in bank.languages]
    for code in languages:
        if code not in known:
            raise FrameworkError(
                f"unknown language {code!r}; the item bank '{bank.path}' has: {', '.join(known)}."
            )
        langs.append(bank.language(code))
    if not langs:
        raise FrameworkError("languages is empty; give at least one, e.g. ('en',).")
    if len(set(languages)) != len(languages):
        raise FrameworkError(f"languages {list(languages)} repeat a code; list each once.")
    if market_type is not None and market_type not in ("B2B", "B2C", "both"):
        raise FrameworkError(
            f"market_type={market_type!r} is not valid; use one of: 'B2B', 'B2C', 'both', None."
        )

    wanted = _resolve_constructs(bank, constructs)
    if market_type is not None:
        wanted = [k for k in wanted if k not in fw.codes or fw.action(k).applies_to(market_type)]
    # Items of the wanted constructs plus what their skip logic needs.
    market_item = next(i for i in bank.items if i.construct == "market_type")
    b2b_codes = {
        a.code: tuple(
            ch.code
            for ch in bank.scale(market_item.scale).choices
            if ch.key and a.applies_to(ch.key)
        )
        for a in fw.actions
        if a.b2b_only
    }
    chosen = {i.id for i in bank.items if i.construct in wanted}
    chosen.add(CONSENT_ITEM)
    if any(bank.item(i).construct in b2b_codes for i in chosen):
        chosen.add(market_item.id)
    changed = True
    while changed:
        changed = False
        for iid in list(chosen):
            for c in bank.item(iid).relevant:
                if c.item not in chosen:
                    chosen.add(c.item)
                    changed = True

    targets = {c.item for i in bank.items for c in i.relevant}
    rng = check_rng(seed) if randomize_within_blocks else None
    consent_seen = False
    number = 0
    blocks = []
    for b in bank.blocks:
        items = [i for i in bank.items if i.id in chosen and i.construct in b.constructs]
        # keep the block's construct order, then item-bank order within a construct
        items.sort(key=lambda i: b.constructs.index(i.construct))
        if not items:
            continue
        # batteries: consecutive rating items sharing a scale
        runs: list[int | None] = []
        run_id = 0
        for n, it in enumerate(items):
            if it.is_rating and it.audience == "respondent" and it.id not in targets:
                if n and runs[-1] is not None and items[n - 1].scale == it.scale:
                    runs.append(runs[-1])
                else:
                    run_id += 1
                    runs.append(run_id)
            else:
                runs.append(None)
        if rng is not None:
            for r in sorted({r for r in runs if r is not None}):
                idx = [n for n, x in enumerate(runs) if x == r]
                order = rng.permutation(len(idx))
                shuffled = [items[idx[k]] for k in order]
                for n, it in zip(idx, shuffled, strict=True):
                    items[n] = it
        questions = []
        for it, r in zip(items, runs, strict=True):
            rel = list(it.relevant)
            if it.construct in b2b_codes:
                rel.insert(0, Condition(market_item.id, "in", b2b_codes[it.construct]))
            if consent_seen and it.audience == "respondent":
                rel.insert(0, Condition(CONSENT_ITEM, "in", (CONSENT_YES,)))
            number += 1
            questions.append(Question(it, b.id, tuple(rel), number, r))
        if any(q.name == CONSENT_ITEM for q in questions):
            consent_seen = True
        blocks.append(
            InstrumentBlock(id=b.id, title=b.title, intro=b.intro, questions=tuple(questions))
        )

    inst_constructs = tuple(dict.fromkeys(q.item.construct for b in blocks for q in b.questions))
    missing = _missing_translations(bank, blocks, langs)
    for lang in langs:
        if lang.is_draft:
            warnings.warn(
                f"the {lang.name} ({lang.code}) translation is a draft ({lang.status}); have "
                "it forward/back-translated and pretested before fielding.",
                TranslationWarning,
                stacklevel=2,
            )
    if not missing.empty:
        summary = missing.groupby("language").size()
        warnings.warn(
            "missing translations (left empty, not replaced by English): "
            + ", ".join(f"{lg}: {n}" for lg, n in summary.items())
            + "; see Instrument.missing_translations.",
            TranslationWarning,
            stacklevel=2,
        )
    return Instrument(
        bank=bank,
        languages=tuple(langs),
        blocks=tuple(blocks),
        constructs=inst_constructs,
        seed=seed,
        randomized=randomize_within_blocks,
        missing_translations=missing,
    )


def _missing_translations(bank: ItemBank, blocks, langs) -> pd.DataFrame:
    rows = []
    for lang in langs:
        code = lang.code

        def check(kind: str, ident: str, texts, code=code) -> None:
            if texts and not texts.get(code):
                rows.append({"language": code, "kind": kind, "id": ident})

        for key, texts in bank.messages.items():
            check("message", key, texts)
        scales = set()
        for b in blocks:
            check("block_title", b.id, b.title)
            check("block_intro", b.id, b.intro)
            for q in b.questions:
                check("item", q.name, q.item.text)
                stem = bank.construct(q.item.construct).stem
                check("stem", q.item.construct, stem)
                if q.item.scale:
                    scales.add(q.item.scale)
        for s in sorted(scales):
            for ch in bank.scale(s).choices:
                check("choice", f"{s}:{ch.code}", ch.labels)
    frame = pd.DataFrame(rows, columns=["language", "kind", "id"])
    return frame.drop_duplicates().reset_index(drop=True)
