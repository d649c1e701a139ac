"""An API ingest is not kept waiting for the whole of a large CSV import of its kind."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from incentives.ingest.csv_import import import_csv
from tests.api.conftest import Client, Headers

ROWS, CHUNK = 20_000, 500


async def test_an_api_ingest_goes_between_the_chunks_of_an_import(
    db: AsyncEngine, client: Client, auth: Headers, tmp_path: Path
) -> None:
    path = tmp_path / "deals.csv"
    rows = "".join(f"F-{n},rep-1,100,USD,2026-03-02,won\n" for n in range(ROWS))
    path.write_text("external_id,owner,amount,currency,close_date,status\n" + rows)
    progress: list[int] = []
    started = asyncio.Event()

    def told(done: int, _estimated: int) -> None:
        progress.append(done)
        started.set()

    importing = asyncio.create_task(
        import_csv(db, "deals", path, chunk_rows=CHUNK, on_progress=told)
    )
    await started.wait()
    deal = {
        "external_id": "API-1",
        "owner": "rep-1",
        "amount": "5",
        "currency": "USD",
        "close_date": "2026-03-02",
        "status": "won",
    }
    pushed = await client.post(
        "/api/v1/ingest/deals", json={"items": [deal]}, headers=auth["integration"]
    )
    assert pushed.status_code == 200, pushed.text
    # Taken while the import was still going through its chunks, not after its end.
    assert not importing.done()
    assert progress[-1] < ROWS
    summary = await importing
    assert summary.created == ROWS
