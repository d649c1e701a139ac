"""Recording the docs' examples anew on a fresh demo: every call answers as documented,
and the examples fit the description (``record`` refuses them otherwise), as the same
users' calls as those checked in (``scripts/record-examples`` writes them)."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from incentives.api.examples import recorded
from incentives.api.examples.record import RecordingFailed, record


async def test_the_examples_can_be_recorded_anew(db: AsyncEngine) -> None:
    fresh = await record(db)
    kept = recorded().operations
    assert fresh.operations.keys() == kept.keys()
    for key, example in fresh.operations.items():
        was = kept[key]
        assert (example.who, example.status, example.media_type) == (
            was.who,
            was.status,
            was.media_type,
        ), key
    # Not on a database that holds anything: its writes would not be the demo's.
    with pytest.raises(RecordingFailed, match="not empty"):
        await record(db)
