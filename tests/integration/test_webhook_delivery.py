"""The served process delivers webhooks by itself: retrying while the receiver is down, and
after being killed and started again, nothing is lost."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest
from standardwebhooks.webhooks import Webhook

from tests.http import PROGRAM, free_port, served
from tests.receiver import receiving


def _environment(database_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "INCENTIVES_DATABASE_URL": database_url,
        "INCENTIVES_SCHEDULER": "off",
        "INCENTIVES_WEBHOOK_RETRIES": ",".join(["0.3"] * 40),
    }


async def _finance_token(env: dict[str, str]) -> str:
    made = await asyncio.create_subprocess_exec(
        *(PROGRAM, "users", "create", "--role", "finance", "--name", "hooks"),
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    out, err = await made.communicate()
    assert made.returncode == 0, err.decode()
    return out.decode().split()[-1]


async def _deliveries(base: str, headers: dict[str, str], hook: int) -> list[dict[str, Any]]:
    async with httpx.AsyncClient(base_url=base, headers=headers) as client:
        answer = await client.get(f"/api/v1/webhooks/{hook}/deliveries")
        assert answer.status_code == 200, answer.text
        return list(answer.json())


async def _until(check: Any, seconds: float = 20) -> None:
    for _ in range(int(seconds / 0.1)):
        if await check():
            return
        await asyncio.sleep(0.1)
    pytest.fail("it did not happen in time")


async def test_a_message_waits_out_the_outage_and_a_restart(
    database_url: str, tmp_path: Path
) -> None:
    env = _environment(database_url)
    headers = {"Authorization": f"Bearer {await _finance_token(env)}"}
    port = free_port()
    (tmp_path / "first").mkdir()
    (tmp_path / "second").mkdir()
    async with served(tmp_path / "first", env) as server:
        async with httpx.AsyncClient(base_url=server.base, headers=headers) as client:
            made = await client.post(
                "/api/v1/webhooks",
                json={"url": f"http://127.0.0.1:{port}/in", "events": ["statement.paid"]},
            )
            assert made.status_code == 201, made.text
            hook = made.json()
            pinged = await client.post(f"/api/v1/webhooks/{hook['id']}/ping")
            assert pinged.status_code == 202, pinged.text

        async def retried() -> bool:
            [delivery] = await _deliveries(server.base, headers, hook["id"])
            return bool(delivery["attempts"] >= 3)

        # Nothing listens on the port: the server retries by itself.
        await _until(retried)
        # Killed outright mid-outage: what it still owes is in the database.
        os.killpg(server.process.pid, signal.SIGKILL)
        await server.process.wait()

    with receiving(port) as receiver:
        async with served(tmp_path / "second", env) as server:

            async def delivered() -> bool:
                [delivery] = await _deliveries(server.base, headers, hook["id"])
                return bool(delivery["status"] == "delivered")

            await _until(delivered)
            [delivery] = await _deliveries(server.base, headers, hook["id"])
            async with httpx.AsyncClient(base_url=server.base, headers=headers) as client:
                # The session's other servers share the database: leave them no webhook.
                assert (await client.delete(f"/api/v1/webhooks/{hook['id']}")).status_code == 204
    [received] = receiver.received
    body = Webhook(hook["secret"]).verify(received.body, received.headers)
    assert (body["type"], body["data"]["subscription"]) == ("webhook.ping", hook["id"])
    assert delivery["attempts"] >= 4
    assert (delivery["last_status_code"], delivery["last_error"]) == (200, None)
