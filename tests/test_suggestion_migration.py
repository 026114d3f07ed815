"""The suggestions migration numbers what was collected before numbers existed, from the same
per-year counter new suggestions use, and marks accounts only ever seen in a group."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from casework.tickets import next_ticket
from storage.db import make_engine, migrate
from storage.models import ChatIdentity
from tests.conftest import PG_URL, _reset_postgres

ROWS = """
INSERT INTO townships (code, name) VALUES ('YSZ', '阳朔镇');
INSERT INTO stations (code, name, township_code, kind, topics) VALUES
    ('ST-DL', '东岭片区人大代表联络站', 'YSZ', 'area', '[]');
INSERT INTO residents (id, display_name, created_at) VALUES (1, 'wang', '2026-11-02 01:00:00'),
    (2, 'li', '2026-11-02 01:00:00');
INSERT INTO chat_identities (id, channel, external_id, role, resident_id, display_name,
    created_at) VALUES (1, 'telegram', '1001', 'resident', 1, 'wang', '2026-11-02 01:00:00'),
    (2, 'telegram', '1002', 'resident', 2, 'li', '2026-11-02 01:00:00');
INSERT INTO dialog_states (channel, chat_id, user_id, state, data, choices, updated_at)
    VALUES ('telegram', '1001', '1001', 'idle', '{}', '[]', '2026-11-02 01:00:00');
INSERT INTO hometown_groups (id, channel, chat_id, station_code, bound_at)
    VALUES (1, 'telegram', '-100200', 'ST-DL', '2026-11-02 01:00:00');
INSERT INTO suggestions (group_id, author_id, author_name, text, category, keywords, created_at)
    VALUES (1, '1001', 'wang', '村里的路该修了', '交通运输', '[]', '2026-11-02 02:00:00'),
           (1, '1002', 'li', '路灯太暗', '城乡建设', '[]', '2026-11-03 02:00:00');
"""


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_old_suggestions_get_numbers_and_the_counter_goes_on(backend: str, tmp_path: Path):
    if backend == "postgresql":
        if not PG_URL:
            pytest.skip("GRID_INTAKE_TEST_PG is not set")
        _reset_postgres(PG_URL)
        url = PG_URL
    else:
        url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    engine = make_engine(url)
    migrate(engine, "0006")  # the revision before the suggestions one
    with engine.begin() as connection:
        for statement in ROWS.strip().split(";"):
            if statement.strip():
                connection.execute(text(statement))
    migrate(engine)
    with engine.begin() as connection:
        rows = connection.execute(
            text(
                "SELECT number, station_code, author_identity_id, status FROM suggestions "
                "ORDER BY id"
            )
        ).all()
        only_in_group = (
            connection.execute(text("SELECT external_id FROM chat_identities WHERE group_only"))
            .scalars()
            .all()
        )
    assert [tuple(r) for r in rows] == [
        ("JY-2026-000001", "ST-DL", 1, "collected"),
        ("JY-2026-000002", "ST-DL", 2, "collected"),
    ]
    assert only_in_group == ["1002"]  # li never wrote to the bot in private
    from sqlalchemy.orm import Session

    with Session(engine) as session, session.begin():
        assert next_ticket(session, "JY", 2026) == "JY-2026-000003"
        assert session.get(ChatIdentity, 1).group_only is False
    engine.dispose()
