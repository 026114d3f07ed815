"""The dashboard's pages over HTTP: the today board, the case list and its filters, the case
page and its actions (through casework: the same chat messages, the lifecycle's refusals),
a station head's view, the figures (the report's numbers), the xlsx, suggestions, county."""

from __future__ import annotations

import io
from datetime import timedelta

from openpyxl import load_workbook
from sqlalchemy import select

from office.report import month_tables
from storage.db import transaction
from storage.models import Case
from tests.office.dashboard_helpers import TICKET, a_case, csrf_of, log_in, make_staff, web_client


def office_client(app):
    client = web_client(app)
    assert log_in(client, make_staff(app, "王主任")).status_code == 303
    return client


def the_case(app) -> Case:
    with transaction(app.sessions) as session:
        case = session.scalars(select(Case).where(Case.ticket == TICKET)).one()
        _ = case.events, case.deputy
        return case


async def test_the_today_board_counts_and_links_overdue_cases(sim, clock):
    await a_case(sim)
    client = office_client(sim.app)
    board = client.get("/office/")
    assert board.status_code == 200
    assert "逾期未签收（0件）" in board.text and "待交办（0件）" in board.text
    clock.advance(timedelta(days=3))  # past the 签收 limit, no jobs run
    board = client.get("/office/")
    assert "逾期未签收（1件）" in board.text
    assert f'href="/office/cases/{TICKET}"' in board.text
    await sim.advance("2d")  # the sweeps escalate it: 督办
    assert "已督办/通报（1件）" in client.get("/office/").text


async def test_the_case_list_filters_searches_and_pages(sim, clock):
    await a_case(sim)
    await a_case(sim, "西街的路灯坏了，晚上很黑")
    client = office_client(sim.app)
    everything = client.get("/office/cases")
    assert everything.status_code == 200 and "工单（2件）" in everything.text
    assert "工单（1件）" in client.get("/office/cases?q=路灯").text
    assert "工单（1件）" in client.get("/office/cases?q=ys-2026-000002").text
    assert "工单（1件）" in client.get("/office/cases?station=ST-DL").text
    assert "工单（0件）" in client.get("/office/cases?overdue=1").text
    clock.advance(timedelta(days=3))
    assert "工单（2件）" in client.get("/office/cases?overdue=1").text
    assert "工单（0件）" in client.get("/office/cases?status=resolved").text
    assert "工单（0件）" in client.get("/office/cases?since=2030-01-01").text
    assert "工单（2件）" in client.get("/office/cases?until=2030-01-01&page=9").text
    assert "工单（0件）" in client.get("/office/cases?q=100%25").text  # % is literal


async def test_reassigning_on_the_case_page_tells_both_deputies_and_names_the_staff(sim):
    await a_case(sim)
    before = the_case(sim.app).deputy_code
    client = office_client(sim.app)
    page = client.get(f"/office/cases/{TICKET}")
    assert page.status_code == 200 and "办理记录" in page.text and "东岭村的水渠" in page.text
    target = "D001" if before != "D001" else "D002"
    done = client.post(
        f"/office/cases/{TICKET}/assign", data={"csrf": csrf_of(page.text), "deputy": target}
    )
    assert done.status_code == 200 and "已将工单" in done.text and "改派" in done.text
    await sim.sender.drain()
    sent = sim.recorder.take()
    assert any(s.chat_id == f"deputy:{target}" and "【新交办工单】" in s.text for s in sent)
    assert any(s.chat_id == f"deputy:{before}" and "您无需再办理" in s.text for s in sent)
    case = the_case(sim.app)
    assert case.deputy_code == target
    assert (case.events[-1].kind, case.events[-1].actor) == ("reassigned", "staff:王主任")


async def test_the_lifecycle_refuses_on_the_page_as_in_chat(sim):
    await a_case(sim)
    client = office_client(sim.app)
    csrf = csrf_of(client.get(f"/office/cases/{TICKET}").text)
    refused = client.post(
        f"/office/cases/{TICKET}/transfer", data={"csrf": csrf, "department": "DEP-ZJ"}
    )
    assert "不能转办" in refused.text or "请选择承办部门" in refused.text
    assert the_case(sim.app).status == "assigned"
    deputy = the_case(sim.app).deputy_code
    await sim.say(f"deputy:{deputy}", f"受理 {TICKET}")
    department = client.get(f"/office/cases/{TICKET}").text.split('name="department"')[1]
    code = department.split('<option value="')[2].split('"')[0]
    moved = client.post(f"/office/cases/{TICKET}/transfer", data={"csrf": csrf, "department": code})
    assert "已将工单" in moved.text and "转办" in moved.text
    assert the_case(sim.app).status == "transferred"


async def test_urging_and_a_note(sim):
    await a_case(sim)
    sim.recorder.take()
    client = office_client(sim.app)
    csrf = csrf_of(client.get(f"/office/cases/{TICKET}").text)
    urged = client.post(
        f"/office/cases/{TICKET}/urge", data={"csrf": csrf, "note": "今天内联系群众"}
    )
    assert "已督办" in urged.text
    await sim.sender.drain()
    sent = {s.chat_id: s.text for s in sim.recorder.take()}
    deputy = the_case(sim.app).deputy_code
    assert "【督办】" in sent[f"deputy:{deputy}"] and "王主任" in sent[f"deputy:{deputy}"]
    assert "督办意见：今天内联系群众" in sent[f"deputy:{deputy}"]
    # The resident hears once that the office pushed it, never the office's own words.
    [told] = [t for c, t in sent.items() if not c.startswith("deputy:")]
    assert "已督办您反映的问题" in told and "今天内联系群众" not in told
    noted = client.post(f"/office/cases/{TICKET}/note", data={"csrf": csrf, "text": "已电话联系"})
    assert "内部备注" in noted.text and "已电话联系" in noted.text
    await sim.sender.drain()
    assert sim.recorder.take() == []  # a note tells no one
    assert [e.kind for e in the_case(sim.app).events][-2:] == ["supervised", "office_note"]
    empty = client.post(f"/office/cases/{TICKET}/note", data={"csrf": csrf, "text": " "})
    assert "备注内容不能为空" in empty.text
    assert client.post(f"/office/cases/{TICKET}/nope", data={"csrf": csrf}).status_code == 404


async def test_a_station_head_sees_only_their_station(sim):
    await a_case(sim)  # ST-DL
    await a_case(sim, "西街的路灯坏了，晚上很黑")  # ST-XJ
    client = web_client(sim.app)
    assert log_in(client, make_staff(sim.app, "西街站长", "station-head", "ST-XJ")).status_code
    listing = client.get("/office/cases")
    assert "工单（1件）" in listing.text and TICKET not in listing.text
    other = client.get(f"/office/cases/{TICKET}")
    assert other.status_code == 404 and "没有找到" in other.text
    csrf = csrf_of(listing.text)
    blocked = client.post(f"/office/cases/{TICKET}/urge", data={"csrf": csrf})
    assert blocked.status_code == 404
    assert client.get("/office/figures").status_code == 403
    assert client.get("/office/county").status_code == 403
    assert client.get("/office/suggestions").status_code == 200


async def test_the_figures_are_the_reports_and_the_xlsx_downloads(sim):
    await a_case(sim)
    client = office_client(sim.app)
    month = sim.clock.now().strftime("%Y-%m")
    page = client.get(f"/office/figures?month={month}")
    assert page.status_code == 200 and "<svg" in page.text and "按时办结率" in page.text
    with transaction(sim.app.sessions) as session:
        _now, _cases, tables = month_tables(
            session, month, sim.app.services.casework.calendar.zone, now=sim.clock.now()
        )
        total = [str(v) for v in tables["合计"][0]]
    assert "".join(f"<td>{v}</td>" for v in total) in page.text
    download = client.get(f"/office/figures.xlsx?month={month}")
    assert download.status_code == 200 and "attachment" in download.headers["content-disposition"]
    book = load_workbook(io.BytesIO(download.content))
    assert book["台账"]["A2"].value == TICKET


async def test_figures_over_a_range_of_months_count_every_month_and_refuse_a_bad_range(
    sqlite_sim,
):
    sim = sqlite_sim
    await a_case(sim)  # November
    await sim.advance("31d")
    await a_case(sim, "东岭村的水渠堵了，农田灌溉不了")  # December
    client = office_client(sim.app)
    one = client.get("/office/figures?month=2026-12")
    assert "受理 1 件" in one.text
    both = client.get("/office/figures?month=2026-11&to=2026-12")
    assert both.status_code == 200 and "统计 2026-11 至 2026-12" in both.text
    assert "受理 2 件" in both.text and "合并计算" in both.text
    backwards = client.get("/office/figures?month=2026-12&to=2026-11")
    assert "结束月份不能早于开始月份" in backwards.text and "受理 1 件" in backwards.text
    too_long = client.get("/office/figures?month=2024-01&to=2026-12")
    assert "一次最多统计 24 个月" in too_long.text
    typo = client.get("/office/figures?month=2026-11&to=2026-13")
    assert typo.status_code == 200 and "格式不对" in typo.text


async def test_the_suggestions_page_shows_supports_and_answer_codes(sqlite_sim):
    sim = sqlite_sim
    client = office_client(sim.app)
    assert "本月建议（0条）" in client.get("/office/suggestions?month=2026-11").text
    group = "group:dl-home"
    await sim.step({"from": group, "start": "ST-DL"})
    light = "东岭村村口那几盏路灯坏了快一个月了，晚上黑乎乎的"
    await sim.step({"from": group, "user": "wang", "text": f"#建议 {light}"})
    await sim.step({"from": group, "user": "zhao", "text": "附议 JY-2026-000001"})
    await sim.say("deputy:D001", "答复建议 JY-2026-000001 B 已报供电所，月底前更换")
    page = client.get("/office/suggestions?month=2026-11")
    assert page.status_code == 200 and "本月建议（1条）" in page.text
    row = page.text.split("JY-2026-000001")[1].split("</tr>")[0]
    assert "<td>2</td>" in row  # the author and one support
    assert '<span class="tag">B</span>' in row and "月底前更换" in row
    assert "东岭片区人大代表联络站" in page.text and "答复率" in page.text


def test_a_county_file_with_a_typo_shows_its_lines_and_imports_nothing(app):
    client = office_client(app)
    page = client.get("/office/county")
    assert page.status_code == 200 and "联络站" in page.text
    current = client.get("/office/county.yaml")
    assert current.status_code == 200 and "ST-DL" in current.text
    typo = current.text.replace("name: 西街片区", "nmae: 西街片区", 1)
    typo = typo.replace("东岭片区人大代表联络站", "东岭片区联络站（改）", 1)
    assert typo != current.text
    sent = client.post(
        "/office/county",
        data={"csrf": csrf_of(page.text)},
        files={"file": ("county.yaml", typo.encode(), "application/x-yaml")},
    )
    assert sent.status_code == 400 and "未导入任何内容" in sent.text
    assert "第" in sent.text and "行" in sent.text and "nmae" in sent.text
    assert client.get("/office/county.yaml").text == current.text  # nothing imported
    fixed = current.text.replace("东岭片区人大代表联络站", "东岭片区联络站（改）", 1)
    ok = client.post(
        "/office/county",
        data={"csrf": csrf_of(page.text)},
        files={"file": ("county.yaml", fixed.encode(), "application/x-yaml")},
    )
    assert ok.status_code == 200 and "已导入" in ok.text and "修改1项" in ok.text


def test_a_list_page_costs_the_same_queries_for_5_or_50_rows(app, clock):
    """No N+1: deputies, stations and grids of a page are loaded together."""
    from sqlalchemy import event

    from office.dashboard_bench import fill_cases

    client = office_client(app)
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    fill_cases(app.sessions, 5, clock.now())
    event.listen(app.engine, "before_cursor_execute", count)
    try:
        assert "工单（5件）" in client.get("/office/cases").text
        few = len(statements)
        statements.clear()
        fill_cases(app.sessions, 200, clock.now(), seed=8)
        statements.clear()
        page = client.get("/office/cases")
        assert "工单（205件）" in page.text and page.text.count("/office/cases/BN-") == 50
        assert len(statements) == few
    finally:
        event.remove(app.engine, "before_cursor_execute", count)


async def test_a_station_head_assigns_only_to_their_stations_deputies(sim):
    await a_case(sim)  # ST-DL
    client = web_client(sim.app)
    assert log_in(client, make_staff(sim.app, "东岭站长", "station-head", "ST-DL")).status_code
    page = client.get(f"/office/cases/{TICKET}")
    assert page.status_code == 200 and 'value="D010"' not in page.text
    refused = client.post(
        f"/office/cases/{TICKET}/assign", data={"csrf": csrf_of(page.text), "deputy": "D010"}
    )
    assert "不属于本联络站" in refused.text
    assert the_case(sim.app).deputy_code != "D010"
