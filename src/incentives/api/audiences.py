"""Who each operation is for, as the API's description groups them: one tag per audience.

An operation is tagged with every audience that may call it, derived from the route
rather than written on each handler: its role guards (``security.admitted``), the
caller's own reads under ``/api/v1/me/`` (only participants, reps and managers, have pay
of their own; anyone else is answered 404 there), and the games' resources.

Admin is tagged only on what no other audience may call (API users' tokens): it may call
everything finance and integration may too, so tagging those would repeat nearly every
operation in its group; the descriptions of those two groups say so.
Public routes (no token) are tagged ``public`` alone: anyone may call them.
"""

from __future__ import annotations

import enum

from litestar.handlers import HTTPRouteHandler
from litestar.openapi.spec import Tag

from incentives.api.security import admitted
from incentives.auth.roles import PARTICIPANTS, Role

# The caller's own reads and writes: answered 404 for a principal without a participant.
OWN = "/api/v1/me/"
# A route's path naming one of these is the games' (an office display reads some of them).
GAME_RESOURCES = frozenset({"contests", "leaderboards", "achievements"})


class Audience(enum.StrEnum):
    """The docs' groups, in the order they are shown."""

    REP = "rep"
    MANAGER = "manager"
    FINANCE = "finance"
    INTEGRATION = "integration"
    ADMIN = "admin"
    GAMES = "games"
    PUBLIC = "public"


# Whose group an operation a role may call is listed in (admin: see the module's doc).
AUDIENCE_OF = {
    Role.REP: Audience.REP,
    Role.MANAGER: Audience.MANAGER,
    Role.FINANCE: Audience.FINANCE,
    Role.INTEGRATION: Audience.INTEGRATION,
    Role.DISPLAY: Audience.GAMES,
}

DESCRIPTIONS = {
    Audience.REP: "For a sales rep: your own pay (attainment, earning lines with their traces"
    " and explanations, statements, pacing, what a deal would earn you), questions about a"
    " line of your statement, and the contests, boards and achievements. The `/me/` reads"
    " answer 404 to a token that is no participant's.",
    Audience.MANAGER: "For a sales manager: your own pay, as a rep reads theirs, and your"
    " reporting line's as it stands today (`/participants/{id}/…`, `/teams/…`), and the"
    " contests you run for them.",
    Audience.FINANCE: "For finance: everyone's pay, plans and calculation runs, the fiscal"
    " calendar and closing a period, the statements' approval, the payroll export and"
    " payment, answering disputes, and the audit log. An admin may call every operation"
    " here and under integration, and nothing else.",
    Audience.INTEGRATION: "For the systems that feed the data in and watch the service:"
    " ingest (deals, activities, participants, the hierarchy, quotas…) and the metrics,"
    " besides the reads any token may make; an integration reads nobody's pay (those"
    " reads answer it 404 or nothing). An admin may call these too.",
    Audience.ADMIN: "For administrators: API users' bearer tokens (listed without their"
    " secrets, issued with an optional expiry, revoked). An admin may also call every"
    " operation under finance and integration.",
    Audience.GAMES: "Contests, leaderboards and achievements, and everything an office"
    " display (role `display`) may read: its boards, the periods and itself.",
    Audience.PUBLIC: "No token needed: the health check, for load balancers and orchestrators.",
}

TAGS = [Tag(name=audience.value, description=DESCRIPTIONS[audience]) for audience in Audience]


def callers(path: str, handler: HTTPRouteHandler) -> frozenset[Role]:
    """The roles that may call ``handler``, routed at ``path``."""
    allowed = admitted(handler)
    return allowed & PARTICIPANTS if path.startswith(OWN) else allowed


def audiences(path: str, handler: HTTPRouteHandler) -> list[str]:
    """The tags of the operation ``handler`` serves at ``path``: one per audience."""
    if handler.opt.get("exclude_from_auth"):
        return [Audience.PUBLIC]
    found = {AUDIENCE_OF[role] for role in callers(path, handler) if role in AUDIENCE_OF}
    if GAME_RESOURCES & set(path.split("/")):
        found.add(Audience.GAMES)
    if not found and Role.ADMIN in callers(path, handler):
        found.add(Audience.ADMIN)
    return [audience.value for audience in Audience if audience in found]
