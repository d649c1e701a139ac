"""Games benchmark: live leaderboards under ingest, and leaderboard reads."""
