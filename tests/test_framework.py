"""The framework data file loads into the expected, immutable objects."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

import nrel_research as nr
from nrel_research.exceptions import FrameworkError

CODES = ("R1", "R2", "E1", "E2", "E3", "E4", "E5", "E6", "E7", "L1")


@pytest.fixture(scope="module")
def fw():
    return nr.framework.load()


def test_taxonomy_shape(fw):
    assert len(fw.actions) == 10
    assert fw.codes == CODES
    assert [c.code for c in fw.categories] == ["R", "E", "L"]
    assert [c.name for c in fw.categories] == ["Representation", "Engagement", "Listening"]
    assert {c: len(fw.actions_in(c)) for c in "REL"} == {"R": 2, "E": 7, "L": 1}


def test_action_fields(fw):
    for a in fw.actions:
        assert a.code.startswith(a.category)
        assert a.definition and len(a.examples) >= 3
        assert a.citation == "ananda2016"
        assert a.slug.isidentifier() and a.slug == a.slug.lower()
    assert [a.code for a in fw.actions if a.b2b_only] == ["E7"]
    assert fw.action("E7").b2b_only is True
    assert fw.action("R1").b2b_only is False


def test_marketing_organisation_mapping(fw):
    # Representation ~ inside-out/transactional; Engagement and Listening ~ outside-in/relational.
    for a in fw.actions:
        expected = (
            ("inside_out", "transactional")
            if a.category == "R"
            else (
                "outside_in",
                "relational",
            )
        )
        assert (a.process, a.approach) == expected
    assert {p.id for p in fw.processes} == {"inside_out", "outside_in", "spanning"}
    assert {s.id for s in fw.spanning_activities} == {"social_commerce", "ewom"}
    assert all(s.process == "spanning" for s in fw.spanning_activities)


def test_network_and_decisions(fw):
    assert [d.id for d in fw.network_dimensions] == [
        "size",
        "connections",
        "distributions",
        "segmentation",
    ]
    measures = {d.id: [m.id for m in d.measures] for d in fw.network_dimensions}
    assert "reciprocity" in measures["connections"]
    assert "clustering_coefficient" in measures["segmentation"]
    assert fw.network_dimension("Size").name == "Size"
    assert [d.id for d in fw.strategic_decisions] == [
        "stp",
        "marketing_mix_positioning",
        "social_media_mix",
    ]
    assert "Listening" in fw.feedback or "market intelligence" in fw.feedback.lower()


def test_propositions_link_resolvable_constructs(fw):
    assert [p.id for p in fw.propositions] == [f"P{i}" for i in range(1, 9)]
    for p in fw.propositions:
        assert p.predictors and p.outcomes
        for ref in p.constructs:
            assert fw.resolve(ref) is not None
    assert fw.proposition("P1").outcomes == ("R1", "R2")
    assert set(fw.proposition("P2").outcomes) == {"E1", "E2", "E3", "E4", "E5", "E6", "E7", "L1"}
    # P4 compares markets on the nine shared action types: E7 is not among its predictors.
    assert "E7" not in fw.proposition("P4").predictors
    assert fw.proposition("P4").moderators == ("market_type",)
    assert fw.proposition("P5").moderators == ("sector",)
    assert fw.proposition("P6").mediators == (
        "size",
        "connections",
        "distributions",
        "segmentation",
    )
    assert fw.proposition("P8").level == "post"
    # constructs keeps role order and drops repeats
    p6 = fw.proposition("P6")
    assert p6.constructs[:3] == ("R", "E", "L") and len(set(p6.constructs)) == len(p6.constructs)


def test_lookups_are_case_insensitive_and_errors_list_valid_codes(fw):
    assert fw.action(" e7 ") is fw.action("E7")
    with pytest.raises(FrameworkError, match=r"unknown action code 'E8'; valid: R1, R2, E1") as e:
        fw.action("E8")
    assert isinstance(e.value, ValueError)
    with pytest.raises(FrameworkError, match="unknown category code 'N'"):
        fw.category("N")
    with pytest.raises(FrameworkError, match="unknown proposition 'P9'"):
        fw.proposition("P9")
    with pytest.raises(FrameworkError, match="names nothing in the framework"):
        fw.resolve("brand_love")


def test_market_type_applicability(fw):
    assert [a.code for a in fw.actions_for("B2C")] == [c for c in CODES if c != "E7"]
    assert len(fw.actions_for("B2B")) == 10
    assert len(fw.actions_for("both")) == 10
    with pytest.raises(FrameworkError, match="market_type='b2x' is not valid"):
        fw.actions_for("b2x")


def test_to_frame_actions(fw):
    df = fw.to_frame()
    assert isinstance(df, pd.DataFrame)
    assert len(df) == len(fw.actions) == 10
    assert list(df.columns) == [
        "code",
        "name",
        "slug",
        "category",
        "category_name",
        "definition",
        "examples",
        "b2b_only",
        "process",
        "approach",
        "citation",
    ]
    assert df["code"].tolist() == list(CODES)
    assert df["b2b_only"].dtype == bool
    assert df.loc[df["code"] == "E7", "b2b_only"].item()


@pytest.mark.parametrize(
    ("kind", "rows", "first_columns"),
    [
        ("categories", 3, ["code", "name"]),
        ("network", 14, ["dimension", "dimension_name", "measure"]),
        ("propositions", 8, ["id", "statement", "level"]),
        ("links", None, ["proposition", "role", "ref", "ref_type", "ref_name"]),
        ("constructs", None, ["id", "name", "kind", "level"]),
        ("references", None, ["key", "citation", "year", "doi", "verified"]),
    ],
)
def test_to_frame_other_kinds(fw, kind, rows, first_columns):
    df = fw.to_frame(kind)
    assert list(df.columns[: len(first_columns)]) == first_columns
    assert all(c == c.lower() and " " not in c for c in df.columns)
    if rows is not None:
        assert len(df) == rows


def test_links_cover_every_proposition_reference(fw):
    links = fw.to_frame("links")
    n_refs = sum(
        len(p.predictors) + len(p.mediators) + len(p.moderators) + len(p.outcomes)
        for p in fw.propositions
    )
    assert len(links) == n_refs
    assert set(links["role"]) == {"predictor", "mediator", "moderator", "outcome"}
    assert set(links.loc[links["ref"] == "E7", "ref_type"]) == {"action"}
    assert set(links.loc[links["ref"] == "size", "ref_type"]) == {"network_dimension"}


def test_to_frame_rejects_unknown_kind(fw):
    with pytest.raises(FrameworkError, match="kind='items' is not valid; use one of"):
        fw.to_frame("items")


def test_objects_are_immutable(fw):
    with pytest.raises(dataclasses.FrozenInstanceError):
        fw.action("R1").name = "changed"
    with pytest.raises(dataclasses.FrozenInstanceError):
        fw.name = "changed"
    assert isinstance(fw.actions, tuple) and isinstance(fw.action("R1").examples, tuple)


def test_bundled_load_is_cached_and_explicit_path_gives_equal_framework(fw):
    assert nr.framework.load() is fw
    again = nr.framework.load(nr.framework.default_path())
    assert again == fw and again is not fw


def test_references_and_verification_flags(fw):
    paper = fw.reference("ananda2016")
    assert paper.doi == "10.1016/j.jik.2016.01.003"
    assert paper.authors == ("Ananda, A. S.", "Hernández-García, Á.", "Lamberti, L.")
    assert paper.verified is True
    assert paper.apa().startswith("Ananda, A. S., Hernández-García, Á., & Lamberti, L. (2016).")
    # Sources the research notes could not check are flagged, not presented as fact.
    assert fw.reference("slater_olson2001").verified is False
    for obj in (*fw.network_dimensions, *fw.strategic_decisions, *fw.processes):
        assert fw.reference(obj.source)
