"""Persistence: SQLAlchemy models, sessions, Alembic migrations and the county file."""
