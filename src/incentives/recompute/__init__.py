"""Bringing pay up to date after an ingest: at once in the background, and again later
for any recompute a crash or a failure cut short."""
