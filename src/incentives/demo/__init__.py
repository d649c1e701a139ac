"""A deterministic, realistic demo data set and the ``incentives demo`` command."""
