"""Hypothesis mutates valid request signatures: no mutation may be accepted, and none may raise (or be a 500).

Two levels. The pure verifier gets many examples (it is a function: fast); the HTTP stack gets fewer, each a real
signed request to the live server. Both are deterministic (`derandomize=True`, no example database), so a CI
failure reproduces locally, and both report how many examples actually ran to artifacts/security-counts.json.
"""

from __future__ import annotations

import json
import string
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nuvera.auth.permissions import Permission
from nuvera.auth.signing import Rejected, RequestFacts, SignedClaims, verify_token
from nuvera.errors import ERROR_CODES
from tests.adversarial.raw_http import RawRequest, record_counts, send_raw
from tests.auth.forge import b64url, claims_for, forge, rs256
from tests.harness import Factory, MutableClock, new_rsa_key

PURE_EXAMPLES = 500
HTTP_EXAMPLES = 100
NOW = 1_800_000_000
URI = "/api/v1/crypto/assets"
API_KEY = "nvk_fuzz"

B64URL = string.ascii_letters + string.digits + "-_"
# Characters a mangled or hostile token might carry: other base64 alphabets, padding, separators, whitespace,
# control characters, non-ASCII letters, a lone surrogate, an emoji.
TRICKY = "+/=. \t\n\r\x00\x0b\x1f\x85\xa0é\u200b\u2028\ud800🔑"
# What an HTTP header value can carry at all: the parser (llhttp) answers every control character but tab (CR, LF,
# NUL, vertical tab, form feed, unit separator, DEL) with a 400 before the application sees the request
# (test_abuse_limits covers that), so those would not reach the verifier.
HEADER_SAFE = "".join(
    c for c in TRICKY if (c == "\t" or not (ord(c) < 0x20 or ord(c) == 0x7F)) and not 0xD800 <= ord(c) < 0xE000
)

CLAIM_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)
CLAIM_NAMES = st.sampled_from(["iss", "aud", "sub", "method", "uri", "bodyHash", "iat", "exp", "jti", "extra"])
HEADER_VALUES = st.one_of(
    st.sampled_from([{"alg": "RS256"}, {"alg": "none"}, {"alg": "HS256"}, {"alg": "RS256", "jku": "https://x"}]),
    st.dictionaries(st.sampled_from(["alg", "typ", "kid", "jwk", "x5u", "crit"]), CLAIM_VALUES, max_size=3),
)


@dataclass(frozen=True)
class Keys:
    right: rsa.RSAPrivateKey
    attacker: rsa.RSAPrivateKey


def _spare_bit(segment: str) -> str:
    if len(segment) % 4 in (0, 1):
        return segment  # no unused bits in the last character
    index = B64URL.index(segment[-1]) if segment[-1] in B64URL else 0
    return segment[:-1] + B64URL[index ^ 1]


@st.composite
def mutations(draw: st.DrawFn, alphabet: str) -> Callable[[str, Keys], str]:
    """One random change to a compact JWS; `alphabet` bounds the characters it may introduce."""
    chars = st.text(st.sampled_from(B64URL + alphabet), min_size=1, max_size=4)
    kind = draw(
        st.sampled_from(["flip", "insert", "delete", "truncate", "swap", "alphabet", "claims", "header", "dot"])
    )
    where = draw(st.floats(min_value=0, max_value=1, exclude_max=True))
    if kind == "flip":
        text = draw(chars)
        return lambda t, _k: t[: int(where * len(t))] + text + t[int(where * len(t)) + len(text) :]
    if kind == "insert":
        text = draw(chars)
        return lambda t, _k: t[: int(where * len(t))] + text + t[int(where * len(t)) :]
    if kind == "delete":
        length = draw(st.integers(1, 8))
        return lambda t, _k: t[: int(where * len(t))] + t[int(where * len(t)) + length :]
    if kind == "truncate":
        return lambda t, _k: t[: int(where * len(t))]
    if kind == "dot":
        return lambda t, _k: t[: int(where * len(t))] + "." + t[int(where * len(t)) :]
    if kind == "swap":
        order = draw(st.permutations([0, 1, 2]))
        return lambda t, _k: ".".join(t.split(".")[i] for i in order if i < len(t.split(".")))
    if kind == "alphabet":
        segment = draw(st.integers(0, 2))
        trick = draw(st.sampled_from(["standard", "padding", "spare-bit", "space"]))

        def alphabet_trick(t: str, _k: Keys) -> str:
            parts = t.split(".")
            if segment >= len(parts):
                return t
            part = parts[segment]
            parts[segment] = {
                "standard": part.replace("-", "+").replace("_", "/"),
                "padding": part + "=" * (-len(part) % 4 or 4),
                "spare-bit": _spare_bit(part) if part else part,
                "space": part[: len(part) // 2] + " " + part[len(part) // 2 :],
            }[trick]
            return ".".join(parts)

        return alphabet_trick
    if kind == "claims":
        name, value = draw(CLAIM_NAMES), draw(CLAIM_VALUES)

        def resigned_by_attacker(t: str, keys: Keys) -> str:
            claims = claims_for(API_KEY, "GET", URI, b"", NOW)
            claims[name] = value
            return forge(json.dumps(claims), rs256(keys.attacker))

        return resigned_by_attacker
    header = draw(HEADER_VALUES)
    resign = draw(st.booleans())

    def header_edit(t: str, keys: Keys) -> str:
        parts = t.split(".")
        parts[0] = b64url(json.dumps(header).encode())
        if resign and len(parts) == 3:
            parts[2] = b64url(rs256(keys.attacker)(f"{parts[0]}.{parts[1]}".encode()))
        return ".".join(parts)

    return header_edit


def _mutate(token: str, steps: list[Callable[[str, Keys], str]], keys: Keys) -> str:
    for step in steps:
        token = step(token, keys)
    return token


@pytest.fixture(scope="module")
def keys() -> Keys:
    return Keys(right=new_rsa_key(), attacker=new_rsa_key())


def test_pure_verifier_accepts_only_the_untouched_token(keys: Keys) -> None:
    facts = RequestFacts(api_key=API_KEY, method="GET", uri=URI)
    ran: Counter[str] = Counter()

    def verify(token: str) -> SignedClaims | Rejected:
        return verify_token(token, keys.right.public_key(), facts, now=NOW, leeway=30)

    original = forge(claims_for(API_KEY, "GET", URI, b"", NOW), rs256(keys.right))
    assert isinstance(verify(original), SignedClaims)

    @settings(
        max_examples=PURE_EXAMPLES, derandomize=True, database=None, deadline=None, suppress_health_check=[*HealthCheck]
    )
    @given(steps=st.lists(mutations(TRICKY), min_size=1, max_size=3))
    def check(steps: list[Callable[[str, Keys], str]]) -> None:
        mutated = _mutate(original, steps, keys)
        result = verify(mutated)  # must not raise, whatever the input
        ran["examples"] += 1
        if mutated == original:
            ran["unchanged"] += 1
            assert isinstance(result, SignedClaims)
            return
        assert isinstance(result, Rejected), mutated
        assert result.code in ERROR_CODES
        ran[result.code] += 1

    check()
    record_counts(
        "fuzzPure",
        {"maxExamples": PURE_EXAMPLES, "examples": ran.pop("examples"), "outcomes": dict(sorted(ran.items()))},
    )
    assert ran["invalid_signature"] > PURE_EXAMPLES // 2, "the mutations must mostly reach the verifier's checks"


def test_http_stack_never_accepts_a_mutation_and_never_fails(factory: Factory, clock: MutableClock) -> None:
    partner = factory.partner([Permission.CRYPTO_READ])
    keys = Keys(right=partner.private_key, attacker=new_rsa_key())
    now = clock.freeze()
    statuses: Counter[str] = Counter()
    ran = 0

    @settings(
        max_examples=HTTP_EXAMPLES, derandomize=True, database=None, deadline=None, suppress_health_check=[*HealthCheck]
    )
    @given(
        steps=st.lists(mutations(HEADER_SAFE), min_size=1, max_size=3),
        break_key=st.booleans(),
    )
    def check(steps: list[Callable[[str, Keys], str]], break_key: bool) -> None:
        nonlocal ran
        # A fresh token per example (fresh jti): only the mutation can make it fail.
        original = forge(claims_for(partner.api_key, "GET", URI, b"", now), rs256(partner.private_key))
        mutated = _mutate(original, steps, keys)
        api_key = partner.api_key[:-1] + ("A" if partner.api_key[-1] != "A" else "B") if break_key else partner.api_key
        request = RawRequest("GET", URI, [("x-api-key", api_key), ("authorization", f"Bearer {mutated}")])
        response = send_raw(partner.base_url, request)
        ran += 1
        statuses[f"{response.status} {response.problem_code or 'ok'}"] += 1
        assert response.status != 500, response.body
        # The authenticator reads `Bearer <token>` and strips surrounding whitespace (the server already drops
        # spaces and tabs): a mutation that only adds whitespace around the token leaves the signed token intact.
        untouched = mutated.strip() == original and not break_key
        if untouched:
            assert response.status == 200
        else:
            assert response.status == 401, response.body
            assert response.problem_code in ERROR_CODES

    check()
    record_counts(
        "fuzzHttp", {"maxExamples": HTTP_EXAMPLES, "examples": ran, "outcomes": dict(sorted(statuses.items()))}
    )
    assert statuses["401 invalid_signature"] > 0
    assert statuses["401 invalid_api_key"] > 0
