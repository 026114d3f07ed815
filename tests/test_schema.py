"""The models describe exactly the schema the migrations make (indexes and their partial
predicates included), on SQLite and on PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from storage.db import make_engine, migrate
from storage.models import Base


def test_the_models_match_the_migrations(db_url: str) -> None:
    engine = make_engine(db_url)
    migrate(engine)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []
    finally:
        engine.dispose()
