"""The dashboard's database questions: the today board's lists and the filtered, paged case
list. Overdue is :mod:`casework.overdue`'s rule (its SQL form, so lists page in the database);
every list loads the rows it shows with their deputy, station and grid in one go (no N+1)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session, selectinload

from casework.lifecycle import Status
from casework.overdue import overdue_clause
from casework.routing import OPEN_STATUSES
from storage.models import Case, CaseEvent

__all__ = ["BOARD", "PAGE_SIZE", "CaseFilter", "Listing", "board_list", "list_cases"]

PAGE_SIZE = 50
ESCALATIONS = ("escalated_head", "escalated_office", "supervised")

# The today board: key → (title, what it means).
BOARD = {
    "unrouted": ("待交办", "未能自动交办代表，等待代表工委指定"),
    "late_accept": ("逾期未签收", "已过签收时限，代表仍未签收"),
    "late_answer": ("逾期未答复", "已过答复时限，仍未答复居民"),
    "escalated": ("已督办/通报", "办理中、已报站长督办或代表工委通报的工单"),
    "reopened": ("重新办理", "居民不满意或问题复发，重新办理中"),
    "unrated": ("未评价", "已办结，居民尚未评价"),
}


def _loaded(query: Select) -> Select:
    return query.options(
        selectinload(Case.deputy), selectinload(Case.station), selectinload(Case.grid)
    )


def _board_clause(key: str, now: datetime):
    match key:
        case "unrouted":
            return Case.status == Status.SUBMITTED
        case "late_accept":
            return overdue_clause(now, "accept")
        case "late_answer":
            return overdue_clause(now, "answer")
        case "escalated":
            escalated = select(CaseEvent.case_id).where(CaseEvent.kind.in_(ESCALATIONS))
            return Case.status.in_(OPEN_STATUSES) & Case.id.in_(escalated)
        case "reopened":
            return Case.status == Status.REOPENED
        case "unrated":
            return (Case.status == Status.RESOLVED) & Case.rating.is_(None)
    raise KeyError(key)


def board_list(
    session: Session, key: str, now: datetime, station: str | None, limit: int = 20
) -> tuple[int, list[Case]]:
    """How many cases one board list holds, and the oldest ``limit`` of them."""
    where = [_board_clause(key, now)]
    if station is not None:
        where.append(Case.station_code == station)
    count = session.scalar(select(func.count()).select_from(Case).where(*where)) or 0
    rows = session.scalars(_loaded(select(Case).where(*where).order_by(Case.id).limit(limit)))
    return count, list(rows)


@dataclass
class CaseFilter:
    status: str = ""
    station: str = ""
    grid: str = ""
    deputy: str = ""
    category: str = ""
    urgent: bool = False
    overdue: bool = False
    since: date | None = None
    until: date | None = None
    text: str = ""
    page: int = 1
    extra: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_query(cls, params: dict[str, str]) -> CaseFilter:
        def day(value: str | None) -> date | None:
            try:
                return date.fromisoformat(value) if value else None
            except ValueError:
                return None

        try:
            number = max(1, int(params.get("page") or 1))
        except ValueError:
            number = 1
        return cls(
            status=params.get("status", "").strip(),
            station=params.get("station", "").strip().upper(),
            grid=params.get("grid", "").strip().upper(),
            deputy=params.get("deputy", "").strip().upper(),
            category=params.get("category", "").strip(),
            urgent=params.get("urgent") == "1",
            overdue=params.get("overdue") == "1",
            since=day(params.get("since")),
            until=day(params.get("until")),
            text=params.get("q", "").strip()[:100],
            page=number,
        )

    def conditions(self, now: datetime, zone: ZoneInfo) -> list:
        where = []
        if self.status:
            where.append(Case.status == self.status)
        if self.station:
            where.append(Case.station_code == self.station)
        if self.grid:
            where.append(Case.grid_code == self.grid)
        if self.deputy:
            where.append(Case.deputy_code == self.deputy)
        if self.category:
            where.append(Case.category == self.category)
        if self.urgent:
            where.append(Case.urgent.is_(True))
        if self.overdue:
            where.append(overdue_clause(now))
        if self.since:
            where.append(Case.created_at >= datetime.combine(self.since, time(0), tzinfo=zone))
        if self.until:
            end = datetime.combine(self.until, time(23, 59, 59, 999999), tzinfo=zone)
            where.append(Case.created_at <= end)
        if self.text:
            # LIKE, not ILIKE: Chinese has no case, and ILIKE is four times slower on
            # PostgreSQL; tickets are upper case, so the words are too for them.
            pattern = "%" + self.text.replace("\\", "\\\\").replace("%", r"\%").replace("_", r"\_")
            pattern += "%"
            where.append(
                or_(
                    Case.ticket.like(pattern.upper(), escape="\\"),
                    Case.text.like(pattern, escape="\\"),
                )
            )
        return where


@dataclass(frozen=True)
class Listing:
    cases: list[Case]
    total: int
    page: int
    pages: int


def list_cases(
    session: Session, wanted: CaseFilter, now: datetime, zone: ZoneInfo, station: str | None
) -> Listing:
    """One page of the newest cases that match ``wanted`` (a station head: theirs only)."""
    where = wanted.conditions(now, zone)
    if station is not None:
        where.append(Case.station_code == station)
    total = session.scalar(select(func.count()).select_from(Case).where(*where)) or 0
    pages = max(1, -(-total // PAGE_SIZE))
    number = min(wanted.page, pages)
    query = (
        select(Case)
        .where(*where)
        .order_by(Case.id.desc())
        .limit(PAGE_SIZE)
        .offset((number - 1) * PAGE_SIZE)
    )
    return Listing(list(session.scalars(_loaded(query))), total, number, pages)
