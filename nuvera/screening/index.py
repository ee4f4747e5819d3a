"""Candidate blocking: an in-memory inverted index from name tokens to sanctioned entities.

Scoring one pair with logic-v2 costs a fraction of a millisecond; a full sanctions collection has hundreds of
thousands of entities. So a screening never compares against every entity: the subject's names are broken into
tokens exactly as the matcher sees them (FtM `entity_names` → rigour name parts, their metaphone, and the tagger's
name symbols, which link e.g. "Владимир" to "Vladimir"), each token looks up the entities sharing it, and only the
best-ranked few (rare shared tokens weigh more, like IDF) go on to the matcher.

Memory is kept small on purpose: each entity is held as its compact JSON (parsed again only when it becomes a
candidate), postings are `array('I')` of entity numbers, and the schema of each entity is one byte.
"""

from __future__ import annotations

import heapq
import math
from array import array
from bisect import bisect_left

from followthemoney import EntityProxy, Schema, model
from followthemoney.names import entity_names
from rigour.names import NamePartTag, SymbolCategory

# Parts that carry no identity: stopwords ("of", "al") and legal forms ("LLC", "S.A.").
_SKIP_TAGS = frozenset({NamePartTag.STOP, NamePartTag.LEGAL})
# Tagger symbols that stand for a person's name across scripts and spellings (NAME) or nicknames (NICK).
_SYMBOL_CATEGORIES = frozenset({SymbolCategory.NAME, SymbolCategory.NICK})
# How much a shared token of each kind says about a match: the exact normalised part most, a shared
# cross-script name symbol a little less, a shared sound (metaphone, catches typos) least.
_BOOSTS = {"n": 1.0, "s": 0.8, "p": 0.4}
_FUZZY_BOOST = 0.5
# Shorter parts have too many real words one edit away ("li" → "le", "lu", "la") to be worth expanding.
_FUZZY_MIN_LENGTH = 4
_FUZZY_MAX_PARTS = 16
_LATIN = "abcdefghijklmnopqrstuvwxyz"


def name_tokens(entity: EntityProxy) -> set[str]:
    """The blocking keys of an entity: `n:` name parts, `s:` name symbols, `p:` phonetic codes."""
    tokens: set[str] = set()
    for name in entity_names(entity, consolidate=False, numerics=False):
        for part in name.parts:
            if part.tag in _SKIP_TAGS or len(part.comparable) < 2:
                continue
            tokens.add("n:" + part.comparable)
            if part.metaphone is not None and len(part.metaphone) >= 3:
                tokens.add("p:" + part.metaphone)
        for span in name.spans:
            if span.symbol.category in _SYMBOL_CATEGORIES:
                tokens.add(f"s:{span.symbol.category.value}:{span.symbol.id}")
    return tokens


class CandidateIndex:
    """Entities (as compact JSON records) plus postings from name tokens to entity numbers."""

    def __init__(self, *, max_bucket: int = 2000) -> None:
        # A token shared by more than `max_bucket` entities (a common given name) cannot introduce candidates
        # on its own: it only adds weight to entities a rarer token already found. This bounds the work per
        # query however large the dataset grows.
        self.max_bucket = max_bucket
        self._records: list[bytes] = []
        self._schemas = array("B")
        self._schema_codes: dict[str, int] = {}
        self._schema_list: list[Schema] = []
        self._postings: dict[str, array[int]] = {}

    def __len__(self) -> int:
        return len(self._records)

    # Pickled as plain data (nuvera/screening/dataset.py keeps built indexes on disk): schemata by name.
    def __getstate__(self) -> dict[str, object]:
        state = dict(self.__dict__)
        state["_schema_list"] = [schema.name for schema in self._schema_list]
        return state

    def __setstate__(self, state: dict[str, object]) -> None:
        names = state.pop("_schema_list")
        assert isinstance(names, list)
        self.__dict__.update(state)
        self._schema_list = [model.schemata[name] for name in names]

    @property
    def token_count(self) -> int:
        return len(self._postings)

    def add(self, entity: EntityProxy, record: bytes) -> int:
        """Index one entity; `record` is the JSON the matcher will later rebuild it from."""
        number = len(self._records)
        self._records.append(record)
        self._schemas.append(self._schema_code(entity.schema))
        for token in name_tokens(entity):
            posting = self._postings.get(token)
            if posting is None:
                posting = self._postings[token] = array("I")
            # Entity numbers only grow, so every posting stays sorted (bisect relies on it below).
            posting.append(number)
        return number

    def record(self, number: int) -> bytes:
        return self._records[number]

    def candidates(self, query: EntityProxy, limit: int) -> list[int]:
        """The numbers of the at most `limit` entities most worth comparing with `query`, best first.

        Only entities whose schema the query can be matched with (a Person never against a Company) count.
        """
        # The same rule logic-v2 applies before scoring: other schemata would score 0 anyway.
        allowed = {
            code
            for code, schema in enumerate(self._schema_list)
            if schema == query.schema or query.schema.can_match(schema)
        }
        total = max(len(self._records), 1)
        found: list[tuple[int, str, float]] = []
        for token, boost in self._query_tokens(query).items():
            posting = self._postings.get(token)
            if posting is not None:
                found.append((len(posting), token, boost))
        found.sort()

        scores: dict[int, float] = {}
        schemas = self._schemas
        for size, token, boost in found:
            posting = self._postings[token]
            weight = boost * math.log(1.0 + total / size)
            if size <= self.max_bucket or not scores:
                for number in posting:
                    if schemas[number] in allowed:
                        scores[number] = scores.get(number, 0.0) + weight
            else:
                for number in list(scores):
                    at = bisect_left(posting, number)
                    if at < size and posting[at] == number:
                        scores[number] += weight
        best = heapq.nlargest(limit, scores.items(), key=lambda item: (item[1], -item[0]))
        return [number for number, _score in best]

    def _query_tokens(self, query: EntityProxy) -> dict[str, float]:
        """The query's own tokens, plus indexed name parts one edit away from its longer parts.

        Typos and misplaced spaces ("Giusepp eSchneider") break exact tokens; looking up the single-edit
        neighbours of each query part (deletions, transpositions, and for Latin letters substitutions and
        insertions) finds the listed spelling at the cost of a few hundred dictionary lookups per query, with
        no extra memory in the index. Such fuzzy hits weigh less than exact ones.
        """
        tokens = {token: _BOOSTS[token[0]] for token in name_tokens(query)}
        expandable = sorted(t for t in tokens if t.startswith("n:") and _FUZZY_MIN_LENGTH <= len(t) - 2 <= 30)
        # Bounded work for hostile input (many or very long name parts): at most this many parts are expanded.
        for token in expandable[:_FUZZY_MAX_PARTS]:
            for variant in _single_edits(token[2:]):
                key = "n:" + variant
                if key not in tokens and key in self._postings:
                    tokens[key] = _FUZZY_BOOST
        return tokens

    def _schema_code(self, schema: Schema) -> int:
        code = self._schema_codes.get(schema.name)
        if code is None:
            code = self._schema_codes[schema.name] = len(self._schema_list)
            self._schema_list.append(schema)
            if code > 255:  # pragma: no cover - FtM has far fewer schemata than this
                raise ValueError("too many schemata")
        return code


def _single_edits(word: str) -> set[str]:
    """Every string one deletion, transposition, substitution or insertion away (Latin letters only for the
    last two: other scripts' alphabets are too large to enumerate, they get deletions and transpositions)."""
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    edits = {left + right[1:] for left, right in splits if right}
    edits.update(left + right[1] + right[0] + right[2:] for left, right in splits if len(right) > 1)
    if word.isascii():
        edits.update(left + c + right[1:] for left, right in splits if right for c in _LATIN)
        edits.update(left + c + right for left, right in splits for c in _LATIN)
    edits.discard(word)
    return edits
