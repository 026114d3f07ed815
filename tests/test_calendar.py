"""Working days (调休 included), answer limits, durations and the manual clock (DESIGN.md §6)."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from casework.calendar import WorkingCalendar
from casework.clock import ManualClock, parse_duration
from casework.sla import DueTimes, SlaPolicy

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(year: int, month: int, day: int, hour: int = 15, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


@pytest.fixture
def calendar() -> WorkingCalendar:
    return WorkingCalendar(SHANGHAI)


# --- working days -----------------------------------------------------------------------------
# 2026 per chinese_calendar: 国庆 Oct 1–7 off; Sunday Sep 20 and Saturday Oct 10 are 调休
# make-up working days; Sunday Oct 11 is an ordinary day off.


@pytest.mark.parametrize(
    ("start", "days", "due"),
    [
        pytest.param(at(2026, 9, 30), 1, at(2026, 10, 8), id="eve-of-national-day-to-oct-8"),
        pytest.param(at(2026, 9, 30), 2, at(2026, 10, 9), id="two-days-over-national-day"),
        pytest.param(at(2026, 9, 30), 3, at(2026, 10, 10), id="third-day-is-makeup-saturday"),
        pytest.param(at(2026, 9, 30), 4, at(2026, 10, 12), id="sunday-after-makeup-is-off"),
        pytest.param(at(2026, 10, 3, 10), 1, at(2026, 10, 8, 10), id="given-during-holiday"),
        pytest.param(at(2026, 11, 20), 1, at(2026, 11, 23), id="ordinary-friday-to-monday"),
        pytest.param(at(2026, 10, 9), 1, at(2026, 10, 10), id="friday-to-makeup-saturday"),
        pytest.param(at(2026, 10, 10), 1, at(2026, 10, 12), id="given-on-makeup-saturday"),
        pytest.param(at(2026, 9, 19, 10), 1, at(2026, 9, 20, 10), id="to-makeup-sunday"),
    ],
)
def test_working_days_follow_the_official_holiday_schedule(
    calendar: WorkingCalendar, start: datetime, days: int, due: datetime
) -> None:
    assert calendar.add_working_days(start, days) == due


def test_makeup_saturday_is_a_working_day_and_the_holiday_is_not(
    calendar: WorkingCalendar,
) -> None:
    assert calendar.is_working_day(at(2026, 10, 10).date()) is True
    assert calendar.is_working_day(at(2026, 10, 5).date()) is False


def test_a_deadline_given_in_utc_is_counted_on_the_local_calendar(
    calendar: WorkingCalendar,
) -> None:
    # 2026-09-30 07:00 UTC is 15:00 in Shanghai, the eve of National Day.
    start = datetime(2026, 9, 30, 7, 0, tzinfo=UTC)

    due = calendar.add_working_days(start, 1)

    assert due == datetime(2026, 10, 8, 7, 0, tzinfo=UTC)
    assert due.astimezone(SHANGHAI) == at(2026, 10, 8)


@pytest.mark.parametrize(
    ("start", "due"),
    [
        pytest.param(at(2027, 3, 5), at(2027, 3, 8), id="friday-to-monday"),
        pytest.param(at(2027, 3, 3), at(2027, 3, 4), id="wednesday-to-thursday"),
    ],
)
def test_a_year_without_a_published_schedule_falls_back_to_monday_to_friday(
    calendar: WorkingCalendar, start: datetime, due: datetime
) -> None:
    assert calendar.add_working_days(start, 1) == due


def test_a_year_without_a_published_schedule_is_logged_once(
    calendar: WorkingCalendar, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="casework.calendar"):
        calendar.add_working_days(at(2099, 3, 2), 10)

    assert [r.getMessage() for r in caplog.records] == [
        "no official holiday schedule for 2099 yet; using Monday-Friday without the fixed-date"
        " holidays"
    ]


# --- answer limits ----------------------------------------------------------------------------

MONDAY_9AM = at(2026, 11, 23, 9)


@pytest.mark.parametrize(
    ("request_type", "answer_by"),
    [
        ("咨询", at(2026, 11, 25, 9)),  # 2 working days
        ("求助", at(2026, 12, 7, 9)),  # 10
        ("建议", at(2026, 12, 7, 9)),  # 10
        ("投诉", at(2026, 12, 14, 9)),  # 15
        ("举报", at(2026, 12, 14, 9)),  # 15
    ],
)
def test_answer_limit_depends_on_the_request_type(
    calendar: WorkingCalendar, request_type: str, answer_by: datetime
) -> None:
    due = SlaPolicy().due_times(calendar, MONDAY_9AM, urgent=False, request_type=request_type)

    assert due == DueTimes(accept_by=at(2026, 11, 24, 9), answer_by=answer_by)


def test_answer_limit_skips_the_national_day_holiday(calendar: WorkingCalendar) -> None:
    due = SlaPolicy().due_times(calendar, at(2026, 9, 30), urgent=False, request_type="咨询")

    assert due == DueTimes(accept_by=at(2026, 10, 8), answer_by=at(2026, 10, 9))


@pytest.mark.parametrize(
    ("created", "accept_by", "answer_by"),
    [
        pytest.param(
            at(2026, 11, 23, 10), at(2026, 11, 23, 12), at(2026, 11, 23, 23, 59), id="morning"
        ),
        pytest.param(
            at(2026, 10, 3, 10), at(2026, 10, 3, 12), at(2026, 10, 3, 23, 59), id="on-a-holiday"
        ),
        pytest.param(
            at(2026, 11, 23, 22, 30), at(2026, 11, 24, 0, 30), at(2026, 11, 24, 2, 30), id="late"
        ),
    ],
)
def test_urgent_case_is_accepted_in_two_hours_and_answered_the_same_day(
    calendar: WorkingCalendar, created: datetime, accept_by: datetime, answer_by: datetime
) -> None:
    due = SlaPolicy().due_times(calendar, created, urgent=True, request_type="求助")

    assert due == DueTimes(accept_by=accept_by, answer_by=answer_by)


# --- durations and the manual clock ------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30m", timedelta(minutes=30)),
        ("26h", timedelta(hours=26)),
        ("2d", timedelta(days=2)),
        ("1d12h", timedelta(days=1, hours=12)),
        (" 2D ", timedelta(days=2)),
    ],
)
def test_durations_are_read_the_way_the_simulator_user_types_them(
    text: str, expected: timedelta
) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [("", "empty duration"), ("5", "needs a unit"), ("abc", "use e.g. 30m")],
)
def test_a_malformed_duration_is_refused_with_a_hint(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_duration(text)


def test_manual_clock_stands_still_until_advanced() -> None:
    clock = ManualClock(MONDAY_9AM)

    clock.advance(parse_duration("1d12h"))

    assert clock.now() == at(2026, 11, 24, 21)
    assert clock.now() == at(2026, 11, 24, 21)


def test_manual_clock_refuses_to_go_backwards() -> None:
    clock = ManualClock(MONDAY_9AM)

    with pytest.raises(ValueError, match="backwards"):
        clock.set(at(2026, 11, 23, 8))
    with pytest.raises(ValueError, match="backwards"):
        clock.advance(timedelta(minutes=-1))
    assert clock.now() == MONDAY_9AM


def test_manual_clock_refuses_a_naive_start() -> None:
    with pytest.raises(ValueError, match="aware"):
        ManualClock(datetime(2026, 11, 23, 9, 0))


def test_a_year_without_a_schedule_still_keeps_the_fixed_date_holidays() -> None:
    """No reminder on New Year's Day 2027 although no schedule for 2027 is published yet."""
    calendar = WorkingCalendar(ZoneInfo("Asia/Shanghai"))
    assert calendar.is_working_day(date(2026, 12, 31)) is True
    assert calendar.is_working_day(date(2027, 1, 1)) is False  # 元旦, a Friday
    assert calendar.is_working_day(date(2027, 4, 5)) is False  # 清明, its solar term
    assert calendar.is_working_day(date(2027, 5, 3)) is True  # not fixed: 调休 unknown
    assert calendar.is_working_day(date(2027, 10, 1)) is False  # 国庆
    assert calendar.is_working_day(date(2027, 10, 4)) is True
