"""Signing public key rules of partner-api.md §2, each refusal with a message that says what to do."""

from __future__ import annotations

import base64
import datetime
import json
import subprocess

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa
from cryptography.x509.oid import NameOID

from nuvera.applications.public_keys import PrivateKeyRefused, parse_public_key
from nuvera.errors import NuveraError
from tests.harness import new_rsa_key, private_pem, public_pem


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return new_rsa_key()


def refusal(text: str) -> str:
    with pytest.raises(NuveraError) as caught:
        parse_public_key(text)
    assert caught.value.code == "validation_error"
    assert caught.value.errors[0].field == "publicKey"
    return caught.value.errors[0].message + " " + caught.value.detail


def test_accepts_an_spki_rsa_key_and_fingerprints_the_der(rsa_key: rsa.RSAPrivateKey) -> None:
    parsed = parse_public_key(public_pem(rsa_key))
    assert parsed.bits == 2048
    der = subprocess.run(
        ["openssl", "pkey", "-pubin", "-outform", "DER"], input=public_pem(rsa_key).encode(), capture_output=True
    ).stdout
    digest = subprocess.run(["openssl", "dgst", "-sha256", "-binary"], input=der, capture_output=True).stdout
    assert parsed.fingerprint == "SHA256:" + base64.b64encode(digest).decode().rstrip("=")


def test_accepts_surrounding_whitespace_and_4096_bits() -> None:
    key = new_rsa_key(4096)
    assert parse_public_key("\n  " + public_pem(key) + "\n\n").bits == 4096


@pytest.mark.parametrize("fmt", ["pkcs8", "traditional", "openssh"])
def test_private_keys_are_refused_with_a_warning(rsa_key: rsa.RSAPrivateKey, fmt: str) -> None:
    formats = {
        "pkcs8": serialization.PrivateFormat.PKCS8,
        "traditional": serialization.PrivateFormat.TraditionalOpenSSL,
        "openssh": serialization.PrivateFormat.OpenSSH,
    }
    text = rsa_key.private_bytes(serialization.Encoding.PEM, formats[fmt], serialization.NoEncryption()).decode()
    with pytest.raises(PrivateKeyRefused) as caught:
        parse_public_key(text)
    assert "private key" in caught.value.detail.lower()
    assert text not in caught.value.detail
    assert text.splitlines()[1] not in caught.value.detail + repr(caught.value.errors)


def _jwk_private(key: rsa.RSAPrivateKey) -> str:
    numbers = key.private_numbers()

    def b64(value: int) -> str:
        return base64.urlsafe_b64encode(value.to_bytes((value.bit_length() + 7) // 8, "big")).decode().rstrip("=")

    pub = numbers.public_numbers
    return json.dumps({"kty": "RSA", "n": b64(pub.n), "e": b64(pub.e), "d": b64(numbers.d), "p": b64(numbers.p)})


@pytest.mark.parametrize("form", ["jwk", "jwk set", "bare base64 DER", "bare base64 DER, encrypted"])
def test_private_keys_without_pem_armour_get_the_same_warning(rsa_key: rsa.RSAPrivateKey, form: str) -> None:
    def der(encryption: serialization.KeySerializationEncryption) -> str:
        raw = rsa_key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, encryption)
        encoded = base64.b64encode(raw).decode()
        return "\n".join(encoded[i : i + 64] for i in range(0, len(encoded), 64))

    text = {
        "jwk": _jwk_private(rsa_key),
        "jwk set": json.dumps({"keys": [json.loads(_jwk_private(rsa_key))]}),
        "bare base64 DER": der(serialization.NoEncryption()),
        "bare base64 DER, encrypted": der(serialization.BestAvailableEncryption(b"a passphrase")),
    }[form]
    with pytest.raises(PrivateKeyRefused) as caught:
        parse_public_key(text)
    assert "never paste" in caught.value.detail.lower()
    assert text[:40] not in caught.value.detail + repr(caught.value.errors)


def test_a_public_jwk_or_bare_public_der_is_not_mistaken_for_a_private_key(rsa_key: rsa.RSAPrivateKey) -> None:
    public_der = rsa_key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    for text in (json.dumps({"kty": "RSA", "n": "AQAB", "e": "AQAB"}), base64.b64encode(public_der).decode()):
        with pytest.raises(NuveraError) as caught:
            parse_public_key(text)
        assert not isinstance(caught.value, PrivateKeyRefused)
        assert "not a PEM key" in caught.value.errors[0].message


def test_a_private_key_pasted_together_with_the_public_key_is_refused(rsa_key: rsa.RSAPrivateKey) -> None:
    with pytest.raises(PrivateKeyRefused):
        parse_public_key(public_pem(rsa_key) + private_pem(rsa_key))


def test_ec_and_ed25519_are_refused() -> None:
    ec_pem = (
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    ed_pem = (
        ed25519.Ed25519PrivateKey.generate()
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    assert "EC key" in refusal(ec_pem)
    assert "Ed25519" in refusal(ed_pem)


def spki(key: dsa.DSAPublicKey | ed448.Ed448PublicKey | rsa.RSAPublicKey) -> str:
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def test_ed448_and_dsa_are_refused() -> None:
    assert "Ed448" in refusal(spki(ed448.Ed448PrivateKey.generate().public_key()))
    assert "only RSA keys are accepted (RS256)" in refusal(spki(dsa.generate_private_key(2048).public_key()))


def test_an_rsa_key_above_8192_bits_is_refused(rsa_key: rsa.RSAPrivateKey) -> None:
    # Only the public numbers matter to the check: an odd modulus of 8200 bits stands in for a real key, whose
    # generation would take minutes.
    modulus = (1 << 8199) | rsa_key.public_key().public_numbers().n
    assert "8200 bits; at most 8192" in refusal(spki(rsa.RSAPublicNumbers(65537, modulus).public_key()))


def test_a_public_exponent_below_65537_is_refused(rsa_key: rsa.RSAPrivateKey) -> None:
    small_exponent = rsa.RSAPublicNumbers(3, rsa_key.public_key().public_numbers().n).public_key()
    assert "exponent must be at least 65537" in refusal(spki(small_exponent))


def test_text_that_only_looks_like_json_is_refused_as_no_pem_not_as_a_private_key() -> None:
    with pytest.raises(NuveraError) as caught:
        parse_public_key('{"kty": "RSA", "d": ')
    assert not isinstance(caught.value, PrivateKeyRefused)
    assert "not a PEM key" in caught.value.errors[0].message


def test_small_keys_are_refused() -> None:
    small = rsa.generate_private_key(public_exponent=65537, key_size=1024)  # noqa: S505 - must be refused
    assert "1024 bits" in refusal(public_pem(small))


def test_pkcs1_public_keys_are_refused_with_the_conversion_command(rsa_key: rsa.RSAPrivateKey) -> None:
    pkcs1 = rsa_key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.PKCS1).decode()
    assert "-RSAPublicKey_in" in refusal(pkcs1)


def test_certificates_are_refused_with_the_extraction_command(rsa_key: rsa.RSAPrivateKey) -> None:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "partner")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(rsa_key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(rsa_key, hashes.SHA256())
    )
    assert "openssl x509" in refusal(certificate.public_bytes(serialization.Encoding.PEM).decode())


@pytest.mark.parametrize(
    "garbage",
    [
        "",
        "hello",
        "-----BEGIN PUBLIC KEY-----\nnot base64!\n-----END PUBLIC KEY-----\n",
        "-----BEGIN PUBLIC KEY-----\n-----END PUBLIC KEY-----\n",
        "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ user@host",
        "x" * 20_000,
    ],
    ids=["empty", "words", "bad-base64", "empty-block", "openssh-public", "huge"],
)
def test_garbage_is_refused(garbage: str) -> None:
    refusal(garbage)


def test_two_public_key_blocks_are_refused(rsa_key: rsa.RSAPrivateKey) -> None:
    assert "exactly one" in refusal(public_pem(rsa_key) + public_pem(new_rsa_key()))
