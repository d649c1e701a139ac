"""Reading integer columns out of PostgreSQL straight into numpy arrays.

``COPY … TO STDOUT (FORMAT binary)`` of non-null bigint columns has a fixed row layout,
so numpy can view the whole result at once: no Python object per row, which matters at
millions of deals.
"""

from __future__ import annotations

import io
from typing import Any

import asyncpg
import numpy as np
import numpy.typing as npt

# PGCOPY\n\377\r\n\0, flags (int32), header extension length (int32).
_HEADER = 11 + 4 + 4
_TRAILER = 2  # int16 -1


async def int_columns(
    conn: asyncpg.Connection, query: str, *args: Any, columns: int
) -> list[npt.NDArray[np.int64]]:
    """Run ``query`` (every column a non-null bigint) and return one int64 array per column."""
    buffer = io.BytesIO()
    await conn.copy_from_query(query, *args, output=buffer, format="binary")
    data = buffer.getbuffer()
    layout = np.dtype(
        [("count", ">i2")]
        + [item for i in range(columns) for item in ((f"len{i}", ">i4"), (f"v{i}", ">i8"))]
    )
    body = data[_HEADER : len(data) - _TRAILER]
    if len(body) % layout.itemsize:
        raise ValueError("COPY returned rows that are not all non-null bigints")
    rows = np.frombuffer(body, dtype=layout)
    return [rows[f"v{i}"].astype(np.int64) for i in range(columns)]
