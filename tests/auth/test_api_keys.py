from __future__ import annotations

import string

from nuvera.auth.api_keys import KEY_LENGTH, generate_api_key, is_well_formed, keyed_hash


def test_format_prefix_checksum_and_display_parts() -> None:
    key = generate_api_key()
    assert key.raw.startswith("nvk_")
    assert len(key.raw) == KEY_LENGTH
    assert is_well_formed(key.raw)
    assert key.raw.startswith(key.prefix)
    assert key.raw.endswith(key.last_four)
    assert len(key.prefix) < len(key.raw) // 2


def test_keys_are_unique() -> None:
    assert len({generate_api_key().raw for _ in range(500)}) == 500


def test_every_single_character_typo_is_caught_by_the_checksum() -> None:
    key = generate_api_key().raw
    alphabet = string.digits + string.ascii_letters
    for position in range(4, len(key)):
        for replacement in alphabet[:8]:
            if replacement != key[position]:
                typo = key[:position] + replacement + key[position + 1 :]
                assert not is_well_formed(typo), (position, replacement)


def test_shape_checks() -> None:
    key = generate_api_key().raw
    assert not is_well_formed(key[:-1])
    assert not is_well_formed("nvx_" + key[4:])
    assert not is_well_formed(key[:10] + "-" + key[11:])
    assert not is_well_formed("")


def test_keyed_hash_depends_on_the_secret() -> None:
    key = generate_api_key().raw
    assert keyed_hash(b"a", key) != keyed_hash(b"b", key)
    assert keyed_hash(b"a", key) == keyed_hash(b"a", key)
    assert key not in keyed_hash(b"a", key)
