"""Persistence: SQLAlchemy models, connections, migrations and the embedded server."""
