"""Domain events: what happened to a case, named in the past tense. Handlers render them."""

from __future__ import annotations

from dataclasses import dataclass

from storage.models import Case, Department, Deputy

__all__ = [
    "CalendarUnknown",
    "CaseAccepted",
    "CaseAssigned",
    "CaseCancelled",
    "CaseClosed",
    "CaseEscalated",
    "CaseRated",
    "CaseReassigned",
    "CaseReopened",
    "CaseResolved",
    "CaseReturned",
    "CaseSubmitted",
    "CaseSupervised",
    "CaseTransferred",
    "DeputyAnswered",
    "DialogExpired",
    "DutiesListed",
    "DutyReminded",
    "Event",
    "LookbackListed",
    "RecheckAnswered",
    "ReminderDue",
    "ResidentWrote",
    "RoutedToOffice",
    "SurveyAsked",
]


@dataclass(frozen=True)
class CaseSubmitted:
    case: Case


@dataclass(frozen=True)
class CaseAssigned:
    case: Case
    deputy: Deputy
    reason: str  # why this deputy, for the ledger and the office


@dataclass(frozen=True)
class CaseReassigned:
    """The case changed hands: a station head took it over, or the office reassigned it."""

    case: Case
    deputy: Deputy  # who handles it now
    previous: Deputy  # who no longer does
    by: str  # head | office


@dataclass(frozen=True)
class CaseReturned:
    """The deputy handed the case back to the office (退回), with a reason."""

    case: Case
    deputy: Deputy
    reason: str


@dataclass(frozen=True)
class RoutedToOffice:
    case: Case
    reason: str


@dataclass(frozen=True)
class CaseAccepted:
    case: Case
    deputy: Deputy
    late: bool


@dataclass(frozen=True)
class DeputyAnswered:
    case: Case
    deputy: Deputy
    text: str


@dataclass(frozen=True)
class CaseTransferred:
    case: Case
    deputy: Deputy
    department: Department


@dataclass(frozen=True)
class CaseResolved:
    case: Case
    deputy: Deputy
    note: str


@dataclass(frozen=True)
class ResidentWrote:
    case: Case
    text: str


@dataclass(frozen=True)
class CaseCancelled:
    case: Case


@dataclass(frozen=True)
class DialogExpired:
    channel: str
    chat_id: str
    draft_text: str


@dataclass(frozen=True)
class ReminderDue:
    """A deputy's limit is near (75%) or reached."""

    case: Case
    limit: str  # accept | answer
    step: str  # 75 | due
    overdue: bool = False  # sent well after the limit (quiet hours, holiday, outage)


@dataclass(frozen=True)
class CaseEscalated:
    case: Case
    limit: str  # accept | answer
    level: str  # head | office
    heads: tuple[Deputy, ...]  # who is told (empty: the office)
    days: int = 0  # working days past the limit
    tell_deputy: bool = True  # False when a later step of the same batch tells them
    tell_resident: bool = False  # the first time this supervisor is brought in this round


@dataclass(frozen=True)
class CaseSupervised:
    """督办 by hand: the office (chat ``督办 T`` or the dashboard) pushes the deputy now."""

    case: Case
    by: str  # who, in words (代表工委, or a staff member's name)
    note: str = ""
    tell_resident: bool = False  # the first 督办 by the office this round


@dataclass(frozen=True)
class SurveyAsked:
    case: Case
    kind: str  # rating | recheck
    reminder: bool


@dataclass(frozen=True)
class CaseRated:
    case: Case
    score: int


@dataclass(frozen=True)
class CaseClosed:
    case: Case
    unrated: bool  # closed as 未评价 after the rating window


@dataclass(frozen=True)
class RecheckAnswered:
    case: Case
    answer: str  # fixed | partly | not


@dataclass(frozen=True)
class CaseReopened:
    case: Case
    reason: str
    source: str  # rating | recheck | resident (重新反映)
    heads: tuple[Deputy, ...]


@dataclass(frozen=True)
class LookbackListed:
    """The monthly 回头看: cases open for more than the lookback period."""

    cases: tuple[Case, ...]
    days: int


@dataclass(frozen=True)
class CalendarUnknown:
    """Next year's (or this year's) holiday schedule is known neither to ``chinese-calendar``
    nor to the county file: working days fall back to Monday–Friday."""

    year: int


@dataclass(frozen=True)
class DutyReminded:
    """The monthly duty reminder to one deputy (接待选民、报送社情民意): ``month`` begins;
    ``missing`` is what they did not do in ``last_month`` (labels with counts)."""

    deputy: Deputy
    month: str
    missing: tuple[str, ...] = ()
    last_month: str = ""


@dataclass(frozen=True)
class DutiesListed:
    """To the office on the 1st: the deputies who did not do last month's duties."""

    month: str  # the month looked back on
    rows: tuple[tuple[Deputy, tuple[str, ...]], ...]


Event = (
    CaseSubmitted
    | CaseAssigned
    | CaseReassigned
    | CaseReturned
    | RoutedToOffice
    | CaseAccepted
    | DeputyAnswered
    | CaseTransferred
    | CaseResolved
    | CaseSupervised
    | ResidentWrote
    | CaseCancelled
    | DialogExpired
    | ReminderDue
    | CaseEscalated
    | SurveyAsked
    | CaseRated
    | CaseClosed
    | RecheckAnswered
    | CaseReopened
    | LookbackListed
    | DutyReminded
    | DutiesListed
    | CalendarUnknown
)
