"""Exact money: integer minor units at rest, Decimal in arithmetic, explicit rounding."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from incentives.bounds import Amount

# ISO 4217 minor-unit exponents that differ from the usual two places.
_EXPONENT_EXCEPTIONS: dict[str, int] = {
    "BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0,
    "PYG": 0, "RWF": 0, "UGX": 0, "UYI": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0,
    "XPF": 0, "BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
    "CLF": 4, "UYW": 4,
}  # fmt: skip

# Currencies accepted on input: the ISO 4217 active codes in common commercial use.
_ACTIVE_CODES = """AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL
BSD BTN BWP BYN BZD CAD CDF CHF CLF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB
EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD
JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP
MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON
RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP
TRY TTD TWD TZS UAH UGX USD UYI UYU UYW UZS VES VND VUV WST XAF XCD XOF XPF YER ZAR ZMW ZWL"""
KNOWN_CURRENCIES: frozenset[str] = frozenset(_ACTIVE_CODES.split())


class MoneyError(ValueError):
    """An amount that cannot be represented exactly in its currency."""


def exponent(currency: str) -> int:
    """Number of decimal places of the currency's minor unit (2 for USD, 0 for JPY)."""
    return _EXPONENT_EXCEPTIONS.get(currency, 2)


def is_known_currency(currency: str) -> bool:
    """Whether the code is an ISO 4217 currency this system accepts."""
    return currency in KNOWN_CURRENCIES


def parse_decimal(text: str) -> Decimal:
    """Parse a plain decimal string (``1234.50``) within an amount's bounds; raise
    MoneyError for anything else (an exponent, NaN, spaces, other scripts' digits)."""
    try:
        return Amount.read(text)
    except (ValueError, TypeError) as exc:
        raise MoneyError(f"{text!r} is not {exc}") from exc


def to_minor(amount: Decimal, currency: str) -> int:
    """Convert an exact amount to integer minor units.

    Refuses amounts with more places than the currency has: input money is never
    silently rounded.
    """
    scaled = amount.scaleb(exponent(currency))
    if scaled != scaled.to_integral_value():
        raise MoneyError(
            f"{amount} has more decimal places than {currency} allows ({exponent(currency)})"
        )
    return int(scaled)


def from_minor(minor: int, currency: str) -> Decimal:
    """The exact Decimal amount of integer minor units."""
    return Decimal(minor).scaleb(-exponent(currency))


def round_to_minor(amount: Decimal, currency: str, rounding: str = ROUND_HALF_UP) -> int:
    """Round an arithmetic result to the currency's minor unit (half-up unless told)."""
    return int(amount.scaleb(exponent(currency)).quantize(Decimal(1), rounding=rounding))


def format_minor(minor: int, currency: str) -> str:
    """Decimal string with exactly the currency's minor-unit places, e.g. ``1234.50``."""
    places = exponent(currency)
    return f"{from_minor(minor, currency):.{places}f}"
