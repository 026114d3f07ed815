"""Working time (issue 11, item 3): every reminder point is measured in working time and lands
on a working day inside reminder hours, across National Day and Spring Festival 2026 with
their 调休 make-up days; a county's own calendar overrides the package (item 4).

2026 per chinese-calendar 1.11: Spring Festival 15–23 February off, Saturdays 14 and 28
February make-up working days; National Day 1–7 October off, Sunday 20 September and
Saturday 10 October make-up working days."""

from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from casework.calendar import WorkingCalendar, package_knows
from casework.sla import SlaPolicy

SHANGHAI = ZoneInfo("Asia/Shanghai")
OPENS, CLOSES = time(8, 0), time(21, 0)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def shown(instant: datetime) -> str:
    return instant.astimezone(SHANGHAI).strftime("%m-%d %a %H:%M")


@pytest.fixture
def calendar() -> WorkingCalendar:
    return WorkingCalendar(SHANGHAI)


# --- working time and working moments --------------------------------------------------------


def test_a_working_day_holds_24_hours_of_working_time_and_a_holiday_none(calendar) -> None:
    # Eve of National Day 10:00 → 8 October 10:00: 14 hours on 30 September, 10 on 8 October.
    assert calendar.working_time(at("2026-09-30T10:00"), at("2026-10-08T10:00")) == timedelta(
        hours=24
    )
    assert calendar.working_time(at("2026-10-02T00:00"), at("2026-10-06T00:00")) == timedelta()
    # The make-up Saturday counts, the Sunday after it does not.
    assert calendar.working_time(at("2026-10-10T00:00"), at("2026-10-12T00:00")) == timedelta(
        hours=24
    )


@pytest.mark.parametrize(
    ("start", "hours", "expected"),
    [
        pytest.param("2026-09-30T10:00", 18, "2026-10-08T04:00", id="over-national-day"),
        pytest.param("2026-02-13T15:00", 18, "2026-02-14T09:00", id="into-makeup-saturday"),
        pytest.param("2026-02-14T20:00", 10, "2026-02-24T06:00", id="over-spring-festival"),
        pytest.param("2026-10-03T10:00", 1, "2026-10-08T01:00", id="from-inside-a-holiday"),
    ],
)
def test_working_time_is_added_over_holidays(calendar, start, hours, expected) -> None:
    assert calendar.add_working_time(at(start), timedelta(hours=hours)) == at(expected)


@pytest.mark.parametrize(
    ("instant", "expected"),
    [
        pytest.param("2026-09-30T21:30", "2026-10-08T08:00", id="eve-of-national-day-night"),
        pytest.param("2026-10-04T10:00", "2026-10-08T08:00", id="inside-national-day"),
        pytest.param("2026-10-09T22:00", "2026-10-10T08:00", id="to-makeup-saturday"),
        pytest.param("2026-10-10T21:00", "2026-10-12T08:00", id="sunday-after-makeup-is-off"),
        pytest.param("2026-09-19T22:00", "2026-09-20T08:00", id="to-makeup-sunday"),
        pytest.param("2026-02-14T21:00", "2026-02-24T08:00", id="over-spring-festival"),
        pytest.param("2026-02-27T23:00", "2026-02-28T08:00", id="spring-makeup-saturday"),
        pytest.param("2026-11-24T04:50", "2026-11-24T08:00", id="early-on-a-working-day"),
        pytest.param("2026-11-24T10:00", "2026-11-24T10:00", id="already-a-working-moment"),
    ],
)
def test_the_next_working_moment_skips_nights_weekends_and_holidays(
    calendar, instant, expected
) -> None:
    assert calendar.next_working_moment(at(instant), OPENS, CLOSES) == at(expected)


# --- every reminder point lands in working time -------------------------------------------------


def _starts(first: str, last: str, step: timedelta) -> list[datetime]:
    out, t = [], at(first)
    while t <= at(last):
        out.append(t)
        t += step
    return out


@pytest.mark.parametrize(
    "window",
    [
        pytest.param(("2026-09-24T00:00", "2026-10-11T23:00"), id="national-day"),
        pytest.param(("2026-02-10T00:00", "2026-03-01T23:00"), id="spring-festival"),
    ],
)
@pytest.mark.parametrize("urgent", [False, True], ids=["normal", "urgent"])
@pytest.mark.parametrize("request_type", ["咨询", "求助", "投诉"])
def test_every_reminder_and_escalation_lands_on_a_working_day_in_reminder_hours(
    calendar, window, urgent, request_type
) -> None:
    policy = SlaPolicy()
    for start in _starts(*window, timedelta(hours=5)):
        due = policy.due_times(calendar, start, urgent=urgent, request_type=request_type)
        for kind, instant in policy.alarms(calendar, start, due).items():
            local = instant.astimezone(SHANGHAI)
            assert calendar.is_working_day(local.date()), (shown(start), kind, shown(instant))
            assert OPENS <= local.time() < CLOSES, (shown(start), kind, shown(instant))


def test_the_reminder_points_of_a_case_before_national_day(calendar) -> None:
    policy = SlaPolicy()
    start = at("2026-09-30T10:00")
    due = policy.due_times(calendar, start, urgent=False, request_type="求助")
    assert {kind: shown(t) for kind, t in policy.alarms(calendar, start, due).items()} == {
        # 18 of the 24 working hours to the limit have passed at 04:00 on 8 October.
        "accept_75": "10-08 Thu 08:00",
        "accept_due": "10-08 Thu 10:00",
        "accept_head": "10-09 Fri 10:00",
        "accept_office": "10-14 Wed 10:00",  # 9, 10 (make-up Saturday), 12, 13, 14
        # 180 of 240 working hours: 15 October 22:00, after reminder hours.
        "answer_75": "10-16 Fri 08:00",
        "answer_due": "10-20 Tue 10:00",
        "answer_head": "10-21 Wed 10:00",
        "answer_office": "10-27 Tue 10:00",
    }


def test_the_reminder_points_of_a_case_before_spring_festival(calendar) -> None:
    policy = SlaPolicy()
    start = at("2026-02-13T15:00")  # Friday before the holiday
    due = policy.due_times(calendar, start, urgent=False, request_type="求助")
    assert {kind: shown(t) for kind, t in policy.alarms(calendar, start, due).items()} == {
        "accept_75": "02-14 Sat 09:00",  # the make-up Saturday
        "accept_due": "02-14 Sat 15:00",
        "accept_head": "02-24 Tue 15:00",  # the first working day after the holiday
        "accept_office": "02-28 Sat 15:00",  # 24, 25, 26, 27 and the make-up 28th
        "answer_75": "03-03 Tue 08:00",
        "answer_due": "03-05 Thu 15:00",
        "answer_head": "03-06 Fri 15:00",
        "answer_office": "03-12 Thu 15:00",
    }


def test_an_urgent_case_reported_in_the_holiday_is_chased_on_the_first_working_morning(
    calendar,
) -> None:
    # Decided: urgent limits are hours (2 h to accept, the same day to answer), but their
    # reminders follow the same rule as every other — a working day, 08:00–21:00.
    policy = SlaPolicy()
    start = at("2026-10-03T10:00")
    due = policy.due_times(calendar, start, urgent=True, request_type="求助")
    alarms = {kind: shown(t) for kind, t in policy.alarms(calendar, start, due).items()}
    assert alarms["accept_75"] == alarms["accept_due"] == "10-08 Thu 08:00"
    assert alarms["accept_head"] == "10-08 Thu 12:00"
    assert alarms["answer_head"] == "10-09 Fri 08:00"


# --- the resident's side: the rating reminder and the 4-week recheck -------------------------


def test_the_recheck_is_asked_on_a_working_day_and_the_rating_reminder_in_waking_hours(
    calendar,
) -> None:
    policy = SlaPolicy()
    # Resolved Friday 4 September 15:00: four weeks later is 2 October, inside National Day.
    times = policy.survey_times(calendar, at("2026-09-04T15:00"))
    assert times.recheck_at == at("2026-10-08T08:00")
    assert times.recheck_expires_at == at("2026-10-15T08:00")
    # Resolved on the eve at 22:00: the reminder 24 hours later would be 22:00 on 1 October;
    # the resident hears it at 08:00 the next morning (a resident's own time, holiday or not).
    times = policy.survey_times(calendar, at("2026-09-30T22:00"))
    assert times.rating_remind_at == at("2026-10-02T08:00")
    assert times.rating_expires_at == at("2026-10-08T08:00")


# --- the county's own calendar ------------------------------------------------------------------

# An ILLUSTRATIVE 2027 National Day (not the official schedule, which is not published yet):
# 1–7 October off, Saturday 9 October worked.
COUNTY_2027 = {
    "holidays": [f"2027-10-0{d}" for d in range(1, 8)],
    "workdays": ["2027-10-09"],
}


def test_the_installed_package_knows_2026_but_not_2027() -> None:
    assert package_knows(2026)
    assert not package_knows(2027)


def test_a_county_calendar_overrides_the_package_for_the_dates_it_lists(caplog) -> None:
    county = WorkingCalendar.from_county(SHANGHAI, COUNTY_2027)
    with caplog.at_level(logging.WARNING, logger="casework.calendar"):
        assert county.add_working_days(at("2027-09-30T10:00"), 1) == at("2027-10-08T10:00")
        assert county.add_working_days(at("2027-10-08T10:00"), 1) == at("2027-10-09T10:00")
        assert county.is_working_day(date(2027, 10, 4)) is False  # a Monday, listed off
        assert county.is_working_day(date(2027, 10, 11)) is True  # unlisted: Monday–Friday
    assert county.knows(2027)
    assert caplog.records == []  # the county knows 2027: no fallback warning
    # Without the county's dates the same days fall back to Monday–Friday without the
    # fixed-date holidays: 国庆 1–3 October is known, the 调休 days are not.
    assert WorkingCalendar(SHANGHAI).add_working_days(at("2027-09-30T10:00"), 1) == at(
        "2027-10-04T10:00"
    )


def test_a_county_date_also_overrides_a_year_the_package_knows() -> None:
    county = WorkingCalendar.from_county(SHANGHAI, {"holidays": ["2026-11-24"], "workdays": []})
    assert county.add_working_days(at("2026-11-23T09:00"), 1) == at("2026-11-25T09:00")


def test_a_date_in_both_lists_is_refused() -> None:
    with pytest.raises(ValueError, match="both"):
        WorkingCalendar.from_county(
            SHANGHAI, {"holidays": ["2027-10-01"], "workdays": ["2027-10-01"]}
        )


def test_the_fallback_warning_goes_to_the_log_not_to_the_terminal(caplog, capsys) -> None:
    calendar = WorkingCalendar(SHANGHAI)
    with caplog.at_level(logging.WARNING, logger="casework.calendar"):
        calendar.add_working_days(at("2027-03-01T09:00"), 10)
        calendar.add_working_days(at("2027-05-01T09:00"), 10)
    assert [(r.name, r.getMessage()) for r in caplog.records] == [
        (
            "casework.calendar",
            "no official holiday schedule for 2027 yet; using Monday-Friday without the"
            " fixed-date holidays",
        )
    ]
    assert capsys.readouterr().out == ""
