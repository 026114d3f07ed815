"""What happened to hometown suggestions, named in the past tense; ``handlers`` renders them.

Kept apart from the case events (``casework.events``): suggestions have their own ledger
and their own audience (groups, authors, supporters, the station's deputies).
"""

from __future__ import annotations

from dataclasses import dataclass

from storage.models import Case, ChatIdentity, Deputy, HometownGroup, Station, Suggestion

__all__ = [
    "DigestItem",
    "DigestPrepared",
    "SuggestionAdopted",
    "SuggestionAnswered",
    "SuggestionDigested",
    "SuggestionEvent",
    "SuggestionHidden",
]


@dataclass(frozen=True)
class SuggestionAnswered:
    suggestion: Suggestion
    deputy: Deputy
    groups: tuple[HometownGroup, ...]  # every group the suggestion or its repeats came from
    people: tuple[ChatIdentity, ...]  # author and supporters the bot can write to privately


@dataclass(frozen=True)
class SuggestionAdopted:
    suggestion: Suggestion
    case: Case
    deputy: Deputy
    groups: tuple[HometownGroup, ...]
    people: tuple[ChatIdentity, ...]


@dataclass(frozen=True)
class SuggestionHidden:
    suggestion: Suggestion
    reason: str
    people: tuple[ChatIdentity, ...]  # the author, when reachable


@dataclass(frozen=True)
class SuggestionDigested:
    """First time in a monthly digest (汇总报送): the author hears it went to the deputies."""

    suggestion: Suggestion
    people: tuple[ChatIdentity, ...]


@dataclass(frozen=True)
class DigestItem:
    suggestion: Suggestion
    supporters: int  # the author included


@dataclass(frozen=True)
class DigestPrepared:
    """One station's (or, with ``station`` None, the county's) digest of a month."""

    station: Station | None
    month: str  # YYYY-MM, the month covered
    new: tuple[DigestItem, ...]  # the month's suggestions (merged ones counted as supports)
    earlier: tuple[DigestItem, ...]  # older ones still without an answer
    recipients: tuple[str, ...]  # deputy:CODE … or office
    note: str = ""  # e.g. why the office gets a station's digest


SuggestionEvent = (
    SuggestionAnswered | SuggestionAdopted | SuggestionHidden | SuggestionDigested | DigestPrepared
)
