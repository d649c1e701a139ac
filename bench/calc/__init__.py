"""Calculation-run benchmark: full run against a SQL baseline, incremental latency, reads."""
