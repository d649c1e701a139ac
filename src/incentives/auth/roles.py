"""The roles a principal may hold: one vocabulary for the database, the CLI and the API."""

from __future__ import annotations

import enum


class Role(enum.StrEnum):
    """What a principal is. Reps and managers are participants; a display is a screen
    on an office wall, which reads the boards meant to be shown and nobody's pay."""

    REP = "rep"
    MANAGER = "manager"
    FINANCE = "finance"
    ADMIN = "admin"
    INTEGRATION = "integration"
    DISPLAY = "display"


# The roles with pay of their own: a principal of these roles is linked to a participant.
PARTICIPANTS = frozenset({Role.REP, Role.MANAGER})
