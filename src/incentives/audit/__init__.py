"""The append-only audit log of every write made through the API or the CLI."""
