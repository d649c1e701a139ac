"""Writing integer columns into PostgreSQL in bulk: numpy arrays as binary COPY."""

from __future__ import annotations

import io
import struct

import asyncpg
import numpy as np
import numpy.typing as npt

_HEADER = b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)
_TRAILER = struct.pack(">h", -1)


def binary_copy(columns: list[npt.NDArray[np.int64]]) -> bytes:
    """The COPY binary stream of rows whose every column is a non-null bigint."""
    rows = len(columns[0]) if columns else 0
    layout = np.dtype(
        [("count", ">i2")]
        + [item for i in range(len(columns)) for item in ((f"len{i}", ">i4"), (f"v{i}", ">i8"))]
    )
    out = np.empty(rows, dtype=layout)
    out["count"] = len(columns)
    for i, column in enumerate(columns):
        out[f"len{i}"] = 8
        out[f"v{i}"] = column
    return _HEADER + out.tobytes() + _TRAILER


async def copy_int_columns(
    conn: asyncpg.Connection, table: str, names: list[str], columns: list[npt.NDArray[np.int64]]
) -> None:
    """COPY the columns (non-null bigints) into ``table``."""
    await conn.copy_to_table(
        table, source=io.BytesIO(binary_copy(columns)), columns=names, format="binary"
    )
