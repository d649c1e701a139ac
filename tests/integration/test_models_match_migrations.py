"""The migrations are the schema and the models mirror them: a database migrated to head,
reflected, has the models' tables and columns, with the same types, nullability, server
defaults, keys, indexes and constraints.

Indexes are compared by their columns and whether they are unique or partial, and check
constraints by name: PostgreSQL hands back their SQL rewritten (casts, parentheses), so
comparing the text would only compare spellings. Exclusion constraints are not reflected.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable

from sqlalchemy import (
    CheckConstraint,
    Column,
    Connection,
    ForeignKeyConstraint,
    MetaData,
    Table,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql.base import PGDialect
from sqlalchemy.sql.schema import DefaultClause

from incentives.db import migrate
from incentives.db.connection import make_engine
from incentives.db.models import Base
from tests.conftest import create_database, drop_database

_DIALECT = PGDialect()  # type: ignore[no-untyped-call]
_CAST = re.compile(r"::[a-z ]+(\[\])?")


def _type(column: Column[object]) -> str:
    return column.type.compile(dialect=_DIALECT)


def _server_default(column: Column[object]) -> str | None:
    """How the database fills the column in when a row leaves it out, if it does."""
    if column.identity is not None:
        return "identity"
    if column.table.autoincrement_column is column and column.server_default is None:
        return "serial"  # the model's way of saying so
    default = column.server_default
    if not isinstance(default, DefaultClause):
        return None
    arg = default.arg
    sql = arg if isinstance(arg, str) else str(arg.compile(dialect=_DIALECT))
    if sql.startswith("nextval("):
        return "serial"  # what a serial column reflects as
    return _CAST.sub("", sql).strip("'")


def _column_facts(column: Column[object]) -> dict[str, object]:
    return {
        "type": _type(column),
        "nullable": column.nullable,
        "primary key": column.primary_key,
        "server default": _server_default(column),
    }


def _describe(column: Column[object]) -> str:
    facts = _column_facts(column)
    words = [str(facts["type"]), "NULL" if facts["nullable"] else "NOT NULL"]
    if facts["primary key"]:
        words.append("PRIMARY KEY")
    if facts["server default"] is not None:
        words.append(f"DEFAULT {facts['server default']}")
    return " ".join(words)


def _indexes(table: Table) -> dict[tuple[object, ...], str]:
    found: dict[tuple[object, ...], str] = {}
    for index in table.indexes:
        partial = index.dialect_options["postgresql"]["where"] is not None
        columns = tuple(
            element.name if isinstance(element, Column) else str(element)
            for element in index.expressions
        )
        kind = ("unique " if index.unique else "") + ("partial " if partial else "") + "index"
        found[(kind, columns)] = f"{kind} {index.name} on ({', '.join(columns)})"
    return found


def _constraints(table: Table) -> dict[tuple[object, ...], str]:
    found: dict[tuple[object, ...], str] = {}
    for constraint in table.constraints:
        if isinstance(constraint, UniqueConstraint):
            columns = tuple(constraint.columns.keys())
            found[("unique", columns)] = f"unique {constraint.name} on ({', '.join(columns)})"
        elif isinstance(constraint, ForeignKeyConstraint):
            columns = tuple(constraint.column_keys)
            target = tuple(element.target_fullname for element in constraint.elements)
            on_delete = (constraint.ondelete or "").upper() or None
            found[("foreign key", columns, target, on_delete)] = (
                f"foreign key {constraint.name} ({', '.join(columns)})"
                f" -> {', '.join(target)}" + (f" ON DELETE {on_delete}" if on_delete else "")
            )
        elif isinstance(constraint, CheckConstraint):
            found[("check", constraint.name)] = f"check {constraint.name}"
    return found


def _compare_sets(
    where: str,
    migrated: dict[tuple[object, ...], str],
    modelled: dict[tuple[object, ...], str],
) -> Iterable[str]:
    for key in sorted(migrated.keys() - modelled.keys(), key=repr):
        yield f"{where}: {migrated[key]} is in the migrations, not in the models"
    for key in sorted(modelled.keys() - migrated.keys(), key=repr):
        yield f"{where}: {modelled[key]} is in the models, not in the migrations"


def _compare_tables(migrated: Table, modelled: Table) -> Iterable[str]:
    name = migrated.name
    for column in migrated.columns:
        if column.name not in modelled.columns:
            yield f"{name}.{column.name}: {_describe(column)} in the migrations, not in the models"
            continue
        theirs = _column_facts(modelled.columns[column.name])
        for fact, value in _column_facts(column).items():
            if theirs[fact] != value:
                yield (
                    f"{name}.{column.name}: {fact} is {value!r} in the migrations,"
                    f" {theirs[fact]!r} in the models"
                )
    for column in modelled.columns:
        if column.name not in migrated.columns:
            yield f"{name}.{column.name}: {_describe(column)} in the models, not in the migrations"
    migrated_keys = tuple(migrated.primary_key.columns.keys())
    modelled_keys = tuple(modelled.primary_key.columns.keys())
    if migrated_keys != modelled_keys:
        yield (
            f"{name}: primary key is ({', '.join(migrated_keys)}) in the migrations,"
            f" ({', '.join(modelled_keys)}) in the models"
        )
    yield from _compare_sets(name, _indexes(migrated), _indexes(modelled))
    yield from _compare_sets(name, _constraints(migrated), _constraints(modelled))


def schema_differences(migrated: MetaData, modelled: MetaData) -> list[str]:
    """Every difference between a reflected database and the models, one line each."""
    differences: list[str] = []
    tables = {name for name in migrated.tables if name != "alembic_version"}
    for name in sorted(tables - modelled.tables.keys()):
        differences.append(f"{name}: a table in the migrations, not in the models")
    for name in sorted(modelled.tables.keys() - tables):
        differences.append(f"{name}: a table in the models, not in the migrations")
    for name in sorted(tables & modelled.tables.keys()):
        differences.extend(_compare_tables(migrated.tables[name], modelled.tables[name]))
    return differences


def _reflect(connection: Connection) -> MetaData:
    reflected = MetaData()
    reflected.reflect(connection)
    return reflected


async def _migrated_schema(server_url: str) -> MetaData:
    name = f"incentives_models_{secrets.token_hex(4)}"
    url = await create_database(server_url, name)
    engine = make_engine(url)
    try:
        await migrate.upgrade(engine)
        async with engine.connect() as conn:
            return await conn.run_sync(_reflect)
    finally:
        await engine.dispose()
        await drop_database(server_url, name)


async def test_the_models_mirror_the_migrations(server_url: str) -> None:
    differences = schema_differences(await _migrated_schema(server_url), Base.metadata)
    assert not differences, "models and migrations differ:\n" + "\n".join(differences)
