"""ISO 3166-1 country and ISO 4217 currency codes: one rule for every area, and the same rule in the reference.

The server checks a code against pycountry; the OpenAPI document publishes the very same list as the enums
`CountryCode` and `CurrencyCode` (see `nuvera.openapi`), so a client generated from the document can only send
codes the server accepts. Input is trimmed and upper-cased first, so `" de "` is accepted as `DE`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

import pycountry
from pydantic import AfterValidator, StringConstraints, WithJsonSchema
from pydantic_core import PydanticCustomError

# Kosovo has no ISO 3166-1 code yet, but banks, SWIFT and the IBAN registry use the user-assigned "XK".
_EXTRA_COUNTRIES = frozenset({"XK"})

# ISO 4217 also lists codes that no account or business operates in: precious metals, bond-market units, the
# SDR, fund codes, and the testing / "no currency" codes.
NOT_ACCOUNT_CURRENCIES = frozenset(
    {
        "XAG", "XAU", "XPD", "XPT",  # metals
        "XBA", "XBB", "XBC", "XBD", "XDR", "XSU", "XUA",  # units of account
        "BOV", "CHE", "CHW", "CLF", "COU", "MXV", "USN", "UYI", "UYW",  # fund codes
        "XTS", "XXX",  # testing, no currency
    }
)  # fmt: skip

COUNTRY_CODES: tuple[str, ...] = tuple(sorted({c.alpha_2 for c in pycountry.countries} | _EXTRA_COUNTRIES))
CURRENCY_CODES: tuple[str, ...] = tuple(sorted({c.alpha_3 for c in pycountry.currencies} - NOT_ACCOUNT_CURRENCIES))
_COUNTRIES = frozenset(COUNTRY_CODES)
_CURRENCIES = frozenset(CURRENCY_CODES)

COUNTRY_SCHEMA_NAME = "CountryCode"
CURRENCY_SCHEMA_NAME = "CurrencyCode"


def country(value: str) -> str:
    code = value.strip().upper()
    if code not in _COUNTRIES:
        raise ValueError("must be an ISO 3166-1 alpha-2 country code, e.g. 'DE' or 'US'")
    return code


def currency(value: str) -> str:
    code = value.strip().upper()
    if len(code) != 3 or pycountry.currencies.get(alpha_3=code) is None:
        raise ValueError("must be an ISO 4217 currency code, e.g. 'EUR' or 'USD'")
    if code not in _CURRENCIES:
        raise ValueError(f"{code} is an ISO 4217 code but not a currency an account is held in")
    return code


def component_schemas() -> dict[str, dict[str, object]]:
    """The named enums the annotated types below refer to; added to the OpenAPI components."""
    return {
        COUNTRY_SCHEMA_NAME: {
            "type": "string",
            "description": "ISO 3166-1 alpha-2 country code (plus XK, Kosovo, as banks use it).",
            "enum": list(COUNTRY_CODES),
        },
        CURRENCY_SCHEMA_NAME: {
            "type": "string",
            "description": "ISO 4217 currency code of a currency accounts are held in (no metals or fund codes).",
            "enum": list(CURRENCY_CODES),
        },
    }


# Marks a field's schema as "this named enum": nuvera.openapi swaps the marked schema for a $ref to the
# component (pydantic cannot emit a $ref to a schema it does not generate itself).
SCHEMA_MARKER = "x-nuvera-schema"


def _ref(name: str) -> WithJsonSchema:
    return WithJsonSchema({"type": "string", SCHEMA_MARKER: name})


def _as_field_rule(check: Callable[[str], str]) -> AfterValidator:
    def validate(value: str) -> str:
        try:
            return check(value)
        except ValueError as exc:
            # A custom error keeps the message as written (a ValueError would get a "Value error, " prefix).
            raise PydanticCustomError("invalid_value", "{reason}", {"reason": str(exc)}) from None

    return AfterValidator(validate)


_Strip = StringConstraints(strip_whitespace=True, max_length=10)
CountryCode = Annotated[str, _Strip, _as_field_rule(country), _ref(COUNTRY_SCHEMA_NAME)]
CurrencyCode = Annotated[str, _Strip, _as_field_rule(currency), _ref(CURRENCY_SCHEMA_NAME)]
