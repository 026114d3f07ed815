"""``grid-intake bench dashboard --cases N``: fill a database with N cases (each with its
ledger rows) and time the dashboard's pages as its server answers them, in process through
the ASGI app (no network): the case list unfiltered, deep in its pages, with each filter
and the text search, the today board and a case page. Figures are milliseconds per page."""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from casework.cases import text_digest
from storage.db import SessionFactory, transaction
from storage.models import Case, CaseEvent, ChatIdentity, Deputy, Grid, Resident

__all__ = ["PAGES", "Timing", "fill_cases", "time_pages"]

STATUSES = (
    ("submitted", 2), ("assigned", 8), ("accepted", 10), ("transferred", 5), ("answered", 5),
    ("resolved", 10), ("rated", 5), ("closed", 50), ("reopened", 2), ("cancelled", 3),
)  # fmt: skip
CATEGORIES = ("城乡建设", "交通出行", "农业农村", "环境保护", "社会保障", "教育文体", "医疗卫生")
TEXTS = (
    "{place}的路灯坏了好几天，晚上出行很不方便",
    "{place}的水渠堵了，农田灌溉不了",
    "{place}路口垃圾堆放没人清理，气味很大",
    "{place}的道路坑洼，下雨积水严重",
    "{place}附近噪音扰民，晚上十点后还在施工",
)
BATCH = 5000


def fill_cases(sessions: SessionFactory, count: int, now: datetime, seed: int = 7) -> None:
    """``count`` cases over the year before ``now``, spread over the county's grids and
    deputies, with two or three ledger rows each (bulk inserts, not the casework path)."""
    rng = random.Random(seed)
    with transaction(sessions) as session:
        grids = [(g.code, g.station_code, g.name) for g in session.scalars(select(Grid))]
        deputies = {g.code: [d.code for d in g.deputies] for g in session.scalars(select(Grid))}
        every_deputy = list(session.scalars(select(Deputy.code)))
        resident = Resident(display_name="bench", created_at=now)
        session.add(resident)
        session.flush()
        identity = ChatIdentity(
            channel="bench", external_id=f"bench-{resident.id}", role="resident",
            resident_id=resident.id,
            display_name="bench", created_at=now,
        )  # fmt: skip
        session.add(identity)
        session.flush()
        first = (session.scalar(select(func.max(Case.id))) or 0) + 1
        resident_id, identity_id = resident.id, identity.id
    statuses = [s for s, weight in STATUSES for _ in range(weight)]
    for start in range(0, count, BATCH):
        cases, events = [], []
        for offset in range(start, min(count, start + BATCH)):
            case_id = first + offset
            grid, station, place = rng.choice(grids)
            status = rng.choice(statuses)
            created = now - timedelta(minutes=rng.randrange(365 * 24 * 60))
            deputy = None if status == "submitted" else rng.choice(
                deputies.get(grid) or every_deputy
            )  # fmt: skip
            text = rng.choice(TEXTS).format(place=place) + f"（编号{case_id}）"
            accepted = status not in ("submitted", "assigned", "reopened", "cancelled")
            answered = status in ("answered", "resolved", "rated", "closed")
            resolved = status in ("resolved", "rated", "closed")
            cases.append({
                "id": case_id, "ticket": f"BN-{created.year}-{case_id:07d}",
                "resident_id": resident_id, "origin_identity_id": identity_id, "text": text,
                "text_digest": text_digest(text), "photos": [], "grid_code": grid,
                "station_code": station, "category": rng.choice(CATEGORIES), "confidence": 0.8,
                "keywords": [], "urgent": rng.random() < 0.05, "request_type": "求助",
                "status": status, "deputy_code": deputy, "created_at": created,
                "accept_due_at": created + timedelta(days=1),
                "answer_due_at": created + timedelta(days=14),
                "accepted_at": created + timedelta(hours=5) if accepted else None,
                "answered_at": created + timedelta(days=5) if answered else None,
                "resolved_at": created + timedelta(days=9) if resolved else None,
                "round": 1 if status == "reopened" else 0,
                "rating": rng.choice((None, 3, 4, 5, 2)) if status in ("rated", "closed") else None,
            })  # fmt: skip
            events.append(
                {
                    "case_id": case_id,
                    "at": created,
                    "kind": "submitted",
                    "actor": "resident:1",
                    "status_after": "submitted",
                    "note": "",
                }
            )
            if deputy is not None:
                events.append(
                    {
                        "case_id": case_id,
                        "at": created,
                        "kind": "assigned",
                        "actor": "system",
                        "status_after": "assigned",
                        "note": deputy,
                    }
                )
            if resolved:
                events.append({"case_id": case_id, "at": created + timedelta(days=9),
                               "kind": "resolved", "actor": f"deputy:{deputy}",
                               "status_after": "resolved", "note": "已处理"})  # fmt: skip
        with transaction(sessions) as session:
            session.execute(insert(Case), cases)
            session.execute(insert(CaseEvent), events)


# What is timed: a name, and the path of the page.
PAGES = (
    ("case list, page 1", "/office/cases"),
    ("case list, page 1000", "/office/cases?page=1000"),
    ("status = 已签收", "/office/cases?status=accepted"),
    ("station ST-DL", "/office/cases?station=ST-DL"),
    ("deputy D001", "/office/cases?deputy=D001"),
    ("category + urgent", "/office/cases?category=交通出行&urgent=1"),
    ("date range (1 month)", "/office/cases?since={month_ago}&until={today}"),
    ("overdue", "/office/cases?overdue=1"),
    ("text search 路灯", "/office/cases?q=路灯"),
    ("today board", "/office/"),
    ("case page", "/office/cases/{ticket}"),
)


@dataclass(frozen=True)
class Timing:
    name: str
    median_ms: float
    max_ms: float
    rows: int  # bytes of the page, as a check that it held something


def time_pages(get: Callable[[str], tuple[int, int]], session: Session, now: datetime,
               zone, repeat: int = 5) -> list[Timing]:  # fmt: skip
    """``get(path)`` → (status, bytes); each page ``repeat`` times after one warm-up."""
    ticket = session.scalar(select(Case.ticket).order_by(Case.id.desc()).limit(1)) or ""
    local = now.astimezone(zone).date()
    values = {"ticket": ticket, "today": local.isoformat(),
              "month_ago": (local - timedelta(days=30)).isoformat()}  # fmt: skip
    timings = []
    for name, template in PAGES:
        path = template.format(**values)
        status, size = get(path)
        if status != 200:
            raise RuntimeError(f"{path}: HTTP {status}")
        runs = []
        for _ in range(repeat):
            started = time.perf_counter()
            get(path)
            runs.append((time.perf_counter() - started) * 1000)
        timings.append(Timing(name, statistics.median(runs), max(runs), size))
    return timings
