"""The item bank: complete, tied to the framework, and strict about bad edits."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

import nrel_research as nr
from nrel_research import instruments
from nrel_research.exceptions import FrameworkError, NrelError

GOOD = instruments.default_path().read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def bank():
    return instruments.load_item_bank()


def edited(tmp_path: Path, edit) -> Path:
    doc = yaml.safe_load(GOOD)
    edit(doc)
    path = tmp_path / "bank.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def load_error(path: Path) -> str:
    with pytest.raises(FrameworkError) as info:
        instruments.load_item_bank(path)
    assert isinstance(info.value, NrelError)
    message = str(info.value)
    assert str(path) in message
    return message


def item_index(doc, item_id):
    return next(i for i, e in enumerate(doc["items"]) if e["id"] == item_id)


# -- content ---------------------------------------------------------------------------------
def test_round_trip_loads_identically(tmp_path, bank):
    assert instruments.load_item_bank(edited(tmp_path, lambda d: None)) == bank


def test_every_action_type_and_outcome_has_at_least_three_items(bank):
    fw = nr.framework.load()
    for code in fw.codes:
        assert len(bank.items_of(code)) >= 3, code
        assert bank.construct(code).framework_type == "action"
    outcomes = [k.id for k in fw.constructs if k.kind == "outcome" and k.level == "firm"]
    assert set(outcomes) == {
        "marketing_performance",
        "customer_relationship_performance",
        "social_media_performance",
    }
    for k in outcomes:
        assert len(bank.items_of(k)) >= 3, k


def test_constructs_cover_the_framework_references(bank):
    fw = nr.framework.load()
    ids = {k.id for k in bank.constructs}
    assert {d.id for d in fw.network_dimensions} <= ids
    assert {d.id for d in fw.strategic_decisions} <= ids
    firm_level = {k.id for k in fw.constructs if k.level == "firm"}
    assert firm_level <= ids
    for k in bank.constructs:
        if k.framework:
            fw.resolve(k.id)  # raises if the framework does not know it


def test_every_item_has_citation_verified_flag_and_all_translations(bank):
    codes = [lang.code for lang in bank.languages]
    assert codes == ["en", "es", "fa", "el"]
    for item in bank.items:
        assert item.citation and isinstance(item.verified, bool)
        assert set(item.text) == set(codes), item.id
        if item.type.startswith("select"):
            for ch in bank.scale(item.scale).choices:
                assert set(ch.labels) == set(codes)
    for lang in bank.languages[1:]:
        assert lang.status == "draft — needs forward/back-translation review"
        assert lang.is_draft
    assert bank.language("fa").direction == "rtl"
    # Sources tagged [R] in the research notes are unverified.
    assert bank.item("crp_1").verified is False  # Trainor et al. (2014)
    assert bank.item("cmp_t1").verified is False  # Coviello et al. (2002)
    assert bank.item("mp_1").verified is True  # Vorhies & Morgan (2005)


def test_required_building_blocks_are_present(bank):
    assert bank.item("e7_1").relevant == ()  # E7's skip logic comes from the framework
    assert len([i for i in bank.items if i.correct is not None]) >= 2
    assert bank.item("consent").required and bank.item("market_type").required
    platforms = bank.platform_codes
    assert {"fb", "ig", "li"} <= set(platforms)
    for p in platforms:
        for template in ("smx_feat_{}", "net_followers_{}", "handle_{}"):
            item = bank.item(template.format(p))
            assert item.relevant[0].item == "smx_platforms"
            assert item.relevant[0].values == (p,)
    assert bank.item("net_followers_fb").type == "integer"
    assert bank.item("handle_fb").identifier and bank.item("firm_id").identifier
    assert bank.item("sector_other").relevant[0].values == ("X",)
    assert [h.id for h in bank.higher_order] == ["representation", "engagement", "listening"]
    assert bank.scale("isic4_section").codes[:3] == ("A", "B", "C")
    assert sum(i.reverse for i in bank.items) >= 2
    blocks = [b.id for b in bank.blocks]
    assert blocks.index("listening") < blocks.index("marker") < blocks.index("outcomes")
    marker_scales = {i.scale for i in bank.items_of("marker")}
    outcome_scales = {i.scale for i in bank.items_of("marketing_performance")}
    action_scales = {i.scale for i in bank.items_of("R1")}
    assert marker_scales.isdisjoint(outcome_scales) and action_scales.isdisjoint(outcome_scales)
    for k in bank.constructs:
        assert k.measurement in ("reflective", "formative", "composite", "observed")
        assert k.justification


def test_tables(bank):
    items = bank.to_frame()
    assert items["id"].is_unique and len(items) == len(bank.items)
    assert list(items.columns[:4]) == ["id", "construct", "block", "type"]
    scales = bank.to_frame("scales")
    assert {"label_en", "label_fa"} <= set(scales.columns)
    assert len(bank.to_frame("references")) == len(bank.references)
    with pytest.raises(FrameworkError, match="kind='nope' is not valid"):
        bank.to_frame("nope")
    with pytest.raises(FrameworkError, match="unknown item id 'zz'"):
        bank.item("zz")


# -- bad input -------------------------------------------------------------------------------
def test_unknown_construct(tmp_path):
    msg = load_error(edited(tmp_path, lambda d: d["items"][0].update(construct="R9")))
    assert "items[0] (consent)" in msg and "unknown construct 'R9'" in msg


def test_framework_construct_must_exist_in_the_framework(tmp_path):
    def edit(d):
        k = next(i for i, c in enumerate(d["constructs"]) if c["id"] == "market_type")
        d["constructs"][k]["id"] = "market_kind"
        block = next(b for b in d["blocks"] if b["id"] == "firm_profile")
        block["constructs"][0] = "market_kind"

    msg = load_error(edited(tmp_path, edit))
    assert "(market_kind)" in msg and "names nothing in the framework" in msg


def test_missing_action_construct(tmp_path):
    def edit(d):
        d["constructs"] = [k for k in d["constructs"] if k["id"] != "E5"]

    msg = load_error(edited(tmp_path, edit))
    assert "action type(s) E5 have no construct" in msg


def test_unknown_language(tmp_path):
    msg = load_error(edited(tmp_path, lambda d: d["items"][0]["text"].update(de="Ja")))
    assert "items[0] (consent)" in msg and "unknown language 'de'" in msg


def test_duplicate_item_ids(tmp_path):
    def edit(d):
        d["items"][item_index(d, "r1_2")]["id"] = "r1_1"

    msg = load_error(edited(tmp_path, edit))
    assert re.search(r"duplicate id 'r1_1' \(also at items\[\d+\]\)", msg)


def test_item_with_no_scale(tmp_path):
    def edit(d):
        del d["items"][item_index(d, "mo_1")]["scale"]

    msg = load_error(edited(tmp_path, edit))
    assert "(mo_1)" in msg and "item has no scale" in msg


def test_unknown_scale(tmp_path):
    def edit(d):
        d["items"][item_index(d, "mo_1")]["scale"] = "agree5"

    msg = load_error(edited(tmp_path, edit))
    assert "field 'scale' refers to unknown scale 'agree5'" in msg


def test_skip_logic_to_missing_item(tmp_path):
    def edit(d):
        d["items"][item_index(d, "sector_other")]["relevant"]["item"] = "sectr"

    msg = load_error(edited(tmp_path, edit))
    assert "(sector_other).relevant" in msg and "missing item 'sectr'" in msg


def test_skip_logic_to_unknown_code(tmp_path):
    def edit(d):
        d["items"][item_index(d, "sector_other")]["relevant"]["in"] = ["Z"]

    msg = load_error(edited(tmp_path, edit))
    assert "code(s) Z are not codes of item 'sector'" in msg


def test_translation_with_missing_items(tmp_path):
    def edit(d):
        del d["items"][item_index(d, "e3_2")]["text"]["el"]

    msg = load_error(edited(tmp_path, edit))
    assert "(e3_2)" in msg and "lacks the translation(s) el" in msg


def test_incomplete_language_is_allowed_when_declared(tmp_path):
    def edit(d):
        d["languages"][3]["complete"] = False
        del d["items"][item_index(d, "e3_2")]["text"]["el"]

    bank = instruments.load_item_bank(edited(tmp_path, edit))
    assert bank.item("e3_2").label("el") == ""


def test_too_few_items_for_a_multi_item_construct(tmp_path):
    def edit(d):
        d["items"] = [e for e in d["items"] if e["id"] != "e5_3"]

    msg = load_error(edited(tmp_path, edit))
    assert "construct 'E5'" in msg and "only 2 item(s)" in msg


def test_higher_order_components_follow_the_framework(tmp_path):
    def edit(d):
        d["higher_order"][1]["components"] = ["E1", "E2"]

    msg = load_error(edited(tmp_path, edit))
    assert "higher_order[1] (engagement)" in msg and "differ from the framework" in msg


def test_unknown_field_and_bad_yaml(tmp_path):
    msg = load_error(edited(tmp_path, lambda d: d["items"][0].update(wording="x")))
    assert "unknown field(s) 'wording'" in msg
    bad = tmp_path / "bad.yaml"
    bad.write_text("items: [\n", encoding="utf-8")
    assert "not valid YAML" in load_error(bad)
    with pytest.raises(FrameworkError, match="cannot read item bank file"):
        instruments.load_item_bank(tmp_path / "missing.yaml")


def test_attention_checks_quote_the_instructed_label_in_every_language(bank):
    checks = [i for i in bank.items if i.correct is not None]
    assert len(checks) >= 2
    for item in checks:
        choice = bank.scale(item.scale).choice(item.correct)
        for lang in bank.languages:
            assert choice.label(lang.code) in item.label(lang.code), (item.id, lang.code)


def test_per_platform_texts_name_the_platform_in_every_language(bank):
    for item in bank.items:
        if item.platform:
            choice = bank.scale("platforms").choice(item.platform)
            for lang in bank.languages:
                assert choice.label(lang.code) in item.label(lang.code)
                assert "{platform}" not in item.label(lang.code)


# -- measurement levels (issue 9: the item bank decides which items are ordinal) -------------
def test_measurement_levels(bank):
    scales = {s.id: s for s in bank.scales}
    assert {k for k, s in scales.items() if s.level == "ordinal"} == {
        "agree7",
        "extent7",
        "frequency7",
        "relcomp7",
        "describe7",
    }
    assert all(s.level == "nominal" for s in bank.scales if s.kind == "nominal")
    levels = {i.id: i.level for i in bank.items}
    assert levels["consent"] == "nominal"  # yes/no
    assert levels["smx_platforms"] == "nominal"  # multi-select: 0/1 indicators
    assert levels["employees"] == "count"
    assert levels["net_reply_share"] == "continuous"
    assert levels["wave"] == "ordinal" and levels["arch_year"] == "interval"
    assert levels["firm_id"] == "text"
    ordinal = bank.ordinal_items()
    assert set(ordinal) == {i.id for i in bank.items if i.is_rating} | {"wave"}
    assert bank.ordinal_items(["E7"]) == ("e7_1", "e7_2", "e7_3")
    items = bank.to_frame("items").set_index("id")
    assert items.loc["r1_1", "level"] == "ordinal" and items.loc["sector", "level"] == "nominal"
    assert set(bank.to_frame("scales")["level"]) == {"ordinal", "nominal"}


def test_ordinal_items_with_unknown_construct(bank):
    with pytest.raises(FrameworkError, match="nope"):
        bank.ordinal_items(["nope"])


def test_scale_level_is_required_and_checked(tmp_path):
    def drop(d):
        del d["scales"][0]["level"]

    assert "field 'level'" in load_error(edited(tmp_path, drop))
    assert "add 'level: ordinal'" in load_error(edited(tmp_path, drop))

    def nominal_rating(d):
        d["scales"][0]["level"] = "nominal"

    assert "unknown value 'nominal'" in load_error(edited(tmp_path, nominal_rating))

    def interval_yesno(d):
        next(s for s in d["scales"] if s["id"] == "yesno")["level"] = "interval"

    assert "unknown value 'interval'" in load_error(edited(tmp_path, interval_yesno))


def test_a_rating_scale_declared_interval_is_not_ordinal(tmp_path):
    def interval(d):
        next(s for s in d["scales"] if s["id"] == "describe7")["level"] = "interval"

    bank = instruments.load_item_bank(edited(tmp_path, interval))
    assert bank.item("cmp_r1").scale == "describe7" and bank.item("cmp_r1").level == "interval"
    assert "cmp_r1" not in bank.ordinal_items() and "r1_1" in bank.ordinal_items()


def test_item_level_only_on_value_items(tmp_path):
    def on_scale_item(d):
        d["items"][item_index(d, "r1_1")]["level"] = "ordinal"

    assert "takes its measurement level from the scale" in load_error(
        edited(tmp_path, on_scale_item)
    )

    def bad_value_level(d):
        d["items"][item_index(d, "net_reply_share")]["level"] = "ordinal"

    assert "unknown value 'ordinal'" in load_error(edited(tmp_path, bad_value_level))
