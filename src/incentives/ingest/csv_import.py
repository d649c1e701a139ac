"""Importing a CSV file of one kind: streamed in chunks, applied all at once or not at all.

The file is read row by row and converted in chunks; each chunk goes through the same
``ingest`` as an API batch, and every chunk runs in one transaction, so a bad row anywhere
leaves the database as it was. The kind's lock is held chunk by chunk where it can be
(see ``ingest.locks``), so API batches are not kept waiting for the whole file. Problems
name the file's line (the header is line 1) and the column as written in the header.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import dataclasses
import gc
import io
import os
import re
import time
from collections.abc import Awaitable, Callable, Generator, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import msgspec
from sqlalchemy.ext.asyncio import AsyncEngine

from incentives.audit.log import CLI_ACTOR, Actor
from incentives.db.connection import driver_transaction
from incentives.ingest import locks
from incentives.ingest.csv_formats import CrmAmount, Format, FormatError, Parse, choose, snake
from incentives.ingest.csv_messages import friendly
from incentives.ingest.items import ITEM_KEYS, KINDS, convert_items
from incentives.ingest.problems import BatchRejected, ItemProblem
from incentives.ingest.rules import repeated_key
from incentives.ingest.service import IngestResult, ingest
from incentives.ingest.touched import Touched
from incentives.ingest.warnings import IngestWarning, PlansInForce

CHUNK_ROWS = 10_000
SHOWN_PROBLEMS = 20


@dataclass(frozen=True)
class RowProblem:
    """A problem with a row of the file: its line, the column as headed, why."""

    line: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}" if self.line is not None else "file"
        if self.column:
            where += f", column {self.column!r}"
        return f"{where}: {self.message}"


class ImportFailed(Exception):
    """The file was refused; nothing of it was written."""

    def __init__(self, summary: str, problems: Sequence[RowProblem] = ()) -> None:
        super().__init__(summary)
        self.summary = summary
        self.problems = list(problems)

    def __str__(self) -> str:
        lines = [self.summary]
        lines += [f"  {p}" for p in self.problems[:SHOWN_PROBLEMS]]
        if len(self.problems) > SHOWN_PROBLEMS:
            lines.append(f"  … and {len(self.problems) - SHOWN_PROBLEMS} more")
        return "\n".join(lines)


@dataclass
class ImportSummary:
    """What an import did."""

    kind: str
    format: str
    rows: int
    created: int
    updated: int
    unchanged: int
    seconds: float
    # (line, warning) for rows accepted with a value that only nearly matches a plan's.
    warnings: list[tuple[int, IngestWarning]] = dataclasses.field(default_factory=list)
    # Whose pay the file may change, and the recompute kept for it (None: none owed).
    touched: Touched = dataclasses.field(default_factory=Touched)
    pending_id: int | None = None

    @property
    def rows_per_second(self) -> float:
        """Rows read, converted, checked and applied per second of the whole import."""
        return self.rows / self.seconds if self.seconds > 0 else 0.0

    def __str__(self) -> str:
        return (
            f"{self.kind} ({self.format}): {self.rows:,} rows, {self.created:,} created,"
            f" {self.updated:,} updated, {self.unchanged:,} unchanged"
            f" in {self.seconds:.1f} s ({self.rows_per_second:,.0f} rows/s)"
        )


# --- the column plan -----------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    """Which column feeds which item field, for one file."""

    kind: str
    format: Format
    width: int
    mapped: tuple[tuple[int, str, Parse | None], ...]
    attributes: tuple[tuple[int, str], ...]
    required: tuple[str, ...]
    # Item field → the header that feeds it, as written in the file.
    column_of: dict[str, str]
    default_currency: str | None


def _required(kind: str) -> tuple[str, ...]:
    return tuple(
        f.name
        for f in msgspec.structs.fields(KINDS[kind])
        if f.default is msgspec.NODEFAULT and f.default_factory is msgspec.NODEFAULT
    )


def plan_columns(
    kind: str, header: Sequence[str], requested: str = "auto", currency: str | None = None
) -> Plan:
    """Map the header of a ``kind`` file; raise ImportFailed naming what is missing or wrong."""
    names = [h.strip() for h in header]
    snaked = [snake(h) for h in names]
    try:
        fmt = choose(kind, snaked, requested)
    except FormatError as exc:
        raise ImportFailed(str(exc)) from None

    seen: dict[str, str] = {}
    for name, key in zip(names, snaked, strict=True):
        if name and key in seen:
            raise ImportFailed(f"columns {seen[key]!r} and {name!r} say the same thing")
        seen.setdefault(key, name)

    used: set[int] = set()
    mapped: list[tuple[int, str, Parse | None]] = []
    attributes: list[tuple[int, str]] = []
    column_of: dict[str, str] = {}
    for source in fmt.sources:
        index = next((snaked.index(h) for h in source.headers if h in snaked), None)
        if index is None:
            continue
        used.add(index)
        mapped.append((index, source.field, source.parse))
        column_of[source.field] = names[index]
        if source.keep_as_attribute:
            attributes.append((index, snaked[index]))

    required = _required(kind)
    missing = [s for s in fmt.sources if s.field in required and s.field not in column_of]
    if currency is not None and "currency" in required:
        column_of.setdefault("currency", "--currency")
        missing = [s for s in missing if s.field != "currency"]
    if missing:
        wanted = ", ".join(repr(s.label or s.field) for s in missing)
        hint = " (or give --currency)" if any(s.field == "currency" for s in missing) else ""
        raise ImportFailed(
            f"the {fmt.name} {kind} file lacks the required column(s) {wanted}{hint}"
        )

    extra = [i for i, name in enumerate(names) if name and i not in used]
    if extra and not fmt.attributes:
        known = ", ".join(s.field for s in fmt.sources)
        unknown = ", ".join(repr(names[i]) for i in extra)
        raise ImportFailed(f"unknown column(s) {unknown}; {kind} files have the columns {known}")
    taken = {key for _, key in attributes}
    for i in extra:
        key = snaked[i] or f"column_{i + 1}"
        if key in taken:
            continue
        taken.add(key)
        attributes.append((i, key))
    return Plan(
        kind=kind,
        format=fmt,
        width=len(names),
        mapped=tuple(mapped),
        attributes=tuple(sorted(attributes)) if fmt.attributes else (),
        required=required,
        column_of=column_of,
        default_currency=currency,
    )


# --- rows → items --------------------------------------------------------------------------


def convert_row(
    plan: Plan, row: Sequence[str]
) -> tuple[dict[str, Any], list[tuple[str | None, str]]]:
    """One row as a raw item, and the problems found in its cells (column, message)."""
    problems: list[tuple[str | None, str]] = []
    if len(row) != plan.width:
        problems.append((None, f"has {len(row)} fields where the header has {plan.width}"))
        return {}, problems
    item: dict[str, Any] = {}
    failed: set[str] = set()
    for index, field, parse in plan.mapped:
        value = row[index].strip()
        if not value:
            continue
        if parse is None:
            item[field] = value
            continue
        try:
            item[field] = parse(value)
        except ValueError as exc:
            failed.add(field)
            problems.append((plan.column_of[field], str(exc)))
    if plan.format.attributes:
        attributes: dict[str, str] = {}
        for index, key in plan.attributes:
            value = row[index].strip()
            if value:
                attributes[key] = value
        item["attributes"] = attributes
    amount = item.get("amount")
    if isinstance(amount, CrmAmount):
        item["amount"] = amount.number
        if amount.code is not None:
            if "currency" not in item:
                item["currency"] = amount.code
            elif item["currency"] != amount.code:
                message = f"is in {amount.code} but the currency is {item['currency']}"
                problems.append((plan.column_of["amount"], message))
    if "currency" not in item and plan.default_currency is not None:
        item["currency"] = plan.default_currency
    for field in plan.required:
        if field not in item and field not in failed:
            problems.append((plan.column_of.get(field), "is empty"))
    return item, problems


def _column_and_message(
    plan: Plan, problem: ItemProblem, item: dict[str, Any]
) -> tuple[str | None, str]:
    field = problem.field
    top = re.split(r"[.\[]", field, maxsplit=1)[0]
    column = plan.column_of.get(top)
    message = friendly(top, problem.message, item.get(top) if top == field else None)
    nested = re.match(r"^splits\[(\d+)\]\.(\w+)$", field)
    if nested:
        message = f"split {int(nested.group(1)) + 1} {nested.group(2)}: {message}"
    if column is None and field != "(item)":
        message = f"{field}: {message}"
    return column, message


# --- reading and applying ------------------------------------------------------------------


def _delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


@dataclass
class Position:
    """How far into the file reading has gone, in bytes (to within a buffer's worth)."""

    tell: Callable[[], int] = lambda: 0
    size: int = 0


# Told after each chunk with the rows applied so far and the file's estimated row count.
ProgressCallback = Callable[[int, int], None]
# Keeps what an import touched as a recompute owed, in the import's transaction; its id.
# (``recompute.pending.record``, handed in: recompute/ depends on ingest.)
OweRecompute = Callable[[asyncpg.Connection, Touched], Awaitable[int]]


def read_rows(
    path: Path, position: Position | None = None
) -> Generator[tuple[int, list[str]], None, None]:
    """Rows of the file with the line each starts on (header = line 1).

    With ``position``, its ``tell`` says how many bytes of the file have been read."""
    # The byte stream kept apart from the text one: its offset is readable mid-iteration.
    with path.open("rb") as stream, io.TextIOWrapper(stream, "utf-8-sig", newline="") as file:
        if position is not None:
            position.tell = stream.tell
            position.size = os.fstat(stream.fileno()).st_size
        try:
            first = file.readline()
            file.seek(0)
            reader = csv.reader(file, delimiter=_delimiter(first), strict=True)
            line = 0
            for row in reader:
                start, line = line + 1, reader.line_num
                yield start, row
            if position is not None:
                # Told after the file is closed: the end it reached, not a closed file's.
                end = stream.tell()
                position.tell = lambda: end
        except csv.Error as exc:
            raise ImportFailed(f"line {reader.line_num}: the CSV is malformed ({exc})") from None
        except UnicodeDecodeError:
            raise ImportFailed(
                f"near line {line + 1}: the file is not UTF-8 text; save it as CSV UTF-8"
            ) from None


_KEYS_TABLE = """
CREATE TEMPORARY TABLE csv_import_keys (key text PRIMARY KEY, line bigint NOT NULL)
ON COMMIT DROP
"""


def _key(kind: str, item: dict[str, Any]) -> str:
    return "\x1f".join(str(item.get(f) or "") for f in ITEM_KEYS[kind])


async def _check_repeats(
    conn: asyncpg.Connection, plan: Plan, items: list[dict[str, Any]], lines: list[int]
) -> None:
    """Refuse a key seen earlier in the file (kept in a temporary table, not in memory)."""
    keys = [_key(plan.kind, i) for i in items]
    try:
        async with conn.transaction():  # a savepoint: a repeated key undoes only this COPY
            await conn.copy_records_to_table(
                "csv_import_keys", records=zip(keys, lines, strict=True), columns=["key", "line"]
            )
        return
    except asyncpg.UniqueViolationError:
        pass
    await conn.execute(
        "INSERT INTO csv_import_keys (key, line) SELECT * FROM unnest($1::text[], $2::bigint[])"
        " ON CONFLICT DO NOTHING",
        keys,
        lines,
    )
    first = {
        r[0]: r[1]
        for r in await conn.fetch(
            "SELECT key, line FROM csv_import_keys WHERE key = ANY($1::text[])", keys
        )
    }
    repeated = [(k, line) for k, line in zip(keys, lines, strict=True) if first[k] != line]
    field = ITEM_KEYS[plan.kind][-1]

    def shown(key: str) -> str:
        return " / ".join(part for part in key.split("\x1f") if part)

    raise ImportFailed(
        "the file names a key more than once; nothing was imported",
        [
            RowProblem(line, plan.column_of.get(field), repeated_key(shown(key), first[key]))
            for key, line in repeated
        ],
    )


async def _apply(
    conn: asyncpg.Connection,
    plan: Plan,
    items: list[dict[str, Any]],
    lines: list[int],
    actor: Actor,
    plans_in_force: PlansInForce | None,
    warnings: list[tuple[int, IngestWarning]],
    touched: Touched,
) -> IngestResult:
    await _check_repeats(conn, plan, items, lines)
    try:
        async with locks.for_chunk(conn, plan.kind) as locked:
            result = await ingest(
                conn,
                plan.kind,
                items,
                actor,
                by_person=plan.format.by_person,
                plans_in_force=plans_in_force,
                touched=touched,
                locked=locked,
            )
        # Item indexes are the chunk's; the file's line numbers say more.
        warnings += [(lines[w.item], w) for w in result.warnings]
        result.warnings = []
        return result
    except BatchRejected as exc:
        problems = [
            RowProblem(lines[p.item], *_column_and_message(plan, p, items[p.item]))
            for p in exc.problems
        ]
        raise ImportFailed(
            f"{len(problems)} problem(s) in the file; nothing was imported", problems
        ) from None
    except locks.KeysBusy as exc:
        raise ImportFailed(f"{exc}; nothing was imported") from None


def _conversion_problems(
    plan: Plan, items: list[dict[str, Any]], lines: list[int], skip: set[int | None]
) -> list[RowProblem]:
    """Problems converting the other rows of a chunk, so that a failed import lists them all."""
    rest = [(item, line) for item, line in zip(items, lines, strict=True) if line not in skip]
    _, problems = convert_items([item for item, _ in rest], KINDS[plan.kind])
    return [
        RowProblem(rest[p.item][1], *_column_and_message(plan, p, rest[p.item][0]))
        for p in problems
    ]


@dataclass
class _Chunk:
    items: list[dict[str, Any]]
    lines: list[int]
    problems: list[RowProblem]
    # Bytes of the file read once this chunk was: the import's progress through it.
    read_to: int = 0


class _Chunks:
    """The file's rows converted chunk by chunk; ``read`` is called by one thread at a time."""

    def __init__(
        self,
        plan: Plan,
        rows: Iterator[tuple[int, list[str]]],
        chunk_rows: int,
        position: Position | None = None,
    ) -> None:
        self.plan = plan
        self.rows = rows
        self.position = position or Position()
        self.chunk_rows = chunk_rows
        self.blank_seen = False

    def read(self) -> _Chunk | None:
        """The next chunk, None at the end; a chunk with problems ends the import."""
        plan = self.plan
        footer = plan.format.footer_after_blank
        chunk = _Chunk([], [], [])
        for line, row in self.rows:
            if not any(cell.strip() for cell in row):
                self.blank_seen = True
                continue
            if footer and self.blank_seen and len(row) == 1:
                continue  # Salesforce ends report exports with a few one-cell lines.
            item, found = convert_row(plan, row)
            if found:
                chunk.problems += [RowProblem(line, column, message) for column, message in found]
            chunk.items.append(item)
            chunk.lines.append(line)
            if len(chunk.items) >= self.chunk_rows:
                break
        if chunk.problems:
            bad = {p.line for p in chunk.problems}
            chunk.problems += _conversion_problems(plan, chunk.items, chunk.lines, bad)
            chunk.problems.sort(key=lambda p: p.line or 0)
        chunk.read_to = self.position.tell()
        return chunk if chunk.items else None


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector for the import.

    Chunks allocate many short-lived, acyclic objects that reference counting frees; the
    collector would only rescan them, which costs about a fifth of the import's time.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _estimated_rows(done: int, read_to: int, size: int) -> int:
    """The file's row count judged from ``done`` rows in its first ``read_to`` bytes."""
    if read_to >= size or read_to <= 0:
        return done
    return max(done, round(done * size / read_to))


async def import_csv(
    engine: AsyncEngine,
    kind: str,
    path: Path,
    *,
    format: str = "auto",
    currency: str | None = None,
    actor: Actor = CLI_ACTOR,
    chunk_rows: int = CHUNK_ROWS,
    plans_in_force: PlansInForce | None = None,
    on_progress: ProgressCallback | None = None,
    owe: OweRecompute | None = None,
) -> ImportSummary:
    """Import a CSV file of ``kind``: all of it in one transaction, or nothing.

    With ``plans_in_force``, the summary's ``warnings`` name the lines whose values only
    nearly match what the plans in force name (see ``ingest.warnings``).

    ``on_progress`` is told after each chunk is applied: the rows applied so far and the
    file's row count as estimated from the share of its bytes read (exact at the end).

    The summary's ``touched`` says whose pay the file may change; with ``owe``, that is
    kept in the import's transaction as a recompute owed (``pending_id``), for the caller
    to make once the import has committed (or the scheduler's catch-up, if it dies).

    Raises ImportFailed (naming lines and columns) when the file or a row is wrong.
    """
    if kind not in KINDS:
        raise ImportFailed(f"unknown kind {kind!r}; use one of {', '.join(KINDS)}")
    started = time.perf_counter()
    position = Position()
    rows = read_rows(path, position)
    with _collector_paused(), contextlib.closing(rows):
        header = next(rows, None)
        if header is None or not any(cell.strip() for cell in header[1]):
            raise ImportFailed("the file is empty: it needs a header line")
        plan = plan_columns(kind, header[1], format, currency)
        total = IngestResult(kind=kind, created=0, updated=0, unchanged=0)
        count = 0
        warnings: list[tuple[int, IngestWarning]] = []
        touched = Touched()
        pending_id = None
        chunks = _Chunks(plan, rows, chunk_rows, position)
        async with driver_transaction(engine, long=True) as conn:
            await conn.execute(_KEYS_TABLE)
            # The next chunk is read and converted in a thread while this one is applied,
            # so that parsing the file overlaps the database's work.
            chunk = await asyncio.to_thread(chunks.read)
            while chunk is not None:
                if chunk.problems:
                    raise ImportFailed(
                        f"{len(chunk.problems)} problem(s) in the file; nothing was imported",
                        chunk.problems,
                    )
                ahead = asyncio.ensure_future(asyncio.to_thread(chunks.read))
                try:
                    total.add(
                        await _apply(
                            conn,
                            plan,
                            chunk.items,
                            chunk.lines,
                            actor,
                            plans_in_force,
                            warnings,
                            touched,
                        )
                    )
                    count += len(chunk.items)
                    if on_progress is not None:
                        on_progress(count, _estimated_rows(count, chunk.read_to, position.size))
                finally:
                    # Never leave the thread reading the file once this block is left.
                    await asyncio.wait([ahead])
                chunk = ahead.result()
            if owe is not None and touched:
                pending_id = await owe(conn, touched)
    return ImportSummary(
        kind=kind,
        format=plan.format.name,
        rows=count,
        created=total.created,
        updated=total.updated,
        unchanged=total.unchanged,
        seconds=time.perf_counter() - started,
        warnings=warnings,
        touched=touched,
        pending_id=pending_id,
    )
