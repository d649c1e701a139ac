"""Writing numpy columns into PostgreSQL in bulk: binary COPY, streamed in chunks.

Rows are encoded with numpy, never as a Python object per value, and sent a few thousand
rows at a time so that memory stays flat however many rows a run writes.
"""

from __future__ import annotations

import struct
from collections.abc import AsyncIterator, Iterable, Sequence
from typing import Any

import asyncpg
import numpy as np
import numpy.typing as npt

_HEADER = b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)
_TRAILER = struct.pack(">h", -1)
# Element type OIDs of PostgreSQL's integer types, by numpy wire type.
_OIDS = {np.dtype(">i2"): 21, np.dtype(">i4"): 23, np.dtype(">i8"): 20}


def int_field(value: int, wire: str = ">i8") -> bytes:
    """One integer field of a binary COPY row (``wire``: ">i2", ">i4" or ">i8")."""
    kind = np.dtype(wire)
    return struct.pack(">i", kind.itemsize) + np.array(value, dtype=kind).tobytes()


def text_field(value: str) -> bytes:
    """One text field of a binary COPY row."""
    data = value.encode()
    return struct.pack(">i", len(data)) + data


class ArrayColumn:
    """Elements of many one-dimensional arrays, the arrays lying back to back.

    ``values`` holds every element in row order; a row's array is a slice of it. The
    elements are laid out once, as the wire format wants them (length word, big-endian
    value), so that each row's array is a single slice of bytes.
    """

    def __init__(self, values: npt.NDArray[Any], wire: str) -> None:
        kind = np.dtype(wire)
        layout = np.dtype([("size", ">i4"), ("value", kind)])
        elements = np.empty(len(values), dtype=layout)
        elements["size"] = kind.itemsize
        elements["value"] = values
        self._bytes = memoryview(elements.tobytes())
        self._width = layout.itemsize
        self._oid = _OIDS[kind]

    def field(self, start: int, end: int) -> bytes:
        """The field holding elements ``[start, end)`` as one array."""
        count = end - start
        head = struct.pack(">iiiiii", 20 + count * self._width, 1, 0, self._oid, count, 1)
        return head + self._bytes[start * self._width : end * self._width]


def row(fields: Sequence[bytes]) -> bytes:
    """One binary COPY row from its encoded fields."""
    return struct.pack(">h", len(fields)) + b"".join(fields)


async def copy_binary(
    conn: asyncpg.Connection, table: str, names: Sequence[str], chunks: Iterable[bytes]
) -> None:
    """COPY rows into ``table``, sending each chunk of encoded rows as it is made."""

    async def stream() -> AsyncIterator[bytes]:
        yield _HEADER
        for chunk in chunks:
            yield chunk
        yield _TRAILER

    await conn.copy_to_table(table, source=stream(), columns=list(names), format="binary")


def chunked(total: int, size: int) -> Iterable[tuple[int, int]]:
    """``[start, end)`` bounds splitting ``total`` items into chunks of ``size``."""
    return ((start, min(start + size, total)) for start in range(0, total, size))
