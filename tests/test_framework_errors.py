"""A corrupted framework file fails loudly, naming the file, entry, field and value."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

import nrel_research as nr
from nrel_research.exceptions import FrameworkError, NrelError

GOOD = nr.framework.default_path().read_text(encoding="utf-8")


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "framework.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def edited(tmp_path: Path, edit) -> Path:
    doc = yaml.safe_load(GOOD)
    edit(doc)
    return write(tmp_path, yaml.safe_dump(doc, allow_unicode=True, sort_keys=False))


def load_error(path: Path) -> str:
    with pytest.raises(FrameworkError) as info:
        nr.framework.load(path)
    assert isinstance(info.value, NrelError) and isinstance(info.value, ValueError)
    message = str(info.value)
    assert str(path) in message  # the file is always named
    return message


def test_round_trip_of_the_good_file_loads(tmp_path):
    path = edited(tmp_path, lambda d: None)
    assert nr.framework.load(path) == nr.framework.load()


def test_duplicate_action_code(tmp_path):
    def edit(d):
        d["actions"][9]["code"] = "E7"
        d["actions"][9]["category"] = "E"

    msg = load_error(edited(tmp_path, edit))
    assert re.search(r"actions\[9\] \(E7\): duplicate code 'E7' \(also at actions\[8\]\)", msg)
    assert "must be unique" in msg


def test_unknown_category(tmp_path):
    def edit(d):
        d["actions"][0]["category"] = "X"

    msg = load_error(edited(tmp_path, edit))
    assert "actions[0] (R1)" in msg
    assert "field 'category' refers to unknown category 'X'" in msg
    assert "use one of: R, E, L" in msg


def test_missing_definition(tmp_path):
    def edit(d):
        del d["actions"][4]["definition"]

    msg = load_error(edited(tmp_path, edit))
    assert "actions[4] (E3): required field 'definition' is missing or empty" in msg


def test_empty_definition(tmp_path):
    def edit(d):
        d["actions"][4]["definition"] = "   "

    assert "required field 'definition' is missing or empty" in load_error(edited(tmp_path, edit))


def test_duplicate_yaml_key_is_not_silently_overwritten(tmp_path):
    text = GOOD.replace(
        "    slug: public_relations\n", "    slug: public_relations\n    slug: pr\n", 1
    )
    msg = load_error(write(tmp_path, text))
    assert "duplicate key 'slug'" in msg and "line" in msg


def test_yaml_syntax_error(tmp_path):
    msg = load_error(write(tmp_path, GOOD.replace("actions:\n", "actions: [\n", 1)))
    assert "is not valid YAML" in msg


def test_misspelled_field(tmp_path):
    def edit(d):
        d["actions"][1]["defintion"] = d["actions"][1].pop("definition")

    msg = load_error(edited(tmp_path, edit))
    assert "unknown field(s) 'defintion'" in msg


def test_b2b_only_must_be_boolean(tmp_path):
    def edit(d):
        d["actions"][8]["b2b_only"] = "yes"

    msg = load_error(edited(tmp_path, edit))
    assert "actions[8] (E7): field 'b2b_only' must be true or false, got 'yes'" in msg


def test_code_must_fit_category(tmp_path):
    def edit(d):
        d["actions"][0]["code"] = "E9"

    assert "code 'E9' does not fit its category 'R'" in load_error(edited(tmp_path, edit))


def test_examples_required(tmp_path):
    def edit(d):
        d["actions"][2]["examples"] = []

    assert "field 'examples' must be a list of at least 1" in load_error(edited(tmp_path, edit))


def test_unknown_process_value(tmp_path):
    def edit(d):
        d["actions"][3]["process"] = "inside-out"

    msg = load_error(edited(tmp_path, edit))
    assert "field 'process' has unknown value 'inside-out'" in msg
    assert "inside_out, outside_in, spanning" in msg


def test_proposition_with_unknown_construct(tmp_path):
    def edit(d):
        d["propositions"][2]["outcomes"].append("brand_love")

    msg = load_error(edited(tmp_path, edit))
    assert "propositions[2] (P3)" in msg
    assert "unknown construct or code 'brand_love'" in msg


def test_duplicate_id_across_groups(tmp_path):
    def edit(d):
        d["constructs"][0]["id"] = "size"

    assert "the id is also used in 'network_dimensions'" in load_error(edited(tmp_path, edit))


def test_unknown_reference_key(tmp_path):
    def edit(d):
        d["actions"][0]["citation"] = "ananda2017"

    assert "refers to unknown reference 'ananda2017'" in load_error(edited(tmp_path, edit))


def test_author_list_split_by_yaml_flow_commas(tmp_path):
    text = GOOD.replace('["Day, G. S."]', "[Day, G. S.]", 1)
    assert "author 'Day' is not written 'Family, Initials'" in load_error(write(tmp_path, text))


def test_category_without_actions(tmp_path):
    def edit(d):
        d["actions"] = [a for a in d["actions"] if a["category"] != "L"]
        for p in d["propositions"]:
            for role in ("predictors", "outcomes", "mediators", "moderators"):
                if role in p:
                    p[role] = [r for r in p[role] if r != "L1"] or ["R1"]

    assert "category L: has no action types" in load_error(edited(tmp_path, edit))


def test_missing_section_and_schema_version(tmp_path):
    def drop(d):
        del d["actions"]

    assert "required section 'actions' is missing" in load_error(edited(tmp_path, drop))

    def bump(d):
        d["schema_version"] = 99

    assert "schema_version is 99" in load_error(edited(tmp_path / "..", bump))


def test_missing_file(tmp_path):
    path = tmp_path / "nope.yaml"
    with pytest.raises(FrameworkError, match="cannot read framework file"):
        nr.framework.load(path)
