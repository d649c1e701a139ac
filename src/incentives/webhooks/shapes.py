"""The body a subscription receives: the Standard Webhooks payload, or a chat message
that a Slack or Microsoft Teams incoming webhook posts as it is."""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from typing import Any

import msgspec

from incentives.webhooks.events import EventType


class Format(enum.StrEnum):
    """What a subscription's receiver understands."""

    # ``{"type", "timestamp", "data"}``: for programs, which verify the signature.
    STANDARD = "standard"
    # ``{"text"}``: a Slack incoming webhook (or anything taking Slack's shape).
    SLACK = "slack"
    # An Adaptive Card message: a Teams channel's "when a webhook request is received"
    # workflow posts it.
    TEAMS = "teams"


Data = Mapping[str, Any]


def _statement(verb: str) -> Callable[[Data], str]:
    def line(d: Data) -> str:
        text = (
            f"Statement {d['id']} of {d['participant']} for {d['period']}"
            f" ({d['total']} {d['currency']}) was {verb}"
        )
        return f"{text}: {d['reason']}" if d.get("reason") else f"{text}."

    return line


def _resolved(d: Data) -> str:
    text = f"Dispute {d['id']} of {d['participant']} ({d['period']}) was {d['status']}"
    adjustment = d.get("adjustment")
    if adjustment:
        text += f": {adjustment['amount']} {adjustment['currency']} in {adjustment['period']}"
    elif d.get("resolution_reason"):
        text += f": {d['resolution_reason']}"
    return text + "."


def _awarded(d: Data) -> str:
    winners = "; ".join(f"{w['participant']}: {w['prize']}" for w in d.get("winners", []))
    return f"Contest {d['name']} was awarded" + (f". {winners}." if winners else ".")


def _award(d: Data) -> str:
    points = f" ({d['points']} points)" if d.get("points") else ""
    return f"{d['participant']} earned {d['name']}{points}."


_SUMMARIES: dict[EventType, Callable[[Data], str]] = {
    EventType.STATEMENT_SUBMITTED: _statement("submitted for approval"),
    EventType.STATEMENT_APPROVED: _statement("approved"),
    EventType.STATEMENT_REJECTED: _statement("rejected"),
    EventType.STATEMENT_PAID: _statement("paid"),
    EventType.DISPUTE_OPENED: lambda d: (
        f"{d['participant']} disputes line {d['line_no']} ({d['line_name']}) of statement"
        f" {d['statement']} ({d['period']}): {d['message']}"
    ),
    EventType.DISPUTE_ANSWERED: lambda d: (
        f"Dispute {d['id']} of {d['participant']} ({d['period']}) was answered: {d['answer']}"
    ),
    EventType.DISPUTE_RESOLVED: _resolved,
    EventType.CONTEST_STARTED: lambda d: f"Contest {d['name']} has started.",
    EventType.CONTEST_ENDED: lambda d: f"Contest {d['name']} has ended; its standings are final.",
    EventType.CONTEST_AWARDED: _awarded,
    EventType.AWARD_GRANTED: _award,
    EventType.CALC_RUN_FAILED: lambda d: (
        f"Calculation run {d['id']} for {d['period']} ({d['trigger']}) failed: {d['error']}"
    ),
    EventType.PING: lambda d: f"Test message to webhook {d['subscription']}.",
}


def summary(event: EventType, data: Data) -> str:
    """The event in one sentence, as a chat message says it."""
    return _SUMMARIES[event](data)


def body(form: Format, event: EventType, timestamp: str, data: Data) -> bytes:
    """The request body for a receiver of ``form``; ``timestamp`` is when it happened."""
    if form is Format.STANDARD:
        payload: dict[str, Any] = {"type": event.value, "timestamp": timestamp, "data": data}
    elif form is Format.SLACK:
        payload = {"text": summary(event, data)}
    else:
        card = {
            "type": "AdaptiveCard",
            "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
            "version": "1.4",
            "body": [{"type": "TextBlock", "text": summary(event, data), "wrap": True}],
        }
        payload = {
            "type": "message",
            "attachments": [
                {"contentType": "application/vnd.microsoft.card.adaptive", "content": card}
            ],
        }
    return msgspec.json.encode(payload)
