"""Benchmarks: each measures one capability against its target (see bench/README.md)."""
