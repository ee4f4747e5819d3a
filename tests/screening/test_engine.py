"""The engine alone: FtM subjects against the bundled OFAC SDN sample with nomenklatura's logic-v2."""

from __future__ import annotations

import json
from pathlib import Path

from followthemoney import EntityProxy, model

from nuvera.screening.dataset import bundled_sample_path
from nuvera.screening.engine import MAX_CANDIDATES, ScreeningEngine


def entity(schema: str, **properties: str) -> EntityProxy:
    proxy = model.make_entity(schema)
    for prop, value in properties.items():
        proxy.add(prop, value, cleaned=False)
    return proxy


def test_a_listed_person_matches_with_the_algorithms_feature_scores_and_evidence(engine: ScreeningEngine) -> None:
    result = engine.screen(entity("Person", name="Vladimir Putin", birthDate="1952-10-07", nationality="RU"))

    assert result.algorithm == "logic-v2"
    assert result.threshold == 0.7
    assert result.dataset_scope == "ofac_sdn_sample"
    assert result.data_version == engine.dataset.version
    assert [m.entity_id for m in result.matches] == ["ofac-sdn-putin-vladimir"]
    match = result.matches[0]
    assert match.score == 1.0
    assert match.caption == "Vladimir Vladimirovich PUTIN"
    assert match.schema == "Person"
    assert match.topics == ("sanction",)
    assert match.datasets == ("us_ofac_sdn",)
    assert "Владимир Владимирович Путин" in match.aliases
    features = {f.key: f for f in match.features}
    assert features["name_match"].score == 1.0
    assert features["name_match"].matched_value == "Vladimir Putin"
    assert features["name_match"].candidate_value == "Vladimir Putin"
    assert "literalMatch" in (features["name_match"].note or "")
    # Qualifiers that found agreement are shown with the algorithm's own words.
    assert features["dob_day_disjoint"].score == 0.0
    assert features["dob_day_disjoint"].note == "Birth day match: 1952-10-07"
    evidence = {e.label: e.values for e in match.evidence}
    assert evidence["Program"] == ("RUSSIA-EO14024",)
    assert evidence["Birth date"] == ("1952-10-07",)
    assert evidence["Nationality"] == ("Russia",)
    assert evidence["Name comparison"] == (features["name_match"].note,)
    query = {p.key: p.values for p in result.query_properties}
    assert query == {"name": ("Vladimir Putin",), "birthDate": ("1952-10-07",), "nationality": ("Russia",)}


def test_spelling_variants_and_other_scripts_match(engine: ScreeningEngine) -> None:
    cyrillic = engine.screen(entity("Person", name="Владимир Путин"))
    german = engine.screen(entity("Person", name="Wladimir Putin"))
    typo = engine.screen(entity("Person", name="Sergey Lavrow"))

    assert [m.entity_id for m in cyrillic.matches] == ["ofac-sdn-putin-vladimir"]
    assert [m.entity_id for m in german.matches] == ["ofac-sdn-putin-vladimir"]
    assert 0.7 <= german.matches[0].score < 1.0
    name = next(f for f in german.matches[0].features if f.key == "name_match")
    assert name.score == german.matches[0].score
    assert "fuzzyMatch" in (name.note or "") or "symbolMatch" in (name.note or "")
    assert [m.entity_id for m in typo.matches] == ["ofac-sdn-lavrov-sergei"]


def test_contradicting_birth_date_and_nationality_are_scored_as_penalties(engine: ScreeningEngine) -> None:
    namesake = entity("Person", name="Vladimir Putin", birthDate="1985-03-01", nationality="DE")
    assert engine.screen(namesake).matches == ()

    # Below the threshold the same comparison shows why: the name matches, the qualifiers subtract.
    lenient = ScreeningEngine(engine.index, engine.dataset, threshold=0.1, topics=engine.topics)
    (match,) = lenient.screen(namesake).matches
    features = {f.key: f for f in match.features}
    assert features["name_match"].score == 1.0
    assert features["country_mismatch"].score == 1.0
    assert "Different countries" in (features["country_mismatch"].note or "")
    assert features["dob_year_disjoint"].score == 1.0
    assert features["dob_day_disjoint"].score == 1.0
    assert match.score < 0.7
    evidence = {e.label: e for e in match.evidence}
    assert evidence["Country mismatch"].full_width is True


def test_companies_match_listed_organizations_and_legal_entities_match_both(engine: ScreeningEngine) -> None:
    sberbank = engine.screen(entity("Company", name="Sberbank", country="RU"))
    cuba = engine.screen(entity("LegalEntity", name="Banco Nacional de Cuba"))
    irgc = engine.screen(entity("Organization", name="Islamic Revolutionary Guard Corps"))

    assert [m.entity_id for m in sberbank.matches] == ["ofac-sdn-sberbank"]
    evidence = {e.label: e.values for e in sberbank.matches[0].evidence}
    assert evidence["SWIFT/BIC"] == ("SABRRUMM",)
    assert [m.entity_id for m in cuba.matches] == ["ofac-sdn-banco-nacional-de-cuba"]
    assert cuba.matches[0].schema == "Company"
    assert [m.entity_id for m in irgc.matches] == ["ofac-sdn-irgc"]
    assert set(irgc.matches[0].topics) == {"sanction", "crime.terror"}


def test_unrelated_names_get_no_match(engine: ScreeningEngine) -> None:
    for subject in (
        entity("Company", name="Nordlicht Bäckerei GmbH", country="DE"),
        entity("Person", name="Jane Doe", nationality="US", birthDate="1990-05-17"),
        entity("LegalEntity", name="Acme Widgets Ltd"),
    ):
        assert engine.screen(subject).matches == ()


def test_blocking_compares_only_a_few_candidates(engine: ScreeningEngine) -> None:
    result = engine.screen(entity("Person", name="Vladimir Putin"))
    unrelated = engine.screen(entity("Person", name="Jane Doe"))

    assert result.dataset_size == 59
    # Only entities sharing a name token (or a one-edit neighbour of one) are compared — not the dataset.
    assert 1 <= result.candidates_compared <= 5
    assert unrelated.candidates_compared == 0
    assert result.candidates_compared <= MAX_CANDIDATES


def test_a_person_is_never_compared_with_companies(engine: ScreeningEngine) -> None:
    # "Mahan Air" is a listed company; a person called that is not a candidate for it.
    assert engine.screen(entity("Person", name="Mahan Air")).candidates_compared == 0
    assert [m.entity_id for m in engine.screen(entity("Company", name="Mahan Air")).matches] == ["ofac-sdn-mahan-air"]


def test_the_same_subject_id_with_other_data_is_not_confused(engine: ScreeningEngine) -> None:
    # nomenklatura memoises name analysis per entity id; the engine must not let one subject answer for another.
    first = entity("Person", name="Vladimir Putin")
    second = entity("Person", name="Jane Doe")
    first.id = second.id = "same-id"
    assert engine.screen(first).matches
    assert engine.screen(second).matches == ()


def test_loading_counts_what_it_skips_and_versions_the_file(tmp_path: Path) -> None:
    lines = bundled_sample_path().read_text().splitlines()[:3]
    lines += [
        "not json at all",
        json.dumps({"id": "x1", "schema": "NoSuchSchema", "properties": {}}),
        json.dumps({"id": "x2", "schema": "Person", "properties": {"name": "not a list"}}),
        json.dumps({"id": "s1", "schema": "Sanction", "properties": {"program": ["SDGT"]}}),
        json.dumps({"id": "p1", "schema": "Person", "properties": {"name": ["Politician"], "topics": ["role.pep"]}}),
        "",
    ]
    path = tmp_path / "mixed.ftm.jsonl"
    path.write_text("\n".join(lines) + "\n")

    loaded = ScreeningEngine.load(path, threshold=0.7, topics=["sanction"])

    info = loaded.dataset
    assert (info.entity_count, info.skipped, info.invalid) == (3, 2, 3)
    assert info.name == "mixed"
    assert info.version.endswith("-" + info.sha256[:12])
    assert loaded.screen(entity("Person", name="Politician")).matches == ()
    path.write_text("\n".join(lines[:2]) + "\n")
    assert ScreeningEngine.load(path, threshold=0.7, topics=["sanction"]).dataset.sha256 != info.sha256
