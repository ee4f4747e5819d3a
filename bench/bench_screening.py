"""Screening at scale: index ≥ 100,000 generated FtM entities, then time screenings against them.

    .venv/bin/python -m bench.bench_screening [--entities 100000] [--queries 300] [--seed 7]

Prints the index build time (reading, hashing and tokenizing the JSON lines file, as in production), the time per
screening (mean / p95 / max) and how many candidates logic-v2 compared per subject versus the dataset size. No
pass/fail: the target is well under 100 ms per subject with candidates ≪ dataset size.
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import resource
import statistics
import tempfile
import time
from pathlib import Path

from followthemoney import EntityProxy, model

from nuvera.screening.engine import ScreeningEngine


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


GIVEN = _words(
    "James John Robert Michael William David Richard Joseph Thomas Charles Mary Patricia Jennifer Linda Elizabeth "
    "Barbara Susan Jessica Sarah Karen Mohammed Ahmed Ali Hassan Hussein Omar Yusuf Ibrahim Fatima Aisha Maryam "
    "Zainab Vladimir Sergei Dmitry Alexei Ivan Nikolai Olga Tatiana Natalia Elena Anna Irina Wei Jing Li Ming Hui "
    "Yan Xin Jun Hiroshi Takashi Yuki Akira Kenji Jose Juan Carlos Luis Miguel Jorge Pedro Maria Carmen Ana Lucia "
    "Pierre Jean Michel Philippe Nicolas Sophie Camille Hans Peter Klaus Wolfgang Jurgen Ursula Giovanni Marco "
    "Giuseppe Francesca Kwame Kofi Chinedu Oluwaseun Amara Abdullah Khalid Rashid Tariq Arjun Rahul Priya Anil "
    "Sanjay Deepak Kim Min Seo Ji Hoon Young Emre Mehmet Ayse Fatih Can Nguyen Minh Thanh"
)
COMMON_SURNAMES = _words(
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez Gonzalez Wilson "
    "Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris Sanchez Clark Ramirez Lewis "
    "Robinson Ivanov Petrov Smirnov Kuznetsov Popov Wang Zhang Liu Chen Yang Huang Zhao Wu Zhou Khan Ali Ahmed "
    "Hussain Rahman Singh Kumar Sharma Patel Gupta Nguyen Tran Le Pham Kim Park Choi Muller Schmidt Schneider "
    "Fischer Weber Rossi Russo Ferrari Silva Santos Oliveira Pereira Costa Dubois Martin Bernard Moreau Yilmaz "
    "Kaya Demir Sahin Okafor Mensah Diallo Traore Cohen Levi"
)
SYLLABLES = _words(
    "ka ri mo ta se lo vi na ge bu ra ko mi de sa pu li zo fe ha ne to ma chi ba do ru ya ze wo ki lu so ve ni "
    "an el or is un ar en ov ez ak ul im berg stein man son sky ich enko ov ev"
)
WORDS = _words(
    "Global Trade Capital Energy Marine Shipping Holdings Resources Petroleum Metals Mining Logistics Import "
    "Export Investment Finance Bank Industrial Technology Systems Aviation Chemical Engineering Construction "
    "Development Agro Pharma Textile Steel Gas Oil Commodities Ventures Partners Consulting Maritime Transport "
    "Defense Electric Nordic Pacific Atlantic Eastern Western Northern Southern Golden Silver Royal United "
    "National International Star Ocean River Mountain Delta Alpha Omega Prime Crown Eagle Falcon Lion Phoenix "
    "Orient Euro Asia Africa"
)
SUFFIXES = ("LLC", "Ltd", "GmbH", "S.A.", "JSC", "PJSC", "Trading Co", "Holdings", "Group", "Inc", "FZE", "LLP")
COUNTRIES = _words("ru ir kp sy ve cu by mm af iq lb ye cn tr ae ch gb us de fr it es mx co ng za in pk")


def resident_mb() -> float:
    """Current resident set size (Linux /proc), else the peak reported by getrusage."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def invented(rng: random.Random, parts: int) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(parts)).capitalize()


def person(rng: random.Random, number: int) -> dict[str, object]:
    given = rng.choice(GIVEN)
    family = rng.choice(COMMON_SURNAMES) if rng.random() < 0.3 else invented(rng, rng.randint(2, 4))
    name = f"{given} {family}"
    if rng.random() < 0.3:
        name = f"{given} {invented(rng, 2)} {family}"
    properties: dict[str, list[str]] = {
        "name": [name],
        "firstName": [given],
        "lastName": [family],
        "birthDate": [f"{rng.randint(1940, 2000)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"],
        "nationality": [rng.choice(COUNTRIES)],
        "topics": ["sanction"],
        "program": [rng.choice(["SDGT", "SDNTK", "RUSSIA-EO14024", "IRAN", "DPRK3", "CYBER2"])],
    }
    if rng.random() < 0.4:
        properties["alias"] = [f"{family.upper()}, {given}", f"{given[0]}. {family}"]
    return {"id": f"gen-per-{number}", "schema": "Person", "datasets": ["generated"], "properties": properties}


def company(rng: random.Random, number: int) -> dict[str, object]:
    words = [rng.choice(WORDS) for _ in range(rng.randint(1, 2))]
    brand = invented(rng, rng.randint(2, 3))
    name = " ".join([brand, *words, rng.choice(SUFFIXES)])
    properties: dict[str, list[str]] = {
        "name": [name],
        "country": [rng.choice(COUNTRIES)],
        "topics": ["sanction"],
        "registrationNumber": [str(rng.randint(10**8, 10**10))],
    }
    if rng.random() < 0.3:
        properties["alias"] = [f"{brand} {rng.choice(WORDS)}"]
    return {"id": f"gen-com-{number}", "schema": "Company", "datasets": ["generated"], "properties": properties}


def typo(rng: random.Random, text: str) -> str:
    at = rng.randrange(1, len(text) - 1)
    return text[:at] + text[at + 1] + text[at] + text[at + 2 :]


def subjects(rng: random.Random, entities: list[dict[str, object]], count: int) -> list[tuple[str, EntityProxy]]:
    """A mix: listed names verbatim, with a typo, reordered; unrelated names; very common names."""
    found: list[tuple[str, EntityProxy]] = []
    for i in range(count):
        kind = i % 5
        if kind == 4:
            query = model.make_entity("Person")
            query.add("name", f"{rng.choice(GIVEN)} {rng.choice(COMMON_SURNAMES)}")
            found.append(("common name", query))
            continue
        if kind == 3:
            query = model.make_entity(rng.choice(["Person", "Company"]))
            query.add("name", f"{invented(rng, 3)} {invented(rng, 3)}")
            found.append(("unrelated", query))
            continue
        listed = rng.choice(entities)
        props = listed["properties"]
        assert isinstance(props, dict)
        name = str(props["name"][0])
        query = model.make_entity(str(listed["schema"]))
        if kind == 0:
            label = "listed name"
        elif kind == 1:
            label, name = "listed, typo", typo(rng, name)
        else:
            label, name = "listed, reordered", " ".join(reversed(name.split()))
        query.add("name", name)
        if listed["schema"] == "Person":
            query.add("nationality", props["nationality"])
        found.append((label, query))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entities", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)

    # Warm the name tagger first: building it is a one-time per-process cost (seconds), not indexing.
    started = time.perf_counter()
    warm = tempfile.NamedTemporaryFile("w", suffix=".ftm.jsonl", delete=False)  # noqa: SIM115 - closed below
    warm.write(json.dumps(person(rng, 0)) + "\n" + json.dumps(company(rng, 0)) + "\n")
    warm.close()
    ScreeningEngine.load(Path(warm.name), threshold=0.7, topics=["sanction"])
    Path(warm.name).unlink()
    print(f"name tagger warm-up (once per process): {time.perf_counter() - started:.1f} s")

    entities = [person(rng, n) if n % 2 == 0 else company(rng, n) for n in range(args.entities)]
    queries = subjects(rng, entities, args.queries)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "generated.ftm.jsonl"
        with path.open("w") as handle:
            for entity in entities:
                handle.write(json.dumps(entity, ensure_ascii=False) + "\n")
        # The generated dicts are the bench's, not the engine's: drop them so the process holds what a server
        # would (a full garbage collection over 100k nested dicts would otherwise pause a timed screening).
        del entities
        gc.collect()
        size_mb = path.stat().st_size / 1e6
        rss_before = resident_mb()
        started = time.perf_counter()
        engine = ScreeningEngine.load(path, threshold=0.7, topics=["sanction"])
        build = time.perf_counter() - started
        gc.collect()
        rss_after = resident_mb()
    print(
        f"index build: {len(engine.index):,} entities ({size_mb:.0f} MB of JSON lines, {engine.index.token_count:,} "
        f"tokens) in {build:.1f} s = {build / len(engine.index) * 1e6:.0f} µs/entity; "
        f"resident memory {rss_before:.0f} → {rss_after:.0f} MB (+{rss_after - rss_before:.0f} MB for the index)"
    )

    timings: list[float] = []
    compared: list[int] = []
    by_kind: dict[str, list[int]] = {}
    slowest = (0.0, "")
    for label, query in queries:
        started = time.perf_counter()
        result = engine.screen(query)
        elapsed = (time.perf_counter() - started) * 1000
        timings.append(elapsed)
        slowest = max(slowest, (elapsed, f"{label}: {query.caption}"))
        compared.append(result.candidates_compared)
        by_kind.setdefault(label, [0, 0])
        by_kind[label][0] += 1
        by_kind[label][1] += 1 if result.matches else 0
    timings.sort()
    p95 = timings[int(len(timings) * 0.95) - 1]
    print(
        f"screening: {len(timings)} subjects, mean {statistics.mean(timings):.2f} ms, "
        f"median {statistics.median(timings):.2f} ms, p95 {p95:.2f} ms, max {timings[-1]:.2f} ms ({slowest[1]})"
    )
    print(
        f"candidates compared per subject: mean {statistics.mean(compared):.1f}, max {max(compared)} "
        f"of {len(engine.index):,} entities ({max(compared) / len(engine.index):.4%} at most)"
    )
    for label, (total, matched) in sorted(by_kind.items()):
        print(f"  {label:<18} {matched:>4}/{total:<4} subjects with a match ≥ {engine.threshold}")


if __name__ == "__main__":
    main()
