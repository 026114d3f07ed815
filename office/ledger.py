"""The case ledger as the command line shows it (text lines, or JSON with full history)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from casework.lifecycle import STATUS_LABELS, Status
from storage.models import Case

__all__ = ["case_as_json", "case_as_text"]


def _iso(instant: datetime | None, zone: ZoneInfo) -> str | None:
    return instant.astimezone(zone).isoformat() if instant else None


def case_as_json(case: Case, tz: str) -> dict[str, Any]:
    zone = ZoneInfo(tz)
    return {
        "ticket": case.ticket,
        "status": case.status,
        "status_label": STATUS_LABELS[Status(case.status)],
        "text": case.text,
        "category": case.category,
        "confidence": case.confidence,
        "keywords": case.keywords,
        "urgent": case.urgent,
        "request_type": case.request_type,
        "grid": case.grid_code,
        "station": case.station_code,
        "deputy": case.deputy_code,
        "department": case.department_code,
        "entry_code": case.entry_code,
        "location": [case.latitude, case.longitude] if case.latitude is not None else None,
        "photos": len(case.photos),
        "created_at": _iso(case.created_at, zone),
        "accept_due_at": _iso(case.accept_due_at, zone),
        "answer_due_at": _iso(case.answer_due_at, zone),
        "accepted_at": _iso(case.accepted_at, zone),
        "answered_at": _iso(case.answered_at, zone),
        "resolved_at": _iso(case.resolved_at, zone),
        "resolution": case.resolution,
        "events": [
            {
                "at": _iso(e.at, zone),
                "kind": e.kind,
                "actor": e.actor,
                "status": e.status_after,
                "note": e.note,
            }
            for e in case.events
        ],
    }


def case_as_text(case: Case, tz: str) -> str:
    zone = ZoneInfo(tz)
    created = case.created_at.astimezone(zone).strftime("%Y-%m-%d %H:%M")
    label = STATUS_LABELS[Status(case.status)]
    deputy = case.deputy_code or "-"
    return (
        f"{case.ticket}  {created}  {label:<6}  {case.category:<8}  {deputy:<6}  {case.text[:30]}"
    )
