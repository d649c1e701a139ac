"""Games benchmark: how fast a deal moves live boards, and how fast boards are read.

    python -m bench.games                        # 10,000 participants, 20 contests
    python -m bench.games --participants 1000 --deals 20000 --ingests 50 --requests 2000

On a database of its own (``incentives_bench_<random>`` on the server of
INCENTIVES_DATABASE_URL, dropped afterwards), loaded by bench/games/data.py, with an
``incentives serve`` child (its scheduler off, so nothing but the benchmark moves the
boards):

(a) one SSE client per contest (20 streams) follows the boards while deals are posted
    one at a time to ``POST /api/v1/ingest/deals``. For each deal and each contest, the
    latency is from the ingest's response (the commit precedes it) to the arrival of the
    ``standings`` event naming the deal's owner (or their team) with its new standing;
    the next deal waits until all 20 have arrived.
(b) ``GET /api/v1/contests/{key}/leaderboard?limit=10`` (the top ten and your own place)
    from concurrent keep-alive connections on loopback, as 100 reps, spread over the 20
    contests, each client sending back to back; with one API process, then two.

Results are printed and kept in bench/out/games-results.json.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import msgspec

from bench.calc.served import load, summary_ms
from bench.engine.generate import OUT
from bench.games import data
from bench.ingest.generate import participant_id
from bench.ingest.run import _free_port, _wait_healthy, api_server, fresh_database, machine
from incentives.audit.log import CLI_ACTOR
from incentives.auth import principals
from incentives.db import migrate
from incentives.db.connection import driver_transaction, make_engine

ARRIVAL_TIMEOUT_S = 10.0


async def setup(
    url: str, participants: int, deals: int, meetings: int, reps: int
) -> dict[str, Any]:
    """Load the data and make the tokens; how long loading took."""
    engine = make_engine(url)
    try:
        await migrate.upgrade(engine)
        started = time.perf_counter()
        await data.populate(engine, participants, deals, meetings)
        loaded = time.perf_counter() - started
        tokens: dict[str, str] = {}
        async with driver_transaction(engine) as conn:
            for name, role, who in [
                ("integration", "integration", None),
                ("finance", "finance", None),
                *((f"rep-{n}", "rep", participant_id(n)) for n in range(reps)),
            ]:
                _, tokens[name] = await principals.create(
                    conn, name=name, role=role, participant=who, actor=CLI_ACTOR
                )
    finally:
        await engine.dispose()
    return {"load_seconds": round(loaded, 1), "tokens": tokens}


class Stream:
    """One SSE client on a contest's board, keeping (arrival time, subjects) of each update."""

    def __init__(self, key: str) -> None:
        self.key = key
        self.updates: asyncio.Queue[tuple[float, set[str]]] = asyncio.Queue()
        self.ready = asyncio.Event()

    async def follow(self, client: httpx.AsyncClient, token: str) -> None:
        """Read the stream until cancelled."""
        url = f"/api/v1/contests/{self.key}/leaderboard/stream"
        headers = {"Authorization": f"Bearer {token}"}
        async with client.stream("GET", url, headers=headers) as response:
            event, payload = "", ""
            async for line in response.aiter_lines():
                if line.startswith("event: "):
                    event = line[7:]
                elif line.startswith("data: "):
                    payload += line[6:]
                elif not line and payload:
                    arrived = time.perf_counter()
                    if event == "leaderboard":
                        self.ready.set()
                    elif event == "standings":
                        changes = msgspec.json.decode(payload)["changes"]
                        self.updates.put_nowait((arrived, {c["subject"] for c in changes}))
                    event, payload = "", ""

    async def arrival(self, subject: str) -> float:
        """When the next update naming ``subject`` arrived."""
        while True:
            arrived, subjects = await self.updates.get()
            if subject in subjects:
                return arrived


async def latency(
    port: int, tokens: dict[str, str], ingests: int, participants: int
) -> dict[str, Any]:
    """(a): deals one at a time; ingest commit to each board's update on its stream."""
    streams = [Stream(body["key"]) for body in data.definitions()]
    teams = {body["key"]: body.get("scope") == "teams" for body in data.definitions()}
    rng = random.Random(data.SEED + 3)
    per_board: list[float] = []
    all_boards: list[float] = []
    responses: list[float] = []
    timeout = httpx.Timeout(30, read=None)
    limits = httpx.Limits(max_connections=len(streams) + 2)
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{port}", timeout=timeout, limits=limits
    ) as client:
        await _wait_healthy(client)
        readers = [asyncio.create_task(s.follow(client, tokens["finance"])) for s in streams]
        try:
            await asyncio.wait_for(asyncio.gather(*(s.ready.wait() for s in streams)), 60)
            headers = {"Authorization": f"Bearer {tokens['integration']}"}
            for n in range(ingests):
                owner = rng.randrange(participants)
                item = data.deal(n, owner, rng, data.TODAY, participants, prefix="L")
                # Counted by every contest (several count only Platform, or 10,000 and up).
                item.pop("splits", None)
                item |= {"product": "Platform", "amount": f"{rng.randrange(10_000, 50_000)}.00"}
                body = msgspec.json.encode({"items": [item]})
                sent = time.perf_counter()
                response = await client.post("/api/v1/ingest/deals", content=body, headers=headers)
                committed = time.perf_counter()
                if response.status_code != 200 or response.json()["created"] != 1:
                    raise SystemExit(f"ingest failed: {response.status_code} {response.text}")
                responses.append(committed - sent)
                waits = [
                    s.arrival(data.team_of(owner) if teams[s.key] else participant_id(owner))
                    for s in streams
                ]
                arrived = await asyncio.wait_for(asyncio.gather(*waits), ARRIVAL_TIMEOUT_S)
                per_board += [a - committed for a in arrived]
                all_boards.append(max(arrived) - committed)
        finally:
            for reader in readers:
                reader.cancel()
            await asyncio.gather(*readers, return_exceptions=True)
    return {
        "deals": ingests,
        "boards": len(streams),
        "commit_to_board_update": summary_ms(per_board),
        "commit_to_all_boards_updated": summary_ms(all_boards),
        "ingest_response": summary_ms(responses),
    }


async def reads(
    port: int, tokens: dict[str, str], clients: int, requests: int, reps: int
) -> dict[str, Any]:
    """(b): leaderboard pages (top ten and your place) from back-to-back clients."""
    keys = [body["key"] for body in data.definitions()]
    messages = [
        (
            f"GET /api/v1/contests/{keys[n % len(keys)]}/leaderboard?limit=10 HTTP/1.1\r\n"
            f"Host: 127.0.0.1\r\nAuthorization: Bearer {tokens[f'rep-{n}']}\r\n"
            "Accept: application/json\r\n\r\n"
        ).encode()
        for n in range(reps)
    ]
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
        await _wait_healthy(client)
        sample = await client.get(
            f"/api/v1/contests/{keys[0]}/leaderboard?limit=10",
            headers={"Authorization": f"Bearer {tokens['rep-0']}"},
        )
    return {
        **await load(port, messages, clients, requests, 2_000),
        "response_bytes": len(sample.content),
    }


@contextlib.asynccontextmanager
async def serving(url: str, workers: int) -> AsyncIterator[int]:
    """An API server on the benchmark database; its port."""
    port = _free_port()
    with api_server(url, port, OUT / f"games-api-{workers}.log", workers):
        yield port


async def main() -> None:
    """Run both parts and report."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--participants", type=int, default=10_000)
    parser.add_argument("--deals", type=int, default=200_000, help="March deals loaded first")
    parser.add_argument("--meetings", type=int, default=100_000)
    parser.add_argument("--ingests", type=int, default=1_000)
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--parts", nargs="+", choices=["a", "b"], default=["a", "b"])
    args = parser.parse_args()
    reps = min(100, args.participants)
    # Only the benchmark moves the boards: no scheduled rebuilds or awards meanwhile.
    os.environ["INCENTIVES_SCHEDULER"] = "off"
    report: dict[str, Any] = {"machine": machine(), "args": vars(args)}
    async with fresh_database() as url:
        loaded = await setup(url, args.participants, args.deals, args.meetings, reps)
        report["load_seconds"] = loaded["load_seconds"]
        print(f"loaded in {loaded['load_seconds']} s", flush=True)
        for workers in args.workers:
            async with serving(url, workers) as port:
                if "a" in args.parts and workers == args.workers[0]:
                    report["latency"] = await latency(
                        port, loaded["tokens"], args.ingests, args.participants
                    )
                    print(f"(a) {workers} worker(s): {report['latency']}", flush=True)
                if "b" not in args.parts:
                    continue
                result = await reads(port, loaded["tokens"], args.clients, args.requests, reps)
                report[f"reads_{workers}_workers"] = result
                print(f"(b) {workers} worker(s): {result}", flush=True)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "games-results.json").write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    asyncio.run(main())
