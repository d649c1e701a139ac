"""Column mappings of the CSV files the import understands: ours and two CRM exports.

Header names are compared in snake case (``Opportunity Owner`` is ``opportunity_owner``),
so capitalisation, spacing and punctuation in a header do not matter. Each item field is
fed by the first of its accepted headers present in the file; every other column of a deal
or activity file becomes an attribute named by the snake-cased header. The mapping is
documented, column by column, in docs/csv.md.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import msgspec

from incentives.ingest.items import KINDS

# Converts one non-empty, stripped cell; raises ValueError with a message for the user.
Parse = Callable[[str], Any]

_NOT_WORD = re.compile(r"[^0-9a-z]+")


def snake(header: str) -> str:
    """``Probability (%)`` → ``probability``; ``Deal owner`` → ``deal_owner``."""
    return _NOT_WORD.sub("_", header.strip().lower()).strip("_")


@dataclass(frozen=True)
class Source:
    """An item field and the headers (snake case, by preference) that may feed it."""

    field: str
    headers: tuple[str, ...]
    parse: Parse | None = None
    # The header as the exporting system writes it, for messages about a missing column.
    label: str = ""
    # Also keep the cell, as written, among the attributes (a CRM stage says more than
    # the status it maps to).
    keep_as_attribute: bool = False


@dataclass(frozen=True)
class Format:
    """How the columns of one kind of file map to item fields."""

    name: str
    sources: tuple[Source, ...]
    # Extra columns become attributes; False refuses them (kinds without attributes).
    attributes: bool
    # References to participants may be an e-mail or a unique exact name.
    by_person: bool
    # Headers (snake case) that identify the format when any one of them is present.
    markers: frozenset[str] = field(default_factory=frozenset)
    # One-cell lines after a blank line are a footer, not rows (Salesforce report exports).
    footer_after_blank: bool = False


# --- cell parsers -----------------------------------------------------------------------

_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ].*)?$")
_US_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})(?: .*)?$")


def crm_date(value: str) -> str:
    """A CRM date: ``3/31/2026`` (US locale), ``2026-03-31``, or either followed by a time.

    The time, if any, is dropped: the date is taken as written in the export.
    """
    for pattern, order in ((_ISO_DATE, (0, 1, 2)), (_US_DATE, (2, 0, 1))):
        match = pattern.match(value)
        if match:
            parts = match.groups()
            year, month, day = (int(parts[i]) for i in order)
            try:
                return dt.date(year, month, day).isoformat()
            except ValueError:
                break
    raise ValueError(f"{value!r} is not a date (M/D/YYYY or YYYY-MM-DD)")


_AMOUNT = re.compile(r"^(?P<code>[A-Z]{3})?\s*[$€£¥]?\s*(?P<number>-?[0-9][0-9,]*(?:\.[0-9]+)?)$")


class CrmAmount(msgspec.Struct, frozen=True):
    """An amount read from a CRM export, with the currency code written before it, if any."""

    number: str
    code: str | None


def crm_amount(value: str) -> CrmAmount:
    """``12500.50``, ``12,500.50``, ``$12,500.50`` or ``USD 12,500.50`` (US locale)."""
    match = _AMOUNT.match(value)
    if match is None:
        raise ValueError(f"{value!r} is not an amount (like 12500.50 or 12,500.50)")
    number = match.group("number")
    if "," in number and not re.fullmatch(r"-?[0-9]{1,3}(?:,[0-9]{3})*(?:\.[0-9]+)?", number):
        raise ValueError(f"{value!r} is not an amount (commas only between thousands)")
    return CrmAmount(number.replace(",", ""), match.group("code"))


def _stage(won: set[str], lost: set[str]) -> Parse:
    def parse(value: str) -> str:
        key = snake(value).replace("_", "")
        if key in won:
            return "won"
        if key in lost:
            return "lost"
        return "open"

    return parse


_PERSON_WITH_EMAIL = re.compile(r"^.*\((?P<email>[^()@\s]+@[^()\s]+)\)$")


def person(value: str) -> str:
    """A person as CRMs write one: a name, an e-mail, or ``Name (e-mail)`` (the e-mail wins)."""
    match = _PERSON_WITH_EMAIL.match(value)
    return match.group("email") if match else value


def splits(value: str) -> list[dict[str, str]]:
    """``ana:60;bo:40`` → the split items (participant, percent)."""
    result = []
    for part in value.split(";"):
        participant, colon, percent = part.strip().rpartition(":")
        if not colon or not participant.strip() or not percent.strip():
            raise ValueError(
                f"{part.strip()!r} is not PARTICIPANT:PERCENT (write splits like ana:60;bo:40)"
            )
        result.append({"participant": participant.strip(), "percent": percent.strip()})
    return result


def occurred_at(value: str) -> str:
    """An ISO date-time with its offset; a bare date means midnight UTC."""
    if len(value) == 10 and value[4] == "-" and value[7] == "-":
        return value + "T00:00:00Z"
    if len(value) > 10 and value[10] == " ":
        return value[:10] + "T" + value[11:]
    return value


# --- the formats --------------------------------------------------------------------------

_CANONICAL_PARSERS: dict[tuple[str, str], Parse] = {
    ("deals", "splits"): splits,
    ("activities", "occurred_at"): occurred_at,
}


def _canonical(kind: str) -> Format:
    fields = [f.name for f in msgspec.structs.fields(KINDS[kind]) if f.name != "attributes"]
    sources = tuple(Source(f, (f,), _CANONICAL_PARSERS.get((kind, f)), f) for f in fields)
    has_attributes = any(f.name == "attributes" for f in msgspec.structs.fields(KINDS[kind]))
    return Format(
        name="canonical",
        sources=sources,
        attributes=has_attributes,
        by_person=False,
        # The first field of every kind's item is its key (or the first part of it).
        markers=frozenset(fields[:1]),
    )


_WON_LOST = _stage({"closedwon"}, {"closedlost"})

SALESFORCE = Format(
    name="salesforce",
    sources=(
        Source("external_id", ("opportunity_id", "opportunity_id_18", "id"), None,
               "Opportunity ID"),
        Source("owner", ("opportunity_owner_email", "owner_email", "opportunity_owner",
                         "owner_full_name", "owner_name", "owner"), person, "Opportunity Owner"),
        Source("amount", ("amount",), crm_amount, "Amount"),
        Source("currency", ("opportunity_currency", "amount_currency", "currency_iso_code",
                            "currency"), None, "Opportunity Currency"),
        Source("close_date", ("close_date",), crm_date, "Close Date"),
        Source("status", ("stage", "stage_name"), _WON_LOST, "Stage", keep_as_attribute=True),
        Source("product", ("product_name", "primary_product", "product"), None, "Product Name"),
    ),
    attributes=True,
    by_person=True,
    markers=frozenset({"opportunity_id", "opportunity_owner", "opportunity_name"}),
    footer_after_blank=True,
)  # fmt: skip

HUBSPOT = Format(
    name="hubspot",
    sources=(
        Source("external_id", ("record_id", "deal_id", "hs_object_id"), None, "Record ID"),
        Source("owner", ("deal_owner_email", "deal_owner", "owner"), person, "Deal owner"),
        Source("amount", ("amount",), crm_amount, "Amount"),
        Source("currency", ("currency", "deal_currency_code", "deal_currency"), None,
               "Currency"),
        Source("close_date", ("close_date",), crm_date, "Close Date"),
        Source("status", ("deal_stage",), _WON_LOST, "Deal Stage", keep_as_attribute=True),
        Source("product", ("product", "product_name"), None, "Product"),
    ),
    attributes=True,
    by_person=True,
    markers=frozenset({"deal_stage", "deal_owner", "deal_name", "deal_id"}),
)  # fmt: skip

FORMAT_NAMES = ("canonical", "salesforce", "hubspot")
CRM_FORMATS: dict[str, Format] = {"salesforce": SALESFORCE, "hubspot": HUBSPOT}


class FormatError(ValueError):
    """The file's header does not fit the kind or format asked for."""


def choose(kind: str, headers: Sequence[str], requested: str = "auto") -> Format:
    """The format for a file of ``kind`` with these (snake-cased) headers."""
    canonical = _canonical(kind)
    present = set(headers)
    if requested == "canonical":
        return canonical
    if requested in CRM_FORMATS:
        if kind != "deals":
            raise FormatError(f"the {requested} format is for deals; {kind} files are canonical")
        return CRM_FORMATS[requested]
    if requested != "auto":
        raise FormatError(
            f"unknown format {requested!r}; use one of auto, {', '.join(FORMAT_NAMES)}"
        )
    if canonical.markers & present:
        return canonical
    if kind == "deals":
        for fmt in CRM_FORMATS.values():
            if fmt.markers & present:
                return fmt
    expected = (
        "a canonical header (external_id, owner, amount, …), a Salesforce opportunity"
        " report (Opportunity ID, Opportunity Owner, …) or a HubSpot deals export"
        " (Record ID, Deal Stage, Deal owner, …)"
        if kind == "deals"
        else f"the canonical header ({', '.join(s.field for s in canonical.sources)})"
    )
    raise FormatError(
        f"cannot tell the format of this {kind} file from its header; expected {expected}"
    )
