"""Domain events: what happened to a case, named in the past tense. Handlers render them."""

from __future__ import annotations

from dataclasses import dataclass

from storage.models import Case, Department, Deputy

__all__ = [
    "CaseAccepted",
    "CaseAssigned",
    "CaseCancelled",
    "CaseResolved",
    "CaseSubmitted",
    "CaseTransferred",
    "DeputyAnswered",
    "DialogExpired",
    "Event",
    "ResidentWrote",
    "RoutedToOffice",
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


Event = (
    CaseSubmitted
    | CaseAssigned
    | RoutedToOffice
    | CaseAccepted
    | DeputyAnswered
    | CaseTransferred
    | CaseResolved
    | ResidentWrote
    | CaseCancelled
    | DialogExpired
)
