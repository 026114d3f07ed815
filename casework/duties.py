"""The monthly duties (八个一, per county: ``duties:`` in the county file): what each deputy
did last month, and what they did not."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from casework.receptions import attended
from storage.duty_rules import DEFAULT_DUTIES, DUTY_LABELS
from storage.models import County, Deputy, Observation

__all__ = ["DutyGap", "duties_of", "gaps", "month_bounds", "previous_month"]


@dataclass(frozen=True)
class DutyGap:
    name: str  # receptions | observations
    done: int
    required: int

    @property
    def label(self) -> str:
        unit = "次" if self.name == "receptions" else "条"
        return f"{DUTY_LABELS[self.name]}（{self.done}/{self.required}{unit}）"


def duties_of(session: Session) -> dict[str, int]:
    county = session.scalars(select(County)).first()
    return {**DEFAULT_DUTIES, **((county.duties if county else None) or {})}


def previous_month(period: str) -> str:
    year, month = (int(p) for p in period.split("-"))
    year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return f"{year}-{month:02d}"


def month_bounds(period: str) -> tuple[date, date]:
    year, month = (int(p) for p in period.split("-"))
    start = date(year, month, 1)
    end = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    return start, end


def _local_midnight(day: date, zone) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=zone)


def done(session: Session, deputy: Deputy, period: str, zone) -> dict[str, int]:
    start, end = month_bounds(period)
    observations = session.scalar(
        select(func.count(Observation.id)).where(
            Observation.deputy_code == deputy.code,
            Observation.created_at >= _local_midnight(start, zone),
            Observation.created_at < _local_midnight(end, zone),
        )
    )
    return {
        "receptions": len(attended(session, deputy.code, start, end)),
        "observations": observations or 0,
    }


def gaps(session: Session, deputy: Deputy, period: str, zone) -> list[DutyGap]:
    """The duties of ``period`` (YYYY-MM) that ``deputy`` has not done in full."""
    counts = done(session, deputy, period, zone)
    return [
        DutyGap(name, counts.get(name, 0), required)
        for name, required in duties_of(session).items()
        if required > 0 and counts.get(name, 0) < required
    ]
