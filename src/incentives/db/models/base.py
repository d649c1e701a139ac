"""The declarative base and the pieces every table module shares.

Constraint names follow ``NAMING_CONVENTION`` so that migrations refer to stable names.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import DateTime, MetaData, func
from sqlalchemy.orm import DeclarativeBase, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

CURRENCY_CHECK = "currency ~ '^[A-Z]{3}$'"


class Base(DeclarativeBase):
    """Declarative base carrying the naming convention."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def one_of(column: str, values: tuple[str, ...]) -> str:
    """A check constraint's SQL keeping ``column`` to ``values``."""
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def now_column() -> Any:
    """A timestamp column filled in with the time of the insert."""
    return mapped_column(DateTime(timezone=True), server_default=func.now(), nullable=False)
