"""Idempotent batch upserts of participants, assignments, deals and activities."""
