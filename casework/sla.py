"""Time limits (DESIGN.md §6): when a case must be accepted and answered, when reminders and
escalations fall due, and how long residents have to rate. Defaults as the design says; a
county overrides any of them with an ``sla:`` section in its county file."""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from datetime import datetime, time, timedelta
from typing import Any

from casework.calendar import WorkingCalendar

__all__ = ["ALARM_KINDS", "DueTimes", "SlaPolicy", "SurveyTimes"]


def _default_answer_days() -> dict[str, int]:
    # Guangdong 12345 rules (2022): 咨询 2 working days, 求助/建议 10, 投诉/举报 15.
    return {"咨询": 2, "求助": 10, "建议": 10, "投诉": 15, "举报": 15}


# For each limit (accept, answer): a reminder at 75%, one at the limit, the station head
# one working day after it, the office (通报) five working days after it.
ALARM_KINDS = tuple(
    f"{limit}_{step}" for limit in ("accept", "answer") for step in ("75", "due", "head", "office")
)


@dataclass(frozen=True)
class DueTimes:
    accept_by: datetime
    answer_by: datetime


@dataclass(frozen=True)
class SurveyTimes:
    rating_remind_at: datetime
    rating_expires_at: datetime
    recheck_at: datetime
    recheck_expires_at: datetime


@dataclass(frozen=True)
class SlaPolicy:
    accept_working_days: int = 1
    urgent_accept_hours: float = 2
    answer_working_days: dict[str, int] = field(default_factory=_default_answer_days)
    # "Same day" for urgent cases; one reported late at night still gets a few hours.
    urgent_answer_min_hours: float = 4
    reminder_share: float = 0.75
    head_after_working_days: int = 1
    office_after_working_days: int = 5
    reminders_from: time = time(8, 0)
    reminders_until: time = time(21, 0)
    rating_reminder_hours: float = 24
    rating_expires_days: float = 7
    recheck_after_days: float = 28
    recheck_expires_days: float = 7
    lookback_days: int = 60
    # Sent outbox rows older than this leave the hot table for outbox_archive (daily job).
    outbox_retention_days: int = 90

    @classmethod
    def from_overrides(cls, overrides: dict[str, Any] | None) -> SlaPolicy:
        """The defaults with a county's ``sla:`` values; unknown names are refused."""
        policy = cls()
        if not overrides:
            return policy
        known = {f.name for f in fields(cls)}
        unknown = set(overrides) - known
        if unknown:
            raise ValueError(f"unknown sla settings: {', '.join(sorted(unknown))}")
        values: dict[str, Any] = {}
        for name, value in overrides.items():
            if name in ("reminders_from", "reminders_until"):
                value = time.fromisoformat(str(value))
            elif name == "answer_working_days":
                value = {**_default_answer_days(), **{str(k): int(v) for k, v in value.items()}}
            values[name] = value
        return replace(policy, **values)

    def due_times(
        self, calendar: WorkingCalendar, created: datetime, *, urgent: bool, request_type: str
    ) -> DueTimes:
        if urgent:
            local = created.astimezone(calendar.zone)
            end_of_day = datetime.combine(local.date(), time(23, 59), tzinfo=calendar.zone)
            answer_by = max(
                end_of_day.astimezone(created.tzinfo),
                created + timedelta(hours=self.urgent_answer_min_hours),
            )
            return DueTimes(created + timedelta(hours=self.urgent_accept_hours), answer_by)
        days = self.answer_working_days.get(request_type, self.answer_working_days["求助"])
        return DueTimes(
            calendar.add_working_days(created, self.accept_working_days),
            calendar.add_working_days(created, days),
        )

    def waking(self, calendar: WorkingCalendar, instant: datetime) -> datetime:
        """``instant`` if it is within reminder hours, else the next 08:00 (local) of any
        day: for what residents hear (a rating reminder), not for what deputies are chased
        with (``working_moment``)."""
        local = instant.astimezone(calendar.zone)
        if self.reminders_from <= local.time() < self.reminders_until:
            return instant
        day = local.date() if local.time() < self.reminders_from else local.date() + timedelta(1)
        return datetime.combine(day, self.reminders_from, tzinfo=calendar.zone).astimezone(
            instant.tzinfo
        )

    def working_moment(self, calendar: WorkingCalendar, instant: datetime) -> datetime:
        """``instant`` if it is on a working day within reminder hours, else the next start of
        reminder hours on a working day (a holiday or a weekend is skipped, 调休 counted)."""
        return calendar.next_working_moment(instant, self.reminders_from, self.reminders_until)

    def is_working_moment(self, calendar: WorkingCalendar, instant: datetime) -> bool:
        return calendar.is_working_moment(instant, self.reminders_from, self.reminders_until)

    def alarms(
        self, calendar: WorkingCalendar, start: datetime, due: DueTimes
    ) -> dict[str, datetime]:
        """When each reminder and escalation falls due, in working time: the 75% point is
        75% of the working time between ``start`` and the limit, the escalations one and
        five working days after it; each then moved to a working moment."""
        times: dict[str, datetime] = {}
        for limit, deadline in (("accept", due.accept_by), ("answer", due.answer_by)):
            times[f"{limit}_75"] = self._share_point(calendar, start, deadline)
            times[f"{limit}_due"] = deadline
            times[f"{limit}_head"] = calendar.add_working_days(
                deadline, self.head_after_working_days
            )
            times[f"{limit}_office"] = calendar.add_working_days(
                deadline, self.office_after_working_days
            )
        return {kind: self.working_moment(calendar, at) for kind, at in times.items()}

    def _share_point(
        self, calendar: WorkingCalendar, start: datetime, deadline: datetime
    ) -> datetime:
        working = calendar.working_time(start, deadline)
        if not working:  # e.g. an urgent two-hour limit on a holiday: nothing before it
            return deadline
        return calendar.add_working_time(start, working * self.reminder_share)

    def survey_times(self, calendar: WorkingCalendar, resolved: datetime) -> SurveyTimes:
        """The resident's side after 办结. The rating reminder and the closing follow the
        resident's own clock (24 hours, 7 days, holidays included: a resident has time on a
        holiday), only inside reminder hours. The 4-week recheck is a 回访 by the office, so
        it is asked at a working moment, like the office would telephone."""
        recheck = self.working_moment(calendar, resolved + timedelta(days=self.recheck_after_days))
        return SurveyTimes(
            rating_remind_at=self.waking(
                calendar, resolved + timedelta(hours=self.rating_reminder_hours)
            ),
            rating_expires_at=self.waking(
                calendar, resolved + timedelta(days=self.rating_expires_days)
            ),
            recheck_at=recheck,
            recheck_expires_at=self.waking(
                calendar, recheck + timedelta(days=self.recheck_expires_days)
            ),
        )
