"""Calculation runs: load inputs from PostgreSQL, evaluate with the engine, persist results."""
