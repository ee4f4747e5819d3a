"""The error-code vocabulary is one enum, and the error guide explains exactly its members."""

from __future__ import annotations

import pytest

from nuvera.errors import ERROR_CODES, ErrorCode, NuveraError
from nuvera.reference.error_guide import AUTH_CODES_401, AUTH_CODES_403, ERROR_GUIDE


def test_every_error_code_has_a_status_and_a_guide_entry_and_nothing_else_does() -> None:
    assert set(ERROR_CODES) == set(ErrorCode)
    assert set(ERROR_GUIDE) == {code.value for code in ErrorCode}, (
        "add the new codes to nuvera/reference/error_guide.py"
    )
    # The guide is keyed by wire values (it loads no server module, see its docstring): each one is a member.
    assert {ErrorCode(code) for code in (*AUTH_CODES_401, *AUTH_CODES_403)} <= set(ErrorCode)


def test_codes_are_their_wire_values() -> None:
    # The enum member is the string partners program against: it compares, hashes and serialises as its value.
    for code in ErrorCode:
        assert code == code.value
        assert f"{code}" == code.value
        assert code.value == code.name.lower()
    error = NuveraError(ErrorCode.QUOTE_EXPIRED, "The quote expired.")
    assert (error.code, error.status) == ("quote_expired", 409)


def test_a_string_that_is_no_code_is_refused_at_the_raise() -> None:
    with pytest.raises(ValueError, match="unknown error code"):
        NuveraError("no_such_code", "x")  # type: ignore[arg-type]  # what the type checker would refuse
