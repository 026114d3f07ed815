"""The deputy's duty record in chat: ``社情民意 内容`` (an observation, not a case),
``我的积分`` (this year's 履职积分, rank, last entries); the office's ``积分排名``; the year-end
履职之星 list."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from casework.cases import MAX_CASE_TEXT
from casework.errors import NotPermitted, Refused
from casework.outbox import Message
from casework.points import standing, sync
from handlers.turn import Turn
from storage.county_file import LEVELS
from storage.duty_rules import DEFAULT_STARS
from storage.models import County, Deputy, Observation

__all__ = ["my_points", "ranking_lines", "report_observation", "stars_message", "wants_duty"]

OBSERVATION = "社情民意"
_LEVEL_NAMES = {
    "national": "全国", "provincial": "省", "city": "市", "county": "县", "township": "乡镇",
}  # fmt: skip


def wants_duty(text: str) -> bool:
    return text == OBSERVATION or text.startswith(OBSERVATION + " ") or text in ("积分排名",)


def _year(turn: Turn) -> int:
    return turn.now.astimezone(turn.services.casework.calendar.zone).year


def report_observation(turn: Turn) -> None:
    deputy = turn.identity.deputy
    if deputy is None:
        raise NotPermitted("社情民意仅供人大代表报送。")
    text = turn.text.removeprefix(OBSERVATION).strip(" ：:")
    if len(text) < 5:
        raise Refused("请在“社情民意”后写明您了解到的情况，例如：社情民意 东岭村留守老人看病难……")
    if len(text) > MAX_CASE_TEXT:
        raise Refused(f"社情民意有{len(text)}字，超过了{MAX_CASE_TEXT}字的上限，请精简后再发送。")
    result = turn.services.classifier.classify(text)
    turn.session.add(
        Observation(deputy_code=deputy.code, text=text, category=result.category,
                    keywords=list(result.keywords), created_at=turn.now)
    )  # fmt: skip
    turn.session.flush()
    zone = turn.services.casework.calendar.zone
    local = turn.now.astimezone(zone)
    start = datetime(local.year, local.month, 1, tzinfo=zone)
    count = turn.session.scalar(
        select(func.count(Observation.id)).where(
            Observation.deputy_code == deputy.code, Observation.created_at >= start
        )
    )
    turn.reply(
        f"已登记您报送的社情民意（类别：{result.category}），本月第{count}条，"
        "将汇总报送代表工委。社情民意不生成工单；如是群众的具体诉求，请用“代录”登记。"
    )
    turn.send_to("office", f"【社情民意】{deputy.name}代表（{result.category}）：{text}")


def my_points(turn: Turn) -> None:
    deputy = turn.identity.deputy
    if deputy is None:
        raise NotPermitted("履职积分仅供人大代表查看。")
    year = _year(turn)
    totals = sync(turn.session, year, turn.services.casework.calendar.zone, turn.now)
    mine = standing(turn.session, deputy, year, totals)
    lines = [f"{deputy.name}代表，{year}年度履职积分：", f"本年度积分：{mine.total} 分"]
    if mine.station is not None:
        lines.append(
            f"站内排名：第{mine.station_rank}名（{mine.station.name}，共{mine.station_size}位）"
        )
    lines.append(f"全县排名：第{mine.county_rank}名（共{mine.county_size}位）")
    if mine.recent:
        zone = turn.services.casework.calendar.zone
        lines.append("最近记录：")
        for e in mine.recent:
            when = e.at.astimezone(zone)
            lines.append(f"· {when.month}月{when.day}日 {e.rule} {e.delta:+d}｜{e.reason}")
    else:
        lines.append("本年度尚无积分记录。")
    lines.append("积分按自然年计算，每年1月1日清零。")
    turn.reply("\n".join(lines))


def ranking_lines(session: Session, totals: dict[str, int], limit: int | None = None) -> list[str]:
    deputies = {d.code: d for d in session.scalars(select(Deputy))}
    ordered = sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))
    lines = []
    for place, (code, total) in enumerate(ordered[:limit], start=1):
        d = deputies[code]
        lines.append(
            f"{place}. {d.name}（{code}，{_LEVEL_NAMES.get(d.level, d.level)}级）{total} 分"
        )
    return lines


def office_ranking(turn: Turn) -> None:
    year = _year(turn)
    totals = sync(turn.session, year, turn.services.casework.calendar.zone, turn.now)
    turn.reply(
        f"{year}年度履职积分排名（前20位）：\n" + "\n".join(ranking_lines(turn.session, totals, 20))
    )


def stars_message(session: Session, year: int, zone, now: datetime) -> Message:
    """履职之星: the top N of each level (N: ``stars:`` in the county file)."""
    totals = sync(session, year, zone, now)
    county = session.scalars(select(County)).first()
    top = (county.stars if county and county.stars else None) or DEFAULT_STARS
    by_level: dict[str, list[Deputy]] = {}
    for d in session.scalars(select(Deputy).order_by(Deputy.code)):
        by_level.setdefault(d.level, []).append(d)
    parts = [f"【履职之星】{year}年度履职积分各级前{top}名："]
    for level in LEVELS:
        members = sorted(by_level.get(level, []), key=lambda d: (-totals.get(d.code, 0), d.code))
        if not members:
            continue
        names = "、".join(f"{d.name}（{totals.get(d.code, 0)}分）" for d in members[:top])
        parts.append(f"{_LEVEL_NAMES[level]}级代表：{names}")
    parts.append("积分明细：grid-intake points --year " + str(year))
    return Message("office", "\n".join(parts))


def handle_duty(turn: Turn) -> None:
    if turn.text == "积分排名":
        if turn.identity.role != "office":
            raise NotPermitted("积分排名由代表工委查看；代表请发送“我的积分”。")
        return office_ranking(turn)
    report_observation(turn)
