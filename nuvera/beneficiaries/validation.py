"""Bank-detail rules, each a pure function: normalise a valid value, raise ValueError with a fix-it message.

IBAN and BIC go through schwifty (ISO 13616 checksum and the national BBAN structure, ISO 9362 structure and
country); ABA routing numbers through python-stdnum (the 3-7-1 check digit); countries and currencies through
pycountry (nuvera.iso_codes).
"""

from __future__ import annotations

import re

from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException
from stdnum.exceptions import InvalidChecksum, ValidationError
from stdnum.us import rtn

from nuvera import iso_codes

_SEPARATORS = re.compile(r"[\s-]")
_ACCOUNT_NUMBER = re.compile(r"[A-Z0-9]{1,34}")


country = iso_codes.country
currency = iso_codes.currency


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
