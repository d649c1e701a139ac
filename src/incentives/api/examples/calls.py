"""The calls the examples are recorded from: every operation once, as the demo user it
is for, with a request a person would make of the demo.

The reads come first, so their answers show the demo as loaded; then the writes, each on
what the demo leaves for it: a run, a deal ingested, a plan published, the next fiscal
year, last quarter's statements approved (one rejected and submitted again), exported
and paid (announced to payroll's webhook, whose delivery log is then read), inquiries
asked, answered and resolved, this quarter closed and submitted, a contest made, edited,
scheduled, copied and called off, and a token issued to finance, listed and revoked.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from incentives.api import ingest_schema
from incentives.demo.commands import Loaded
from incentives.demo.plans import PLANS_DIR
from incentives.demo.timeline import FIRST_MONTH, Timeline
from incentives.engine.periods import period_containing
from incentives.ingest.items import Kind

if TYPE_CHECKING:  # the recorder imports this module
    from incentives.api.examples.record import Recorder

# The metric the example of /metrics shows (the first lines of the text are the process's).
HTTP_REQUESTS = "incentives_http_requests_total"
# A plan file of the examples the demo does not publish.
NEW_PLAN = "annual-quarterly-trueup.yaml"


async def _identity(rec: Recorder, timeline: Timeline) -> str:
    """Who the rep is (their participant's key), the calendar and the health."""
    await rec.call("GET /health", None)
    me = await rec.call("GET /api/v1/me", "rep")
    await rec.call("GET /api/v1/periods", "finance", query={"fiscal_year": timeline.year})
    return str(me["participant"])


async def _own_pay(rec: Recorder, timeline: Timeline) -> None:
    """The rep's reads of their own pay and points, and what a deal would earn them."""
    current = {"period": timeline.current.label}
    await rec.call("GET /api/v1/me/attainment", "rep", query=current)
    lines = await rec.call("GET /api/v1/me/earnings", "rep", query=current)
    await rec.call("GET /api/v1/me/earnings/{line}/explain", "rep", path={"line": lines[0]["id"]})
    await rec.call("GET /api/v1/me/statements", "rep", query={"limit": 2})
    await rec.call("GET /api/v1/me/pacing", "rep", query=current)
    options = await rec.call("GET /api/v1/me/estimate/options", "rep")
    deal = {
        "amount": "48000",
        "close_date": (timeline.today + dt.timedelta(days=10)).isoformat(),
        "product": options["products"][0],
    }
    await rec.call("POST /api/v1/me/estimate", "rep", body={"deals": [deal]})
    await rec.call("GET /api/v1/me/achievements", "rep")


async def _their_pay(rec: Recorder, timeline: Timeline, rep: str) -> None:
    """A manager's reads of the rep in their line, and of their team."""
    current = {"period": timeline.current.label}
    them = {"participant": rep}
    base = "/api/v1/participants/{participant}"
    await rec.call(f"GET {base}/pacing", "manager", path=them, query=current)
    await rec.call(f"GET {base}/attainment", "manager", path=them, query=current)
    lines = await rec.call(f"GET {base}/earnings", "manager", path=them, query=current)
    line = {**them, "line": lines[0]["id"]}
    await rec.call(f"GET {base}/earnings/{{line}}/explain", "manager", path=line)
    await rec.call(f"GET {base}/statements", "manager", path=them, query={"limit": 2})
    await rec.call(f"GET {base}/achievements", "manager", path=them)
    teams = await rec.call("GET /api/v1/teams", "manager")
    team = {"team": teams[0]["id"]}
    await rec.call("GET /api/v1/teams/{team}/attainment", "manager", path=team, query=current)


async def _finance_reads(
    rec: Recorder, loaded: Loaded, timeline: Timeline
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Finance's reads; two statements waiting for approval, and the open inquiry."""
    previous = timeline.previous.label
    plans = await rec.call("GET /api/v1/plans", "finance")
    commission = next(p["key"] for p in plans if p["kind"] == "commission")
    await rec.call("GET /api/v1/plans/{key}/versions", "finance", path={"key": commission})
    await rec.call("GET /api/v1/calc-runs/{run_id}", "finance", path={"run_id": loaded.current_run})
    waiting: list[dict[str, Any]] = await rec.call(
        "GET /api/v1/statements", "finance", query={"period": previous, "limit": 2}
    )
    one = {"statement": waiting[0]["id"]}
    await rec.call("GET /api/v1/statements/{statement}", "finance", path=one)
    await rec.call(
        "GET /api/v1/statements/{statement_id}/change",
        "finance",
        path={"statement_id": waiting[0]["id"]},
    )
    await rec.call("GET /api/v1/payouts/queue", "finance")
    await rec.call("GET /api/v1/payouts/changes", "finance", query={"period": previous})
    inquiries = await rec.call("GET /api/v1/disputes", "finance", query={"status": "open"})
    await rec.call(
        "GET /api/v1/disputes/{dispute_id}", "rep", path={"dispute_id": inquiries[0]["id"]}
    )
    await rec.call("GET /api/v1/audit", "finance", query={"action": "approve", "limit": 2})
    return waiting, dict(inquiries[0])


async def _games(rec: Recorder, timeline: Timeline) -> dict[str, Any]:
    """The games' reads; the scheduled contest, the one to model a new one on."""
    contests = await rec.call("GET /api/v1/contests", "rep")
    live = {"contest": next(c["key"] for c in contests if c["status"] == "live")}
    await rec.call("GET /api/v1/contests/{contest}", "rep", path=live)
    await rec.call("GET /api/v1/contests/{contest}/participants", "finance", path=live)
    await rec.call(
        "GET /api/v1/contests/{contest}/leaderboard", "rep", path=live, query={"limit": 2}
    )
    await rec.stream("GET /api/v1/contests/{contest}/leaderboard/stream", "rep", path=live)
    boards = await rec.call("GET /api/v1/leaderboards/displayed", "rep")
    await rec.call(
        "GET /api/v1/leaderboards",
        "rep",
        query={"measure": boards[0]["measure"], "period": timeline.current.label, "limit": 2},
    )
    return dict(next(c for c in contests if c["status"] == "scheduled"))


async def _data_and_plans(rec: Recorder, loaded: Loaded, timeline: Timeline, rep: str) -> None:
    """A run, an integration's batch of each kind (the rep's open deal, won today; the
    demo's first item of the others, unchanged), a plan, a year.

    The run goes first: one asked for through the API is refused (409) while another
    holds its plans, as the ingest's recompute in the background would."""
    await rec.call("POST /api/v1/calc-runs", "finance", body={"period": timeline.current.label})
    deal = next(d for d in loaded.data.deals if d["owner"] == rep and d["status"] == "open")
    won = {**deal, "status": "won", "close_date": timeline.today.isoformat()}
    for kind in Kind:
        # Each kind's first item as the demo loaded it (unchanged), but the deal just won.
        items = [won] if kind is Kind.DEALS else getattr(loaded.data, kind.value)[:1]
        await rec.call(f"POST {ingest_schema.path_of(kind)}", "admin", body={"items": items})
    plan = {"source": (PLANS_DIR / NEW_PLAN).read_text(encoding="utf-8"), "filename": NEW_PLAN}
    await rec.call("POST /api/v1/plans", "finance", body=plan)
    await rec.call(
        "POST /api/v1/periods/generate", "finance", body={"fiscal_year": timeline.year + 1}
    )


async def _payouts(rec: Recorder, timeline: Timeline, waiting: list[dict[str, Any]]) -> None:
    """Last quarter's statements: one approved, one sent back and submitted again, the
    rest approved at once; then exported to payroll and paid."""
    previous = {"period": timeline.previous.label}
    first, second = ({"statement_id": s["id"]} for s in waiting)
    base = "/api/v1/statements/{statement_id}"
    await rec.call(
        f"POST {base}/approve", "finance", path=first, body={"version": waiting[0]["version"]}
    )
    reason = "The new-logo SPIFF is counted on two lines; recompute it before approval."
    back = await rec.call(
        f"POST {base}/reject",
        "finance",
        path=second,
        body={"reason": reason, "version": waiting[1]["version"]},
    )
    await rec.call(f"POST {base}/submit", "finance", path=second, body={"version": back["version"]})
    await rec.call("POST /api/v1/periods/{period}/statements/approve", "finance", path=previous)
    await rec.call("POST /api/v1/payouts/export", "finance", query=previous)
    await rec.call("POST /api/v1/payouts/mark-paid", "finance", body=previous)


async def _inquiries(rec: Recorder, timeline: Timeline, inquiry: dict[str, Any]) -> None:
    """Finance answers the open inquiry and accepts it; its asker then asks about the
    same line again."""
    it = {"dispute_id": inquiry["id"]}
    answer = "Yes: the deal closed on the quarter's last day and missed the run; it is added."
    await rec.call(
        "POST /api/v1/disputes/{dispute_id}/answer", "finance", path=it, body={"answer": answer}
    )
    accepted = {
        "outcome": "accepted",
        "reason": "Closed on the quarter's last day, after the final run.",
        "adjustment": "350.00",
        "period": timeline.current.label,
    }
    await rec.call("POST /api/v1/disputes/{dispute_id}/resolve", "finance", path=it, body=accepted)
    line = {"statement_id": inquiry["statement"], "line_no": inquiry["line_no"]}
    question = "The adjustment is 350.00, but the deal's commission at my rate is 420.00."
    await rec.call(
        "POST /api/v1/statements/{statement_id}/lines/{line_no}/disputes",
        "rep",
        path=line,
        body={"message": question},
    )


async def _closing(rec: Recorder, timeline: Timeline) -> None:
    """This quarter closed, and its draft statements submitted for approval."""
    current = {"period": timeline.current.label}
    await rec.call("POST /api/v1/periods/{period}/close", "finance", path=current)
    await rec.call("POST /api/v1/periods/{period}/statements/submit", "finance", path=current)


def _month_after(window: dict[str, str]) -> dict[str, str]:
    """The calendar month after a contest's window, as a window."""
    day = dt.date.fromisoformat(window["to"]) + dt.timedelta(days=1)
    month = period_containing(day, "month", FIRST_MONTH)
    return {"from": month.start.isoformat(), "to": month.end.isoformat()}


async def _contests(rec: Recorder, model: dict[str, Any]) -> None:
    """A manager's contest modelled on the scheduled one (the demo's blitz of next month),
    a month later, within the manager's team and with a cash prize finance must approve:
    created, edited, scheduled, approved, copied for the month after, and the copy called
    off."""
    window = _month_after(model["window"])
    month = dt.date.fromisoformat(window["from"]).strftime("%B")
    key = f"blitz-{window['from'][:7]}"
    # A manager's contest covers their own reporting line: the demo manager's team.
    team = model["definition"]["participants"]["teams"][0]
    definition = {
        **model["definition"],
        "key": key,
        "name": f"{month} Blitz",
        "window": window,
        "participants": {"teams": [team]},
        "description": f"Most Platform and Analytics bookings in {month}, within the team.",
        # Above the approval threshold: it waits for finance before it goes live.
        "prizes": [{"rank": 1, "cash": 2000, "badge": "blitz-winner", "points": 500}],
    }
    await rec.call("POST /api/v1/contests", "manager", body=definition)
    it = {"contest": key}
    edited = {
        **definition,
        "description": f"{definition['description']} Ties go to whoever got there first.",
    }
    await rec.call("PUT /api/v1/contests/{contest}", "manager", path=it, body=edited)
    await rec.call("POST /api/v1/contests/{contest}/schedule", "manager", path=it)
    await rec.call("POST /api/v1/contests/{contest}/approve", "finance", path=it)
    after = _month_after(window)
    copy = {
        "key": f"blitz-{after['from'][:7]}",
        "name": f"{dt.date.fromisoformat(after['from']):%B} Blitz",
        "window": after,
    }
    await rec.call("POST /api/v1/contests/{contest}/clone", "manager", path=it, body=copy)
    await rec.call(
        "POST /api/v1/contests/{contest}/cancel", "manager", path={"contest": copy["key"]}
    )


@contextlib.asynccontextmanager
async def _payroll_receiver() -> AsyncIterator[str]:
    """A receiver of webhooks on loopback that takes anything (204): the URL payroll's
    subscription is made for, so that its deliveries are delivered."""

    async def take(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        length = next(
            (
                int(h.split(b":")[1])
                for h in head.lower().split(b"\r\n")
                if h.startswith(b"content-length:")
            ),
            0,
        )
        await reader.readexactly(length)
        writer.write(b"HTTP/1.1 204 No Content\r\nconnection: close\r\n\r\n")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(take, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        yield f"http://127.0.0.1:{port}/payroll/incentives"


async def _subscription(rec: Recorder, url: str) -> dict[str, Any]:
    """Payroll's subscription to approvals and payments, made before them."""
    made: dict[str, Any] = await rec.call(
        "POST /api/v1/webhooks",
        "finance",
        body={
            "url": url,
            "events": ["statement.approved", "statement.paid"],
            "description": "Payroll: approved statements to stage, paid ones to close",
        },
    )
    # A throwaway database's, but a secret all the same: the example shows its shape.
    rec.examples["POST /api/v1/webhooks"].answer["secret"] = "whsec_…"  # noqa: S105
    return made


async def _all_delivered(rec: Recorder, hook: int) -> None:
    """Wait until the subscription's deliveries have all arrived."""
    headers = {"Authorization": f"Bearer {rec.tokens['finance']}"}
    for _ in range(200):
        answer = await rec.client.get(
            f"/api/v1/webhooks/{hook}/deliveries", params={"status": "pending"}, headers=headers
        )
        if answer.headers.get("x-total-count") == "0":
            return
        await asyncio.sleep(0.05)
    raise TimeoutError("the demo's webhook deliveries did not arrive")


async def _webhooks(rec: Recorder, made: dict[str, Any], url: str) -> None:
    """The delivery log once approvals and payments were sent: one delivery opened and
    replayed, the receiver tried out, the subscription paused; a chat one removed."""
    await _all_delivered(rec, made["id"])
    it = {"webhook_id": made["id"]}
    await rec.call("GET /api/v1/webhooks", "finance")
    await rec.call("GET /api/v1/webhooks/{webhook_id}", "finance", path=it)
    log = await rec.call(
        "GET /api/v1/webhooks/{webhook_id}/deliveries", "finance", path=it, query={"limit": 2}
    )
    one = {"delivery_id": log[0]["id"]}
    await rec.call("GET /api/v1/webhook-deliveries/{delivery_id}", "finance", path=one)
    await rec.call("POST /api/v1/webhook-deliveries/{delivery_id}/replay", "finance", path=one)
    await rec.call("POST /api/v1/webhooks/{webhook_id}/ping", "finance", path=it)
    await rec.call(
        "PATCH /api/v1/webhooks/{webhook_id}", "finance", path=it, body={"active": False}
    )
    chat = await rec.client.post(
        "/api/v1/webhooks",
        json={"url": url, "events": ["dispute.opened"], "format": "slack"},
        headers={"Authorization": f"Bearer {rec.tokens['finance']}"},
    )
    gone = {"webhook_id": chat.raise_for_status().json()["id"]}
    await rec.call("DELETE /api/v1/webhooks/{webhook_id}", "finance", path=gone)


async def _user_id(rec: Recorder, name: str) -> int:
    """The id of the demo's user ``name``, from the audit entry of its creation."""
    answer = await rec.client.get(
        "/api/v1/audit",
        params={"entity": "principal", "action": "create", "limit": 500},
        headers={"Authorization": f"Bearer {rec.tokens['admin']}"},
    )
    made = answer.raise_for_status().json()["entries"]
    return next(int(e["entity_key"]) for e in made if e["after"]["name"] == name)


async def _tokens(rec: Recorder) -> None:
    """The admin gives finance a token of its own for a month-end laptop, lists finance's
    tokens and revokes the new one."""
    user = {"user_id": await _user_id(rec, "demo finance")}
    made = await rec.call(
        "POST /api/v1/users/{user_id}/tokens",
        "admin",
        path=user,
        body={"label": "Month-end laptop", "expires_in": "30d"},
    )
    # A throwaway database's, but a token all the same: the example shows its shape.
    rec.examples["POST /api/v1/users/{user_id}/tokens"].answer["token"] = "inc_…"  # noqa: S105
    await rec.call("GET /api/v1/users/{user_id}/tokens", "admin", path=user)
    await rec.call("POST /api/v1/tokens/{token_id}/revoke", "admin", path={"token_id": made["id"]})


async def play(rec: Recorder, loaded: Loaded) -> None:
    """Make every call on the demo ``loaded``: the reads, then the writes."""
    timeline = Timeline(loaded.today)
    rep = await _identity(rec, timeline)
    await _own_pay(rec, timeline)
    await _their_pay(rec, timeline, rep)
    waiting, inquiry = await _finance_reads(rec, loaded, timeline)
    model = await _games(rec, timeline)
    await _data_and_plans(rec, loaded, timeline, rep)
    async with _payroll_receiver() as payroll:
        hook = await _subscription(rec, payroll)
        await _payouts(rec, timeline, waiting)
        await _webhooks(rec, hook, payroll)
    await _inquiries(rec, timeline, inquiry)
    await _closing(rec, timeline)
    await _contests(rec, model)
    await _tokens(rec)
    # Last, so that it counts the requests above.
    await rec.call("GET /metrics", "admin", text_from=f"# HELP {HTTP_REQUESTS}")
