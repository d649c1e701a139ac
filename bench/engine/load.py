"""Loading a benchmark data set into engine inputs (columnar, no per-row Python)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from bench.engine.generate import DEAL_TYPES, EUR_RATES, PRODUCTS, STATUSES
from incentives.engine.tables import (
    OPEN_END,
    ActivityTable,
    AssignmentTable,
    Categories,
    DealTable,
    Inputs,
    ParticipantTable,
    SplitTable,
)

QUARTERS = ("2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4")


def load(path: Path) -> Inputs:
    """Read the ``.npz`` data set and build engine inputs."""
    return inputs_from_arrays(dict(np.load(path)))


def inputs_from_arrays(data: dict[str, npt.NDArray[Any]]) -> Inputs:
    """Engine inputs over the generated arrays (no copies of the deal columns)."""
    people = len(data["start_day"])
    ids = tuple(f"p{i:05d}" for i in range(people))
    with_manager = np.flatnonzero(data["manager"] >= 0).astype(np.int32)
    empty = np.zeros(0, np.int64)
    return Inputs(
        participants=ParticipantTable(
            ids=ids,
            names=ids,
            emails=("",) * people,
            currencies=("USD",) * people,
            start_day=data["start_day"].astype(np.int32),
            end_day=np.full(people, OPEN_END, np.int32),
            target_incentive=data["target_incentive"],
        ),
        assignments=AssignmentTable(
            participant=with_manager,
            manager=data["manager"][with_manager],
            valid_from=data["start_day"][with_manager].astype(np.int32),
            valid_to=np.full(len(with_manager), OPEN_END, np.int32),
            team=Categories(np.zeros(len(with_manager), np.int32), ("",)),
        ),
        quotas={
            (p, q, "bookings"): amount
            for p, amount in enumerate(data["quota"].tolist())
            for q in QUARTERS
        },
        deals=DealTable(
            ids=np.arange(len(data["amount"]), dtype=np.int64),
            owner=data["owner"],
            amount=data["amount"],
            currency=Categories(data["eur"].astype(np.int32), ("USD", "EUR")),
            close_day=data["close_day"],
            status=Categories(data["status"], STATUSES),
            product=Categories(data["product"], PRODUCTS),
            cancel_day=data["cancel_day"],
            attributes={"deal_type": Categories(data["deal_type"], DEAL_TYPES)},
        ),
        splits=SplitTable(
            deal=data["split_deal"],
            participant=data["split_participant"],
            share=data["split_share"],
        ),
        activities=ActivityTable(
            ids=empty,
            participant=empty.astype(np.int32),
            type=Categories(empty.astype(np.int32), ()),
            day=empty.astype(np.int32),
            quantity=empty,
        ),
        fx_rates=tuple(
            ("EUR", dt.date(2026, month + 1, 1).toordinal(), Decimal(num) / Decimal(den))
            for month, (num, den) in enumerate(EUR_RATES)
        ),
    )
