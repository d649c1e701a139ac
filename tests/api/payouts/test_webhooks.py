"""Webhooks for finance: subscribing, signed deliveries of the payout workflow's events,
retries through a receiver's outage, the delivery log and replays."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import msgspec
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from standardwebhooks.webhooks import Webhook

from incentives.config import load_settings
from incentives.webhooks.sender import Sender
from tests.api.conftest import Client
from tests.api.payouts.conftest import Statements
from tests.http import free_port
from tests.receiver import Receiver, receiving

HOOKS = "/api/v1/webhooks"
FAST = (0.05, 0.05, 0.05)


async def _subscribe(
    client: Client, headers: dict[str, str], url: str, *events: str, **more: Any
) -> dict[str, Any]:
    made = await client.post(
        HOOKS, json={"url": url, "events": list(events), **more}, headers=headers
    )
    assert made.status_code == 201, made.text
    return dict(made.json())


async def _approve(client: Client, statements: Statements) -> None:
    auth, sid = statements.auth, statements.rep_1
    submitted = await client.post(f"/api/v1/statements/{sid}/submit", headers=auth["finance"])
    assert submitted.status_code == 200, submitted.text
    approved = await client.post(f"/api/v1/statements/{sid}/approve", headers=auth["finance-2"])
    assert approved.status_code == 200, approved.text


async def _send_until_settled(sender: Sender, seconds: float = 10) -> None:
    """Attempt what is due until nothing is pending (or fail after ``seconds``)."""
    async with httpx.AsyncClient(timeout=5) as http:
        for _ in range(int(seconds / 0.05)):
            await sender.send_due(http)
            async with sender.engine.connect() as conn:
                pending = await conn.scalar(
                    text("SELECT count(*) FROM webhook_deliveries WHERE status = 'pending'")
                )
            if not pending:
                return
            await asyncio.sleep(0.05)
    pytest.fail("deliveries still pending")


def _verified(secret: str, receiver: Receiver) -> list[dict[str, Any]]:
    """Every body received, each checked against its signature as a receiver would."""
    hook = Webhook(secret)
    return [hook.verify(r.body, r.headers) for r in receiver.received]


async def test_finance_subscribes_and_only_finance_and_admin_may(
    client: Client, statements: Statements
) -> None:
    auth = statements.auth
    made = await _subscribe(
        client, auth["finance"], "https://hooks.example.com/pay", "statement.approved"
    )
    assert made["secret"].startswith("whsec_")
    assert (made["events"], made["format"], made["active"]) == (
        ["statement.approved"],
        "standard",
        True,
    )
    assert (made["pending"], made["failed"], made["created_by"]) == (0, 0, "test finance")
    listed = await client.get(HOOKS, headers=auth["admin"])
    assert listed.status_code == 200
    assert [w["id"] for w in listed.json()] == [made["id"]]
    assert "secret" not in listed.json()[0]
    for role in ("rep", "manager", "integration"):
        assert (await client.get(HOOKS, headers=auth[role])).status_code == 403
        refused = await client.post(
            HOOKS,
            json={"url": "https://x.example/", "events": ["dispute.opened"]},
            headers=auth[role],
        )
        assert refused.status_code == 403
    assert (await client.get(HOOKS)).status_code == 401


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "ftp://hooks.example.com/x", "events": ["statement.paid"]}, "url"),
        ({"url": "https://user:pw@hooks.example.com/", "events": ["statement.paid"]}, "url"),
        ({"url": "https://hooks.example.com/", "events": ["statement.lost"]}, "events[0]"),
        ({"url": "https://hooks.example.com/", "events": []}, "events"),
        ({"url": "https://hooks.example.com/", "events": ["webhook.ping"]}, "events"),
        (
            {"url": "https://hooks.example.com/", "events": ["statement.paid"], "format": "fax"},
            "format",
        ),
    ],
)
async def test_a_bad_subscription_is_refused_naming_the_field(
    db: AsyncEngine, client: Client, statements: Statements, body: dict[str, Any], field: str
) -> None:
    refused = await client.post(HOOKS, json=body, headers=statements.auth["finance"])
    assert refused.status_code in (400, 422), refused.text
    assert field in [e["field"] for e in refused.json()["errors"]], refused.text
    async with db.connect() as conn:
        assert await conn.scalar(text("SELECT count(*) FROM webhook_subscriptions")) == 0


async def test_nothing_is_written_without_a_subscriber_or_when_the_change_is_refused(
    db: AsyncEngine, client: Client, statements: Statements
) -> None:
    auth, sid = statements.auth, statements.rep_1
    await client.post(f"/api/v1/statements/{sid}/submit", headers=auth["finance"])
    async with db.connect() as conn:
        assert await conn.scalar(text("SELECT count(*) FROM webhook_messages")) == 0
    await _subscribe(client, auth["finance"], "https://hooks.example.com/", "statement.approved")
    # The four-eyes rule refuses the submitter's approval: no change, no announcement.
    own = await client.post(f"/api/v1/statements/{sid}/approve", headers=auth["finance"])
    assert own.status_code == 403
    async with db.connect() as conn:
        assert await conn.scalar(text("SELECT count(*) FROM webhook_messages")) == 0


async def test_deliveries_survive_an_outage_signed_and_logged(
    db: AsyncEngine, client: Client, statements: Statements
) -> None:
    auth = statements.auth
    port = free_port()
    url = f"http://127.0.0.1:{port}/hook"
    hook = await _subscribe(
        client, auth["finance"], url, "statement.submitted", "statement.approved"
    )
    await _approve(client, statements)
    sender = Sender(db, FAST)
    # Down: nothing listens on the port.
    async with httpx.AsyncClient(timeout=5) as http:
        assert await sender.send_due(http) == 2
    log = await client.get(f"{HOOKS}/{hook['id']}/deliveries", headers=auth["finance"])
    assert [(d["status"], d["attempts"], d["last_status_code"]) for d in log.json()] == [
        ("pending", 1, None),
        ("pending", 1, None),
    ]
    assert all("ConnectError" in d["last_error"] for d in log.json())
    # Up, but failing once, then well.
    with receiving(port, answers=[500]) as receiver:
        await _send_until_settled(sender)
    bodies = _verified(hook["secret"], receiver)
    # Three requests: both messages, and the one answered 500 once more.
    assert len(bodies) == 3
    assert {b["type"] for b in bodies} == {"statement.submitted", "statement.approved"}
    approved = next(b for b in bodies if b["type"] == "statement.approved")
    assert approved["data"] == {
        "id": statements.rep_1,
        "participant": "rep-1",
        "period": "2026-Q1",
        "currency": "USD",
        "total": "1634.32",
        "status": "approved",
        "version": 3,
    }
    assert approved["timestamp"].endswith("Z")
    ids = {r.headers["webhook-id"] for r in receiver.received}
    assert len(ids) == 2  # a retry is the same message, under the same id
    log = await client.get(f"{HOOKS}/{hook['id']}/deliveries", headers=auth["finance"])
    assert log.headers["x-total-count"] == "2"
    assert sorted(d["attempts"] for d in log.json()) == [2, 3]
    assert {d["status"] for d in log.json()} == {"delivered"}
    three = next(d for d in log.json() if d["attempts"] == 3)
    detail = await client.get(f"/api/v1/webhook-deliveries/{three['id']}", headers=auth["admin"])
    assert [a["status_code"] for a in detail.json()["log"]] == [None, 500, 200]
    assert detail.json()["data"]["participant"] == "rep-1"
    listed = await client.get(f"{HOOKS}/{hook['id']}", headers=auth["finance"])
    assert (listed.json()["pending"], listed.json()["failed"]) == (0, 0)
    assert listed.json()["last_delivered_at"].endswith("Z")


async def test_a_receiver_down_too_long_fails_the_delivery_and_a_replay_sends_it(
    db: AsyncEngine, client: Client, statements: Statements
) -> None:
    auth = statements.auth
    port = free_port()
    hook = await _subscribe(
        client, auth["finance"], f"http://127.0.0.1:{port}/hook", "statement.submitted"
    )
    submitted = await client.post(
        f"/api/v1/statements/{statements.rep_1}/submit", headers=auth["finance"]
    )
    assert submitted.status_code == 200
    with receiving(port, answers=[503, 503, 503, 503]) as receiver:
        await _send_until_settled(Sender(db, FAST))
        log = await client.get(
            f"{HOOKS}/{hook['id']}/deliveries?status=failed", headers=auth["finance"]
        )
        [failed] = log.json()
        assert (failed["attempts"], failed["last_status_code"]) == (4, 503)
        again = await client.post(
            f"/api/v1/webhook-deliveries/{failed['id']}/replay", headers=auth["finance"]
        )
        assert again.status_code == 202, again.text
        assert (again.json()["replay_of"], again.json()["status"]) == (failed["id"], "pending")
        busy = await client.post(
            f"/api/v1/webhook-deliveries/{again.json()['id']}/replay", headers=auth["finance"]
        )
        assert busy.status_code == 409
        await _send_until_settled(Sender(db, FAST))
    assert len(receiver.received) == 5
    # A replay is the same message: a receiver that has it can tell by its id.
    assert len({r.headers["webhook-id"] for r in receiver.received}) == 1
    assert _verified(hook["secret"], receiver)[-1]["data"]["status"] == "submitted"


async def test_paused_subscriptions_keep_what_they_are_owed(
    db: AsyncEngine, client: Client, statements: Statements
) -> None:
    auth = statements.auth
    port = free_port()
    hook = await _subscribe(
        client, auth["finance"], f"http://127.0.0.1:{port}/h", "statement.submitted"
    )
    paused = await client.patch(
        f"{HOOKS}/{hook['id']}", json={"active": False}, headers=auth["finance"]
    )
    assert paused.status_code == 200 and paused.json()["active"] is False
    await client.post(f"/api/v1/statements/{statements.rep_1}/submit", headers=auth["finance"])
    # Paused subscriptions are not announced to.
    async with db.connect() as conn:
        assert await conn.scalar(text("SELECT count(*) FROM webhook_deliveries")) == 0
    await client.patch(f"{HOOKS}/{hook['id']}", json={"active": True}, headers=auth["finance"])
    await client.post(f"/api/v1/statements/{statements.rep_2}/submit", headers=auth["finance"])
    await client.patch(f"{HOOKS}/{hook['id']}", json={"active": False}, headers=auth["finance"])
    with receiving(port) as receiver:
        async with httpx.AsyncClient(timeout=5) as http:
            assert await Sender(db, FAST).send_due(http) == 0
        await client.patch(f"{HOOKS}/{hook['id']}", json={"active": True}, headers=auth["finance"])
        await _send_until_settled(Sender(db, FAST))
    [body] = _verified(hook["secret"], receiver)
    assert body["data"]["participant"] == "rep-2"
    gone = await client.delete(f"{HOOKS}/{hook['id']}", headers=auth["finance"])
    assert gone.status_code == 204
    assert (await client.get(f"{HOOKS}/{hook['id']}", headers=auth["finance"])).status_code == 404


@pytest.mark.parametrize("form", ["slack", "teams"])
async def test_chat_shapes_say_it_in_words(
    db: AsyncEngine, client: Client, statements: Statements, form: str
) -> None:
    auth = statements.auth
    port = free_port()
    await _subscribe(
        client,
        auth["finance"],
        f"http://127.0.0.1:{port}/chat",
        "statement.approved",
        format=form,
    )
    await _approve(client, statements)
    with receiving(port) as receiver:
        await _send_until_settled(Sender(db, FAST))
    [received] = receiver.received
    body = msgspec.json.decode(received.body)
    words = f"Statement {statements.rep_1} of rep-1 for 2026-Q1 (1634.32 USD) was approved."
    if form == "slack":
        assert body == {"text": words}
    else:
        [attachment] = body["attachments"]
        assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
        assert attachment["content"]["body"][0]["text"] == words
    assert received.headers["content-type"] == "application/json"


async def test_a_ping_tries_a_receiver_out(
    db: AsyncEngine, client: Client, statements: Statements
) -> None:
    auth = statements.auth
    port = free_port()
    hook = await _subscribe(client, auth["admin"], f"http://127.0.0.1:{port}/", "dispute.opened")
    pinged = await client.post(f"{HOOKS}/{hook['id']}/ping", headers=auth["admin"])
    assert pinged.status_code == 202, pinged.text
    assert pinged.json()["event"] == "webhook.ping"
    with receiving(port) as receiver:
        await _send_until_settled(Sender(db, FAST))
    [body] = _verified(hook["secret"], receiver)
    assert body["type"] == "webhook.ping"
    assert body["data"] == {"subscription": hook["id"], "url": f"http://127.0.0.1:{port}/"}
    missing = await client.post(f"{HOOKS}/999999/ping", headers=auth["admin"])
    assert missing.status_code == 404


async def test_a_dispute_announces_its_opening_answer_and_resolution(
    db: AsyncEngine, client: Client, statements: Statements
) -> None:
    auth, sid = statements.auth, statements.rep_1
    port = free_port()
    hook = await _subscribe(
        client,
        auth["finance"],
        f"http://127.0.0.1:{port}/",
        "dispute.opened",
        "dispute.answered",
        "dispute.resolved",
        format="slack",
    )
    opened = await client.post(
        f"/api/v1/statements/{sid}/lines/2/disputes",
        json={"message": "The SPIFF was 750, not 500"},
        headers=auth["rep"],
    )
    assert opened.status_code == 201, opened.text
    dispute = opened.json()["id"]
    await client.post(
        f"/api/v1/disputes/{dispute}/answer",
        json={"answer": "Checking the SPIFF table"},
        headers=auth["finance"],
    )
    await client.post(
        f"/api/v1/disputes/{dispute}/resolve",
        json={"outcome": "accepted", "adjustment": "250.00", "reason": "SPIFF table was wrong"},
        headers=auth["finance"],
    )
    with receiving(port) as receiver:
        await _send_until_settled(Sender(db, FAST))
    texts = sorted(msgspec.json.decode(r.body)["text"] for r in receiver.received)
    assert texts == [
        f"Dispute {dispute} of rep-1 (2026-Q1) was accepted: 250.00 USD in 2026-Q2.",
        f"Dispute {dispute} of rep-1 (2026-Q1) was answered: Checking the SPIFF table",
        f"rep-1 disputes line 2 (Q1 platform SPIFF) of statement {sid} (2026-Q1):"
        " The SPIFF was 750, not 500",
    ]
    log = await client.get(f"{HOOKS}/{hook['id']}/deliveries", headers=auth["finance"])
    assert [d["event"] for d in log.json()] == [
        "dispute.resolved",
        "dispute.answered",
        "dispute.opened",
    ]


def test_the_retry_schedule_is_read_from_the_environment_and_checked() -> None:
    waits = load_settings({"INCENTIVES_WEBHOOK_RETRIES": "1, 2.5,60"}).webhook_retries
    assert waits == (1.0, 2.5, 60.0)
    assert sum(load_settings({}).webhook_retries) == 186_155  # just over two days
    for bad in ("", "soon", "0", "-5", "5,700000"):
        with pytest.raises(ValueError, match="INCENTIVES_WEBHOOK_RETRIES"):
            load_settings({"INCENTIVES_WEBHOOK_RETRIES": bad})
