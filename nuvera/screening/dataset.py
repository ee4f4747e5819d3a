"""Reading sanctions data: FollowTheMoney entities, one JSON object per line, into a candidate index."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
import pickle
import tempfile
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

from followthemoney import EntityProxy, model

from nuvera.screening.index import CandidateIndex

log = logging.getLogger(__name__)

BUNDLED_SAMPLE = "ofac_sdn_sample.ftm.jsonl"
_SUFFIXES = (".ftm.jsonl", ".ftm.json", ".jsonl", ".json")


def bundled_sample_path() -> Path:
    """The small public-domain OFAC SDN sample shipped with the package (see data/README.md)."""
    return Path(str(resources.files("nuvera.screening").joinpath("data", BUNDLED_SAMPLE)))


@dataclass(frozen=True)
class DatasetInfo:
    path: Path
    # The response's `datasetScope`: the file's name without its FtM/JSON suffix ("ofac_sdn_sample").
    name: str
    # The response's `dataVersion`: modification time and content hash, so any new file is told apart.
    version: str
    sha256: str
    entity_count: int
    # Lines that are valid FtM but not screened: not a legal entity (sanctions, addresses, vessels…) or
    # outside the topics scope.
    skipped: int
    # Lines that could not be read at all; a warning is logged when there are any.
    invalid: int


def dataset_name(path: Path) -> str:
    name = path.name
    for suffix in _SUFFIXES:
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return path.stem


def load_index(path: Path, topics: Collection[str], *, max_bucket: int = 2000) -> tuple[CandidateIndex, DatasetInfo]:
    """Stream the file once: hash every byte, keep screenable entities in topic scope, index their names.

    Values are taken as they are (`cleaned=True`): FtM exports such as OpenSanctions' are already normalised, and
    re-validating every value of a million entities would multiply the load time.
    """
    scope = frozenset(topics)
    index = CandidateIndex(max_bucket=max_bucket)
    digest = hashlib.sha256()
    skipped = invalid = 0
    with path.open("rb") as handle:
        for raw in handle:
            digest.update(raw)
            line = raw.strip()
            if not line:
                continue
            data = _parse(line)
            if data is None:
                invalid += 1
                continue
            schema = model.get(data["schema"])
            if schema is None:
                invalid += 1
                continue
            properties: dict[str, list[str]] = data["properties"]
            if not schema.is_a("LegalEntity") or (scope and scope.isdisjoint(properties.get("topics", ()))):
                skipped += 1
                continue
            entity = EntityProxy(schema, {"id": data["id"], "properties": properties})
            record: dict[str, Any] = {"id": data["id"], "schema": schema.name, "properties": entity.properties}
            datasets = data.get("datasets")
            if isinstance(datasets, list) and all(isinstance(d, str) for d in datasets):
                record["datasets"] = datasets
            index.add(entity, json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode())
    if invalid:
        log.warning("screening dataset %s: %d unreadable lines skipped", path, invalid)
    sha = digest.hexdigest()
    modified = datetime.fromtimestamp(path.stat().st_mtime, UTC)
    info = DatasetInfo(
        path=path,
        name=dataset_name(path),
        version=f"{modified:%Y%m%d%H%M%S}-{sha[:12]}",
        sha256=sha,
        entity_count=len(index),
        skipped=skipped,
        invalid=invalid,
    )
    return index, info


# Bump when CandidateIndex or DatasetInfo change shape or the indexing rules change: older files are then ignored.
INDEX_FORMAT = 1


def load_index_cached(
    path: Path, topics: Collection[str], cache_dir: Path, *, max_bucket: int = 2000
) -> tuple[CandidateIndex, DatasetInfo]:
    """`load_index`, built once per dataset version: the built index is kept in `cache_dir` under the file's
    content hash (and the topics scope, the bucket cap and the format), and loaded from there next time.

    The file is ours (written below, atomically, in our var dir), which is why unpickling it is safe; never point
    `cache_dir` at a directory others can write to.
    """
    sha = file_sha256(path)
    scope = ",".join(sorted(topics))
    variant = hashlib.sha256(f"{INDEX_FORMAT}|{max_bucket}|{scope}".encode()).hexdigest()[:12]
    cached = cache_dir / f"{dataset_name(path)}-{sha[:32]}-{variant}.index"
    modified = datetime.fromtimestamp(path.stat().st_mtime, UTC)
    try:
        with cached.open("rb") as handle:
            index, info = pickle.load(handle)  # noqa: S301  # our own file, see above
        if isinstance(index, CandidateIndex) and isinstance(info, DatasetInfo) and info.sha256 == sha:
            log.info("screening index %s loaded from %s", info.name, cached)
            # Same content, perhaps a new copy of the file: the version follows the file in hand.
            return index, dataclasses.replace(info, path=path, version=f"{modified:%Y%m%d%H%M%S}-{sha[:12]}")
    except FileNotFoundError:
        pass
    except Exception as exc:  # a torn or foreign file: build again and overwrite it
        log.warning("screening index cache %s unreadable (%s); rebuilding", cached, type(exc).__name__)
    index, info = load_index(path, topics, max_bucket=max_bucket)
    cache_dir.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=cache_dir, prefix=".building-", suffix=".index")
    try:
        with os.fdopen(descriptor, "wb") as output:
            pickle.dump((index, info), output, protocol=pickle.HIGHEST_PROTOCOL)
        # Atomic: a process loading it concurrently sees the old state (no file) or the whole file.
        os.replace(temporary, cached)
    except OSError as exc:
        Path(temporary).unlink(missing_ok=True)
        log.warning("screening index cache %s not written: %s", cached, exc.strerror)
    return index, info


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _parse(line: bytes) -> dict[str, Any] | None:
    """One line as {id, schema, properties: {name: [str]}, …}, or None when it is not an FtM entity."""
    try:
        data = json.loads(line)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    entity_id, schema, properties = data.get("id"), data.get("schema"), data.get("properties")
    if not isinstance(entity_id, str) or not entity_id or not isinstance(schema, str):
        return None
    if not isinstance(properties, dict):
        return None
    for values in properties.values():
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            return None
    return data
