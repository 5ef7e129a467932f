"""The instrument builder: framework order, skip logic, randomisation, translations."""

from __future__ import annotations

import json
import warnings

import pytest
import yaml

import nrel_research as nr
from nrel_research import instruments
from nrel_research.exceptions import FrameworkError, NrelWarning, TranslationWarning


def quiet_build(*args, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TranslationWarning)
        return instruments.build(*args, **kw)


@pytest.fixture(scope="module")
def full():
    return quiet_build(languages=("en", "es", "fa", "el"))


def test_full_instrument_has_every_item_in_framework_block_order(full):
    bank = instruments.load_item_bank()
    assert {q.name for q in full.questions} == {i.id for i in bank.items}
    assert [b.id for b in full.blocks] == [b.id for b in bank.blocks]
    fw = nr.framework.load()
    action_order = [q.item.construct for q in full.questions if q.item.construct in fw.codes]
    first = list(dict.fromkeys(action_order))
    assert [c for c in first if c in ("R1", "R2")] == ["R1", "R2"]
    blocks = [q.block for q in full.questions]
    assert blocks.index("representation") < blocks.index("engagement") < blocks.index("listening")
    assert [q.number for q in full.questions] == list(range(1, len(full.questions) + 1))


def test_e7_skip_logic_comes_from_the_framework(full):
    fw = nr.framework.load()
    bank = full.bank
    codes = {ch.key: ch.code for ch in bank.scale("market_type").choices}
    for q in full.questions:
        if q.item.construct == "E7":
            cond = next(c for c in q.relevant if c.item == "market_type")
            assert set(cond.values) == {codes["B2B"], codes["both"]}
            assert fw.action("E7").applies_to("B2C") is False
        elif q.item.construct in fw.codes:
            assert all(c.item != "market_type" for c in q.relevant)


def test_consent_gates_respondent_questions_only(full):
    for q in full.questions:
        gated = any(c.item == "consent" for c in q.relevant)
        if q.name == "consent" or q.item.audience != "respondent":
            assert not gated, q.name
        else:
            assert gated, q.name


def test_per_platform_follow_ups(full):
    q = full.question("smx_feat_li")
    assert any(c.item == "smx_platforms" and c.op == "selected" and c.values == ("li",)
               for c in q.relevant)  # fmt: skip
    assert full.question("net_followers_tt").item.type == "integer"


def test_subset_pulls_in_what_skip_logic_needs():
    inst = quiet_build(["E7", "size"], randomize_within_blocks=False)
    names = [q.name for q in inst.questions]
    assert names[:3] == ["consent", "market_type", "smx_platforms"]
    assert "net_followers_fb" in names and "e7_1" in names
    assert "r1_1" not in names
    by_block = quiet_build(["outcomes"], randomize_within_blocks=False)
    assert {q.item.construct for q in by_block.questions} == {
        "consent",
        "social_media_performance",
        "customer_relationship_performance",
        "marketing_performance",
        "attention_2",
    }


def test_market_type_b2c_drops_e7():
    inst = quiet_build(["engagement"], market_type="B2C")
    assert "E7" not in inst.constructs and "E6" in inst.constructs
    assert "E7" in quiet_build(["engagement"], market_type="B2B").constructs


def test_randomisation_is_seeded_and_stays_within_batteries():
    a = quiet_build(seed=1)
    b = quiet_build(seed=1)
    c = quiet_build(seed=2)
    plain = quiet_build(randomize_within_blocks=False)
    names = lambda inst: [q.name for q in inst.questions]  # noqa: E731
    assert names(a) == names(b) != names(c)
    assert sorted(names(a)) == sorted(names(plain))
    for x, y in zip(a.questions, plain.questions, strict=True):
        assert x.block == y.block
        if y.run is None:
            assert x.name == y.name  # non-battery questions keep their place
        else:
            assert x.item.scale == y.item.scale
    blk = next(b for b in plain.blocks if b.id == "engagement")
    assert [q.name for q in blk.questions][:3] == ["e1_1", "e1_2", "e1_3"]


def test_draft_translation_warns():
    with pytest.warns(TranslationWarning, match="Persian \\(fa\\) translation is a draft"):
        inst = instruments.build(["R1"], languages=("en", "fa"))
    assert issubclass(TranslationWarning, NrelWarning)
    assert inst.missing_translations.empty
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        instruments.build(["R1"], languages="en")  # the source language never warns


def test_missing_translations_are_reported_not_replaced(tmp_path):
    doc = yaml.safe_load(instruments.default_path().read_text(encoding="utf-8"))
    doc["languages"][2]["complete"] = False
    doc["languages"][2]["status"] = "reviewed: only for this test"
    item = next(e for e in doc["items"] if e["id"] == "r1_2")
    del item["text"]["fa"]
    path = tmp_path / "bank.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    bank = instruments.load_item_bank(path)
    with pytest.warns(TranslationWarning, match=r"missing translations .*fa: 1"):
        inst = instruments.build(["R1"], languages=("en", "fa"), bank=bank)
    assert inst.missing_translations.to_dict("records") == [
        {"language": "fa", "kind": "item", "id": "r1_2"}
    ]
    sheets = instruments.exporters.xlsform_sheets(inst)
    header = sheets["survey"][0]
    row = next(r for r in sheets["survey"] if r[1] == "r1_2")
    assert row[header.index("label::Persian (fa)")] == ""  # not English
    assert row[header.index("label::English (en)")]


def test_unknown_construct_and_language():
    with pytest.raises(FrameworkError, match="unknown construct 'R9'"):
        instruments.build(["R9"])
    with pytest.raises(FrameworkError, match="unknown language 'de'"):
        instruments.build(languages=("en", "de"))
    with pytest.raises(FrameworkError, match="repeat a code"):
        instruments.build(languages=("en", "en"))
    with pytest.raises(FrameworkError, match="market_type='B2X'"):
        instruments.build(market_type="B2X")


def test_data_dictionary(full):
    dd = full.data_dictionary()
    assert dd["name"].is_unique
    assert list(dd.columns[:4]) == ["name", "item", "label", "type"]
    assert set(dd["type"]) <= {"integer", "number", "string", "datetime"}
    row = dd.set_index("name").loc["mo_6"]
    assert row["reverse_keyed"] and row["values"] == "1|2|3|4|5|6|7"
    assert row["value_labels"].startswith("1=Strongly disagree; 2=Disagree")
    multi = dd[dd["item"] == "smx_platforms"]
    assert multi["name"].tolist()[:2] == ["smx_platforms_fb", "smx_platforms_ig"]
    assert set(multi["values"]) == {"0|1"}
    sector = dd.set_index("name").loc["sector"]
    assert sector["type"] == "string" and sector["values"].startswith("A|B|C")
    assert dd.set_index("name").loc["handle_fb", "identifier"]
    assert dd.set_index("name").loc["net_followers_fb", "maximum"] == 2_000_000_000
    assert dd.set_index("name").loc["start_time", "type"] == "datetime"


def test_table_schema_is_frictionless_shaped(full):
    schema = full.table_schema()
    json.dumps(schema)  # JSON-serialisable
    names = [f["name"] for f in schema["fields"]]
    assert names == full.data_dictionary()["name"].tolist()
    for f in schema["fields"]:
        assert f["type"] in ("integer", "number", "string", "datetime")
        enum = f.get("constraints", {}).get("enum")
        if enum and f["type"] == "integer":
            assert all(isinstance(v, int) for v in enum)
    consent = next(f for f in schema["fields"] if f["name"] == "consent")
    assert consent["constraints"] == {"enum": [1, 0], "required": True}


def test_item_counts(full):
    counts = full.item_counts().set_index("construct")["n_items"]
    assert counts["E7"] == 3 and counts["marketing_performance"] == 6
    assert counts.sum() == len(full.questions)
