"""The codebook: codes from the framework, complete guidance, strict validation."""

from __future__ import annotations

import dataclasses
import re

import pytest
import yaml

from nrel_research import coding, framework
from nrel_research.coding._text import normalize
from nrel_research.exceptions import FrameworkError

REQUIRED_PAIRS = [
    ("R1", "R2"),
    ("R2", "E4"),
    ("E2", "E3"),
    ("E3", "L1"),
    ("E6", "R2"),
    ("E1", "E4"),
    ("E7", "R1"),
]


@pytest.fixture(scope="module")
def cb():
    return coding.load_codebook()


@pytest.fixture
def raw():
    return yaml.safe_load(coding.default_codebook_path().read_text(encoding="utf-8"))


def write(tmp_path, doc, name="codebook.yaml"):
    path = tmp_path / name
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def test_codes_names_and_definitions_come_from_the_framework(cb):
    fw = framework.load()
    assert cb.codes == fw.codes
    for code in cb.codes_:
        action = fw.action(code.code)
        assert (code.name, code.definition, code.b2b_only) == (
            action.name,
            action.definition,
            action.b2b_only,
        )
        assert code.category_name == fw.category(action.category).name


def test_codebook_file_does_not_restate_framework_text(raw):
    for entry in raw["codes"]:
        assert set(entry) <= {
            "code",
            "when_to_use",
            "when_not_to_use",
            "positive_examples",
            "negative_examples",
        }


def test_an_edited_framework_flows_into_the_codebook(tmp_path):
    fw_doc = yaml.safe_load(framework.default_path().read_text(encoding="utf-8"))
    fw_doc["actions"][0]["name"] = "Corporate communication"
    path = tmp_path / "fw.yaml"
    path.write_text(yaml.safe_dump(fw_doc, allow_unicode=True), encoding="utf-8")
    cb = coding.load_codebook(framework=framework.load(path))
    assert cb.code("R1").name == "Corporate communication"


def test_every_code_has_guidance_and_enough_examples(cb):
    for code in cb.codes_:
        assert code.when_to_use and code.when_not_to_use, code.code
        assert len(code.positive_examples) >= 3, code.code
        assert len(code.negative_examples) >= 2, code.code
        for ex in code.negative_examples:
            assert ex.code in cb.codes and ex.code != code.code and ex.why


def test_decision_rules_cover_the_confusable_pairs(cb):
    for a, b in REQUIRED_PAIRS:
        rule = cb.decision_rule(b, a)
        assert set(rule.codes) == {a, b} and rule.question.endswith("?")
    with pytest.raises(FrameworkError, match="no decision rule for R1/E5"):
        cb.decision_rule("R1", "E5")


def test_listening_is_coded_from_visible_traces_only(cb):
    note = cb.listening_note.lower()
    assert "only from its visible traces" in note
    for word in ("polls", "surveys", "research", "published insights"):
        assert word in note


def test_post_level_variables(cb):
    names = [v.name for v in cb.variables]
    for name in (
        "platform",
        "format",
        "language",
        "date",
        "market",
        "sector",
        "paid",
        "likes",
        "comments",
        "shares",
        "views",
        "followers",
        "text",
    ):
        assert name in names
    assert cb.variable("format").values == ("text", "image", "video", "link", "poll")
    assert cb.variable("market").values == ("B2B", "B2C")
    assert set(cb.variable("language").values) >= {"en", "es", "fa", "el"}
    assert cb.variable("followers").kind == "count"


def test_dictionary_has_every_code_in_every_language(cb):
    assert set(cb.languages) == {"en", "es", "fa", "el"}
    for lang in cb.languages:
        assert {r.code for r in cb.rules_for(lang)} == set(cb.codes), lang
    assert sorted(cb.priority) == sorted(cb.codes)
    ids = [r.id for r in cb.dictionary]
    assert len(ids) == len(set(ids))


def test_codebook_is_immutable(cb):
    with pytest.raises(dataclasses.FrozenInstanceError):
        cb.title = "x"
    assert isinstance(cb.codes_, tuple) and isinstance(cb.code("R1").when_to_use, tuple)


def test_tables(cb):
    assert len(cb.to_frame("codes")) == 10
    assert set(cb.to_frame("examples")["kind"]) == {"positive", "negative"}
    assert len(cb.to_frame("decision_rules")) == len(cb.decision_rules)
    assert len(cb.to_frame("dictionary")) == len(cb.dictionary)
    with pytest.raises(FrameworkError, match="kind='x' is not valid"):
        cb.to_frame("x")
    with pytest.raises(FrameworkError, match="unknown code 'Z9'"):
        cb.code("Z9")


def test_normalisation_greek_spanish_persian():
    assert normalize("ΕΚΠΤΩΣΗ") == normalize("ΕΚΠΤΩΣΗ")
    assert normalize("έκπτωση").casefold() == normalize("ΕΚΠΤΩΣΗ").casefold()
    assert normalize("διαγωνισμός") == "διαγωνισμοσ"
    assert normalize("promoción") == "promocion"
    assert normalize("مسابقه") == normalize("مسابقة")  # teh marbuta
    assert normalize("كد تخفيف") == "کد تخفیف"  # Arabic kaf and yeh
    assert normalize("تأمین") == "تامین" and normalize("آموزش") == "اموزش"
    assert normalize("می\u200cخواهیم") == "میخواهیم"
    assert normalize("۱۲٣") == "123"


# -- bad codebook files ------------------------------------------------------------------
def test_unknown_code_is_named(tmp_path, raw):
    raw["codes"][0]["code"] = "R9"
    path = write(tmp_path, raw)
    with pytest.raises(
        FrameworkError, match=r"codebook\.yaml', codes\[1\]: field 'code' has unknown code 'R9'"
    ):
        coding.load_codebook(path)


def test_missing_code_entry(tmp_path, raw):
    del raw["codes"][-1]
    with pytest.raises(FrameworkError, match=r"no entry for the framework code\(s\) L1"):
        coding.load_codebook(write(tmp_path, raw))


def test_too_few_examples(tmp_path, raw):
    raw["codes"][2]["positive_examples"] = raw["codes"][2]["positive_examples"][:2]
    with pytest.raises(
        FrameworkError,
        match=r"codes\[3\] \(E1\): field 'positive_examples' must be a list of at least 3",
    ):
        coding.load_codebook(write(tmp_path, raw))
    raw["codes"][2]["positive_examples"] = ["a", "b", "c"]
    raw["codes"][2]["negative_examples"] = raw["codes"][2]["negative_examples"][:1]
    with pytest.raises(FrameworkError, match="'negative_examples' needs at least 2"):
        coding.load_codebook(write(tmp_path, raw))


def test_negative_example_with_own_code(tmp_path, raw):
    raw["codes"][0]["negative_examples"][0]["code"] = "R1"
    with pytest.raises(FrameworkError, match=r"negative_examples\[1\]: a negative example of R1"):
        coding.load_codebook(write(tmp_path, raw))


def test_bad_pattern_is_named(tmp_path, raw):
    raw["dictionary"]["patterns"]["es"]["R2"][1] = "(descuento"
    with pytest.raises(
        FrameworkError,
        match=r"dictionary\.patterns\.es\.R2\[2\]: pattern '\(descuento' is not a valid",
    ):
        coding.load_codebook(write(tmp_path, raw))


def test_misspelled_field_and_bad_priority(tmp_path, raw):
    raw["codes"][1]["when_to_usee"] = raw["codes"][1].pop("when_to_use")
    with pytest.raises(FrameworkError, match=r"codes\[2\]: unknown field\(s\) 'when_to_usee'"):
        coding.load_codebook(write(tmp_path, raw))


def test_priority_must_list_every_code(tmp_path, raw):
    raw["dictionary"]["priority"] = raw["dictionary"]["priority"][:-1]
    with pytest.raises(FrameworkError, match="'priority' must list every code once"):
        coding.load_codebook(write(tmp_path, raw))


def test_duplicate_yaml_key_and_non_utf8(tmp_path):
    text = coding.default_codebook_path().read_text(encoding="utf-8")
    dup = tmp_path / "dup.yaml"
    dup.write_text(
        text.replace("schema_version: 1\n", "schema_version: 1\nschema_version: 1\n", 1),
        encoding="utf-8",
    )
    with pytest.raises(FrameworkError, match="duplicate key 'schema_version'"):
        coding.load_codebook(dup)
    latin = tmp_path / "latin.yaml"
    latin.write_bytes("title: Promoción".encode("latin-1"))
    with pytest.raises(FrameworkError, match=re.escape(f"codebook file '{latin}' is not UTF-8")):
        coding.load_codebook(latin)
    with pytest.raises(FrameworkError, match="cannot read codebook file"):
        coding.load_codebook(tmp_path / "missing.yaml")
