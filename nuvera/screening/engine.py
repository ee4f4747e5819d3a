"""The screening engine: FollowTheMoney subjects against sanctions entities, scored by nomenklatura's logic-v2.

Pure: no database, no settings lookups inside `screen()`. The service stores what it returns.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import threading
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from followthemoney import EntityProxy, model, registry
from rigour.reset import reset_caches

from nuvera.config import Settings
from nuvera.errors import ErrorCode, NuveraError
from nuvera.screening.dataset import DatasetInfo, bundled_sample_path, load_index, load_index_cached
from nuvera.screening.index import CandidateIndex

if TYPE_CHECKING:
    from nomenklatura.matching.logic_v2.model import LogicV2
    from nomenklatura.matching.types import FeatureResult, MatchingResult

log = logging.getLogger(__name__)


@functools.cache
def logic_v2() -> type[LogicV2]:
    """The matching algorithm, imported on first use: `nomenklatura.matching` imports every algorithm it has,
    scikit-learn's included (about a second), and only processes that actually screen should pay for that."""
    from nomenklatura.matching import LogicV2

    return LogicV2


# How many blocked candidates go on to the (comparatively expensive) logic-v2 comparison.
MAX_CANDIDATES = 30

# Human labels for logic-v2's features (the keys are the algorithm's own feature names).
FEATURE_LABELS = {
    "name_match": "Name",
    "address_entity_match": "Address entity",
    "crypto_wallet_address": "Crypto wallet address",
    "isin_security_match": "ISIN security",
    "lei_code_match": "LEI code",
    "ogrn_code_match": "OGRN code",
    "vessel_imo_mmsi_match": "Vessel IMO/MMSI",
    "inn_code_match": "INN code",
    "bic_code_match": "SWIFT/BIC code",
    "uei_code_match": "UEI code",
    "npi_code_match": "NPI code",
    "identifier_match": "Identifier",
    "weak_alias_match": "Weak alias",
    "address_prop_match": "Address",
    "country_mismatch": "Country mismatch",
    "dob_year_disjoint": "Birth year mismatch",
    "dob_day_disjoint": "Birth date mismatch",
    "gender_mismatch": "Gender mismatch",
}
# Qualifiers worth showing even when they did not change the score: "Birth day match: 1952-10-07" is evidence.
_INFORMATIVE_QUALIFIERS = frozenset({"dob_year_disjoint", "dob_day_disjoint", "country_mismatch", "gender_mismatch"})

# Facts of the listed entity shown to reviewers, in this order; long free text gets a full-width row.
_EVIDENCE_PROPERTIES = (
    "birthDate",
    "birthPlace",
    "nationality",
    "citizenship",
    "country",
    "gender",
    "position",
    "program",
    "registrationNumber",
    "swiftBic",
    "innCode",
    "ogrnCode",
    "leiCode",
    "idNumber",
    "passportNumber",
    "taxNumber",
    "address",
    "notes",
    "sourceUrl",
)
_FULL_WIDTH_TYPES = frozenset({registry.address, registry.text, registry.url})
_ALIAS_PROPERTIES = ("name", "alias", "previousName", "weakAlias")


@dataclass(frozen=True)
class QueryProperty:
    label: str
    key: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class FeatureScore:
    key: str
    label: str
    score: float
    matched_value: str | None
    candidate_value: str | None
    note: str | None


@dataclass(frozen=True)
class Evidence:
    label: str
    values: tuple[str, ...]
    full_width: bool = False


@dataclass(frozen=True)
class Match:
    entity_id: str
    caption: str
    schema: str
    score: float
    topics: tuple[str, ...]
    datasets: tuple[str, ...]
    aliases: tuple[str, ...]
    features: tuple[FeatureScore, ...]
    evidence: tuple[Evidence, ...]
    # Hash of the listed entity's data: a cleared match comes back only when this changes.
    entity_hash: str


@dataclass(frozen=True)
class ScreeningResult:
    algorithm: str
    threshold: float
    topics_scope: tuple[str, ...]
    dataset_scope: str
    data_version: str
    query_properties: tuple[QueryProperty, ...]
    matches: tuple[Match, ...]
    candidates_compared: int
    dataset_size: int


class ScreeningEngine:
    """One loaded dataset plus the matching policy (threshold, topics scope). Thread-safe after construction."""

    def __init__(
        self,
        index: CandidateIndex,
        dataset: DatasetInfo,
        *,
        threshold: float,
        topics: Collection[str],
        rescreen_interval: timedelta = timedelta(days=1),
        max_candidates: int = MAX_CANDIDATES,
    ) -> None:
        if not 0.0 < threshold <= 1.0:
            raise ValueError("threshold must be in (0, 1]")
        self.index = index
        self.dataset = dataset
        self.threshold = threshold
        self.topics = tuple(sorted(topics))
        self.rescreen_interval = rescreen_interval
        self.max_candidates = max_candidates
        self._config = logic_v2().default_config()
        # nomenklatura memoises name analysis per entity *id* (process-wide). A reloaded dataset may carry the
        # same ids with changed names, so candidates are analysed under ids namespaced by the data's hash: the
        # memo of one dataset version can never answer for another.
        self._namespace = f"{dataset.sha256[:16]}/"

    @classmethod
    def load(
        cls,
        path: Path,
        *,
        threshold: float,
        topics: Collection[str],
        rescreen_interval: timedelta = timedelta(days=1),
        max_candidates: int = MAX_CANDIDATES,
        cache_dir: Path | None = None,
        warm_up: bool = True,
    ) -> ScreeningEngine:
        """Read the dataset into an index (or, with `cache_dir`, reuse the index built for its content before)."""
        index, info = load_index(path, topics) if cache_dir is None else load_index_cached(path, topics, cache_dir)
        # Name analysis fills rigour's string caches while indexing; they are not needed afterwards.
        reset_caches()
        engine = cls(
            index,
            info,
            threshold=threshold,
            topics=topics,
            rescreen_interval=rescreen_interval,
            max_candidates=max_candidates,
        )
        if warm_up:
            engine.warm_up()
        return engine

    def warm_up(self) -> None:
        """Screen one listed person and one listed organisation against the data.

        The first comparison of each kind of name loads that part of the name tagger (up to a second); doing it
        here keeps that cost out of the first real screening.
        """
        seen: set[bool] = set()
        for number in range(min(len(self.index), 10_000)):
            data: dict[str, Any] = json.loads(self.index.record(number))
            entity = model.get_proxy(data)
            is_person = entity.schema.is_a("Person")
            if is_person not in seen:
                seen.add(is_person)
                self.screen(entity)
            if len(seen) == 2:
                break

    @property
    def algorithm(self) -> str:
        return logic_v2().NAME

    def screen(self, subject: EntityProxy) -> ScreeningResult:
        """Compare `subject` with its blocked candidates; return those scoring at or above the threshold."""
        query = _content_addressed(subject)
        numbers = self.index.candidates(query, self.max_candidates)
        matches: list[Match] = []
        for number in numbers:
            data: dict[str, Any] = json.loads(self.index.record(number))
            candidate = model.get_proxy({**data, "id": self._namespace + data["id"]})
            result = logic_v2().compare(query, candidate, self._config)
            if result.score >= self.threshold:
                matches.append(self._match(candidate, data, result))
        matches.sort(key=lambda m: (-m.score, m.entity_id))
        return ScreeningResult(
            algorithm=self.algorithm,
            threshold=self.threshold,
            topics_scope=self.topics,
            dataset_scope=self.dataset.name,
            data_version=self.dataset.version,
            query_properties=query_properties(query),
            matches=tuple(matches),
            candidates_compared=len(numbers),
            dataset_size=len(self.index),
        )

    def _match(self, candidate: EntityProxy, data: dict[str, Any], result: MatchingResult) -> Match:
        explanations = result.explanations
        caption = candidate.caption
        aliases: list[str] = []
        for prop in _ALIAS_PROPERTIES:
            for value in candidate.get(prop, quiet=True):
                if value != caption and value not in aliases:
                    aliases.append(value)
        return Match(
            entity_id=data["id"],
            caption=caption,
            schema=candidate.schema.name,
            score=round(result.score, 4),
            topics=tuple(candidate.get("topics", quiet=True)),
            datasets=tuple(data.get("datasets") or (self.dataset.name,)),
            aliases=tuple(aliases),
            features=tuple(_features(explanations)),
            evidence=tuple(_evidence(candidate, explanations)),
            entity_hash=_entity_hash(data),
        )


def query_properties(entity: EntityProxy) -> tuple[QueryProperty, ...]:
    """What was screened, as label/key/values rows (values in their display form, e.g. country names)."""
    rows = []
    for prop in entity.iterprops():
        values = tuple(prop.type.caption(v) for v in entity.get(prop))
        if values:
            rows.append(QueryProperty(label=prop.label, key=prop.name, values=values))
    return tuple(rows)


def _content_addressed(subject: EntityProxy) -> EntityProxy:
    """A copy of the subject whose id is a hash of its content.

    nomenklatura memoises name analysis by entity id; two different subjects sharing an id (or one subject
    whose data changed) must never be analysed as each other.
    """
    properties = {prop: sorted(values) for prop, values in sorted(subject.properties.items())}
    canonical = json.dumps([subject.schema.name, properties], ensure_ascii=False, separators=(",", ":"))
    digest = hashlib.sha256(canonical.encode()).hexdigest()[:32]
    return EntityProxy(subject.schema, {"id": f"query-{digest}", "properties": properties})


def _features(explanations: dict[str, FeatureResult]) -> Iterable[FeatureScore]:
    for key, explanation in explanations.items():
        informative = key == "name_match" or explanation.score > 0.0
        if key in _INFORMATIVE_QUALIFIERS and explanation.detail and not explanation.detail.startswith("No "):
            informative = True
        if not informative:
            continue
        yield FeatureScore(
            key=key,
            label=FEATURE_LABELS.get(key, key.replace("_", " ").capitalize()),
            score=round(explanation.score, 4),
            matched_value=explanation.query,
            candidate_value=explanation.candidate,
            note=explanation.detail,
        )


def _evidence(candidate: EntityProxy, explanations: dict[str, FeatureResult]) -> Iterable[Evidence]:
    name = explanations.get("name_match")
    if name is not None and name.query and name.candidate:
        yield Evidence("Name screened", (name.query,))
        yield Evidence("Name on the list", (name.candidate,))
    if name is not None and name.detail:
        # logic-v2's own account of the name alignment: which parts matched how, and their weights.
        yield Evidence("Name comparison", (name.detail,), full_width=True)
    for key in ("country_mismatch", "dob_day_disjoint", "dob_year_disjoint", "gender_mismatch"):
        qualifier = explanations.get(key)
        if qualifier is not None and qualifier.score > 0.0 and qualifier.detail:
            yield Evidence(FEATURE_LABELS[key], (qualifier.detail,), full_width=True)
    for prop_name in _EVIDENCE_PROPERTIES:
        prop = candidate.schema.get(prop_name)
        if prop is None:
            continue
        values = tuple(prop.type.caption(v) for v in candidate.get(prop))
        if values:
            yield Evidence(prop.label, values, full_width=prop.type in _FULL_WIDTH_TYPES)
    topics = tuple(registry.topic.caption(t) for t in candidate.get("topics", quiet=True))
    if topics:
        yield Evidence("Topics", topics)


def _entity_hash(data: dict[str, Any]) -> str:
    """SHA-256 of the listed entity's schema, properties and datasets, independent of key and value order."""
    properties = {prop: sorted(values) for prop, values in sorted(data["properties"].items())}
    canonical = [data["schema"], properties, sorted(data.get("datasets") or ())]
    return hashlib.sha256(json.dumps(canonical, ensure_ascii=False, separators=(",", ":")).encode()).hexdigest()


# --- one engine per process ---------------------------------------------------------------------------------

_engines: dict[tuple[Any, ...], ScreeningEngine] = {}
_engines_lock = threading.Lock()


def get_engine(settings: Settings) -> ScreeningEngine:
    """The process's engine for these settings, loaded on first use and again when the file changes.

    Only the jobs worker (and operator commands) load it; API processes never do. Building the index of a full
    dataset takes seconds, so it is built once per dataset version and kept under the var dir (`index_dir`);
    the lock keeps concurrent first uses from loading it twice.
    """
    path = (settings.screening_dataset or bundled_sample_path()).resolve()
    with _engines_lock:
        try:
            stat = path.stat()
            key = (
                str(path),
                stat.st_mtime_ns,
                stat.st_size,
                settings.screening_threshold,
                tuple(sorted(settings.screening_topics)),
                settings.screening_rescreen_days,
            )
            engine = _engines.get(key)
            if engine is None:
                engine = ScreeningEngine.load(
                    path,
                    threshold=settings.screening_threshold,
                    topics=settings.screening_topics,
                    rescreen_interval=timedelta(days=settings.screening_rescreen_days),
                    cache_dir=index_dir(settings),
                    warm_up=settings.screening_warm_up,
                )
                _engines.clear()
                _engines[key] = engine
        except OSError as exc:
            # Screening must never silently pass when its data is missing: the caller's transaction fails (503).
            log.error("screening dataset %s cannot be read: %s", path, exc.strerror)
            raise NuveraError(ErrorCode.DEPENDENCY_UNAVAILABLE, "Sanctions screening data is unavailable.") from exc
        return engine


def index_dir(settings: Settings) -> Path:
    return settings.screening_index_dir or settings.var_dir / "screening-index"
