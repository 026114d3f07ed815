"""The case list (filters, search, pages) and the case page (ledger, messages, actions)."""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlencode

from sqlalchemy import select
from sqlalchemy.orm import selectinload
from starlette.responses import RedirectResponse, Response

from casework.errors import Refused
from casework.lifecycle import STATUS_LABELS, Status
from casework.overdue import is_overdue, late_limit
from nlp.classifier import DEFAULT_CATEGORIES
from office.dashboard.case_actions import VERBS, act
from office.dashboard.queries import CaseFilter, list_cases
from office.dashboard.web import Ctx, action, page, render
from storage.models import Case, Department, Deputy, Grid, OutboxMessage, Station

__all__ = ["case_action", "case_list", "case_page"]

EVENT_LABELS = {
    "submitted": "登记", "routed_to_office": "转代表工委", "assigned": "交办",
    "reassigned": "改派", "accepted": "签收", "answered": "答复", "transferred": "转办",
    "resolved": "办结", "returned": "退回", "cancelled": "撤销", "reminded": "提醒",
    "escalated_head": "报站长督办", "escalated_office": "通报", "supervised": "代表工委督办",
    "office_note": "内部备注", "resident_wrote": "居民留言", "rated": "评价", "closed": "结案",
    "reopened": "重新办理",
}  # fmt: skip


def _options(ctx: Ctx) -> dict:
    stations = ctx.db.scalars(select(Station).order_by(Station.code)).all()
    grids = ctx.db.scalars(select(Grid).order_by(Grid.code)).all()
    deputies = ctx.db.scalars(select(Deputy).order_by(Deputy.code)).all()
    if ctx.station is not None:
        stations = [s for s in stations if s.code == ctx.station]
        grids = [g for g in grids if g.station_code == ctx.station]
    categories = _categories(ctx)
    return {"stations": stations, "grids": grids, "deputies": deputies, "categories": categories}


def _categories(ctx: Ctx) -> list[str]:
    model = getattr(ctx.dashboard.services.classifier, "model", None)
    return list(dict.fromkeys([*DEFAULT_CATEGORIES, *getattr(model, "categories", ())]))


@page
def case_list(ctx: Ctx) -> Response:
    params = dict(ctx.request.query_params)
    wanted = CaseFilter.from_query(params)
    now = ctx.dashboard.clock.now()
    listing = list_cases(ctx.db, wanted, now, ctx.dashboard.zone, ctx.station)
    kept = {k: v for k, v in params.items() if k != "page" and v}

    def page_link(number: int) -> str:
        return "/office/cases?" + urlencode({**kept, "page": number})

    return render(
        ctx, "cases.html", listing=listing, wanted=wanted, params=params, page_link=page_link,
        statuses=STATUS_LABELS, zone=ctx.dashboard.zone, now=now, is_overdue=is_overdue,
        **_options(ctx),
    )  # fmt: skip


def _case(ctx: Ctx) -> Case:
    ticket = ctx.request.path_params["ticket"].upper()
    case = ctx.db.scalars(
        select(Case)
        .where(Case.ticket == ticket)
        .options(
            selectinload(Case.events),
            selectinload(Case.deputy),
            selectinload(Case.station),
            selectinload(Case.grid),
            selectinload(Case.department),
        )
    ).first()
    # Another station's case is, for a station head, a case that does not exist.
    if case is None or (ctx.station is not None and case.station_code != ctx.station):
        raise ctx.not_found()
    return case


@page
def case_page(ctx: Ctx) -> Response:
    case = _case(ctx)
    now = ctx.dashboard.clock.now()
    messages = ctx.db.scalars(
        select(OutboxMessage).where(OutboxMessage.case_id == case.id).order_by(OutboxMessage.id)
    ).all()
    deputies = ctx.db.scalars(
        select(Deputy).options(selectinload(Deputy.stations)).order_by(Deputy.code)
    ).all()
    everyone = list(deputies)
    if ctx.station is not None:
        deputies = [d for d in deputies if ctx.station in {s.code for s in d.stations}]
    else:  # the case's station first
        deputies = sorted(
            deputies, key=lambda d: case.station_code not in {s.code for s in d.stations}
        )
    departments = ctx.db.scalars(select(Department).order_by(Department.code)).all()
    return render(
        ctx, "case.html", case=case, messages=messages, deputies=deputies,
        departments=departments, zone=ctx.dashboard.zone, now=now,
        status_label=STATUS_LABELS[Status(case.status)], event_labels=EVENT_LABELS,
        late=late_limit(case, now), statuses=STATUS_LABELS,
        recipients=_recipients(messages, everyone, case),
    )  # fmt: skip


def _recipients(messages: Sequence[OutboxMessage], deputies: Sequence[Deputy], case: Case) -> dict:
    """Who a message went to, in words: 居民, 代表 name, 代表工委."""
    names = {f"deputy:{d.code}": f"{d.name}代表" for d in deputies}
    names["office"] = "代表工委"
    reporter = f"identity:{case.origin_identity_id}"
    for m in messages:
        if m.recipient.startswith("identity:"):
            names[m.recipient] = "居民（反映人）" if m.recipient == reporter else "居民（关注人）"
    return names


@action
def case_action(ctx: Ctx) -> Response:
    verb = ctx.request.path_params["verb"]
    if verb not in VERBS:
        raise ctx.not_found()
    case = _case(ctx)
    target = f"/office/cases/{case.ticket}"
    try:
        with ctx.db.begin_nested():  # a refusal undoes only this action
            done = act(
                ctx.db, ctx.dashboard.services, case, verb, ctx.form,
                actor=ctx.actor, name=ctx.me.name, station=ctx.station,
            )  # fmt: skip
    except Refused as refusal:
        ctx.flash(str(refusal), "error")
        return RedirectResponse(target, status_code=303)
    ctx.flash(done)
    return RedirectResponse(target, status_code=303)
