"""Offline what-if simulation: evaluate a plan file over CSV data, no database needed."""
