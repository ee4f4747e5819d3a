"""Bank-detail rules, each a pure function: normalise a valid value, raise ValueError with a fix-it message.

IBAN and BIC go through schwifty (ISO 13616 checksum and the national BBAN structure, ISO 9362 structure and
country); ABA routing numbers through python-stdnum (the 3-7-1 check digit); countries and currencies through
pycountry.
"""

from __future__ import annotations

import re

import pycountry
from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException
from stdnum.exceptions import InvalidChecksum, ValidationError
from stdnum.us import rtn

# Kosovo has no ISO 3166-1 code yet, but banks, SWIFT and the IBAN registry use the user-assigned "XK".
_EXTRA_COUNTRIES = frozenset({"XK"})

# ISO 4217 also lists codes that no bank account is denominated in: precious metals, bond-market units, the
# SDR, fund codes, and the testing / "no currency" codes.
_NOT_ACCOUNT_CURRENCIES = frozenset(
    {
        "XAG", "XAU", "XPD", "XPT",  # metals
        "XBA", "XBB", "XBC", "XBD", "XDR", "XSU", "XUA",  # units of account
        "BOV", "CHE", "CHW", "CLF", "COU", "MXV", "USN", "UYI", "UYW",  # fund codes
        "XTS", "XXX",  # testing, no currency
    }
)  # fmt: skip

_SEPARATORS = re.compile(r"[\s-]")
_ACCOUNT_NUMBER = re.compile(r"[A-Z0-9]{1,34}")


def country(value: str) -> str:
    code = value.strip().upper()
    if len(code) != 2 or (code not in _EXTRA_COUNTRIES and pycountry.countries.get(alpha_2=code) is None):
        raise ValueError("must be an ISO 3166-1 alpha-2 country code, e.g. 'DE' or 'US'")
    return code


def currency(value: str) -> str:
    code = value.strip().upper()
    if len(code) != 3 or pycountry.currencies.get(alpha_3=code) is None:
        raise ValueError("must be an ISO 4217 currency code, e.g. 'EUR' or 'USD'")
    if code in _NOT_ACCOUNT_CURRENCIES:
        raise ValueError(f"{code} is an ISO 4217 code but not a currency a bank account is held in")
    return code


def iban(value: str) -> str:
    """The IBAN in electronic (compact, upper-case) form."""
    try:
        return str(IBAN(value).compact)
    except SchwiftyException as exc:
        raise ValueError(f"is not a valid IBAN: {exc}") from None


def bic(value: str) -> str:
    """The BIC (8 or 11 characters) in compact upper-case form."""
    try:
        return str(BIC(value).compact)
    except SchwiftyException as exc:
        raise ValueError(f"is not a valid BIC: {exc}") from None


def aba_routing_number(value: str) -> str:
    """A US ABA routing transit number: nine digits whose 3-7-1 weighted sum is a multiple of ten."""
    digits = _SEPARATORS.sub("", value)
    if not digits.isascii():  # stdnum would accept other scripts' digits ("٠٢١…")
        raise ValueError("must be a 9-digit ABA routing number")
    try:
        rtn.validate(digits)
    except InvalidChecksum:
        raise ValueError("is not a valid ABA routing number (check digit mismatch)") from None
    except ValidationError:
        raise ValueError("must be a 9-digit ABA routing number") from None
    # 000000000 passes the checksum but is no bank's number.
    if digits == "000000000":
        raise ValueError("is not a valid ABA routing number")
    return digits


def account_number(value: str) -> str:
    """A domestic account number: 1–34 letters and digits (spaces and hyphens are dropped)."""
    compact = _SEPARATORS.sub("", value).upper()
    if not _ACCOUNT_NUMBER.fullmatch(compact):
        raise ValueError("must be 1–34 letters and digits")
    return compact
